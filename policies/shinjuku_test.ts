import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { MSG } from "../core/ghost_abi.ts";
import { MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { FakeContext } from "./_fake_context.ts";
import { failedCommitTests, sliceTests } from "./_slice_tests.ts";
import { departureTests, ghostMachine, job } from "./_testing.ts";
import { Shinjuku } from "./shinjuku.ts";

departureTests("shinjuku", () => new Shinjuku());
sliceTests("shinjuku", () => new Shinjuku());
failedCommitTests("shinjuku", () => new Shinjuku());

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
