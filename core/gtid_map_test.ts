import assert from "node:assert/strict";
import { GtidMap } from "./gtid_map.ts";
import { RandomStreams } from "./random.ts";

Deno.test("GtidMap holds what a Map holds under random sets and deletes", () => {
  const rng = new RandomStreams(3).stream("ops");
  const map = new GtidMap<number>();
  const reference = new Map<number, number>();
  for (let i = 0; i < 20_000; i++) {
    // A sliding window of ids, as threads come and go, plus a few long-lived low ones.
    const id = rng.next() < 0.1 ? rng.below(8) : i + rng.below(300);
    if (rng.next() < 0.5) {
      map.set(id, i);
      reference.set(id, i);
    } else {
      assert.equal(map.delete(id), reference.delete(id));
    }
    assert.equal(map.size, reference.size);
  }
  for (const [id, value] of reference) assert.equal(map.get(id), value);
  assert.deepEqual([...map.keys()], [...reference.keys()].sort((a, b) => a - b));
  assert.deepEqual([...map].map(([id]) => id), [...map.keys()]);
  assert.deepEqual([...map.values()], [...map.keys()].map((id) => reference.get(id)));
});

Deno.test("GtidMap answers undefined for ids that are not non-negative integers", () => {
  const map = new GtidMap<string>();
  map.set(0, "zero");
  map.set(1, "one");
  assert.equal(map.get(0.5), undefined);
  assert.equal(map.get(-1), undefined);
  assert.equal(map.has(NaN), false);
  assert.equal(map.delete(1.5), false);
  assert.throws(() => map.set(-1, "minus one"), RangeError);
  assert.throws(() => map.set(2.5, "two and a half"), RangeError);
});

Deno.test("GtidMap clear empties it and keeps it usable", () => {
  const map = new GtidMap<string>();
  for (let id = 0; id < 2_000; id++) map.set(id, String(id));
  map.clear();
  assert.equal(map.size, 0);
  assert.equal(map.get(5), undefined);
  map.set(5, "five");
  assert.deepEqual([...map], [[5, "five"]]);
});

Deno.test("GtidMap keeps only the pages that hold entries, and the last one", () => {
  const map = new GtidMap<number>();
  // Ids handed out in order, at most a few alive at once, the map often empty.
  for (let id = 1; id < 100_000; id++) {
    map.set(id, id);
    if (id % 4 === 3) { for (let dead = id - 3; dead <= id; dead++) map.delete(dead); }
  }
  map.set(7, 7); // a long-lived thread keeps its page
  assert.equal(map.pages, 2);
});

Deno.test("GtidMap reuses a dropped page empty, without stale entries", () => {
  const map = new GtidMap<number>();
  // Pages fill and empty in turn; each new page may be the one dropped before.
  for (let id = 0; id < 5_000; id++) {
    map.set(id, id);
    if (id >= 600) map.delete(id - 600);
  }
  assert.equal(map.size, 600);
  for (let id = 0; id < 4_400; id++) assert.equal(map.get(id), undefined);
  for (let id = 4_400; id < 5_000; id++) assert.equal(map.get(id), id);
  assert.equal(map.pages, 2);
});

Deno.test("GtidMap reuses several dropped pages empty while stragglers hold older ones", () => {
  const map = new GtidMap<number>();
  const rng = new RandomStreams(11).stream("stragglers");
  // About three pages alive at once; one id in fifty lives ten times longer.
  const alive = new Map<number, number>();
  for (let id = 0; id < 40_000; id++) {
    map.set(id, id);
    alive.set(id, id + (rng.below(50) === 0 ? 15_000 : 1_500));
    for (const [old, until] of alive) {
      if (until > id) continue;
      assert.equal(map.delete(old), true);
      alive.delete(old);
    }
  }
  assert.equal(map.size, alive.size);
  for (let id = 0; id < 40_000; id++) {
    assert.equal(map.get(id), alive.has(id) ? id : undefined, `id ${id}`);
  }
  assert.deepEqual([...map.keys()], [...alive.keys()].sort((a, b) => a - b));
});
