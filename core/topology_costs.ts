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
 * @module
 */

import type { Topology } from "./topology.ts";

/** Slowdown factors of fully memory-bound work away from its data. */
export interface TopologyCostModel {
  /** On another LLC of the same NUMA node. @default 1.4 */
  readonly remoteLlc: number;
  /** On another NUMA node. @default 2.0 */
  readonly remoteNuma: number;
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
};

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
