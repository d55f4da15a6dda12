/**
 * Request completions in fixed windows of virtual time: throughput and
 * latency percentiles per window, for time series around lifecycle events.
 * Each window keeps a coarse log histogram (8 buckets per power of two, so
 * percentiles within about 9%), allocated only when the window sees a
 * request, for all requests and, when the request types are named, for
 * each type: memory grows with the run's length, not its request count. A
 * window no request arrived in has no latency (null), never 0.
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

/** Latency percentiles of the requests arriving in a window, µs; null when none arrived. */
export interface WindowLatency {
  /** Median, µs. */
  p50Us: number | null;
  /** 99th percentile, µs. */
  p99Us: number | null;
}

/** One window of a time series. */
export interface TimelineRow extends WindowLatency {
  /** Window start, µs. */
  tUs: number;
  /** Completions per second in the window. */
  throughputRps: number;
  /** The same percentiles per request type, when the timeline names its types. */
  types?: Record<string, WindowLatency>;
}

/** Options of a {@link Timeline}. */
export interface TimelineOptions {
  /** Names of the request types, by type index: percentiles per type too. @default none */
  types?: readonly string[];
}

/** Completions in fixed windows. */
export class Timeline {
  /** Window length, ns. */
  readonly windowNs: number;
  readonly #counts: number[] = [];
  readonly #finished: number[] = [];
  readonly #max: number[] = [];
  readonly #hist: (Uint32Array | undefined)[] = [];
  readonly #types: readonly string[];
  /** Per type index: requests arriving in each window, and their histograms. */
  readonly #typeCounts: number[][];
  readonly #typeHist: (Uint32Array | undefined)[][];

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
  constructor(windowNs: number, options: TimelineOptions = {}) {
    if (!(windowNs > 0)) throw new RangeError(`Timeline window must be positive: ${windowNs}`);
    this.windowNs = windowNs;
    this.#types = [...(options.types ?? [])];
    this.#typeCounts = this.#types.map(() => []);
    this.#typeHist = this.#types.map(() => []);
  }

  /**
   * Records a request of type index `type` that arrived at `arrivalNs` and
   * finished `latencyNs` later. Throughput counts it in the window it
   * finished in; latency in the window it arrived in, so a stall shows where
   * requests met it.
   */
  record(arrivalNs: number, latencyNs: number, type = 0): void {
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
    const typeCounts = this.#typeCounts[type];
    if (typeCounts === undefined) return;
    const typeHist = this.#typeHist[type]!;
    while (typeCounts.length <= w) {
      typeCounts.push(0);
      typeHist.push(undefined);
    }
    typeCounts[w]!++;
    let perType = typeHist[w];
    if (perType === undefined) {
      perType = new Uint32Array(BUCKETS);
      typeHist[w] = perType;
    }
    perType[bucketOf(latencyNs)]!++;
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
      const row: TimelineRow = {
        tUs: w * this.windowNs / 1000,
        throughputRps: Math.round(count * 1e9 / this.windowNs),
        ...windowLatency(this.#counts[w] ?? 0, this.#hist[w]),
      };
      if (this.#types.length > 0) {
        row.types = Object.fromEntries(
          this.#types.map((name, t) => [
            name,
            windowLatency(this.#typeCounts[t]![w] ?? 0, this.#typeHist[t]![w]),
          ]),
        );
      }
      rows.push(row);
    }
    return rows;
  }
}

/** The percentiles of one window's histogram of `count` requests, µs (null: none). */
function windowLatency(count: number, hist: Uint32Array | undefined): WindowLatency {
  if (count === 0 || hist === undefined) return { p50Us: null, p99Us: null };
  const at = (p: number) => {
    const rank = Math.min(count - 1, Math.floor(count * p));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += hist[b]!;
      if (seen > rank) return Math.round(valueOf(b) / 10) / 100;
    }
    return Math.round(valueOf(BUCKETS - 1) / 10) / 100;
  };
  return { p50Us: at(0.5), p99Us: at(0.99) };
}
