/**
 * The `run` command line: its flags (the general options of a run, every
 * workload's own options, lifecycle events, output), a configuration read
 * from `--config FILE` that the flags override, and its help, generated from
 * the same declarations.
 *
 * @module
 */

import type { LifecycleEvent, LifecycleKind } from "../../core/agent_supervisor.ts";
import { InputError } from "../../core/errors.ts";
import type { OptionSpec, OptionSpecs, OptionValue } from "../../core/options.ts";
import { checkOption } from "../../core/options.ts";
import { parseDuration } from "../../core/units.ts";
import { POLICIES } from "../../policies/registry.ts";
import { policySourceKind } from "../../policies/sources.ts";
import { WORKLOADS } from "../../workloads/registry.ts";
import {
  DEFAULT_RUN_CONFIG,
  GENERAL_OPTIONS,
  LIFECYCLE_OPTIONS,
  type ResolvedRunConfig,
  resolveRunConfig,
  RUN_OPTIONS,
  type RunConfig,
  runConfigFromJson,
} from "../experiment/run_config.ts";
import {
  DEFAULT_TRACE_WINDOW_NS,
  MAX_TRACE_WINDOW_NS,
  type TraceOutput,
} from "../experiment/trace_recorder.ts";
import { flagOf, type FlagSpec, helpEntry, optionHelp, parseFlags, valueFromText } from "./args.ts";
import { userPath } from "./user_path.ts";

/** What `run` was asked to do. */
export interface RunArgs {
  /** The configuration, checked and resolved. */
  config: ResolvedRunConfig;
  /** Print JSON instead of a table. */
  json: boolean;
  /** Where to write a trace, or null. */
  trace: TraceOutput | null;
}

/**
 * A part of a run that declares its own options: a workload (a policy may
 * join them the same way: its flags, its check, its help section).
 */
interface OptionOwner {
  /** What it is, for messages and help: `workload`. */
  readonly kind: string;
  /** Its name. */
  readonly name: string;
  /** Its declared options. */
  readonly options: OptionSpecs;
}

/**
 * Every part that declares options: the workloads, then the policies that
 * have options. Read at each parse, so that policies and workloads
 * registered after this module loaded (a user's file) take part.
 */
function owners(): OptionOwner[] {
  return [
    ...Object.values(WORKLOADS).map((w) => ({
      kind: "workload",
      name: w.name,
      options: w.options,
    })),
    ...Object.values(POLICIES).flatMap((p) =>
      p.options === undefined ? [] : [{ kind: "policy", name: p.name, options: p.options }]
    ),
  ];
}

/** Every key the parts declare: one flag each, whichever parts share it. */
function ownedKeys(): Set<string> {
  const keys = new Set<string>();
  for (const owner of owners()) {
    for (const [key, spec] of Object.entries(owner.options)) {
      if (Object.hasOwn(GENERAL_OPTIONS, key) || spec.kind === "boolean") {
        throw new Error(`The ${owner.kind} ${owner.name} declares ${key}: not a run flag`);
      }
      keys.add(key);
    }
  }
  return keys;
}

/** The flags of `run`. */
function runFlags(): Record<string, FlagSpec> {
  return {
    config: { type: "string" },
    ...Object.fromEntries(
      [...Object.keys(GENERAL_OPTIONS), ...ownedKeys()].map((key) => [
        flagOf(key),
        { type: "string" } as const,
      ]),
    ),
    event: { type: "string", multiple: true },
    json: { type: "boolean" },
    trace: { type: "string" },
    "trace-window": { type: "string" },
    help: { type: "boolean", short: "h" },
  };
}

/** How `run` names a configuration key in messages: its flag. */
export function runLabel(key: string): string {
  return key === "events" ? "--event" : key === "workloadOptions" ? key : `--${flagOf(key)}`;
}

/**
 * Parses `run`'s arguments into a checked configuration: the defaults, then
 * `--config FILE`, then the flags. Throws InputError on bad input, naming the
 * flag and the text given to it.
 *
 * @example
 * ```ts
 * import { parseRunArgs } from "./run_args.ts";
 * const { config } = parseRunArgs(["--workload", "rocksdb", "--range-ratio", "0", "--cpus", "4"]);
 * if (config.workloadOptions.rangeRatio !== 0 || config.cpus !== 4) throw new Error("wrong");
 * ```
 */
export function parseRunArgs(args: readonly string[]): RunArgs {
  const { values } = parseFlags(args, runFlags());
  const flag = (name: string) => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const base = flag("config") === undefined ? DEFAULT_RUN_CONFIG : readConfig(flag("config")!);
  const texts: Record<string, string> = {};
  const general = readOptions(GENERAL_OPTIONS, flag, texts);
  const workload = String(general.workload ?? base.workload);
  // The file's workload options hold for its workload only; flags override them.
  const fileOptions: unknown = workload === base.workload ? base.workloadOptions ?? {} : {};
  const flagOptions = readOwnOptions({ kind: "workload", name: workload }, flag, texts);
  const workloadOptions = typeof fileOptions === "object" && fileOptions !== null
    ? { ...fileOptions, ...flagOptions }
    : fileOptions; // not options at all: resolveRunConfig names it
  // Likewise the file's policy options hold for its policy only.
  const policy = String(general.policy ?? base.policy);
  const filePolicyOptions: unknown = policy === base.policy ? base.policyOptions ?? {} : {};
  const flagPolicyOptions = readOwnOptions({ kind: "policy", name: policy }, flag, texts);
  const policyOptions = typeof filePolicyOptions === "object" && filePolicyOptions !== null
    ? { ...filePolicyOptions, ...flagPolicyOptions }
    : filePolicyOptions;
  const config = { ...base, ...general, workloadOptions, policyOptions } as RunConfig;
  // A preset or a CPU count on the command line replaces the other from the file.
  if (general.cpus !== undefined && general.machine === undefined) delete config.machine;
  if (general.machine !== undefined && general.cpus === undefined) delete config.cpus;
  const events = values.event;
  if (Array.isArray(events)) config.events = events.map(parseLifecycleEvent);
  return {
    config: resolveRunConfig(config, { label: runLabel, texts }),
    json: values.json === true,
    trace: parseTraceOptions(flag("trace"), flag("trace-window")),
  };
}

/** The values of the declared options given as flags, read from their text. */
function readOptions(
  specs: OptionSpecs,
  flag: (name: string) => string | undefined,
  texts: Record<string, string>,
): Record<string, OptionValue> {
  const values: Record<string, OptionValue> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const text = flag(flagOf(key));
    if (text === undefined) continue;
    texts[key] = text;
    values[key] = valueFromText(spec, text, runLabel(key));
  }
  return values;
}

/**
 * The options of one part given as flags (`kind` `name`, e.g. workload
 * rocksdb); a flag that only other parts declare is an InputError.
 */
function readOwnOptions(
  owner: { kind: string; name: string },
  flag: (name: string) => string | undefined,
  texts: Record<string, string>,
): Record<string, OptionValue> {
  const parts = owners();
  const own = parts.find((o) => o.kind === owner.kind && o.name === owner.name) ??
    (owner.kind === "policy" && Object.hasOwn(POLICIES, owner.name)
      ? { kind: "policy", name: owner.name, options: {} }
      : undefined);
  if (own === undefined) return {}; // an unknown name: resolveRunConfig names it
  // A key is checked against the parts of the same kind: a workload's flag
  // is none of the policy's business, and the reverse.
  const keys = new Set(
    parts.filter((o) => o.kind === owner.kind).flatMap((o) => Object.keys(o.options)),
  );
  for (const key of keys) {
    if (Object.hasOwn(own.options, key) || flag(flagOf(key)) === undefined) continue;
    const flags = Object.keys(own.options).map(runLabel);
    throw new InputError(
      `Option ${runLabel(key)} does not apply to ${own.kind} ${own.name}: ${
        flags.length === 0 ? "it takes no options" : `its options are ${flags.join(", ")}`
      }`,
    );
  }
  return readOptions(own.options, flag, texts);
}

/** Reads `--config FILE`: a run's `config` as JSON, or a whole `run --json` output. */
function readConfig(path: string): RunConfig {
  let text: string;
  try {
    text = Deno.readTextFileSync(userPath(path));
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
    throw new InputError(`Cannot read --config "${path}": ${why.split("\n")[0]}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `Bad --config "${path}": not JSON (${error instanceof Error ? error.message : error})`,
    );
  }
  return runConfigFromJson(json);
}

/**
 * Parses `KIND@TIME` or `swap:POLICY@TIME` (`upgrade@5s`, `swap:shinjuku@1s`);
 * throws InputError on bad input. Whether the run can take the event is
 * checked with the rest of the configuration.
 *
 * @example
 * ```ts
 * import { parseLifecycleEvent } from "./run_args.ts";
 * const event = parseLifecycleEvent("swap:shinjuku@1.5ms");
 * if (event.kind !== "swap" || event.atNs !== 1_500_000 || event.policy !== "shinjuku") {
 *   throw new Error("wrong");
 * }
 * ```
 */
export function parseLifecycleEvent(spec: string): LifecycleEvent {
  // The time follows the last @ (a policy source may hold one: npm:pkg@1.0).
  const match = /^(upgrade|crash|reboot|swap:(.+))@([^@]+)$/.exec(spec.trim());
  if (match === null) {
    throw new InputError(
      `Bad --event "${spec}": expected upgrade@TIME, crash@TIME, reboot@TIME or swap:POLICY@TIME`,
    );
  }
  const atNs = parseDuration(match[3]!, "--event time");
  if (match[2] !== undefined) return { kind: "swap", atNs, policy: match[2] };
  return { kind: match[1] as LifecycleKind, atNs };
}

/**
 * The policy sources (policy files, `exec:` agents) that `run` arguments
 * name, in `--policy`, in `swap:SOURCE@T` events, and in the configuration
 * of `--config FILE`: what must be loaded before the arguments are parsed
 * (a loaded policy's options are flags). Bad arguments are left to
 * {@link parseRunArgs}.
 *
 * @example
 * ```ts
 * import { policySourcesOf } from "./run_args.ts";
 * const sources = policySourcesOf(["--policy", "./my.ts", "--event", "swap:exec:./agent@1s"]);
 * if (sources.join(" ") !== "./my.ts exec:./agent") throw new Error("wrong");
 * ```
 */
export function policySourcesOf(args: readonly string[]): string[] {
  const values = (flag: string) =>
    args.flatMap((arg, i) =>
      arg === `--${flag}`
        ? (args[i + 1] === undefined ? [] : [args[i + 1]!])
        : arg.startsWith(`--${flag}=`)
        ? [arg.slice(flag.length + 3)]
        : []
    );
  const names = [...values("policy")];
  const swaps = (events: readonly unknown[]) => {
    for (const event of events) {
      if (typeof event === "string") {
        const match = /^swap:(.+)@[^@]+$/.exec(event.trim());
        if (match !== null) names.push(match[1]!);
      } else if (typeof event === "object" && event !== null) {
        const policy = (event as { policy?: unknown }).policy;
        if (typeof policy === "string") names.push(policy);
      }
    }
  };
  swaps(values("event"));
  const configPath = values("config").at(-1);
  if (configPath !== undefined) {
    try {
      const config = runConfigFromJson(JSON.parse(Deno.readTextFileSync(userPath(configPath))));
      names.push(config.policy);
      if (Array.isArray(config.events)) swaps(config.events);
    } catch {
      // parseRunArgs reports a bad file
    }
  }
  return [...new Set(names.filter((name) => policySourceKind(name) !== null))];
}

/** The trace window: at least 1 ns, at most {@link MAX_TRACE_WINDOW_NS}. */
const TRACE_WINDOW: OptionSpec = {
  kind: "duration",
  min: 1,
  max: MAX_TRACE_WINDOW_NS,
  help: "virtual time the trace covers, from 0",
};

/**
 * Reads `--trace FILE` and `--trace-window TIME` (undefined when not
 * given): null without `--trace`.
 *
 * @throws {InputError} on an empty file name, a window that is not a
 * duration from 1ns to {@link MAX_TRACE_WINDOW_NS}, or a window without
 * `--trace`
 *
 * @example
 * ```ts
 * import { parseTraceOptions } from "./run_args.ts";
 * const output = parseTraceOptions("run.json", "2ms");
 * if (output?.windowNs !== 2_000_000) throw new Error("wrong");
 * ```
 */
export function parseTraceOptions(
  path: string | undefined,
  window: string | undefined,
): TraceOutput | null {
  if (path === undefined) {
    if (window !== undefined) throw new InputError("Option --trace-window needs --trace FILE");
    return null;
  }
  if (path.trim() === "") throw new InputError(`Bad --trace "${path}": expected a file name`);
  if (window === undefined) return { path, windowNs: DEFAULT_TRACE_WINDOW_NS };
  const label = "--trace-window";
  const windowNs = checkOption(TRACE_WINDOW, parseDuration(window, label), { label, text: window });
  return { path, windowNs: windowNs as number };
}

const DISTRIBUTION_SYNTAX = [
  "const:10us  exp:20us  uniform:5us,15us  lognormal:20us,1.5",
  "bimodal:10us,5ms,0.005 (short, long, P(long))",
  "empirical:FILE.csv (first column, microseconds or with unit)",
].map((line) => " ".repeat(24) + line).join("\n");

/** Help lines of declared options, with the distribution syntax after a distribution. */
function optionsHelp(specs: OptionSpecs): string[] {
  return Object.entries(specs).flatMap(([key, spec]) =>
    spec.kind === "distribution"
      ? [optionHelp(flagOf(key), spec), DISTRIBUTION_SYNTAX]
      : [optionHelp(flagOf(key), spec)]
  );
}

function ownersHelp(): string[] {
  return owners().flatMap((owner) => {
    const options = optionsHelp(owner.options);
    const title = `${owner.kind[0]!.toUpperCase()}${owner.kind.slice(1)} ${owner.name}:`;
    return ["", options.length === 0 ? `${title} no options` : title, ...options];
  });
}

function policiesHelp(): string[] {
  const plain = Object.values(POLICIES).filter((p) => p.options === undefined).map((p) => p.name);
  return [
    "",
    `Policies with no options: ${plain.join(", ")}`,
    "",
    "Your own policy (--policy, and swap:POLICY@T):",
    helpEntry(
      "FILE.ts",
      "a policy file (.ts, .js, file:, npm:) whose default export is a definePolicy({...}) " +
        "definition; see examples/policies/lifo.ts",
    ),
    helpEntry(
      "'exec:CMD ARGS'",
      "an agent in another process, in any language, speaking the JSON Lines protocol of " +
        "policies/exec/README.md (see examples/agents/); its option --agent-timeout T is the " +
        "wall-clock time it may take to answer (default 10s)",
    ),
    "",
    "Exit status: 0; 2 on bad input; 3 when a policy failed (an exception, an agent that",
    "crashed) without an --event injecting it: the failure is on stderr, and its threads",
    "fell back to CFS (the watchdog) or to a restarted agent (--restart-delay).",
  ];
}

/** The help of `run`, generated from the declared options. */
export function runHelp(): string {
  return [
    "Usage: deno task ghostbench run [options]",
    "",
    "Runs one experiment in the emulator and prints its summary. The configuration",
    "starts from the defaults, or from --config FILE, and the flags override it.",
    "Relative paths (--config, --trace) are read from the directory you ran it in.",
    "",
    "General:",
    helpEntry(
      "--config FILE",
      "start from this configuration: the \"config\" of a 'run --json' output, or all of it",
    ),
    ...optionsHelp(RUN_OPTIONS),
    "",
    "Lifecycle (ghOSt policies; reboot works under any):",
    helpEntry(
      "--event E",
      "inject an event, repeatable: upgrade@T, crash@T, swap:POLICY@T, reboot@T " +
        "(T a time, e.g. 500ms; POLICY a name, a policy file or exec:COMMAND)",
    ),
    ...optionsHelp(LIFECYCLE_OPTIONS),
    "",
    "Output:",
    helpEntry("--json", "print one JSON object instead of a table"),
    helpEntry(
      "--trace FILE.json",
      "also write a trace of the run's first milliseconds (CPUs, threads, ghOSt " +
        "messages and commits) for ui.perfetto.dev or chrome://tracing",
    ),
    helpEntry(
      "--trace-window TIME",
      "virtual time the trace covers, from 0 (default 5ms, at most 1s)",
    ),
    helpEntry("-h, --help", "show this text"),
    ...ownersHelp(),
    ...policiesHelp(),
    "",
    "Examples:",
    "  deno task ghostbench run --policy cfs --workload synthetic --load 50000 \\",
    "    --service exp:20us --cpus 4 --duration 2s --warmup 200ms --seed 1 --costs ideal --json",
    "  deno task ghostbench run --workload rocksdb --policy shinjuku --load 100000",
    "  deno task ghostbench run --workload rocksdb --policy shinjuku --load 40000 --event upgrade@1s",
    "  deno task ghostbench run --workload rocksdb --json > run.json",
    "  deno task ghostbench run --config run.json --policy shinjuku",
  ].join("\n");
}
