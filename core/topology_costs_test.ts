import assert from "node:assert/strict";
import { Topology } from "./topology.ts";
import {
  AgentSmtContention,
  crossSocketCount,
  crossSocketNs,
  DEFAULT_TOPOLOGY_COSTS,
  FIG5_TOPOLOGY_COSTS,
  type TopologyCostModel,
} from "./topology_costs.ts";

/** One 2-SMT core per socket, two sockets: CPUs 0,1 on socket 0; 2,3 on socket 1. */
const MACHINE = new Topology({ name: "m", sockets: 2, coresPerLlc: 1, smt: 2 });

/** A view whose clock and busy times the test sets. */
function view(topologyCosts: TopologyCostModel) {
  const busy = [0, 0, 0, 0];
  return {
    topology: MACHINE,
    topologyCosts,
    engine: { now: 0 },
    busy,
    busyTime: (c: number) => busy[c]!,
  };
}

Deno.test("AgentSmtContention slows the agent only while its sibling is busy", () => {
  const v = view({ ...DEFAULT_TOPOLOGY_COSTS, agentSmtContention: 1.5 });
  const smt = new AgentSmtContention(v, 0);
  assert.equal(smt.step(1000), 1000); // first step: nothing known yet
  v.engine.now = 1000;
  v.busy[2] = 1000; // a CPU of the other core: no effect
  assert.equal(smt.step(1000), 1000);
  v.engine.now = 2000;
  v.busy[1] = 500; // the sibling, busy half the time since the last step
  assert.equal(smt.step(1000), 1250);
  v.engine.now = 3000;
  v.busy[1] = 1500; // busy all along
  assert.equal(smt.step(1000), 1500);
  v.engine.now = 4000; // idle again
  assert.equal(smt.step(1000), 1000);
});

Deno.test("AgentSmtContention costs nothing under the default model", () => {
  const v = view(DEFAULT_TOPOLOGY_COSTS);
  const smt = new AgentSmtContention(v, 0);
  smt.step(1000);
  v.engine.now = 1000;
  v.busy[1] = 1000;
  assert.equal(smt.step(1000), 1000);
});

Deno.test("cross-socket work costs more under the fig5 model, nothing by default", () => {
  const targets = [1, 2, 3];
  const work = { agentCpu: 0, count: 3, cpuAt: (i: number) => targets[i]! };
  const fig5 = view(FIG5_TOPOLOGY_COSTS);
  assert.equal(crossSocketCount(fig5, work), 2);
  assert.equal(crossSocketNs(fig5, 2, 100), 2 * 100 * (FIG5_TOPOLOGY_COSTS.crossSocket - 1));
  assert.ok(FIG5_TOPOLOGY_COSTS.crossSocket > 1);
  assert.equal(crossSocketCount(view(DEFAULT_TOPOLOGY_COSTS), work), 0);
});
