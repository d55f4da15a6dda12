/**
 * The requests of a calibration run and the summary both sides report. The
 * schedule draws exactly what the emulated `rocksdb` workload draws for a
 * seed (same stream names, same order), so the real server and the
 * emulation serve the same requests at the same arrival times.
 *
 * @module
 */

import { RandomStreams } from "../../core/random.ts";
import type { LatencyStage, RequestStats, StageSummary } from "../../core/metrics/request_stats.ts";
import { SEC, US } from "../../core/units.ts";

/** Work of a Get before its optional exponential part, ns (as in workloads/rocksdb.ts). */
export const GET_NS = 10 * US;

/** Request type names, by type index (as in workloads/rocksdb.ts). */
export const REQUEST_TYPES: readonly string[] = ["get", "range"];

/** The Get/Range mix of the rocksdb workload. */
export interface RequestMix {
  /** Mean of the exponential part added to each Get, ns (0: none). */
  getExpMeanNs: number;
  /** Work of a Range, ns. */
  rangeDurationNs: number;
  /** Probability that a request is a Range. */
  rangeRatio: number;
}

/** The rocksdb workload's default mix: 10 µs Gets, 0.5% of 5 ms Ranges. */
export const DEFAULT_MIX: RequestMix = {
  getExpMeanNs: 0,
  rangeDurationNs: 5_000_000,
  rangeRatio: 0.005,
};

/** Requests in arrival order. */
export interface RequestSchedule {
  /** Arrival times, ns, ascending, all below the duration. */
  arrival: Float64Array;
  /** Work of each request, ns of CPU time. */
  service: Float64Array;
  /** Type index of each request (into {@link REQUEST_TYPES}). */
  type: Int32Array;
}

/** Options of {@link requestSchedule}. */
export interface ScheduleOptions {
  /** Offered load, requests/s. */
  load: number;
  /** Arrivals stop at this time, ns. */
  durationNs: number;
  /** The request mix. @default DEFAULT_MIX */
  mix?: RequestMix;
}

/** Mean work of a request of the mix, ns. */
export function meanServiceNs(mix: RequestMix): number {
  return (1 - mix.rangeRatio) * (GET_NS + mix.getExpMeanNs) + mix.rangeRatio * mix.rangeDurationNs;
}

/**
 * Draws the requests of a run from the streams `rocksdb.arrivals`,
 * `rocksdb.types` and `rocksdb.service` of `seed`, in the workload's order.
 *
 * @example
 * ```ts
 * import { requestSchedule } from "./_requests.ts";
 * const s = requestSchedule(1, { load: 10_000, durationNs: 100_000_000 });
 * if (s.arrival.length < 800 || s.arrival.length > 1200) throw new Error("count");
 * ```
 */
export function requestSchedule(seed: number, options: ScheduleOptions): RequestSchedule {
  const mix = options.mix ?? DEFAULT_MIX;
  const streams = new RandomStreams(seed);
  const arrivals = streams.stream("rocksdb.arrivals");
  const kinds = streams.stream("rocksdb.types");
  const extra = streams.stream("rocksdb.service");
  const meanGap = SEC / options.load;
  const arrival: number[] = [];
  const service: number[] = [];
  const type: number[] = [];
  let next = Math.max(1, Math.round(arrivals.exponential(meanGap)));
  while (next < options.durationNs) {
    const range = kinds.next() < mix.rangeRatio;
    let work = range ? mix.rangeDurationNs : GET_NS;
    if (!range && mix.getExpMeanNs > 0) work += Math.round(extra.exponential(mix.getExpMeanNs));
    arrival.push(next);
    service.push(work);
    type.push(range ? 1 : 0);
    next += Math.max(1, Math.round(arrivals.exponential(meanGap)));
  }
  return {
    arrival: Float64Array.from(arrival),
    service: Float64Array.from(service),
    type: Int32Array.from(type),
  };
}

/** What a server run (real or emulated) reports. Latencies in µs. */
export interface ServerSummary {
  /** Requests that arrived after the warm-up and finished before the end. */
  completed: number;
  /** Completed requests per second of the measured window. */
  throughputRps: number;
  /** Total latency (arrival to finish), by type and `all`. */
  latencyUs: StageSummary;
  /** Latency by stage: ingress, dispatch, queue, service. */
  stagesUs: Record<Exclude<LatencyStage, "total">, StageSummary>;
  /** Latency CDF of all requests, at most the points asked for. */
  cdfUs: { valueUs: number; fraction: number }[];
}

/** Summarizes recorded statistics over the measured window `[warmupNs, durationNs)`. */
export function summarizeStats(
  stats: RequestStats,
  options: { warmupNs: number; durationNs: number; cdfPoints: number },
): ServerSummary {
  const windowNs = options.durationNs - options.warmupNs;
  return {
    completed: stats.completed,
    throughputRps: Math.round(stats.completed / (windowNs / SEC) * 1000) / 1000,
    latencyUs: stats.summary("total"),
    stagesUs: {
      ingress: stats.summary("ingress"),
      dispatch: stats.summary("dispatch"),
      queue: stats.summary("queue"),
      service: stats.summary("service"),
    },
    cdfUs: options.cdfPoints > 0 && stats.completed > 0
      ? stats.histogram("all", "total").cdf(options.cdfPoints).map((point) => ({
        valueUs: Math.round(point.valueNs) / US,
        fraction: Math.round(point.fraction * 1e6) / 1e6,
      }))
      : [],
  };
}
