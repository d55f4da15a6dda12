import assert from "node:assert/strict";
import fc from "fast-check";
import { EventQueue } from "./event_queue.ts";

interface Reference {
  time: number;
  seq: number;
  kind: number;
  a: number;
  b: number;
}

function popAll(queue: EventQueue): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  while (queue.pop()) out.push([queue.time, queue.kind, queue.a, queue.b]);
  return out;
}

Deno.test("EventQueue pops events in time order", () => {
  const queue = new EventQueue();
  for (const time of [50, 10, 40, 20, 30]) queue.push(time, 0, time, 0);
  assert.deepEqual(popAll(queue).map(([time]) => time), [10, 20, 30, 40, 50]);
});

Deno.test("EventQueue pops equal times in insertion order", () => {
  const queue = new EventQueue(4);
  for (let i = 0; i < 100; i++) queue.push(i % 3, i, 0, 0);
  const popped = popAll(queue);
  const expected = [...Array(100).keys()]
    .sort((x, y) => (x % 3) - (y % 3) || x - y)
    .map((i) => [i % 3, i, 0, 0]);
  assert.deepEqual(popped, expected);
});

Deno.test("EventQueue carries kind and 53-bit payloads through pop", () => {
  const queue = new EventQueue();
  const big = Number.MAX_SAFE_INTEGER;
  queue.push(7, 3, big, -big);
  queue.push(5, 2_000_000_000, 0.5, 2 ** 40 + 1);
  assert.equal(queue.size, 2);
  assert.equal(queue.pop(), true);
  assert.deepEqual([queue.time, queue.kind, queue.a, queue.b], [
    5,
    2_000_000_000,
    0.5,
    2 ** 40 + 1,
  ]);
  assert.equal(queue.pop(), true);
  assert.deepEqual([queue.time, queue.kind, queue.a, queue.b], [7, 3, big, -big]);
  assert.equal(queue.pop(), false);
});

Deno.test("EventQueue grows beyond its initial capacity", () => {
  const queue = new EventQueue(1);
  const count = 10_000;
  for (let i = count - 1; i >= 0; i--) queue.push(i, i % 7, i, 2 * i);
  assert.equal(queue.size, count);
  const popped = popAll(queue);
  assert.equal(popped.length, count);
  for (let i = 0; i < count; i++) assert.deepEqual(popped[i], [i, i % 7, i, 2 * i]);
  assert.equal(queue.size, 0);
});

Deno.test("EventQueue peekTime is the earliest time, or Infinity when empty", () => {
  const queue = new EventQueue();
  assert.equal(queue.peekTime(), Infinity);
  queue.push(30, 0, 0, 0);
  queue.push(10, 0, 0, 0);
  assert.equal(queue.peekTime(), 10);
  queue.pop();
  assert.equal(queue.peekTime(), 30);
});

Deno.test("EventQueue clear empties the queue and keeps it usable", () => {
  const queue = new EventQueue(2);
  for (let i = 0; i < 10; i++) queue.push(i, 0, 0, 0);
  queue.clear();
  assert.equal(queue.size, 0);
  assert.equal(queue.pop(), false);
  assert.equal(queue.peekTime(), Infinity);
  queue.push(5, 1, 0, 0);
  queue.push(5, 2, 0, 0);
  queue.push(1, 3, 0, 0);
  assert.deepEqual(popAll(queue).map(([, kind]) => kind), [3, 1, 2]);
});

Deno.test("EventQueue pop leaves the last event's fields when empty", () => {
  const queue = new EventQueue();
  queue.push(4, 9, 1, 2);
  queue.pop();
  assert.equal(queue.pop(), false);
  assert.deepEqual([queue.time, queue.kind, queue.a, queue.b], [4, 9, 1, 2]);
});

Deno.test("EventQueue rejects an invalid initial capacity", () => {
  assert.throws(() => new EventQueue(0), RangeError);
  assert.throws(() => new EventQueue(1.5), RangeError);
});

/**
 * Removes the event of `handle` from the queue and from the reference, and
 * checks that the queue removes exactly what the reference holds.
 */
function removeBoth(
  queue: EventQueue,
  reference: { time: number; handle: number }[],
  handle: number,
): void {
  const index = handle < 0 ? -1 : reference.findIndex((e) => e.handle === handle);
  assert.equal(queue.remove(handle), index >= 0);
  if (index >= 0) {
    assert.equal(queue.removedTime, reference[index]!.time);
    reference.splice(index, 1);
  }
}

Deno.test("EventQueue matches a sorted reference under random pushes and pops", () => {
  // An operation is a push (time from a small range, so ties are common) or
  // a pop; the reference is an array kept sorted by (time, seq).
  const operation = fc.oneof(
    fc.record({ push: fc.constant(true), time: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ push: fc.constant(false), time: fc.constant(0) }),
  );
  fc.assert(
    fc.property(
      fc.array(operation, { maxLength: 400, size: "max" }),
      fc.integer({ min: 1, max: 8 }),
      (operations, capacity) => {
        const queue = new EventQueue(capacity);
        const reference: Reference[] = [];
        let seq = 0;
        for (const { push, time } of operations) {
          if (push) {
            const event = { time, seq, kind: seq % 5, a: seq * 3, b: -seq };
            seq++;
            queue.push(event.time, event.kind, event.a, event.b);
            reference.push(event);
            reference.sort((x, y) => x.time - y.time || x.seq - y.seq);
          } else {
            const expected = reference.shift();
            assert.equal(queue.pop(), expected !== undefined);
            if (expected !== undefined) {
              assert.deepEqual(
                [queue.time, queue.kind, queue.a, queue.b],
                [expected.time, expected.kind, expected.a, expected.b],
              );
            }
          }
          assert.equal(queue.size, reference.length);
          assert.equal(queue.peekTime(), reference[0]?.time ?? Infinity);
        }
        for (const expected of reference) {
          assert.equal(queue.pop(), true);
          assert.deepEqual(
            [queue.time, queue.kind, queue.a, queue.b],
            [expected.time, expected.kind, expected.a, expected.b],
          );
        }
        assert.equal(queue.pop(), false);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("EventQueue removes heap events by handle, and refuses stale handles", () => {
  const queue = new EventQueue(2);
  const first = queue.push(30, 1, 0, 0);
  const second = queue.push(20, 2, 0, 0);
  queue.push(10, 3, 0, 0);
  assert.equal(queue.remove(second), true);
  assert.equal(queue.removedTime, 20);
  assert.equal(queue.remove(second), false); // already removed
  assert.equal(queue.size, 2);
  assert.equal(queue.pop(), true);
  assert.equal(queue.kind, 3);
  assert.equal(queue.push(10, 4, 0, 0), -1); // the current time: a FIFO event, not removable
  assert.deepEqual(popAll(queue).map(([, kind]) => kind), [4, 1]);
  assert.equal(queue.remove(first), false); // popped
  assert.equal(queue.remove(-1), false);
});

Deno.test("EventQueue matches a sorted reference under random pushes, pops and removals", () => {
  const operation = fc.oneof(
    fc.record({ op: fc.constant("push" as const), time: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ op: fc.constant("pop" as const), time: fc.constant(0) }),
    fc.record({ op: fc.constant("remove" as const), time: fc.nat() }),
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 500, size: "max" }), (operations) => {
      const queue = new EventQueue(4);
      const reference: (Reference & { handle: number })[] = [];
      const handles: number[] = [];
      let seq = 0;
      let now = 0;
      for (const { op, time } of operations) {
        if (op === "push") {
          const at = now + time; // never in the past, as the engine pushes
          const handle = queue.push(at, seq % 5, seq, -seq);
          reference.push({ time: at, seq, kind: seq % 5, a: seq, b: -seq, handle });
          reference.sort((x, y) => x.time - y.time || x.seq - y.seq);
          handles.push(handle);
          seq++;
        } else if (op === "pop") {
          const expected = reference.shift();
          assert.equal(queue.pop(), expected !== undefined);
          if (expected !== undefined) {
            now = expected.time;
            assert.deepEqual([queue.time, queue.a], [expected.time, expected.a]);
          }
        } else if (handles.length > 0) {
          removeBoth(queue, reference, handles[time % handles.length]!);
        }
        assert.equal(queue.size, reference.length);
        assert.equal(queue.peekTime(), reference[0]?.time ?? Infinity);
      }
      for (const expected of reference) {
        assert.equal(queue.pop(), true);
        assert.deepEqual([queue.time, queue.a], [expected.time, expected.a]);
      }
      assert.equal(queue.pop(), false);
    }),
    { numRuns: 300 },
  );
});

Deno.test("EventQueue keeps its order when most events are removed (the heap is rebuilt)", () => {
  const queue = new EventQueue(8);
  const handles: number[] = [];
  for (let i = 0; i < 1_000; i++) handles.push(queue.push(1 + ((i * 7919) % 1_000), i, i, 0));
  for (let i = 0; i < 1_000; i++) if (i % 10 !== 3) assert.equal(queue.remove(handles[i]!), true);
  assert.equal(queue.size, 100);
  const popped = popAll(queue);
  assert.deepEqual(
    popped.map(([, kind]) => kind),
    [...Array(1_000).keys()].filter((i) => i % 10 === 3).sort((x, y) =>
      ((x * 7919) % 1_000) - ((y * 7919) % 1_000)
    ),
  );
});

/** A push delay: now, near, at a shared far instant (a tick grid), or very far. */
function delayArbitrary(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 64 }),
    fc.integer({ min: 1, max: 100_000 }),
    fc.constant(-1), // the next multiple of 1e6: many events at one instant
    fc.integer({ min: 2 ** 32, max: 2 ** 40 }),
  );
}

Deno.test("EventQueue matches a reference with hundreds pending, shared far instants and removals", () => {
  // Engine-like use: pushes never before the last popped time. Runs start
  // near 0 or just below 2^32 (where times' high words change); bursts of
  // pushes take the queue past the sorted array's size into the radix
  // heap, and bursts of pops bring it back.
  const operation = fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("push" as const), n: delayArbitrary() }), weight: 5 },
    { arbitrary: fc.record({ op: fc.constant("pop" as const), n: fc.nat(120) }), weight: 3 },
    { arbitrary: fc.record({ op: fc.constant("remove" as const), n: fc.nat() }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant("burst" as const), n: fc.nat(150) }), weight: 1 },
  );
  fc.assert(
    fc.property(
      fc.array(operation, { maxLength: 300 }),
      fc.constantFrom(0, 2 ** 32 - 5_000),
      (operations, start) => {
        const queue = new EventQueue(4);
        const reference: (Reference & { handle: number })[] = [];
        const handles: number[] = [];
        let seq = 0;
        let now = start;
        let popped = false;
        const push = (delay: number): void => {
          const time = delay === -1 ? (Math.floor(now / 1e6) + 1) * 1e6 : now + delay;
          const handle = queue.push(time, seq % 7, seq, -seq);
          const current = time === (popped ? now : 0);
          assert.equal(handle === -1, current);
          reference.push({ time, seq, kind: seq % 7, a: seq, b: -seq, handle });
          handles.push(handle);
          seq++;
        };
        const pop = (): void => {
          reference.sort((x, y) => x.time - y.time || x.seq - y.seq);
          const expected = reference.shift();
          assert.equal(queue.pop(), expected !== undefined);
          if (expected === undefined) return;
          now = expected.time;
          popped = true;
          assert.deepEqual(
            [queue.time, queue.kind, queue.a, queue.b],
            [expected.time, expected.kind, expected.a, expected.b],
          );
        };
        for (const { op, n } of operations) {
          if (op === "push") push(n);
          else if (op === "burst") {
            for (let i = 0; i < n; i++) push(((i * 7919) % 50_000) * (i % 3));
          } else if (op === "pop") { for (let i = 0; i < 1 + (n % 40); i++) pop(); }
          else if (handles.length > 0) {
            removeBoth(queue, reference, handles[n % handles.length]!);
          }
          assert.equal(queue.size, reference.length);
          const earliest = reference.reduce((min, e) => Math.min(min, e.time), Infinity);
          assert.equal(queue.peekTime(), earliest);
        }
        while (reference.length > 0) pop();
        assert.equal(queue.pop(), false);
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("EventQueue matches a reference when many pending events are pushed before the last pop", () => {
  // Not the engine's use (it never schedules in the past), but the queue
  // allows it: the radix heap moves its base back.
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 2 ** 34 }), fc.constant(-1)), {
        minLength: 60,
        maxLength: 400,
      }),
      (operations) => {
        const queue = new EventQueue();
        const reference: Reference[] = [];
        let seq = 0;
        for (const time of operations) {
          if (time >= 0) {
            queue.push(time, 0, seq, 0);
            reference.push({ time, seq, kind: 0, a: seq, b: 0 });
            reference.sort((x, y) => x.time - y.time || x.seq - y.seq);
            seq++;
          } else {
            const expected = reference.shift();
            assert.equal(queue.pop(), expected !== undefined);
            if (expected !== undefined) {
              assert.deepEqual([queue.time, queue.a], [expected.time, expected.a]);
            }
          }
        }
        for (const expected of reference) {
          assert.equal(queue.pop(), true);
          assert.deepEqual([queue.time, queue.a], [expected.time, expected.a]);
        }
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("EventQueue pops a thousand events of one far instant in insertion order between others", () => {
  const queue = new EventQueue(8);
  const expected: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    queue.push(1_000_000, 1, i, 0);
    queue.push(1 + i * 997, 2, i, 0);
  }
  for (let i = 0; i < 1_000; i++) expected.push(1 + i * 997);
  expected.sort((x, y) => x - y);
  const popped = popAll(queue);
  assert.deepEqual(popped.filter(([, kind]) => kind === 2).map(([time]) => time), expected);
  assert.deepEqual(
    popped.filter(([, kind]) => kind === 1).map(([, , a]) => a),
    [...Array(1_000).keys()],
  );
  // The far instant comes after every near event earlier than it.
  assert.deepEqual(
    popped.map(([time]) => time),
    popped.map(([time]) => time).sort((x, y) => x - y),
  );
});
