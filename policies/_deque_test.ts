import assert from "node:assert/strict";
import { Deque } from "./_deque.ts";
import { RandomStreams } from "../core/random.ts";

Deno.test("Deque matches an array under random pushes, pops and removals while it grows", () => {
  const rng = new RandomStreams(5).stream("deque");
  const deque = new Deque(3);
  const reference: number[] = [];
  for (let i = 0; i < 5_000; i++) {
    const op = rng.below(5);
    if (op === 0) {
      deque.pushFront(i);
      reference.unshift(i);
    } else if (op <= 2) {
      deque.pushBack(i);
      reference.push(i);
    } else if (op === 3) {
      assert.equal(deque.popFront(), reference.shift() ?? -1);
    } else if (reference.length > 0) {
      const value = reference[rng.below(reference.length)]!;
      assert.equal(deque.remove(value), true);
      reference.splice(reference.indexOf(value), 1);
    }
    assert.equal(deque.size, reference.length);
    assert.equal(deque.peekFront(), reference[0] ?? -1);
  }
  assert.equal(deque.remove(-5), false);
  const drained: number[] = [];
  while (deque.size > 0) drained.push(deque.popFront());
  assert.deepEqual(drained, reference);
});

Deno.test("Deque.at reads by position from the front across the ring's wrap, -1 out of range", () => {
  const deque = new Deque(4);
  for (const value of [3, 4]) deque.pushBack(value);
  for (const value of [2, 1]) deque.pushFront(value);
  deque.pushBack(5); // grows past the wrap
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => deque.at(i)), [1, 2, 3, 4, 5]);
  assert.equal(deque.at(5), -1);
  assert.equal(deque.at(-1), -1);
});
