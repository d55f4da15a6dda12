/**
 * A map from thread ids (gtids) to values, indexed densely: the kernel
 * hands ids out in order, so the live ones sit in a few short runs, and
 * fixed-size pages of slots beat a hash table on every look-up. A page is
 * dropped once its last entry is deleted: memory follows the live threads,
 * not how many ever lived.
 *
 * @module
 */

/** log2 of the slots per page. */
const PAGE_BITS = 9;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
/** Emptied pages kept for reuse. */
const MAX_SPARES = 4;

/** One page of slots and how many of them hold a value. */
interface Page<V> {
  slots: (V | undefined)[];
  count: number;
}

/** What a reader of a {@link GtidMap} may do. */
export interface ReadonlyGtidMap<V> extends Iterable<[number, V]> {
  /** Number of entries. */
  readonly size: number;
  /** The value of `gtid`, or undefined. */
  get(gtid: number): V | undefined;
  /** Whether `gtid` has a value. */
  has(gtid: number): boolean;
  /** The ids, ascending. */
  keys(): IterableIterator<number>;
  /** The values, by ascending id. */
  values(): IterableIterator<V>;
}

/**
 * A map from non-negative integer ids to values (never undefined), kept in
 * pages of 512 slots and iterated by ascending id. Look-ups are two array
 * reads; nothing is allocated per entry except a page when an id lands in
 * one that holds nothing.
 *
 * @example
 * ```ts
 * import { GtidMap } from "./gtid_map.ts";
 * const map = new GtidMap<string>();
 * map.set(7, "seven");
 * map.set(3, "three");
 * map.delete(7);
 * if (map.get(3) !== "three" || map.has(7) || map.size !== 1) throw new Error("wrong");
 * ```
 */
export class GtidMap<V> implements ReadonlyGtidMap<V> {
  /** Pages by page number (`gtid >>> 9`); a hole where a page holds nothing. */
  #pages: (Page<V> | undefined)[] = [];
  #size = 0;
  /**
   * Pages dropped, all their slots empty, kept for the next pages needed:
   * ids move on in order, so pages empty and fill in turn, and reusing them
   * spares an allocation (and its garbage) per 512 threads. More than one,
   * because a straggler can hold a page while the next one fills: with a
   * single spare, the M/M/4 model allocated a new page per map every few
   * dozen pages, and those pages, long-lived enough to reach V8's old
   * space, made up most of its memory growth over a minute.
   */
  #spares: Page<V>[] = [];

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Number of pages allocated (for tests: memory is proportional to it). */
  get pages(): number {
    let count = 0;
    for (const page of this.#pages) if (page !== undefined) count++;
    return count;
  }

  /** The value of `gtid`, or undefined (also for an id that is not a non-negative integer). */
  get(gtid: number): V | undefined {
    const number = gtid >>> PAGE_BITS;
    const pages = this.#pages;
    if (number >= pages.length || gtid !== (gtid >>> 0)) return undefined;
    const page = pages[number];
    return page === undefined ? undefined : page.slots[gtid & PAGE_MASK];
  }

  /** Whether `gtid` has a value. */
  has(gtid: number): boolean {
    return this.get(gtid) !== undefined;
  }

  /** Sets the value of `gtid`, a non-negative integer below 2^32. */
  set(gtid: number, value: V): this {
    if (gtid !== (gtid >>> 0)) {
      throw new RangeError(`Invalid gtid ${gtid}: expected an integer >= 0`);
    }
    if (value === undefined) throw new TypeError(`Undefined value for gtid ${gtid}`);
    const number = gtid >>> PAGE_BITS;
    const pages = this.#pages;
    let page = number < pages.length ? pages[number] : undefined;
    if (page === undefined) page = this.#addPage(number);
    const slot = gtid & PAGE_MASK;
    if (page.slots[slot] === undefined) {
      page.count++;
      this.#size++;
    }
    page.slots[slot] = value;
    return this;
  }

  /** Puts an empty page (a spare one, or a new one) at page number `number`. */
  #addPage(number: number): Page<V> {
    const pages = this.#pages;
    if (number >= pages.length) {
      // The last page stays when it empties (see delete); it goes once it is not the last.
      const last = pages.length - 1;
      const lastPage = last >= 0 ? pages[last] : undefined;
      if (lastPage !== undefined && lastPage.count === 0) {
        pages[last] = undefined;
        this.#keepSpare(lastPage);
      }
      while (pages.length < number) pages.push(undefined);
    }
    const page = this.#spares.pop() ??
      { slots: new Array<V | undefined>(PAGE_SIZE).fill(undefined), count: 0 };
    pages[number] = page;
    return page;
  }

  /** Keeps an emptied page for reuse, up to {@link MAX_SPARES} of them. */
  #keepSpare(page: Page<V>): void {
    if (this.#spares.length < MAX_SPARES) this.#spares.push(page);
  }

  /** Removes `gtid`'s value; returns whether it had one. */
  delete(gtid: number): boolean {
    const number = gtid >>> PAGE_BITS;
    const pages = this.#pages;
    if (number >= pages.length || gtid !== (gtid >>> 0)) return false;
    const page = pages[number];
    if (page === undefined) return false;
    const slot = gtid & PAGE_MASK;
    if (page.slots[slot] === undefined) return false;
    page.slots[slot] = undefined;
    this.#size--;
    // An empty page goes, unless it is the last one: ids are handed out in
    // order, so new ones land there soon (freeing it would churn pages
    // whenever every thread of the moment has exited).
    if (--page.count === 0 && number < pages.length - 1) {
      pages[number] = undefined;
      this.#keepSpare(page);
    }
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#pages = [];
    this.#size = 0;
    this.#spares = [];
  }

  /** The entries `[gtid, value]`, by ascending id. */
  *[Symbol.iterator](): IterableIterator<[number, V]> {
    const pages = this.#pages;
    for (let number = 0; number < pages.length; number++) {
      const page = pages[number];
      if (page === undefined) continue;
      for (let slot = 0; slot < PAGE_SIZE; slot++) {
        const value = page.slots[slot];
        if (value !== undefined) yield [number * PAGE_SIZE + slot, value];
      }
    }
  }

  /** The ids, ascending. */
  *keys(): IterableIterator<number> {
    for (const [gtid] of this) yield gtid;
  }

  /** The values, by ascending id. */
  *values(): IterableIterator<V> {
    for (const [, value] of this) yield value;
  }
}
