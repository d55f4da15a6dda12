/**
 * The `ghostbench` command line: `run`, `list`, `bench`, `merge`, `compare`,
 * `calibrate`, `help`. Bad input
 * becomes one line on stderr and exit code 2; bugs keep their stack trace.
 *
 * @module
 */

import { COST_DESCRIPTIONS } from "../../core/cost_profile.ts";
import { InputError } from "../../core/errors.ts";
import { formatDuration } from "../../core/units.ts";
import { TOPOLOGY_DESCRIPTIONS } from "../../core/topology.ts";
import { AgentError } from "../../policies/exec/agent_channel.ts";
import { POLICIES } from "../../policies/registry.ts";
import { loadPolicySource, loadPolicySources, policySourceKind } from "../../policies/sources.ts";
import { WORKLOADS } from "../../workloads/registry.ts";
import { runExperiment } from "../experiment/run_experiment.ts";
import { FAIR_CLASS_DESCRIPTIONS } from "../experiment/run_config.ts";
import { checkTracePath, TraceRecorder, writeTrace } from "../experiment/trace_recorder.ts";
import { EXIT_POLICY_FAILED, parseFlags } from "./args.ts";
import { COMPARE_HELP, runCompare } from "./compare.ts";
import { backlogWarning, formatRunResult, overflowWarning } from "./format_result.ts";
import { parseRunArgs, policySourcesOf, type RunArgs, runHelp } from "./run_args.ts";
import { userPath } from "./user_path.ts";

export { EXIT_POLICY_FAILED } from "./args.ts";

const VERSION = "0.1.0";

const MAIN_HELP = `ghostbench ${VERSION}: emulate ghOSt-style user-space scheduling and measure it

Usage: deno task ghostbench <command> [options]

Commands:
  run        run one experiment and print its summary
  list       list the policies, workloads, machine presets, cost profiles, fair classes
  bench      regenerate the paper-style figures and check the paper's claims
  merge      join the outputs of sharded bench runs into one report
  compare    compare two runs or two bench reports point by point; with
             --fail-above PCT, exit 1 on a regression (for CI)
  calibrate  measure this machine's scheduling costs; --compare: emulation vs host
  help       show this text, or 'help <command>'

Run 'deno task ghostbench <command> --help' for a command's options.`;

/** The commands, for messages. */
const COMMANDS: readonly string[] = [
  "run",
  "list",
  "bench",
  "merge",
  "compare",
  "calibrate",
  "help",
];

const LIST_HELP = `Usage: deno task ghostbench list [--json] [--policy FILE|exec:CMD]...

Lists the policies, workloads, machine presets, cost profiles and fair classes; with
--policy, also that policy file or external agent (loaded and checked).`;

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
 * success, 2 on bad input, 3 ({@link EXIT_POLICY_FAILED}) when `run` or
 * `bench` saw a policy fail without an injected event.
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
      if (topic !== undefined && !COMMANDS.includes(topic)) {
        throw new InputError(
          `Unknown help topic "${topic}": expected one of ${COMMANDS.join(", ")}`,
        );
      }
      return helpText(topic).then((text) => {
        io.out(text + "\n");
        return 0;
      });
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
      return benchModule().then(({ runMerge }) => runMerge(rest, io, VERSION));
    case "calibrate":
      return calibrateModule().then(({ runCalibrate }) => runCalibrate(rest, io));
    case "compare":
      return runCompare(rest, io);
    default:
      throw new InputError(
        `Unknown command "${command}": expected one of ${COMMANDS.join(", ")}`,
      );
  }
}

async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(runHelp() + "\n");
    return 0;
  }
  // Policy files and external agents first: their options are flags.
  await loadPolicySources(policySourcesOf(args));
  const parsed = parseRunArgs(args);
  if (parsed.trace !== null) {
    parsed.trace.path = userPath(parsed.trace.path);
    await checkTracePath(parsed.trace.path);
  }
  return await runAndPrint(parsed, io);
}

async function runAndPrint({ config, json, trace }: RunArgs, io: CliIo): Promise<number> {
  let shown = -1;
  const tracer = trace === null ? undefined : new TraceRecorder(trace.windowNs);
  const failures: { error: unknown; policy: string }[] = [];
  const result = runExperiment(
    config,
    {
      onPolicyError: (error, policy) => failures.push({ error, policy }),
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
  const overflow = overflowWarning(result);
  if (overflow !== null) io.err(`ghostbench: warning: ${overflow}\n`);
  // A crash or an upgrade leaves its own backlog; only a steady run's says the load is too high.
  const backlog = result.lifecycleEvents.length === 0 ? backlogWarning(result) : null;
  if (backlog !== null) io.err(`ghostbench: warning: ${backlog}\n`);
  if (failures.length === 0) return 0;
  const crashes = result.lifecycleEvents.filter((e) => e.cause === "policy error");
  failures.forEach(({ error, policy }, i) => {
    const event = crashes[i];
    const at = event === undefined ? "" : ` at ${formatDuration(Math.round(event.atUs * 1000))}`;
    const then = event === undefined
      ? ""
      : event.policyAfter === "cfs"
      ? "; the watchdog moved its threads to CFS"
      : `; then ${event.policyAfter}`;
    io.err(`ghostbench: policy ${policy} failed${at}${then}:\n${describeFailure(error)}\n`);
  });
  return EXIT_POLICY_FAILED;
}

/** A policy's failure for stderr: the stack, and an external agent's last words. */
export function describeFailure(error: unknown): string {
  const lines = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  const indent = (text: string) => text.split("\n").map((line) => `  ${line}`).join("\n");
  if (error instanceof AgentError) {
    const tail = error.stderrTail === "" ? "(nothing)" : error.stderrTail;
    return `  ${error.message}\n  its last lines on stderr:\n${indent(indent(tail))}`;
  }
  return indent(lines);
}

async function listCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values: v } = parseFlags(args, {
    json: { type: "boolean" },
    policy: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) {
    io.out(LIST_HELP + "\n");
    return 0;
  }
  for (const source of v.policy ?? []) {
    if (policySourceKind(source) === null) {
      throw new InputError(
        `Bad --policy "${source}": expected a policy file (.ts, .js, file:, npm:) or exec:COMMAND`,
      );
    }
    await loadPolicySource(source);
  }
  const sections = {
    policies: Object.fromEntries(Object.values(POLICIES).map((p) => [p.name, p.description])),
    workloads: Object.fromEntries(Object.values(WORKLOADS).map((w) => [w.name, w.description])),
    machines: { ...TOPOLOGY_DESCRIPTIONS, flatN: "--cpus N: N CPUs, one socket, one LLC, no SMT" },
    costs: COST_DESCRIPTIONS,
    fair: FAIR_CLASS_DESCRIPTIONS,
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

/*
 * The bench and calibrate commands load their modules (the figures, the
 * host measurements) when they run: `run` starts without them.
 */
function benchModule(): Promise<typeof import("../bench/bench.ts")> {
  return import("../bench/bench.ts");
}

function calibrateModule(): Promise<typeof import("../calibrate/calibrate_command.ts")> {
  return import("../calibrate/calibrate_command.ts");
}

/** The help text of `topic` (a command), or the main help. */
async function helpText(topic: string | undefined): Promise<string> {
  switch (topic) {
    case "run":
      return runHelp();
    case "list":
      return LIST_HELP;
    case "bench":
      return (await benchModule()).BENCH_HELP;
    case "merge":
      return (await benchModule()).MERGE_HELP;
    case "calibrate":
      return (await calibrateModule()).CALIBRATE_HELP;
    case "compare":
      return COMPARE_HELP;
    default:
      return MAIN_HELP;
  }
}

async function benchCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { BENCH_HELP, parseBenchOptions, runBench } = await benchModule();
  const options = parseBenchOptions(args);
  if (options === "help") {
    io.out(BENCH_HELP + "\n");
    return 0;
  }
  return await runBench(options, io, VERSION);
}
