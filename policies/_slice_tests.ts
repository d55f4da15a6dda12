/**
 * The slice tests every sliced global FIFO must pass (`shinjuku`, and
 * `fifo-centralized --slice`): on a fake context, a thread the kernel
 * preempted goes back first and one its slice preempted goes last; slices
 * end oldest first, with the timer armed for the next oldest slice's end;
 * failed commits put their threads back first, in order (sliced or not).
 *
 * @module
 */

import assert from "node:assert/strict";
import { MSG, TXN } from "../core/ghost_abi.ts";
import { MSG_FLAG_BY_KERNEL, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { Policy } from "../core/policy.ts";
import { US } from "../core/units.ts";
import { FakeContext } from "./_fake_context.ts";

/** A runnable thread `gtid` joins (nice 0). */
function arrive(ctx: FakeContext, policy: Policy, gtid: number): void {
  ctx.send(policy, MSG.TASK_NEW, gtid, { flags: MSG_FLAG_RUNNABLE });
}

/**
 * Defines the slice tests of a policy `create` makes with a 30 us slice,
 * named after `name`.
 */
export function sliceTests(name: string, create: () => Policy): void {
  Deno.test(`${name} puts a thread the kernel preempted first, one its slice preempted last`, () => {
    // CPU 0 is the agent's, CPU 1 runs the threads.
    const kernel = create();
    const ctx = new FakeContext(2);
    for (const gtid of [1, 2, 3]) arrive(ctx, kernel, gtid);
    kernel.schedule(ctx);
    ctx.now = 5 * US;
    ctx.send(kernel, MSG.TASK_PREEMPT, 1, { cpu: 1, flags: MSG_FLAG_BY_KERNEL });
    kernel.schedule(ctx);
    assert.deepEqual(ctx.since(0), ["1@1", "1@1"], "a fair thread took CPU 1: 1 goes back first");

    const agent = create();
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

  Deno.test(`${name} preempts the oldest thread first and arms its timer for the oldest slice's end`, () => {
    // Three CPUs start threads 1, 2 and 3 at 0, 5 and 10 us; 2 blocks at 12 us
    // and 4 takes its CPU. Slices end in the order 1 (30 us), 3 (40 us), 4
    // (42 us): 4's CPU had a thread before 3's did, but 4 is newer.
    const policy = create();
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
}

/**
 * Defines the failed-commit test of a global FIFO `create` makes (sliced or
 * not): the threads of failed commits go back first, in their order.
 */
export function failedCommitTests(name: string, create: () => Policy): void {
  Deno.test(`${name} puts the threads of failed commits back first, in their order`, () => {
    // A group of three: CPUs 1 and 3 fail the commits of 1 and 3; 2 runs on CPU 2.
    const policy = create();
    const ctx = new FakeContext(4);
    for (const gtid of [1, 2, 3, 4, 5]) arrive(ctx, policy, gtid);
    ctx.failing.set(1, TXN.TARGET_STALE).set(3, TXN.TARGET_STALE);
    policy.schedule(ctx);
    assert.deepEqual(ctx.since(0), ["1@1!", "2@2", "3@3!"]);
    ctx.failing.clear();
    ctx.now = 1 * US;
    policy.schedule(ctx);
    assert.deepEqual(ctx.since(3), ["1@1", "3@3"], "1 then 3, ahead of 4");
    // Every commit fails: the whole group goes back, in order.
    ctx.now = 2 * US;
    for (const gtid of [1, 2, 3]) ctx.send(policy, MSG.TASK_BLOCKED, gtid, { cpu: gtid });
    for (const cpu of [1, 2, 3]) ctx.failing.set(cpu, TXN.CPU_UNAVAIL);
    policy.schedule(ctx);
    ctx.failing.clear();
    ctx.now = 3 * US;
    policy.schedule(ctx);
    assert.deepEqual(ctx.threads(5), ["4!", "5!", "4", "5"], "4 then 5");
  });
}
