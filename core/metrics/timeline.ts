/**
 * Request completions in fixed windows of virtual time: throughput and
 * latency percentiles per window, for time series around lifecycle events.
 * Each window keeps a coarse log histogram (8 buckets per power of two, so
 * percentiles within about 9%), allocated only when the window sees a
 * request: memory grows with the run's length, not its request count.
 *
 * @module
 */

const SUB = 8;
const BUCKETS = 48 * SUB;

function bucketOf(ns: number): number {
  if (ns < 1) return 0;
  const exponent = Math.floor(Math.log2(ns));
  const base = 2 ** exponent;
  const sub = Math.min(SUB - 1, Math.floor((ns - base) / base * SUB));
  return Math.min(BUCKETS - 1, exponent * SUB + sub);
}

function valueOf(bucket: number): number {
  const exponent = Math.floor(bucket / SUB);
  const sub = bucket % SUB;
  const base = 2 ** exponent;
  return base + (sub + 0.5) * base / SUB;
}

/** One window of a time series. */
export interface TimelineRow {
  /** Window start, µs. */
  tUs: number;
  /** Completions per second in the window. */
  throughputRps: number;
  /** Median latency of requests arriving in the window, µs (0 when none). */
  p50Us: number;
  /** 99th percentile latency of requests arriving in the window, µs (0 when none). */
  p99Us: number;
}

/** Completions in fixed windows. */
export class Timeline {
  /** Window length, ns. */
  readonly windowNs: number;
  readonly #counts: number[] = [];
  readonly #finished: number[] = [];
  readonly #max: number[] = [];
  readonly #hist: (Uint32Array | undefined)[] = [];

  /**
   * Creates an empty timeline.
   *
   * @example
   * ```ts
   * import { Timeline } from "./timeline.ts";
   * const timeline = new Timeline(1_000_000);
   * timeline.record(1_500_000, 20_000);
   * if (timeline.rows(2_000_000)[1]!.throughputRps !== 1000) throw new Error("wrong");
   * ```
   */
  constructor(windowNs: number) {
    if (!(windowNs > 0)) throw new RangeError(`Timeline window must be positive: ${windowNs}`);
    this.windowNs = windowNs;
  }

  /**
   * Records a request that arrived at `arrivalNs` and finished `latencyNs`
   * later. Throughput counts it in the window it finished in; latency in the
   * window it arrived in, so a stall shows where requests met it.
   */
  record(arrivalNs: number, latencyNs: number): void {
    const finish = Math.floor((arrivalNs + latencyNs) / this.windowNs);
    const w = Math.floor(arrivalNs / this.windowNs);
    this.#grow(Math.max(finish, w));
    this.#finished[finish]!++;
    this.#counts[w]!++;
    if (latencyNs > this.#max[w]!) this.#max[w] = latencyNs;
    let hist = this.#hist[w];
    if (hist === undefined) {
      hist = new Uint32Array(BUCKETS);
      this.#hist[w] = hist;
    }
    hist[bucketOf(latencyNs)]!++;
  }

  #grow(window: number): void {
    while (this.#counts.length <= window) {
      this.#counts.push(0);
      this.#finished.push(0);
      this.#max.push(0);
      this.#hist.push(undefined);
    }
  }

  /** The latency quantile `p` of requests arriving in windows [from, to), ns; 0 when none. */
  quantile(fromWindow: number, toWindow: number, p: number): number {
    let total = 0;
    for (let w = Math.max(0, fromWindow); w < toWindow && w < this.#counts.length; w++) {
      total += this.#counts[w]!;
    }
    if (total === 0) return 0;
    const rank = Math.min(total - 1, Math.floor(total * p));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      for (let w = Math.max(0, fromWindow); w < toWindow && w < this.#counts.length; w++) {
        seen += this.#hist[w]?.[b] ?? 0;
      }
      if (seen > rank) return valueOf(b);
    }
    return valueOf(BUCKETS - 1);
  }

  /** Requests that arrived in window `w` and finished. */
  arrivals(w: number): number {
    return this.#counts[w] ?? 0;
  }

  /** The largest latency of requests arriving in windows [from, to), ns. */
  max(fromWindow: number, toWindow: number): number {
    let max = 0;
    for (let w = Math.max(0, fromWindow); w < toWindow && w < this.#max.length; w++) {
      max = Math.max(max, this.#max[w]!);
    }
    return max;
  }

  /** One row per window up to `endNs`. */
  rows(endNs: number): TimelineRow[] {
    const windows = Math.ceil(endNs / this.windowNs);
    const rows: TimelineRow[] = [];
    for (let w = 0; w < windows; w++) {
      const count = this.#finished[w] ?? 0;
      rows.push({
        tUs: w * this.windowNs / 1000,
        throughputRps: Math.round(count * 1e9 / this.windowNs),
        p50Us: Math.round(this.quantile(w, w + 1, 0.5) / 10) / 100,
        p99Us: Math.round(this.quantile(w, w + 1, 0.99) / 10) / 100,
      });
    }
    return rows;
  }
}
