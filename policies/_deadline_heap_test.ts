import assert from "node:assert/strict";
import { DeadlineHeap } from "./_deadline_heap.ts";
import { RandomStreams } from "../core/random.ts";

Deno.test("DeadlineHeap pops earliest deadline first, ties in insertion order, under random removals", () => {
  const rng = new RandomStreams(3).stream("heap");
  const heap = new DeadlineHeap();
  // Reference: [gtid, deadline, insertion order], kept sorted on demand.
  let reference: [number, number, number][] = [];
  let order = 0;
  for (let i = 0; i < 5_000; i++) {
    const op = rng.below(4);
    if (op <= 1) {
      const deadline = rng.below(4) === 0 ? Infinity : rng.below(50);
      heap.push(i, deadline);
      reference.push([i, deadline, order++]);
    } else if (op === 2 && reference.length > 0) {
      reference.sort((a, b) => a[1] - b[1] || a[2] - b[2]);
      assert.equal(heap.minDeadline, reference[0]![1]);
      assert.equal(heap.pop(), reference.shift()![0]);
    } else if (reference.length > 0) {
      const victim = reference[rng.below(reference.length)]![0];
      assert.ok(heap.remove(victim));
      assert.ok(!heap.has(victim));
      reference = reference.filter((entry) => entry[0] !== victim);
    }
    assert.equal(heap.size, reference.length);
  }
  assert.equal(heap.remove(-5), false);
});

Deno.test("DeadlineHeap refuses a member twice, a NaN deadline and a pop when empty", () => {
  const heap = new DeadlineHeap();
  heap.push(1, 10);
  assert.throws(() => heap.push(1, 5), RangeError);
  assert.throws(() => heap.push(2, NaN), RangeError);
  assert.equal(heap.pop(), 1);
  assert.throws(() => heap.pop(), RangeError);
  assert.equal(heap.minDeadline, Infinity);
});
