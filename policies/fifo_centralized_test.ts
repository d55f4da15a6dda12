import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { MSG } from "../core/ghost_abi.ts";
import { MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { FakeContext } from "./_fake_context.ts";
import { failedCommitTests, sliceTests } from "./_slice_tests.ts";
import { departureTests, ghostMachine, job } from "./_testing.ts";
import { FifoCentralized } from "./fifo_centralized.ts";

departureTests("fifo-centralized", () => new FifoCentralized());
sliceTests("fifo-centralized --slice 30us", () => new FifoCentralized({ sliceNs: 30 * US }));
failedCommitTests("fifo-centralized", () => new FifoCentralized());
failedCommitTests(
  "fifo-centralized --slice 30us",
  () => new FifoCentralized({ sliceNs: 30 * US }),
);

Deno.test("FifoCentralized runs a thread to completion unless a slice sends it to the back", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    for (const sliceNs of [Infinity, 100 * US]) {
      // Two CPUs: the global agent's and one for the threads.
      const { engine, kernel, spawn } = ghostMachine(new FifoCentralized({ sliceNs }), { costs });
      const done = new Map<string, number>();
      const record = (t: Thread) => done.set(t.name, kernel.engine.now);
      spawn(job(5 * MS, record), "long");
      spawn(job(10 * US, record), "short");
      engine.run({ until: 20 * MS });
      kernel.checkInvariants();
      const short = done.get("short")!;
      if (sliceNs === Infinity) assert.ok(short > 5 * MS, `${costs.name}: short done at ${short}`);
      else assert.ok(short < 200 * US, `${costs.name}, slice: short done at ${short}`);
    }
  }
});

/** A fake context of `cpus` CPUs (0 is the global agent's) and threads 1.. sent TASK_NEW, masked as given. */
function masked(
  policy: FifoCentralized,
  cpus: number,
  masks: readonly (readonly number[] | null)[],
): FakeContext {
  const ctx = new FakeContext(cpus);
  masks.forEach((mask, i) => {
    if (mask !== null) ctx.affinity.set(i + 1, mask);
    ctx.send(policy, MSG.TASK_NEW, i + 1, { flags: MSG_FLAG_RUNNABLE });
  });
  return ctx;
}

Deno.test("FifoCentralized commits a thread only to a CPU its mask allows, keeping FIFO order otherwise", () => {
  const policy = new FifoCentralized();
  // Threads 1 and 2 may run only on CPU 3; 3, 4 and 5 anywhere.
  const ctx = masked(policy, 4, [[3], [3], null, null, null]);
  policy.schedule(ctx);
  // 2 finds no idle CPU it may use and keeps its place: 3 and 4 go ahead.
  assert.deepEqual(ctx.since(0), ["1@3", "3@1", "4@2"]);
  let from = ctx.commits.length;
  ctx.send(policy, MSG.TASK_BLOCKED, 3, { cpu: 1 });
  policy.schedule(ctx);
  // CPU 1 frees: 2 is first in line but may not use it, so 5 takes it.
  assert.deepEqual(ctx.since(from), ["5@1"]);
  from = ctx.commits.length;
  ctx.send(policy, MSG.TASK_BLOCKED, 1, { cpu: 3 });
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), ["2@3"]);
  assert.ok(ctx.commits.every((c) => ctx.status(c.gtid)?.allowed(c.cpu) ?? true));
});

Deno.test("FifoCentralized without masks fills idle CPUs in FIFO and idle order", () => {
  const policy = new FifoCentralized();
  const ctx = masked(policy, 4, [null, null, null, null]);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@1", "2@2", "3@3"]);
});

Deno.test("FifoCentralized hands an expired slice to the first waiting thread allowed on that CPU", () => {
  const policy = new FifoCentralized({ sliceNs: 30 * US });
  // 1 and 2 run on CPUs 1 and 2; 3 (CPU 1 only) and 4 wait.
  const ctx = masked(policy, 3, [null, null, [1], null]);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@1", "2@2"]);
  const from = ctx.commits.length;
  ctx.now = 40 * US;
  policy.schedule(ctx);
  // CPU 2's slice (the oldest) goes to 4, since 3 may not use CPU 2; then
  // CPU 1's goes to 3.
  assert.deepEqual(ctx.since(from), ["4@2", "3@1"]);
});

Deno.test("FifoCentralized leaves a thread's slice alone when no waiting thread may use its CPU", () => {
  const policy = new FifoCentralized({ sliceNs: 30 * US });
  const ctx = masked(policy, 2, [null, [0]]);
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(0), ["1@1"]);
  const from = ctx.commits.length;
  ctx.now = 40 * US;
  policy.schedule(ctx);
  assert.deepEqual(ctx.since(from), []);
});
