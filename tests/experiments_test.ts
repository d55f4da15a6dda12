import assert from "node:assert/strict";
import { IDEAL_COSTS, PAPER_FIG5_COSTS } from "../core/cost_profile.ts";
import { resolveTopology } from "../core/topology.ts";
import { FIG5_TOPOLOGY_COSTS, type TopologyCostModel } from "../core/topology_costs.ts";
import { runMicrobench } from "../reports/experiment/paper_microbench.ts";
import { runScalability, scalabilityCpus } from "../reports/experiment/agent_scalability.ts";
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

Deno.test("global-agent decisions per second rise with worker CPUs", () => {
  const rows = runScalability({ workerCounts: [1, 4, 16], windowNs: 2 * MS });
  const rate = rows.map((r) => r.decisionsPerSec);
  assert.ok(rate[1]! > 2 * rate[0]! && rate[2]! > rate[1]!, `should rise: ${rate}`);
  // Spinning counts as busy; work is the part spent delivering and committing.
  for (const row of rows) {
    assert.equal(row.agentUtilization, 1);
    assert.ok(row.agentWork > 0 && row.agentWork < 1, `work share ${row.agentWork}`);
  }
});

/** Skylake's rate at these worker counts with paper-fig5 costs and this topology model. */
function fig5Rates(workerCounts: number[], topologyCosts: TopologyCostModel): number[] {
  return runScalability({
    workerCounts,
    windowNs: 2 * MS,
    costs: PAPER_FIG5_COSTS,
    topologyCosts,
  }).map((r) => r.decisionsPerSec);
}

Deno.test("the SMT factor slows the agent only once its sibling runs a worker (28th worker)", () => {
  const noSmt = { ...FIG5_TOPOLOGY_COSTS, agentSmtContention: 1 };
  const [with27, with28] = fig5Rates([27, 28], FIG5_TOPOLOGY_COSTS);
  const [without27, without28] = fig5Rates([27, 28], noSmt);
  assert.equal(with27, without27);
  assert.ok(with28! < 0.97 * without28!, `${with28} vs ${without28}`);
});

Deno.test("cross-socket commits cost more: the rate falls past the agent's socket", () => {
  const local = { ...FIG5_TOPOLOGY_COSTS, crossSocket: 1 };
  const [with54, with110] = fig5Rates([54, 110], FIG5_TOPOLOGY_COSTS);
  const [without54, without110] = fig5Rates([54, 110], local);
  assert.equal(with54, without54);
  assert.ok(with110! < 0.9 * without110!, `${with110} vs ${without110}`);
  assert.ok(with110! < 0.9 * with54!, `should decline: ${with54} then ${with110}`);
});

Deno.test("scalabilityCpus puts the agent on core 1 and its sibling 28th on the Skylake box", () => {
  const cpus = scalabilityCpus(resolveTopology({ preset: "xeon2s" }), 110);
  assert.equal(cpus.length, 111);
  assert.equal(cpus[0], 2);
  assert.equal(cpus[28], 3);
  assert.ok(!cpus.includes(0));
  assert.throws(() => scalabilityCpus(resolveTopology({ preset: "xeon2s" }), 111), RangeError);
});
