import assert from "node:assert/strict";
import { hog, script } from "../core/behaviors.ts";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import type { Thread } from "../core/thread.ts";
import { MS, SEC } from "../core/units.ts";
import { departureTests, ghostMachine } from "./_testing.ts";
import { GhostCfs } from "./ghost_cfs.ts";

departureTests("ghost-cfs", () => new GhostCfs());

Deno.test("ghost-cfs shares CPUs between nice groups in proportion to their weights", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    const cfs = new GhostCfs();
    const { engine, kernel, spawn } = ghostMachine(cfs, { cpus: 4, costs });
    const heavy = [0, 1, 2, 3].map((i) => spawn(hog(), `heavy${i}`, 0));
    const light = [0, 1, 2, 3].map((i) => spawn(hog(), `light${i}`, 5));
    engine.run({ until: 2 * SEC });
    kernel.checkInvariants();
    const sum = (threads: Thread[]) => threads.reduce((s, t) => s + t.cpuTime, 0);
    const ratio = sum(heavy) / sum(light);
    const expected = heavy[0]!.weight / light[0]!.weight;
    assert.ok(
      Math.abs(ratio - expected) <= 0.03 * expected,
      `${costs.name}: heavy/light CPU ${ratio.toFixed(3)}, weights ${expected.toFixed(3)}`,
    );
    // Within a group, every thread gets its share too.
    for (const group of [heavy, light]) {
      const mean = sum(group) / group.length;
      for (const t of group) {
        assert.ok(Math.abs(t.cpuTime - mean) <= 0.05 * mean, `${t.name}: ${t.cpuTime} vs ${mean}`);
      }
    }
  }
});

Deno.test("ghost-cfs lets an idle CPU steal a waiting thread from a busy one", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    const cfs = new GhostCfs();
    const { engine, kernel, spawn } = ghostMachine(cfs, { costs });
    // Fewest-runnable placement: short threads on CPU 0, hogs on CPU 1.
    spawn(script([{ compute: MS }]), "short0");
    const first = spawn(hog(), "hog0");
    spawn(script([{ compute: MS }]), "short1");
    const second = spawn(hog(), "hog1");
    engine.run({ until: 100 * MS });
    kernel.checkInvariants();
    assert.ok(cfs.steals >= 1, `${costs.name}: no steal`);
    for (const t of [first, second]) {
      assert.ok(t.cpuTime >= 90 * MS, `${costs.name}: ${t.name} ran ${t.cpuTime} ns`);
    }
  }
});
