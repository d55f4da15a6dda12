/**
 * A double-ended queue of thread ids in a growable ring: the run queue of
 * the FIFO-like policies. No allocation per operation.
 *
 * @module
 */

/** A ring deque of integers. */
export class Deque {
  #items: Float64Array;
  #head = 0;
  #size = 0;

  /** Creates an empty deque. */
  constructor(capacity = 64) {
    this.#items = new Float64Array(capacity);
  }

  /** Number of items. */
  get size(): number {
    return this.#size;
  }

  /** Appends at the back. */
  pushBack(value: number): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = value;
    this.#size++;
  }

  /** Inserts at the front. */
  pushFront(value: number): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1 + this.#items.length) % this.#items.length;
    this.#items[this.#head] = value;
    this.#size++;
  }

  /** Removes and returns the front item; -1 when empty. */
  popFront(): number {
    if (this.#size === 0) return -1;
    const value = this.#items[this.#head]!;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return value;
  }

  /** The front item, or -1. */
  peekFront(): number {
    return this.#size === 0 ? -1 : this.#items[this.#head]!;
  }

  /** Removes the first occurrence of a value (O(n)); false if absent. */
  remove(value: number): boolean {
    const n = this.#items.length;
    for (let i = 0; i < this.#size; i++) {
      if (this.#items[(this.#head + i) % n] !== value) continue;
      for (let j = i; j < this.#size - 1; j++) {
        this.#items[(this.#head + j) % n] = this.#items[(this.#head + j + 1) % n]!;
      }
      this.#size--;
      return true;
    }
    return false;
  }

  #grow(): void {
    const items = new Float64Array(this.#items.length * 2);
    for (let i = 0; i < this.#size; i++) {
      items[i] = this.#items[(this.#head + i) % this.#items.length]!;
    }
    this.#items = items;
    this.#head = 0;
  }
}
