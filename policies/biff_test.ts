import assert from "node:assert/strict";
import { hog, script } from "../core/behaviors.ts";
import { MS } from "../core/units.ts";
import { departureTests, ghostMachine } from "./_testing.ts";
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
