/**
 * For tests that run Deno as a user would: a child `deno` process, its exit
 * code and its decoded output.
 *
 * @module
 */

/** What a child process left. */
export interface ProcessOutput {
  /** Exit code. */
  code: number;
  /** Whether it exited with code 0. */
  success: boolean;
  /** Standard output, decoded. */
  stdout: string;
  /** Standard error, decoded. */
  stderr: string;
}

/** Options of {@link runDeno}. */
export interface RunDenoOptions {
  /** Working directory. @default this process's */
  cwd?: string | URL;
  /** Variables added to the inherited environment. @default none */
  env?: Record<string, string>;
  /** Standard input. @default "inherit" */
  stdin?: "inherit" | "null";
}

/** The repository's root. */
export const ROOT = new URL("../", import.meta.url);

/** Runs `deno ARGS...` (this Deno) to its end; returns its code and output. */
export async function runDeno(
  args: string[],
  options: RunDenoOptions = {},
): Promise<ProcessOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    stdin: options.stdin ?? "inherit",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    success: output.success,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs `ghostbench COMMAND ARGS...` from the repository's root, without colours. */
export function ghostbench(command: string, args: string[]): Promise<ProcessOutput> {
  return runDeno(["run", "-A", "mod.ts", command, ...args], {
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
}
