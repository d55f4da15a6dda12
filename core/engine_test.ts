import assert from "node:assert/strict";
import { Engine } from "./engine.ts";

Deno.test("Engine calls handlers in time order with their arguments", () => {
  const engine = new Engine(1);
  const seen: Array<[string, number, number, number]> = [];
  const first = engine.register("first", (a, b) => seen.push(["first", engine.now, a, b]));
  const second = engine.register("second", (a, b) => seen.push(["second", engine.now, a, b]));
  engine.at(300, first, 1, 2);
  engine.at(100, second, 3, 4);
  engine.at(100, first, 5, 6);
  engine.at(200, second);
  engine.run();
  assert.deepEqual(seen, [
    ["second", 100, 3, 4],
    ["first", 100, 5, 6],
    ["second", 200, 0, 0],
    ["first", 300, 1, 2],
  ]);
  assert.equal(engine.events, 4);
  assert.equal(engine.now, 300);
});

Deno.test("Engine register returns consecutive kind ids", () => {
  const engine = new Engine(1);
  assert.equal(engine.register("a", () => {}), 0);
  assert.equal(engine.register("b", () => {}), 1);
  assert.equal(engine.kindName(1), "b");
  assert.throws(() => engine.kindName(2), RangeError);
});

Deno.test("Engine rejects events in the past", () => {
  const engine = new Engine(1);
  const kind = engine.register("tick", () => {});
  engine.at(1_000, kind);
  engine.run();
  assert.equal(engine.now, 1_000);
  assert.throws(() => engine.at(999, kind), RangeError);
  assert.throws(() => engine.at(1_000.5, kind), RangeError);
  assert.throws(() => engine.at(Number.NaN, kind), RangeError);
  assert.throws(() => engine.at(Infinity, kind), RangeError);
  engine.at(1_000, kind); // now itself is allowed
  assert.equal(engine.pending, 1);
});

Deno.test("Engine after schedules relative to now and rejects bad delays", () => {
  const engine = new Engine(1);
  const times: number[] = [];
  const kind = engine.register("tick", () => times.push(engine.now));
  engine.at(500, kind);
  engine.step();
  engine.after(250, kind);
  engine.after(0, kind);
  engine.run();
  assert.deepEqual(times, [500, 500, 750]);
  assert.throws(() => engine.after(-1, kind), RangeError);
  assert.throws(() => engine.after(0.5, kind), RangeError);
});

Deno.test("Engine rejects unregistered kinds", () => {
  const engine = new Engine(1);
  engine.register("tick", () => {});
  assert.throws(() => engine.at(0, 1), /Unknown event kind 1/);
  assert.throws(() => engine.at(0, -1), RangeError);
  assert.throws(() => engine.after(0, 0.5), RangeError);
});

Deno.test("Engine step processes one event and returns false when none is pending", () => {
  const engine = new Engine(1);
  let calls = 0;
  const kind = engine.register("tick", () => calls++);
  assert.equal(engine.step(), false);
  engine.at(10, kind);
  engine.at(20, kind);
  assert.equal(engine.step(), true);
  assert.equal(engine.now, 10);
  assert.equal(calls, 1);
  assert.equal(engine.step(), true);
  assert.equal(engine.step(), false);
  assert.equal(engine.now, 20);
  assert.equal(engine.events, 2);
});

Deno.test("Engine run with until processes events at or before it, then sets now to until", () => {
  const engine = new Engine(1);
  const times: number[] = [];
  const kind = engine.register("tick", () => times.push(engine.now));
  for (const time of [100, 200, 300]) engine.at(time, kind);
  engine.run({ until: 200 });
  assert.deepEqual(times, [100, 200]);
  assert.equal(engine.now, 200);
  engine.run({ until: 250 });
  assert.equal(engine.now, 250);
  assert.deepEqual(times, [100, 200]);
  engine.run({ until: 1_000 });
  assert.deepEqual(times, [100, 200, 300]);
  assert.equal(engine.now, 1_000);
  assert.equal(engine.pending, 0);
  assert.throws(() => engine.run({ until: 999 }), RangeError);
});

Deno.test("Engine run processes events that handlers schedule within until", () => {
  const engine = new Engine(1);
  let ticks = 0;
  const tick: number = engine.register("tick", () => {
    ticks++;
    engine.after(100, tick);
  });
  engine.at(0, tick);
  engine.run({ until: 1_000 });
  assert.equal(ticks, 11); // 0, 100, ..., 1000
  assert.equal(engine.now, 1_000);
  assert.equal(engine.pending, 1);
});

Deno.test("Engine stop makes run return after the current event", () => {
  const engine = new Engine(1);
  const times: number[] = [];
  const kind = engine.register("tick", () => {
    times.push(engine.now);
    if (engine.now === 20) engine.stop();
  });
  for (const time of [10, 20, 30]) engine.at(time, kind);
  engine.run({ until: 100 });
  assert.deepEqual(times, [10, 20]);
  assert.equal(engine.now, 20); // not moved to until
  engine.run();
  assert.deepEqual(times, [10, 20, 30]);
});

Deno.test("Engine run stops at maxEvents", () => {
  const engine = new Engine(1);
  const kind = engine.register("tick", () => {});
  for (let i = 1; i <= 5; i++) engine.at(i, kind);
  engine.run({ until: 100, maxEvents: 3 });
  assert.equal(engine.events, 3);
  assert.equal(engine.now, 3);
  engine.run({ maxEvents: 10 });
  assert.equal(engine.events, 5);
});

Deno.test("Engine random streams derive from the engine's seed and the stream's name", () => {
  // The first draws of seed 1, stream "pinned" (as in random_test.ts).
  const pinned = new Engine(1).random.stream("pinned");
  assert.deepEqual([0, 1, 2, 3].map(() => pinned.nextUint32()), [
    4057879990,
    1116469879,
    752366703,
    4240345303,
  ]);
  // Another seed gives another stream; events scheduled meanwhile draw nothing.
  const engine = new Engine(2);
  const kind = engine.register("tick", () => {});
  engine.at(5, kind);
  engine.run();
  assert.notEqual(engine.random.stream("pinned").nextUint32(), 4057879990);
});

Deno.test("Engine throws on a livelock: more than maxEventsPerInstant events at one instant", () => {
  const engine = new Engine(1, { maxEventsPerInstant: 10 });
  let calls = 0;
  const spin = engine.register("spin", () => {
    calls++;
    engine.after(0, spin);
  });
  engine.at(500, spin);
  assert.throws(
    () => engine.run(),
    (error: unknown) =>
      error instanceof Error &&
      error.message === 'Livelock: more than 10 events at 500 ns, the last "spin" ' +
          "(raise maxEventsPerInstant if this is legitimate)",
  );
  assert.equal(calls, 10);
  const stepped = new Engine(1, { maxEventsPerInstant: 3 });
  const again = stepped.register("again", () => stepped.after(0, again));
  stepped.at(0, again);
  for (let i = 0; i < 3; i++) assert.equal(stepped.step(), true);
  assert.throws(() => stepped.step(), /Livelock: more than 3 events at 0 ns/);
});

Deno.test("Engine allows maxEventsPerInstant events at each instant, counted again at the next", () => {
  const engine = new Engine(1, { maxEventsPerInstant: 10 });
  let calls = 0;
  const burst = engine.register("burst", (a) => {
    calls++;
    if (a % 10 !== 9) engine.after(0, burst, a + 1);
    else if (a < 29) engine.after(1, burst, a + 1);
  });
  engine.at(0, burst, 0);
  engine.run({ until: 1 });
  assert.equal(calls, 20, "ten at 0 ns, ten at 1 ns");
  engine.run();
  assert.equal(calls, 30, "a run resumed at an instant goes on counting it");
  assert.equal(engine.now, 2);
  assert.throws(() => new Engine(1, { maxEventsPerInstant: 0 }), RangeError);
  assert.throws(() => new Engine(1, { maxEventsPerInstant: 1.5 }), RangeError);
});

Deno.test("Engine cancel drops an event's handler and counts it once the clock passes its time", () => {
  const engine = new Engine(1);
  const seen: number[] = [];
  const kind = engine.register("mark", (a) => void seen.push(a));
  const kept = engine.at(100, kind, 1);
  const dropped = engine.at(200, kind, 2);
  engine.at(300, kind, 3);
  assert.equal(engine.at(0, kind, 4), -1); // the current time: cannot be cancelled
  assert.equal(engine.cancel(dropped), true);
  assert.equal(engine.cancel(dropped), false);
  assert.equal(engine.pending, 3);
  engine.run({ until: 150 });
  assert.deepEqual(seen, [4, 1]);
  assert.equal(engine.events, 2);
  engine.run({ until: 250 });
  assert.equal(engine.events, 3); // the cancelled event at 200, as a no-op would have been
  assert.equal(engine.cancel(kept), false); // already ran
  engine.run();
  assert.deepEqual(seen, [4, 1, 3]);
  assert.equal(engine.events, 4);
});

Deno.test("Engine run without until ends at the last event, cancelled ones included", () => {
  const engine = new Engine(1);
  const kind = engine.register("noop", () => {});
  engine.at(100, kind);
  engine.cancel(engine.at(500, kind));
  engine.run();
  assert.equal(engine.now, 500);
  assert.equal(engine.events, 2);
});
