/**
 * Global-agent scalability, as ghost-userspace's
 * `experiments/microbenchmarks/global_scalability.cc` runs it: threads loop
 * on sched_yield, five per worker CPU; the global agent sits on the second
 * core's first hardware thread (the reference's CPU 1), the first core's
 * first hardware thread (CPU 0) is left out, and worker CPUs are added in
 * sparse order (one hardware thread per core of socket 0, then their
 * siblings, then socket 1: see `core/cpu_order.ts`). The measure is the
 * global agent's scheduling decisions (completed transactions) per second,
 * with the share of the agent's CPU spent working rather than spinning.
 *
 * @module
 */

import { AgentProcess } from "../../core/agent_process.ts";
import { type CostProfile, PAPER_COSTS } from "../../core/cost_profile.ts";
import { sparseCpuOrder } from "../../core/cpu_order.ts";
import { Enclave } from "../../core/enclave.ts";
import { Engine } from "../../core/engine.ts";
import { Kernel } from "../../core/kernel.ts";
import type { Action, Thread } from "../../core/thread.ts";
import { resolveTopology, type Topology } from "../../core/topology.ts";
import { DEFAULT_TOPOLOGY_COSTS, type TopologyCostModel } from "../../core/topology_costs.ts";
import { MS, SEC } from "../../core/units.ts";
import { resolvePolicy } from "../../policies/registry.ts";

/** One point of the curve. */
export interface ScalabilityRow {
  /** Policy name. */
  policy: string;
  /** Machine preset. */
  machine: string;
  /** Worker CPUs (the enclave holds these and the agent's CPU). */
  workers: number;
  /** Completed transactions per second of virtual time. */
  decisionsPerSec: number;
  /** Busy fraction of the global agent's CPU (spinning counts as busy). */
  agentUtilization: number;
  /** Fraction of the window the global agent spent working (delivery, rounds), not spinning. */
  agentWork: number;
}

/** Options of {@link runScalability}. */
export interface ScalabilityOptions {
  /** Policy to measure. @default "sol" */
  policy?: string;
  /** Worker-CPU counts. @default 1, 2, 4, 8, 16, 27, 28, 54, 55, 110 */
  workerCounts?: readonly number[];
  /** Machine preset. @default "xeon2s" */
  machine?: string;
  /** Yielding threads per worker CPU. @default 5 */
  threadsPerCpu?: number;
  /** Measured window of virtual time, ns. @default 20 ms */
  windowNs?: number;
  /** Warm-up before the window, ns. @default 2 ms */
  warmupNs?: number;
  /** Cost profile. @default PAPER_COSTS */
  costs?: CostProfile;
  /** Topology cost model (SMT contention, cross-socket factors). @default DEFAULT_TOPOLOGY_COSTS */
  topologyCosts?: TopologyCostModel;
}

const YIELD_LOOP = {
  next(thread: Thread): Action {
    thread.stepNs = 0;
    return "yield";
  },
};

/**
 * The CPUs of the reference's run with `workers` worker CPUs: the agent's
 * CPU first, then the workers in sparse order (the first core's first
 * hardware thread is never used). Throws RangeError when they do not fit.
 *
 * @example
 * ```ts
 * import { scalabilityCpus } from "./agent_scalability.ts";
 * import { Topology } from "../../core/topology.ts";
 * const machine = new Topology({ name: "m", sockets: 2, coresPerLlc: 3, smt: 2 });
 * // Agent on core 1 (CPU 2); workers: core 2, then the siblings 1, 3 (the agent's), 5.
 * if (scalabilityCpus(machine, 4).join(" ") !== "2 4 1 3 5") throw new Error("wrong");
 * ```
 */
export function scalabilityCpus(topology: Topology, workers: number): number[] {
  const order = sparseCpuOrder(topology, { skip: [0] });
  if (!Number.isInteger(workers) || workers < 1 || workers + 1 > order.length) {
    throw new RangeError(
      `Scalability: ${workers} worker CPUs do not fit ${topology.name} ` +
        `(1 to ${order.length - 1})`,
    );
  }
  return order.slice(0, workers + 1);
}

/** Measures decisions per second for each worker-CPU count. */
export function runScalability(options: ScalabilityOptions = {}): ScalabilityRow[] {
  const name = options.policy ?? "sol";
  const counts = options.workerCounts ?? [1, 2, 4, 8, 16, 27, 28, 54, 55, 110];
  const windowNs = options.windowNs ?? 20 * MS;
  const warmupNs = options.warmupNs ?? 2 * MS;
  const rows: ScalabilityRow[] = [];
  for (const workers of counts) {
    const engine = new Engine(1);
    const topology = resolveTopology({ preset: options.machine ?? "xeon2s" });
    const cpus = scalabilityCpus(topology, workers);
    const kernel = new Kernel(engine, {
      topology,
      costs: options.costs ?? PAPER_COSTS,
      topologyCosts: options.topologyCosts ?? DEFAULT_TOPOLOGY_COSTS,
    });
    const enclave = new Enclave(kernel, { cpus: [...cpus].sort((a, b) => a - b) });
    const policy = resolvePolicy(name).create({});
    if (policy === null || policy.model !== "centralized") {
      throw new RangeError(`Scalability needs a centralized policy: "${name}" is not one`);
    }
    const agents = new AgentProcess(kernel, enclave, policy, { globalCpu: cpus[0]! });
    agents.start();
    const perCpu = options.threadsPerCpu ?? 5;
    for (let i = 0; i < perCpu * workers; i++) {
      kernel.spawn(YIELD_LOOP, { name: `yield${i}`, schedClass: "ghost", ghost: enclave });
    }
    engine.run({ until: warmupNs });
    const decisions0 = agents.stats.decisions;
    const work0 = agents.stats.workNs;
    const busy0 = kernel.busyTime(agents.globalCpu);
    engine.run({ until: warmupNs + windowNs });
    kernel.checkInvariants();
    if (agents.globalCpu !== cpus[0]) {
      throw new Error(`Scalability: the global agent left CPU ${cpus[0]}`);
    }
    const fraction = (ns: number) => Math.round(ns / windowNs * 1e4) / 1e4;
    rows.push({
      policy: name,
      machine: topology.name,
      workers,
      decisionsPerSec: Math.round((agents.stats.decisions - decisions0) * SEC / windowNs),
      agentUtilization: fraction(kernel.busyTime(agents.globalCpu) - busy0),
      // Work charged in the window; a step straddling its edges counts whole.
      agentWork: Math.min(1, fraction(agents.stats.workNs - work0)),
    });
  }
  return rows;
}
