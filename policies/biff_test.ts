import assert from "node:assert/strict";
import { hog, script } from "../core/behaviors.ts";
import { MS } from "../core/units.ts";
import { departureTests, ghostMachine, job } from "./_testing.ts";
import type { Thread } from "../core/thread.ts";
import { Biff } from "./biff.ts";

departureTests("biff", () => new Biff());

Deno.test("Biff relies on the watchdog when the hook cannot run a thread", () => {
  const biff = new Biff();
  const { engine, kernel, enclave, spawn } = ghostMachine(biff, { runnableTimeoutNs: 5 * MS });
  kernel.spawn(hog(), { name: "fair", affinity: [1] });
  const free = spawn(script([{ compute: MS }]), "free");
  const stuck = spawn(script([{ compute: MS }]), "stuck", 0, [1]);
  engine.run({ until: 50 * MS });
  kernel.checkInvariants();
  assert.ok(biff.picks >= 1, "the hook never picked");
  assert.equal(free.state, "dead");
  assert.ok(enclave.destroyed, "the watchdog did not fire");
  assert.ok(enclave.stats.destroyedAt >= 5 * MS);
  // Back in CFS, the stuck thread shares CPU 1 with the fair hog and finishes.
  assert.equal(stuck.schedClass, "fair");
  assert.equal(stuck.state, "dead");
});

Deno.test("Biff's hook passes over a thread pinned elsewhere and keeps the rest queued in order", () => {
  const biff = new Biff();
  const { engine, kernel, spawn } = ghostMachine(biff, { cpus: 3 });
  const finished: string[] = [];
  const done = (t: Thread) => finished.push(t.name);
  // The head of the queue may run only on CPU 2: CPUs 0 and 1 must look past it.
  const threads = [spawn(job(2 * MS, done), "pinned", 0, [2])];
  for (let i = 0; i < 5; i++) threads.push(spawn(job(MS, done), `free${i}`));
  engine.run({ until: 20 * MS });
  kernel.checkInvariants();
  assert.deepEqual(
    finished.filter((name) => name !== "pinned"),
    ["free0", "free1", "free2", "free3", "free4"],
    "every free thread runs, in order",
  );
  assert.ok(finished.includes("pinned"));
});
