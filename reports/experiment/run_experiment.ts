/**
 * Runs one experiment: builds the machine, the kernel, the policy's agents
 * and the workload from a configuration (run_config.ts), runs the
 * emulation, checks the kernel's invariants and the request count, and
 * returns the summary that `run` prints.
 *
 * @module
 */

import { AgentSupervisor, type LifecycleEvent } from "../../core/agent_supervisor.ts";
import { resolveCostProfile } from "../../core/cost_profile.ts";
import { Enclave } from "../../core/enclave.ts";
import { Engine } from "../../core/engine.ts";
import { TXN_NAMES } from "../../core/ghost_abi.ts";
import { Kernel } from "../../core/kernel.ts";
import type { DeadlineSummary } from "../../core/metrics/deadline_stats.ts";
import type { LatencyStage, StageSummary } from "../../core/metrics/request_stats.ts";
import { Timeline } from "../../core/metrics/timeline.ts";
import type { Tracer } from "../../core/metrics/tracer.ts";
import { resolveTopology, type Topology } from "../../core/topology.ts";
import { MS, SEC, US } from "../../core/units.ts";
import { type PolicyDefinition, resolvePolicy } from "../../policies/registry.ts";
import { ANTAGONIST_GROUP, spawnAntagonists } from "../../workloads/antagonist.ts";
import { resolveWorkload } from "../../workloads/registry.ts";
import type { Workload, WorkloadContext, WorkloadLayout } from "../../workloads/workload.ts";
import { round } from "./_round.ts";
import {
  LifecycleObserver,
  type LifecycleSummary,
  type TimeSeries,
  timeSeriesOf,
} from "./lifecycle_summary.ts";
import {
  policyOptionsOf,
  type ResolvedRunConfig,
  resolveRunConfig,
  type RunConfig,
} from "./run_config.ts";

export { DEFAULT_RUN_CONFIG, type RunConfig } from "./run_config.ts";
export type { LifecycleSummary } from "./lifecycle_summary.ts";

/** Watchdog used when a crash event may leave the enclave without an agent. */
export const CRASH_WATCHDOG_NS = 50 * MS;

/**
 * Every enclave's watchdog unless the run or the policy sets one: once an
 * agent has crashed with no restart to come (policy code threw, an external
 * agent died), a runnable thread left unscheduled this long destroys the
 * enclave and hands every thread to CFS, as ghOSt promises. It does not
 * watch a live agent: a policy may keep threads waiting on purpose (the
 * centralized FIFO past saturation starves the workers it has no CPU for),
 * and no figure's run may change. `--watchdog T` watches from the start.
 */
export const DEFAULT_WATCHDOG_NS = CRASH_WATCHDOG_NS;

/** CPU time of a group of threads after the warm-up. */
export interface GroupCpu {
  /** Group name. */
  group: string;
  /** Threads in the group (ever created). */
  threads: number;
  /** CPU time after the warm-up, µs. */
  cpuUs: number;
}

/** CPU time of a group of threads, ns: at the warm-up, and in total; and how many exited. */
interface GroupTime {
  readonly name: string;
  atWarmup: number;
  total: number;
  exited: number;
}

/** ghOSt counters of a run. */
export interface GhostSummary {
  /** Agent arrangement. */
  model: string;
  /** Messages the agents handled. */
  messages: number;
  /** Transactions that completed: scheduling decisions. */
  decisions: number;
  /** Transactions that failed (stale, busy CPU...). */
  failedCommits: number;
  /** Commit outcomes by name (non-zero only). */
  outcomes: Record<string, number>;
  /** Messages dropped by full queues: must be 0. */
  overflows: number;
  /** The queues that dropped messages: id, slots, messages dropped. */
  overflowQueues: { queue: number; capacity: number; overflows: number }[];
  /** Global-agent moves (BOOST_PRIO). */
  agentMigrations: number;
  /** Agent CPU time over the measured window, µs. */
  agentCpuUs: number;
}

/** The summary of one run. Times are in microseconds. */
export interface RunResult {
  /** The configuration, resolved: given again, it reproduces the run. */
  config: ResolvedRunConfig;
  /** Worker threads of the workload's pool (its option or its default), or null without one. */
  workers: number | null;
  /** Requests generated over the whole run (warm-up included). */
  generated: number;
  /** Requests that arrived after the warm-up and finished. */
  completed: number;
  /** Requests neither finished, in flight, stranded nor failed at the end: always 0 unless a bug. */
  lost: number;
  /** Requests failed by reboots. */
  failed: number;
  /** Requests generated and not finished at the end, but the stranded ones. */
  inFlight: number;
  /**
   * Requests unfinished at the end because a message about their thread was
   * dropped by a full queue: the agent never learnt the thread could run.
   */
  stranded: number;
  /** Completed requests per second of the measured window. */
  throughputRps: number;
  /** Total latency (arrival to finish) by request type and `all`. */
  latencyUs: StageSummary;
  /**
   * Latency by stage: `ingress` (arrival to received), `dispatch` (received
   * to assigned to a worker), `queue` (assigned to start) and `service`
   * (start to finish).
   */
  stagesUs: Record<Exclude<LatencyStage, "total">, StageSummary>;
  /** Busy fraction of each CPU over the measured window. */
  cpuUtilization: number[];
  /** CPU time of each thread group over the measured window. */
  threadCpu: GroupCpu[];
  /** Antagonist CPU shares (CPU time / wall time) over the measured window, or null. */
  antagonist: { total: number; perThread: number[] } | null;
  /** Context switches over the whole run. */
  contextSwitches: number;
  /** ghOSt counters over the whole run, or null under `cfs`. */
  ghost: GhostSummary | null;
  /** Engine events processed. */
  events: number;
  /** Engine speed: events per wall-clock second (the only field that varies between runs). */
  eventsPerSec: number;
  /** What each lifecycle event cost (empty without events). */
  lifecycleEvents: LifecycleSummary[];
  /** Throughput and latency per window, with lifecycle events only. */
  timeSeries?: TimeSeries;
  /** Latency CDF of all requests (total stage), when asked for. */
  cdfUs?: { valueUs: number; fraction: number }[];
  /** Met and missed deadlines, for a workload whose requests carry deadlines (`periodic`). */
  deadlines?: DeadlineSummary;
  /** Total latency at the quantiles asked for, per request type (not `all`). */
  quantilesUs?: { type: string; quantile: number; valueUs: number; count: number }[];
}

/** Fields of a {@link RunResult} that depend on the wall clock. */
export const WALL_CLOCK_FIELDS: readonly (keyof RunResult)[] = ["eventsPerSec"];

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** Called with the fraction of virtual time done, about every 2% of the run. */
  onProgress?: ((fraction: number) => void) | undefined;
  /** Include a latency CDF (total, all types) of at most this many points. @default 0 */
  cdfPoints?: number;
  /**
   * Include the total latency at these quantiles (e.g. 0.99999) per request
   * type, for tails beyond p99.9. @default none
   */
  quantiles?: readonly number[];
  /**
   * Receives the kernel's and the enclave's scheduling events (`run --trace`);
   * set before the policy and the workload start. @default none
   */
  tracer?: Tracer | undefined;
  /**
   * Called when policy code kills an agent (a crash no `--event` injected),
   * with the error (its stack, or an external agent's stderr) and the
   * policy's name. The run goes on: the watchdog or a restart takes over.
   * @default none
   */
  onPolicyError?: ((error: unknown, policy: string) => void) | undefined;
}

/**
 * Runs one experiment and returns its summary; throws InputError on a bad
 * configuration (see {@link resolveRunConfig}).
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, runExperiment } from "./mod.ts";
 * const result = runExperiment({
 *   ...DEFAULT_RUN_CONFIG,
 *   machine: "paper8",
 *   load: 20_000,
 *   durationNs: 50_000_000,
 *   warmupNs: 10_000_000,
 * });
 * if (result.lost !== 0 || result.completed === 0) throw new Error("wrong");
 * ```
 */
export function runExperiment(config: RunConfig, options: RunExperimentOptions = {}): RunResult {
  const resolved = resolveRunConfig(config);
  const run = buildRun(resolved, options);
  const accounting = new CpuAccounting(run.engine, run.kernel, resolved.warmupNs);
  const started = performance.now();
  const slices = 50;
  try {
    for (let i = 1; i <= slices; i++) {
      run.engine.run({ until: Math.round(resolved.durationNs * i / slices) });
      options.onProgress?.(i / slices);
    }
  } finally {
    // Agents in other processes end with the run.
    for (const process of run.supervisor?.processes ?? []) process.policy.close?.();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  run.kernel.checkInvariants();
  run.supervisor?.finish();

  const { engine, kernel, workload } = run;
  const windowNs = resolved.durationNs - resolved.warmupNs;
  const threadCpu = accounting.threadCpu();
  const enclave = run.enclave;
  const stranded = enclave === null || enclave.stats.overflows === 0
    ? 0
    : workload.stranded?.((t) => t.state !== "running" && enclave.lostMessage(t.id)) ?? 0;
  const inFlight = workload.inFlight() - stranded;
  const failed = workload.failed ?? 0;
  const lost = workload.generated - workload.finished - inFlight - stranded - failed;
  const stats = workload.stats;
  const timeSeries = timeSeriesOf(run.timeline, resolved.durationNs);
  const deadlines = workload.deadlines?.();
  return {
    config: resolved,
    workers: workload.workers ?? null,
    generated: workload.generated,
    completed: stats.completed,
    lost,
    failed,
    inFlight,
    stranded,
    throughputRps: round(stats.completed / (windowNs / SEC), 3),
    latencyUs: stats.summary("total"),
    stagesUs: {
      ingress: stats.summary("ingress"),
      dispatch: stats.summary("dispatch"),
      queue: stats.summary("queue"),
      service: stats.summary("service"),
    },
    cpuUtilization: accounting.cpuUtilization(windowNs),
    threadCpu,
    antagonist: accounting.antagonist(windowNs),
    contextSwitches: kernel.cpus.reduce((sum, cpu) => sum + cpu.switches, 0),
    ghost: ghostSummary(run, threadCpu),
    events: engine.events,
    eventsPerSec: Math.round(engine.events / Math.max(wallSeconds, 1e-9)),
    lifecycleEvents: run.lifecycle.summaries({
      timeline: run.timeline,
      lost,
      durationNs: resolved.durationNs,
    }),
    ...(timeSeries === undefined ? {} : { timeSeries }),
    ...(options.cdfPoints !== undefined && options.cdfPoints > 0 && stats.completed > 0
      ? { cdfUs: cdf(workload, options.cdfPoints) }
      : {}),
    ...(deadlines === undefined ? {} : { deadlines }),
    ...(options.quantiles !== undefined && options.quantiles.length > 0
      ? { quantilesUs: quantiles(workload, options.quantiles) }
      : {}),
  };
}

/** Everything a run builds before it starts. */
interface Run {
  engine: Engine;
  kernel: Kernel;
  enclave: Enclave | null;
  supervisor: AgentSupervisor | null;
  workload: Workload;
  timeline: Timeline | null;
  lifecycle: LifecycleObserver;
}

/**
 * Builds a run, in an order that fixes thread ids and event ties: kernel,
 * enclave and first agent, workload, lifecycle events, antagonists.
 */
function buildRun(config: ResolvedRunConfig, options: RunExperimentOptions): Run {
  const tracer = options.tracer;
  const topology = resolveTopology(
    config.cpus === undefined ? { preset: config.machine } : { cpus: config.cpus },
  );
  const engine = new Engine(config.seed);
  const kernel = new Kernel(engine, {
    topology,
    costs: resolveCostProfile(config.costs),
    tickHz: config.tickHz,
    ...(config.fair === undefined ? {} : { fair: config.fair }),
  });
  if (tracer !== undefined) kernel.tracer = tracer;
  const policy = resolvePolicy(config.policy);
  const definition = resolveWorkload(config.workload);
  const layout = definition.layout?.(topology) ?? wholeMachine(topology);
  const events = [...config.events].sort((a, b) => a.atNs - b.atNs);
  const { enclave, supervisor } = startAgents(kernel, layout, {
    config,
    policy,
    events,
    onPolicyError: options.onPolicyError,
  });
  const context: WorkloadContext = {
    engine,
    kernel,
    enclave,
    policy: config.policy,
    load: config.load,
    warmupNs: config.warmupNs,
    durationNs: config.durationNs,
    latencyNice: config.antagonists > 0 && enclave === null ? -20 : 0,
  };
  const workload = definition.create(context, config.workloadOptions);
  const timeline = events.length > 0
    ? new Timeline(config.windowNs, { types: workload.stats.types })
    : null;
  workload.stats.timeline = timeline;
  const lifecycle = new LifecycleObserver(engine, { workload, supervisor }, {
    events,
    rebootTimeNs: config.rebootTimeNs,
  });
  if (config.antagonists > 0) {
    // Off the global agent's CPU when there is one, or when the workload lays out the enclave.
    const spread = policy.model !== "centralized" && definition.layout === undefined;
    const batchCpus = spread
      ? undefined
      : layout.enclaveCpus.filter((cpu) => cpu !== layout.globalCpu);
    spawnAntagonists(context, config.antagonists, batchCpus);
  }
  return { engine, kernel, enclave, supervisor, workload, timeline, lifecycle };
}

function wholeMachine(topology: Topology): WorkloadLayout {
  return { enclaveCpus: topology.cpus.map((cpu) => cpu.id), globalCpu: 0 };
}

/**
 * The enclave and its supervisor, first agent started, for a ghOSt policy;
 * nulls for `cfs`.
 */
function startAgents(
  kernel: Kernel,
  layout: WorkloadLayout,
  run: {
    config: RunConfig;
    policy: PolicyDefinition;
    events: readonly LifecycleEvent[];
    onPolicyError: RunExperimentOptions["onPolicyError"];
  },
): { enclave: Enclave | null; supervisor: AgentSupervisor | null } {
  const { config, policy } = run;
  const options = config.policyOptions ?? {};
  policyOptionsOf(policy, options); // checked before anything starts
  if (policy.model === "kernel") return { enclave: null, supervisor: null };
  const crashWithoutRestart = run.events.some((e) => e.kind === "crash") &&
    config.restartDelayNs === undefined;
  const watchdogNs = config.watchdogNs ?? policy.runnableTimeoutNs ??
    (crashWithoutRestart ? CRASH_WATCHDOG_NS : undefined);
  const enclave = new Enclave(kernel, {
    cpus: layout.enclaveCpus,
    ...(config.queueCapacity === undefined ? {} : { queueCapacity: config.queueCapacity }),
    runnableTimeoutNs: watchdogNs ?? DEFAULT_WATCHDOG_NS,
    watchdogArmed: watchdogNs !== undefined,
  });
  const supervisor = new AgentSupervisor(kernel, enclave, {
    policy: config.policy,
    // A swap to another policy starts it with its own defaults.
    makePolicy: (name) => {
      const definition = resolvePolicy(name);
      return definition.create(policyOptionsOf(definition, name === policy.name ? options : {}))!;
    },
    restartDelayNs: config.restartDelayNs ?? null,
    globalCpu: layout.globalCpu,
    ...(run.onPolicyError === undefined ? {} : { onPolicyError: run.onPolicyError }),
  });
  supervisor.start();
  return { enclave, supervisor };
}

/**
 * CPU time from the end of the warm-up on: per CPU, per thread group
 * (threads that exited included) and per antagonist thread.
 */
class CpuAccounting {
  readonly #kernel: Kernel;
  readonly #busyAtWarmup: Float64Array;
  readonly #groups = new Map<string, GroupTime>();
  /** The group of the last thread that exited: most exits are of one group (requests). */
  #lastGroup: GroupTime | null = null;
  readonly #antagonistAtWarmup = new Map<number, number>();
  #warmedUp = false;

  /** Hooks thread exits and schedules the snapshot at `warmupNs`. */
  constructor(engine: Engine, kernel: Kernel, warmupNs: number) {
    this.#kernel = kernel;
    this.#busyAtWarmup = new Float64Array(kernel.topology.size);
    kernel.onThreadExit = (thread) => {
      let group = this.#lastGroup;
      if (group === null || group.name !== thread.group) {
        group = this.#group(thread.group);
        this.#lastGroup = group;
      }
      group.total += thread.cpuTime;
      group.exited++;
    };
    engine.at(warmupNs, engine.register("run.warmup", () => this.#snapshot()));
  }

  /** Busy fraction of each CPU over the measured window. */
  cpuUtilization(windowNs: number): number[] {
    this.#checkWarmedUp();
    return this.#kernel.cpus.map((cpu) =>
      round((this.#kernel.busyTime(cpu.id) - this.#busyAtWarmup[cpu.id]!) / windowNs, 6)
    );
  }

  /** CPU time of each thread group after the warm-up, by group name; call once, at the end. */
  threadCpu(): GroupCpu[] {
    this.#checkWarmedUp();
    const threadCount = new Map<string, number>();
    for (const thread of this.#kernel.threads()) {
      this.#group(thread.group).total += thread.cpuTime;
      threadCount.set(thread.group, (threadCount.get(thread.group) ?? 0) + 1);
    }
    return [...this.#groups.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([name, g]) => ({
      group: name,
      threads: (threadCount.get(name) ?? 0) + g.exited,
      cpuUs: round((g.total - g.atWarmup) / US, 3),
    }));
  }

  /** Antagonist CPU shares over the measured window, or null without antagonists. */
  antagonist(windowNs: number): RunResult["antagonist"] {
    const shares: number[] = [];
    for (const thread of this.#kernel.threads()) {
      if (thread.group !== ANTAGONIST_GROUP) continue;
      const atWarmup = this.#antagonistAtWarmup.get(thread.id) ?? 0;
      shares.push(round((thread.cpuTime - atWarmup) / windowNs, 6));
    }
    if (shares.length === 0) return null;
    return { total: round(shares.reduce((a, b) => a + b, 0), 6), perThread: shares };
  }

  #snapshot(): void {
    const kernel = this.#kernel;
    kernel.flushAccounting();
    for (let cpu = 0; cpu < kernel.topology.size; cpu++) {
      this.#busyAtWarmup[cpu] = kernel.busyTime(cpu);
    }
    for (const thread of kernel.threads()) {
      this.#group(thread.group).atWarmup += thread.cpuTime;
      if (thread.group === ANTAGONIST_GROUP) {
        this.#antagonistAtWarmup.set(thread.id, thread.cpuTime);
      }
    }
    for (const group of this.#groups.values()) group.atWarmup += group.total;
    this.#warmedUp = true;
  }

  #group(name: string): GroupTime {
    let group = this.#groups.get(name);
    if (group === undefined) {
      group = { name, atWarmup: 0, total: 0, exited: 0 };
      this.#groups.set(name, group);
    }
    return group;
  }

  #checkWarmedUp(): void {
    if (!this.#warmedUp) throw new Error("The warm-up snapshot never ran");
  }
}

/** The agents' counters summed over every agent process, or null without agents. */
function ghostSummary(run: Run, threadCpu: readonly GroupCpu[]): GhostSummary | null {
  const processes = run.supervisor?.processes ?? [];
  if (run.enclave === null || processes.length === 0) return null;
  const sum = (f: (s: (typeof processes)[number]["stats"]) => number) =>
    processes.reduce((total, p) => total + f(p.stats), 0);
  const outcomes = [...run.enclave.stats.outcomes.entries()].filter(([, count]) => count > 0);
  return {
    model: processes[0]!.policy.model,
    messages: sum((s) => s.messages),
    decisions: sum((s) => s.decisions),
    failedCommits: sum((s) => s.failedCommits),
    outcomes: Object.fromEntries(
      outcomes.map(([outcome, count]) => [TXN_NAMES[outcome] ?? String(outcome), count]),
    ),
    overflows: run.enclave.stats.overflows,
    overflowQueues: run.enclave.queues.filter((q) => q.overflows > 0).map((q) => ({
      queue: q.id,
      capacity: q.capacity,
      overflows: q.overflows,
    })),
    agentMigrations: sum((s) => s.migrations),
    agentCpuUs: threadCpu.find((g) => g.group === "agents")?.cpuUs ?? 0,
  };
}

function quantiles(
  workload: Workload,
  qs: readonly number[],
): NonNullable<RunResult["quantilesUs"]> {
  const stats = workload.stats;
  return stats.types.flatMap((type, index) => {
    const histogram = stats.histogram(index, "total");
    return qs.map((quantile) => ({
      type,
      quantile,
      valueUs: histogram.count === 0 ? 0 : round(histogram.quantile(quantile) / US, 3),
      count: histogram.count,
    }));
  });
}

function cdf(workload: Workload, points: number): { valueUs: number; fraction: number }[] {
  return workload.stats.histogram("all", "total").cdf(points).map((point) => ({
    valueUs: round(point.valueNs / US, 3),
    fraction: round(point.fraction, 6),
  }));
}
