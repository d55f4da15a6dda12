/**
 * The pending-event set of the engine: a binary min-heap ordered by time,
 * then by insertion sequence, that allocates nothing per event.
 *
 * @module
 */

/**
 * A binary min-heap of events `(time, kind, a, b)` ordered by time, then by
 * insertion sequence, so events with equal times pop in the order they were
 * pushed.
 *
 * The heap is two parallel typed arrays in heap order: a `Float64Array` of
 * times (so the sift loops compare contiguous memory) and an `Int32Array` of
 * slot numbers. The sequence number (read only to break ties) and the
 * payload (`kind`, `a`, `b`) live in typed arrays indexed by slot, and freed
 * slots go on a stack for reuse. Pushing and popping allocate nothing;
 * storage grows by doubling.
 * After {@linkcode EventQueue.pop} returns true, the popped event is in the
 * public fields `time`, `kind`, `a` and `b`.
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

  #capacity: number;
  #size = 0;
  #nextSeq = 0;
  // The heap, in heap order: position 0 is the earliest event. Times are kept
  // beside the slot numbers so the sift loops read contiguous memory.
  #heapTimes: Float64Array;
  #heapSlots: Int32Array;
  // Per slot: the insertion sequence number (read only to break ties in
  // time) and the payload (touched once on push and once on pop).
  #seqs: Float64Array;
  #kinds: Int32Array;
  #as: Float64Array;
  #bs: Float64Array;
  /** Stack of free slot numbers; `#freeCount` of them are valid. */
  #free: Int32Array;
  #freeCount: number;

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
    this.#heapSlots = new Int32Array(capacity);
    this.#seqs = new Float64Array(capacity);
    this.#kinds = new Int32Array(capacity);
    this.#as = new Float64Array(capacity);
    this.#bs = new Float64Array(capacity);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeCount = capacity;
  }

  /** Number of pending events. */
  get size(): number {
    return this.#size;
  }

  /** Adds an event; `a` and `b` are arbitrary numbers (up to 2^53 exactly). */
  push(time: number, kind: number, a: number, b: number): void {
    if (this.#freeCount === 0) this.#grow();
    const slot = this.#free[--this.#freeCount]!;
    this.#seqs[slot] = this.#nextSeq++;
    this.#kinds[slot] = kind;
    this.#as[slot] = a;
    this.#bs[slot] = b;

    // Sift up with a hole: move parents down until the new event fits. The
    // new event has the largest sequence number, so it goes above a parent
    // only when strictly earlier.
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    let i = this.#size++;
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
    if (this.#size === 0) return false;
    const times = this.#heapTimes;
    const slots = this.#heapSlots;
    const seqs = this.#seqs;
    const top = slots[0]!;
    this.time = times[0]!;
    this.kind = this.#kinds[top]!;
    this.a = this.#as[top]!;
    this.b = this.#bs[top]!;
    this.#free[this.#freeCount++] = top;

    const size = --this.#size;
    if (size === 0) return true;
    // Floyd's bottom-up deletion: move the hole from the root down to a leaf
    // along the smaller children, then sift the last event up from there.
    // The last event usually belongs near the bottom, so this saves the
    // comparison with it at every level on the way down.
    const time = times[size]!;
    const slot = slots[size]!;
    const seq = seqs[slot]!;
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
      if (
        parentTime < time ||
        (parentTime === time && seqs[slots[parent]!]! < seq)
      ) break;
      times[i] = parentTime;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    slots[i] = slot;
    return true;
  }

  /** Time of the earliest pending event, or `Infinity` when the queue is empty. */
  peekTime(): number {
    return this.#size === 0 ? Infinity : this.#heapTimes[0]!;
  }

  /** Removes every pending event (capacity is kept). */
  clear(): void {
    const capacity = this.#capacity;
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#freeCount = capacity;
    this.#size = 0;
  }

  /** Doubles the storage; called only when every slot is in use. */
  #grow(): void {
    const old = this.#capacity;
    const capacity = old * 2;
    this.#heapTimes = grownFloat64(this.#heapTimes, capacity);
    this.#heapSlots = grownInt32(this.#heapSlots, capacity);
    this.#seqs = grownFloat64(this.#seqs, capacity);
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
