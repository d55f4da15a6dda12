/**
 * What the kernel and the workloads record while a run goes: per-request
 * latency ({@link RequestStats}, built on the fixed-memory
 * {@link Histogram}), met and missed deadlines
 * ({@link DeadlineStats}), completions per window of virtual time
 * ({@link Timeline}), and the {@link Tracer} interface that `run --trace`
 * implements.
 *
 * @example
 * ```ts
 * import { Histogram } from "./mod.ts";
 *
 * const histogram = new Histogram();
 * for (let i = 1; i <= 100; i++) histogram.record(i * 1_000);
 * const p50 = histogram.quantile(0.5);
 * if (Math.abs(p50 - 51_000) > Histogram.RELATIVE_ERROR * 51_000) throw new Error(`${p50}`);
 * ```
 *
 * @module
 */

export { type CdfPoint, Histogram } from "./histogram.ts";
export {
  DeadlineStats,
  type DeadlineStatsOptions,
  type DeadlineSummary,
} from "./deadline_stats.ts";
export {
  type LatencyStage,
  type LatencySummary,
  RequestStats,
  type RequestStatsOptions,
  type StageSummary,
} from "./request_stats.ts";
export { Timeline, type TimelineRow, type WindowLatency } from "./timeline.ts";
export type { Tracer } from "./tracer.ts";
