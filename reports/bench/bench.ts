/**
 * The `bench` command: regenerates the figure suite. It resolves the
 * figures and their points, runs the points in Web Workers (cached under the
 * output directory, so an interrupted bench resumes and an unchanged rerun is
 * immediate), and writes the report. `--shard I/N` runs a deterministic slice
 * of the points and leaves them for `merge`, which joins shard directories
 * into one report.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { COST_PROFILES, resolveCostProfile } from "../../core/cost_profile.ts";
import { InputError } from "../../core/errors.ts";
import { FAIR_CLASSES, type FairClassName } from "../../core/kernel.ts";
import { type OptionSpecs, type OptionValue, resolveOptions } from "../../core/options.ts";
import { EXIT_POLICY_FAILED, parseFlags, valueFromText } from "../cli/args.ts";
import { userPath } from "../cli/user_path.ts";
import { loadPolicySource, policySourceHash, policySourceKind } from "../../policies/sources.ts";
import { policyFailure } from "../render/write_report.ts";
import {
  type FigureContext,
  type FigureDefinition,
  formatTally,
  type Suite,
  tallyClaims,
} from "../figures/figure.ts";
import { FIGURES } from "../figures/registry.ts";
import { pointKey, type PointOutcome, type PointSpec, sourceFingerprint } from "./point.ts";
import { cacheEntryText, prepareCacheDir, readCacheEntry, runPoints } from "./point_pool.ts";
import { progressDisplay } from "./progress.ts";
import { readShards, type ShardFile } from "./shards.ts";
import {
  checkReportDir,
  type FigureResults,
  removeStaleStaging,
  writeReport,
} from "../render/write_report.ts";
import {
  ensureWritableDir,
  lockOutputDir,
  resolveOutputFile,
  writeFileAtomic,
} from "../render/write_files.ts";

/**
 * Where bench writes: results (claim verdicts, where the report is) to
 * standard output, progress and messages to standard error.
 */
export interface BenchIo {
  /** Writes to standard output. */
  out: (text: string) => void;
  /** Writes to standard error. */
  err: (text: string) => void;
  /** Whether standard error is a terminal (progress bar). */
  errIsTerminal: boolean;
}

/** Resolved bench options. */
export interface BenchOptions {
  /** Suite. */
  suite: Suite;
  /** Output directory. */
  out: string;
  /** Figures to run (all when null). */
  only: string[] | null;
  /** Parallel workers. */
  jobs: number;
  /** Shard `index` (1-based) of `count`, or null. */
  shard: { index: number; count: number } | null;
  /** Seed of every point. */
  seed: number;
  /** Policies added to every figure that compares policies (policy files, `exec:` agents). */
  policies: string[];
  /** The fair class of every run when not CFS (`--fair eevdf`). @default unset: CFS */
  fair?: FairClassName;
  /**
   * A cost profile in place of `paper` in every run and microbenchmark
   * point (`--costs`): a profile file, as an absolute path, or a profile
   * name other than `paper`. @default unset: each point's own
   */
  costs?: string;
}

/** Help text of `bench`. */
export const BENCH_HELP = `Usage: deno task bench [options]
       deno task ghostbench bench [options]

Regenerates the paper-style figures in the emulator and checks the paper's
claims on them. Writes NAME.vl.json, NAME.svg, NAME.png and NAME.csv per
figure, summary.json, manifest.json and index.html into the output directory.

Options:
  --suite quick|full|test
                      quick (default): reduced sweeps and scales, runs of
                      5 s (reference RocksDB figures), 2 s (disruption),
                      1.5 s (snap), 0.6 s (rocksdb-paper), 0.3 s (search);
                      about 45 s of CPU time, 25-35 s on 2 cores. full: the
                      reference experiments' sweeps and 15 s runs, the
                      paper's machines (about 18 min of CPU). test: runs of 1 s
                      and less, the scale the test suite checks the pipeline
                      at (noisy numbers)
  --out DIR           output directory (default out, in the repository)
  --only A,B          only these figures (default all): ${FIGURES.map((f) => f.name).join(", ")}
  --jobs N            parallel workers (default: the number of CPUs)
  --shard I/N         run only slice I of N of the points (for CI matrices or
                      several machines); then join with 'ghostbench merge'
  --seed S            seed of every run (default 1)
  --fair cfs|eevdf    the kernel's fair class in every run (default cfs): with
                      eevdf, each figure's CFS baseline (and the fair class
                      under the ghOSt policies) is Linux 6.6's EEVDF
  --costs FILE.json   a cost profile file (from 'calibrate', the format of
                      'run --costs') or a profile name, in place of the paper
                      profile in every run and microbenchmark point
  --policy P          add a policy to every figure that compares policies, with
                      its own colour and legend entry (repeatable): a policy
                      file (.ts, .js), exec:COMMAND (an agent in another
                      process, see policies/exec/README.md) or a name
  -h, --help          show this text

Finished points are cached under DIR/.cache, keyed by a hash of the code and
the point's configuration (and of each policy file and what it imports, or
an exec agent's files): an interrupted bench resumes where it stopped, and
editing a policy runs its points again. A relative DIR is read from the
directory you ran the command in. A point whose policy failed (an
exception, a crashed agent) is marked in summary.json and on the page, and
bench exits with status 3.`;

/** Help text of `merge`. */
export const MERGE_HELP = `Usage: deno task ghostbench merge DIR... [--out DIR]

Joins the outputs of 'bench --shard I/N' runs (all with the same suite, seed
and figures) into one report in --out (default out, in the repository).
Relative paths are read from the directory you ran the command in.`;

/** The options of `bench` that hold a declared value (the others are read by hand). */
const BENCH_OPTIONS = {
  suite: {
    kind: "choice",
    choices: ["quick", "full", "test"],
    default: "quick",
    noun: "suite",
    help: "figure suite",
  },
  jobs: { kind: "integer", min: 1, max: 256, help: "parallel workers" },
  seed: { kind: "integer", default: 1, min: 0, max: 0xffff_ffff, help: "seed of every run" },
  fair: {
    kind: "choice",
    choices: FAIR_CLASSES,
    default: "cfs",
    noun: "fair class",
    help: "the kernel's fair class",
  },
} as const satisfies OptionSpecs;

/** Parses `bench` arguments; throws InputError on bad input. */
export function parseBenchOptions(args: readonly string[]): BenchOptions | "help" {
  const { values } = parseFlags(args, {
    suite: { type: "string" },
    out: { type: "string" },
    only: { type: "string" },
    jobs: { type: "string" },
    shard: { type: "string" },
    seed: { type: "string" },
    fair: { type: "string" },
    costs: { type: "string" },
    policy: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const given: Record<string, OptionValue> = {};
  const texts: Record<string, string> = {};
  for (const key of ["suite", "jobs", "seed", "fair"] as const) {
    const text = values[key];
    if (text === undefined) continue;
    texts[key] = text;
    given[key] = valueFromText(BENCH_OPTIONS[key], text, `--${key}`);
  }
  const { suite, jobs, seed, fair } = resolveOptions(
    BENCH_OPTIONS,
    { jobs: navigator.hardwareConcurrency, ...given },
    { label: (key) => `--${key}`, texts },
  );
  let only: string[] | null = null;
  if (values.only !== undefined) {
    only = values.only.split(",").map((name) => name.trim()).filter((name) => name !== "");
    const known = FIGURES.map((f) => f.name);
    const bad = only.find((name) => !known.includes(name));
    if (bad !== undefined || only.length === 0) {
      throw new InputError(
        `Unknown figure "${bad ?? values.only}": expected one of ${known.join(", ")}`,
      );
    }
  }
  let shard: BenchOptions["shard"] = null;
  if (values.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(values.shard);
    const index = Number(match?.[1]);
    const count = Number(match?.[2]);
    if (match === null || count < 1 || index < 1 || index > count) {
      throw new InputError(
        `Bad --shard "${values.shard}": expected I/N with 1 <= I <= N, e.g. 2/4`,
      );
    }
    shard = { index, count };
  }
  const policies = [...new Set(values.policy ?? [])];
  const costs = costsOption(values.costs);
  return {
    suite,
    out: outDir(values.out),
    only,
    jobs: jobs!,
    shard,
    seed,
    policies,
    ...(fair === "eevdf" ? { fair } : {}),
    ...(costs === undefined ? {} : { costs }),
  };
}

/**
 * The `--costs` value: a profile file (read and checked now, kept as an
 * absolute path so that the workers read the same file), a profile name
 * other than the default `paper`, or undefined.
 */
function costsOption(text: string | undefined): string | undefined {
  if (text === undefined || text === "paper") return undefined;
  if (text.toLowerCase().endsWith(".json")) {
    const path = userPath(text);
    resolveCostProfile(path); // throws InputError naming the file
    return path;
  }
  if (!Object.hasOwn(COST_PROFILES, text)) {
    throw new InputError(
      `Unknown cost profile "${text}" for --costs: expected one of ${
        Object.keys(COST_PROFILES).join(", ")
      }, or a profile file FILE.json`,
    );
  }
  return text;
}

/** The `costsHash` field of a shard file: the hash of a costs file, none for a name. */
function costsHashField(hash: string | undefined): { costsHash?: string } {
  return hash === undefined ? {} : { costsHash: hash };
}

/** The content hash of a cost profile file, by path, for the cache keys; none for a name. */
function costsHashes(costs: string | undefined): Record<string, string> {
  if (costs === undefined || !costs.endsWith(".json")) return {};
  const hash = createHash("sha256").update(Deno.readTextFileSync(costs)).digest("hex");
  return { [costs]: hash };
}

/**
 * Loads the policies a bench adds (policy files, `exec:` agents; a name must
 * be registered) and returns the content hash of each source, by name, for
 * the cache keys.
 *
 * @throws {InputError} when one does not load
 */
async function loadAddedPolicies(policies: readonly string[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const policy of policies) {
    if ((await loadPolicySource(policy)).model === "kernel") {
      throw new InputError(
        `Bad --policy "${policy}": the figures run it already; add a ghOSt policy, a policy ` +
          "file or exec:COMMAND",
      );
    }
    if (policySourceKind(policy) !== null) hashes[policy] = await policySourceHash(policy);
  }
  return hashes;
}

/** The figures selected by `only`, in report order. */
function selected(only: readonly string[] | null): FigureDefinition[] {
  return FIGURES.filter((f) => only === null || only.includes(f.name));
}

/** The points of a set of figures: per figure, and flat with each point's figure index. */
interface BenchPlan {
  /** The figures, in report order. */
  figures: readonly FigureDefinition[];
  /** Each figure's point specs. */
  perFigure: readonly PointSpec[][];
  /** Every point, figure by figure. */
  flat: readonly { figure: number; spec: PointSpec }[];
}

/** Every figure's point specs, and a flat list with each point's figure index. */
function plan(figures: readonly FigureDefinition[], context: FigureContext): BenchPlan {
  const perFigure = figures.map((figure) => figure.points(context));
  const flat: { figure: number; spec: PointSpec }[] = [];
  perFigure.forEach((specs, figure) => specs.forEach((spec) => flat.push({ figure, spec })));
  return { figures, perFigure, flat };
}

/**
 * Runs the bench; returns the exit code: 0, or 1 when the environment fails
 * (a full disk, another bench writing to the same directory), after one
 * line on stderr.
 *
 * @throws {InputError} on bad input (an output file in the way)
 */
export async function runBench(
  options: BenchOptions,
  io: BenchIo,
  version: string,
): Promise<number> {
  return await reportingEnvironmentErrors(io, options.out, () => bench(options, io, version));
}

async function bench(options: BenchOptions, io: BenchIo, version: string): Promise<number> {
  const started = performance.now();
  const sourceHashes = {
    ...await loadAddedPolicies(options.policies),
    ...costsHashes(options.costs),
  };
  await ensureWritableDir(options.out);
  const context: FigureContext = {
    suite: options.suite,
    seed: options.seed,
    ...(options.policies.length === 0 ? {} : { policies: options.policies }),
    ...(options.fair === undefined ? {} : { fair: options.fair }),
    ...(options.costs === undefined ? {} : { costs: options.costs }),
  };
  const figures = selected(options.only);
  const points = plan(figures, context);
  const flat = points.flat;
  const shard = options.shard;
  const shardFile = shard === null
    ? null
    : `${options.out}/shard-${shard.index}-of-${shard.count}.json`;
  const lock = await lockOutputDir(options.out);
  try {
    await removeStaleStaging(options.out);
    // Anything in the way is reported now, not after the points have run.
    if (shardFile === null) await checkReportDir(options.out, figures.map((f) => f.name));
    else await resolveOutputFile(shardFile, { what: "shard file" });
    const cacheDir = `${options.out}/.cache`;
    prepareCacheDir(cacheDir);
    const mine = shard === null
      ? flat.map((_, i) => i)
      : flat.map((_, i) => i).filter((i) => i % shard.count === shard.index - 1);
    io.err(
      `ghostbench bench: suite ${options.suite}, ${figures.length} figure(s), ${mine.length} ` +
        `point(s)${
          shard === null ? "" : ` (shard ${shard.index}/${shard.count} of ${flat.length})`
        }, ` +
        `${options.jobs} job(s), output ${options.out}\n`,
    );
    const { outcomes, keys, cached, invalid } = await runPoints(mine.map((i) => flat[i]!.spec), {
      jobs: options.jobs,
      cacheDir,
      sourceHashes,
      onProgress: progressDisplay(io.err, {
        label: "bench",
        jobs: options.jobs,
        terminal: io.errIsTerminal,
      }),
    });
    if (invalid > 0) {
      io.err(
        `bench: ${invalid} cache entr${invalid === 1 ? "y" : "ies"} failed the check, run again\n`,
      );
    }
    if (shard !== null && shardFile !== null) {
      const record: ShardFile = {
        suite: options.suite,
        seed: options.seed,
        only: options.only,
        shard,
        keys,
        ...(options.policies.length === 0 ? {} : { policies: options.policies }),
        ...(options.fair === undefined ? {} : { fair: options.fair }),
        ...(options.costs === undefined ? {} : { costs: options.costs }),
        ...(options.costs === undefined ? {} : costsHashField(sourceHashes[options.costs])),
      };
      await writeFileAtomic(shardFile, JSON.stringify(record, null, 1) + "\n", {
        what: "shard file",
      });
      io.err(
        `shard ${shard.index}/${shard.count} done (${cached} cached); join the shard directories ` +
          "with: deno task ghostbench merge DIR...\n",
      );
      return 0;
    }
    const byIndex = new Map<number, PointOutcome>();
    mine.forEach((global, i) => byIndex.set(global, outcomes[i]!));
    return await finish(points, {
      out: options.out,
      jobs: options.jobs,
      context,
      outcomes: byIndex,
      keys,
      version,
      started,
      cached,
      io,
    });
  } finally {
    lock.release();
  }
}

/**
 * Runs `fn`; an error of the environment (a full disk, a busy output
 * directory, a file system that refuses a write) becomes one line on stderr
 * and exit code 1. Input errors and bugs pass through.
 */
async function reportingEnvironmentErrors(
  io: BenchIo,
  out: string,
  fn: () => Promise<number>,
): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (error instanceof Deno.errors.Busy) {
      io.err(`ghostbench: ${firstLine(error)}\n`);
      return 1;
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      io.err(`ghostbench: Cannot write the output in "${out}": ${firstLine(error)}\n`);
      return 1;
    }
    throw error;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

/** What {@link finish} writes a report from, beside the plan. */
interface FinishOptions {
  /** Output directory. */
  out: string;
  /** Parallel workers (for the manifest). */
  jobs: number;
  /** Suite and seed. */
  context: FigureContext;
  /** Every point's outcome, by index in the flat plan. */
  outcomes: ReadonlyMap<number, PointOutcome>;
  /** Every point's cache key, by index in the flat plan. */
  keys: readonly string[];
  /** Version of ghostbench. */
  version: string;
  /** When the command started (performance.now()). */
  started: number;
  /** Points read from the cache. */
  cached: number;
  /** Where progress goes. */
  io: BenchIo;
}

/** Writes the report of a finished plan; prints each claim; returns the exit code. */
async function finish(points: BenchPlan, options: FinishOptions): Promise<number> {
  const { figures, perFigure, flat } = points;
  const { outcomes, keys, io } = options;
  let cursor = 0;
  const results: FigureResults[] = figures.map((figure, f) => {
    const specs = perFigure[f]!;
    const figureOutcomes: PointOutcome[] = [];
    const figureKeys: string[] = [];
    for (let i = 0; i < specs.length; i++, cursor++) {
      if (flat[cursor]!.figure !== f) throw new Error("Bench plan out of order");
      figureOutcomes.push(outcomes.get(cursor)!);
      figureKeys.push(keys[cursor]!);
    }
    return { figure, specs, keys: figureKeys, outcomes: figureOutcomes };
  });
  io.err("bench: writing figures...\n");
  const claims = await writeReport(options.out, {
    context: options.context,
    results,
    meta: {
      version: options.version,
      seconds: (performance.now() - options.started) / 1000,
      jobs: options.jobs,
      cached: options.cached,
    },
    knownFigures: FIGURES.map((f) => f.name),
  });
  for (const claim of claims) {
    const verdict = claim.kind === "calibration"
      ? (claim.holds ? "passes" : "FAILS ")
      : (claim.holds ? "holds " : "FAILS ");
    const tag = claim.kind === "calibration" ? " (calibration)" : "";
    io.out(`  ${verdict} ${claim.figure}${tag}: ${claim.claim}\n`);
  }
  io.out(
    `bench: ${figures.length} figure(s), ${
      formatTally(tallyClaims(claims))
    }; open ${options.out}/index.html\n`,
  );
  const failed = flat.flatMap((point, i) => {
    const failure = policyFailure(outcomes.get(i)!);
    return failure === null ? [] : [`${figures[point.figure]!.name}: ${failure}`];
  });
  if (failed.length === 0) return 0;
  for (const line of failed) io.err(`bench: FAILED point ${line}\n`);
  io.err(
    `bench: ${failed.length} point(s) ran a policy that failed (policyFailure in summary.json); ` +
      "run one with 'ghostbench run' to see its stack\n",
  );
  return EXIT_POLICY_FAILED;
}

/**
 * The `--out` directory: `out` (in the repository) when not given, else
 * from where the user ran the command (`userPath`); an empty path is bad
 * input.
 */
function outDir(text: string | undefined): string {
  if (text === undefined) return "out";
  if (text.trim() === "") throw new InputError(`Bad --out "${text}": expected a directory path`);
  return userPath(text);
}

/**
 * Parses and runs `merge DIR... [--out DIR]`; returns the exit code (see
 * {@link runBench}).
 *
 * @throws {InputError} on bad input: a shard file that is not what bench
 * writes, shards missing, twice or of different runs
 */
export async function runMerge(
  args: readonly string[],
  io: BenchIo,
  version: string,
): Promise<number> {
  const parsed = parseFlags(
    args,
    { out: { type: "string" }, help: { type: "boolean", short: "h" } },
    { positionals: true },
  );
  if (parsed.values.help) {
    io.out(MERGE_HELP + "\n");
    return 0;
  }
  const dirs = parsed.positionals.map((dir) => userPath(dir));
  if (dirs.length === 0) throw new InputError("merge needs at least one shard directory");
  const out = outDir(parsed.values.out);
  return await reportingEnvironmentErrors(io, out, () => merge(dirs, out, io, version));
}

async function merge(
  dirs: readonly string[],
  out: string,
  io: BenchIo,
  version: string,
): Promise<number> {
  const started = performance.now();
  // Everything is read and checked before anything is written.
  const shards = readShards(dirs);
  const { suite, seed, only, policies, fair, costs, costsHash } = shards.header;
  const sourceHashes = {
    ...await loadAddedPolicies(policies ?? []),
    // The shards' cost profile file, as they hashed it: merge needs no copy.
    ...(costs === undefined || costsHash === undefined ? {} : { [costs]: costsHash }),
  };
  const context: FigureContext = {
    suite,
    seed,
    ...(policies === undefined ? {} : { policies }),
    ...(fair === undefined ? {} : { fair }),
    ...(costs === undefined ? {} : { costs }),
  };
  const figures = selected(only);
  const points = plan(figures, context);
  const flat = points.flat;
  const fingerprint = sourceFingerprint();
  const keys = flat.map((p) => pointKey(p.spec, fingerprint, { sourceHashes }));
  const outcomes = new Map<number, PointOutcome>();
  for (const found of shards.files) {
    const { index, count } = found.shard;
    const expected = keys.filter((_, i) => i % count === index - 1);
    const name = `Shard ${index}/${count} ("${found.path}")`;
    if (JSON.stringify(expected) !== JSON.stringify(found.keys)) {
      throw new InputError(
        `${name} was run with other code or settings than this merge: run it again with this code`,
      );
    }
    let bad = 0;
    for (let i = index - 1; i < flat.length; i += count) {
      const read = readCacheEntry(`${found.dir}/.cache`, keys[i]!, flat[i]!.spec.kind);
      if (read.status === "hit") outcomes.set(i, read.outcome);
      else bad++;
    }
    if (bad > 0) {
      throw new InputError(
        `${name} lacks ${bad} of its points in "${found.dir}/.cache" (missing or failing the ` +
          "check): run that shard again",
      );
    }
  }
  await ensureWritableDir(out);
  const lock = await lockOutputDir(out);
  try {
    await removeStaleStaging(out);
    await checkReportDir(out, figures.map((f) => f.name));
    prepareCacheDir(`${out}/.cache`);
    for (const [i, outcome] of outcomes) {
      await writeFileAtomic(`${out}/.cache/${keys[i]}.json`, cacheEntryText(keys[i]!, outcome), {
        what: "cache entry",
      });
    }
    return await finish(points, {
      out,
      jobs: 1,
      context,
      outcomes,
      keys,
      version,
      started,
      cached: flat.length,
      io,
    });
  } finally {
    lock.release();
  }
}
