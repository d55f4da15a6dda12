import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import type { Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
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
