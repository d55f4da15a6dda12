/**
 * A run's configuration: a general part (workload, policy, machine, load,
 * durations, seed, costs, lifecycle events...) declared here, and the
 * workload's own options, declared by the workload (workloads/*.ts). Every
 * check of a configuration lives in {@link resolveRunConfig}; the command
 * line only reads text into values and names its flags in the messages.
 *
 * @module
 */

import type { LifecycleEvent } from "../../core/agent_supervisor.ts";
import { COST_PROFILES, resolveCostProfile } from "../../core/cost_profile.ts";
import { InputError } from "../../core/errors.ts";
import { FAIR_CLASSES, type FairClassName } from "../../core/kernel.ts";
import {
  checkOption,
  type OptionSpec,
  type OptionSpecs,
  type OptionValues,
  resolveOptions,
} from "../../core/options.ts";
import { MAX_CPUS, TOPOLOGY_PRESETS } from "../../core/topology.ts";
import { formatDuration, MS, SEC } from "../../core/units.ts";
import { POLICIES, type PolicyDefinition, resolvePolicy } from "../../policies/registry.ts";
import { resolveWorkload, WORKLOADS } from "../../workloads/registry.ts";

/**
 * A run's configuration. Optional fields have no placeholder: unset means
 * "the default", which the field's comment spells out.
 */
export interface RunConfig {
  /** Workload name. */
  workload: string;
  /**
   * The workload's own options by key (e.g. `{ rangeRatio: 0 }` for rocksdb);
   * missing ones take the workload's defaults. @default {}
   */
  workloadOptions?: OptionValues;
  /** Policy name. */
  policy: string;
  /**
   * The policy's own options by key (e.g. `{ sliceNs: 50000 }` for
   * shinjuku); missing ones take the policy's defaults. A swap event's
   * policy, if another, starts with its own defaults. @default {}
   */
  policyOptions?: OptionValues;
  /** Machine preset name; give this or `cpus`. @default "paper8" when cpus is unset */
  machine?: string;
  /** A flat machine of this many CPUs instead of a preset. @default unset: the preset */
  cpus?: number;
  /** Offered load, requests per second. */
  load: number;
  /** Spinning antagonist threads co-located with the workload. */
  antagonists: number;
  /** Virtual duration, ns. */
  durationNs: number;
  /** Warm-up discarded from every metric, ns. */
  warmupNs: number;
  /** Seed of every random stream. */
  seed: number;
  /** Cost profile name. */
  costs: string;
  /**
   * The kernel's fair class: `cfs` (Linux before 6.6) or `eevdf` (Linux 6.6
   * on); also what the `cfs` policy runs. @default "cfs"
   */
  fair?: FairClassName;
  /** Timer tick frequency, Hz. */
  tickHz: number;
  /**
   * Slots of each ghOSt message queue, a power of two up to
   * {@link MAX_QUEUE_CAPACITY}. @default 65536
   */
  queueCapacity?: number;
  /** Lifecycle events to inject (upgrade, crash, swap, reboot), in any order. */
  events: readonly LifecycleEvent[];
  /** Restart a crashed agent after this delay, ns. @default no restart (the watchdog decides) */
  restartDelayNs?: number;
  /** How long a reboot keeps the machine from taking requests, ns. */
  rebootTimeNs: number;
  /**
   * Enclave watchdog (runnable timeout), ns; 0: off. @default the policy's
   * own, else 50 ms when a crash event has no restart, else 50 ms armed
   * once an agent crashed with no restart to come (`DEFAULT_WATCHDOG_NS`)
   */
  watchdogNs?: number;
  /** Window of the time series reported with lifecycle events, ns. */
  windowNs: number;
}

/**
 * A configuration after {@link resolveRunConfig}: checked, the machine named
 * (when no CPU count is given) and every workload option with a default
 * filled in. It reproduces the run as it stands.
 */
export interface ResolvedRunConfig extends RunConfig {
  /** The workload's options, defaults filled in. */
  workloadOptions: OptionValues;
  /** The policy's options, defaults filled in. */
  policyOptions: OptionValues;
}

/** The defaults of {@link RunConfig}. */
export const DEFAULT_RUN_CONFIG: RunConfig = {
  workload: "synthetic",
  policy: "cfs",
  load: 50_000,
  antagonists: 0,
  durationNs: 2 * SEC,
  warmupNs: 200 * MS,
  seed: 1,
  costs: "paper",
  tickHz: 1000,
  events: [],
  rebootTimeNs: 1 * SEC,
  windowNs: 1 * MS,
};

/**
 * Highest offered load: 100M requests per second, one every 10 ns. Past it
 * the arrivals alone outnumber what a run can process in reasonable time.
 */
export const MAX_LOAD = 100_000_000;

/** Longest virtual duration (and warm-up) a run accepts: one hour. */
export const MAX_DURATION_NS = 3600 * SEC;

/** Largest ghOSt message queue, in slots (the queue's own limit), and the default. */
export const MAX_QUEUE_CAPACITY = 65536;

/** Most windows a lifecycle time series may have (duration / window). */
export const MAX_WINDOWS = 100_000;

/** The machine preset when a configuration names neither a preset nor a CPU count. */
export const DEFAULT_MACHINE = "paper8";

/** What each fair class is, and the tests that check it (`list`). */
export const FAIR_CLASS_DESCRIPTIONS: Readonly<Record<FairClassName, string>> = {
  cfs: "--fair cfs (default): CFS as before Linux 6.6: vruntime, 6 ms latency x scale, " +
    "wake-up granularity, sleeper credit (tests: core/fair_class_test.ts, core/kernel_test.ts, " +
    "tests/validation_test.ts)",
  eevdf: "--fair eevdf: EEVDF as in Linux 6.6: lag, eligibility against the weighted average " +
    "vruntime, virtual deadlines of a 0.75 ms x scale base slice, run-to-parity (tests: " +
    "core/eevdf_class_test.ts, tests/eevdf_validation_test.ts, tests/validation_test.ts)",
};

/** Keys of the general part that hold one value each (not the events, not the workload's). */
export type GeneralKey = Exclude<keyof RunConfig, "workloadOptions" | "policyOptions" | "events">;

const D = DEFAULT_RUN_CONFIG;

/** The general options of a run, but its lifecycle ones: help order. */
export const RUN_OPTIONS = {
  policy: {
    kind: "choice",
    // A getter: policies registered after this module loaded are choices too.
    get choices(): readonly string[] {
      return Object.keys(POLICIES);
    },
    default: D.policy,
    noun: "policy",
    help: "scheduling policy (see 'list' and the policies below)",
  },
  workload: {
    kind: "choice",
    // A getter: workloads registered after this module loaded are choices too.
    get choices(): readonly string[] {
      return Object.keys(WORKLOADS);
    },
    default: D.workload,
    noun: "workload",
    help: "workload (see 'list'; its options below)",
  },
  load: {
    kind: "number",
    default: D.load,
    min: 0,
    minExclusive: true,
    max: MAX_LOAD,
    help: "offered load, requests per second (10k, 1.5M also read)",
  },
  machine: {
    kind: "choice",
    choices: Object.keys(TOPOLOGY_PRESETS),
    noun: "machine",
    help: `machine preset (default ${DEFAULT_MACHINE}; see 'list')`,
  },
  cpus: {
    kind: "integer",
    min: 1,
    max: MAX_CPUS,
    help: "a flat machine of N CPUs instead of a preset",
  },
  durationNs: {
    kind: "duration",
    default: D.durationNs,
    min: 1,
    max: MAX_DURATION_NS,
    help: "virtual time to run, e.g. 2s, 500ms",
  },
  warmupNs: {
    kind: "duration",
    default: D.warmupNs,
    max: MAX_DURATION_NS,
    help: "discarded from every metric",
  },
  seed: {
    kind: "integer",
    default: D.seed,
    min: 0,
    max: 0xffff_ffff,
    help: "seed of every random stream",
  },
  costs: {
    kind: "choice",
    choices: Object.keys(COST_PROFILES),
    default: D.costs,
    noun: "cost profile",
    help: "cost profile (see 'list'), or a profile file FILE.json (see 'calibrate')",
  },
  fair: {
    kind: "choice",
    choices: FAIR_CLASSES,
    noun: "fair class",
    help: "the kernel's fair class (default cfs): cfs (Linux before 6.6) or eevdf " +
      "(Linux 6.6 on: earliest eligible virtual deadline first)",
  },
  tickHz: { kind: "number", default: D.tickHz, min: 1, max: 100_000, help: "timer tick frequency" },
  queueCapacity: {
    kind: "integer",
    min: 1,
    max: MAX_QUEUE_CAPACITY,
    help: `slots of each ghOSt message queue, a power of two (default ${MAX_QUEUE_CAPACITY}); ` +
      "a full queue drops messages",
  },
  antagonists: {
    kind: "integer",
    default: D.antagonists,
    min: 0,
    max: 4096,
    help: "co-locate N spinning batch threads (nice +19 under cfs, the lowest QoS " +
      "under ghOSt policies)",
  },
} as const satisfies OptionSpecs;

/** The lifecycle options of a run (they matter with events). */
export const LIFECYCLE_OPTIONS = {
  restartDelayNs: {
    kind: "duration",
    help: "after a crash, a supervisor restarts the agent after this delay (default: no " +
      "restart; the watchdog moves threads to CFS)",
  },
  rebootTimeNs: {
    kind: "duration",
    default: D.rebootTimeNs,
    min: 1,
    help: "how long a reboot keeps requests out",
  },
  watchdogNs: {
    kind: "duration",
    help: "enclave runnable timeout; 0: off (default: the policy's own, or 50ms when a " +
      "crash event has no restart, else 50ms armed once an agent crashed with no restart)",
  },
  windowNs: {
    kind: "duration",
    default: D.windowNs,
    min: 1,
    help: "window of the time series reported with events",
  },
} as const satisfies OptionSpecs;

/** Every general option (one value each), by key. */
export const GENERAL_OPTIONS: Readonly<Record<GeneralKey, OptionSpec>> = {
  ...RUN_OPTIONS,
  ...LIFECYCLE_OPTIONS,
};

/** Options of {@link resolveRunConfig}. */
export interface ResolveRunConfigOptions {
  /** How messages name an option key (`events` for the events). @default the key itself */
  label?: (key: string) => string;
  /** The text each value was read from, by key, quoted in messages. @default none */
  texts?: Readonly<Record<string, string>>;
}

/**
 * Checks a configuration and returns it resolved; throws InputError on the
 * first bad value. Every check of a run's configuration lives here: each
 * general option against its declaration, the workload's options against
 * the workload's, then what spans several fields (machine or CPUs, warm-up
 * within the duration, events the policy and workload can take).
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, resolveRunConfig } from "./run_config.ts";
 * const config = resolveRunConfig({ ...DEFAULT_RUN_CONFIG, workload: "rocksdb" });
 * if (config.workloadOptions.rangeRatio !== 0.005 || config.machine !== "paper8") {
 *   throw new Error("wrong");
 * }
 * ```
 */
export function resolveRunConfig(
  config: RunConfig,
  options: ResolveRunConfigOptions = {},
): ResolvedRunConfig {
  const label = options.label ?? ((key: string) => key);
  const texts = options.texts ?? {};
  const given = config as unknown as Readonly<Record<string, unknown>>;
  for (const [key, spec] of Object.entries(GENERAL_OPTIONS)) {
    if (given[key] === undefined) continue;
    if (key === "costs" && typeof given[key] === "string" && given[key].endsWith(".json")) {
      resolveCostProfile(given[key]); // a profile file, e.g. from 'calibrate': read and checked
      continue;
    }
    checkOption(spec, given[key], { label: label(key), text: texts[key] });
  }
  if (config.machine !== undefined && config.cpus !== undefined) {
    throw new InputError(
      `Options ${label("machine")} and ${label("cpus")} conflict: give one of them`,
    );
  }
  const capacity = config.queueCapacity;
  if (capacity !== undefined && (capacity & (capacity - 1)) !== 0) {
    throw new InputError(
      `Bad ${label("queueCapacity")} "${texts.queueCapacity ?? capacity}": expected a power ` +
        `of two from 1 to ${MAX_QUEUE_CAPACITY}`,
    );
  }
  if (config.warmupNs >= config.durationNs) {
    throw new InputError(
      `Bad ${label("warmupNs")} "${texts.warmupNs ?? formatDuration(config.warmupNs)}": ` +
        `expected a warm-up shorter than the duration (${
          texts.durationNs ?? formatDuration(config.durationNs)
        })`,
    );
  }
  if (config.durationNs / config.windowNs > MAX_WINDOWS) {
    throw new InputError(
      `Bad ${label("windowNs")} "${texts.windowNs ?? formatDuration(config.windowNs)}": ` +
        `expected at most ${MAX_WINDOWS} windows in the duration, so at least ${
          formatDuration(Math.ceil(config.durationNs / MAX_WINDOWS))
        }`,
    );
  }
  const workloadOptions = resolvePartOptions(config.workloadOptions, {
    what: "workloadOptions",
    owner: `workload ${config.workload}`,
    specs: resolveWorkload(config.workload).options,
    label,
    texts,
  });
  const policyOptions = resolvePartOptions(config.policyOptions, {
    what: "policyOptions",
    owner: `policy ${config.policy}`,
    specs: resolvePolicy(config.policy).options ?? {},
    label,
    texts,
  });
  const events = checkEvents(config, label("events"));
  const machine = config.cpus === undefined ? config.machine ?? DEFAULT_MACHINE : undefined;
  // In help order, each part after its option (workload, then its options).
  const resolved: Record<string, unknown> = {};
  for (const key of Object.keys(RUN_OPTIONS) as (keyof typeof RUN_OPTIONS)[]) {
    const value = key === "machine" ? machine : config[key];
    if (value !== undefined) resolved[key] = value;
    if (key === "workload") resolved.workloadOptions = workloadOptions;
    if (key === "policy") resolved.policyOptions = policyOptions;
  }
  resolved.events = events;
  for (const key of Object.keys(LIFECYCLE_OPTIONS) as (keyof typeof LIFECYCLE_OPTIONS)[]) {
    if (config[key] !== undefined) resolved[key] = config[key];
  }
  return resolved as unknown as ResolvedRunConfig;
}

/** Where {@link resolvePartOptions} reads a part's declaration and labels. */
interface PartOptions {
  /** The configuration key, for messages: `workloadOptions`. */
  what: string;
  /** The part, for messages: `workload rocksdb`. */
  owner: string;
  /** Its declared options. */
  specs: OptionSpecs;
  /** How a key is named in messages. */
  label: (key: string) => string;
  /** The text each value was read from, by key. */
  texts: Readonly<Record<string, string>>;
}

/** A part's (workload's, policy's) options, checked, defaults filled in. */
function resolvePartOptions(given: unknown, part: PartOptions): OptionValues {
  given ??= {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new InputError(
      `Bad ${part.what} ${JSON.stringify(given)}: expected an object of option values`,
    );
  }
  const values = resolveOptions(part.specs, given as Record<string, unknown>, {
    owner: part.owner,
    label: part.label,
    texts: part.texts,
  });
  // Options left unset are absent, not undefined.
  return values as OptionValues;
}

/**
 * The options of `policy` among `values` (a run's `policyOptions`): those it
 * declares, checked, defaults filled in.
 */
export function policyOptionsOf(policy: PolicyDefinition, values: OptionValues): OptionValues {
  const specs = policy.options ?? {};
  const own = Object.fromEntries(Object.entries(values).filter(([k]) => Object.hasOwn(specs, k)));
  return resolveOptions(specs, own, { owner: `policy ${policy.name}` }) as OptionValues;
}

/** The lifecycle event kinds. */
const EVENT_KINDS: readonly string[] = ["upgrade", "crash", "swap", "reboot"];

/**
 * Writes an event as `KIND@TIME` or `swap:POLICY@TIME` (the command line's
 * syntax), e.g. `upgrade@1s`.
 */
export function formatLifecycleEvent(event: LifecycleEvent): string {
  const kind = event.kind === "swap" ? `swap:${event.policy}` : event.kind;
  return `${kind}@${formatDuration(event.atNs)}`;
}

function checkEvents(config: RunConfig, label: string): LifecycleEvent[] {
  const events: unknown = config.events;
  if (!Array.isArray(events)) {
    throw new InputError(`Bad ${label} ${JSON.stringify(events)}: expected a list of events`);
  }
  const policy = resolvePolicy(config.policy);
  const workload = resolveWorkload(config.workload);
  return events.map((event: unknown) => {
    if (!isEvent(event)) {
      throw new InputError(
        `Bad ${label} ${JSON.stringify(event)}: expected { kind, atNs } with kind one of ` +
          `${EVENT_KINDS.join(", ")} and, for swap, a policy`,
      );
    }
    const bad = (why: string) =>
      new InputError(`Bad ${label} "${formatLifecycleEvent(event)}": ${why}`);
    if (event.atNs >= config.durationNs) {
      throw bad(`expected a time within the run's duration (${formatDuration(config.durationNs)})`);
    }
    if (event.kind !== "reboot" && policy.model === "kernel") {
      throw bad(`policy ${policy.name} has no agent to ${event.kind}`);
    }
    if (event.kind === "swap" && resolvePolicy(event.policy!).model === "kernel") {
      throw bad(`swap to a ghOSt policy, not ${event.policy}`);
    }
    if (event.kind === "reboot" && workload.reboots !== true) {
      throw bad(`workload ${workload.name} does not model reboots`);
    }
    return event;
  });
}

function isEvent(value: unknown): value is LifecycleEvent {
  if (typeof value !== "object" || value === null) return false;
  const event = value as Record<string, unknown>;
  const keys = Object.keys(event);
  return typeof event.kind === "string" && EVENT_KINDS.includes(event.kind) &&
    typeof event.atNs === "number" && Number.isSafeInteger(event.atNs) && event.atNs >= 0 &&
    (event.kind === "swap"
      ? typeof event.policy === "string" && keys.length === 3
      : keys.every((key) => key === "kind" || key === "atNs"));
}

/** Every key a configuration may hold. */
const CONFIG_KEYS: readonly string[] = [
  ...Object.keys(GENERAL_OPTIONS),
  "workloadOptions",
  "policyOptions",
  "events",
];

/**
 * Reads a configuration from parsed JSON: the `config` of a `run --json`
 * output, or that whole output. Missing general fields take their defaults;
 * an unknown key is an InputError; the values are checked later, by
 * {@link resolveRunConfig}.
 *
 * @example
 * ```ts
 * import { runConfigFromJson } from "./run_config.ts";
 * const config = runConfigFromJson({ config: { workload: "rocksdb", load: 20000 } });
 * if (config.workload !== "rocksdb" || config.seed !== 1) throw new Error("wrong");
 * ```
 */
export function runConfigFromJson(value: unknown): RunConfig {
  const config = isObject(value) && isObject(value.config) ? value.config : value;
  if (!isObject(config)) {
    throw new InputError("Bad configuration: expected a JSON object (a run's config)");
  }
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key)) {
      throw new InputError(
        `Unknown configuration key "${key}": expected one of ${CONFIG_KEYS.join(", ")}`,
      );
    }
  }
  return { ...DEFAULT_RUN_CONFIG, ...config } as RunConfig;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
