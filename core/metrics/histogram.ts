/**
 * A latency histogram with fixed memory and a bounded relative error, for
 * percentiles over millions of emulated requests.
 *
 * @module
 */

/** log2 of the number of sub-buckets per power of two. */
const SUB_BITS = 7;
/** Sub-buckets per power of two (128). */
const SUB_COUNT = 1 << SUB_BITS;
/** Values below this (256) each have a bucket of their own. */
const EXACT_LIMIT = 2 * SUB_COUNT;
/** Largest shift: the octave [2^52, 2^53) is split into buckets of 2^45. */
const MAX_SHIFT = 52 - SUB_BITS;
/** Buckets covering every safe integer from 0 to 2^53 − 1. */
const BUCKET_COUNT = (MAX_SHIFT + 2) * SUB_COUNT;
const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_32 = 1 / TWO_POW_32;

/** `POW2[s]` is 2^s and `INV_POW2[s]` is 2^−s, both exact in a double. */
const POW2 = new Float64Array(MAX_SHIFT + 1);
const INV_POW2 = new Float64Array(MAX_SHIFT + 1);
for (let s = 0; s <= MAX_SHIFT; s++) {
  POW2[s] = 2 ** s;
  INV_POW2[s] = 2 ** -s;
}

/** One point of a cumulative distribution: the fraction of values `<= valueNs`. */
export interface CdfPoint {
  /** A latency in nanoseconds (the top of a bucket, clamped to the maximum). */
  valueNs: number;
  /** The fraction of recorded values that are `<= valueNs`, in (0, 1]. */
  fraction: number;
}

/**
 * Records non-negative integer latencies in nanoseconds into a log-linear
 * (HDR-style) histogram whose memory is fixed at construction.
 *
 * Values below 256 ns have a bucket each and are exact. Above that, each
 * power of two `[2^e, 2^(e+1))` is split into 128 equal buckets of width
 * `2^(e−7)`, up to the largest safe integer (2^53 − 1 ns, about 104 days),
 * so nothing is ever clamped: 6016 counts in one `Float64Array` (47 KiB).
 * A quantile is reported as the midpoint of its bucket, clamped to the
 * exact `[min, max]`, which is within {@linkcode Histogram.RELATIVE_ERROR}
 * (1/256, about 0.39%) of the exact value. Count, mean, min and max are
 * exact (the sum is a double, exact while it stays below 2^53).
 *
 * {@linkcode Histogram.record} allocates nothing and computes the bucket
 * with `Math.clz32` and integer operations.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 *
 * const histogram = new Histogram();
 * for (let i = 1; i <= 1000; i++) histogram.record(i * 1000);
 * const p99 = histogram.quantile(0.99); // exact value: 991_000
 * if (Math.abs(p99 - 991_000) > Histogram.RELATIVE_ERROR * 991_000) {
 *   throw new Error(`p99 off: ${p99}`);
 * }
 * if (histogram.max !== 1_000_000 || histogram.mean !== 500_500) {
 *   throw new Error("max and mean are exact");
 * }
 * ```
 */
export class Histogram {
  /**
   * Bound on `|quantile(p) − exact| / exact` for any recorded data: a bucket
   * of width `w = 2^s` starts at or above `2^(s+7)`, and its midpoint is at
   * most `(w − 1) / 2` away from any integer in it, which is below
   * `2^(s+7) / 256`. Values below 256 ns are exact.
   */
  static readonly RELATIVE_ERROR: number = 1 / (2 * SUB_COUNT);

  readonly #counts = new Float64Array(BUCKET_COUNT);
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  /**
   * Records one latency in nanoseconds.
   *
   * @throws {RangeError} if the value is not a non-negative safe integer.
   */
  record(valueNs: number): void {
    if (!(Number.isSafeInteger(valueNs) && valueNs >= 0)) {
      throw new RangeError(
        `Invalid latency ${valueNs}: expected a non-negative integer number of nanoseconds`,
      );
    }
    this.#counts[bucketOf(valueNs)]!++;
    this.#count++;
    this.#sum += valueNs;
    if (valueNs < this.#min) this.#min = valueNs;
    if (valueNs > this.#max) this.#max = valueNs;
  }

  /** The number of recorded values. */
  get count(): number {
    return this.#count;
  }

  /** The exact mean in nanoseconds (sum / count); NaN when empty. */
  get mean(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }

  /** The smallest recorded value in nanoseconds (exact); NaN when empty. */
  get min(): number {
    return this.#count === 0 ? NaN : this.#min;
  }

  /** The largest recorded value in nanoseconds (exact); NaN when empty. */
  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }

  /** Bytes held by the bucket counts: fixed at construction, whatever is recorded. */
  get byteLength(): number {
    return this.#counts.byteLength;
  }

  /**
   * The value at rank `⌊count·p⌋` (0-based in the sorted values, clamped to
   * `count − 1`), as the midpoint of its bucket clamped to `[min, max]`: within
   * {@linkcode Histogram.RELATIVE_ERROR} of the exact value. Ranks 0 and
   * `count − 1` return the exact min and max (so do `quantile(0)` and
   * `quantile(1)`). NaN when empty.
   *
   * @throws {RangeError} if `p` is not in [0, 1].
   */
  quantile(p: number): number {
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`Invalid quantile ${p}: expected a number in [0, 1]`);
    }
    const count = this.#count;
    if (count === 0) return NaN;
    const rank = Math.min(Math.floor(count * p), count - 1);
    // The first and last ranks are the min and max, which are known exactly.
    if (rank === 0) return this.#min;
    if (rank === count - 1) return this.#max;
    const counts = this.#counts;
    let seen = 0;
    for (let i = bucketOf(this.#min); i < BUCKET_COUNT; i++) {
      seen += counts[i]!;
      if (seen > rank) return clamp(midpointOf(i), this.#min, this.#max);
    }
    // Unreachable: the counts add up to `count`, which is above `rank`.
    throw new Error(`Histogram counts do not add up to ${count}`);
  }

  /**
   * Adds every value recorded in `other` to this histogram, as if they had
   * been recorded here. `other` is unchanged.
   */
  merge(other: Histogram): void {
    if (other.#count === 0) return;
    const mine = this.#counts;
    const theirs = other.#counts;
    for (let i = 0; i < BUCKET_COUNT; i++) mine[i] = mine[i]! + theirs[i]!;
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /** Forgets every recorded value (keeps the memory). */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
  }

  /**
   * The cumulative distribution, one point per non-empty bucket in
   * increasing order: `fraction` of the values are `<= valueNs`, where
   * `valueNs` is the top of the bucket clamped to the max (so the last point
   * is `{ valueNs: max, fraction: 1 }`). With `points`, at most that many
   * points, taken evenly over the non-empty buckets and always keeping the
   * last. Empty histogram: an empty array. Allocates; not for the hot path.
   *
   * @throws {RangeError} if `points` is not a positive integer.
   */
  cdf(points?: number): CdfPoint[] {
    if (points !== undefined && !(Number.isSafeInteger(points) && points >= 1)) {
      throw new RangeError(`Invalid number of CDF points ${points}: expected a positive integer`);
    }
    const all: CdfPoint[] = [];
    const count = this.#count;
    if (count === 0) return all;
    const counts = this.#counts;
    let seen = 0;
    for (let i = bucketOf(this.#min); i < BUCKET_COUNT && seen < count; i++) {
      const n = counts[i]!;
      if (n === 0) continue;
      seen += n;
      all.push({ valueNs: Math.min(topOf(i), this.#max), fraction: seen / count });
    }
    if (points === undefined || all.length <= points) return all;
    const step = Math.ceil(all.length / points);
    const last = all.length - 1;
    return all.filter((_, j) => (last - j) % step === 0);
  }
}

/** The bucket of a non-negative safe integer. */
function bucketOf(value: number): number {
  if (value < EXACT_LIMIT) return value;
  if (value < TWO_POW_32) {
    const shift = 31 - Math.clz32(value) - SUB_BITS;
    return (shift << SUB_BITS) + (value >>> shift);
  }
  // 2^32 <= value < 2^53: the exponent comes from the high 32 bits, and the
  // scaling by a power of two is exact in a double.
  const high = Math.floor(value * TWO_POW_MINUS_32);
  const shift = 63 - Math.clz32(high) - SUB_BITS;
  return shift * SUB_COUNT + Math.floor(value * INV_POW2[shift]!);
}

/** log2 of the width of bucket `index` (0 for the exact buckets). */
function shiftOf(index: number): number {
  return index < EXACT_LIMIT ? 0 : (index >>> SUB_BITS) - 1;
}

/** The value halfway between the smallest and largest integers in bucket `index`. */
function midpointOf(index: number): number {
  const shift = shiftOf(index);
  const width = POW2[shift]!;
  return (index - shift * SUB_COUNT) * width + (width - 1) / 2;
}

/** The largest integer in bucket `index`. */
function topOf(index: number): number {
  const shift = shiftOf(index);
  const width = POW2[shift]!;
  return (index - shift * SUB_COUNT) * width + width - 1;
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}
