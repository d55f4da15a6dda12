/**
 * Several enclaves side by side on one machine (ghost.md: "Enclaves are
 * disjoint"): each runs its own policy and agents, and its threads run only
 * on its CPUs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { Kernel } from "../core/kernel.ts";
import type { Action, Thread } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { FifoCentralized } from "../policies/fifo_centralized.ts";
import { FifoPerCpu } from "../policies/fifo_per_cpu.ts";

Deno.test("two enclaves run side by side, each thread only on its own enclave's CPUs", () => {
  const engine = new Engine(5);
  const kernel = new Kernel(engine, {
    topology: new Topology({ name: "six", coresPerLlc: 6 }),
    costs: PAPER_COSTS,
  });
  const left = new Enclave(kernel, { cpus: [0, 1, 2] });
  const right = new Enclave(kernel, { cpus: [3, 4, 5] });
  assert.throws(() => new Enclave(kernel, { cpus: [2, 3] }), /already belongs to an enclave/);
  const leftAgents = new AgentProcess(kernel, left, new FifoCentralized());
  const rightAgents = new AgentProcess(kernel, right, new FifoPerCpu());
  leftAgents.start();
  rightAgents.start();

  const ranOn = new Map<number, Set<number>>();
  function worker(): { next(thread: Thread): Action } {
    let compute = false;
    return {
      next(thread: Thread): Action {
        const cpus = ranOn.get(thread.id) ?? new Set<number>();
        cpus.add(kernel.currentCpu);
        ranOn.set(thread.id, cpus);
        compute = !compute;
        thread.stepNs = compute ? 40 * US : 25 * US;
        return compute ? "compute" : "sleep";
      },
    };
  }
  const threads = [
    ...Array.from(
      { length: 6 },
      (_, i) => kernel.spawn(worker(), { name: `left${i}`, schedClass: "ghost", ghost: left }),
    ),
    ...Array.from(
      { length: 6 },
      (_, i) => kernel.spawn(worker(), { name: `right${i}`, schedClass: "ghost", ghost: right }),
    ),
  ];
  engine.run({ until: 20 * MS });
  kernel.checkInvariants();

  for (const thread of threads) {
    const home = thread.name.startsWith("left") ? left : right;
    const cpus = ranOn.get(thread.id);
    assert.ok(cpus !== undefined && thread.cpuTime > 1 * MS, `${thread.name} ran`);
    for (const cpu of cpus) assert.ok(home.hasCpu(cpu), `${thread.name} ran on CPU ${cpu}`);
  }
  assert.ok(leftAgents.stats.decisions > 0 && rightAgents.stats.decisions > 0);
  assert.equal(left.tasks.size, 6);
  assert.equal(right.tasks.size, 6);
});
