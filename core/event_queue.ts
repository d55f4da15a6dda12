/**
 * The pending-event set of the engine: a binary min-heap ordered by time,
 * then by insertion sequence, beside a FIFO of the events pushed for the
 * current time, allocating nothing per event. Heap events can be removed
 * before they pop.
 *
 * @module
 */

/**
 * A handle is `generation << SLOT_BITS | slot`: below 2^30, a small integer
 * that V8 passes around without allocating. Slots from 2^22 on (4M pending
 * events) get no handle.
 */
const SLOT_BITS = 22;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
/** Generations wrap here (a handle is only checked against its slot's current one). */
const GENERATION_MASK = (1 << (30 - SLOT_BITS)) - 1;
/** The later events are kept as a sorted array up to this many, then as a heap. */
const SORTED_MAX = 48;
/** A heap that shrinks to this many events becomes a sorted array again. */
const SORTED_MIN = 16;

/**
 * A min-queue of events `(time, kind, a, b)` ordered by time, then by
 * insertion sequence, so events with equal times pop in the order they were
 * pushed.
 *
 * Two parts hold the events, and a pop takes the earlier of their heads:
 *
 * - A FIFO ring of events pushed for the time of the last popped event (a
 *   simulation's "now": zero delays, a large share of a scheduler's events).
 *   They share one time and arrive in sequence order, so a ring keeps them
 *   sorted at O(1) per push and pop.
 * - Every other event, in two parallel typed arrays: the times
 *   (`Float64Array`, so the loops compare contiguous memory) and the slot
 *   numbers of the payloads. The sequence number (read only to break ties)
 *   and the payload (`kind`, `a`, `b`, and the time again) live in typed
 *   arrays indexed by slot, freed slots going on a stack for reuse. Up to
 *   `SORTED_MAX` events the arrays are sorted, latest first: a pop takes
 *   the last entry, and a push moves only the events due before it (few:
 *   a scheduler mostly schedules the near future, a small machine keeps a
 *   few dozen events). Beyond that they are a binary min-heap (the sorted
 *   array, reversed, is one), until it shrinks to `SORTED_MIN` events.
 *
 * {@linkcode EventQueue.push} returns a handle by which
 * {@linkcode EventQueue.remove} takes a heap event out before it pops (an
 * event for the current time cannot be removed: its handle is -1). A
 * removed event leaves a sorted array at once; in a heap it is only marked:
 * it leaves the heap when it reaches the top,
 * or when the marked ones outnumber the rest and the heap is rebuilt
 * without them, so removal costs the other operations nothing. Storage
 * grows by doubling. After {@linkcode EventQueue.pop} returns true, the
 * popped event is in the public fields `time`, `kind`, `a` and `b`.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./event_queue.ts";
 *
 * const queue = new EventQueue();
 * queue.push(20, 1, 0, 0);
 * queue.push(10, 2, 7, 0);
 * const handle = queue.push(15, 4, 0, 0);
 * queue.push(10, 3, 8, 0);
 * queue.remove(handle);
 * const kinds: number[] = [];
 * while (queue.pop()) kinds.push(queue.kind);
 * if (kinds.join() !== "2,3,1") throw new Error(`wrong order: ${kinds}`);
 * ```
 */
export class EventQueue {
  /** Time of the last popped event. */
  time = 0;
  /** Kind of the last popped event. */
  kind = 0;
  /** First payload number of the last popped event. */
  a = 0;
  /** Second payload number of the last popped event. */
  b = 0;
  /** Time of the last event taken out by {@linkcode EventQueue.remove}. */
  removedTime = 0;

  #nextSeq = 0;

  // The later events: sorted latest first (`#sorted`), the earliest at
  // position `#size - 1`; or in heap order, the earliest at position 0.
  #capacity: number;
  #size = 0;
  #sorted = true;
  #heapTimes: Float64Array;
  #heapSlots: Int32Array;
  // Per slot: the payload (touched once on push and once on pop), the time,
  // whether the event was removed, and the generation (bumped when the slot
  // is freed, so that an old handle finds nothing).
  #seqs: Float64Array;
  #kinds: Int32Array;
  #as: Float64Array;
  #bs: Float64Array;
  #slotTimes: Float64Array;
  #removed: Uint8Array;
  #generations: Int32Array;
  /** Removed events still in the heap. */
  #removedCount = 0;
  /** Stack of free slot numbers; `#freeCount` of them are valid. */
  #free: Int32Array;
  #freeCount: number;

  // The FIFO of events at `#fifoTime`, a ring of a power-of-two size.
  #fifoTime = 0;
  #fifoHead = 0;
  #fifoCount = 0;
  #fifoMask: number;
  #fifoSeqs: Float64Array;
  #fifoKinds: Int32Array;
  #fifoAs: Float64Array;
  #fifoBs: Float64Array;

  /** Creates an empty queue with room for `initialCapacity` events before it grows. */
  constructor(initialCapacity = 1024) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1 || initialCapacity > 2 ** 29) {
      throw new RangeError(
        `Invalid initial capacity ${initialCapacity}: expected an integer in [1, 2^29]`,
      );
    }
    const capacity = initialCapacity;
    this.#capacity = capacity;
    this.#heapTimes = new Float64Array(capacity);
    this.#heapSlots = new Int32Array(capacity);
    this.#seqs = new Float64Array(capacity);
    this.#kinds = new Int32Array(capacity);
    this.#as = new Float64Array(capacity);
    this.#bs = new Float64Array(capacity);
    this.#slotTimes = new Float64Array(capacity);
    this.#removed = new Uint8Array(capacity);
    this.#generations = new Int32Array(capacity);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeCount = capacity;
    const ring = 2 ** Math.ceil(Math.log2(Math.max(2, Math.min(capacity, 1024))));
    this.#fifoMask = ring - 1;
    this.#fifoSeqs = new Float64Array(ring);
    this.#fifoKinds = new Int32Array(ring);
    this.#fifoAs = new Float64Array(ring);
    this.#fifoBs = new Float64Array(ring);
  }

  /** Number of pending events. */
  get size(): number {
    return this.#size - this.#removedCount + this.#fifoCount;
  }

  /**
   * Adds an event; `a` and `b` are arbitrary numbers (up to 2^53 exactly).
   * Returns a handle for {@linkcode EventQueue.remove}, or -1 for an event
   * of the current time (the time of the last pop), which cannot be removed
   * (nor can the events beyond the first 4M pending).
   */
  push(time: number, kind: number, a: number, b: number): number {
    const seq = this.#nextSeq++;
    // An event for the FIFO's time (or, with the FIFO empty, for the time of
    // the last pop) has the largest sequence number of that time so far:
    // appending keeps the FIFO sorted.
    if (this.#fifoCount > 0 ? time === this.#fifoTime : time === this.time) {
      this.#fifoPush(time, seq, kind, a, b);
      return -1;
    }
    if (this.#freeCount === 0) this.#grow();
    const slot = this.#free[--this.#freeCount]!;
    this.#seqs[slot] = seq;
    this.#kinds[slot] = kind;
    this.#as[slot] = a;
    this.#bs[slot] = b;
    this.#slotTimes[slot] = time;

    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    if (this.#sorted && this.#size >= SORTED_MAX) this.#toHeap();
    let i = this.#size++;
    if (this.#sorted) {
      // Move the events due at or before it (they pop first: its sequence
      // number is the largest) one place up, and put it below the rest.
      while (i > 0) {
        const before = times[i - 1]!;
        if (before > time) break;
        times[i] = before;
        slots[i] = slots[i - 1]!;
        i--;
      }
      times[i] = time;
      slots[i] = slot;
    } else {
      this.#siftUp(i, time, slot);
    }
    return slot <= SLOT_MASK ? (this.#generations[slot]! << SLOT_BITS) | slot : -1;
  }

  /** Puts an event into the heap from position `i` (its last) up. */
  #siftUp(start: number, time: number, slot: number): void {
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    let i = start;
    // Sift up with a hole: move parents down until the new event fits. The
    // new event has the largest sequence number, so it goes above a parent
    // only when strictly earlier.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent]!;
      if (parentTime <= time) break;
      times[i] = parentTime;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    slots[i] = slot;
  }

  /**
   * Removes the earliest event and copies it into `time`, `kind`, `a` and
   * `b`. Returns false (and leaves those fields alone) when the queue is
   * empty.
   */
  pop(): boolean {
    return this.popUntil(Infinity);
  }

  /**
   * Like {@linkcode EventQueue.pop}, but only when the earliest event's time
   * is at most `limit`: returns false (and leaves the fields alone) when the
   * queue is empty or its earliest event is later.
   */
  popUntil(limit: number): boolean {
    if (this.#removedCount > 0) this.#dropRemovedTop();
    const size = this.#size;
    const first = this.#sorted ? size - 1 : 0;
    if (this.#fifoCount > 0) {
      const fifoTime = this.#fifoTime;
      if (fifoTime > limit) return false;
      if (
        size === 0 || fifoTime < this.#heapTimes[first]! ||
        (fifoTime === this.#heapTimes[first]! &&
          this.#fifoSeqs[this.#fifoHead]! < this.#seqs[this.#heapSlots[first]!]!)
      ) {
        const head = this.#fifoHead;
        this.time = fifoTime;
        this.kind = this.#fifoKinds[head]!;
        this.a = this.#fifoAs[head]!;
        this.b = this.#fifoBs[head]!;
        this.#fifoHead = (head + 1) & this.#fifoMask;
        this.#fifoCount--;
        return true;
      }
    } else if (size === 0 || this.#heapTimes[first]! > limit) {
      return false;
    }
    const top = this.#heapSlots[first]!;
    this.time = this.#heapTimes[first]!;
    this.kind = this.#kinds[top]!;
    this.a = this.#as[top]!;
    this.b = this.#bs[top]!;
    this.#release(top);
    this.#removeFirst();
    return true;
  }

  /**
   * Takes out a pending heap event by the handle its push returned, its time
   * going to `removedTime`. Returns false when the handle names no pending
   * event (-1, or an event already popped or removed).
   */
  remove(handle: number): boolean {
    if (!(handle >= 0 && handle === (handle | 0))) return false;
    const generation = handle >>> SLOT_BITS;
    const slot = handle & SLOT_MASK;
    if (
      slot >= this.#capacity || this.#generations[slot] !== generation ||
      this.#removed[slot] === 1
    ) {
      return false;
    }
    this.removedTime = this.#slotTimes[slot]!;
    if (this.#sorted) {
      // Out at once: the events due before it move down one place.
      const times = this.#heapTimes;
      const slots = this.#heapSlots;
      const last = --this.#size;
      let i = last;
      while (slots[i] !== slot) i--;
      for (; i < last; i++) {
        times[i] = times[i + 1]!;
        slots[i] = slots[i + 1]!;
      }
      this.#release(slot);
      return true;
    }
    this.#removed[slot] = 1;
    this.#removedCount++;
    if (this.#removedCount > 32 && 2 * this.#removedCount > this.#size) this.#rebuild();
    return true;
  }

  /** Time of the earliest pending event, or `Infinity` when the queue is empty. */
  peekTime(): number {
    if (this.#removedCount > 0) this.#dropRemovedTop();
    const heapTime = this.#size === 0
      ? Infinity
      : this.#heapTimes[this.#sorted ? this.#size - 1 : 0]!;
    return this.#fifoCount > 0 && this.#fifoTime < heapTime ? this.#fifoTime : heapTime;
  }

  /** Removes every pending event (capacity is kept; handles given so far name nothing). */
  clear(): void {
    for (let i = 0; i < this.#size; i++) this.#release(this.#heapSlots[i]!);
    this.#size = 0;
    this.#sorted = true;
    this.#removedCount = 0;
    this.#fifoHead = 0;
    this.#fifoCount = 0;
  }

  /** Frees a slot: its handle names nothing from now on. */
  #release(slot: number): void {
    if (this.#removed[slot] === 1) {
      this.#removed[slot] = 0;
      this.#removedCount--;
    }
    this.#generations[slot] = (this.#generations[slot]! + 1) & GENERATION_MASK;
    this.#free[this.#freeCount++] = slot;
  }

  /** Discards removed events from the front. */
  #dropRemovedTop(): void {
    for (;;) {
      const size = this.#size;
      if (size === 0) return;
      const slot = this.#heapSlots[this.#sorted ? size - 1 : 0]!;
      if (this.#removed[slot] !== 1) return;
      this.#release(slot);
      this.#removeFirst();
    }
  }

  /** Takes the earliest event (its slot released) out of the arrays. */
  #removeFirst(): void {
    if (this.#sorted) {
      this.#size--;
      return;
    }
    this.#siftDownLast();
    if (this.#size <= SORTED_MIN) this.#toSorted();
  }

  /** The heap becomes a sorted array, latest first, without its removed events. */
  #toSorted(): void {
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    const seqs = this.#seqs;
    const order: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      const slot = slots[i]!;
      if (this.#removed[slot] === 1) this.#release(slot);
      else order.push(slot);
    }
    const size = order.length;
    this.#size = size;
    order.sort((x, y) => this.#slotTimes[y]! - this.#slotTimes[x]! || seqs[y]! - seqs[x]!);
    for (let i = 0; i < size; i++) {
      slots[i] = order[i]!;
      times[i] = this.#slotTimes[order[i]!]!;
    }
    this.#sorted = true;
  }

  /** The sorted array becomes a heap: reversed, earliest first, it is one. */
  #toHeap(): void {
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    for (let i = 0, j = this.#size - 1; i < j; i++, j--) {
      const time = times[i]!;
      times[i] = times[j]!;
      times[j] = time;
      const slot = slots[i]!;
      slots[i] = slots[j]!;
      slots[j] = slot;
    }
    this.#sorted = false;
  }

  /** Drops the removed events (in a heap: then Floyd's bottom-up heapify). */
  #rebuild(): void {
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    let kept = 0;
    for (let i = 0; i < this.#size; i++) {
      const slot = slots[i]!;
      if (this.#removed[slot] === 1) {
        this.#release(slot);
        continue;
      }
      times[kept] = times[i]!;
      slots[kept] = slot;
      kept++;
    }
    this.#size = kept;
    if (this.#sorted) return; // kept in order
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.#siftDown(i);
    if (kept <= SORTED_MIN) this.#toSorted();
  }

  /** Whether heap position `i` holds an earlier event than position `j`. */
  #before(i: number, j: number): boolean {
    const ti = this.#heapTimes[i]!;
    const tj = this.#heapTimes[j]!;
    return ti < tj ||
      (ti === tj && this.#seqs[this.#heapSlots[i]!]! < this.#seqs[this.#heapSlots[j]!]!);
  }

  /** Sifts the event at heap position `start` down to its place (rebuilds only). */
  #siftDown(start: number): void {
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    const size = this.#size;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#before(child + 1, child)) child++;
      if (!this.#before(child, i)) break;
      const time = times[i]!;
      const slot = slots[i]!;
      times[i] = times[child]!;
      slots[i] = slots[child]!;
      times[child] = time;
      slots[child] = slot;
      i = child;
    }
  }

  /** Fills the root's hole (its event just left) with the last event, restoring the heap order. */
  #siftDownLast(): void {
    const size = --this.#size;
    if (size === 0) return;
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    const seqs = this.#seqs;
    const time = times[size]!;
    const slot = slots[size]!;
    const seq = seqs[slot]!;
    // Floyd's bottom-up deletion: move the hole from the root down to a leaf
    // along the smaller children, then sift the last event up from there.
    // The last event usually belongs near the bottom, so this saves the
    // comparison with it at every level on the way down.
    const half = size >> 1;
    let i = 0;
    while (i < half) {
      let child = 2 * i + 1;
      let childTime = times[child]!;
      const right = child + 1;
      if (right < size) {
        const rightTime = times[right]!;
        if (
          rightTime < childTime ||
          (rightTime === childTime && seqs[slots[right]!]! < seqs[slots[child]!]!)
        ) {
          child = right;
          childTime = rightTime;
        }
      }
      times[i] = childTime;
      slots[i] = slots[child]!;
      i = child;
    }
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent]!;
      if (parentTime < time || (parentTime === time && seqs[slots[parent]!]! < seq)) break;
      times[i] = parentTime;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    slots[i] = slot;
  }

  #fifoPush(time: number, seq: number, kind: number, a: number, b: number): void {
    if (this.#fifoCount > this.#fifoMask) this.#growFifo();
    const at = (this.#fifoHead + this.#fifoCount) & this.#fifoMask;
    this.#fifoSeqs[at] = seq;
    this.#fifoKinds[at] = kind;
    this.#fifoAs[at] = a;
    this.#fifoBs[at] = b;
    this.#fifoTime = time;
    this.#fifoCount++;
  }

  /** Doubles the FIFO ring, unrolling it to start at 0. */
  #growFifo(): void {
    const old = this.#fifoMask + 1;
    const head = this.#fifoHead;
    const unroll = <A extends Float64Array | Int32Array>(array: A, grown: A): A => {
      for (let i = 0; i < old; i++) grown[i] = array[(head + i) & (old - 1)]!;
      return grown;
    };
    this.#fifoSeqs = unroll(this.#fifoSeqs, new Float64Array(2 * old));
    this.#fifoKinds = unroll(this.#fifoKinds, new Int32Array(2 * old));
    this.#fifoAs = unroll(this.#fifoAs, new Float64Array(2 * old));
    this.#fifoBs = unroll(this.#fifoBs, new Float64Array(2 * old));
    this.#fifoHead = 0;
    this.#fifoMask = 2 * old - 1;
  }

  /** Doubles the heap's storage; called only when every slot is in use. */
  #grow(): void {
    const old = this.#capacity;
    const capacity = old * 2;
    this.#heapTimes = grownFloat64(this.#heapTimes, capacity);
    this.#seqs = grownFloat64(this.#seqs, capacity);
    this.#heapSlots = grownInt32(this.#heapSlots, capacity);
    this.#kinds = grownInt32(this.#kinds, capacity);
    this.#as = grownFloat64(this.#as, capacity);
    this.#bs = grownFloat64(this.#bs, capacity);
    this.#slotTimes = grownFloat64(this.#slotTimes, capacity);
    const removed = new Uint8Array(capacity);
    removed.set(this.#removed);
    this.#removed = removed;
    this.#generations = grownInt32(this.#generations, capacity);
    // Every slot was in use, so the new free stack holds only the new slots.
    const free = new Int32Array(capacity);
    for (let i = 0; i < old; i++) free[i] = capacity - 1 - i;
    this.#free = free;
    this.#freeCount = old;
    this.#capacity = capacity;
  }
}

function grownInt32(array: Int32Array, capacity: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}

function grownFloat64(array: Float64Array, capacity: number): Float64Array {
  const grown = new Float64Array(capacity);
  grown.set(array);
  return grown;
}
