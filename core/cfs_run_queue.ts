/**
 * One CPU's CFS run queue: the runnable threads that wait for the CPU,
 * ordered by virtual runtime (ties by enqueue order). Linux keeps them in a
 * red-black tree; an indexed binary heap gives the same leftmost-first order
 * with O(log n) insert, remove and pick. The running thread is not in the
 * heap (as in Linux, where `curr` leaves the tree).
 *
 * @module
 */

import type { Thread } from "./thread.ts";

/** A CPU's CFS run queue. */
export class CfsRunQueue {
  /** Monotonic floor of the queue's virtual runtimes. */
  minVruntime = 0;
  /** Sum of the weights of the queued threads (the running one excluded). */
  queuedWeight = 0;
  #heap: Thread[] = [];
  #seq = 0;

  /** Number of queued threads (not counting the running one). */
  get size(): number {
    return this.#heap.length;
  }

  /** The thread with the least virtual runtime, or null. */
  peek(): Thread | null {
    return this.#heap[0] ?? null;
  }

  /**
   * The best thread other than `skip` (a yielding thread): the leftmost, or
   * when that is `skip`, the better of its two children. Null when empty.
   */
  peekSkipping(skip: Thread | null): Thread | null {
    const first = this.#heap[0];
    if (first === undefined) return null;
    if (first !== skip || this.#heap.length === 1) return first;
    const left = this.#heap[1]!;
    const right = this.#heap[2];
    return right !== undefined && before(right, left) ? right : left;
  }

  /** The i-th queued thread in heap order (for load balancing scans). */
  at(index: number): Thread | undefined {
    return this.#heap[index];
  }

  /** Queues a thread. */
  push(thread: Thread): void {
    if (thread.heapIndex !== -1) {
      throw new Error(`Thread ${thread.id} is already in a run queue`);
    }
    thread.enqueueSeq = this.#seq++;
    this.#heap.push(thread);
    thread.heapIndex = this.#heap.length - 1;
    this.queuedWeight += thread.weight;
    this.#up(thread.heapIndex);
  }

  /** Removes a queued thread. */
  remove(thread: Thread): void {
    const index = thread.heapIndex;
    if (index < 0 || this.#heap[index] !== thread) {
      throw new Error(`Thread ${thread.id} is not in this run queue`);
    }
    const last = this.#heap.pop()!;
    thread.heapIndex = -1;
    this.queuedWeight -= thread.weight;
    if (last !== thread) {
      this.#heap[index] = last;
      last.heapIndex = index;
      this.#down(index);
      this.#up(last.heapIndex);
    }
  }

  /** Advances minVruntime to min(curr, leftmost), never backwards. */
  updateMinVruntime(curr: Thread | null): void {
    const first = this.#heap[0];
    let candidate = curr !== null ? curr.vruntime : Infinity;
    if (first !== undefined && first.vruntime < candidate) candidate = first.vruntime;
    if (candidate !== Infinity && candidate > this.minVruntime) this.minVruntime = candidate;
  }

  #up(index: number): void {
    const heap = this.#heap;
    const item = heap[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const other = heap[parent]!;
      if (!before(item, other)) break;
      heap[index] = other;
      other.heapIndex = index;
      index = parent;
    }
    heap[index] = item;
    item.heapIndex = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(heap[right]!, heap[child]!)) child = right;
      const other = heap[child]!;
      if (!before(other, item)) break;
      heap[index] = other;
      other.heapIndex = index;
      index = child;
    }
    heap[index] = item;
    item.heapIndex = index;
  }
}

function before(a: Thread, b: Thread): boolean {
  return a.vruntime < b.vruntime || (a.vruntime === b.vruntime && a.enqueueSeq < b.enqueueSeq);
}
