/**
 * A test scenario for fair classes: four hogs of nice 0, 3, 5 and -2 pinned
 * to CPU 0 for one virtual second must share it in proportion to their
 * weights, each within 2%.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hog } from "./behaviors.ts";
import type { Kernel } from "./kernel.ts";
import { SEC } from "./units.ts";

/** Runs the scenario on `kernel` (a fresh one) and asserts each hog's share. */
export function assertNiceShares(kernel: Kernel): void {
  const nices = [0, 3, 5, -2];
  const threads = nices.map((nice, i) =>
    kernel.spawn(hog(), { name: `hog${i}`, nice, affinity: [0] })
  );
  kernel.engine.run({ until: SEC });
  kernel.checkInvariants();
  const total = threads.reduce((sum, t) => sum + t.cpuTime, 0);
  const weight = threads.reduce((sum, t) => sum + t.weight, 0);
  for (const t of threads) {
    const expected = t.weight / weight;
    const share = t.cpuTime / total;
    assert.ok(
      Math.abs(share - expected) <= 0.02 * expected,
      `nice ${t.nice}: share ${share.toFixed(4)} vs ${expected.toFixed(4)}`,
    );
  }
}
