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

import { InputError } from "../../core/errors.ts";
import { type OptionSpecs, type OptionValue, resolveOptions } from "../../core/options.ts";
import { parseFlags, valueFromText } from "../cli/args.ts";
import {
  type FigureContext,
  type FigureDefinition,
  formatTally,
  type Suite,
  tallyClaims,
} from "../figures/figure.ts";
import { FIGURES } from "../figures/registry.ts";
import { pointKey, type PointOutcome, type PointSpec, sourceFingerprint } from "./point.ts";
import { readCached, runPoints } from "./point_pool.ts";
import { type FigureResults, writeReport } from "../render/write_report.ts";
import { ensureWritableDir, writeFileAtomic } from "../render/write_files.ts";

/** Where bench writes its progress and messages. */
export interface BenchIo {
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
}

/** Help text of `bench`. */
export const BENCH_HELP = `Usage: deno task bench [options]
       deno task ghostbench bench [options]

Regenerates the paper-style figures in the emulator and checks the paper's
claims on them. Writes NAME.vl.json, NAME.svg, NAME.png and NAME.csv per
figure, summary.json, manifest.json and index.html into the output directory.

Options:
  --suite quick|full|test
                      quick (default): reduced sweeps and 1 s runs, a few
                      minutes on 2 cores; full: the reference experiments'
                      sweeps and 15 s runs; test: seconds, the scale the
                      test suite checks the pipeline at (noisy numbers)
  --out DIR           output directory (default out)
  --only A,B          only these figures (default all): ${FIGURES.map((f) => f.name).join(", ")}
  --jobs N            parallel workers (default: the number of CPUs)
  --shard I/N         run only slice I of N of the points (for CI matrices or
                      several machines); then join with 'ghostbench merge'
  --seed S            seed of every run (default 1)
  -h, --help          show this text

Finished points are cached under DIR/.cache, keyed by a hash of the code and
the point's configuration: an interrupted bench resumes where it stopped.`;

/** Help text of `merge`. */
export const MERGE_HELP = `Usage: deno task ghostbench merge DIR... [--out DIR]

Joins the outputs of 'bench --shard I/N' runs (all with the same suite, seed
and figures) into one report in --out (default out).`;

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
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const given: Record<string, OptionValue> = {};
  const texts: Record<string, string> = {};
  for (const key of ["suite", "jobs", "seed"] as const) {
    const text = values[key];
    if (text === undefined) continue;
    texts[key] = text;
    given[key] = valueFromText(BENCH_OPTIONS[key], text, `--${key}`);
  }
  const { suite, jobs, seed } = resolveOptions(
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
  return { suite, out: values.out ?? "out", only, jobs: jobs!, shard, seed };
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

/** A progress display: a bar on a terminal, plain lines otherwise. */
function progress(io: BenchIo, label: string, jobs: number) {
  const started = performance.now();
  let lastLine = -1;
  let ran = 0;
  let ranSeconds = 0;
  return (done: number, total: number, cached: boolean, seconds: number) => {
    if (!cached) {
      ran++;
      ranSeconds += seconds;
    }
    const left = total - done;
    const eta = ran === 0 ? "" : `, ETA ${formatSeconds(left * ranSeconds / ran / jobs)}`;
    const elapsed = formatSeconds((performance.now() - started) / 1000);
    if (io.errIsTerminal) {
      const width = 30;
      const filled = Math.round(width * done / Math.max(total, 1));
      io.err(
        `\r${label} [${"#".repeat(filled)}${
          " ".repeat(width - filled)
        }] ${done}/${total} points, ${elapsed}${eta}\x1b[K`,
      );
      if (done === total) io.err("\n");
      return;
    }
    const step = Math.max(1, Math.floor(total / 20));
    if (done === total || done - lastLine >= step) {
      lastLine = done;
      io.err(`${label}: ${done}/${total} points done (${elapsed}${eta})\n`);
    }
  };
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

/** Runs the bench; returns the exit code. */
export async function runBench(
  options: BenchOptions,
  io: BenchIo,
  version: string,
): Promise<number> {
  const started = performance.now();
  await ensureWritableDir(options.out);
  const context: FigureContext = { suite: options.suite, seed: options.seed };
  const figures = selected(options.only);
  const points = plan(figures, context);
  const flat = points.flat;
  const cacheDir = `${options.out}/.cache`;
  const shard = options.shard;
  const mine = shard === null
    ? flat.map((_, i) => i)
    : flat.map((_, i) => i).filter((i) => i % shard.count === shard.index - 1);
  io.err(
    `ghostbench bench: suite ${options.suite}, ${figures.length} figure(s), ${mine.length} point(s)` +
      `${shard === null ? "" : ` (shard ${shard.index}/${shard.count} of ${flat.length})`}, ` +
      `${options.jobs} job(s), output ${options.out}\n`,
  );
  const { outcomes, keys, cached } = await runPoints(mine.map((i) => flat[i]!.spec), {
    jobs: options.jobs,
    cacheDir,
    onProgress: progress(io, "bench", options.jobs),
  });
  if (shard !== null) {
    await writeFileAtomic(
      `${options.out}/shard-${shard.index}-of-${shard.count}.json`,
      JSON.stringify(
        {
          suite: options.suite,
          seed: options.seed,
          only: options.only,
          shard,
          keys,
        },
        null,
        1,
      ) + "\n",
    );
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
  const claims = await writeReport(options.out, options.context, results, {
    version: options.version,
    seconds: (performance.now() - options.started) / 1000,
    jobs: options.jobs,
    cached: options.cached,
  });
  for (const claim of claims) {
    const verdict = claim.kind === "calibration"
      ? (claim.holds ? "passes" : "FAILS ")
      : (claim.holds ? "holds " : "FAILS ");
    const tag = claim.kind === "calibration" ? " (calibration)" : "";
    io.err(`  ${verdict} ${claim.figure}${tag}: ${claim.claim}\n`);
  }
  io.err(
    `bench: ${figures.length} figure(s), ${
      formatTally(tallyClaims(claims))
    }; open ${options.out}/index.html\n`,
  );
  return 0;
}

/** Parses and runs `merge DIR... [--out DIR]`. */
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
    io.err(MERGE_HELP + "\n");
    return 0;
  }
  const dirs = parsed.positionals;
  if (dirs.length === 0) throw new InputError("merge needs at least one shard directory");
  const started = performance.now();
  let header: { suite: Suite; seed: number; only: string[] | null } | null = null;
  for (const dir of dirs) {
    let files: string[];
    try {
      files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        /^shard-\d+-of-\d+\.json$/.test(n)
      );
    } catch {
      throw new InputError(`Cannot read shard directory "${dir}"`);
    }
    if (files.length === 0) {
      throw new InputError(`No shard output in "${dir}": run bench --shard I/N there first`);
    }
    for (const file of files) {
      const shard = JSON.parse(Deno.readTextFileSync(`${dir}/${file}`));
      const here = { suite: shard.suite, seed: shard.seed, only: shard.only };
      if (header !== null && JSON.stringify(header) !== JSON.stringify(here)) {
        throw new InputError(`Shard ${dir}/${file} was run with other suite, seed or figures`);
      }
      header = here;
    }
  }
  const out = parsed.values.out ?? "out";
  await ensureWritableDir(out);
  const context: FigureContext = { suite: header!.suite, seed: header!.seed };
  const figures = selected(header!.only);
  const points = plan(figures, context);
  const flat = points.flat;
  const fingerprint = sourceFingerprint();
  const keys = flat.map((p) => pointKey(p.spec, fingerprint));
  const outcomes = new Map<number, PointOutcome>();
  let missing = 0;
  for (let i = 0; i < flat.length; i++) {
    let found: PointOutcome | null = null;
    for (const dir of dirs) {
      found = readCached(`${dir}/.cache`, keys[i]!);
      if (found !== null) break;
    }
    if (found === null) missing++;
    else outcomes.set(i, found);
  }
  if (missing > 0) {
    throw new InputError(
      `${missing} of ${flat.length} points are missing from the shards (run every shard with the same code)`,
    );
  }
  Deno.mkdirSync(`${out}/.cache`, { recursive: true });
  for (const [i, outcome] of outcomes) {
    await writeFileAtomic(`${out}/.cache/${keys[i]}.json`, JSON.stringify(outcome));
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
}
