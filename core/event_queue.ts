/**
 * The pending-event set of the engine: a FIFO of the events pushed for the
 * current time, beside a sorted array of the later events while they are
 * few, or a radix heap of them (buckets by the highest bit in which a time
 * differs from a base) while they are many; allocating nothing per event.
 * Later events can be removed before they pop.
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
/** The later events are kept as a sorted array up to this many, then in radix buckets. */
const SORTED_MAX = 48;
/** Radix buckets that shrink to this many events become a sorted array again. */
const SORTED_MIN = 16;
/**
 * Bucket `b > 0` holds the times whose highest bit differing from the base
 * is bit `b - 1`; integer times below 2^53 differ at most in bit 52.
 */
const BUCKETS = 54;
/** 2^32: a time's high and low 32-bit words are compared apart. */
const TWO_32 = 4294967296;
/** Initial room of each bucket (each grows by doubling). */
const BUCKET_CAPACITY = 16;
/** Removed events kept in the buckets before they are compacted (once also the majority). */
const REMOVED_SLACK = 32;

/**
 * A min-queue of events `(time, kind, a, b)` ordered by time, then by
 * insertion sequence, so events with equal times pop in the order they were
 * pushed. Times are integers in [0, 2^53).
 *
 * Two parts hold the events, and a pop takes the earlier of their heads:
 *
 * - A FIFO ring of events pushed for the time of the last popped event (a
 *   simulation's "now": zero delays, a large share of a scheduler's events).
 *   They share one time and arrive in insertion order, so a ring keeps them
 *   sorted at O(1) per push and pop. Any later-part event of that time was
 *   pushed before them (a push for that time goes to the FIFO from the
 *   moment it is "now" until the FIFO empties), so it pops first.
 * - Every other event, with its payload (`kind`, `a`, `b`, and its time) in
 *   typed arrays indexed by slot, freed slots going on a stack for reuse.
 *   Up to `SORTED_MAX` events, their times and slots are in two parallel
 *   arrays sorted latest first: a pop takes the last entry, and a push moves
 *   only the events due at or before it (few: a scheduler mostly schedules
 *   the near future, and a small machine keeps a few dozen events). Beyond
 *   that they move into a radix heap, until it shrinks to `SORTED_MIN`.
 *
 * The radix heap keeps, relative to a base time no later than any of its
 * events (the last popped time, usually), an event at time `t` unsorted in
 * bucket `bitLength(t XOR base)`: bucket 0 holds the events at the base,
 * bucket `b` those that first differ from it in bit `b - 1`, so every event
 * of a bucket is earlier than every event of a higher one. A pop takes the
 * head of bucket 0; when that is empty, the lowest non-empty bucket is
 * scanned for its earliest time, which becomes the base, and its events
 * move down to lower buckets. An event moves down a few times at most, each
 * time for a few instructions: none of the comparison chains of a binary
 * heap, which matter with hundreds of pending events. Equal times keep
 * their insertion order with no sequence numbers: the events of one time
 * share a bucket, a push appends, and moving a bucket down keeps its order
 * and fills buckets that were empty (every bucket below it is).
 *
 * {@linkcode EventQueue.push} returns a handle by which
 * {@linkcode EventQueue.remove} takes a later event out before it pops (an
 * event for the current time cannot be removed: its handle is -1). A
 * removed event leaves a sorted array at once; in the radix heap it is only
 * marked: it leaves when its bucket is scanned, or when the marked ones
 * outnumber the rest and the buckets are compacted, so removal costs the
 * other operations nothing. A push earlier than the radix heap's base
 * (which the engine never does: it never schedules in the past) re-buckets
 * every event around the new base. Storage grows by doubling. After
 * {@linkcode EventQueue.pop} returns true, the popped event is in the public
 * fields `time`, `kind`, `a` and `b`.
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

  /** Later events (removed ones in the radix heap included). */
  #size = 0;
  /** Whether the later events are in the sorted array (else in the radix heap). */
  #sorted = true;
  // The sorted array, latest first: the earliest at position `#size - 1`.
  #sortedTimes = new Float64Array(SORTED_MAX);
  #sortedSlots = new Int32Array(SORTED_MAX);

  // The radix heap: the base every bucket is relative to, its high and low
  // 32-bit words; per bucket, times and slots in parallel arrays and a
  // count. Bucket 0 is read from `#head` on (a FIFO); the others are
  // emptied whole.
  #base = 0;
  #baseHigh = 0;
  #baseLow = 0;
  #bucketTimes: Float64Array[] = [];
  #bucketSlots: Int32Array[] = [];
  #bucketSizes = new Int32Array(BUCKETS);
  #head = 0;
  // Bit `b - 1` of `#lowMask` says bucket `b` (1 to 32) is not empty; bit
  // `b - 33` of `#highMask` the same for buckets 33 to 53.
  #lowMask = 0;
  #highMask = 0;
  /** Removed events still in a bucket. */
  #removedCount = 0;

  // Per slot: the payload (touched once on push and once on pop), the time,
  // whether the event was removed, and the generation (bumped when the slot
  // is freed, so that an old handle finds nothing).
  #capacity: number;
  #kinds: Int32Array;
  #as: Float64Array;
  #bs: Float64Array;
  #slotTimes: Float64Array;
  #removed: Uint8Array;
  #generations: Int32Array;
  /** Stack of free slot numbers; `#freeCount` of them are valid. */
  #free: Int32Array;
  #freeCount: number;

  // The FIFO of events at `#fifoTime`, a ring of a power-of-two size.
  #fifoTime = 0;
  #fifoHead = 0;
  #fifoCount = 0;
  #fifoMask: number;
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
    this.#fifoKinds = new Int32Array(ring);
    this.#fifoAs = new Float64Array(ring);
    this.#fifoBs = new Float64Array(ring);
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      this.#bucketTimes.push(new Float64Array(BUCKET_CAPACITY));
      this.#bucketSlots.push(new Int32Array(BUCKET_CAPACITY));
    }
  }

  /** Number of pending events. */
  get size(): number {
    return this.#size - this.#removedCount + this.#fifoCount;
  }

  /**
   * Adds an event at integer time `time` (in [0, 2^53)); `a` and `b` are
   * arbitrary numbers (up to 2^53 exactly). Returns a handle for
   * {@linkcode EventQueue.remove}, or -1 for an event of the current time
   * (the time of the last pop), which cannot be removed (nor can the events
   * beyond the first 4M pending).
   */
  push(time: number, kind: number, a: number, b: number): number {
    // An event for the FIFO's time (or, with the FIFO empty, for the time of
    // the last pop) is the last pushed of that time so far: appending keeps
    // the FIFO sorted.
    if (this.#fifoCount > 0 ? time === this.#fifoTime : time === this.time) {
      this.#fifoPush(time, kind, a, b);
      return -1;
    }
    if (this.#freeCount === 0) this.#grow();
    const slot = this.#free[--this.#freeCount]!;
    this.#kinds[slot] = kind;
    this.#as[slot] = a;
    this.#bs[slot] = b;
    this.#slotTimes[slot] = time;

    if (this.#sorted && this.#size >= SORTED_MAX) this.#toRadix();
    if (this.#sorted) {
      // Move the events due at or before it (they pop first: it is the last
      // pushed) one place up, and put it below the rest.
      const times = this.#sortedTimes;
      const slots = this.#sortedSlots;
      let i = this.#size++;
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
      if (time < this.#base) this.#rebase(time);
      this.#append(this.#bucketOf(time), time, slot);
      this.#size++;
    }
    return slot <= SLOT_MASK ? (this.#generations[slot]! << SLOT_BITS) | slot : -1;
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
    if (!this.#sorted) return this.#popRadix(limit);
    const size = this.#size;
    const times = this.#sortedTimes;
    if (this.#fifoCount > 0) {
      const fifoTime = this.#fifoTime;
      if (fifoTime > limit) return false;
      // On a tie the later part's event, pushed before, pops first.
      if (size === 0 || fifoTime < times[size - 1]!) {
        this.#fifoPop(fifoTime);
        return true;
      }
    } else if (size === 0 || times[size - 1]! > limit) {
      return false;
    }
    this.#size = size - 1;
    this.#output(times[size - 1]!, this.#sortedSlots[size - 1]!);
    return true;
  }

  /**
   * Takes out a pending later event by the handle its push returned, its
   * time going to `removedTime`. Returns false when the handle names no
   * pending event (-1, or an event already popped or removed).
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
      const times = this.#sortedTimes;
      const slots = this.#sortedSlots;
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
    if (this.#removedCount > REMOVED_SLACK && 2 * this.#removedCount > this.#size) {
      this.#compact();
    }
    return true;
  }

  /** Time of the earliest pending event, or `Infinity` when the queue is empty. */
  peekTime(): number {
    const later = this.#sorted
      ? (this.#size === 0 ? Infinity : this.#sortedTimes[this.#size - 1]!)
      : this.#peekRadix();
    return this.#fifoCount > 0 && this.#fifoTime < later ? this.#fifoTime : later;
  }

  /** Removes every pending event (capacity is kept; handles given so far name nothing). */
  clear(): void {
    if (this.#sorted) {
      for (let i = 0; i < this.#size; i++) this.#release(this.#sortedSlots[i]!);
    } else {
      this.#takeRadix(false);
    }
    this.#size = 0;
    this.#sorted = true;
    this.#removedCount = 0;
    this.#fifoHead = 0;
    this.#fifoCount = 0;
  }

  /** Makes a later event the popped one and frees its slot. */
  #output(time: number, slot: number): void {
    this.time = time;
    this.kind = this.#kinds[slot]!;
    this.a = this.#as[slot]!;
    this.b = this.#bs[slot]!;
    this.#release(slot);
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

  /** {@linkcode EventQueue.popUntil} with the later events in the radix heap. */
  #popRadix(limit: number): boolean {
    const sizes = this.#bucketSizes;
    for (;;) {
      let laterTime = Infinity;
      const head = this.#head;
      if (head < sizes[0]!) {
        const slot = this.#bucketSlots[0]![head]!;
        if (this.#removed[slot] === 1) {
          this.#dropHead();
          continue;
        }
        laterTime = this.#base;
      } else if (
        this.#size > 0 && !(this.#fifoCount > 0 && this.#fifoTime <= this.#base)
      ) {
        // Bucket 0 is empty: the earliest later event is in the lowest
        // non-empty bucket, unless the FIFO is no later than the base (then
        // every later event is later than the FIFO's).
        const bucket = this.#lowestBucket();
        const earliest = this.#earliestIn(bucket);
        if (!(this.#fifoCount > 0 && this.#fifoTime < earliest)) {
          if (earliest > limit) return false;
          this.#setBase(earliest);
          if (this.#bucketSizes[bucket] === 1) {
            // A lone event (the most common case) pops straight from its bucket.
            const slot = this.#bucketSlots[bucket]![0]!;
            this.#bucketSizes[bucket] = 0;
            this.#markEmpty(bucket);
            this.#size--;
            if (this.#removed[slot] === 1) {
              this.#release(slot);
              continue;
            }
            this.#output(earliest, slot);
            if (this.#size - this.#removedCount <= SORTED_MIN) this.#toSorted();
            return true;
          }
          this.#redistribute(bucket);
          continue;
        }
      }
      if (this.#fifoCount > 0 && this.#fifoTime < laterTime) {
        if (this.#fifoTime > limit) return false;
        this.#fifoPop(this.#fifoTime);
        return true;
      }
      if (head === sizes[0]! || laterTime > limit) return false; // empty, or later
      const slot = this.#bucketSlots[0]![head]!;
      this.#dropHead();
      this.#output(laterTime, slot);
      if (this.#size - this.#removedCount <= SORTED_MIN) this.#toSorted();
      return true;
    }
  }

  /** Takes bucket 0's head out (its slot is still to be released if removed). */
  #dropHead(): void {
    const slot = this.#bucketSlots[0]![this.#head]!;
    if (++this.#head === this.#bucketSizes[0]!) {
      this.#head = 0;
      this.#bucketSizes[0] = 0;
    }
    this.#size--;
    if (this.#removed[slot] === 1) this.#release(slot);
  }

  /** The earliest time among the radix heap's events not removed (`Infinity` if none). */
  #peekRadix(): number {
    // It is in the lowest bucket that has an event not removed.
    const removed = this.#removed;
    const headSlots = this.#bucketSlots[0]!;
    for (let i = this.#head, n = this.#bucketSizes[0]!; i < n; i++) {
      if (removed[headSlots[i]!] !== 1) return this.#base;
    }
    let low = this.#lowMask;
    let high = this.#highMask;
    while (low !== 0 || high !== 0) {
      let bucket: number;
      if (low !== 0) {
        bucket = 32 - Math.clz32(low & -low);
        low &= low - 1; // the lowest bit off
      } else {
        bucket = 64 - Math.clz32(high & -high);
        high &= high - 1;
      }
      const times = this.#bucketTimes[bucket]!;
      const slots = this.#bucketSlots[bucket]!;
      let earliest = Infinity;
      for (let i = 0, n = this.#bucketSizes[bucket]!; i < n; i++) {
        if (removed[slots[i]!] !== 1 && times[i]! < earliest) earliest = times[i]!;
      }
      if (earliest !== Infinity) return earliest;
    }
    return Infinity;
  }

  /** The bucket of a time at or after the base: the bit length of `time XOR base`. */
  #bucketOf(time: number): number {
    const high = time < TWO_32 ? 0 : Math.floor(time / TWO_32);
    if (high !== this.#baseHigh) return 64 - Math.clz32(high ^ this.#baseHigh);
    // `^` takes the low 32 bits of each time (ToInt32); with equal high
    // words the XOR of the low words is that of the times.
    return 32 - Math.clz32(time ^ this.#baseLow);
  }

  #setBase(time: number): void {
    this.#base = time;
    const high = time < TWO_32 ? 0 : Math.floor(time / TWO_32);
    this.#baseHigh = high;
    this.#baseLow = (time - high * TWO_32) | 0;
  }

  /** The lowest non-empty bucket above 0 (there must be one). */
  #lowestBucket(): number {
    const low = this.#lowMask;
    if (low !== 0) return 32 - Math.clz32(low & -low);
    const high = this.#highMask;
    return 64 - Math.clz32(high & -high);
  }

  /** The earliest time in a non-empty bucket above 0, removed events included. */
  #earliestIn(bucket: number): number {
    const times = this.#bucketTimes[bucket]!;
    let earliest = times[0]!;
    for (let i = 1, n = this.#bucketSizes[bucket]!; i < n; i++) {
      const time = times[i]!;
      if (time < earliest) earliest = time;
    }
    return earliest;
  }

  /**
   * Moves every event of a bucket above 0 to its bucket under the new base
   * (a lower one), in order, freeing the removed ones.
   */
  #redistribute(bucket: number): void {
    const times = this.#bucketTimes[bucket]!;
    const slots = this.#bucketSlots[bucket]!;
    const count = this.#bucketSizes[bucket]!;
    this.#bucketSizes[bucket] = 0;
    if (bucket > 32) {
      this.#highMask &= ~(1 << (bucket - 33));
      for (let i = 0; i < count; i++) this.#move(times[i]!, slots[i]!);
      return;
    }
    // The events of a bucket up to 32 (and so the new base, the earliest of
    // them) share the old base's high word: only the low words differ. The
    // append is written out here, as this loop is the queue's hottest.
    let lowMask = this.#lowMask & ~(1 << (bucket - 1));
    const baseLow = this.#baseLow;
    const removed = this.#removed;
    const sizes = this.#bucketSizes;
    const allTimes = this.#bucketTimes;
    const allSlots = this.#bucketSlots;
    for (let i = 0; i < count; i++) {
      const slot = slots[i]!;
      if (removed[slot] === 1) {
        this.#size--;
        this.#release(slot);
        continue;
      }
      const time = times[i]!;
      const to = 32 - Math.clz32(time ^ baseLow);
      let at = sizes[to]!;
      let toTimes = allTimes[to]!;
      if (at === toTimes.length) {
        toTimes = this.#growBucket(to);
        at = sizes[to]!;
      }
      toTimes[at] = time;
      allSlots[to]![at] = slot;
      sizes[to] = at + 1;
      if (to !== 0) lowMask |= 1 << (to - 1);
    }
    this.#lowMask = lowMask;
  }

  /** Moves an event to its bucket under the base, unless it was removed (then frees it). */
  #move(time: number, slot: number): void {
    if (this.#removed[slot] === 1) {
      this.#size--;
      this.#release(slot);
    } else {
      this.#append(this.#bucketOf(time), time, slot);
    }
  }

  /** Appends an event to a bucket. */
  #append(bucket: number, time: number, slot: number): void {
    let count = this.#bucketSizes[bucket]!;
    let times = this.#bucketTimes[bucket]!;
    if (count === times.length) {
      times = this.#growBucket(bucket);
      count = this.#bucketSizes[bucket]!;
    }
    times[count] = time;
    this.#bucketSlots[bucket]![count] = slot;
    this.#bucketSizes[bucket] = count + 1;
    if (bucket === 0) return;
    if (bucket <= 32) this.#lowMask |= 1 << (bucket - 1);
    else this.#highMask |= 1 << (bucket - 33);
  }

  /** Clears the non-empty bit of a bucket above 0. */
  #markEmpty(bucket: number): void {
    if (bucket <= 32) this.#lowMask &= ~(1 << (bucket - 1));
    else this.#highMask &= ~(1 << (bucket - 33));
  }

  /** Makes room in a full bucket (bucket 0 first drops its popped entries); returns its times. */
  #growBucket(bucket: number): Float64Array {
    const times = this.#bucketTimes[bucket]!;
    const slots = this.#bucketSlots[bucket]!;
    if (bucket === 0 && this.#head > 0) {
      const head = this.#head;
      times.copyWithin(0, head);
      slots.copyWithin(0, head);
      this.#bucketSizes[0] = this.#bucketSizes[0]! - head;
      this.#head = 0;
      return times;
    }
    const grownTimes = grownFloat64(times, 2 * times.length);
    this.#bucketTimes[bucket] = grownTimes;
    this.#bucketSlots[bucket] = grownInt32(slots, 2 * slots.length);
    return grownTimes;
  }

  /**
   * Empties the radix heap, freeing the removed events; with `keep`,
   * returns the others as `[times, slots]` in bucket order (each time's
   * events in insertion order: they share a bucket), else frees them too.
   */
  #takeRadix(keep: boolean): [number[], number[]] {
    const sizes = this.#bucketSizes;
    const times: number[] = [];
    const slots: number[] = [];
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const bucketTimes = this.#bucketTimes[bucket]!;
      const bucketSlots = this.#bucketSlots[bucket]!;
      for (let i = bucket === 0 ? this.#head : 0; i < sizes[bucket]!; i++) {
        const slot = bucketSlots[i]!;
        if (keep && this.#removed[slot] !== 1) {
          times.push(bucketTimes[i]!);
          slots.push(slot);
        } else {
          this.#release(slot);
        }
      }
      sizes[bucket] = 0;
    }
    this.#head = 0;
    this.#lowMask = 0;
    this.#highMask = 0;
    this.#size = times.length;
    return [times, slots];
  }

  /** Makes `time`, earlier than the base, the base: every event is re-bucketed. */
  #rebase(time: number): void {
    const [times, slots] = this.#takeRadix(true);
    this.#setBase(time);
    for (let i = 0; i < times.length; i++) {
      this.#append(this.#bucketOf(times[i]!), times[i]!, slots[i]!);
    }
  }

  /** The sorted array (full) becomes the radix heap, based at the last pop or its earliest. */
  #toRadix(): void {
    const times = this.#sortedTimes;
    const slots = this.#sortedSlots;
    const size = this.#size;
    this.#setBase(Math.min(this.time, times[size - 1]!));
    for (let i = size - 1; i >= 0; i--) {
      this.#append(this.#bucketOf(times[i]!), times[i]!, slots[i]!);
    }
    this.#sorted = false;
  }

  /** The radix heap becomes a sorted array, latest first, without its removed events. */
  #toSorted(): void {
    const [times, slots] = this.#takeRadix(true);
    // Latest first, and within a time the last pushed first: the stable
    // sort of the reversed insertion order.
    const order = [...times.keys()].reverse();
    order.sort((x, y) => times[y]! - times[x]!);
    const sortedTimes = this.#sortedTimes;
    const sortedSlots = this.#sortedSlots;
    for (let i = 0; i < order.length; i++) {
      sortedTimes[i] = times[order[i]!]!;
      sortedSlots[i] = slots[order[i]!]!;
    }
    this.#sorted = true;
  }

  /** Drops the removed events from every bucket, keeping the order of the rest. */
  #compact(): void {
    const sizes = this.#bucketSizes;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const times = this.#bucketTimes[bucket]!;
      const slots = this.#bucketSlots[bucket]!;
      let kept = 0;
      for (let i = bucket === 0 ? this.#head : 0; i < sizes[bucket]!; i++) {
        const slot = slots[i]!;
        if (this.#removed[slot] === 1) {
          this.#size--;
          this.#release(slot);
          continue;
        }
        times[kept] = times[i]!;
        slots[kept] = slot;
        kept++;
      }
      sizes[bucket] = kept;
      if (kept === 0 && bucket > 0) this.#markEmpty(bucket);
    }
    this.#head = 0;
    if (this.#size <= SORTED_MIN) this.#toSorted();
  }

  #fifoPush(time: number, kind: number, a: number, b: number): void {
    if (this.#fifoCount > this.#fifoMask) this.#growFifo();
    const at = (this.#fifoHead + this.#fifoCount) & this.#fifoMask;
    this.#fifoKinds[at] = kind;
    this.#fifoAs[at] = a;
    this.#fifoBs[at] = b;
    this.#fifoTime = time;
    this.#fifoCount++;
  }

  /** Pops the FIFO's head (at `fifoTime`) into the public fields. */
  #fifoPop(fifoTime: number): void {
    const head = this.#fifoHead;
    this.time = fifoTime;
    this.kind = this.#fifoKinds[head]!;
    this.a = this.#fifoAs[head]!;
    this.b = this.#fifoBs[head]!;
    this.#fifoHead = (head + 1) & this.#fifoMask;
    this.#fifoCount--;
  }

  /** Doubles the FIFO ring, unrolling it to start at 0. */
  #growFifo(): void {
    const old = this.#fifoMask + 1;
    const head = this.#fifoHead;
    const unroll = <A extends Float64Array | Int32Array>(array: A, grown: A): A => {
      for (let i = 0; i < old; i++) grown[i] = array[(head + i) & (old - 1)]!;
      return grown;
    };
    this.#fifoKinds = unroll(this.#fifoKinds, new Int32Array(2 * old));
    this.#fifoAs = unroll(this.#fifoAs, new Float64Array(2 * old));
    this.#fifoBs = unroll(this.#fifoBs, new Float64Array(2 * old));
    this.#fifoHead = 0;
    this.#fifoMask = 2 * old - 1;
  }

  /** Doubles the slot storage; called only when every slot is in use. */
  #grow(): void {
    const old = this.#capacity;
    const capacity = old * 2;
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
