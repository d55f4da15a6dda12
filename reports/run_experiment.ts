/**
 * Runs one experiment: builds the machine, the kernel, the policy and the
 * workload from a configuration, runs the emulation, checks the kernel's
 * invariants and the request count, and returns the summary that `run`
 * prints.
 *
 * @module
 */

import { resolveCostProfile } from "../core/cost_profile.ts";
import { parseDistribution } from "../core/distributions.ts";
import { AgentProcess } from "../core/agent.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { TXN_NAMES } from "../core/ghost_abi.ts";
import { InputError } from "../core/errors.ts";
import { Kernel } from "../core/kernel.ts";
import { resolveTopology } from "../core/topology.ts";
import type { Tracer } from "../core/tracer.ts";
import { formatDuration, MS, SEC, US } from "../core/units.ts";
import { resolvePolicy } from "../policies/registry.ts";
import { ANTAGONIST_GROUP, spawnAntagonists } from "../workloads/antagonist.ts";
import { resolveWorkload } from "../workloads/registry.ts";
import type { WorkloadContext } from "../workloads/workload.ts";
import type { LatencyStage, StageSummary } from "./request_stats.ts";

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
};

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
   * Latency by stage: `ingress` (arrival to received), `queue` (received to
   * start) and `service` (start to finish).
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
  let enclave: Enclave | null = null;
  let agents: AgentProcess | null = null;
  if (agentPolicy !== null) {
    enclave = new Enclave(kernel, {
      cpus: layout.enclaveCpus,
      runnableTimeoutNs: policy.runnableTimeoutNs ?? 0,
    });
    agents = new AgentProcess(kernel, enclave, agentPolicy, { globalCpu: layout.globalCpu });
    agents.start();
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
  const stats = workload.stats;
  return {
    config: describeConfig(resolved),
    generated: workload.generated,
    completed: stats.completed,
    lost: workload.generated - workload.finished - inFlight,
    inFlight,
    throughputRps: round(stats.completed / (window / SEC), 3),
    latencyUs: stats.summary("total"),
    stagesUs: {
      ingress: stats.summary("ingress"),
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
    ghost: enclave === null || agents === null ? null : {
      model: agents.policy.model,
      messages: agents.stats.messages,
      decisions: agents.stats.decisions,
      failedCommits: agents.stats.failedCommits,
      outcomes: Object.fromEntries(
        [...enclave.stats.outcomes.entries()].filter(([, count]) => count > 0).map((
          [outcome, count],
        ) => [TXN_NAMES[outcome] ?? String(outcome), count]),
      ),
      overflows: enclave.stats.overflows,
      agentMigrations: agents.stats.migrations,
      agentCpuUs: threadCpu.find((g) => g.group === "agents")?.cpuUs ?? 0,
    },
    events: engine.events,
    eventsPerSec: Math.round(engine.events / Math.max(wallSeconds, 1e-9)),
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

function describeConfig(config: RunConfig): Record<string, string | number> {
  return {
    policy: config.policy,
    workload: config.workload,
    machine: config.machine,
    cpus: config.cpus,
    load: config.load,
    service: config.service,
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
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
