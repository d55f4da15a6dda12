import assert from "node:assert/strict";
import { MSG } from "../core/ghost_abi.ts";
import { MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { TaskStatus } from "../core/policy.ts";
import { Topology } from "../core/topology.ts";
import { US } from "../core/units.ts";
import { FakeContext } from "./_fake_context.ts";
import { departureTests } from "./_testing.ts";
import { Search, type SearchPolicyOptions } from "./search.ts";

// Placement with a real kernel and the search workload is tested in tests/search_test.ts.
departureTests("search", () => new Search());

/**
 * A fake context on a small Rome: 2 sockets × 2 CCXs × 2 cores × 2 SMT
 * (CCX 0: CPUs 0-3, CCX 1: 4-7, CCX 2: 8-11, CCX 3: 12-15), with status
 * words that give each thread a runtime and a cpumask.
 */
class RomeContext extends FakeContext {
  override readonly topology = new Topology({
    name: "rome-mini",
    sockets: 2,
    llcPerNuma: 2,
    coresPerLlc: 2,
    smt: 2,
  });
  override readonly cpus = this.topology.cpus.map((cpu) => cpu.id);
  /** Per thread: its elapsed runtime, ns. */
  readonly runtime = new Map<number, number>();
  /** Per thread: the CPUs it may use (absent: all). */
  readonly masks = new Map<number, readonly number[]>();

  override status(gtid: number): TaskStatus | undefined {
    const mask = this.masks.get(gtid);
    return {
      id: gtid,
      barrier: 0,
      state: "runnable",
      schedClass: "ghost",
      cpu: -1,
      latchedCpu: -1,
      cpuTime: this.runtime.get(gtid) ?? 0,
      nice: 0,
      homeLlc: -1,
      memoryIntensity: 0,
      deadline: Infinity,
      allowed: (cpu) => mask === undefined || mask.includes(cpu),
    };
  }

  constructor() {
    super(1);
  }
}

/** A policy and its context with CPUs 1..15 busy running threads 101..115 (CPU 0 is the agent's). */
function busyMachine(options: SearchPolicyOptions = {}) {
  const policy = new Search({ scanPerCpuNs: 0, ...options });
  const ctx = new RomeContext();
  for (let cpu = 1; cpu < 16; cpu++) {
    ctx.send(policy, MSG.TASK_NEW, 100 + cpu, { flags: MSG_FLAG_RUNNABLE });
  }
  policy.schedule(ctx);
  for (let cpu = 1; cpu < 16; cpu++) assert.ok(ctx.cpuOf(100 + cpu) >= 1);
  return { policy, ctx };
}

/** Blocks the thread on `cpu`: the CPU is free. */
function free(ctx: RomeContext, policy: Search, cpu: number): number {
  const gtid = ctx.commits.findLast((c) => c.cpu === cpu)!.gtid;
  ctx.send(policy, MSG.TASK_BLOCKED, gtid, { cpu });
  return gtid;
}

Deno.test("search runs the thread with the least elapsed runtime first and never preempts", () => {
  const { policy, ctx } = busyMachine();
  for (const [gtid, runtime] of [[1, 5000 * US], [2, 300 * US], [3, 40 * US]] as const) {
    ctx.runtime.set(gtid, runtime);
    ctx.send(policy, MSG.TASK_NEW, gtid, { flags: MSG_FLAG_RUNNABLE });
  }
  const from = ctx.commits.length;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), [], "nothing idle: no thread is displaced");
  free(ctx, policy, 7);
  policy.schedule(ctx);
  free(ctx, policy, 9);
  policy.schedule(ctx);
  free(ctx, policy, 13);
  policy.schedule(ctx);
  assert.deepEqual(ctx.threads(from), ["3", "2", "1"]);
});

Deno.test("search puts a waking thread on its last core, then its CCX, holds it, then the nearest CCX", () => {
  const { policy, ctx } = busyMachine();
  // Thread 105 ran on CPU 5 (core 4-5, CCX 1 = CPUs 4-7, socket 0).
  const t = free(ctx, policy, 5);
  free(ctx, policy, 4);
  free(ctx, policy, 6);
  ctx.send(policy, MSG.TASK_WAKEUP, t);
  let from = ctx.commits.length;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), [`${t}@5`], "its own CPU first");

  // Its core taken (CPUs 4 and 5), CPU 6 of its CCX and CPU 3 of CCX 0 idle: CPU 6.
  ctx.send(policy, MSG.TASK_BLOCKED, t, { cpu: 5 });
  free(ctx, policy, 3);
  for (const gtid of [50, 51]) {
    ctx.masks.set(gtid, [4, 5]);
    ctx.send(policy, MSG.TASK_NEW, gtid, { flags: MSG_FLAG_RUNNABLE });
  }
  policy.schedule(ctx);
  assert.deepEqual([ctx.cpuOf(50), ctx.cpuOf(51)].sort(), [4, 5]);
  ctx.send(policy, MSG.TASK_WAKEUP, t);
  from = ctx.commits.length;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), [`${t}@6`], "then its CCX");

  // CCX 1 full again; CPUs 3 (CCX 0, its socket) and 9 (CCX 2, the other socket) idle.
  ctx.send(policy, MSG.TASK_BLOCKED, t, { cpu: 6 });
  ctx.masks.set(52, [6]);
  ctx.send(policy, MSG.TASK_NEW, 52, { flags: MSG_FLAG_RUNNABLE });
  policy.schedule(ctx);
  assert.equal(ctx.cpuOf(52), 6);
  free(ctx, policy, 9);
  ctx.now = 1000 * US;
  ctx.send(policy, MSG.TASK_WAKEUP, t);
  from = ctx.commits.length;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), [], "held for its CCX");
  assert.ok(ctx.timers.includes(1000 * US + 1), `asks to look again: ${ctx.timers}`);
  ctx.now = 1000 * US + 100 * US - 1;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), [], "still held just before 100 us");
  ctx.now = 1000 * US + 100 * US;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), [`${t}@3`], "then the nearest CCX, on its own socket");
});

Deno.test("search keeps a thread inside its cpumask and skips it while no allowed CPU is idle", () => {
  const { policy, ctx } = busyMachine();
  ctx.masks.set(1, [8, 9, 10, 11, 12, 13, 14, 15]);
  ctx.send(policy, MSG.TASK_NEW, 1, { flags: MSG_FLAG_RUNNABLE });
  ctx.send(policy, MSG.TASK_NEW, 2, { flags: MSG_FLAG_RUNNABLE });
  free(ctx, policy, 3);
  const from = ctx.commits.length;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), ["2@3"], "thread 1 skipped, thread 2 behind it placed");
  free(ctx, policy, 12);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), ["2@3", "1@12"]);
});

Deno.test("search without topology awareness takes the first idle CPU and never holds", () => {
  const { policy, ctx } = busyMachine({ topologyAware: false });
  const t = free(ctx, policy, 5);
  free(ctx, policy, 14);
  free(ctx, policy, 2);
  ctx.send(policy, MSG.TASK_WAKEUP, t);
  const from = ctx.commits.length;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), [`${t}@2`], "not its own CPU 5: the first idle one");
});

Deno.test("search runs at most one pass per loop period, which grows with the CPUs", () => {
  // 16 CPUs × 100 ns: one pass per 1.6 us.
  const policy = new Search({ scanPerCpuNs: 100 });
  const ctx = new RomeContext();
  ctx.now = 3200;
  ctx.send(policy, MSG.TASK_NEW, 1, { flags: MSG_FLAG_RUNNABLE });
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@" + ctx.cpuOf(1)]);
  ctx.now = 4000;
  ctx.send(policy, MSG.TASK_NEW, 2, { flags: MSG_FLAG_RUNNABLE });
  policy.schedule(ctx);
  assert.equal(ctx.commits.length, 1, "the pass of this period already ran");
  assert.deepEqual(ctx.timers, [4800]);
  ctx.now = 4800;
  policy.schedule(ctx);
  assert.equal(ctx.commits.length, 2);
  assert.throws(() => new Search({ holdNs: -1 }), RangeError);
});
