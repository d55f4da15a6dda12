/**
 * A test scenario for fair classes: a CPU hog pinned on every CPU and a
 * latency-sensitive sleeper pinned to CPU 0 that wakes every 7.12 ms; the
 * delays from each wake-up until it runs, over one virtual second.
 *
 * @module
 */

import { hog, periodic } from "./behaviors.ts";
import type { Kernel } from "./kernel.ts";
import type { Action, Thread } from "./thread.ts";
import { MS, SEC } from "./units.ts";

/**
 * Runs the scenario on `kernel` (a fresh one, `cpus` CPUs) with `computeNs`
 * of work per wake-up; returns each wake-up's delay, ns.
 */
export function wakeDelays(kernel: Kernel, cpus: number, computeNs: number): number[] {
  const engine = kernel.engine;
  for (let c = 0; c < cpus; c++) kernel.spawn(hog(), { name: `hog${c}`, affinity: [c] });
  const delays: number[] = [];
  let wokeAt = 0;
  const sleepNs = 7 * MS + 123_457;
  kernel.spawn(
    periodic(computeNs, sleepNs, () => {
      if (wokeAt > 0) delays.push(engine.now - wokeAt);
    }),
    { name: "sleeper", affinity: [0] },
  );
  // The sleeper wakes sleepNs after each sleep starts: record that time.
  const wrapped = kernel.thread(cpus + 1)!;
  if (wrapped.name !== "sleeper") throw new Error(`Thread ${cpus + 1} is ${wrapped.name}`);
  const original = wrapped.behavior.next.bind(wrapped.behavior);
  (wrapped.behavior as { next: (t: Thread) => Action }).next = (t: Thread) => {
    const action = original(t);
    if (action === "sleep") wokeAt = engine.now + t.stepNs;
    return action;
  };
  engine.run({ until: SEC });
  kernel.checkInvariants();
  return delays;
}
