import assert from "node:assert/strict";
import { AgentProcess } from "./agent_process.ts";
import { script } from "./behaviors.ts";
import { IDEAL_COSTS } from "./cost_profile.ts";
import { Enclave } from "./enclave.ts";
import { Engine } from "./engine.ts";
import { TXN } from "./ghost_abi.ts";
import { Kernel } from "./kernel.ts";
import { noopPolicy } from "./_noop_policy.ts";
import type { AgentContext } from "./policy.ts";
import { Topology } from "./topology.ts";
import { MS, US } from "./units.ts";

Deno.test("Context commits a CPU opened twice in a round once, the first transaction aborted", () => {
  const engine = new Engine(1);
  const topology = new Topology({ name: "four", coresPerLlc: 4 });
  const kernel = new Kernel(engine, { topology, costs: IDEAL_COSTS });
  const enclave = new Enclave(kernel, { cpus: [0, 1, 2, 3] });
  const waiting: number[] = [];
  const commits: number[] = [];
  const policy = noopPolicy("twice", "centralized", {
    taskNew: (_ctx, msg) => void waiting.push(msg.gtid),
    schedule: (ctx: AgentContext) => {
      if (ctx.now < 10 * US) {
        ctx.wakeAt(10 * US); // once the other agents sleep: their CPUs are free
        return;
      }
      if (waiting.length < 2) return;
      const [first, second] = waiting.splice(0, 2) as [number, number];
      // CPU 1 opened twice (the second replaces the first), then CPU 2, and
      // in the next group CPU 1 again: each group lists each CPU once.
      ctx.open(1, first);
      ctx.open(2, first);
      ctx.open(1, second);
      commits.push(ctx.commit());
      assert.equal(ctx.outcome(1), TXN.COMPLETE);
      assert.equal(ctx.outcome(2), TXN.COMPLETE);
      ctx.open(1, first);
      commits.push(ctx.commit());
      assert.equal(ctx.outcome(1), TXN.TARGET_ONCPU);
    },
  });
  const agents = new AgentProcess(kernel, enclave, policy);
  agents.start();
  for (const name of ["a", "b"]) {
    kernel.spawn(script([{ compute: 50 * US }]), { name, schedClass: "ghost", ghost: enclave });
  }
  engine.run({ until: MS });
  assert.equal(agents.crashError, null);
  assert.deepEqual(commits, [2, 0]);
  assert.equal(enclave.stats.outcomes[TXN.ABORTED], 1);
  assert.equal(agents.stats.decisions, 2);
  assert.equal(agents.stats.failedCommits, 1);
});
