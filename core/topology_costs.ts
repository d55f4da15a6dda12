/**
 * The topology cost model: how much slower memory-bound work runs away from
 * the cache and memory that hold its data. A thread may have a home
 * last-level-cache domain (its data's L3 / CCX) and a memory intensity in
 * [0, 1]; on a CPU outside that LLC its work takes longer:
 *
 *     slowdown = 1 + intensity × (factor − 1)
 *
 * with `factor` = `remoteLlc` for another LLC of the same NUMA node (L3
 * misses served across the CCX fabric) and `remoteNuma` for another NUMA node
 * (remote DRAM). A thread with no home, or intensity 0, always runs at full
 * speed. Moving a thread to another LLC also costs a cache refill, charged
 * as switch overhead from the cost profile (`crossLlcMigration`).
 *
 * Two more factors act on the agent's own CPU time (both 1, no effect, by
 * default; the global-agent scalability figure sets them, see
 * {@link FIG5_TOPOLOGY_COSTS}):
 *
 * - `agentSmtContention`: an agent's step (message delivery, a scheduling
 *   round with its commits) takes up to this much longer while a sibling
 *   hardware thread of its CPU runs threads (the two share the core's
 *   pipeline), in proportion to the sibling's recent busy fraction
 *   ({@link AgentSmtContention}).
 * - `crossSocket`: the agent's share of work about a CPU on another socket
 *   costs this much more: delivering a message produced there (its slot's
 *   cache line comes from the other socket) and each transaction committed
 *   to it (the target's run-queue and transaction lines, the IPI across the
 *   socket interconnect); the IPI's flight time is scaled too.
 *
 * @module
 */

import type { Topology } from "./topology.ts";

/** Slowdown factors of fully memory-bound work away from its data. */
export interface TopologyCostModel {
  /** On another LLC of the same NUMA node. @default 1.4 */
  readonly remoteLlc: number;
  /** On another NUMA node. @default 2.0 */
  readonly remoteNuma: number;
  /** Factor on an agent's CPU time while a sibling hardware thread runs a thread. @default 1 */
  readonly agentSmtContention: number;
  /** Factor on an agent's per-CPU work (delivery, commit, IPI) for a CPU on another socket. @default 1 */
  readonly crossSocket: number;
}

/**
 * Defaults: AMD Rome-class figures, approximate. A cross-CCX L3 hit costs
 * roughly twice a local one and remote DRAM roughly 1.5-2x local DRAM; for
 * fully memory-bound work that becomes about 1.4x (other CCX) and 2x (other
 * socket).
 */
export const DEFAULT_TOPOLOGY_COSTS: TopologyCostModel = {
  remoteLlc: 1.4,
  remoteNuma: 2.0,
  agentSmtContention: 1,
  crossSocket: 1,
};

/**
 * The agent's slowdown while its SMT sibling is busy all the time (it is
 * busy a quarter of the time or less in the experiment). FITTED to the
 * paper's Fig. 5 (§4.1, p.596), Skylake line, with the agent share and
 * worker side of `cost_profile.ts`: the dip from about 2.22M decisions/s
 * at 27 worker CPUs to 2.03M at 28, where the global agent first shares
 * its physical core with a ghOSt thread. Not a measured SMT figure.
 */
export const FIG5_AGENT_SMT_CONTENTION = 1.6;

/**
 * The global-agent scalability figure's topology costs: the defaults, plus
 * {@link FIG5_AGENT_SMT_CONTENTION} (fitted to Fig. 5) and a cross-socket
 * factor equal to the default `remoteNuma` (2.0: remote DRAM and
 * cross-socket cache-line transfers cost about twice local ones), which is
 * not fitted to Fig. 5. Charging it on message deliveries as well as on
 * commits and IPIs is a modelling choice made with Fig. 5's decline in
 * view: commits and IPIs alone give a decline of about 10% (Skylake) and
 * 3% (Haswell) by the last point, against the paper's 36% and 31%.
 */
export const FIG5_TOPOLOGY_COSTS: TopologyCostModel = {
  ...DEFAULT_TOPOLOGY_COSTS,
  agentSmtContention: FIG5_AGENT_SMT_CONTENTION,
  crossSocket: DEFAULT_TOPOLOGY_COSTS.remoteNuma,
};

/** The named topology cost models. */
export const TOPOLOGY_COST_MODELS: Readonly<Record<string, TopologyCostModel>> = {
  default: DEFAULT_TOPOLOGY_COSTS,
  fig5: FIG5_TOPOLOGY_COSTS,
};

/** What the cross-socket costs read of the kernel (a `Kernel` has all of it). */
export interface AgentCostView {
  /** The machine. */
  readonly topology: Topology;
  /** The cost model. */
  readonly topologyCosts: TopologyCostModel;
}

/** What the SMT contention reads of the kernel (a `Kernel` has all of it). */
export interface SmtContentionView extends AgentCostView {
  /** The clock. */
  readonly engine: { readonly now: number };
  /** A CPU's busy time so far, ns. */
  busyTime(cpu: number): number;
}

/**
 * The SMT contention one agent thread meets: its work steps take longer in
 * proportion to how busy its sibling hardware threads have been since its
 * previous step began,
 *
 *     step = ns × (1 + (agentSmtContention − 1) × siblingBusyFraction)
 *
 * (whole ns). An idle sibling costs nothing; a sibling busy all along costs
 * the full factor. A step's cost is fixed when it starts, so the fraction
 * is read over the recent past rather than over the step itself.
 *
 * @example
 * ```ts
 * import { AgentSmtContention, FIG5_TOPOLOGY_COSTS } from "./topology_costs.ts";
 * import { Topology } from "./topology.ts";
 * const topology = new Topology({ name: "core", coresPerLlc: 1, smt: 2 });
 * const busy = [0, 0];
 * const view = {
 *   topology, topologyCosts: FIG5_TOPOLOGY_COSTS, cpus: [], engine: { now: 0 },
 *   busyTime: (cpu: number) => busy[cpu]!,
 * };
 * const smt = new AgentSmtContention(view, 0);
 * if (smt.step(1000) !== 1000) throw new Error("nothing known yet");
 * view.engine.now = 1000;
 * if (smt.step(1000) !== 1000) throw new Error("idle sibling");
 * view.engine.now = 2000;
 * busy[1] = 1000; // the sibling was busy all along
 * if (smt.step(1000) !== Math.round(1000 * FIG5_TOPOLOGY_COSTS.agentSmtContention)) {
 *   throw new Error("busy sibling");
 * }
 * ```
 */
export class AgentSmtContention {
  readonly #view: SmtContentionView;
  readonly #siblings: readonly number[];
  #since = -1;
  #siblingBusy = 0;
  #fraction = 0;

  /** Tracks the agent thread on `cpu`. */
  constructor(view: SmtContentionView, cpu: number) {
    this.#view = view;
    this.#siblings = view.topology.cpu(cpu).siblings;
  }

  /** The wall time of a work step of `ns` starting now. */
  step(ns: number): number {
    const view = this.#view;
    const factor = view.topologyCosts.agentSmtContention;
    if (factor === 1 || this.#siblings.length === 0) return ns;
    const now = view.engine.now;
    let busy = 0;
    for (const sibling of this.#siblings) busy += view.busyTime(sibling);
    if (this.#since >= 0 && now > this.#since) {
      const fraction = (busy - this.#siblingBusy) / ((now - this.#since) * this.#siblings.length);
      this.#fraction = Math.min(1, Math.max(0, fraction));
    }
    this.#since = now;
    this.#siblingBusy = busy;
    return Math.round(ns * (1 + (factor - 1) * this.#fraction));
  }
}

/** The CPUs an agent's work is about: messages' origins or commits' targets. */
export interface AgentWorkCpus {
  /** The agent's CPU. */
  readonly agentCpu: number;
  /** How many CPUs to look at. */
  readonly count: number;
  /** The i-th CPU (-1: none, as a message about no CPU). */
  cpuAt(i: number): number;
}

/**
 * How many of the CPUs of `work` sit on another socket than the agent's
 * (0 unless `crossSocket` is set: nothing to charge). The caller charges
 * `(crossSocket - 1)` times the per-CPU cost for each.
 *
 * @example
 * ```ts
 * import { crossSocketCount, FIG5_TOPOLOGY_COSTS } from "./topology_costs.ts";
 * import { Topology } from "./topology.ts";
 * const topology = new Topology({ name: "two", sockets: 2, coresPerLlc: 2 });
 * const view = { topology, topologyCosts: FIG5_TOPOLOGY_COSTS };
 * const targets = [1, 2, 3, -1];
 * const work = { agentCpu: 0, count: 4, cpuAt: (i: number) => targets[i]! };
 * if (crossSocketCount(view, work) !== 2) throw new Error("CPUs 2 and 3 are on socket 1");
 * ```
 */
export function crossSocketCount(view: AgentCostView, work: AgentWorkCpus): number {
  if (view.topologyCosts.crossSocket === 1) return 0;
  const cpus = view.topology.cpus;
  const socket = cpus[work.agentCpu]!.socket;
  let far = 0;
  for (let i = 0; i < work.count; i++) {
    const cpu = work.cpuAt(i);
    if (cpu >= 0 && cpus[cpu]!.socket !== socket) far++;
  }
  return far;
}

/** The extra cost, whole ns, of `far` cross-socket items of `perItem` ns each. */
export function crossSocketNs(view: AgentCostView, far: number, perItem: number): number {
  return far === 0 ? 0 : Math.round(far * perItem * (view.topologyCosts.crossSocket - 1));
}

/**
 * Where work's data lives: its home LLC domain (-1: none) and how
 * memory-bound it is, 0..1 (a thread has both).
 */
export interface DataHome {
  /** LLC domain holding the data, or -1. */
  readonly homeLlc: number;
  /** Share of the work slowed down away from home, 0..1. */
  readonly memoryIntensity: number;
}

/**
 * The slowdowns of one machine under a cost model.
 *
 * @example
 * ```ts
 * import { TopologySlowdown } from "./topology_costs.ts";
 * import { Topology } from "./topology.ts";
 * const rome = new Topology({ name: "r", sockets: 2, llcPerNuma: 2, coresPerLlc: 2 });
 * const slowdown = new TopologySlowdown(rome);
 * // CPU 0 is in LLC 0; CPU 2 in LLC 1 (same node); CPU 4 on the other node.
 * if (slowdown.of({ homeLlc: 0, memoryIntensity: 1 }, 0) !== 1) throw new Error();
 * if (slowdown.of({ homeLlc: 0, memoryIntensity: 1 }, 2) !== 1.4) throw new Error();
 * if (slowdown.of({ homeLlc: 0, memoryIntensity: 0.5 }, 4) !== 1.5) throw new Error();
 * ```
 */
export class TopologySlowdown {
  /** The machine. */
  readonly topology: Topology;
  /** The slowdown factors. */
  readonly model: TopologyCostModel;

  /** Creates the slowdowns of a machine. */
  constructor(topology: Topology, model: TopologyCostModel = DEFAULT_TOPOLOGY_COSTS) {
    this.topology = topology;
    this.model = model;
  }

  /** The slowdown of work with data at `home` when it runs on `cpu` (1: full speed). */
  of(home: DataHome, cpu: number): number {
    const homeLlc = home.homeLlc;
    const intensity = home.memoryIntensity;
    if (homeLlc < 0 || intensity <= 0) return 1;
    const topology = this.topology;
    const info = topology.cpus[cpu]!;
    if (info.llc === homeLlc) return 1;
    const homeCpu = topology.llcs[homeLlc]?.[0];
    if (homeCpu === undefined) throw new RangeError(`No LLC ${homeLlc} in ${topology.name}`);
    const factor = topology.cpus[homeCpu]!.numa === info.numa
      ? this.model.remoteLlc
      : this.model.remoteNuma;
    return 1 + intensity * (factor - 1);
  }
}
