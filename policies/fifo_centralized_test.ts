import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import type { Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
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
