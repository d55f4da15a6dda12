/**
 * Workloads: what runs on the emulated machine. A workload is a
 * {@link WorkloadDefinition}: a name, the options it declares (checked and
 * defaulted by the run, listed by `run --help`), an optional CPU layout for
 * ghOSt, and `create`, which starts its threads and arrivals on the kernel
 * and returns a {@link Workload} whose {@link RequestStats} the run reports.
 * Its threads join the run's enclave through {@link schedClassOf}, so the
 * same workload runs under CFS and under every ghOSt policy.
 * {@link registerWorkload} makes a workload known by name to runs and the
 * command line.
 *
 * Built in: `synthetic` (Poisson arrivals, a service-time distribution),
 * `rocksdb` (the paper's Get/Range mix with a dispatcher), `antagonist`
 * (batch threads that spin), `search` (queries whose data lives in one
 * last-level cache) and `periodic` (periodic real-time tasks with
 * deadlines).
 *
 * Deadlines: a workload attaches a deadline to a thread's work by writing
 * the absolute time, in ns, on the thread (`deadline` in the spawn options,
 * or `thread.deadline` before it wakes or yields the thread); a policy such
 * as `edf` reads it from the task's status (`TaskStatus.deadline`). A
 * workload that counts its misses in a {@link DeadlineStats} and returns
 * them from `Workload.deadlines` has them reported by the run.
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, runExperiment, WORKLOADS } from "../mod.ts";
 *
 * const rocksdb = WORKLOADS.rocksdb!;
 * const result = runExperiment({
 *   ...DEFAULT_RUN_CONFIG,
 *   workload: rocksdb.name,
 *   workloadOptions: { rangeRatio: 0 },
 *   load: 20_000,
 *   durationNs: 20_000_000,
 *   warmupNs: 2_000_000,
 * });
 * if (result.lost !== 0 || result.completed === 0) throw new Error("rocksdb ran badly");
 * ```
 *
 * @module
 */

export {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
  type WorkloadLayout,
} from "./workload.ts";
export { registerWorkload, resolveWorkload, WORKLOADS } from "./registry.ts";
export { SYNTHETIC, SYNTHETIC_OPTIONS, type SyntheticOptions } from "./synthetic.ts";
export {
  ROCKSDB,
  ROCKSDB_DEFAULT_WORKERS,
  ROCKSDB_OPTIONS,
  type RocksDbOptions,
} from "./rocksdb.ts";
export {
  ANTAGONIST,
  ANTAGONIST_GROUP,
  ANTAGONIST_NICE,
  ANTAGONIST_OPTIONS,
  type AntagonistOptions,
  spawnAntagonists,
} from "./antagonist.ts";
export {
  SEARCH,
  SEARCH_LONG_LIVED_PER_CPU,
  SEARCH_OPTIONS,
  SEARCH_QUERY_TYPES,
  SEARCH_WORKERS_PER_CCX,
  searchCapacityQps,
  searchMeanWorkNs,
  type SearchOptions,
  type SearchQueryType,
  type SearchServing,
  searchWorkload,
} from "./search.ts";
export {
  PERIODIC,
  PERIODIC_OPTIONS,
  type PeriodicOptions,
  type PeriodicTask,
  periodicTaskSet,
  utilizationOf,
} from "./periodic.ts";
export { SNAP, SNAP_MESSAGE_TYPES, SNAP_OPTIONS, type SnapOptions } from "./snap.ts";
