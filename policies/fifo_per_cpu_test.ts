import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import type { Action, Behavior, Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { departureTests, ghostMachine } from "./_testing.ts";
import { FifoPerCpu } from "./fifo_per_cpu.ts";

departureTests("fifo-percpu", () => new FifoPerCpu());

/** Computes and sleeps in turn, noting every CPU it runs on. */
function rhythm(seen: Set<number>): Behavior {
  let steps = 0;
  return {
    next(thread: Thread): Action {
      seen.add(thread.cpu);
      if (steps++ === 20) return "exit";
      thread.stepNs = steps % 2 === 1 ? 100 * US : 50 * US;
      return steps % 2 === 1 ? "compute" : "sleep";
    },
  };
}

Deno.test("FifoPerCpu deals new threads to CPUs round robin and never moves them", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    const { engine, kernel, spawn } = ghostMachine(new FifoPerCpu(), { cpus: 3, costs });
    const seen = Array.from({ length: 6 }, () => new Set<number>());
    const threads = seen.map((cpus, i) => spawn(rhythm(cpus), `t${i}`));
    engine.run({ until: 50 * MS });
    kernel.checkInvariants();
    assert.ok(threads.every((t) => t.state === "dead"), `${costs.name}: not all done`);
    assert.deepEqual(seen.map((cpus) => [...cpus]), [[0], [1], [2], [0], [1], [2]]);
  }
});
