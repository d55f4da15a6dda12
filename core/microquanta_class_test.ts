import assert from "node:assert/strict";
import { hog, periodic, script } from "./behaviors.ts";
import { IDEAL_COSTS, PAPER_COSTS } from "./cost_profile.ts";
import { Engine } from "./engine.ts";
import { Kernel } from "./kernel.ts";
import type { MicroQuantaOptions } from "./microquanta_class.ts";
import type { Thread } from "./thread.ts";
import { Topology } from "./topology.ts";
import { MS, US } from "./units.ts";

function machine(cpus: number, costs = IDEAL_COSTS, microQuanta?: MicroQuantaOptions) {
  const engine = new Engine(1);
  const topology = new Topology({ name: "t", coresPerLlc: cpus });
  const kernel = new Kernel(engine, {
    topology,
    costs,
    ...(microQuanta === undefined ? {} : { microQuanta }),
  });
  return { engine, kernel };
}

/** Records when a thread is on its CPU, as [start, end) intervals. */
function onCpuIntervals(kernel: Kernel, thread: Thread, untilNs: number): [number, number][] {
  const intervals: [number, number][] = [];
  let since = -1;
  const step = 10 * US;
  for (let t = step; t <= untilNs; t += step) {
    kernel.engine.run({ until: t });
    const on = thread.state === "running";
    if (on && since < 0) since = t;
    if (!on && since >= 0) {
      intervals.push([since, t]);
      since = -1;
    }
  }
  if (since >= 0) intervals.push([since, untilNs]);
  return intervals;
}

Deno.test("MicroQuanta gives a hog exactly its quantum of every period against a CFS hog", () => {
  const { engine, kernel } = machine(1);
  const cfs = kernel.spawn(hog(), { name: "cfs", affinity: [0] });
  const mq = kernel.spawn(hog(), { name: "mq", affinity: [0], schedClass: "microquanta" });
  engine.run({ until: 10 * MS });
  kernel.checkInvariants();
  // 0.9 ms of each 1 ms to the MicroQuanta thread, the 0.1 ms blackouts to CFS.
  assert.equal(mq.cpuTime, 9 * MS);
  assert.equal(cfs.cpuTime, 1 * MS);
  assert.equal(kernel.microQuanta.throttles, 10);
});

Deno.test("MicroQuanta throttles a hog alone on its CPU: the blackout is [0.9, 1) ms of each period", () => {
  const { kernel } = machine(1);
  const mq = kernel.spawn(hog(), { name: "mq", schedClass: "microquanta" });
  const intervals = onCpuIntervals(kernel, mq, 5 * MS - 10 * US);
  assert.deepEqual(
    intervals,
    [0, 1, 2, 3, 4].map((k) => [k * MS + (k === 0 ? 10 * US : 0), k * MS + 900 * US]),
  );
  kernel.checkInvariants();
  assert.equal(mq.cpuTime, 4.5 * MS); // from 0: the first sample is at 10 us
});

Deno.test("MicroQuanta follows its period and quantum options", () => {
  const { engine, kernel } = machine(1, IDEAL_COSTS, { periodNs: 2 * MS, quantumNs: 500 * US });
  const cfs = kernel.spawn(hog(), { name: "cfs" });
  const mq = kernel.spawn(hog(), { name: "mq", schedClass: "microquanta" });
  engine.run({ until: 20 * MS });
  assert.equal(mq.cpuTime, 10 * 500 * US);
  assert.equal(cfs.cpuTime, 20 * MS - 10 * 500 * US);
  assert.throws(() => machine(1, IDEAL_COSTS, { periodNs: MS, quantumNs: 2 * MS }), RangeError);
  assert.throws(() => machine(1, IDEAL_COSTS, { periodNs: 0 }), RangeError);
});

Deno.test("MicroQuanta never throttles a thread that stays under its quantum per period", () => {
  const { engine, kernel } = machine(1);
  kernel.spawn(hog(), { name: "cfs" });
  // Sleeps 0.2 ms, computes 0.5 ms: at most 0.5 + 0.3 ms in any 1 ms period of the grid.
  const mq = kernel.spawn(periodic(500 * US, 200 * US), { name: "mq", schedClass: "microquanta" });
  engine.run({ until: 70 * MS });
  kernel.checkInvariants();
  assert.equal(kernel.microQuanta.throttles, 0);
  assert.equal(mq.cpuTime, 50 * MS); // 5/7 of the time, to the nanosecond
});

Deno.test("MicroQuanta keeps a thread that used its quantum off the CPU until the period ends, even across a sleep", () => {
  const { engine, kernel } = machine(1);
  const cfs = kernel.spawn(hog(), { name: "cfs" });
  // Its whole quantum, a 20 us sleep, then 50 us more: that has to wait for the next period.
  const mq = kernel.spawn(
    script([{ compute: 900 * US }, { sleep: 20 * US }, { compute: 50 * US }]),
    {
      name: "mq",
      schedClass: "microquanta",
    },
  );
  engine.run({ until: 990 * US });
  assert.equal(mq.cpuTime, 900 * US, "it ran again inside the period it had used up");
  engine.run({ until: 2 * MS });
  kernel.checkInvariants();
  assert.equal(mq.cpuTime, 950 * US);
  assert.equal(mq.state, "dead");
  assert.ok(cfs.cpuTime >= 2 * MS - 950 * US - 1, `cfs ran ${cfs.cpuTime} ns`);
});

Deno.test("MicroQuanta preempts a CFS thread at once on wake-up, and CFS never preempts it", () => {
  const { engine, kernel } = machine(1, PAPER_COSTS);
  kernel.spawn(hog(), { name: "cfs", nice: -20 });
  const delays: number[] = [];
  let wokeAt = -1;
  kernel.spawn(
    periodic(50 * US, 333 * US, () => {
      if (wokeAt >= 0) delays.push(engine.now - wokeAt);
    }),
    { name: "mq", schedClass: "microquanta" },
  );
  const mq = kernel.thread(2)!;
  const next = mq.behavior.next.bind(mq.behavior);
  (mq.behavior as { next: (t: Thread) => ReturnType<typeof next> }).next = (t) => {
    const action = next(t);
    if (action === "sleep") wokeAt = engine.now + t.stepNs;
    return action;
  };
  engine.run({ until: 50 * MS });
  kernel.checkInvariants();
  assert.ok(delays.length > 100);
  // One CFS context switch, never a wait behind the nice -20 hog's slice.
  assert.ok(Math.max(...delays) <= PAPER_COSTS.cfsContextSwitch, `max ${Math.max(...delays)}`);
  // A fair thread that wakes while the MicroQuanta thread runs waits for it.
  const second = machine(1);
  const long = second.kernel.spawn(hog(), { name: "mq", schedClass: "microquanta" });
  const fair = second.kernel.spawn(periodic(10 * US, 100 * US), { name: "fair", nice: -20 });
  second.engine.run({ until: 10 * MS });
  // The fair thread runs only in the blackouts: 0.1 ms of each 1 ms.
  assert.equal(long.cpuTime, 9 * MS);
  assert.ok(fair.cpuTime <= 1 * MS && fair.cpuTime > 0, `fair ${fair.cpuTime}`);
});

Deno.test("MicroQuanta spreads runnable threads over CPUs and pulls waiting ones", () => {
  const { engine, kernel } = machine(2);
  const cfs = [0, 1].map((i) => kernel.spawn(hog(), { name: `cfs${i}`, affinity: [i] }));
  const mq = [0, 1, 2].map((i) =>
    kernel.spawn(hog(), { name: `mq${i}`, schedClass: "microquanta" })
  );
  engine.run({ until: 10 * MS });
  kernel.checkInvariants();
  // Two CPUs, three MicroQuanta hogs: each runs 0.9 ms per period while a
  // CPU is free of the others, so together they hold 2 CPUs minus blackouts.
  const mqTime = mq.reduce((sum, t) => sum + t.cpuTime, 0);
  const cfsTime = cfs.reduce((sum, t) => sum + t.cpuTime, 0);
  assert.equal(mqTime + cfsTime, 20 * MS);
  assert.ok(mq.every((t) => t.cpuTime > 0), mq.map((t) => t.cpuTime).join(" "));
  assert.ok(mqTime >= 15 * MS, `MicroQuanta ${mqTime}`);
});

Deno.test("MicroQuanta moves a waiting thread when its affinity changes", () => {
  const { engine, kernel } = machine(2);
  const a = kernel.spawn(hog(), { name: "a", affinity: [0], schedClass: "microquanta" });
  const b = kernel.spawn(hog(), { name: "b", affinity: [0], schedClass: "microquanta" });
  engine.run({ until: 100 * US });
  assert.equal(a.state, "running");
  assert.equal(b.state, "runnable");
  kernel.setAffinity(b, [1]);
  engine.run({ until: 200 * US });
  assert.equal(b.state, "running");
  assert.equal(b.cpu, 1);
  kernel.checkInvariants();
});

Deno.test("A poller poked while paying its context switch back from a blackout conserves time", () => {
  const { engine, kernel } = machine(1, PAPER_COSTS);
  let poked = false;
  const poller = kernel.spawn({
    next(thread: Thread) {
      if (!poked) return "spin";
      poked = false;
      thread.stepNs = 10 * US;
      return "compute";
    },
  }, { name: "poller", schedClass: "microquanta" });
  // Throttled at 0.9 ms, it comes back at 1 ms and pays a CFS context switch
  // (599 ns under the paper's costs); the poke lands inside it.
  engine.run({ until: MS + 200 });
  assert.equal(poller.state, "running");
  poked = true;
  kernel.poke(poller);
  engine.run({ until: 2 * MS });
  kernel.checkInvariants();
  assert.ok(poller.cpuTime > 1.7 * MS);
});
