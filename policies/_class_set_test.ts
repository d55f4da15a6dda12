import assert from "node:assert/strict";
import fc from "fast-check";
import { ClassSet } from "./_class_set.ts";

Deno.test("ClassSet finds its lowest member and the highest below a limit, across words", () => {
  const set = new ClassSet(70);
  assert.equal(set.lowest(), -1);
  assert.equal(set.highestBelow(70), -1);
  for (const cls of [3, 31, 32, 63, 64, 69]) set.add(cls);
  assert.equal(set.lowest(), 3);
  assert.equal(set.highestBelow(Infinity), 69);
  assert.equal(set.highestBelow(69), 64);
  assert.equal(set.highestBelow(64), 63);
  assert.equal(set.highestBelow(63), 32);
  assert.equal(set.highestBelow(32), 31);
  assert.equal(set.highestBelow(31), 3);
  assert.equal(set.highestBelow(3), -1);
  set.delete(3);
  set.delete(3);
  assert.equal(set.lowest(), 31);
  assert.equal(set.has(31) && !set.has(3) && !set.has(-1) && !set.has(70), true);
  assert.throws(() => set.add(70), RangeError);
  assert.throws(() => set.delete(-1), RangeError);
});

Deno.test("ClassSet answers as a scan over a boolean array does", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100 }),
      fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 200 }),
      (classes, operations) => {
        const set = new ClassSet(classes);
        const members = new Array<boolean>(classes).fill(false);
        for (const [add, n] of operations) {
          const cls = n % classes;
          if (add) set.add(cls);
          else set.delete(cls);
          members[cls] = add;
          assert.equal(set.lowest(), members.indexOf(true));
          const limit = (n * 7) % (classes + 2);
          assert.equal(set.highestBelow(limit), members.slice(0, limit).lastIndexOf(true));
        }
      },
    ),
    { numRuns: 200 },
  );
});
