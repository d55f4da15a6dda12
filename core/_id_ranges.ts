/**
 * A set of non-negative integer ids kept as sorted, disjoint ranges: the
 * enclave's record of the threads that died in it. Ids are allocated in
 * order, so the dead form a few long runs broken only by the threads still
 * alive (or never in the enclave): memory follows the holes, not the count.
 *
 * @module
 */

/** A set of integer ids stored as sorted half-open ranges `[start, end)`. */
export class IdRanges {
  /** Range starts, ascending; `#ends[i]` ends the range that `#starts[i]` begins. */
  #starts: number[] = [];
  #ends: number[] = [];

  /** Number of ranges (for tests: memory is proportional to it). */
  get ranges(): number {
    return this.#starts.length;
  }

  /** Whether `id` is in the set. */
  has(id: number): boolean {
    if (!Number.isInteger(id)) return false;
    const i = this.#last(id);
    return i >= 0 && id < this.#ends[i]!;
  }

  /** Adds `id` (no effect when present), merging it with the ranges it touches. */
  add(id: number): void {
    const starts = this.#starts;
    const ends = this.#ends;
    const i = this.#last(id);
    if (i >= 0 && id < ends[i]!) return;
    const joinsLeft = i >= 0 && ends[i] === id;
    const joinsRight = i + 1 < starts.length && starts[i + 1] === id + 1;
    if (joinsLeft && joinsRight) {
      ends[i] = ends[i + 1]!;
      this.#remove(i + 1);
    } else if (joinsLeft) {
      ends[i] = id + 1;
    } else if (joinsRight) {
      starts[i + 1] = id;
    } else {
      this.#insert(i + 1, id);
    }
  }

  // Ids arrive near the end, so the shifts below move few ranges: cheaper
  // than a splice.

  /** Inserts the range `[id, id + 1)` at index `at`. */
  #insert(at: number, id: number): void {
    const starts = this.#starts;
    const ends = this.#ends;
    let i = starts.length;
    starts.push(id);
    ends.push(id + 1);
    for (; i > at; i--) {
      starts[i] = starts[i - 1]!;
      ends[i] = ends[i - 1]!;
    }
    starts[at] = id;
    ends[at] = id + 1;
  }

  /** Removes the range at index `at`. */
  #remove(at: number): void {
    const starts = this.#starts;
    const ends = this.#ends;
    const last = starts.length - 1;
    for (let i = at; i < last; i++) {
      starts[i] = starts[i + 1]!;
      ends[i] = ends[i + 1]!;
    }
    starts.pop();
    ends.pop();
  }

  /** The index of the last range starting at or before `id`, or -1. */
  #last(id: number): number {
    const starts = this.#starts;
    // Ids mostly arrive near the end: try the last range first.
    const n = starts.length;
    if (n === 0 || starts[0]! > id) return -1;
    if (starts[n - 1]! <= id) return n - 1;
    let lo = 0;
    let hi = n - 1; // starts[lo] <= id < starts[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= id) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}
