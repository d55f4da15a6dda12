/**
 * The `ghostbench` command line: `run`, `list`, `bench`, `help`. Bad input
 * becomes one line on stderr and exit code 2; bugs keep their stack trace.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { COST_DESCRIPTIONS } from "../../core/cost_profile.ts";
import { InputError } from "../../core/errors.ts";
import { TOPOLOGY_DESCRIPTIONS } from "../../core/topology.ts";
import { parseDuration } from "../../core/units.ts";
import { POLICIES } from "../../policies/registry.ts";
import { WORKLOADS } from "../../workloads/registry.ts";
import { BENCH_HELP, MERGE_HELP, parseBenchOptions, runBench, runMerge } from "../bench/bench.ts";
import { formatRunResult } from "./format_result.ts";
import { DEFAULT_RUN_CONFIG, type RunConfig, runExperiment } from "../experiment/run_experiment.ts";
import {
  checkTracePath,
  parseTraceOptions,
  type TraceOutput,
  TraceRecorder,
  writeTrace,
} from "../experiment/trace_recorder.ts";

const VERSION = "0.1.0";

const MAIN_HELP = `ghostbench ${VERSION}: emulate ghOSt-style user-space scheduling and measure it

Usage: deno task ghostbench <command> [options]

Commands:
  run     run one experiment and print its summary
  list    list the policies, workloads, machine presets and cost profiles
  bench   regenerate the paper-style figures and check the paper's claims
  merge   join the outputs of sharded bench runs into one report
  help    show this text, or 'help <command>'

Run 'deno task ghostbench <command> --help' for a command's options.`;

const D = DEFAULT_RUN_CONFIG;
const RUN_HELP = `Usage: deno task ghostbench run [options]

Runs one experiment in the emulator and prints its summary.

Experiment:
  --policy NAME       scheduling policy (default ${D.policy}; see 'list')
  --workload NAME     workload (default ${D.workload}; see 'list')
  --load RATE         offered load, requests per second (default ${D.load})
  --machine NAME      machine preset (default ${D.machine}; see 'list')
  --cpus N            a flat machine of N CPUs instead of a preset
  --duration TIME     virtual time to run, e.g. 2s, 500ms (default 2s)
  --warmup TIME       discarded from every metric (default 200ms)
  --seed N            seed of every random stream (default ${D.seed})
  --costs NAME        cost profile: paper or ideal (default ${D.costs})
  --tick-hz HZ        timer tick frequency (default ${D.tickHz})
  --slice TIME        policy time slice: shinjuku (default 30us),
                      fifo-centralized (default none)

Workload:
  --service DIST      synthetic service time (default ${D.service}):
                        const:10us  exp:20us  uniform:5us,15us  lognormal:20us,1.5
                        bimodal:10us,5ms,0.005 (short, long, P(long))
                        empirical:FILE.csv (first column, microseconds or with unit)
  --workers K         worker threads (default: the workload's own: synthetic 0 =
                      one thread per request; rocksdb 6 under cfs, 200 under
                      shinjuku, 11 under other ghOSt policies; antagonist 7)
  --antagonists N     co-locate N spinning batch threads (nice +19 under cfs,
                      the lowest QoS under ghOSt policies; default 0)
  --get-exp-mean TIME rocksdb: exponential part added to each 10 us Get (default none)
  --range-duration T  rocksdb: duration of a Range request (default 5ms)
  --range-ratio P     rocksdb: probability of a Range (default ${D.rangeRatio})
  --wait futex|spin   rocksdb: how idle cfs workers wait (default ${D.wait})

Lifecycle (ghOSt policies; reboot works under any):
  --event E           inject an event, repeatable: upgrade@T, crash@T,
                      swap:POLICY@T, reboot@T (T a time, e.g. 500ms)
  --restart-delay T   after a crash, a supervisor restarts the agent after T
                      (default: no restart; the watchdog moves threads to CFS)
  --reboot-time T     how long a reboot keeps requests out (default 1s)
  --watchdog T        enclave runnable timeout (default: off, or 50ms when a
                      crash has no restart; 0 turns it off)
  --window T          time-series window with --event (default 1ms)

Output:
  --json              print one JSON object instead of a table
  --trace FILE.json   also write a trace of the run's first milliseconds (CPUs,
                      threads, ghOSt messages and commits) for ui.perfetto.dev
                      or chrome://tracing
  --trace-window TIME virtual time the trace covers, from 0 (default 5ms, at
                      most 1s)
  -h, --help          show this text

Examples:
  deno task ghostbench run --policy cfs --workload synthetic --load 50000 \\
    --service exp:20us --cpus 4 --duration 2s --warmup 200ms --seed 1 --costs ideal --json
  deno task ghostbench run --workload rocksdb --policy shinjuku --load 100000
  deno task ghostbench run --workload rocksdb --policy shinjuku --load 40000 --event upgrade@1s`;

const LIST_HELP = `Usage: deno task ghostbench list [--json]

Lists the policies, workloads, machine presets and cost profiles.`;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  /** Writes to standard output. */
  out: (text: string) => void;
  /** Writes to standard error. */
  err: (text: string) => void;
  /** Whether standard error is a terminal (progress display). */
  errIsTerminal: boolean;
}

const encoder = new TextEncoder();

/** The process's standard streams. */
export const STD_IO: CliIo = {
  out: (text) => Deno.stdout.writeSync(encoder.encode(text)),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text)),
  errIsTerminal: Deno.stderr.isTerminal(),
};

/**
 * Runs the CLI with the given arguments and returns the exit code: 0 on
 * success, 2 on bad input.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * let text = "";
 * const code = await main(["list"], { out: (t) => text += t, err: () => {}, errIsTerminal: false });
 * if (code !== 0 || !text.includes("cfs")) throw new Error("wrong");
 * ```
 */
export async function main(args: readonly string[], io: CliIo = STD_IO): Promise<number> {
  try {
    return await dispatch(args, io);
  } catch (error) {
    if (error instanceof InputError) {
      io.err(`ghostbench: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function dispatch(args: readonly string[], io: CliIo): Promise<number> | number {
  const [command, ...rest] = args;
  switch (command) {
    case undefined:
    case "help":
    case "-h":
    case "--help": {
      const topic = rest[0];
      if (topic !== undefined && !["run", "list", "bench", "merge", "help"].includes(topic)) {
        throw new InputError(
          `Unknown help topic "${topic}": expected one of run, list, bench, merge`,
        );
      }
      const text = topic === "run"
        ? RUN_HELP
        : topic === "list"
        ? LIST_HELP
        : topic === "bench"
        ? BENCH_HELP
        : topic === "merge"
        ? MERGE_HELP
        : MAIN_HELP;
      io.out(text + "\n");
      return 0;
    }
    case "-V":
    case "--version":
      io.out(`ghostbench ${VERSION}\n`);
      return 0;
    case "run":
      return runCommand(rest, io);
    case "list":
      return listCommand(rest, io);
    case "bench":
      return benchCommand(rest, io);
    case "merge":
      return runMerge(rest, io, VERSION);
    default:
      throw new InputError(
        `Unknown command "${command}": expected one of run, list, bench, merge, help`,
      );
  }
}

function parse<
  T extends Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>,
>(
  args: readonly string[],
  options: T,
) {
  // "--load -5" would read as a missing value followed by option -5: glue a
  // negative number to its string option so that our own check names it.
  const glued: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : "";
    if (
      next !== undefined && /^-\d/.test(next) && Object.hasOwn(options, name) &&
      options[name]!.type === "string"
    ) {
      glued.push(`${arg}=${next}`);
      i++;
    } else {
      glued.push(arg);
    }
  }
  try {
    return parseArgs({ args: glued, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    throw new InputError(message.replace(/\.$/, ""));
  }
}

function parseNumber(text: string, option: string, expected: string): number {
  const value = Number(text.replace(/_/g, ""));
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw new InputError(`Bad ${option} "${text}": expected ${expected}`);
  }
  return value;
}

function parseInteger(text: string, option: string, expected: string): number {
  const value = parseNumber(text, option, expected);
  if (!Number.isInteger(value)) {
    throw new InputError(`Bad ${option} "${text}": expected ${expected}`);
  }
  return value;
}

const RUN_OPTIONS = {
  policy: { type: "string" },
  workload: { type: "string" },
  load: { type: "string" },
  service: { type: "string" },
  workers: { type: "string" },
  machine: { type: "string" },
  cpus: { type: "string" },
  duration: { type: "string" },
  warmup: { type: "string" },
  seed: { type: "string" },
  costs: { type: "string" },
  "tick-hz": { type: "string" },
  slice: { type: "string" },
  "get-exp-mean": { type: "string" },
  "range-duration": { type: "string" },
  "range-ratio": { type: "string" },
  wait: { type: "string" },
  antagonists: { type: "string" },
  event: { type: "string", multiple: true },
  "restart-delay": { type: "string" },
  "reboot-time": { type: "string" },
  watchdog: { type: "string" },
  window: { type: "string" },
  json: { type: "boolean" },
  trace: { type: "string" },
  "trace-window": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses `run` options into a configuration; throws InputError on bad input. */
export function parseRunConfig(
  args: readonly string[],
): { config: RunConfig; json: boolean; trace: TraceOutput | null } {
  const v = parse(args, RUN_OPTIONS);
  if (v.machine !== undefined && v.cpus !== undefined) {
    throw new InputError("Options --machine and --cpus conflict: give one of them");
  }
  const load = v.load === undefined ? D.load : parseNumber(v.load, "--load", "requests per second");
  if (!(load > 0)) {
    throw new InputError(
      `Bad --load "${v.load}": expected a positive number of requests per second`,
    );
  }
  const cpus = v.cpus === undefined
    ? 0
    : parseInteger(v.cpus, "--cpus", "an integer from 1 to 4096");
  if (v.cpus !== undefined && (cpus < 1 || cpus > 4096)) {
    throw new InputError(`Bad --cpus "${v.cpus}": expected an integer from 1 to 4096`);
  }
  const config: RunConfig = {
    policy: v.policy ?? D.policy,
    workload: v.workload ?? D.workload,
    machine: v.machine ?? D.machine,
    cpus,
    load,
    service: v.service ?? D.service,
    workers: v.workers === undefined
      ? D.workers
      : parseInteger(v.workers, "--workers", "an integer from 0 to 100000"),
    durationNs: v.duration === undefined ? D.durationNs : parseDuration(v.duration, "--duration"),
    warmupNs: v.warmup === undefined ? D.warmupNs : parseDuration(v.warmup, "--warmup"),
    seed: v.seed === undefined
      ? D.seed
      : parseInteger(v.seed, "--seed", "an integer from 0 to 4294967295"),
    costs: v.costs ?? D.costs,
    tickHz: v["tick-hz"] === undefined
      ? D.tickHz
      : parseNumber(v["tick-hz"], "--tick-hz", "a frequency in Hz"),
    sliceNs: v.slice === undefined ? D.sliceNs : parseDuration(v.slice, "--slice"),
    getExpMeanNs: v["get-exp-mean"] === undefined
      ? D.getExpMeanNs
      : parseDuration(v["get-exp-mean"], "--get-exp-mean"),
    rangeDurationNs: v["range-duration"] === undefined
      ? D.rangeDurationNs
      : parseDuration(v["range-duration"], "--range-duration"),
    rangeRatio: v["range-ratio"] === undefined
      ? D.rangeRatio
      : parseNumber(v["range-ratio"], "--range-ratio", "a probability from 0 to 1"),
    wait: parseWait(v.wait),
    antagonists: v.antagonists === undefined
      ? D.antagonists
      : parseInteger(v.antagonists, "--antagonists", "an integer from 0 to 4096"),
    events: v.event ?? [],
    restartDelayNs: v["restart-delay"] === undefined
      ? D.restartDelayNs
      : parseDuration(v["restart-delay"], "--restart-delay"),
    rebootNs: v["reboot-time"] === undefined
      ? D.rebootNs
      : parseDuration(v["reboot-time"], "--reboot-time"),
    watchdogNs: v.watchdog === undefined ? D.watchdogNs : parseDuration(v.watchdog, "--watchdog"),
    windowNs: v.window === undefined ? D.windowNs : parseDuration(v.window, "--window"),
  };
  if (v.slice !== undefined && config.sliceNs <= 0) {
    throw new InputError(`Bad --slice "${v.slice}": expected a positive duration`);
  }
  if (v.workers !== undefined && config.workers < 0) {
    throw new InputError(`Bad --workers "${v.workers}": expected an integer from 0 to 100000`);
  }
  if (v.duration !== undefined && config.durationNs <= 0) {
    throw new InputError(`Bad --duration "${v.duration}": expected a positive duration`);
  }
  if (v.warmup !== undefined && config.warmupNs >= config.durationNs) {
    throw new InputError(
      `Bad --warmup "${v.warmup}": expected a warm-up shorter than the duration (${
        v.duration ?? "2s"
      })`,
    );
  }
  const trace = parseTraceOptions(v.trace, v["trace-window"]);
  return { config, json: v.json ?? false, trace };
}

function parseWait(text: string | undefined): "futex" | "spin" {
  if (text === undefined) return D.wait;
  if (text === "futex" || text === "spin") return text;
  throw new InputError(`Bad --wait "${text}": expected futex or spin`);
}

async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(RUN_HELP + "\n");
    return 0;
  }
  const parsed = parseRunConfig(args);
  if (parsed.trace !== null) await checkTracePath(parsed.trace.path);
  return await runAndPrint(parsed, io);
}

async function runAndPrint(
  { config, json, trace }: { config: RunConfig; json: boolean; trace: TraceOutput | null },
  io: CliIo,
): Promise<number> {
  let shown = -1;
  const tracer = trace === null ? undefined : new TraceRecorder(trace.windowNs);
  const result = runExperiment(
    config,
    {
      onProgress: io.errIsTerminal
        ? (fraction) => {
          const percent = Math.floor(fraction * 100);
          if (percent === shown) return;
          shown = percent;
          io.err(`\rrunning ${config.policy}/${config.workload}: ${percent}%`);
          if (fraction >= 1) io.err("\r\x1b[K");
        }
        : undefined,
      tracer,
    },
  );
  if (trace !== null && tracer !== undefined) {
    await writeTrace(trace.path, tracer.toJson(config.durationNs));
  }
  io.out(json ? JSON.stringify(result, null, 2) + "\n" : formatRunResult(result));
  return 0;
}

function listCommand(args: readonly string[], io: CliIo): number {
  const v = parse(args, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (v.help) {
    io.out(LIST_HELP + "\n");
    return 0;
  }
  const sections = {
    policies: Object.fromEntries(Object.values(POLICIES).map((p) => [p.name, p.description])),
    workloads: Object.fromEntries(Object.values(WORKLOADS).map((w) => [w.name, w.description])),
    machines: { ...TOPOLOGY_DESCRIPTIONS, flatN: "--cpus N: N CPUs, one socket, one LLC, no SMT" },
    costs: COST_DESCRIPTIONS,
  };
  if (v.json) {
    io.out(JSON.stringify(sections, null, 2) + "\n");
    return 0;
  }
  const lines: string[] = [];
  for (const [title, entries] of Object.entries(sections)) {
    lines.push(`${title}:`);
    const width = Math.max(...Object.keys(entries).map((k) => k.length));
    for (const [name, text] of Object.entries(entries)) {
      lines.push(`  ${name.padEnd(width)}  ${text}`);
    }
    lines.push("");
  }
  io.out(lines.join("\n"));
  return 0;
}

async function benchCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseBenchOptions(args);
  if (options === "help") {
    io.out(BENCH_HELP + "\n");
    return 0;
  }
  return await runBench(options, io, VERSION);
}
