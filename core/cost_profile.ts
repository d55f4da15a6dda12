/**
 * Cost profiles: how much CPU time each kernel and ghOSt operation takes.
 * `paper` holds the microbenchmark figures of the ghOSt paper (see
 * shared/reference/ghost.md); `ideal` makes every operation free, which is
 * what the closed-form validation tests need.
 *
 * @module
 */

import { InputError } from "./errors.ts";

/** Costs in nanoseconds of CPU time, charged on the CPU that pays them. */
export interface CostProfile {
  /** Profile name. */
  readonly name: string;
  /** A CFS context switch (paper: 599 ns). */
  readonly cfsContextSwitch: number;
  /** A minimal pthread context switch, agent to thread and back (paper: 410 ns). */
  readonly minimalContextSwitch: number;
  /** One system call (paper: 72 ns). */
  readonly syscall: number;
  /** Delivering one message to a local, per-CPU agent (paper: 725 ns). */
  readonly messageDeliveryLocal: number;
  /** Delivering one message to the spinning global agent (paper: 265 ns). */
  readonly messageDeliveryGlobal: number;
  /** An agent committing a thread on its own CPU (paper: 888 ns). */
  readonly localSchedule: number;
  /** The agent's side of a remote commit (paper: 668 ns). */
  readonly remoteScheduleAgent: number;
  /** The target CPU's side of a remote commit (paper: 1064 ns). */
  readonly remoteScheduleTarget: number;
  /** Each further transaction of a group commit, agent side (paper: about 366 ns). */
  readonly groupCommitPerTxn: number;
  /**
   * Flight time of an IPI: of a remote commit, the end-to-end remote schedule
   * (paper: 1772 ns) less the agent side (668) and the target side (1064);
   * also the delay before an idle CPU picks a fair thread woken from another
   * CPU (the reschedule IPI of `try_to_wake_up`). `calibrate` measures it as
   * the host's idle wake-up less a context switch.
   */
  readonly ipi: number;
  /** Cache refill when a thread runs on another LLC than last time (approx.). */
  readonly crossLlcMigration: number;
  /**
   * Starting a new agent process (exec, mapping the enclave's status words,
   * creating queues) before it can attach: an assumption, not a paper figure.
   */
  readonly agentStartup: number;
  /** Discovering one thread on attach (read its status word, ASSOC_QUEUE, synthesize TASK_NEW). */
  readonly discoveryPerThread: number;
}

/** The paper's microbenchmark costs. */
export const PAPER_COSTS: CostProfile = {
  name: "paper",
  cfsContextSwitch: 599,
  minimalContextSwitch: 410,
  syscall: 72,
  messageDeliveryLocal: 725,
  messageDeliveryGlobal: 265,
  localSchedule: 888,
  remoteScheduleAgent: 668,
  remoteScheduleTarget: 1064,
  // A group of 10 costs about 3964 ns on the agent side: 668 + 9 x 366.
  groupCommitPerTxn: 366,
  ipi: 40,
  // Not a paper figure: refilling a few hundred KB of L1/L2 from another
  // LLC or DRAM, a few microseconds.
  crossLlcMigration: 2000,
  // Not paper figures: a process start and mmap in about a millisecond, and
  // two system calls plus policy work per discovered thread.
  agentStartup: 1_000_000,
  discoveryPerThread: 500,
};

/**
 * The share of the global agent's per-decision costs (Table 3's 265 ns
 * delivery and 366 ns per further group transaction) that the agent's own
 * CPU pays in the global-agent scalability experiment. FITTED to the
 * paper's Fig. 5 (§4.1, p.596), Skylake line: the peak of about 2.39M
 * decisions/s at 54 worker CPUs (with 27 and 28). Table 3 times one
 * operation at a time; Fig. 5's agent overlaps them (the paper's numbers
 * do not compose into it: 265 + 366 ns a decision caps one agent near
 * 1.58M/s, below the figure's peak).
 */
export const FIG5_AGENT_SHARE = 0.5;

/**
 * The worker CPU's side of one decision in the scalability experiment, ns:
 * the IPI's handling and the switch in (Table 3: 1064 ns), then the
 * thread's sched_yield, its TASK_YIELD message and the switch to idle.
 * FITTED to the paper's Fig. 5 (§4.1, p.596): about 0.22M decisions/s with
 * one worker CPU on Skylake, a cycle of about 4.5 us.
 */
export const FIG5_WORKER_SIDE_NS = 3600;

/**
 * The `paper` profile recalibrated for the paper's Fig. 5 (global-agent
 * scalability): the agent pays {@link FIG5_AGENT_SHARE} of the global
 * delivery and group-transaction costs, and a worker's side of a remote
 * commit is {@link FIG5_WORKER_SIDE_NS}. Everything else is `paper`. Only
 * the scalability figure uses it, with `FIG5_TOPOLOGY_COSTS`.
 */
export const PAPER_FIG5_COSTS: CostProfile = {
  ...PAPER_COSTS,
  name: "paper-fig5",
  messageDeliveryGlobal: Math.round(PAPER_COSTS.messageDeliveryGlobal * FIG5_AGENT_SHARE),
  groupCommitPerTxn: Math.round(PAPER_COSTS.groupCommitPerTxn * FIG5_AGENT_SHARE),
  remoteScheduleTarget: FIG5_WORKER_SIDE_NS,
};

/** Every operation free: the emulator reduces to textbook queues. */
export const IDEAL_COSTS: CostProfile = {
  name: "ideal",
  cfsContextSwitch: 0,
  minimalContextSwitch: 0,
  syscall: 0,
  messageDeliveryLocal: 0,
  messageDeliveryGlobal: 0,
  localSchedule: 0,
  remoteScheduleAgent: 0,
  remoteScheduleTarget: 0,
  groupCommitPerTxn: 0,
  ipi: 0,
  crossLlcMigration: 0,
  agentStartup: 0,
  discoveryPerThread: 0,
};

/** The cost profiles by name. */
export const COST_PROFILES: Readonly<Record<string, CostProfile>> = {
  paper: PAPER_COSTS,
  "paper-fig5": PAPER_FIG5_COSTS,
  ideal: IDEAL_COSTS,
};

/** One-line descriptions of the cost profiles, for `ghostbench list`. */
export const COST_DESCRIPTIONS: Readonly<Record<string, string>> = {
  paper: "the ghOSt paper's microbenchmark costs (CFS switch 599 ns, remote commit 1772 ns...)",
  "paper-fig5": "paper, with the global agent's costs and the worker side fitted to Fig. 5 " +
    "(global-agent scalability)",
  ideal: "every kernel and agent operation free (for closed-form validation)",
};

/** Looks up a cost profile by name; throws InputError for an unknown one. */
export function resolveCostProfile(name: string): CostProfile {
  if (name.endsWith(".json")) {
    let text: string;
    try {
      text = Deno.readTextFileSync(name);
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
      throw new InputError(`Cannot read cost profile "${name}": ${why.split("\n")[0]}`);
    }
    return parseCostProfileJson(text, name);
  }
  const profile = Object.hasOwn(COST_PROFILES, name) ? COST_PROFILES[name] : undefined;
  if (profile === undefined) {
    throw new InputError(
      `Unknown cost profile "${name}": expected one of ${Object.keys(COST_PROFILES).join(", ")}`,
    );
  }
  return profile;
}

/** The cost fields of a {@link CostProfile}: every field but the name. */
type CostField = Exclude<keyof CostProfile, "name">;

/** Every cost field, once (the type checks that none is missing or extra). */
const COST_FIELDS: Readonly<Record<CostField, true>> = {
  cfsContextSwitch: true,
  minimalContextSwitch: true,
  syscall: true,
  messageDeliveryLocal: true,
  messageDeliveryGlobal: true,
  localSchedule: true,
  remoteScheduleAgent: true,
  remoteScheduleTarget: true,
  groupCommitPerTxn: true,
  ipi: true,
  crossLlcMigration: true,
  agentStartup: true,
  discoveryPerThread: true,
};

/**
 * Parses a cost profile written as JSON: an object with every cost field of
 * {@link CostProfile} as a whole number of nanoseconds (finite, >= 0), an
 * optional `name` (default: the file name of `source` without `.json`) and
 * an optional `measured` list naming the fields measured on a host (kept
 * for the reader, not in the profile). Any other field, a missing field or
 * a bad value throws an {@link InputError} with one line naming `source`.
 *
 * @example
 * ```ts
 * import { PAPER_COSTS, parseCostProfileJson } from "./cost_profile.ts";
 * const text = JSON.stringify({ ...PAPER_COSTS, name: "host", cfsContextSwitch: 2100 });
 * const profile = parseCostProfileJson(text, "out/calibrate/host_costs.json");
 * if (profile.name !== "host" || profile.cfsContextSwitch !== 2100) throw new Error("wrong");
 * ```
 */
export function parseCostProfileJson(text: string, source: string): CostProfile {
  const where = `cost profile ${source}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new InputError(`Bad ${where}: not JSON (${reason})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InputError(`Bad ${where}: expected a JSON object of costs in ns`);
  }
  const record = json as Record<string, unknown>;
  const known = Object.keys(COST_FIELDS);
  for (const key of Object.keys(record)) {
    if (key !== "name" && key !== "measured" && !Object.hasOwn(COST_FIELDS, key)) {
      throw new InputError(
        `Bad ${where}: unknown field "${key}": expected name, measured or one of ${
          known.join(", ")
        }`,
      );
    }
  }
  const missing = known.filter((key) => !Object.hasOwn(record, key));
  if (missing.length > 0) {
    throw new InputError(`Bad ${where}: missing field(s) ${missing.join(", ")}`);
  }
  const measured = record.measured;
  if (
    measured !== undefined &&
    !(Array.isArray(measured) &&
      measured.every((key) => typeof key === "string" && Object.hasOwn(COST_FIELDS, key)))
  ) {
    throw new InputError(`Bad ${where}: "measured" must be a list of cost field names`);
  }
  const name = record.name ?? source.replace(/^.*[\\/]/, "").replace(/\.json$/i, "");
  if (typeof name !== "string" || name.trim() === "") {
    throw new InputError(`Bad ${where}: "name" must be a non-empty string`);
  }
  const ns = (key: CostField): number => {
    const value = record[key];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new InputError(
        `Bad ${where}: field "${key}" is ${
          JSON.stringify(value)
        }: expected a whole number of ns >= 0`,
      );
    }
    return value;
  };
  return {
    name,
    cfsContextSwitch: ns("cfsContextSwitch"),
    minimalContextSwitch: ns("minimalContextSwitch"),
    syscall: ns("syscall"),
    messageDeliveryLocal: ns("messageDeliveryLocal"),
    messageDeliveryGlobal: ns("messageDeliveryGlobal"),
    localSchedule: ns("localSchedule"),
    remoteScheduleAgent: ns("remoteScheduleAgent"),
    remoteScheduleTarget: ns("remoteScheduleTarget"),
    groupCommitPerTxn: ns("groupCommitPerTxn"),
    ipi: ns("ipi"),
    crossLlcMigration: ns("crossLlcMigration"),
    agentStartup: ns("agentStartup"),
    discoveryPerThread: ns("discoveryPerThread"),
  };
}
