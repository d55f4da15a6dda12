/**
 * The emulated machine: the discrete-event {@link Engine} (virtual time in
 * integer nanoseconds, the event queue, named random streams), the machine
 * {@link Topology} and its cost profiles, {@link Thread}s whose behaviours
 * hand the kernel one step at a time, the {@link Kernel} with its fair
 * (CFS), ghost and agent classes, the kernel side of ghOSt ({@link Enclave}:
 * messages, status words, transactions) and the agent runtime that runs a
 * {@link Policy} ({@link AgentProcess}), plus the metrics that the kernel
 * and workloads record.
 *
 * Nothing here knows a particular policy, workload or report: those import
 * from here, never the other way round.
 *
 * @example
 * ```ts
 * import { Engine, hog, IDEAL_COSTS, Kernel, MS, Topology } from "./mod.ts";
 *
 * // Two CPU hogs share one CPU under CFS for 100 ms of virtual time.
 * const engine = new Engine(1);
 * const kernel = new Kernel(engine, {
 *   topology: new Topology({ name: "one", coresPerLlc: 1 }),
 *   costs: IDEAL_COSTS,
 * });
 * const a = kernel.spawn(hog(), { name: "a" });
 * const b = kernel.spawn(hog(), { name: "b" });
 * engine.run({ until: 100 * MS });
 * if (a.cpuTime + b.cpuTime !== 100 * MS) throw new Error("the CPU was not always busy");
 * if (Math.abs(a.cpuTime - b.cpuTime) > 10 * MS) throw new Error("CFS is not fair");
 * ```
 *
 * @module
 */

export { Engine, type EventHandler, type RunOptions } from "./engine.ts";
export { EventQueue } from "./event_queue.ts";
export { RandomStream, RandomStreams } from "./random.ts";
export { type Distribution, type DistributionOptions, parseDistribution } from "./distributions.ts";
export { InputError } from "./errors.ts";
export { formatDuration, MS, parseDuration, SEC, toUs, US } from "./units.ts";
export {
  type CpuInfo,
  MAX_CPUS,
  resolveTopology,
  type ResolveTopologyOptions,
  Topology,
  TOPOLOGY_DESCRIPTIONS,
  TOPOLOGY_PRESETS,
  type TopologyShape,
} from "./topology.ts";
export { sparseCpuOrder, type SparseCpuOrderOptions } from "./cpu_order.ts";
export {
  DEFAULT_TOPOLOGY_COSTS,
  FIG5_AGENT_SMT_CONTENTION,
  FIG5_TOPOLOGY_COSTS,
  TOPOLOGY_COST_MODELS,
  type TopologyCostModel,
} from "./topology_costs.ts";
export {
  COST_DESCRIPTIONS,
  COST_PROFILES,
  type CostProfile,
  FIG5_AGENT_SHARE,
  FIG5_WORKER_SIDE_NS,
  IDEAL_COSTS,
  PAPER_COSTS,
  PAPER_FIG5_COSTS,
  resolveCostProfile,
} from "./cost_profile.ts";
export {
  type Action,
  type Behavior,
  NICE_0_WEIGHT,
  NICE_TO_WEIGHT,
  type SchedClassName,
  Thread,
  type ThreadOptions,
  type ThreadState,
  WaitQueue,
} from "./thread.ts";
export { hog, periodic, script, type ScriptStep } from "./behaviors.ts";
export { CfsRunQueue } from "./cfs_run_queue.ts";
export {
  CpuState,
  FAIR_CLASSES,
  type FairClassName,
  Kernel,
  type KernelOptions,
  type SpawnOptions,
} from "./kernel.ts";
export { type CfsTunables, cfsTunables } from "./fair_class.ts";
export { EEVDF_BASE_SLICE_NS, eevdfBaseSlice } from "./eevdf_class.ts";
export type { GhostHooks, LatchOptions } from "./ghost_class.ts";
export {
  MICROQUANTA_PERIOD_NS,
  MICROQUANTA_QUANTUM_NS,
  MicroQuantaClass,
  type MicroQuantaOptions,
} from "./microquanta_class.ts";
export { CpuSet } from "./cpu_set.ts";
export {
  type MessageType,
  MSG,
  MSG_NAMES,
  TARGET,
  TXN,
  TXN_NAMES,
  type TxnOutcome,
} from "./ghost_abi.ts";
export {
  type Message,
  MessageQueue,
  type MessageQueueOptions,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_DEFERRABLE,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
  MSG_FLAG_WAS_CURRENT,
  MSG_FLAG_WAS_LATCHED,
} from "./message_queue.ts";
export {
  type AgentAttachment,
  type CommitOptions,
  Enclave,
  type EnclaveOptions,
  type EnclaveStats,
  type TxnRequest,
} from "./enclave.ts";
export type { AgentContext, CommitMode, Policy, PolicyModel, TaskStatus } from "./policy.ts";
export { AgentProcess, type AgentProcessOptions, type AgentStats } from "./agent_process.ts";
export type { LifecycleEvent, LifecycleKind } from "./agent_supervisor.ts";
export type {
  BooleanOption,
  ChoiceOption,
  DistributionOption,
  DurationOption,
  IntegerOption,
  NumberOption,
  OptionSpec,
  OptionSpecs,
  OptionValue,
  OptionValueOf,
  OptionValues,
  OptionValuesOf,
} from "./options.ts";
export * from "./metrics/mod.ts";
export { GtidMap, type ReadonlyGtidMap } from "./gtid_map.ts";
