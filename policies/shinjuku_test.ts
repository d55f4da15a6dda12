import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { MSG, TXN } from "../core/ghost_abi.ts";
import { MSG_FLAG_BY_KERNEL, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { FakeContext } from "./_fake_context.ts";
import { departureTests, ghostMachine, job } from "./_testing.ts";
import { Shinjuku } from "./shinjuku.ts";

departureTests("shinjuku", () => new Shinjuku());

Deno.test("Shinjuku preempts a thread that ran its slice while one of its class waits", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    // Two CPUs: the global agent's and one for the threads.
    const { engine, kernel, spawn } = ghostMachine(new Shinjuku(), { costs });
    const done = new Map<string, number>();
    const record = (t: Thread) => done.set(t.name, kernel.engine.now);
    spawn(job(5 * MS, record), "long");
    spawn(job(10 * US, record), "short");
    engine.run({ until: 20 * MS });
    kernel.checkInvariants();
    // The short one runs after one 30 us slice of the long one, not after 5 ms.
    assert.ok(done.get("short")! < 100 * US, `${costs.name}: short done at ${done.get("short")}`);
    assert.ok(done.get("long")! < 6 * MS, `${costs.name}: long done at ${done.get("long")}`);
  }
});

Deno.test("Shinjuku preempts a lower class at once, its own class only at the end of the slice", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    for (const nice of [-10, 10]) {
      const { engine, kernel, spawn } = ghostMachine(new Shinjuku({ sliceNs: MS }), { costs });
      let finished = -1;
      spawn(job(5 * MS, () => {}), "low", 10);
      engine.run({ until: 200 * US });
      spawn(job(10 * US, () => finished = kernel.engine.now), "late", nice);
      engine.run({ until: 10 * MS });
      kernel.checkInvariants();
      if (nice < 10) {
        assert.ok(finished < 300 * US, `${costs.name}: higher class done at ${finished}`);
      } else {
        // Same class: it waits until the running thread's 1 ms slice is over.
        assert.ok(finished >= MS && finished < 1.2 * MS, `${costs.name}: done at ${finished}`);
      }
    }
  }
});

/** A runnable thread `gtid` of nice `nice` joins. */
function arrive(ctx: FakeContext, policy: Shinjuku, gtid: number, nice = 0): void {
  ctx.send(policy, MSG.TASK_NEW, gtid, { flags: MSG_FLAG_RUNNABLE, aux: nice });
}

Deno.test("Shinjuku puts a thread the kernel preempted first in its class, one it preempted itself last", () => {
  // CPU 0 is the agent's, CPU 1 runs the threads; 1, 2 and 3 share a class.
  const kernel = new Shinjuku();
  const ctx = new FakeContext(2);
  for (const gtid of [1, 2, 3]) arrive(ctx, kernel, gtid);
  kernel.schedule(ctx);
  ctx.now = 5 * US;
  ctx.send(kernel, MSG.TASK_PREEMPT, 1, { cpu: 1, flags: MSG_FLAG_BY_KERNEL });
  kernel.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@1", "1@1"], "a fair thread took CPU 1: 1 goes back first");

  const agent = new Shinjuku();
  const other = new FakeContext(2);
  for (const gtid of [1, 2, 3]) arrive(other, agent, gtid);
  agent.schedule(other);
  // Each slice's end: the next one runs, the one it replaced goes last.
  for (let slice = 1; slice <= 3; slice++) {
    other.now = slice * 30 * US;
    agent.schedule(other);
    const replaced = other.commits.at(-2)!.gtid;
    other.send(agent, MSG.TASK_PREEMPT, replaced, { cpu: 1 });
  }
  assert.deepEqual(other.since(0), ["1@1", "2@1", "3@1", "1@1"]);
});

Deno.test("Shinjuku preempts the oldest thread of a class first and arms its timer for the oldest slice's end", () => {
  // Three CPUs start threads 1, 2 and 3 at 0, 5 and 10 us; 2 blocks at 12 us
  // and 4 takes its CPU. Slices end in the order 1 (30 us), 3 (40 us), 4
  // (42 us): 4's CPU had a thread before 3's did, but 4 is newer.
  const policy = new Shinjuku();
  const ctx = new FakeContext(4);
  for (const [gtid, at] of [[1, 0], [2, 5 * US], [3, 10 * US]] as const) {
    ctx.now = at;
    arrive(ctx, policy, gtid);
    policy.schedule(ctx);
  }
  ctx.now = 12 * US;
  ctx.send(policy, MSG.TASK_BLOCKED, 2, { cpu: ctx.cpuOf(2) });
  arrive(ctx, policy, 4);
  policy.schedule(ctx);
  assert.deepEqual(ctx.threads(0), ["1", "2", "3", "4"]);
  assert.equal(ctx.cpuOf(4), ctx.cpuOf(2));

  ctx.now = 20 * US;
  arrive(ctx, policy, 5);
  arrive(ctx, policy, 6);
  let timers = ctx.timers.length;
  policy.schedule(ctx);
  assert.deepEqual(ctx.threads(4), [], "no slice is over at 20 us");
  assert.deepEqual(ctx.timers.slice(timers), [30 * US], "the timer is for 1's slice");

  // Each slice's end: the oldest thread makes way, and the timer is for the next oldest.
  for (const [at, oldest, next] of [[30, 1, 40], [40, 3, 42]] as const) {
    ctx.now = at * US;
    const cpu = ctx.cpuOf(oldest);
    timers = ctx.timers.length;
    policy.schedule(ctx);
    assert.equal(ctx.commits.at(-1)!.cpu, cpu, `at ${at} us: ${oldest}'s CPU`);
    assert.equal(Math.min(...ctx.timers.slice(timers)), next * US, `at ${at} us`);
    ctx.send(policy, MSG.TASK_PREEMPT, oldest, { cpu });
  }
  ctx.now = 42 * US;
  const cpu = ctx.cpuOf(4);
  policy.schedule(ctx);
  assert.deepEqual(ctx.threads(4), ["5", "6", "1"], "1 waited longest");
  assert.equal(ctx.commits.at(-1)!.cpu, cpu, "on 4's CPU");
});

Deno.test("Shinjuku lets a nice -20 thread preempt a nice 19 one at once, never the reverse", () => {
  // The nice 19 thread runs; the nice -20 one arrives 1 us later.
  const policy = new Shinjuku();
  const ctx = new FakeContext(2);
  arrive(ctx, policy, 1, 19);
  policy.schedule(ctx);
  ctx.now = 1 * US;
  arrive(ctx, policy, 2, -20);
  policy.schedule(ctx);
  assert.deepEqual(ctx.commits.map((c) => [c.gtid, c.time]), [[1, 0], [2, 1 * US]]);
  ctx.send(policy, MSG.TASK_PREEMPT, 1, { cpu: 1 });
  // Now the nice 19 thread waits: it never takes the CPU back, slice or not.
  for (const at of [31 * US, 100 * US, 1000 * US]) {
    ctx.now = at;
    policy.schedule(ctx);
  }
  assert.equal(ctx.commits.length, 2, "the nice -20 thread keeps the CPU");
  ctx.now = 2000 * US;
  ctx.send(policy, MSG.TASK_BLOCKED, 2, { cpu: 1 });
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(2), ["1@1"]);

  // The reverse: the nice -20 thread runs, the nice 19 one arrives.
  const reverse = new Shinjuku();
  const other = new FakeContext(2);
  arrive(other, reverse, 1, -20);
  reverse.schedule(other);
  for (const at of [1 * US, 31 * US, 1000 * US]) {
    other.now = at;
    if (at === 1 * US) arrive(other, reverse, 2, 19);
    reverse.schedule(other);
  }
  assert.deepEqual(other.since(0), ["1@1"], "the nice 19 thread waits");
});

Deno.test("Shinjuku puts the threads of failed commits back first, in their order", () => {
  // CPUs 1 and 3 fail the group's commits of 1 and 3; 2 runs on CPU 2.
  const policy = new Shinjuku();
  const ctx = new FakeContext(4);
  for (const gtid of [1, 2, 3, 4]) arrive(ctx, policy, gtid);
  ctx.failing.set(1, TXN.TARGET_STALE).set(3, TXN.TARGET_STALE);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@1!", "2@2", "3@3!"]);
  ctx.failing.clear();
  ctx.now = 1 * US;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(3), ["1@1", "3@3"], "1 then 3, ahead of 4");
});
