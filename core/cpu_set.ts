/**
 * A set of CPU numbers with O(1) add, remove and membership, iterable in a
 * dense array: the kernel's index of idle CPUs per cache domain and of
 * overloaded run queues, so that no event scans every CPU.
 *
 * @module
 */

/** A set of small non-negative integers below a fixed bound. */
export class CpuSet {
  #items: Int32Array;
  #position: Int32Array;
  #size = 0;

  /** Creates an empty set for members 0..capacity-1. */
  constructor(capacity: number) {
    this.#items = new Int32Array(capacity);
    this.#position = new Int32Array(capacity).fill(-1);
  }

  /** Number of members. */
  get size(): number {
    return this.#size;
  }

  /** Whether a CPU is a member. */
  has(cpu: number): boolean {
    return this.#position[cpu]! >= 0;
  }

  /** Adds a CPU (no effect when present). */
  add(cpu: number): void {
    if (this.#position[cpu]! >= 0) return;
    this.#items[this.#size] = cpu;
    this.#position[cpu] = this.#size++;
  }

  /** Removes a CPU (no effect when absent). */
  delete(cpu: number): void {
    const index = this.#position[cpu]!;
    if (index < 0) return;
    const last = this.#items[--this.#size]!;
    this.#items[index] = last;
    this.#position[last] = index;
    this.#position[cpu] = -1;
  }

  /** The i-th member in the set's internal order (0 <= i < size). */
  at(index: number): number {
    return this.#items[index]!;
  }
}
