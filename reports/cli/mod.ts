/**
 * The `ghostbench` command line as a function: {@link main} takes the
 * arguments and where to write ({@link CliIo}) and returns the exit code
 * (0 on success, 2 on bad input, 1 when the environment fails), so that a
 * program or a test can run it in-process.
 *
 * @example
 * ```ts
 * import { type CliIo, main } from "./mod.ts";
 *
 * let out = "";
 * const io: CliIo = { out: (text) => out += text, err: () => {}, errIsTerminal: false };
 * const code = await main(["list", "--json"], io);
 * const lists = JSON.parse(out);
 * if (code !== 0 || !("shinjuku" in lists.policies)) throw new Error("no shinjuku");
 * ```
 *
 * @module
 */

export { type CliIo, main, STD_IO } from "./cli.ts";
