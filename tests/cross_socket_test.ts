import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import { PAPER_FIG5_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { Kernel } from "../core/kernel.ts";
import { Topology } from "../core/topology.ts";
import {
  DEFAULT_TOPOLOGY_COSTS,
  FIG5_TOPOLOGY_COSTS,
  type TopologyCostModel,
} from "../core/topology_costs.ts";
import { MS } from "../core/units.ts";
import { Sol } from "../policies/sol.ts";
import { job } from "../policies/_testing.ts";

/** 2 sockets x 2 cores: CPUs 0 and 1 on socket 0, 2 and 3 on socket 1. */
const MACHINE = new Topology({ name: "two", sockets: 2, coresPerLlc: 2 });

/**
 * When one thread, committed by the global agent on CPU 0 to the enclave's
 * other CPU, finishes 1 µs of work.
 */
function finish(target: number, topologyCosts: TopologyCostModel): number {
  const engine = new Engine(1);
  const kernel = new Kernel(engine, { topology: MACHINE, costs: PAPER_FIG5_COSTS, topologyCosts });
  const enclave = new Enclave(kernel, { cpus: [0, target] });
  new AgentProcess(kernel, enclave, new Sol(), { globalCpu: 0 }).start();
  let done = -1;
  kernel.spawn(job(1000, () => done = engine.now), {
    name: "t",
    schedClass: "ghost",
    ghost: enclave,
  });
  engine.run({ until: 1 * MS });
  assert.ok(done > 0, "the thread never ran");
  return done;
}

Deno.test("a commit to the other socket costs the agent and the IPI crossSocket times more", () => {
  const near = finish(1, FIG5_TOPOLOGY_COSTS);
  const far = finish(2, FIG5_TOPOLOGY_COSTS);
  const extra = (FIG5_TOPOLOGY_COSTS.crossSocket - 1) *
    (PAPER_FIG5_COSTS.groupCommitPerTxn + PAPER_FIG5_COSTS.ipi);
  assert.equal(far - near, Math.round(extra));
});

Deno.test("a commit to the other socket costs the same as a local one by default", () => {
  assert.equal(finish(2, DEFAULT_TOPOLOGY_COSTS), finish(1, DEFAULT_TOPOLOGY_COSTS));
});
