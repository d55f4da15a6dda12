/**
 * Machine topology: sockets, NUMA nodes, last-level-cache domains (an Intel
 * socket's L3 or an AMD CCX), cores and SMT siblings, with named presets.
 *
 * @module
 */

import { InputError } from "./errors.ts";

/** One logical CPU (a hardware thread) and where it sits. */
export interface CpuInfo {
  /** CPU number, 0..cpus-1. */
  readonly id: number;
  /** Physical core number, machine-wide. */
  readonly core: number;
  /** Last-level-cache domain (L3 / CCX) number, machine-wide. */
  readonly llc: number;
  /** NUMA node number. */
  readonly numa: number;
  /** Socket number. */
  readonly socket: number;
  /** The other hardware threads of the same core. */
  readonly siblings: readonly number[];
}

/** The shape of a regular machine: every socket alike. */
export interface TopologyShape {
  /** Preset or description name. */
  name: string;
  /** Number of sockets. @default 1 */
  sockets?: number;
  /** NUMA nodes per socket. @default 1 */
  numaPerSocket?: number;
  /** Last-level-cache domains per NUMA node. @default 1 */
  llcPerNuma?: number;
  /** Cores per last-level-cache domain. */
  coresPerLlc: number;
  /** Hardware threads per core. @default 1 */
  smt?: number;
}

/** A machine: its CPUs and the domains they share. */
export class Topology {
  /** Preset or description name. */
  readonly name: string;
  /** Every CPU, indexed by id. */
  readonly cpus: readonly CpuInfo[];
  /** CPUs of each last-level-cache domain, indexed by llc number. */
  readonly llcs: readonly (readonly number[])[];
  /** CPUs of each NUMA node, indexed by node number. */
  readonly numaNodes: readonly (readonly number[])[];
  /** CPUs of each socket, indexed by socket number. */
  readonly sockets: readonly (readonly number[])[];

  /**
   * Builds a regular machine. CPU ids go core by core, SMT siblings of one
   * core adjacent, so CPU 2k and 2k+1 share a core when smt is 2.
   *
   * @example
   * ```ts
   * import { Topology } from "./topology.ts";
   * const machine = new Topology({ name: "tiny", sockets: 2, coresPerLlc: 2, smt: 2 });
   * if (machine.size !== 8 || machine.cpus[1]!.core !== 0) throw new Error("wrong");
   * ```
   */
  constructor(shape: TopologyShape) {
    const sockets = shape.sockets ?? 1;
    const numaPerSocket = shape.numaPerSocket ?? 1;
    const llcPerNuma = shape.llcPerNuma ?? 1;
    const smt = shape.smt ?? 1;
    for (
      const [key, value] of [
        ["sockets", sockets],
        ["numaPerSocket", numaPerSocket],
        [
          "llcPerNuma",
          llcPerNuma,
        ],
        ["coresPerLlc", shape.coresPerLlc],
        ["smt", smt],
      ] as const
    ) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`Topology ${key} must be a positive integer: got ${value}`);
      }
    }
    this.name = shape.name;
    const cpus: CpuInfo[] = [];
    const llcs: number[][] = [];
    const numaNodes: number[][] = [];
    const socketCpus: number[][] = [];
    let core = 0;
    for (let s = 0; s < sockets; s++) {
      socketCpus.push([]);
      for (let n = 0; n < numaPerSocket; n++) {
        const numa = numaNodes.length;
        numaNodes.push([]);
        for (let l = 0; l < llcPerNuma; l++) {
          const llc = llcs.length;
          llcs.push([]);
          for (let c = 0; c < shape.coresPerLlc; c++, core++) {
            const first = cpus.length;
            const ids = Array.from({ length: smt }, (_, t) => first + t);
            for (const id of ids) {
              cpus.push({ id, core, llc, numa, socket: s, siblings: ids.filter((x) => x !== id) });
              llcs[llc]!.push(id);
              numaNodes[numa]!.push(id);
              socketCpus[s]!.push(id);
            }
          }
        }
      }
    }
    this.cpus = cpus;
    this.llcs = llcs;
    this.numaNodes = numaNodes;
    this.sockets = socketCpus;
  }

  /** Number of logical CPUs. */
  get size(): number {
    return this.cpus.length;
  }

  /** One CPU's description; throws RangeError for an id out of range. */
  cpu(id: number): CpuInfo {
    const info = this.cpus[id];
    if (info === undefined) {
      throw new RangeError(`CPU ${id} out of range: the machine has ${this.cpus.length} CPUs`);
    }
    return info;
  }

  /** A one-line description: `paper8: 8 CPUs, 1 socket, 1 LLC, no SMT`. */
  describe(): string {
    const smt = (this.cpus[0]?.siblings.length ?? 0) + 1;
    return `${this.name}: ${this.size} CPUs, ${this.sockets.length} socket(s), ` +
      `${this.numaNodes.length} NUMA node(s), ${this.llcs.length} LLC domain(s), ` +
      (smt > 1 ? `${smt}-way SMT` : "no SMT");
  }
}

/** The named machine presets. */
export const TOPOLOGY_PRESETS: Readonly<Record<string, TopologyShape>> = {
  /** 8 CPUs on one socket and one L3, as in the paper's RocksDB experiments. */
  paper8: { name: "paper8", coresPerLlc: 8 },
  /**
   * 2 sockets x 28 cores x 2 SMT (112 CPUs), one L3 and NUMA node per socket:
   * the paper's Skylake box (Xeon Platinum 8173M, Table 3 and Fig. 5).
   */
  xeon2s: { name: "xeon2s", sockets: 2, coresPerLlc: 28, smt: 2 },
  /** 2 sockets x 18 cores x 2 SMT (72 CPUs): the paper's Haswell box of Fig. 5. */
  haswell2s: { name: "haswell2s", sockets: 2, coresPerLlc: 18, smt: 2 },
  /** 2 sockets x 4 CCXs of 4 cores x 2 SMT (64 CPUs), one NUMA node per socket. */
  rome2s: { name: "rome2s", sockets: 2, llcPerNuma: 4, coresPerLlc: 4, smt: 2 },
  /**
   * The paper's Search machine (§4.4, p.598): 2 AMD Rome sockets x 16 CCXs
   * of 4 cores x 2 SMT (256 CPUs, 32 CCXs), one NUMA node per socket.
   */
  "rome2s-256": { name: "rome2s-256", sockets: 2, llcPerNuma: 16, coresPerLlc: 4, smt: 2 },
  /** One socket of a 2-socket Xeon E5-2658: 12 cores x 2 SMT (24 CPUs), the paper's Fig. 6. */
  "xeon-e5-2658": { name: "xeon-e5-2658", coresPerLlc: 12, smt: 2 },
};

/** One-line descriptions of the presets, for `ghostbench list`. */
export const TOPOLOGY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  paper8: "8 CPUs, one socket, one L3 (the reference scripts' RocksDB CPUs)",
  xeon2s: "2 sockets x 28 cores x 2 SMT = 112 CPUs, one L3 per socket (the paper's Skylake)",
  haswell2s: "2 sockets x 18 cores x 2 SMT = 72 CPUs, one L3 per socket (Fig. 5's Haswell)",
  rome2s: "2 sockets x 4 CCXs x 4 cores x 2 SMT = 64 CPUs, AMD-style CCXs",
  "rome2s-256": "2 sockets x 16 CCXs x 4 cores x 2 SMT = 256 CPUs (the paper's Search machine)",
  "xeon-e5-2658": "one socket of a Xeon E5-2658: 12 cores x 2 SMT = 24 CPUs (the paper's Fig. 6)",
};

/** Most CPUs a flat machine may have. */
export const MAX_CPUS = 4096;

/** Options of {@link resolveTopology}. */
export interface ResolveTopologyOptions {
  /** A preset name. @default "paper8" unless cpus is given */
  preset?: string | undefined;
  /** A flat machine of this many CPUs (one socket, one LLC, no SMT). */
  cpus?: number | undefined;
}

/**
 * Resolves a preset name or a CPU count into a topology; throws InputError
 * for an unknown preset, RangeError for both at once or a CPU count that is
 * not an integer from 1 to {@link MAX_CPUS} (a run checks its configuration
 * before it gets here).
 */
export function resolveTopology(options: ResolveTopologyOptions): Topology {
  if (options.cpus !== undefined) {
    if (options.preset !== undefined) {
      throw new RangeError("Invalid machine: give a preset or a CPU count, not both");
    }
    if (!Number.isInteger(options.cpus) || options.cpus < 1 || options.cpus > MAX_CPUS) {
      throw new RangeError(
        `Invalid CPU count ${options.cpus}: expected an integer from 1 to ${MAX_CPUS}`,
      );
    }
    return new Topology({ name: `flat${options.cpus}`, coresPerLlc: options.cpus });
  }
  const name = options.preset ?? "paper8";
  const shape = Object.hasOwn(TOPOLOGY_PRESETS, name) ? TOPOLOGY_PRESETS[name] : undefined;
  if (shape === undefined) {
    throw new InputError(
      `Unknown machine "${name}": expected one of ${Object.keys(TOPOLOGY_PRESETS).join(", ")}`,
    );
  }
  return new Topology(shape);
}
