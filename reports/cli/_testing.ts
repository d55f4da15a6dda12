/**
 * Runs the command line in-process for tests: `main` with its output
 * captured, as a user's terminal would show it (stderr not a terminal).
 *
 * @module
 */

import { type CliIo, main } from "./cli.ts";

/** What one command printed and its exit code. */
export interface CliOutput {
  /** Exit code. */
  code: number;
  /** Everything written to standard output. */
  stdout: string;
  /** Everything written to standard error. */
  stderr: string;
}

/** Runs `ghostbench ARGS` in this process and returns its output and exit code. */
export async function runMain(args: readonly string[]): Promise<CliOutput> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    out: (text) => stdout += text,
    err: (text) => stderr += text,
    errIsTerminal: false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
