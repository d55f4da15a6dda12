/**
 * The opt-in messages of ghost.md: CPU_TICK (`deliverTicks`) to a CPU's
 * agent on every timer tick, and TASK_ON_CPU (`deliverOnCpu`) when a
 * committed thread starts running, neither sent unless asked for; and
 * TASK_AFFINITY_CHANGED when `Kernel.setAffinity` changes a thread's CPUs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import type { AgentContext } from "../core/policy.ts";
import { hog } from "../core/behaviors.ts";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { MSG } from "../core/ghost_abi.ts";
import { Kernel } from "../core/kernel.ts";
import type { Message } from "../core/message_queue.ts";
import { Topology } from "../core/topology.ts";
import { MS } from "../core/units.ts";
import { FifoCentralized } from "../policies/fifo_centralized.ts";
import { FifoPerCpu } from "../policies/fifo_per_cpu.ts";

function rig(options: { deliverTicks?: boolean; deliverOnCpu?: boolean }, perCpu: boolean) {
  const engine = new Engine(1);
  const kernel = new Kernel(engine, {
    topology: new Topology({ name: "four", coresPerLlc: 4 }),
    costs: PAPER_COSTS,
  });
  const enclave = new Enclave(kernel, { cpus: [0, 1, 2, 3], ...options });
  const ticks: number[] = [];
  const onCpu: { gtid: number; cpu: number; seqnum: number; barrier: number }[] = [];
  const record = {
    cpuTick(_ctx: AgentContext, msg: Message) {
      ticks.push(msg.cpu);
    },
    taskOnCpu(ctx: AgentContext, msg: Message) {
      onCpu.push({
        gtid: msg.gtid,
        cpu: msg.cpu,
        seqnum: msg.seqnum,
        barrier: ctx.status(msg.gtid)!.barrier,
      });
    },
  };
  const policy = perCpu
    ? Object.assign(new FifoPerCpu(), record)
    : Object.assign(new FifoCentralized(), record);
  new AgentProcess(kernel, enclave, policy).start();
  return { engine, kernel, enclave, ticks, onCpu };
}

Deno.test("CPU_TICK reaches a CPU's agent on every tick only when the enclave delivers ticks", () => {
  for (const perCpu of [true, false]) {
    const on = rig({ deliverTicks: true }, perCpu);
    on.kernel.spawn(hog(), { name: "hog", schedClass: "ghost", ghost: on.enclave });
    on.engine.run({ until: 20 * MS });
    on.kernel.checkInvariants();
    // A busy CPU ticks every millisecond; the hog's CPU reports about 20 of them.
    const counts = new Map<number, number>();
    for (const cpu of on.ticks) counts.set(cpu, (counts.get(cpu) ?? 0) + 1);
    const busiest = Math.max(...counts.values());
    assert.ok(busiest >= 18 && busiest <= 21, `${perCpu ? "per-CPU" : "global"}: ${busiest} ticks`);
    // Counted as produced; the last few may still wait in the queue at the end.
    const produced = on.enclave.stats.messages[10]!;
    assert.ok(
      produced >= on.ticks.length && produced - on.ticks.length <= 4,
      `${produced} counted`,
    );

    const off = rig({}, perCpu);
    off.kernel.spawn(hog(), { name: "hog", schedClass: "ghost", ghost: off.enclave });
    off.engine.run({ until: 20 * MS });
    assert.equal(off.ticks.length, 0, "no CPU_TICK unless asked for");
  }
});

Deno.test("TASK_ON_CPU follows every commit that runs, in sequence, only when opted in", () => {
  const on = rig({ deliverOnCpu: true }, false);
  const threads = Array.from(
    { length: 3 },
    (_, i) =>
      on.kernel.spawn(hog(2 * MS), { name: `t${i}`, schedClass: "ghost", ghost: on.enclave }),
  );
  on.engine.run({ until: 10 * MS });
  on.kernel.checkInvariants();
  assert.ok(on.onCpu.length >= 3, `${on.onCpu.length} TASK_ON_CPU`);
  for (const thread of threads) {
    const seen = on.onCpu.filter((m) => m.gtid === thread.id);
    assert.ok(seen.length >= 1, `${thread.name} reported on a CPU`);
    assert.ok(seen.every((m) => m.cpu !== 0), "never the global agent's CPU");
    assert.ok(seen.every((m) => m.seqnum <= m.barrier), "a seqnum from the task's barrier");
    assert.equal(thread.state, "running");
    assert.ok(seen.some((m) => m.cpu === thread.cpu));
  }
  const off = rig({}, false);
  off.kernel.spawn(hog(2 * MS), { name: "t", schedClass: "ghost", ghost: off.enclave });
  off.engine.run({ until: 10 * MS });
  assert.equal(off.onCpu.length, 0, "no TASK_ON_CPU unless asked for");
});

Deno.test("setAffinity moves a fair thread to a CPU it may use", () => {
  const engine = new Engine(1);
  const kernel = new Kernel(engine, {
    topology: new Topology({ name: "four", coresPerLlc: 4 }),
    costs: PAPER_COSTS,
  });
  const thread = kernel.spawn(hog(), { name: "hog", affinity: [0] });
  engine.run({ until: 2 * MS });
  assert.equal(thread.cpu, 0);
  kernel.setAffinity(thread, [3]);
  engine.run({ until: 4 * MS });
  kernel.checkInvariants();
  assert.equal(thread.cpu, 3, "it runs on its new CPU");
  assert.throws(() => kernel.setAffinity(thread, []), RangeError);
  assert.throws(() => kernel.setAffinity(thread, [9]), RangeError);
});

Deno.test("TASK_AFFINITY_CHANGED: a ghost thread leaves a CPU it may no longer use", () => {
  const engine = new Engine(2);
  const kernel = new Kernel(engine, {
    topology: new Topology({ name: "four", coresPerLlc: 4 }),
    costs: PAPER_COSTS,
  });
  const enclave = new Enclave(kernel, { cpus: [0, 1, 2, 3] });
  const changed: number[] = [];
  new AgentProcess(
    kernel,
    enclave,
    Object.assign(new FifoCentralized(), {
      taskAffinityChanged(_ctx: AgentContext, msg: Message) {
        changed.push(msg.gtid);
      },
    }),
  ).start();
  const thread = kernel.spawn(hog(MS), { name: "hog", schedClass: "ghost", ghost: enclave });
  engine.run({ until: 2 * MS });
  const first = thread.cpu;
  assert.ok(first > 0, `runs on CPU ${first}`);
  const target = first === 3 ? 2 : 3;
  kernel.setAffinity(thread, [target]);
  engine.run({ until: 6 * MS });
  kernel.checkInvariants();
  assert.deepEqual(changed, [thread.id], "the agent heard of the change");
  assert.equal(thread.cpu, target, "it runs where it may");
});

Deno.test("CPU_TICK's seqnum is the agent barrier and rises by one per tick, polled or linked", () => {
  for (const linked of [false, true]) {
    const engine = new Engine(1);
    const kernel = new Kernel(engine, {
      topology: new Topology({ name: "two", coresPerLlc: 2 }),
      costs: PAPER_COSTS,
    });
    const enclave = new Enclave(kernel, { cpus: [0, 1], deliverTicks: true });
    const queue = enclave.createQueue();
    if (linked) enclave.configQueueWakeup(queue, [0]);
    enclave.setCpuQueue(0, queue);
    // The barrier once the tick is delivered (after the wakeup link's ping).
    const barriers: number[] = [];
    const deliver = queue.onProduce!;
    queue.onProduce = (q) => {
      deliver(q);
      barriers.push(enclave.agentBarrier[0]!);
    };
    kernel.spawn(hog(), { name: "hog", affinity: [0] });
    engine.run({ until: 10 * MS + 1 });
    const seqnums: number[] = [];
    for (let msg = queue.peek(); msg !== null; msg = queue.peek()) {
      assert.equal(msg.type, MSG.CPU_TICK);
      seqnums.push(msg.seqnum);
      queue.pop();
    }
    const what = linked ? "linked" : "polled";
    assert.deepEqual(seqnums, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], `${what}: one per tick, in order`);
    assert.deepEqual(seqnums, barriers, `${what}: each equals the barrier`);
  }
});
