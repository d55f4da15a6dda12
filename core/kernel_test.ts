import assert from "node:assert/strict";
import { hog, script } from "./behaviors.ts";
import { IDEAL_COSTS, PAPER_COSTS } from "./cost_profile.ts";
import { Enclave } from "./enclave.ts";
import { Engine } from "./engine.ts";
import { Kernel } from "./kernel.ts";
import { type Action, type Thread, WaitQueue } from "./thread.ts";
import { Topology } from "./topology.ts";
import { wakeDelays } from "./_wake_delays.ts";
import { assertNiceShares } from "./_nice_shares.ts";
import { MS } from "./units.ts";

function machine(cpus: number, costs = IDEAL_COSTS, seed = 1) {
  const engine = new Engine(seed);
  const topology = new Topology({ name: "t", coresPerLlc: cpus });
  return { engine, kernel: new Kernel(engine, { topology, costs }) };
}

/**
 * A behaviour that first waits on `gate`, then does `then` each step; `ranAt`
 * is when it first ran after the wait (-1 before).
 */
function gatedSleeper(engine: Engine, gate: WaitQueue, then: (t: Thread) => Action) {
  let waited = false;
  return {
    ranAt: -1,
    next(t: Thread): Action {
      if (!waited) {
        waited = true;
        t.waitOn = gate;
        return "wait";
      }
      if (this.ranAt < 0) this.ranAt = engine.now;
      return then(t);
    },
  };
}

Deno.test("Kernel shares a CPU among hogs in proportion to nice weights within 2%", () => {
  assertNiceShares(machine(1, PAPER_COSTS).kernel);
});

Deno.test("Kernel lets a woken thread preempt a CPU hog within the wakeup granularity", () => {
  for (const cpus of [1, 4]) {
    const { kernel } = machine(cpus, PAPER_COSTS);
    const delays = wakeDelays(kernel, cpus, 200_000);
    assert.ok(delays.length > 50, `only ${delays.length} wake-ups`);
    const worst = Math.max(...delays);
    assert.ok(
      worst <= kernel.tunables.wakeupGranularity,
      `${cpus} CPUs: worst wake-up delay ${worst} ns`,
    );
  }
});

Deno.test("Kernel never runs a pinned thread outside its affinity", () => {
  const { engine, kernel } = machine(8, PAPER_COSTS);
  const seen = new Map<string, Set<number>>();
  const gate = new WaitQueue("gate");
  function tracked(name: string, steps: Parameters<typeof script>[0]) {
    const inner = script(steps, true);
    return {
      next(t: Thread): Action {
        const set = seen.get(name) ?? new Set<number>();
        set.add(kernel.currentCpu);
        seen.set(name, set);
        return inner.next(t);
      },
    };
  }
  const pins: Record<string, number[]> = {};
  for (let i = 0; i < 24; i++) {
    const name = `p${i}`;
    pins[name] = i % 3 === 0 ? [i % 8] : [i % 8, (i + 3) % 8];
    kernel.spawn(
      tracked(name, [{ compute: 300_000 + i * 1000 }, { sleep: 200_000 }, { yield: true }]),
      { name, affinity: pins[name]! },
    );
  }
  for (let i = 0; i < 8; i++) {
    kernel.spawn(tracked(`free${i}`, [{ compute: 2 * MS }, { wait: gate }]), { name: `free${i}` });
  }
  const tickKind = engine.register("test.wake", () => {
    while (kernel.wakeOne(gate) !== null) { /* wake all */ }
    engine.after(3 * MS, tickKind);
  });
  engine.after(MS, tickKind);
  engine.run({ until: 500 * MS });
  kernel.checkInvariants();
  for (const [name, cpus] of Object.entries(pins)) {
    const ran = seen.get(name)!;
    assert.ok(ran.size > 0);
    for (const cpu of ran) assert.ok(cpus.includes(cpu), `${name} ran on ${cpu}`);
  }
  const freeCpus = new Set<number>();
  for (let i = 0; i < 8; i++) for (const c of seen.get(`free${i}`)!) freeCpus.add(c);
  assert.ok(freeCpus.size > 1, "unpinned threads should spread");
});

Deno.test("Kernel conserves time on every CPU through switches, sleeps and exits", () => {
  const { engine, kernel } = machine(4, PAPER_COSTS, 7);
  const rng = engine.random.stream("test");
  let spawned = 0;
  const spawnKind = engine.register("test.spawn", () => {
    const steps = [];
    for (let i = 0; i < 5; i++) {
      steps.push({ compute: 1 + Math.floor(rng.exponential(200_000)) });
      if (rng.next() < 0.5) steps.push({ sleep: Math.floor(rng.exponential(300_000)) });
      else steps.push({ yield: true as const });
    }
    kernel.spawn(script(steps), { name: `s${spawned++}`, nice: rng.below(10) - 5 });
    if (spawned < 400) engine.after(Math.floor(rng.exponential(100_000)), spawnKind);
  });
  const checkKind = engine.register("test.check", () => {
    kernel.checkInvariants();
    engine.after(250_000, checkKind);
  });
  engine.after(0, spawnKind);
  engine.after(1, checkKind);
  engine.run({ until: 200 * MS });
  kernel.checkInvariants();
  assert.equal(kernel.liveThreads, 0, "every scripted thread should have exited");
  let busy = 0;
  for (const cpu of kernel.cpus) {
    busy += kernel.busyTime(cpu.id);
    assert.equal(cpu.curr, null);
  }
  assert.ok(busy > 0);
});

Deno.test("Kernel.ghostMayUse is false where a fair thread runs or another agent is awake", () => {
  const { engine, kernel } = machine(3);
  const enclave = new Enclave(kernel, { cpus: [1, 2] });
  kernel.spawn(hog(), { name: "fair", affinity: [0] });
  const gate = new WaitQueue("gate");
  const agent = kernel.spawn(script([{ compute: MS }, { wait: gate }]), {
    name: "agent",
    schedClass: "agent",
    ghost: enclave,
    affinity: [1],
  });
  engine.run({ until: MS / 2 });
  assert.equal(kernel.ghostMayUse(0, -1), false, "a fair thread runs there");
  assert.equal(kernel.ghostMayUse(1, -1), false, "another agent runs there");
  assert.equal(kernel.ghostMayUse(1, 1), true, "the asking agent's own CPU");
  assert.equal(kernel.ghostMayUse(2, 1), true, "idle");
  engine.run({ until: 2 * MS });
  assert.equal(agent.state, "blocked");
  assert.equal(kernel.ghostMayUse(1, 2), true, "the agent sleeps");
  kernel.spawn(hog(), { name: "waiter", affinity: [0] });
  assert.equal(kernel.cpus[0]!.rq.size, 1);
  assert.equal(kernel.ghostMayUse(0, 0), false, "a fair thread waits there");
  assert.throws(() => kernel.ghostMayUse(3, -1), RangeError);
});

Deno.test("Kernel wake-up preemption: more than the granularity behind runs at once, less waits for the tick", () => {
  // A sleeper woken `lead` ns beyond the wakeup granularity behind a hog (or
  // short of it), 300 us into a tick.
  // The CPU starts 400 us into a tick; its ticks still fall on the 1 ms grid.
  for (const lead of [100_000, -100_000]) {
    const { engine, kernel } = machine(1, PAPER_COSTS);
    const gate = new WaitQueue("gate");
    const sleeperBehavior = gatedSleeper(engine, gate, (t) => {
      t.stepNs = 100_000;
      return "compute";
    });
    let cpuHog: Thread | null = null;
    let sleeper: Thread | null = null;
    const start = engine.register("test.start", () => {
      cpuHog = kernel.spawn(hog(), { name: "hog" });
      sleeper = kernel.spawn(sleeperBehavior, { name: "sleeper" });
    });
    engine.at(400_000, start);
    const wokeAt = 10 * MS + 300_000;
    const wake = engine.register("test.wake", () => {
      kernel.flushAccounting();
      sleeper!.vruntime = cpuHog!.vruntime - (kernel.tunables.wakeupGranularity + lead);
      assert.equal(kernel.wakeOne(gate), sleeper);
    });
    engine.at(wokeAt, wake);
    engine.run({ until: 20 * MS });
    kernel.checkInvariants();
    const switchCost = PAPER_COSTS.cfsContextSwitch;
    if (lead > 0) {
      assert.equal(sleeperBehavior.ranAt - wokeAt, switchCost, "it preempts the hog at once");
    } else {
      const nextTick = Math.ceil(wokeAt / kernel.tickNs) * kernel.tickNs;
      assert.equal(
        sleeperBehavior.ranAt,
        nextTick + switchCost,
        "the hog keeps the CPU until the tick",
      );
    }
  }
});

Deno.test("Kernel starts a fair thread woken from another CPU onto an idle one after the reschedule IPI", () => {
  // The sleeper is pinned to CPU 1, idle; it is woken at 1 ms from CPU 0, from
  // CPU 1 itself, or from no CPU (a timer).
  const costs = { ...PAPER_COSTS, ipi: 5_000 };
  for (const [waker, delay] of [[0, 5_000], [1, 0], [-1, 0]] as const) {
    const { engine, kernel } = machine(2, costs);
    const gate = new WaitQueue("gate");
    const behavior = gatedSleeper(engine, gate, () => "exit");
    const sleeper = kernel.spawn(behavior, { name: "sleeper", affinity: [1] });
    const wake = engine.register("test.wake", () => kernel.wake(sleeper, waker));
    engine.at(MS, wake);
    engine.run({ until: 2 * MS });
    kernel.checkInvariants();
    assert.equal(behavior.ranAt - MS, delay + costs.cfsContextSwitch, `woken from CPU ${waker}`);
  }
});

Deno.test("Kernel makes a yield take time even when system calls are free", () => {
  // With free system calls, a thread alone on its CPU that yields in a loop
  // must still let time pass (1 ns a yield), never spin at one instant.
  const engine = new Engine(1, { maxEventsPerInstant: 1000 });
  const topology = new Topology({ name: "one", coresPerLlc: 1 });
  const kernel = new Kernel(engine, { topology, costs: IDEAL_COSTS });
  let yields = 0;
  kernel.spawn({
    next(): Action {
      yields++;
      return "yield";
    },
  }, { name: "yielder" });
  engine.run({ until: 10_000 });
  kernel.checkInvariants();
  assert.ok(yields >= 5_000 && yields <= 10_001, `${yields} yields in 10 us`);
});

Deno.test("Kernel.ghostMayUse is false where a fair thread waits behind the asking agent", () => {
  const { engine, kernel } = machine(2);
  const enclave = new Enclave(kernel, { cpus: [0, 1] });
  const gate = new WaitQueue("gate");
  kernel.spawn(script([{ compute: MS }, { wait: gate }]), {
    name: "agent",
    schedClass: "agent",
    ghost: enclave,
    affinity: [1],
  });
  engine.run({ until: MS / 2 });
  assert.equal(kernel.ghostMayUse(1, 1), true, "only the asking agent runs there");
  kernel.spawn(hog(), { name: "waiter", affinity: [1] });
  assert.equal(kernel.cpus[1]!.curr?.name, "agent", "the agent keeps its CPU");
  assert.equal(kernel.cpus[1]!.rq.size, 1);
  assert.equal(kernel.ghostMayUse(1, 1), false, "a fair thread waits there");
});

Deno.test("Kernel charges a thread moving to another LLC the cache refill, on top of the switch", () => {
  const engine = new Engine(1);
  const topology = new Topology({ name: "two-llcs", llcPerNuma: 2, coresPerLlc: 2 });
  const kernel = new Kernel(engine, { topology, costs: PAPER_COSTS });
  const thread = kernel.spawn(hog(), { name: "hog", affinity: [0] });
  engine.run({ until: MS });
  kernel.setAffinity(thread, [1]); // same LLC
  engine.run({ until: 2 * MS });
  assert.equal(thread.cpu, 1);
  assert.equal(kernel.cpus[1]!.overheadNs, PAPER_COSTS.cfsContextSwitch);
  kernel.setAffinity(thread, [2]); // the other LLC
  engine.run({ until: 3 * MS });
  assert.equal(thread.cpu, 2);
  assert.ok(PAPER_COSTS.crossLlcMigration > 0);
  assert.equal(
    kernel.cpus[2]!.overheadNs,
    PAPER_COSTS.cfsContextSwitch + PAPER_COSTS.crossLlcMigration,
  );
  kernel.checkInvariants();
});

Deno.test("Kernel never takes a CPU from a dedicated thread once it runs: a nice -20 hog waits", () => {
  for (const dedicated of [false, true]) {
    const { engine, kernel } = machine(1, PAPER_COSTS);
    const spinner = kernel.spawn({ next: (): Action => "spin" }, {
      name: "dataplane",
      affinity: [0],
      dedicated,
    });
    engine.run({ until: 1 * MS });
    assert.equal(spinner.state, "running");
    const other = kernel.spawn(hog(), { name: "other", nice: -20, affinity: [0] });
    engine.run({ until: 100 * MS });
    kernel.checkInvariants();
    if (dedicated) {
      assert.equal(other.cpuTime, 0, "the other thread never ran");
      assert.equal(spinner.state, "running");
    } else {
      assert.ok(other.cpuTime > 50 * MS, `CFS shares the CPU: ${other.cpuTime} ns`);
    }
  }
});
