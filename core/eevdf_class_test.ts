import assert from "node:assert/strict";
import { hog } from "./behaviors.ts";
import { IDEAL_COSTS, PAPER_COSTS } from "./cost_profile.ts";
import { eevdfBaseSlice, EevdfClass } from "./eevdf_class.ts";
import { Engine } from "./engine.ts";
import { CpuState, Kernel } from "./kernel.ts";
import { NICE_0_WEIGHT, Thread } from "./thread.ts";
import { Topology } from "./topology.ts";
import { wakeDelays } from "./_wake_delays.ts";
import { assertNiceShares } from "./_nice_shares.ts";
import { MS, SEC } from "./units.ts";

/** One CPU under the EEVDF class alone, with a clock the test sets. */
function eevdfOnOneCpu() {
  const topology = new Topology({ name: "one", coresPerLlc: 1 });
  const cpus = topology.cpus.map((info) => new CpuState(info));
  const clock = { now: 0 };
  const fair = new EevdfClass(cpus, { llcs: 1, clock, tickNs: MS });
  let nextId = 1;
  const thread = (nice = 0) => new Thread(nextId++, hog(), { name: "t", nice }, cpus.length);
  return { cpu: cpus[0]!, fair, thread };
}

function eevdfMachine(cpus: number, costs = PAPER_COSTS) {
  const engine = new Engine(1);
  const topology = new Topology({ name: "t", coresPerLlc: cpus });
  return { engine, kernel: new Kernel(engine, { topology, costs, fair: "eevdf" }) };
}

Deno.test("eevdfBaseSlice is 0.75 ms x (1 + log2(min(cpus, 8)))", () => {
  assert.equal(eevdfBaseSlice(1), 750_000);
  assert.equal(eevdfBaseSlice(2), 1_500_000);
  assert.equal(eevdfBaseSlice(6), 2_250_000);
  assert.equal(eevdfBaseSlice(64), 3_000_000);
});

Deno.test("EevdfClass.avgVruntime weighs queued threads by weight", () => {
  const { cpu, fair, thread } = eevdfOnOneCpu();
  const a = thread(0);
  const b = thread(-5); // weight 3121
  a.vruntime = 0;
  b.vruntime = 4 * MS;
  fair.enqueue(cpu, a);
  fair.enqueue(cpu, b);
  const expected = (a.weight * 0 + b.weight * 4 * MS) / (a.weight + b.weight);
  assert.ok(Math.abs(fair.avgVruntime(cpu) - expected) < 1e-6);
  assert.equal(fair.eligible(cpu, a), true);
  assert.equal(fair.eligible(cpu, b), false, "b is ahead of the average");
});

Deno.test("EevdfClass picks the earliest deadline among eligible threads only", () => {
  const setUp = (middleVruntime: number) => {
    const { cpu, fair, thread } = eevdfOnOneCpu();
    const behind = thread();
    const ahead = thread();
    const middle = thread();
    behind.vruntime = 0;
    behind.vdeadline = 9 * MS;
    middle.vruntime = middleVruntime;
    middle.vdeadline = 3 * MS;
    ahead.vruntime = 10 * MS;
    ahead.vdeadline = 1 * MS;
    for (const t of [behind, ahead, middle]) fair.enqueue(cpu, t);
    return { pick: fair.pickNext(cpu), behind, middle };
  };
  const first = setUp(1 * MS); // V = 11/3 ms: ahead is not eligible
  assert.equal(first.pick, first.middle, "earliest eligible deadline, not the earliest deadline");
  const equal = setUp(5 * MS); // V = 5 ms: eligible at equality
  assert.equal(equal.pick, equal.middle);
  const past = setUp(6 * MS); // V = 16/3 ms: only the leftmost is eligible
  assert.equal(past.pick, past.behind);
});

Deno.test("EevdfClass places a thread with its lag, scaled so that the lag survives the placement", () => {
  const { cpu, fair, thread } = eevdfOnOneCpu();
  const a = thread();
  const b = thread();
  a.vruntime = 0;
  b.vruntime = 2 * MS;
  fair.enqueue(cpu, a);
  fair.enqueue(cpu, b);
  const sleeper = thread(5);
  sleeper.vlag = 0.5 * MS;
  fair.placeWoken(cpu, sleeper);
  fair.enqueue(cpu, sleeper);
  const lagAfter = fair.avgVruntime(cpu) - sleeper.vruntime;
  assert.ok(Math.abs(lagAfter - 0.5 * MS) < 1e-3, `lag after placement ${lagAfter}`);
  const vslice = eevdfBaseSlice(1) * NICE_0_WEIGHT / sleeper.weight;
  assert.ok(Math.abs(sleeper.vdeadline - sleeper.vruntime - vslice) < 1e-6);
  // Leaving the queue saves the same lag back.
  fair.dequeue(cpu, sleeper);
  assert.ok(Math.abs(sleeper.vlag - 0.5 * MS) < 1e-3, `saved lag ${sleeper.vlag}`);
});

Deno.test("EevdfClass gives a new thread V and half a slice to its deadline", () => {
  const { cpu, fair, thread } = eevdfOnOneCpu();
  const a = thread();
  a.vruntime = 3 * MS;
  fair.enqueue(cpu, a);
  const fresh = thread();
  fair.placeNew(cpu, fresh);
  assert.equal(fresh.vruntime, 3 * MS);
  assert.equal(fresh.vdeadline, 3 * MS + eevdfBaseSlice(1) / 2);
});

Deno.test("Kernel with EEVDF shares a CPU among hogs in proportion to nice weights within 2%", () => {
  assertNiceShares(eevdfMachine(1).kernel);
});

Deno.test("Kernel with EEVDF runs hogs of equal weight in turns of one base slice, to the tick", () => {
  const { engine, kernel } = eevdfMachine(1, IDEAL_COSTS);
  kernel.spawn(hog(), { name: "a", affinity: [0] });
  kernel.spawn(hog(), { name: "b", affinity: [0] });
  engine.run({ until: SEC });
  kernel.checkInvariants();
  // A 0.75 ms slice is seen at the 1 ms tick: about one switch per tick.
  const switches = kernel.cpus[0]!.switches;
  assert.ok(switches > 900 && switches < 1100, `${switches} switches in 1 s`);
});

Deno.test("Kernel with EEVDF lets a latency-sensitive waker preempt a hog within one base slice", () => {
  for (const cpus of [1, 4]) {
    const { kernel } = eevdfMachine(cpus);
    // 20 us of work per wake-up: a latency-sensitive thread.
    const delays = wakeDelays(kernel, cpus, 20_000);
    assert.ok(delays.length > 50, `only ${delays.length} wake-ups`);
    // Eligible with an earlier deadline: it preempts at once (a switch's cost)...
    const atOnce = delays.filter((d) => d <= 10_000).length;
    assert.ok(atOnce >= 0.95 * delays.length, `${cpus} CPUs: ${atOnce}/${delays.length} at once`);
    // ...and once its lag has worn out, it waits at most for the hog's slice,
    // which the tick sees (no hrtick): one base slice plus one tick.
    const worst = Math.max(...delays);
    const bound = eevdfBaseSlice(cpus) + kernel.tickNs;
    assert.ok(worst <= bound, `${cpus} CPUs: worst wake-up delay ${worst} ns > ${bound}`);
  }
});
