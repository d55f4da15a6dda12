import assert from "node:assert/strict";
import { IdRanges } from "./_id_ranges.ts";
import { RandomStreams } from "./random.ts";

Deno.test("IdRanges holds what a Set holds, for ids added in any order", () => {
  const rng = new RandomStreams(7).stream("ids");
  const ranges = new IdRanges();
  const set = new Set<number>();
  for (let i = 0; i < 5_000; i++) {
    const id = Math.floor(rng.next() * 2_000);
    ranges.add(id);
    set.add(id);
  }
  for (let id = -2; id < 2_002; id++) assert.equal(ranges.has(id), set.has(id), `id ${id}`);
  assert.equal(ranges.has(1.5), false);
  assert.equal(ranges.has(NaN), false);
});

Deno.test("IdRanges keeps one range per run of ids: memory follows the holes", () => {
  const ranges = new IdRanges();
  // Ids die roughly in order; 5 and 9 stay alive.
  for (const id of [2, 1, 3, 4, 6, 8, 7, 10, 11, 12]) ranges.add(id);
  assert.equal(ranges.ranges, 3); // [1, 5), [6, 9), [10, 13)
  ranges.add(5);
  assert.equal(ranges.ranges, 2);
  ranges.add(9);
  assert.equal(ranges.ranges, 1);
  for (let id = 13; id < 100_000; id++) ranges.add(id);
  assert.equal(ranges.ranges, 1);
  assert.equal(ranges.has(99_999), true);
  assert.equal(ranges.has(100_000), false);
  assert.equal(ranges.has(0), false);
});
