import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { MSG, TXN } from "../core/ghost_abi.ts";
import { MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { FakeContext } from "./_fake_context.ts";
import { departureTests, ghostMachine, job } from "./_testing.ts";
import { Edf } from "./edf.ts";

departureTests("edf", () => new Edf());

/** A runnable thread `gtid` joins with `deadline` (none when undefined). */
function arrive(ctx: FakeContext, policy: Edf, gtid: number, deadline?: number): void {
  if (deadline !== undefined) ctx.deadlines.set(gtid, deadline);
  ctx.send(policy, MSG.TASK_NEW, gtid, { flags: MSG_FLAG_RUNNABLE });
}

Deno.test("Edf runs the earliest deadlines first, then threads without one in arrival order", () => {
  const policy = new Edf();
  const ctx = new FakeContext(3);
  arrive(ctx, policy, 1);
  arrive(ctx, policy, 2, 50 * US);
  arrive(ctx, policy, 3);
  arrive(ctx, policy, 4, 20 * US);
  arrive(ctx, policy, 5, 50 * US);
  policy.schedule(ctx);
  // CPU 0 is the global agent's: two CPUs, the two earliest deadlines.
  assert.deepEqual(ctx.threads(0), ["4", "2"]);
  for (const expected of ["5", "1", "3"]) {
    const from = ctx.commits.length;
    const done = ctx.commits[from - 2]!;
    ctx.send(policy, MSG.TASK_BLOCKED, done.gtid, { cpu: done.cpu });
    policy.schedule(ctx);
    assert.deepEqual(ctx.threads(from), [expected]);
  }
});

Deno.test("Edf preempts the running thread with the latest deadline for an earlier one", () => {
  const policy = new Edf();
  const ctx = new FakeContext(3);
  arrive(ctx, policy, 1, 100 * US);
  arrive(ctx, policy, 2, 300 * US);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@1", "2@2"]);
  // Equal to the latest running deadline: no preemption.
  arrive(ctx, policy, 3, 300 * US);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(2), []);
  // Earlier than 300 us but not 100 us: it takes CPU 2, where 2 runs.
  arrive(ctx, policy, 4, 200 * US);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(2), ["4@2"]);
  // The replaced thread waits again with its deadline, behind 3 (same deadline, earlier).
  ctx.send(policy, MSG.TASK_PREEMPT, 2, { cpu: 2 });
  ctx.send(policy, MSG.TASK_BLOCKED, 4, { cpu: 2 });
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(3), ["3@2"]);
  // A deadline the running thread's application moved later is read live.
  ctx.deadlines.set(1, 1 * MS);
  arrive(ctx, policy, 5, 250 * US);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(4), ["5@1"]);
});

Deno.test("Edf without preemption lets a running thread finish; a failed commit waits again", () => {
  const policy = new Edf({ preempt: false });
  const ctx = new FakeContext(2);
  arrive(ctx, policy, 1, 900 * US);
  policy.schedule(ctx);
  arrive(ctx, policy, 2, 100 * US);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@1"]);
  ctx.send(policy, MSG.TASK_BLOCKED, 1, { cpu: 1 });
  arrive(ctx, policy, 3, 50 * US);
  ctx.failing.set(1, TXN.TARGET_STALE);
  policy.schedule(ctx);
  ctx.failing.clear();
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(1), ["3@1!", "3@1"]);
});

Deno.test("Edf on the emulated kernel: an earlier deadline preempts a long job unless told not to", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    for (const preempt of [true, false]) {
      // Two CPUs: the global agent's and one for the threads.
      const { engine, kernel, enclave } = ghostMachine(new Edf({ preempt }), { costs });
      const done = new Map<string, number>();
      const record = (t: Thread) => done.set(t.name, kernel.engine.now);
      const spawn = (ns: number, name: string, deadline: number) =>
        kernel.spawn(job(ns, record), { name, deadline, schedClass: "ghost", ghost: enclave });
      spawn(5 * MS, "long", 10 * MS);
      engine.run({ until: 1 * MS });
      spawn(100 * US, "urgent", 1.5 * MS);
      engine.run({ until: 20 * MS });
      kernel.checkInvariants();
      const urgent = done.get("urgent")!;
      const label = `${costs.name}, preempt ${preempt}: urgent done at ${urgent}`;
      if (preempt) assert.ok(urgent <= 1.5 * MS, label);
      else assert.ok(urgent > 5 * MS, label);
      assert.ok(
        done.get("long")! <= 5.2 * MS + (preempt ? 100 * US : 0),
        `long ${done.get("long")}`,
      );
    }
  }
});
