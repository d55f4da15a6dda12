/**
 * A binary min-heap of objects that record their own position
 * (`heapIndex`), so that any member is removed in O(log n): the run queue
 * of a policy that orders tasks by a key (elapsed runtime, vruntime) with
 * ties broken by the order `less` gives.
 *
 * @module
 */

/** A heap member: its position in the heap, or -1 when it is in none. */
export interface HeapMember {
  /** Position in the heap, or -1. */
  heapIndex: number;
}

/** A min-heap under `less` (a strict order: true when `a` comes first). */
export class IndexedHeap<T extends HeapMember> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  /** An empty heap ordered by `less`. */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  /** Number of members. */
  get size(): number {
    return this.#items.length;
  }

  /** The first member, or null when empty. */
  peek(): T | null {
    return this.#items[0] ?? null;
  }

  /** Adds `item` (not a member of any heap). */
  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  /** Takes the first member off; throws when empty. */
  pop(): T {
    const top = this.#items[0];
    if (top === undefined) throw new RangeError("Pop from an empty heap");
    this.remove(top);
    return top;
  }

  /** Whether `item` is a member of this heap. */
  has(item: T): boolean {
    return this.#items[item.heapIndex] === item;
  }

  /** Takes `item` off; false when it is not a member of this heap. */
  remove(item: T): boolean {
    const items = this.#items;
    const index = item.heapIndex;
    if (index < 0 || items[index] !== item) return false;
    const last = items.pop()!;
    item.heapIndex = -1;
    if (last === item) return true;
    items[index] = last;
    last.heapIndex = index;
    this.#up(index);
    this.#down(last.heapIndex);
    return true;
  }

  #up(index: number): void {
    const items = this.#items;
    const item = items[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = items[parent]!;
      if (!this.#less(item, above)) break;
      items[index] = above;
      above.heapIndex = index;
      index = parent;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  #down(index: number): void {
    const items = this.#items;
    const item = items[index]!;
    const n = items.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= n) break;
      if (child + 1 < n && this.#less(items[child + 1]!, items[child]!)) child++;
      const below = items[child]!;
      if (!this.#less(below, item)) break;
      items[index] = below;
      below.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
