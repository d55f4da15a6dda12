/**
 * Orders in which an experiment adds CPUs. The global-agent scalability
 * experiment of ghost-userspace (`experiments/microbenchmarks/
 * global_scalability.cc`, `MakeCpuVectorSparse`) adds CPUs "sparsely": one
 * hardware thread of every core of socket 0, then the other hardware threads
 * of those cores, then socket 1 the same way. Its CPU numbers assume Linux's
 * numbering (SMT siblings half the machine apart); this module follows the
 * topology instead, so the same order comes out whatever the numbering.
 *
 * @module
 */

import type { Topology } from "./topology.ts";

/** Options of {@link sparseCpuOrder}. */
export interface SparseCpuOrderOptions {
  /** CPUs left out of the order (the reference skips CPU 0). @default [] */
  skip?: readonly number[];
}

/**
 * Every CPU of the machine in sparse order: socket by socket; within a
 * socket, the first hardware thread of each core in core order, then the
 * second hardware thread of each core, and so on.
 *
 * @example
 * ```ts
 * import { sparseCpuOrder } from "./cpu_order.ts";
 * import { Topology } from "./topology.ts";
 * // 2 sockets x 2 cores x 2 SMT: CPUs 0,1 share core 0; 4,5 core 2 (socket 1).
 * const machine = new Topology({ name: "tiny", sockets: 2, coresPerLlc: 2, smt: 2 });
 * const order = sparseCpuOrder(machine, { skip: [0] });
 * if (order.join(" ") !== "2 1 3 4 6 5 7") throw new Error(order.join(" "));
 * ```
 */
export function sparseCpuOrder(topology: Topology, options: SparseCpuOrderOptions = {}): number[] {
  const skip = new Set(options.skip ?? []);
  for (const cpu of skip) topology.cpu(cpu); // throws RangeError for a CPU out of range
  const order: number[] = [];
  for (const socket of topology.sockets) {
    // Each core's hardware threads in id order; the socket's cores in id order.
    const cores = new Map<number, number[]>();
    for (const cpu of socket) {
      const core = topology.cpus[cpu]!.core;
      const threads = cores.get(core) ?? [];
      threads.push(cpu);
      cores.set(core, threads);
    }
    const byCore = [...cores.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
    const smt = Math.max(...byCore.map((t) => t.length));
    for (let thread = 0; thread < smt; thread++) {
      for (const threads of byCore) {
        const cpu = threads.sort((a, b) => a - b)[thread];
        if (cpu !== undefined && !skip.has(cpu)) order.push(cpu);
      }
    }
  }
  return order;
}
