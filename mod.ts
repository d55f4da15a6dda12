/**
 * ghostbench: a deterministic emulator and benchmark harness for ghOSt-style
 * user-space delegated scheduling. Run as a program it is the `ghostbench`
 * command line (`deno task ghostbench --help`).
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, runExperiment } from "./mod.ts";
 * const result = runExperiment({ ...DEFAULT_RUN_CONFIG, load: 10_000, durationNs: 20_000_000, warmupNs: 0 });
 * if (result.lost !== 0) throw new Error("lost requests");
 * ```
 *
 * @module
 */

export { Engine, type EventHandler, type RunOptions } from "./core/engine.ts";
export { EventQueue } from "./core/event_queue.ts";
export { RandomStream, RandomStreams } from "./core/random.ts";
export { type Distribution, parseDistribution } from "./core/distributions.ts";
export { InputError } from "./core/errors.ts";
export { formatDuration, MS, parseDuration, SEC, US } from "./core/units.ts";
export { type CpuInfo, resolveTopology, Topology, TOPOLOGY_PRESETS } from "./core/topology.ts";
export {
  COST_PROFILES,
  type CostProfile,
  IDEAL_COSTS,
  PAPER_COSTS,
  resolveCostProfile,
} from "./core/cost_profile.ts";
export {
  type Action,
  type Behavior,
  Thread,
  type ThreadOptions,
  WaitQueue,
} from "./core/thread.ts";
export { hog, periodic, script, type ScriptStep } from "./core/behaviors.ts";
export { Kernel, type KernelOptions } from "./core/kernel.ts";
export { cfsTunables } from "./core/fair_class.ts";
export * from "./policies/mod.ts";
export { WORKLOADS } from "./workloads/registry.ts";
export type { Workload, WorkloadDefinition } from "./workloads/workload.ts";
export { Histogram } from "./core/metrics/histogram.ts";
export { type LatencySummary, RequestStats } from "./core/metrics/request_stats.ts";
export {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "./reports/experiment/run_experiment.ts";
export { main } from "./reports/cli/cli.ts";

import { main } from "./reports/cli/cli.ts";

if (import.meta.main) {
  // No top-level await: a policy file that `run --policy` imports may import
  // this module, which must then be done evaluating.
  main(Deno.args).then((code) => Deno.exit(code));
}
