import assert from "node:assert/strict";
import { hog } from "./behaviors.ts";
import { cfsTunables, FairClass } from "./fair_class.ts";
import { CpuState } from "./kernel.ts";
import { NICE_0_WEIGHT, Thread } from "./thread.ts";
import { Topology } from "./topology.ts";
import { MS } from "./units.ts";

/** Two LLCs of two CPUs each (CPUs 0-1 and 2-3), every CPU idle. */
function fairOnTwoLlcs(balanceTicks = 4) {
  const topology = new Topology({ name: "two-llcs", llcPerNuma: 2, coresPerLlc: 2 });
  const cpus = topology.cpus.map((info) => new CpuState(info));
  const fair = new FairClass(cpus, { llcs: topology.llcs.length, balanceTicks });
  let nextId = 1;
  const thread = (nice = 0) => new Thread(nextId++, hog(), { name: "t", nice }, cpus.length);
  return { cpus, fair, thread };
}

Deno.test("cfsTunables scales by 1 + log2(min(cpus, 8))", () => {
  assert.equal(cfsTunables(1).latency, 6 * MS);
  assert.equal(cfsTunables(4).minGranularity, 3 * 750_000);
  assert.equal(cfsTunables(8).wakeupGranularity, 4 * MS);
  assert.equal(cfsTunables(64).latency, 24 * MS);
  assert.equal(cfsTunables(8).nrLatency, 8);
});

Deno.test("FairClass.selectCpu prefers the previous CPU, then an idle CPU of the waker's LLC", () => {
  const { cpus, fair, thread } = fairOnTwoLlcs();
  const t = thread();
  t.lastCpu = 3;
  assert.equal(fair.selectCpu(t, 2), 3, "previous CPU, idle, in the waker's LLC");
  fair.markBusy(cpus[3]!);
  assert.equal(fair.selectCpu(t, 2), 2, "an idle CPU of the waker's LLC");
  fair.markBusy(cpus[2]!);
  assert.equal(fair.selectCpu(t, 2), 3, "the previous CPU when its LLC has no idle CPU");
  t.lastCpu = -1;
  const other = fair.selectCpu(t, 2);
  assert.ok(other === 0 || other === 1, `any idle CPU, got ${other}`);
});

Deno.test("FairClass.placeWoken gives a sleeper at most half a latency of credit", () => {
  const { cpus, fair, thread } = fairOnTwoLlcs();
  const cpu = cpus[0]!;
  cpu.rq.minVruntime = 100 * MS;
  const sleeper = thread();
  sleeper.lastCpu = 0;
  sleeper.vruntime = 0;
  fair.placeWoken(cpu, sleeper);
  assert.equal(sleeper.vruntime, 100 * MS - fair.tunables.latency / 2);
  const recent = thread();
  recent.lastCpu = 0;
  recent.vruntime = 99 * MS;
  fair.placeWoken(cpu, recent);
  assert.equal(recent.vruntime, 99 * MS, "a thread within the credit keeps its vruntime");
});

Deno.test("FairClass.wakeupPreempts needs a lead of more than the weighted wakeup granularity", () => {
  const { fair, thread } = fairOnTwoLlcs();
  const curr = thread();
  const woken = thread();
  const gran = fair.tunables.wakeupGranularity;
  curr.vruntime = gran;
  woken.vruntime = 0;
  assert.equal(fair.wakeupPreempts(curr, woken), false, "exactly the granularity");
  curr.vruntime = gran + 1;
  assert.equal(fair.wakeupPreempts(curr, woken), true);
  const light = thread(5);
  light.vruntime = 0;
  assert.ok(light.weight < NICE_0_WEIGHT);
  assert.equal(fair.wakeupPreempts(curr, light), false, "a lighter thread needs a bigger lead");
});

Deno.test("FairClass.tickBalance pushes a waiting thread to an idle CPU every balanceTicks ticks", () => {
  const { cpus, fair, thread } = fairOnTwoLlcs(2);
  const busy = cpus[0]!;
  busy.curr = thread();
  fair.markBusy(busy);
  const waiting = thread();
  fair.enqueue(busy, waiting);
  assert.equal(fair.tickBalance(busy), null, "first tick: not yet");
  const target = fair.tickBalance(busy);
  assert.notEqual(target, null, "second tick: balanced");
  assert.equal(waiting.rqCpu, target!.id);
  assert.equal(busy.rq.size, 0);
  assert.equal(target!.rq.peek(), waiting);
});

Deno.test("FairClass.pickNext passes over a thread that just yielded", () => {
  const { cpus, fair, thread } = fairOnTwoLlcs();
  const cpu = cpus[0]!;
  const yielder = thread();
  const other = thread();
  yielder.vruntime = 0;
  other.vruntime = MS;
  fair.enqueue(cpu, yielder);
  fair.enqueue(cpu, other);
  cpu.yieldSkip = yielder;
  assert.equal(fair.pickNext(cpu), other);
  assert.equal(cpu.yieldSkip, null, "the skip lasts one pick");
  assert.equal(fair.pickNext(cpu), yielder);
});

Deno.test("FairClass.tickBalance pulls only from a run queue at least two threads longer", () => {
  const { cpus, fair, thread } = fairOnTwoLlcs(1);
  for (const cpu of cpus) {
    cpu.curr = thread();
    fair.markBusy(cpu);
  }
  const [self, other] = [cpus[0]!, cpus[1]!];
  fair.enqueue(other, thread());
  assert.equal(fair.tickBalance(self), null, "one thread longer: no pull, or it would ping-pong");
  assert.equal(other.rq.size, 1);
  fair.enqueue(other, thread());
  assert.equal(fair.tickBalance(self), self, "two threads longer: one pulled");
  assert.equal(other.rq.size, 1);
  assert.equal(self.rq.size, 1);
});

Deno.test("FairClass moves a thread between run queues with its lag behind min_vruntime", () => {
  const { cpus, fair, thread } = fairOnTwoLlcs(1);
  const [busy, idle] = [cpus[0]!, cpus[1]!];
  busy.curr = thread();
  fair.markBusy(busy);
  busy.rq.minVruntime = 100 * MS;
  idle.rq.minVruntime = 30 * MS;
  const waiting = thread();
  waiting.vruntime = 102 * MS;
  fair.enqueue(busy, waiting);
  const target = fair.tickBalance(busy);
  assert.notEqual(target, null, "pushed to an idle CPU");
  assert.equal(waiting.rqCpu, target!.id);
  const lag = waiting.vruntime - target!.rq.minVruntime;
  assert.equal(lag, 2 * MS, "2 ms ahead of min_vruntime on both run queues");
});
