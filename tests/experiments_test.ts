import assert from "node:assert/strict";
import { IDEAL_COSTS } from "../core/cost_profile.ts";
import { runMicrobench } from "../reports/experiment/paper_microbench.ts";
import { runScalability } from "../reports/experiment/agent_scalability.ts";
import { MS } from "../core/units.ts";

Deno.test("microbenchmarks measured in emulation come within 5% of the paper's table", () => {
  const rows = runMicrobench({ rounds: 50 });
  assert.equal(rows.length, 7);
  for (const row of rows) {
    assert.ok(row.samples >= 40, `${row.operation}: only ${row.samples} samples`);
    const error = Math.abs(row.measuredNs - row.paperNs) / row.paperNs;
    assert.ok(error <= 0.05, `${row.operation}: ${row.measuredNs} ns vs ${row.paperNs} ns`);
  }
});

Deno.test("microbenchmarks follow the cost profile: all free with ideal costs", () => {
  for (const row of runMicrobench({ rounds: 20, costs: IDEAL_COSTS })) {
    assert.equal(row.measuredNs, 0, row.operation);
  }
});

Deno.test("global-agent decisions per second rise with CPUs, then flatten at saturation", () => {
  for (const policy of ["shinjuku", "fifo-centralized"]) {
    const rows = runScalability({
      policies: [policy],
      cpuCounts: [2, 4, 16, 48, 64],
      windowNs: 4 * MS,
    });
    const rate = rows.map((r) => r.decisionsPerSec);
    assert.ok(rate[1]! > 1.5 * rate[0]!, `${policy} should rise: ${rate}`);
    const last = rate[rate.length - 1]!;
    const before = rate[rate.length - 2]!;
    assert.ok(Math.abs(last - before) / last < 0.05, `${policy} should flatten: ${rate}`);
    // Saturated: the agent's CPU is always busy, at low millions of decisions/s.
    assert.ok(rows.at(-1)!.agentUtilization > 0.99);
    assert.ok(last > 1e6 && last < 3e6, `${policy}: ${last} decisions/s`);
  }
});
