import assert from "node:assert/strict";
import { hog, periodic } from "../core/behaviors.ts";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import type { Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { departureTests, ghostMachine, job } from "./_testing.ts";
import { Snap } from "./snap.ts";

departureTests("snap", () => new Snap());

Deno.test("Snap runs a waiting engine before waiting antagonists", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    // Two CPUs: the global agent's and one for the threads.
    const { engine, kernel, spawn } = ghostMachine(new Snap(), { costs });
    const done = new Map<string, number>();
    const record = (t: Thread) => done.set(t.name, kernel.engine.now);
    spawn(job(1 * MS, record), "batch", 19);
    spawn(job(1 * MS, record), "later", 19);
    spawn(job(10 * US, record), "engine", 0);
    engine.run({ until: 10 * MS });
    kernel.checkInvariants();
    // The engine arrived last but runs first (or right after the first batch
    // thread, if that one was committed before the engine's TASK_NEW).
    assert.ok(done.get("engine")! < done.get("later")!, `${costs.name}: ${[...done]}`);
  }
});

Deno.test("Snap lets a waking engine preempt a running antagonist at once, never a CFS thread", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    const { engine, kernel, spawn } = ghostMachine(new Snap(), { costs });
    const antagonist = spawn(hog(), "batch", 19);
    let runs = 0;
    const starts: number[] = [];
    const engineThread = spawn(
      periodic(20 * US, 500 * US, () => starts.push(kernel.engine.now)),
      "engine",
      0,
    );
    engine.run({ until: 20 * MS });
    kernel.checkInvariants();
    runs = starts.length;
    // The engine ran every period despite the hog: each wake-up took the antagonist's CPU.
    assert.ok(runs >= 35, `${costs.name}: ${runs} engine runs`);
    assert.ok(engineThread.cpuTime >= runs * 20 * US - 20 * US);
    assert.ok(antagonist.cpuTime > 15 * MS, `${costs.name}: antagonist ${antagonist.cpuTime}`);

    // A CFS hog on the threads' CPU: the engine never gets it.
    const cfs = ghostMachine(new Snap(), { costs });
    cfs.kernel.spawn(hog(), { name: "cfs", affinity: [1] });
    const blocked = cfs.spawn(hog(), "engine", 0);
    cfs.engine.run({ until: 10 * MS });
    assert.equal(blocked.cpuTime, 0, `${costs.name}: the engine ran under a CFS thread`);
  }
});
