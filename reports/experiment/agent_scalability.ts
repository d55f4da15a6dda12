/**
 * Global-agent scalability, as in the paper: threads loop on sched_yield,
 * five per enclave CPU; CPUs are added one at a time; the measure is the
 * global agent's scheduling decisions (completed transactions) per second.
 * One agent's rate rises with the CPUs it can fill, then flattens where the
 * agent itself saturates: each decision costs it a message delivery and a
 * share of a (group) commit.
 *
 * @module
 */

import { AgentProcess } from "../../core/agent_process.ts";
import { type CostProfile, PAPER_COSTS } from "../../core/cost_profile.ts";
import { Enclave } from "../../core/enclave.ts";
import { Engine } from "../../core/engine.ts";
import { Kernel } from "../../core/kernel.ts";
import type { Action, Thread } from "../../core/thread.ts";
import { resolveTopology } from "../../core/topology.ts";
import { MS, SEC } from "../../core/units.ts";
import { resolvePolicy } from "../../policies/registry.ts";

/** One point of the curve. */
export interface ScalabilityRow {
  /** Policy name. */
  policy: string;
  /** Enclave CPUs (one of them hosts the global agent). */
  cpus: number;
  /** Completed transactions per second of virtual time. */
  decisionsPerSec: number;
  /** Busy fraction of the global agent's CPU. */
  agentUtilization: number;
}

/** Options of {@link runScalability}. */
export interface ScalabilityOptions {
  /** Policies to measure. @default ["sol", "shinjuku"] */
  policies?: readonly string[];
  /** Enclave sizes. @default 2, 4, 8, 16, 24, 32, 48, 64 */
  cpuCounts?: readonly number[];
  /** Machine preset. @default "xeon2s" */
  machine?: string;
  /** Yielding threads per enclave CPU. @default 5 */
  threadsPerCpu?: number;
  /** Measured window of virtual time, ns. @default 20 ms */
  windowNs?: number;
  /** Cost profile. @default PAPER_COSTS */
  costs?: CostProfile;
}

const YIELD_LOOP = {
  next(thread: Thread): Action {
    thread.stepNs = 0;
    return "yield";
  },
};

/** Measures decisions per second for each policy and enclave size. */
export function runScalability(options: ScalabilityOptions = {}): ScalabilityRow[] {
  const policies = options.policies ?? ["sol", "shinjuku"];
  const counts = options.cpuCounts ?? [2, 4, 8, 16, 24, 32, 48, 64];
  const windowNs = options.windowNs ?? 20 * MS;
  const warmupNs = 2 * MS;
  const rows: ScalabilityRow[] = [];
  for (const name of policies) {
    for (const cpus of counts) {
      const engine = new Engine(1);
      const topology = resolveTopology({ preset: options.machine ?? "xeon2s" });
      if (cpus > topology.size || cpus < 2) {
        throw new RangeError(`Scalability: ${cpus} CPUs do not fit ${topology.name}`);
      }
      const kernel = new Kernel(engine, { topology, costs: options.costs ?? PAPER_COSTS });
      const enclave = new Enclave(kernel, { cpus: topology.cpus.slice(0, cpus).map((c) => c.id) });
      const policy = resolvePolicy(name).create({});
      if (policy === null || policy.model !== "centralized") {
        throw new RangeError(`Scalability needs a centralized policy: "${name}" is not one`);
      }
      const agents = new AgentProcess(kernel, enclave, policy);
      agents.start();
      const perCpu = options.threadsPerCpu ?? 5;
      for (let i = 0; i < perCpu * cpus; i++) {
        kernel.spawn(YIELD_LOOP, { name: `yield${i}`, schedClass: "ghost", ghost: enclave });
      }
      engine.run({ until: warmupNs });
      const decisions0 = agents.stats.decisions;
      const busy0 = kernel.busyTime(agents.globalCpu);
      engine.run({ until: warmupNs + windowNs });
      kernel.checkInvariants();
      rows.push({
        policy: name,
        cpus,
        decisionsPerSec: Math.round((agents.stats.decisions - decisions0) * SEC / windowNs),
        agentUtilization: Math.round((kernel.busyTime(agents.globalCpu) - busy0) / windowNs * 1e4) /
          1e4,
      });
    }
  }
  return rows;
}
