/**
 * The pending-event set of the engine: a 4-ary min-heap ordered by time,
 * then by insertion sequence, beside a FIFO of the events pushed for the
 * current time, and allocating nothing per event.
 *
 * @module
 */

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
 * - A 4-ary heap of every other event: three parallel typed arrays in heap
 *   order, the times (`Float64Array`), the sequence numbers that break ties
 *   and the slot numbers of the payloads. Four children per node halve the
 *   heap's depth, and the children of a node share a cache line. The
 *   payload (`kind`, `a`, `b`) lives in typed arrays indexed by slot, freed
 *   slots going on a stack for reuse.
 *
 * Storage grows by doubling. After {@linkcode EventQueue.pop} returns true,
 * the popped event is in the public fields `time`, `kind`, `a` and `b`.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./event_queue.ts";
 *
 * const queue = new EventQueue();
 * queue.push(20, 1, 0, 0);
 * queue.push(10, 2, 7, 0);
 * queue.push(10, 3, 8, 0);
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

  #nextSeq = 0;

  // The heap, in heap order: position 0 is the earliest event.
  #capacity: number;
  #size = 0;
  #heapTimes: Float64Array;
  #heapSeqs: Float64Array;
  #heapSlots: Int32Array;
  // Per slot: the payload (touched once on push and once on pop).
  #kinds: Int32Array;
  #as: Float64Array;
  #bs: Float64Array;
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
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1 || initialCapacity > 2 ** 30) {
      throw new RangeError(
        `Invalid initial capacity ${initialCapacity}: expected an integer in [1, 2^30]`,
      );
    }
    const capacity = initialCapacity;
    this.#capacity = capacity;
    this.#heapTimes = new Float64Array(capacity);
    this.#heapSeqs = new Float64Array(capacity);
    this.#heapSlots = new Int32Array(capacity);
    this.#kinds = new Int32Array(capacity);
    this.#as = new Float64Array(capacity);
    this.#bs = new Float64Array(capacity);
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
    return this.#size + this.#fifoCount;
  }

  /** Adds an event; `a` and `b` are arbitrary numbers (up to 2^53 exactly). */
  push(time: number, kind: number, a: number, b: number): void {
    const seq = this.#nextSeq++;
    // An event for the FIFO's time (or, with the FIFO empty, for the time of
    // the last pop) has the largest sequence number of that time so far:
    // appending keeps the FIFO sorted.
    if (this.#fifoCount > 0 ? time === this.#fifoTime : time === this.time) {
      this.#fifoPush(time, seq, kind, a, b);
      return;
    }
    if (this.#freeCount === 0) this.#grow();
    const slot = this.#free[--this.#freeCount]!;
    this.#kinds[slot] = kind;
    this.#as[slot] = a;
    this.#bs[slot] = b;

    // Sift up with a hole: move parents down until the new event fits. The
    // new event has the largest sequence number, so it goes above a parent
    // only when strictly earlier.
    const times = this.#heapTimes;
    const seqs = this.#heapSeqs;
    const slots = this.#heapSlots;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const parentTime = times[parent]!;
      if (parentTime <= time) break;
      times[i] = parentTime;
      seqs[i] = seqs[parent]!;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
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
    const size = this.#size;
    if (this.#fifoCount > 0) {
      const fifoTime = this.#fifoTime;
      if (fifoTime > limit) return false;
      if (
        size === 0 || fifoTime < this.#heapTimes[0]! ||
        (fifoTime === this.#heapTimes[0]! && this.#fifoSeqs[this.#fifoHead]! < this.#heapSeqs[0]!)
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
    } else if (size === 0 || this.#heapTimes[0]! > limit) {
      return false;
    }
    this.#heapPop();
    return true;
  }

  /** Time of the earliest pending event, or `Infinity` when the queue is empty. */
  peekTime(): number {
    const heapTime = this.#size === 0 ? Infinity : this.#heapTimes[0]!;
    return this.#fifoCount > 0 && this.#fifoTime < heapTime ? this.#fifoTime : heapTime;
  }

  /** Removes every pending event (capacity is kept). */
  clear(): void {
    const capacity = this.#capacity;
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeCount = capacity;
    this.#size = 0;
    this.#fifoHead = 0;
    this.#fifoCount = 0;
  }

  /** Pops the heap's root into the public fields; the heap is not empty. */
  #heapPop(): void {
    const times = this.#heapTimes;
    const seqs = this.#heapSeqs;
    const slots = this.#heapSlots;
    const top = slots[0]!;
    this.time = times[0]!;
    this.kind = this.#kinds[top]!;
    this.a = this.#as[top]!;
    this.b = this.#bs[top]!;
    this.#free[this.#freeCount++] = top;

    const size = --this.#size;
    if (size === 0) return;
    // Floyd's bottom-up deletion: move the hole from the root down to a leaf
    // along the smallest children, then sift the last event up from there.
    // The last event usually belongs near the bottom, so this saves the
    // comparison with it at every level on the way down.
    const time = times[size]!;
    const seq = seqs[size]!;
    const slot = slots[size]!;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= size) break;
      let child = first;
      let childTime = times[first]!;
      let childSeq = seqs[first]!;
      const end = first + 4 < size ? first + 4 : size;
      for (let c = first + 1; c < end; c++) {
        const t = times[c]!;
        if (t < childTime || (t === childTime && seqs[c]! < childSeq)) {
          child = c;
          childTime = t;
          childSeq = seqs[c]!;
        }
      }
      times[i] = childTime;
      seqs[i] = childSeq;
      slots[i] = slots[child]!;
      i = child;
    }
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const parentTime = times[parent]!;
      if (parentTime < time || (parentTime === time && seqs[parent]! < seq)) break;
      times[i] = parentTime;
      seqs[i] = seqs[parent]!;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
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
    this.#heapSeqs = grownFloat64(this.#heapSeqs, capacity);
    this.#heapSlots = grownInt32(this.#heapSlots, capacity);
    this.#kinds = grownInt32(this.#kinds, capacity);
    this.#as = grownFloat64(this.#as, capacity);
    this.#bs = grownFloat64(this.#bs, capacity);
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
