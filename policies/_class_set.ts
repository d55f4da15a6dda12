/**
 * A set of class numbers (0 up to a fixed bound) as a bitmap: a policy with
 * dozens of priority classes finds its best waiting class, or the next busy
 * class below one, in a few word operations instead of a scan over every
 * class. No allocation per operation.
 *
 * @module
 */

/** A bitmap of class numbers with lowest-member and highest-below queries. */
export class ClassSet {
  readonly #words: Int32Array;
  readonly #classes: number;

  /** Creates an empty set for classes 0..classes-1. */
  constructor(classes: number) {
    if (!(Number.isSafeInteger(classes) && classes >= 0)) {
      throw new RangeError(`Class set size out of range: ${classes}`);
    }
    this.#classes = classes;
    this.#words = new Int32Array(Math.max(1, Math.ceil(classes / 32)));
  }

  /** Whether `cls` is a member. */
  has(cls: number): boolean {
    return cls >= 0 && cls < this.#classes && (this.#words[cls >> 5]! & (1 << (cls & 31))) !== 0;
  }

  /** Adds `cls` (no effect when present). */
  add(cls: number): void {
    this.#check(cls);
    this.#words[cls >> 5] = this.#words[cls >> 5]! | (1 << (cls & 31));
  }

  /** Removes `cls` (no effect when absent). */
  delete(cls: number): void {
    this.#check(cls);
    this.#words[cls >> 5] = this.#words[cls >> 5]! & ~(1 << (cls & 31));
  }

  /** The smallest member, or -1 when the set is empty. */
  lowest(): number {
    const words = this.#words;
    for (let w = 0; w < words.length; w++) {
      const bits = words[w]!;
      if (bits !== 0) return (w << 5) + 31 - Math.clz32(bits & -bits);
    }
    return -1;
  }

  /** The largest member below `limit`, or -1 when there is none. */
  highestBelow(limit: number): number {
    const top = Math.min(limit, this.#classes) - 1;
    if (top < 0) return -1;
    const words = this.#words;
    let w = top >> 5;
    const bit = top & 31;
    // Bits 0..bit of the first word (all 32 when bit is 31).
    let bits = words[w]! & (bit === 31 ? -1 : (1 << (bit + 1)) - 1);
    for (;;) {
      if (bits !== 0) return (w << 5) + 31 - Math.clz32(bits);
      if (--w < 0) return -1;
      bits = words[w]!;
    }
  }

  #check(cls: number): void {
    if (!(cls >= 0 && cls < this.#classes && Number.isInteger(cls))) {
      throw new RangeError(`Class out of range 0..${this.#classes - 1}: ${cls}`);
    }
  }
}
