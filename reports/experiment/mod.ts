/**
 * Experiments run programmatically: {@link runExperiment} builds the machine,
 * the kernel, the policy's agents and the workload from a
 * {@link RunConfig}, runs the emulation, checks the kernel's invariants and
 * that no request was lost, and returns a {@link RunResult} (the summary
 * that `run --json` prints). {@link resolveRunConfig} checks a configuration
 * without running it; {@link runConfigFromJson} reads one back from a
 * result. The paper's microbenchmarks ({@link runMicrobench}) and the
 * global agent's scalability ({@link runScalability}) are experiments of
 * their own, and a {@link TraceRecorder} captures a run's first
 * milliseconds for Perfetto.
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, type RunConfig, runExperiment } from "../../mod.ts";
 *
 * // The same requests under CFS and under a centralized ghOSt policy.
 * const base: RunConfig = {
 *   ...DEFAULT_RUN_CONFIG,
 *   machine: "paper8",
 *   load: 100_000,
 *   durationNs: 50_000_000,
 *   warmupNs: 5_000_000,
 * };
 * const cfs = runExperiment(base);
 * const ghost = runExperiment({ ...base, policy: "fifo-centralized" });
 * if (cfs.ghost !== null || ghost.ghost === null) throw new Error("ghOSt counters");
 * if (cfs.generated !== ghost.generated) throw new Error("the arrivals depend on the seed only");
 * ```
 *
 * @module
 */

export {
  CRASH_WATCHDOG_NS,
  type GhostSummary,
  type GroupCpu,
  runExperiment,
  type RunExperimentOptions,
  type RunResult,
  WALL_CLOCK_FIELDS,
} from "./run_experiment.ts";
export {
  DEFAULT_MACHINE,
  DEFAULT_RUN_CONFIG,
  type ResolvedRunConfig,
  resolveRunConfig,
  type ResolveRunConfigOptions,
  type RunConfig,
  runConfigFromJson,
} from "./run_config.ts";
export type { LifecycleSummary, TimeSeries } from "./lifecycle_summary.ts";
export {
  type MicrobenchOptions,
  type MicrobenchRow,
  PAPER_MICROBENCH,
  runMicrobench,
} from "./paper_microbench.ts";
export {
  runScalability,
  type ScalabilityOptions,
  type ScalabilityRow,
} from "./agent_scalability.ts";
export {
  DEFAULT_TRACE_WINDOW_NS,
  MAX_TRACE_WINDOW_NS,
  type TraceEvent,
  TraceRecorder,
  writeTrace,
} from "./trace_recorder.ts";
