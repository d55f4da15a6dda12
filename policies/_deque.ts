/**
 * A double-ended queue of thread ids in a growable ring: the run queue of
 * the FIFO-like policies. No allocation per operation; the ring's size is a
 * power of two, so positions wrap with a mask.
 *
 * @module
 */

/** A ring deque of integers. */
export class Deque {
  #items: Float64Array;
  #mask: number;
  #head = 0;
  #size = 0;

  /** Creates an empty deque with room for `capacity` items (rounded up to a power of two) before it grows. */
  constructor(capacity = 64) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    this.#items = new Float64Array(size);
    this.#mask = size - 1;
  }

  /** Number of items. */
  get size(): number {
    return this.#size;
  }

  /** Appends at the back. */
  pushBack(value: number): void {
    if (this.#size > this.#mask) this.#grow();
    this.#items[(this.#head + this.#size) & this.#mask] = value;
    this.#size++;
  }

  /** Inserts at the front. */
  pushFront(value: number): void {
    if (this.#size > this.#mask) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = value;
    this.#size++;
  }

  /** Removes and returns the front item; -1 when empty. */
  popFront(): number {
    if (this.#size === 0) return -1;
    const value = this.#items[this.#head]!;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return value;
  }

  /** The front item, or -1. */
  peekFront(): number {
    return this.#size === 0 ? -1 : this.#items[this.#head]!;
  }

  /** The item at `index` from the front (0 is the front), or -1 when out of range. */
  at(index: number): number {
    if (index < 0 || index >= this.#size) return -1;
    return this.#items[(this.#head + index) & this.#mask]!;
  }

  /** Removes the first occurrence of a value (O(n)); false if absent. */
  remove(value: number): boolean {
    const items = this.#items;
    const mask = this.#mask;
    const head = this.#head;
    for (let i = 0; i < this.#size; i++) {
      if (items[(head + i) & mask] !== value) continue;
      for (let j = i; j < this.#size - 1; j++) {
        items[(head + j) & mask] = items[(head + j + 1) & mask]!;
      }
      this.#size--;
      return true;
    }
    return false;
  }

  #grow(): void {
    const old = this.#items;
    const items = new Float64Array(old.length * 2);
    for (let i = 0; i < this.#size; i++) items[i] = old[(this.#head + i) & this.#mask]!;
    this.#items = items;
    this.#mask = items.length - 1;
    this.#head = 0;
  }
}
