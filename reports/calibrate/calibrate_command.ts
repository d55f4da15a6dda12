/**
 * The `calibrate` command: measures this machine's scheduling costs with
 * real threads and writes them as a cost profile; with `--compare`, also
 * runs a RocksDB-like server on real threads beside its emulation on the
 * same machine, and reports how far the emulation is from the host.
 *
 * Output (the directory is written whole, then renamed into place):
 * `host_costs.json` (the profile, for `--costs FILE`), `measurements.json`
 * (the raw distributions and the conditions), and with `--compare`
 * `host-vs-emulation.{vl.json,svg,png,csv}`, `host-vs-emulation.stages.csv`,
 * `host-vs-emulation.cdf.csv`, `summary.json` and `index.html`.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { InputError } from "../../core/errors.ts";
import { formatDuration, MS, parseDuration } from "../../core/units.ts";
import { renderIndexHtml } from "../render/index_html.ts";
import { toCsv } from "../render/csv.ts";
import { ensureWritableDir } from "../render/write_files.ts";
import type { Measured } from "./_host.ts";
import {
  compareHostAndEmulation,
  type CompareResult,
  comparisonFigure,
  FIGURE_NAME,
} from "./compare.ts";
import { calibrateBusyLoop } from "./host_server.ts";
import {
  costProfileJson,
  type HostCostProfile,
  hostCostProfile,
  type HostMeasurements,
  measureHostCosts,
  type MeasureOptions,
} from "./measure.ts";

/** Help text of `calibrate`. */
export const CALIBRATE_HELP = `Usage: deno task ghostbench calibrate [options]

Measures this machine's scheduling costs with real threads (a futex
ping-pong across CPUs and on one CPU, the wake-up of an idle CPU) and
writes them as a cost profile, host_costs.json, usable with --costs FILE.
With --compare, also runs a RocksDB-like server on real threads (load
generator, workers doing calibrated CPU work) and its emulation on a machine
like this one, at a sweep of loads, and writes the figure host-vs-emulation
with the relative error per load and the claim "the emulation predicts the
host's p99 within X% at or below 70% load". Runs disturbed by CPU steal or
by other processes (over 5% of the CPU time) are flagged and left out of X.

Options:
  --out DIR         output directory (default out/calibrate), replaced whole
  --compare         also compare the real server with its emulation
  --loads A,B,...   offered loads, fractions of the workers' capacity
                    (default 0.1,0.3,0.5,0.7,0.9)
  --duration D      length of each run, e.g. 2s or 500ms (default 2s)
  --seed N          seed of the requests (default 1)
  -h, --help        this help

On a shared machine other processes delay the real server (and flag its
runs). With autogroups (Linux's default), a session of its own at autogroup
nice -20 gives it precedence (as root):
  setsid sh -c 'echo -20 > /proc/self/autogroup; exec deno task ghostbench calibrate --compare'

Examples:
  deno task ghostbench calibrate
  deno task ghostbench calibrate --compare --loads 0.2,0.5,0.7 --duration 3s
  deno task ghostbench run --workload rocksdb --costs out/calibrate/host_costs.json`;

/** Where the command writes. */
export interface CalibrateIo {
  /** Writes to standard output. */
  out: (text: string) => void;
  /** Writes to standard error. */
  err: (text: string) => void;
  /** Whether standard error is a terminal. */
  errIsTerminal: boolean;
}

/** Resolved options of `calibrate`. */
export interface CalibrateOptions {
  /** Output directory. */
  out: string;
  /** Whether to run the comparison. */
  compare: boolean;
  /** Loads of the comparison, fractions of capacity. */
  loads: number[];
  /** Length of each comparison run, ns. */
  durationNs: number;
  /** Seed. */
  seed: number;
}

/** Options of {@link runCalibrate} beyond the command line. */
export interface RunCalibrateOptions {
  /** Sizes of the cost measurements (tests make them small). @default measureHostCosts' defaults */
  measure?: MeasureOptions;
}

/** Defaults of {@link CalibrateOptions}. */
export const DEFAULT_CALIBRATE_OPTIONS: CalibrateOptions = {
  out: "out/calibrate",
  compare: false,
  loads: [0.1, 0.3, 0.5, 0.7, 0.9],
  durationNs: 2_000 * MS,
  seed: 1,
};

/** Options of `calibrate` that take a value. */
const VALUE_OPTIONS: readonly string[] = ["--out", "--loads", "--duration", "--seed"];

/** Parses the command line of `calibrate`; throws InputError on bad input. */
export function parseCalibrateOptions(args: readonly string[]): CalibrateOptions | "help" {
  // "--seed -1" would read as a missing value then an option -1: glue a
  // value that looks negative to its option, so that our own check names it.
  const glued: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (VALUE_OPTIONS.includes(args[i]!) && next !== undefined && /^-\d/.test(next)) {
      glued.push(`${args[i]}=${next}`);
      i++;
    } else {
      glued.push(args[i]!);
    }
  }
  let values;
  try {
    values = parseArgs({
      args: glued,
      options: {
        out: { type: "string" },
        compare: { type: "boolean" },
        loads: { type: "string" },
        duration: { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    throw new InputError(message.replace(/\.$/, ""));
  }
  if (values.help) return "help";
  const d = DEFAULT_CALIBRATE_OPTIONS;
  const out = values.out ?? d.out;
  if (out.trim() === "") throw new InputError("Bad --out: expected a directory");
  const loads = values.loads === undefined ? d.loads : values.loads.split(",").map((text) => {
    const value = Number(text.trim());
    if (text.trim() === "" || !(value > 0 && value <= 2)) {
      throw new InputError(
        `Bad --loads "${values.loads}": expected fractions of capacity in (0, 2], e.g. 0.1,0.5,0.7`,
      );
    }
    return value;
  });
  if (loads.length > 20) throw new InputError("Bad --loads: at most 20 loads");
  const durationNs = values.duration === undefined
    ? d.durationNs
    : parseDuration(values.duration, "--duration");
  if (durationNs < 20 * MS || durationNs > 600_000 * MS) {
    throw new InputError(
      `Bad --duration ${formatDuration(durationNs)}: expected 20ms to 600s per load`,
    );
  }
  const seedText = values.seed ?? String(d.seed);
  const seed = Number(seedText);
  if (seedText.trim() === "" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InputError(`Bad --seed "${seedText}": expected an integer from 0 to 4294967295`);
  }
  return { out, compare: values.compare ?? false, loads, durationNs, seed };
}

/**
 * Runs `calibrate` with its command-line arguments; returns the exit code.
 * Bad input throws {@link InputError} (the CLI prints it and exits with 2).
 *
 * @example
 * ```ts
 * import { runCalibrate } from "./calibrate_command.ts";
 * let text = "";
 * const io = { out: (t: string) => text += t, err: () => {}, errIsTerminal: false };
 * const code = await runCalibrate(["--help"], io);
 * if (code !== 0 || !text.includes("--compare")) throw new Error("no help");
 * ```
 */
export async function runCalibrate(
  args: readonly string[],
  io: CalibrateIo,
  options: RunCalibrateOptions = {},
): Promise<number> {
  const parsed = parseCalibrateOptions(args);
  if (parsed === "help") {
    io.out(CALIBRATE_HELP + "\n");
    return 0;
  }
  const out = parsed.out;
  await checkOutput(out);
  io.err("calibrate: measuring wake-up and context-switch costs...\n");
  const measurements = await measureHostCosts(options.measure ?? {});
  const host = hostCostProfile(measurements);
  io.out(formatMeasurements(measurements, host));
  const files = new Map<string, string | Uint8Array>();
  files.set("host_costs.json", costProfileJson(host));
  files.set("measurements.json", JSON.stringify(measurements, null, 2) + "\n");
  if (parsed.compare) {
    io.err("calibrate: calibrating the busy loop...\n");
    const iterationsPerUs = await calibrateBusyLoop();
    const comparison = await compareHostAndEmulation({
      loads: parsed.loads,
      durationNs: parsed.durationNs,
      seed: parsed.seed,
      costs: host.profile,
      iterationsPerUs,
      canPin: measurements.pinned,
      onProgress: (line) => io.err(`calibrate: ${line}\n`),
    });
    io.out(formatComparison(comparison));
    await addComparisonFiles(files, comparison, {
      measurements,
      host,
      iterationsPerUs,
      seed: parsed.seed,
    });
  }
  await writeDirAtomic(out, files);
  io.out(`wrote ${out}/ (${[...files.keys()].join(", ")})\n`);
  io.out(`use the profile with --costs ${join(out, "host_costs.json")}\n`);
  return 0;
}

async function addComparisonFiles(
  files: Map<string, string | Uint8Array>,
  comparison: CompareResult,
  context: {
    measurements: HostMeasurements;
    host: HostCostProfile;
    iterationsPerUs: number;
    seed: number;
  },
): Promise<void> {
  const spec = comparisonFigure(comparison);
  // Loaded here, not at start: every command loads this module, and only
  // calibrate --compare draws (vega and resvg take about 80 ms to load).
  const { renderPng, renderSvg } = await import("../render/render.ts");
  const svg = await renderSvg(spec);
  files.set(`${FIGURE_NAME}.csv`, toCsv(comparison.points));
  files.set(`${FIGURE_NAME}.stages.csv`, toCsv(comparison.stages));
  files.set(`${FIGURE_NAME}.cdf.csv`, toCsv(comparison.cdf));
  files.set(`${FIGURE_NAME}.vl.json`, JSON.stringify(spec, null, 2) + "\n");
  files.set(`${FIGURE_NAME}.svg`, svg);
  files.set(`${FIGURE_NAME}.png`, renderPng(svg));
  files.set(
    "summary.json",
    JSON.stringify(
      {
        measurements: context.measurements,
        costs: context.host.profile,
        measured: context.host.measured,
        busyLoopIterationsPerUs: Math.round(context.iterationsPerUs * 10) / 10,
        comparison,
      },
      null,
      2,
    ) + "\n",
  );
  const worst = comparison.points
    .filter((p) => p.loadFraction <= 0.7 && p.flagged === "")
    .sort((a, b) => Math.abs(b.p99ErrorPct ?? 0) - Math.abs(a.p99ErrorPct ?? 0))[0];
  const flagged = comparison.points.filter((p) => p.flagged !== "").length;
  files.set(
    "index.html",
    renderIndexHtml({
      title: "ghostbench calibrate: host against emulation",
      suite: "calibrate",
      seed: context.seed,
      manifest: "measurements.json",
      figures: [{
        name: FIGURE_NAME,
        title: "Host against emulation",
        caption: "p50 and p99 latency of a RocksDB-like server on real threads (host) and in " +
          "the emulator on a machine like the host (emulation: host-measured costs; also with " +
          "the paper's costs), against offered load, and the latency distribution at one load. " +
          comparison.notes.join(" "),
        settings: {
          cpus: comparison.cpus,
          structure: `${comparison.structure} of ${comparison.workers} workers`,
          capacity: `${comparison.capacityRps} req/s`,
          duration: formatDuration(comparison.durationNs),
          warmup: formatDuration(comparison.warmupNs),
          "emulated tick": `${comparison.tickHz} Hz`,
          "emulated fair class": `${comparison.fairClass} (host Linux ${
            comparison.kernelRelease ?? "unknown"
          })`,
          "context switch (host)": `${context.host.profile.cfsContextSwitch} ns`,
          "idle wake-up (host)": `${context.measurements.idleWakeup.median} ns median`,
          "flagged runs": flagged,
        },
        svg,
        claims: [{
          claim: comparison.claim,
          holds: comparison.p99ErrorPct !== null,
          evidence: worst === undefined
            ? "no undisturbed run at or below 70% load"
            : `worst at ${
              Math.round(worst.loadFraction * 100)
            }% load: host p99 ${worst.hostP99Us} µs, emulation ${worst.emuP99Us} µs`,
        }],
        table: {
          title: "Per load (errors in % of the host's value)",
          rows: comparison.points.map((p) => ({ ...p })),
        },
        links: [
          { label: "spec", href: `${FIGURE_NAME}.vl.json` },
          { label: "data", href: `${FIGURE_NAME}.csv` },
          { label: "stages", href: `${FIGURE_NAME}.stages.csv` },
          { label: "PNG", href: `${FIGURE_NAME}.png` },
          { label: "cost profile", href: "host_costs.json" },
        ],
      }],
    }),
  );
}

function formatMeasurements(m: HostMeasurements, host: HostCostProfile): string {
  const line = (label: string, d: Measured) =>
    `  ${label.padEnd(22)} median ${us(d.median)}  p99 ${us(d.p99)}  n ${d.n}\n`;
  const load = m.loadAverage === null ? "unknown" : m.loadAverage.join(" ");
  const group = m.autogroupNice === null ? "" : `, autogroup nice ${m.autogroupNice}`;
  const activity = m.activity === null
    ? "unknown"
    : `steal ${pct(m.activity.steal)}, other processes ${pct(m.activity.foreign)}`;
  return `host: Linux ${m.kernel}, ${m.cpus} CPUs, load average ${load}${group}, ${
    m.pinned ? "threads pinned" : "threads not pinned"
  }\n` +
    line("cross-CPU round trip", m.crossCpuRoundTrip) +
    line("same-CPU round trip", m.sameCpuRoundTrip) +
    line("idle wake-up", m.idleWakeup) +
    `  while measuring: ${activity} of the CPU time\n` +
    `profile "host": cfsContextSwitch ${host.profile.cfsContextSwitch} ns, ipi ${host.profile.ipi} ns (measured); the other fields are the paper's\n`;
}

function formatComparison(c: CompareResult): string {
  const lines = [
    `comparison: ${c.cpus} CPUs, ${c.structure} of ${c.workers} workers, capacity ${c.capacityRps} req/s, ${
      formatDuration(c.durationNs)
    } per load, emulated fair class ${c.fairClass} (host Linux ${c.kernelRelease ?? "unknown"})`,
    "  load   offered   host p50   emu p50    host p99   emu p99    p99 err  steal  others  flag",
  ];
  for (const p of c.points) {
    lines.push(
      `  ${`${Math.round(p.loadFraction * 100)}%`.padStart(4)} ${
        String(p.offeredRps).padStart(9)
      } ${num(p.hostP50Us)} ${num(p.emuP50Us)} ${num(p.hostP99Us)} ${num(p.emuP99Us)} ${
        (p.p99ErrorPct === null ? "n/a" : `${p.p99ErrorPct}%`).padStart(8)
      } ${`${p.stealPct}%`.padStart(6)} ${`${p.foreignPct}%`.padStart(7)}  ${p.flagged}`,
    );
  }
  lines.push(`  latencies in µs; ${c.claim}`);
  for (const note of c.notes) lines.push(`  note: ${note}`);
  return lines.join("\n") + "\n";
}

/**
 * Refuses an output path that exists and is not a calibrate output (so a
 * mistyped --out never replaces a bench report), and checks that its parent
 * can be written.
 */
async function checkOutput(out: string): Promise<void> {
  let entries: string[] | null = null;
  try {
    entries = [...Deno.readDirSync(out)].map((e) => e.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new InputError(`Cannot use --out "${out}": it exists and is not a directory`);
    }
  }
  if (entries !== null && entries.length > 0 && !entries.includes("host_costs.json")) {
    throw new InputError(
      `Cannot use --out "${out}": it holds other files (no host_costs.json); calibrate replaces its output directory whole`,
    );
  }
  await ensureWritableDir(dirname(out) === "" ? "." : dirname(out));
}

/** Writes the files into a fresh directory beside `out`, then renames it into place. */
async function writeDirAtomic(out: string, files: Map<string, string | Uint8Array>) {
  const parent = dirname(out);
  const temp = join(parent, `.${basename(out)}.${Deno.pid}.tmp`);
  const old = join(parent, `.${basename(out)}.${Deno.pid}.old`);
  await Deno.remove(temp, { recursive: true }).catch(() => {});
  await Deno.mkdir(temp, { recursive: true });
  try {
    for (const [name, data] of files) {
      if (typeof data === "string") await Deno.writeTextFile(join(temp, name), data);
      else await Deno.writeFile(join(temp, name), data);
    }
    let replaced = false;
    try {
      await Deno.rename(out, old);
      replaced = true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await Deno.rename(temp, out);
    if (replaced) await Deno.remove(old, { recursive: true });
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw error;
  }
}

function us(ns: number): string {
  return `${(ns / 1000).toFixed(1)} µs`.padStart(11);
}

function num(value: number): string {
  return value.toFixed(1).padStart(10);
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}
