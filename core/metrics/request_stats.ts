/**
 * Latency statistics of finished requests, per request type and per stage
 * (queueing, service, total), after a warm-up.
 *
 * @module
 */

import { US } from "../units.ts";
import { Histogram } from "./histogram.ts";
import type { Timeline } from "./timeline.ts";

/**
 * A stage of a request's life: reaching the server (`ingress`: received −
 * arrival), waiting for a worker (`dispatch`: assigned − received), waiting
 * for a CPU once assigned (`queue`: start − assigned), running (`service`:
 * finish − start), or all of it (`total`: finish − arrival).
 */
export type LatencyStage = "ingress" | "dispatch" | "queue" | "service" | "total";

/** Options of {@linkcode RequestStats}. */
export interface RequestStatsOptions {
  /** Request type names, e.g. `["short", "long"]`; a request's type is an index into it. */
  types: readonly string[];
  /**
   * Requests that arrived before this time (ns) are not recorded.
   *
   * @default {0}
   */
  warmupNs?: number;
}

/**
 * Latencies of one stage of one request type, in microseconds (floats).
 * Percentiles are within {@linkcode Histogram.RELATIVE_ERROR} of the exact
 * values; count, mean and max are exact. With no request (`count` 0), every
 * other field is 0: check `count` first.
 */
export interface LatencySummary {
  /** Number of recorded requests. */
  count: number;
  /** Mean latency (µs). */
  mean: number;
  /** Median latency (µs). */
  p50: number;
  /** 99th percentile (µs). */
  p99: number;
  /** 99.5th percentile (µs). */
  p99_5: number;
  /** 99.9th percentile (µs). */
  p99_9: number;
  /** Largest latency (µs). */
  max: number;
}

/** The summaries of one stage: `all` merges the request types, and each type name has its own. */
export interface StageSummary {
  /** Every request type together. */
  all: LatencySummary;
  /** One request type, by name. */
  [type: string]: LatencySummary;
}

const STAGES: readonly LatencyStage[] = ["ingress", "dispatch", "queue", "service", "total"];

/**
 * Records finished requests into one {@linkcode Histogram} per (type, stage)
 * plus one per stage for all types, ignoring requests that arrived during the
 * warm-up. {@linkcode RequestStats.record} allocates nothing.
 *
 * @example
 * ```ts
 * import { RequestStats } from "./request_stats.ts";
 *
 * const stats = new RequestStats({ types: ["short", "long"], warmupNs: 1_000 });
 * stats.record(0, 500, 600, 700); // arrived during the warm-up: ignored
 * stats.record(0, 1_000, 3_000, 4_000); // short: 2 µs queue, 1 µs service
 * stats.record(1, 2_000, 2_000, 12_000); // long: 10 µs service
 * const total = stats.summary("total");
 * if (stats.completed !== 2 || total.all.count !== 2) throw new Error("count");
 * if (total.short!.mean !== 3 || total.long!.max !== 10) throw new Error("µs");
 * if (stats.summary("queue").all.max !== 2) throw new Error("queue");
 * ```
 */
export class RequestStats {
  readonly #types: readonly string[];
  readonly #warmupNs: number;
  /**
   * Per stage, one histogram per type, then the one of all types at index
   * `types.length` (the same object as the type's when there is one type,
   * else merged from them when read).
   */
  readonly #ingress: Histogram[];
  readonly #dispatch: Histogram[];
  readonly #queue: Histogram[];
  readonly #service: Histogram[];
  readonly #total: Histogram[];
  #completed = 0;
  /** Requests were recorded since the histograms of all types were merged. */
  #allStale = false;
  /** Also records every finished request (warm-up included) per time window, when set. */
  timeline: Timeline | null = null;

  /**
   * Creates empty statistics for the given request types.
   *
   * @throws {RangeError} if there is no type, a name is empty, repeated or
   * `"all"`, or `warmupNs` is not a non-negative integer.
   */
  constructor(options: RequestStatsOptions) {
    const types = [...options.types];
    if (types.length === 0) {
      throw new RangeError("Invalid request types: expected at least one type name");
    }
    const seen = new Set<string>();
    for (const name of types) {
      if (name === "" || name === "all" || seen.has(name)) {
        throw new RangeError(
          `Invalid request type name "${name}": expected unique non-empty names other than "all"`,
        );
      }
      seen.add(name);
    }
    const warmupNs = options.warmupNs ?? 0;
    if (!(Number.isSafeInteger(warmupNs) && warmupNs >= 0)) {
      throw new RangeError(
        `Invalid warm-up ${warmupNs}: expected a non-negative integer number of nanoseconds`,
      );
    }
    this.#types = types;
    this.#warmupNs = warmupNs;
    this.#ingress = histograms(types.length);
    this.#dispatch = histograms(types.length);
    this.#queue = histograms(types.length);
    this.#service = histograms(types.length);
    this.#total = histograms(types.length);
  }

  /** The request type names, in index order. */
  get types(): readonly string[] {
    return this.#types;
  }

  /** Requests that arrived before this time (ns) are not recorded. */
  get warmupNs(): number {
    return this.#warmupNs;
  }

  /** The number of recorded requests (those that arrived after the warm-up). */
  get completed(): number {
    return this.#completed;
  }

  /**
   * Records one finished request of type index `type`, with its arrival,
   * start and finish times in integer nanoseconds, and optionally the times
   * the server received it and assigned it to a worker (default: on
   * arrival, and when received). Ignored (not counted) when `arrivalNs <
   * warmupNs`; the timestamps are checked either way.
   *
   * @throws {RangeError} if `type` is not a type index or the timestamps are
   * not integers with `arrivalNs <= receivedNs <= assignedNs <= startNs <=
   * finishNs` (a bug elsewhere).
   */
  record(
    type: number,
    arrivalNs: number,
    startNs: number,
    finishNs: number,
    receivedNs: number = arrivalNs,
    assignedNs: number = receivedNs,
  ): void {
    const types = this.#types.length;
    if (!(Number.isInteger(type) && type >= 0 && type < types)) {
      throw new RangeError(`Invalid request type ${type}: expected an integer in [0, ${types})`);
    }
    if (
      !(Number.isSafeInteger(arrivalNs) && Number.isSafeInteger(startNs) &&
        Number.isSafeInteger(finishNs) && Number.isSafeInteger(receivedNs) &&
        Number.isSafeInteger(assignedNs) && arrivalNs <= receivedNs &&
        receivedNs <= assignedNs && assignedNs <= startNs && startNs <= finishNs)
    ) {
      throw new RangeError(
        `Inconsistent request timestamps: arrival ${arrivalNs}, received ${receivedNs}, assigned ${assignedNs}, start ${startNs}, finish ${finishNs} (expected integers with arrival <= received <= assigned <= start <= finish)`,
      );
    }
    this.timeline?.record(arrivalNs, finishNs - arrivalNs, type);
    if (arrivalNs < this.#warmupNs) return;
    const ingress = receivedNs - arrivalNs;
    const dispatch = assignedNs - receivedNs;
    const queue = startNs - assignedNs;
    const service = finishNs - startNs;
    const total = finishNs - arrivalNs;
    this.#ingress[type]!.record(ingress);
    this.#dispatch[type]!.record(dispatch);
    this.#queue[type]!.record(queue);
    this.#service[type]!.record(service);
    this.#total[type]!.record(total);
    this.#allStale = true;
    this.#completed++;
  }

  /**
   * Summarizes one stage (default `"total"`) in microseconds: `all` merges
   * the types, and every type name has an entry, even with no request
   * (then its count and every other field are 0).
   *
   * @throws {RangeError} if `stage` is not a stage.
   */
  summary(stage: LatencyStage = "total"): StageSummary {
    this.#mergeAll();
    const stageHistograms = this.#byStage(stage);
    const entries: [string, LatencySummary][] = [
      ["all", summarize(stageHistograms[this.#types.length]!)],
    ];
    this.#types.forEach((name, i) => entries.push([name, summarize(stageHistograms[i]!)]));
    // `Object.fromEntries` defines own properties, so any type name is safe as a key.
    return Object.fromEntries(entries) as StageSummary;
  }

  /**
   * The live histogram (nanoseconds) of one type index, or of `"all"`, for
   * one stage (default `"total"`); for CDF plots. Mutating a type's
   * histogram changes these statistics; with several types, `"all"` is the
   * merge of theirs as of this call.
   *
   * @throws {RangeError} if `type` is not a type index or `"all"`, or `stage` is not a stage.
   */
  histogram(type: number | "all", stage: LatencyStage = "total"): Histogram {
    const types = this.#types.length;
    if (type === "all") {
      this.#mergeAll();
      return this.#byStage(stage)[types]!;
    }
    if (!(Number.isInteger(type) && type >= 0 && type < types)) {
      throw new RangeError(
        `Invalid request type ${type}: expected "all" or an integer in [0, ${types})`,
      );
    }
    return this.#byStage(stage)[type]!;
  }

  /**
   * Brings the histograms of all types up to date: the merge of the types'
   * own (the same values as recording each request twice, with half the
   * work per request; with one type, "all" is that type's histogram).
   */
  #mergeAll(): void {
    if (!this.#allStale) return;
    this.#allStale = false;
    const types = this.#types.length;
    if (types === 1) return;
    for (const stage of [this.#ingress, this.#dispatch, this.#queue, this.#service, this.#total]) {
      const all = stage[types]!;
      all.reset();
      for (let i = 0; i < types; i++) all.merge(stage[i]!);
    }
  }

  #byStage(stage: LatencyStage): Histogram[] {
    switch (stage) {
      case "ingress":
        return this.#ingress;
      case "dispatch":
        return this.#dispatch;
      case "queue":
        return this.#queue;
      case "service":
        return this.#service;
      case "total":
        return this.#total;
      default:
        throw new RangeError(`Unknown stage "${stage}": expected one of ${STAGES.join(", ")}`);
    }
  }
}

/**
 * One histogram per type, then the one of all types; with a single type,
 * "all" is that type's histogram itself (recorded once).
 */
function histograms(types: number): Histogram[] {
  const list = Array.from({ length: types }, () => new Histogram());
  list.push(types === 1 ? list[0]! : new Histogram());
  return list;
}

/** The microsecond summary of a nanosecond histogram; all zeros when empty. */
function summarize(histogram: Histogram): LatencySummary {
  if (histogram.count === 0) {
    return { count: 0, mean: 0, p50: 0, p99: 0, p99_5: 0, p99_9: 0, max: 0 };
  }
  return {
    count: histogram.count,
    mean: histogram.mean / US,
    p50: histogram.quantile(0.5) / US,
    p99: histogram.quantile(0.99) / US,
    p99_5: histogram.quantile(0.995) / US,
    p99_9: histogram.quantile(0.999) / US,
    max: histogram.max / US,
  };
}
