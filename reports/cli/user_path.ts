/**
 * Paths as the user typed them. `deno task` runs a task in the directory of
 * deno.json and passes the directory the user ran it from in `INIT_CWD`: a
 * relative path on the command line (`--trace`, `--out`, `--config`, the
 * directories of `merge`) means a path from there, not from the repository.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";

/** Options of {@link userPath}. */
export interface UserPathOptions {
  /**
   * The directory the user ran the command from; empty: unknown. @default
   * the `INIT_CWD` environment variable
   */
  initCwd?: string;
  /** The process's working directory. @default Deno.cwd() */
  cwd?: string;
}

/**
 * A path given on the command line, resolved against the directory the user
 * ran the command from: unchanged when it is absolute, or when that
 * directory is unknown (no `INIT_CWD`) or is the working directory; else
 * absolute.
 *
 * @example
 * ```ts
 * import { userPath } from "./user_path.ts";
 * const options = { initCwd: "/home/me/runs", cwd: "/home/me/ghostbench" };
 * if (userPath("trace.json", options) !== "/home/me/runs/trace.json") throw new Error("wrong");
 * if (userPath("/tmp/out", options) !== "/tmp/out") throw new Error("wrong");
 * if (userPath("out", { initCwd: "/a", cwd: "/a" }) !== "out") throw new Error("wrong");
 * ```
 */
export function userPath(path: string, options: UserPathOptions = {}): string {
  const initCwd = options.initCwd ?? Deno.env.get("INIT_CWD");
  if (initCwd === undefined || initCwd === "" || isAbsolute(path)) return path;
  const cwd = options.cwd ?? Deno.cwd();
  return resolve(initCwd) === resolve(cwd) ? path : resolve(initCwd, path);
}
