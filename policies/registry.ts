/**
 * The scheduling policies by name. `cfs` leaves every thread in the emulated
 * kernel's CFS; the others are ghOSt policies run by agents.
 *
 * @module
 */

import type { Policy, PolicyModel } from "../core/policy.ts";
import { InputError } from "../core/errors.ts";
import { Biff } from "./biff.ts";
import { FifoCentralized } from "./fifo_centralized.ts";
import { FifoPerCpu } from "./fifo_per_cpu.ts";
import { GhostCfs } from "./ghost_cfs.ts";
import { Search } from "./search.ts";
import { Shinjuku } from "./shinjuku.ts";
import { Sol } from "./sol.ts";

/** Options a policy may take from the command line. */
export interface PolicyOptions {
  /** Time slice, ns; 0 for the policy's default. */
  sliceNs: number;
}

/** A registered policy. */
export interface PolicyDefinition {
  /** Name on the command line. */
  readonly name: string;
  /** One-line description for `ghostbench list`. */
  readonly description: string;
  /** Agent arrangement, or "kernel" for no agent (threads stay in CFS). */
  readonly model: PolicyModel | "kernel";
  /** The options it reads, for `--help`. */
  readonly options: string;
  /** Watchdog timeout the policy relies on, ns (0: none). @default 0 */
  readonly runnableTimeoutNs?: number;
  /** Creates the policy, or null for `cfs`. */
  create(options: PolicyOptions): Policy | null;
}

/** Every registered policy, by name. */
export const POLICIES: Readonly<Record<string, PolicyDefinition>> = {
  cfs: {
    name: "cfs",
    description: "no agent: threads stay in the emulated kernel's CFS (the baseline)",
    model: "kernel",
    options: "",
    create: () => null,
  },
  "fifo-percpu": {
    name: "fifo-percpu",
    description: "per-CPU agents, round-robin placement, no migration, preempted to the front",
    model: "per-cpu",
    options: "",
    create: () => new FifoPerCpu(),
  },
  "fifo-centralized": {
    name: "fifo-centralized",
    description: "one global FIFO, a spinning global agent, group commits; --slice optional",
    model: "centralized",
    options: "--slice (default none)",
    create: (o) => new FifoCentralized(o.sliceNs > 0 ? { sliceNs: o.sliceNs } : {}),
  },
  shinjuku: {
    name: "shinjuku",
    description: "global agent, preemptive per-QoS FIFOs with a 30 us slice (Shinjuku)",
    model: "centralized",
    options: "--slice (default 30us)",
    create: (o) => new Shinjuku(o.sliceNs > 0 ? { sliceNs: o.sliceNs } : {}),
  },
  search: {
    name: "search",
    description: "global agent, NUMA- and CCX-aware placement (home CCX, node, any), nice classes",
    model: "centralized",
    options: "",
    create: () => new Search(),
  },
  sol: {
    name: "sol",
    description: "speed-of-light global FIFO: async group commits, outcomes read on the next pass",
    model: "centralized",
    options: "",
    create: () => new Sol(),
  },
  biff: {
    name: "biff",
    description: "global FIFO picked by the in-kernel hook alone, no commits; safety by watchdog",
    runnableTimeoutNs: 100_000_000,
    model: "per-cpu",
    options: "",
    create: () => new Biff(),
  },
  "ghost-cfs": {
    name: "ghost-cfs",
    description: "CFS as a per-CPU policy: vruntime, nice weights, 1 ms/10 ms slices, stealing",
    model: "per-cpu",
    options: "",
    create: () => new GhostCfs(),
  },
};

/** Looks up a policy; throws InputError naming the choices. */
export function resolvePolicy(name: string): PolicyDefinition {
  const policy = Object.hasOwn(POLICIES, name) ? POLICIES[name] : undefined;
  if (policy === undefined) {
    throw new InputError(
      `Unknown policy "${name}": expected one of ${Object.keys(POLICIES).join(", ")}`,
    );
  }
  return policy;
}
