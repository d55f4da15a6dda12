/**
 * Runs one experiment: builds the machine, the kernel, the policy and the
 * workload from a configuration, runs the emulation, checks the kernel's
 * invariants and the request count, and returns the summary that `run`
 * prints.
 *
 * @module
 */

import { resolveCostProfile } from "../../core/cost_profile.ts";
import { parseDistribution } from "../../core/distributions.ts";
import {
  AgentSupervisor,
  type LifecycleEvent,
  parseLifecycleEvent,
} from "../../core/agent_supervisor.ts";
import { Enclave } from "../../core/enclave.ts";
import { Engine } from "../../core/engine.ts";
import { TXN_NAMES } from "../../core/ghost_abi.ts";
import { InputError } from "../../core/errors.ts";
import { Kernel } from "../../core/kernel.ts";
import { resolveTopology } from "../../core/topology.ts";
import type { Tracer } from "../../core/metrics/tracer.ts";
import { formatDuration, MS, SEC, US } from "../../core/units.ts";
import { resolvePolicy } from "../../policies/registry.ts";
import { ANTAGONIST_GROUP, spawnAntagonists } from "../../workloads/antagonist.ts";
import { resolveWorkload } from "../../workloads/registry.ts";
import type { Workload, WorkloadContext } from "../../workloads/workload.ts";
import { Timeline, type TimelineRow } from "../../core/metrics/timeline.ts";
import type { LatencyStage, StageSummary } from "../../core/metrics/request_stats.ts";

/** A run's configuration, every option resolved. */
export interface RunConfig {
  /** Policy name. */
  policy: string;
  /** Workload name. */
  workload: string;
  /** Machine preset name (ignored when cpus is set). */
  machine: string;
  /** A flat machine of this many CPUs instead of the preset; 0 for the preset. */
  cpus: number;
  /** Offered load, requests per second. */
  load: number;
  /** Service-time distribution spec. */
  service: string;
  /** Worker threads; 0 for one thread per request (synthetic); -1 for the workload's default. */
  workers: number;
  /** rocksdb: mean of the exponential part of a Get, ns (0: none). */
  getExpMeanNs: number;
  /** rocksdb: duration of a Range, ns. */
  rangeDurationNs: number;
  /** rocksdb: probability of a Range. */
  rangeRatio: number;
  /** rocksdb under cfs: how idle workers wait. */
  wait: "futex" | "spin";
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
  /** Timer tick frequency, Hz. */
  tickHz: number;
  /** Policy time slice, ns; 0 for the policy's default. */
  sliceNs: number;
  /** Lifecycle events, e.g. `upgrade@5s`, `crash@5s`, `swap:shinjuku@5s`, `reboot@5s`. */
  events: string[];
  /** Restart a crashed agent after this delay, ns; -1: no supervisor (the watchdog decides). */
  restartDelayNs: number;
  /** How long a reboot keeps the machine from taking requests, ns. */
  rebootNs: number;
  /**
   * Enclave watchdog (runnable timeout), ns; 0 off; -1: the default (the
   * policy's own, else 50 ms when a crash may leave the enclave without an agent).
   */
  watchdogNs: number;
  /** Window of the time series reported with lifecycle events, ns. */
  windowNs: number;
}

/** The defaults of {@link RunConfig}. */
export const DEFAULT_RUN_CONFIG: RunConfig = {
  policy: "cfs",
  workload: "synthetic",
  machine: "paper8",
  cpus: 0,
  load: 50_000,
  service: "exp:20us",
  workers: -1,
  getExpMeanNs: 0,
  rangeDurationNs: 5 * MS,
  rangeRatio: 0.005,
  wait: "futex",
  antagonists: 0,
  durationNs: 2 * SEC,
  warmupNs: 200 * MS,
  seed: 1,
  costs: "paper",
  tickHz: 1000,
  sliceNs: 0,
  events: [],
  restartDelayNs: -1,
  rebootNs: 1 * SEC,
  watchdogNs: -1,
  windowNs: 1 * MS,
};

/** Watchdog used when a crash may leave the enclave without an agent. */
export const CRASH_WATCHDOG_NS = 50 * MS;

/** Sliding span in which recovery is judged. */
const RECOVERY_SPAN_NS = 10 * MS;
/** Span before an event that gives its baseline p99. */
const BASELINE_SPAN_NS = 100 * MS;

/** CPU time of a group of threads after the warm-up. */
export interface GroupCpu {
  /** Group name. */
  group: string;
  /** Threads in the group (ever created). */
  threads: number;
  /** CPU time after the warm-up, µs. */
  cpuUs: number;
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
  /** Global-agent moves (BOOST_PRIO). */
  agentMigrations: number;
  /** Agent CPU time over the measured window, µs. */
  agentCpuUs: number;
}

/** What one lifecycle event cost the service. */
export interface LifecycleSummary {
  /** upgrade, crash, swap or reboot. */
  kind: string;
  /** When, µs. */
  atUs: number;
  /** Injected by the run, or a crash of policy code. */
  cause: string;
  /** Error message of a crash, if any. */
  error: string | null;
  /** The scheduler after it (a policy, or cfs after the watchdog). */
  policyAfter: string;
  /** Time with no agent able to schedule (or the machine down), µs; null: not over by the end. */
  blackoutUs: number | null;
  /** Requests in flight at the event. */
  inFlight: number;
  /** Requests failed by the event (reboot only). */
  failed: number;
  /** Requests lost over the whole run (neither finished, in flight, nor failed): must be 0. */
  lost: number;
  /** Worst latency of a request finishing between the event and recovery, µs. */
  worstLatencyUs: number;
  /**
   * Time from the event until the p99 over a 10 ms span (of requests by
   * arrival) is back within 10% of its value over the 100 ms before, µs, at
   * the time-series window's resolution; null: it never is.
   */
  recoveryUs: number | null;
}

/** The summary of one run. Times are in microseconds. */
export interface RunResult {
  /** The resolved configuration (times in µs). */
  config: Record<string, string | number>;
  /** Requests generated over the whole run (warm-up included). */
  generated: number;
  /** Requests that arrived after the warm-up and finished. */
  completed: number;
  /** Requests neither finished nor in flight at the end: always 0 unless a bug. */
  lost: number;
  /** Requests generated and not finished at the end. */
  inFlight: number;
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
  /** Latency CDF of all requests (total stage), when asked for. */
  cdfUs?: { valueUs: number; fraction: number }[];
  /** Requests failed by reboots. */
  failed: number;
  /** What each lifecycle event cost (empty without --event). */
  lifecycleEvents: LifecycleSummary[];
  /** Throughput and latency per window, with lifecycle events only. */
  timeSeries?: { windowUs: number; rows: TimelineRow[] };
}

/** Fields of a {@link RunResult} that depend on the wall clock. */
export const WALL_CLOCK_FIELDS: readonly (keyof RunResult)[] = ["eventsPerSec"];

/** Checks a configuration; throws InputError on the first bad value. */
export function validateRunConfig(config: RunConfig): void {
  resolvePolicy(config.policy);
  resolveWorkload(config.workload);
  resolveCostProfile(config.costs);
  if (!(config.load > 0) || !Number.isFinite(config.load)) {
    throw new InputError(`Bad --load "${config.load}": expected a positive number of requests/s`);
  }
  if (!Number.isInteger(config.workers) || config.workers < -1 || config.workers > 100_000) {
    throw new InputError(`Bad --workers "${config.workers}": expected an integer from 0 to 100000`);
  }
  if (!(config.rangeRatio >= 0 && config.rangeRatio <= 1)) {
    throw new InputError(`Bad --range-ratio "${config.rangeRatio}": expected a probability 0..1`);
  }
  if (!(config.rangeDurationNs > 0) || !(config.getExpMeanNs >= 0)) {
    throw new InputError("Bad --range-duration or --get-exp-mean: expected positive durations");
  }
  if (config.wait !== "futex" && config.wait !== "spin") {
    throw new InputError(`Bad --wait "${config.wait}": expected futex or spin`);
  }
  if (
    !Number.isInteger(config.antagonists) || config.antagonists < 0 || config.antagonists > 4096
  ) {
    throw new InputError(
      `Bad --antagonists "${config.antagonists}": expected an integer from 0 to 4096`,
    );
  }
  if (!(config.durationNs > 0)) {
    throw new InputError(
      `Bad --duration ${formatDuration(config.durationNs)}: expected a positive duration`,
    );
  }
  if (!(config.warmupNs >= 0) || config.warmupNs >= config.durationNs) {
    throw new InputError(
      `Bad --warmup ${
        formatDuration(config.warmupNs)
      }: expected a warm-up shorter than the duration (${formatDuration(config.durationNs)})`,
    );
  }
  if (!Number.isInteger(config.cpus) || config.cpus < 0) {
    throw new InputError(`Bad --cpus "${config.cpus}": expected a positive integer`);
  }
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff) {
    throw new InputError(`Bad --seed "${config.seed}": expected an integer from 0 to 4294967295`);
  }
  for (const spec of config.events) {
    const event = parseLifecycleEvent(spec);
    if (event.atNs >= config.durationNs) {
      throw new InputError(`Bad --event "${spec}": expected a time within the run's --duration`);
    }
    if (event.kind !== "reboot" && resolvePolicy(config.policy).model === "kernel") {
      throw new InputError(
        `Bad --event "${spec}": policy ${config.policy} has no agent to ${event.kind}`,
      );
    }
    if (event.kind === "swap") {
      const target = resolvePolicy(event.policy!);
      if (target.model === "kernel") {
        throw new InputError(`Bad --event "${spec}": swap to a ghOSt policy, not ${target.name}`);
      }
    }
    if (event.kind === "reboot" && !["synthetic", "rocksdb"].includes(config.workload)) {
      throw new InputError(
        `Bad --event "${spec}": workload ${config.workload} does not model reboots`,
      );
    }
  }
  if (!(config.rebootNs > 0) || !(config.windowNs > 0)) {
    throw new InputError("Bad --reboot-time or --window: expected positive durations");
  }
  if (!(config.tickHz >= 1 && config.tickHz <= 100_000)) {
    throw new InputError(`Bad --tick-hz "${config.tickHz}": expected 1 to 100000`);
  }
}

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** Called with the fraction of virtual time done, about every 2% of the run. */
  onProgress?: ((fraction: number) => void) | undefined;
  /** Include a latency CDF (total, all types) of at most this many points. @default 0 */
  cdfPoints?: number;
  /**
   * Receives the kernel's and the enclave's scheduling events (`run --trace`);
   * set before the policy and the workload start. @default none
   */
  tracer?: Tracer | undefined;
}

/**
 * Runs one experiment and returns its summary.
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, runExperiment } from "./run_experiment.ts";
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
  validateRunConfig(config);
  const topology = resolveTopology(
    config.cpus > 0 ? { cpus: config.cpus } : { preset: config.machine },
  );
  const resolved: RunConfig = { ...config, machine: topology.name, cpus: topology.size };
  const service = parseDistribution(config.service);
  const engine = new Engine(config.seed);
  const kernel = new Kernel(engine, {
    topology,
    costs: resolveCostProfile(config.costs),
    tickHz: config.tickHz,
  });
  if (options.tracer !== undefined) kernel.tracer = options.tracer;
  const policy = resolvePolicy(config.policy);
  const agentPolicy = policy.create({ sliceNs: config.sliceNs });
  const definition = resolveWorkload(config.workload);
  const layout = definition.layout?.(topology) ??
    { enclaveCpus: topology.cpus.map((cpu) => cpu.id), globalCpu: 0 };
  const lifecycle = config.events.map(parseLifecycleEvent).sort((a, b) => a.atNs - b.atNs);
  const watchdogNs = config.watchdogNs >= 0 ? config.watchdogNs : policy.runnableTimeoutNs ??
    (lifecycle.some((e) => e.kind === "crash") && config.restartDelayNs < 0
      ? CRASH_WATCHDOG_NS
      : 0);
  let enclave: Enclave | null = null;
  let supervisor: AgentSupervisor | null = null;
  if (agentPolicy !== null) {
    enclave = new Enclave(kernel, { cpus: layout.enclaveCpus, runnableTimeoutNs: watchdogNs });
    supervisor = new AgentSupervisor(kernel, enclave, {
      policy: config.policy,
      makePolicy: (name) => resolvePolicy(name).create({ sliceNs: config.sliceNs })!,
      restartDelayNs: config.restartDelayNs >= 0 ? config.restartDelayNs : null,
      globalCpu: layout.globalCpu,
    });
    supervisor.start();
  }
  const colocated = config.antagonists > 0;
  const context: WorkloadContext = {
    policy: config.policy,
    enclave,
    engine,
    kernel,
    options: {
      load: config.load,
      service,
      workers: config.workers,
      warmupNs: config.warmupNs,
      durationNs: config.durationNs,
      getExpMeanNs: config.getExpMeanNs,
      rangeDurationNs: config.rangeDurationNs,
      rangeRatio: config.rangeRatio,
      wait: config.wait,
      latencyNice: colocated && enclave === null ? -20 : 0,
    },
  };
  const workload = definition.create(context);
  const timeline = lifecycle.length > 0 ? new Timeline(config.windowNs) : null;
  workload.stats.timeline = timeline;
  const observed = observeLifecycle(engine, workload, supervisor, lifecycle, config.rebootNs);
  if (colocated) {
    const batchCpus = agentPolicy?.model === "centralized"
      ? layout.enclaveCpus.filter((cpu) => cpu !== layout.globalCpu)
      : definition.layout === undefined
      ? undefined
      : layout.enclaveCpus.filter((cpu) => cpu !== layout.globalCpu);
    spawnAntagonists(context, config.antagonists, batchCpus);
  }

  // Snapshot the accounting at the end of the warm-up.
  const busyAtWarmup = new Float64Array(topology.size);
  const groupCpu = new Map<string, { threads: number; atWarmup: number; total: number }>();
  function group(name: string) {
    let entry = groupCpu.get(name);
    if (entry === undefined) {
      entry = { threads: 0, atWarmup: 0, total: 0 };
      groupCpu.set(name, entry);
    }
    return entry;
  }
  let warmedUp = false;
  const antagonistAtWarmup = new Map<number, number>();
  const exited = new Map<string, number>();
  kernel.onThreadExit = (thread) => {
    const entry = group(thread.group);
    entry.total += thread.cpuTime;
    exited.set(thread.group, (exited.get(thread.group) ?? 0) + 1);
  };
  const warmupKind = engine.register("run.warmup", () => {
    kernel.flushAccounting();
    for (let cpu = 0; cpu < topology.size; cpu++) busyAtWarmup[cpu] = kernel.busyTime(cpu);
    for (const thread of kernel.threads()) {
      group(thread.group).atWarmup += thread.cpuTime;
      if (thread.group === ANTAGONIST_GROUP) antagonistAtWarmup.set(thread.id, thread.cpuTime);
    }
    for (const entry of groupCpu.values()) entry.atWarmup += entry.total;
    warmedUp = true;
  });
  engine.at(config.warmupNs, warmupKind);

  const started = performance.now();
  const slices = 50;
  for (let i = 1; i <= slices; i++) {
    engine.run({ until: Math.round(config.durationNs * i / slices) });
    options.onProgress?.(i / slices);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  if (!warmedUp) throw new Error("The warm-up snapshot never ran");
  kernel.checkInvariants();
  supervisor?.finish();

  const window = config.durationNs - config.warmupNs;
  const cpuUtilization = kernel.cpus.map((cpu) =>
    round((kernel.busyTime(cpu.id) - busyAtWarmup[cpu.id]!) / window, 6)
  );
  const threadCount = new Map<string, number>();
  for (const thread of kernel.threads()) {
    group(thread.group).total += thread.cpuTime;
    threadCount.set(thread.group, (threadCount.get(thread.group) ?? 0) + 1);
  }
  const threadCpu: GroupCpu[] = [...groupCpu.entries()].sort(([a], [b]) => a < b ? -1 : 1).map((
    [name, entry],
  ) => ({
    group: name,
    threads: (threadCount.get(name) ?? 0) + (exited.get(name) ?? 0),
    cpuUs: round((entry.total - entry.atWarmup) / US, 3),
  }));

  const antagonistShares: number[] = [];
  for (const thread of kernel.threads()) {
    if (thread.group !== ANTAGONIST_GROUP) continue;
    antagonistShares.push(
      round((thread.cpuTime - (antagonistAtWarmup.get(thread.id) ?? 0)) / window, 6),
    );
  }
  const inFlight = workload.inFlight();
  const failed = workload.failed ?? 0;
  const lost = workload.generated - workload.finished - inFlight - failed;
  const stats = workload.stats;
  const processes = supervisor?.processes ?? [];
  const sum = (f: (s: (typeof processes)[number]["stats"]) => number) =>
    processes.reduce((total, p) => total + f(p.stats), 0);
  return {
    config: describeConfig({ ...resolved, workers: workload.workers ?? resolved.workers }),
    generated: workload.generated,
    completed: stats.completed,
    lost,
    failed,
    inFlight,
    throughputRps: round(stats.completed / (window / SEC), 3),
    latencyUs: stats.summary("total"),
    stagesUs: {
      ingress: stats.summary("ingress"),
      dispatch: stats.summary("dispatch"),
      queue: stats.summary("queue"),
      service: stats.summary("service"),
    },
    cpuUtilization,
    threadCpu,
    antagonist: antagonistShares.length === 0 ? null : {
      total: round(antagonistShares.reduce((a, b) => a + b, 0), 6),
      perThread: antagonistShares,
    },
    contextSwitches: kernel.cpus.reduce((sum, cpu) => sum + cpu.switches, 0),
    ghost: enclave === null || processes.length === 0 ? null : {
      model: processes[0]!.policy.model,
      messages: sum((s) => s.messages),
      decisions: sum((s) => s.decisions),
      failedCommits: sum((s) => s.failedCommits),
      outcomes: Object.fromEntries(
        [...enclave.stats.outcomes.entries()].filter(([, count]) => count > 0).map((
          [outcome, count],
        ) => [TXN_NAMES[outcome] ?? String(outcome), count]),
      ),
      overflows: enclave.stats.overflows,
      agentMigrations: sum((s) => s.migrations),
      agentCpuUs: threadCpu.find((g) => g.group === "agents")?.cpuUs ?? 0,
    },
    events: engine.events,
    eventsPerSec: Math.round(engine.events / Math.max(wallSeconds, 1e-9)),
    lifecycleEvents: observed.summaries(timeline, lost, config.durationNs),
    ...(timeline === null
      ? {}
      : { timeSeries: { windowUs: config.windowNs / US, rows: timeline.rows(config.durationNs) } }),
    ...(options.cdfPoints !== undefined && options.cdfPoints > 0 && stats.completed > 0
      ? {
        cdfUs: stats.histogram("all", "total").cdf(options.cdfPoints).map((point) => ({
          valueUs: round(point.valueNs / US, 3),
          fraction: round(point.fraction, 6),
        })),
      }
      : {}),
  };
}

/**
 * Arranges the run's side of lifecycle events (sampling requests in flight,
 * reboots) and turns the supervisor's records into summaries.
 */
function observeLifecycle(
  engine: Engine,
  workload: Workload,
  supervisor: AgentSupervisor | null,
  events: readonly LifecycleEvent[],
  rebootNs: number,
) {
  const samples: {
    event: LifecycleEvent;
    inFlight: number;
    failed: number;
    failedBefore: number;
    atNs: number;
  }[] = [];
  const kind = engine.register("run.lifecycle", (index) => {
    const event = events[index]!;
    const sample = {
      event,
      inFlight: workload.inFlight(),
      failed: 0,
      failedBefore: workload.failed ?? 0,
      atNs: engine.now,
    };
    samples.push(sample);
    if (event.kind === "reboot") workload.reboot!(engine.now + rebootNs);
  });
  // Sample before the supervisor acts on the same instant: schedule first.
  events.forEach((event, index) => engine.at(event.atNs, kind, index));
  for (const event of events) if (event.kind !== "reboot") supervisor!.schedule(event);
  return {
    summaries(timeline: Timeline | null, lost: number, durationNs: number): LifecycleSummary[] {
      const records = supervisor?.records ?? [];
      const result: LifecycleSummary[] = [];
      const used = new Set<number>();
      samples.forEach((sample, i) => {
        // Failed by this event: until the next event (a reboot fails both the
        // requests in flight and those arriving while it is down).
        const until = samples[i + 1]?.failedBefore ?? workload.failed ?? 0;
        sample.failed = until - sample.failedBefore;
      });
      for (const sample of samples) {
        let start = sample.atNs;
        let end = -1;
        let cause = "injected";
        let error: string | null = null;
        let policyAfter = "";
        if (sample.event.kind === "reboot") {
          end = sample.atNs + rebootNs;
          policyAfter = "(unchanged)";
        } else {
          const index = records.findIndex((r, i) =>
            !used.has(i) && r.atNs === sample.atNs && r.kind === sample.event.kind
          );
          if (index < 0) continue; // the enclave was already gone
          used.add(index);
          const record = records[index]!;
          start = record.blackoutStartNs;
          end = record.blackoutEndNs;
          policyAfter = record.policyAfter;
          cause = record.cause;
          error = record.error;
        }
        result.push(
          summarize(sample.event.kind, sample.atNs, start, end, cause, error, policyAfter, {
            inFlight: sample.inFlight,
            failed: sample.failed,
            lost,
            timeline,
            durationNs,
          }),
        );
      }
      // Crashes of policy code that no event injected.
      records.forEach((record, i) => {
        if (used.has(i) || record.cause !== "policy error") return;
        result.push(
          summarize(
            "crash",
            record.atNs,
            record.blackoutStartNs,
            record.blackoutEndNs,
            record.cause,
            record.error,
            record.policyAfter,
            { inFlight: 0, failed: 0, lost, timeline, durationNs },
          ),
        );
      });
      return result.sort((a, b) => a.atUs - b.atUs);
    },
  };
}

function summarize(
  kind: string,
  atNs: number,
  startNs: number,
  endNs: number,
  cause: string,
  error: string | null,
  policyAfter: string,
  extra: {
    inFlight: number;
    failed: number;
    lost: number;
    timeline: Timeline | null;
    durationNs: number;
  },
): LifecycleSummary {
  const timeline = extra.timeline;
  let recoveryUs: number | null = null;
  let worstLatencyUs = 0;
  if (timeline !== null) {
    const w = timeline.windowNs;
    const RECOVERY_SPAN = Math.max(1, Math.ceil(RECOVERY_SPAN_NS / w));
    const BASELINE_SPAN = Math.max(1, Math.ceil(BASELINE_SPAN_NS / w));
    const first = Math.floor(atNs / w);
    const last = Math.floor(extra.durationNs / w);
    const baseline = timeline.quantile(first - BASELINE_SPAN, first, 0.99);
    let recovered = last;
    if (baseline > 0) {
      for (let start = first; start + RECOVERY_SPAN <= last; start++) {
        if (timeline.arrivals(start) === 0) continue; // no request got through yet
        const p99 = timeline.quantile(start, start + RECOVERY_SPAN, 0.99);
        if (p99 > 0 && p99 <= 1.1 * baseline) {
          recovered = start;
          recoveryUs = round(Math.max(0, start * w - atNs) / US, 3);
          break;
        }
      }
    }
    worstLatencyUs = round(
      timeline.max(first, Math.max(first + 1, recovered + RECOVERY_SPAN)) / US,
      3,
    );
  }
  return {
    kind,
    atUs: atNs / US,
    cause,
    error,
    policyAfter,
    blackoutUs: endNs < 0 ? null : round((endNs - startNs) / US, 3),
    inFlight: extra.inFlight,
    failed: extra.failed,
    lost: extra.lost,
    worstLatencyUs,
    recoveryUs,
  };
}

function describeConfig(config: RunConfig): Record<string, string | number> {
  return {
    policy: config.policy,
    workload: config.workload,
    machine: config.machine,
    cpus: config.cpus,
    load: config.load,
    ...(config.workload === "synthetic" ? { service: config.service } : {}),
    workers: config.workers,
    ...(config.workload === "rocksdb"
      ? {
        getExpMeanUs: config.getExpMeanNs / US,
        rangeDurationUs: config.rangeDurationNs / US,
        rangeRatio: config.rangeRatio,
        wait: config.wait,
      }
      : {}),
    antagonists: config.antagonists,
    durationUs: config.durationNs / US,
    warmupUs: config.warmupNs / US,
    seed: config.seed,
    costs: config.costs,
    tickHz: config.tickHz,
    sliceUs: config.sliceNs / US,
    ...(config.events.length > 0
      ? {
        events: config.events.join(" "),
        restartDelayUs: config.restartDelayNs / US,
        rebootUs: config.rebootNs / US,
        watchdogUs: config.watchdogNs / US,
        windowUs: config.windowNs / US,
      }
      : {}),
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
