/**
 * `deno task mutants`: a mutation campaign against the test suite. Each
 * mutant of `tests/_mutant_list.ts` plants one plausible bug (a textual
 * find and replace that must match exactly once) in a temporary copy of the
 * repository, runs the test files that should catch it, and counts it
 * killed when they fail (or hang past the timeout), survived when they
 * pass. It prints the kill rate and the survivors, and exits 1 when the
 * rate is below the target.
 *
 * ```sh
 * deno task mutants [--only ID,...] [--jobs N] [--timeout SECONDS] [--min PERCENT]
 * deno task mutants --check    # only check that every pattern still matches once
 * deno task mutants --list     # print the mutants
 * ```
 *
 * A pattern that no longer matches exactly once (the code it mutates
 * changed) is stale: the tool names it and exits 1 before running anything,
 * so that a stale mutant is updated, never silently skipped. It then runs
 * every named test file once unmutated, and stops if one fails. The copy
 * leaves out `.git`, `out/` and `.bench-cache/`, so the tests a mutant
 * names must not need git. Tests run without type checking (`--no-check`):
 * a mutant is a bug in behaviour, not in types. Options: `--only` runs the
 * named mutants; `--jobs` runs that many at a time, one copy each (default
 * 1); `--timeout` ends a mutant's tests after that many seconds and counts
 * it killed (default 300); `--min` is the target kill rate (default 90).
 * Exit codes: 0 the target is met, 1 it is not or a pattern is stale, 2 a
 * bad option.
 *
 * It runs the tests once per mutant (a minute or two in all), so CI runs
 * only its unit test (tests/mutants_test.ts).
 *
 * @module
 */

import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { parseArgs } from "node:util";
import { InputError } from "../core/errors.ts";
import { MUTANTS } from "./_mutant_list.ts";

/** One planted bug: a textual find and replace in one file, and the tests that should fail. */
export interface Mutant {
  /** Short unique name, for `--only` and the report. */
  readonly id: string;
  /** The file to mutate, relative to the repository root. */
  readonly file: string;
  /** Exact text to replace; it must occur exactly once in the file. */
  readonly find: string;
  /** What replaces it. */
  readonly replace: string;
  /** The bug it plants, in a few words. */
  readonly bug: string;
  /** Test files (relative to the root) that should fail with the bug. */
  readonly tests: readonly string[];
}

/** What became of a mutant: its tests failed, passed, or ran past the timeout. */
export type MutantOutcome = "killed" | "survived" | "timeout";

/** The result of one mutant. */
export interface MutantResult {
  /** The mutant. */
  readonly mutant: Mutant;
  /** What became of it; a timeout counts as killed. */
  readonly outcome: MutantOutcome;
  /** Wall-clock time of its tests, s. */
  readonly seconds: number;
  /** The first failing test (or the first error line) when killed, else "". */
  readonly failure: string;
}

/** Options of {@link runMutants}. */
export interface RunMutantsOptions {
  /** The repository to copy. */
  root: string;
  /** Mutants run at a time, each in its own copy of the tree. @default 1 */
  jobs?: number;
  /** A mutant's tests that run longer are ended, and it counts killed, ms. @default 300_000 */
  timeoutMs?: number;
  /** Run the mutants' test files once unmutated first, and throw if they fail. @default true */
  baseline?: boolean;
  /** Called after each mutant, in the order they finish. @default none */
  onResult?: (result: MutantResult, done: number, total: number) => void;
}

/** Top-level entries of the tree the copies leave out. */
const NOT_COPIED = new Set([".git", "out", ".bench-cache", "node_modules"]);

/**
 * Applies a mutant to a file's text. Throws when its pattern does not occur
 * exactly once: a stale or ambiguous mutant is an error, never skipped.
 *
 * @example
 * ```ts
 * import { mutate } from "./mutants.ts";
 * const mutant = { id: "sub", file: "a.ts", find: "a + b", replace: "a - b", bug: "", tests: [] };
 * if (mutate("return a + b;", mutant) !== "return a - b;") throw new Error("not applied");
 * ```
 */
export function mutate(text: string, mutant: Mutant): string {
  const count = occurrences(text, mutant.find);
  if (count !== 1) throw new Error(patternProblem(mutant, count));
  return text.replace(mutant.find, () => mutant.replace);
}

/**
 * What is wrong with a list of mutants in the tree at `root`, one line per
 * problem: a duplicate id, a missing file or test file, an empty or no-op
 * replacement, a pattern that matches no longer (stale) or more than once.
 * Empty when every mutant can be applied.
 */
export function mutantProblems(root: string, mutants: readonly Mutant[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const mutant of mutants) {
    const { id } = mutant;
    if (ids.has(id)) problems.push(`${id}: duplicate id`);
    ids.add(id);
    const path = join(root, mutant.file);
    if (!existsSync(path)) {
      problems.push(`${id}: file ${mutant.file} not found`);
    } else if (mutant.find === "" || mutant.find === mutant.replace) {
      problems.push(`${id}: the find and replace texts must differ and not be empty`);
    } else {
      const count = occurrences(readFileSync(path, "utf8"), mutant.find);
      if (count !== 1) problems.push(patternProblem(mutant, count));
    }
    if (mutant.tests.length === 0) problems.push(`${id}: no test file named`);
    for (const test of mutant.tests) {
      if (!existsSync(join(root, test))) problems.push(`${id}: test file ${test} not found`);
    }
  }
  return problems;
}

/**
 * Runs each mutant in a temporary copy of the tree at `options.root`, one
 * at a time per job, and returns the results in the order of `mutants`.
 * Throws when a mutant's pattern is stale or the unmutated tests fail.
 */
export async function runMutants(
  mutants: readonly Mutant[],
  options: RunMutantsOptions,
): Promise<MutantResult[]> {
  const { root } = options;
  const jobs = options.jobs ?? 1;
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (!(Number.isInteger(jobs) && jobs >= 1)) {
    throw new RangeError(`Invalid jobs ${jobs}: expected an integer >= 1`);
  }
  const problems = mutantProblems(root, mutants);
  if (problems.length > 0) {
    throw new Error(`Mutants that cannot be applied:\n${problems.join("\n")}`);
  }
  const copies: string[] = [];
  try {
    for (let i = 0; i < Math.min(jobs, mutants.length); i++) copies.push(await copyTree(root));
    if ((options.baseline ?? true) && copies.length > 0) {
      const tests = [...new Set(mutants.flatMap((m) => m.tests))].sort();
      const run = await runTests(copies[0]!, tests, timeoutMs * 4);
      if (run.outcome !== "survived") {
        throw new Error(
          `The tests fail without a mutant (${run.outcome}): ${run.failure || "see deno test"}`,
        );
      }
    }
    const results: MutantResult[] = new Array(mutants.length);
    let next = 0;
    let done = 0;
    const work = async (copy: string) => {
      while (next < mutants.length) {
        const index = next++;
        const mutant = mutants[index]!;
        const path = join(copy, mutant.file);
        const original = readFileSync(path, "utf8");
        writeFileSync(path, mutate(original, mutant));
        try {
          const run = await runTests(copy, mutant.tests, timeoutMs);
          results[index] = { mutant, ...run };
        } finally {
          writeFileSync(path, original);
        }
        options.onResult?.(results[index]!, ++done, mutants.length);
      }
    };
    await Promise.all(copies.map(work));
    return results;
  } finally {
    for (const copy of copies) await Deno.remove(copy, { recursive: true });
  }
}

/**
 * The campaign's report: the kill rate against `minPercent`, then each
 * survivor with its bug, its mutation and the tests that missed it.
 */
export function summarize(
  results: readonly MutantResult[],
  minPercent: number,
): { lines: string[]; percent: number; pass: boolean } {
  const killed = results.filter((r) => r.outcome !== "survived").length;
  const timeouts = results.filter((r) => r.outcome === "timeout").length;
  const percent = results.length === 0 ? 100 : 100 * killed / results.length;
  const pass = percent >= minPercent;
  const survivors = results.filter((r) => r.outcome === "survived");
  const lines = [
    `mutants: ${killed} of ${results.length} killed${
      timeouts > 0 ? ` (${timeouts} by timeout)` : ""
    }: ${percent.toFixed(1)}% (target ${minPercent}%): ${pass ? "met" : "NOT MET"}`,
  ];
  if (survivors.length > 0) lines.push(`survivors (${survivors.length}):`);
  for (const { mutant } of survivors) {
    lines.push(
      `  ${mutant.id}: ${mutant.bug} (${mutant.file})`,
      `    ${oneLine(mutant.find)}  ->  ${oneLine(mutant.replace)}`,
      `    missed by ${mutant.tests.join(", ")}`,
    );
  }
  return { lines, percent, pass };
}

/** Runs test files in `dir`; a failure (or a run past the timeout) kills. */
async function runTests(
  dir: string,
  tests: readonly string[],
  timeoutMs: number,
): Promise<Omit<MutantResult, "mutant">> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", "--fail-fast", ...tests],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // It ended meanwhile.
    }
  }, timeoutMs);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (timedOut) return { outcome: "timeout", seconds, failure: `no result in ${timeoutMs} ms` };
  if (code === 0) return { outcome: "survived", seconds, failure: "" };
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { outcome: "killed", seconds, failure: firstFailure(text) };
}

/** The first failing test of `deno test`'s output, else its first error line. */
function firstFailure(output: string): string {
  const lines = output.split("\n");
  const failed = lines.find((line) => / \.\.\. FAILED/.test(line));
  if (failed !== undefined) return failed.replace(/ \.\.\. FAILED.*/, "").trim();
  const error = lines.find((line) => /error/i.test(line));
  return (error ?? lines.find((line) => line.trim() !== "") ?? "").trim().slice(0, 200);
}

/** Copies the tree at `root` (less `.git`, `out/`, caches) to a new temporary directory. */
async function copyTree(root: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_mutants_" });
  cpSync(root, dir, {
    recursive: true,
    filter: (source) => !NOT_COPIED.has(relative(root, source).split(sep)[0]!),
  });
  return dir;
}

function occurrences(text: string, find: string): number {
  return find === "" ? 0 : text.split(find).length - 1;
}

function patternProblem(mutant: Mutant, count: number): string {
  return count === 0
    ? `${mutant.id}: pattern not found in ${mutant.file} (stale: update the mutant): ${
      oneLine(mutant.find)
    }`
    : `${mutant.id}: pattern found ${count} times in ${mutant.file} (make it unique): ${
      oneLine(mutant.find)
    }`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ");
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

/** Where {@link main} writes: the report, and progress and errors. */
export interface MainOutput {
  /** Writes a line of the report (stdout). */
  out(line: string): void;
  /** Writes a line of progress or an error (stderr). */
  err(line: string): void;
}

const OPTION_NAMES = "--only, --jobs, --timeout, --min, --check or --list";

/** Parses the command line; throws InputError on a bad option. */
function parseOptions(args: readonly string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        only: { type: "string" },
        jobs: { type: "string", default: "1" },
        timeout: { type: "string", default: "300" },
        min: { type: "string", default: "90" },
        check: { type: "boolean", default: false },
        list: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const name = /'([^']+)'/.exec(message)?.[1] ?? message.split("\n")[0];
    throw new InputError(`Bad option ${name}: expected ${OPTION_NAMES}`);
  }
  const number = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!(text.trim() !== "" && Number.isFinite(value) && value >= min && value <= max)) {
      throw new InputError(`Bad --${name} "${text}": expected a number from ${min} to ${max}`);
    }
    return value;
  };
  const jobs = number("jobs", values.jobs, 1, Math.max(1, navigator.hardwareConcurrency));
  if (!Number.isInteger(jobs)) {
    throw new InputError(`Bad --jobs "${values.jobs}": expected an integer`);
  }
  return {
    only: values.only === undefined ? null : values.only.split(",").map((id) => id.trim()),
    jobs,
    timeoutMs: number("timeout", values.timeout, 1, 86_400) * 1000,
    min: number("min", values.min, 0, 100),
    check: values.check,
    list: values.list,
  };
}

/**
 * Runs the tool with command-line arguments over `mutants` (the curated
 * list by default) in the tree at `root` (this repository by default);
 * returns the exit code.
 */
export async function main(
  args: readonly string[],
  run: { output?: MainOutput; mutants?: readonly Mutant[]; root?: string } = {},
): Promise<number> {
  const output = run.output ?? { out: console.log, err: console.error };
  const all = run.mutants ?? MUTANTS;
  const root = run.root ?? new URL("..", import.meta.url).pathname;
  let options;
  try {
    options = parseOptions(args);
    if (options.only !== null) {
      const known = new Set(all.map((m) => m.id));
      const unknown = options.only.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new InputError(`Unknown mutant ${unknown.join(", ")}: see deno task mutants --list`);
      }
    }
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    output.err(`mutants: ${error.message}`);
    return 2;
  }
  const only = options.only;
  const mutants = only === null ? all : all.filter((m) => only.includes(m.id));
  if (options.list) {
    for (const m of mutants) output.out(`${m.id.padEnd(42)} ${m.file.padEnd(28)} ${m.bug}`);
    return 0;
  }
  const problems = mutantProblems(root, mutants);
  if (problems.length > 0) {
    output.err(`mutants: ${problems.length} mutant(s) cannot be applied; update them:`);
    for (const problem of problems) output.err(`  ${problem}`);
    return 1;
  }
  if (options.check) {
    output.out(`mutants: all ${mutants.length} patterns match exactly once`);
    return 0;
  }
  output.err(
    `mutants: ${mutants.length} mutant(s), ${options.jobs} at a time; checking the tests pass first`,
  );
  const results = await runMutants(mutants, {
    root,
    jobs: options.jobs,
    timeoutMs: options.timeoutMs,
    onResult: (r, done, total) => {
      const what = r.outcome === "survived" ? "SURVIVED" : r.outcome;
      const why = r.failure === "" ? "" : `: ${r.failure}`;
      output.err(`[${done}/${total}] ${what.padEnd(8)} ${r.mutant.id} (${r.seconds}s)${why}`);
    },
  });
  const { lines, pass } = summarize(results, options.min);
  for (const line of lines) output.out(line);
  return pass ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
