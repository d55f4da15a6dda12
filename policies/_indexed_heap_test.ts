import assert from "node:assert/strict";
import fc from "fast-check";
import { IndexedHeap } from "./_indexed_heap.ts";

interface Item {
  key: number;
  seq: number;
  heapIndex: number;
}

const less = (a: Item, b: Item) => a.key < b.key || (a.key === b.key && a.seq < b.seq);

Deno.test("IndexedHeap pops by key, equal keys in insertion order, after any removals", () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 60 }),
    fc.array(fc.nat(), { maxLength: 20 }),
    (keys, removals) => {
      const heap = new IndexedHeap<Item>(less);
      const items = keys.map((key, seq) => ({ key, seq, heapIndex: -1 }));
      for (const item of items) heap.push(item);
      const removed = new Set<Item>();
      for (const r of removals) {
        if (items.length === 0) break;
        const item = items[r % items.length]!;
        assert.equal(heap.remove(item), !removed.has(item));
        removed.add(item);
        assert.equal(heap.has(item), false);
        assert.equal(item.heapIndex, -1);
      }
      const expected = items.filter((i) => !removed.has(i)).sort((a, b) => less(a, b) ? -1 : 1);
      assert.equal(heap.size, expected.length);
      const popped: Item[] = [];
      while (heap.size > 0) popped.push(heap.pop());
      assert.deepEqual(popped, expected);
      assert.equal(heap.peek(), null);
    },
  ));
  assert.throws(() => new IndexedHeap<Item>(less).pop(), RangeError);
});
