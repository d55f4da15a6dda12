import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import type { Action, Behavior, Thread } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { departureTests, ghostMachine, job } from "./_testing.ts";
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

Deno.test("FifoPerCpu puts a preempted thread back at the front of its CPU's FIFO", () => {
  const { engine, kernel, spawn } = ghostMachine(new FifoPerCpu(), { cpus: 2 });
  const finished = new Map<string, number>();
  const done = (t: Thread) => finished.set(t.name, engine.now);
  // Dealt round robin: long0 and long2 to CPU 0, first1 and next3 to CPU 1.
  spawn(job(5 * MS, done), "long0");
  const first = spawn(job(2 * MS, done), "first1");
  spawn(job(5 * MS, done), "long2");
  spawn(job(MS, done), "next3");
  // A fair thread takes CPU 1 for 100 us while first1 runs there.
  const intrude = engine.register("test.intrude", () => {
    kernel.spawn(job(100 * US, () => {}), { name: "fair", affinity: [1] });
  });
  engine.at(500 * US, intrude);
  engine.run({ until: 20 * MS });
  kernel.checkInvariants();
  assert.ok(first.cpuTime >= 2 * MS, "first1 finished");
  assert.ok(
    finished.get("first1")! < finished.get("next3")!,
    `first1 at ${finished.get("first1")}, next3 at ${finished.get("next3")}: preempted goes first`,
  );
});
