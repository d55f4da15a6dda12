/**
 * The scheduling policies by name. `cfs` leaves every thread in the emulated
 * kernel's CFS; the others are ghOSt policies run by agents.
 *
 * @module
 */

import type { Policy, PolicyModel } from "../core/policy.ts";
import { InputError } from "../core/errors.ts";
import type { OptionSpecs, OptionValues } from "../core/options.ts";
import { US } from "../core/units.ts";
import { Biff } from "./biff.ts";
import { Edf } from "./edf.ts";
import { FifoCentralized } from "./fifo_centralized.ts";
import { FifoPerCpu } from "./fifo_per_cpu.ts";
import { GhostCfs } from "./ghost_cfs.ts";
import { Search, SEARCH_HOLD_NS, SEARCH_SCAN_PER_CPU_NS } from "./search.ts";
import { Shinjuku } from "./shinjuku.ts";
import { Snap } from "./snap.ts";
import { Sol } from "./sol.ts";

/** A registered policy. */
export interface PolicyDefinition {
  /** Name on the command line: lower-case letters, digits and dashes. */
  readonly name: string;
  /** One-line description for `ghostbench list`. */
  readonly description: string;
  /** Agent arrangement, or "kernel" for no agent (threads stay in CFS). */
  readonly model: PolicyModel | "kernel";
  /**
   * The options it owns (e.g. `sliceNs`, the `--slice` flag), declared like a
   * workload's: kind, default, bounds, one line of help. @default none
   */
  readonly options?: OptionSpecs;
  /** Watchdog timeout the policy relies on, ns (0: none). @default 0 */
  readonly runnableTimeoutNs?: number;
  /**
   * The workload the policy is written for (`snap`'s MicroQuanta baseline
   * and ghOSt policy): figures that run every policy on another workload
   * leave it out. @default none: any workload
   */
  readonly workload?: string;
  /**
   * Creates a fresh policy (one per agent process), or null for `cfs`, from
   * its options resolved against {@link PolicyDefinition.options}.
   */
  create(options: OptionValues): Policy | null;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Checks a policy definition and returns it frozen: the name is lower-case
 * letters, digits and dashes (it goes on the command line), the model one
 * of `per-cpu`, `centralized` or `kernel`. Throws TypeError otherwise.
 */
export function definePolicy(definition: PolicyDefinition): PolicyDefinition {
  if (typeof definition.name !== "string" || !NAME.test(definition.name)) {
    throw new TypeError(
      `Bad policy name "${definition.name}": expected lower-case letters, digits and dashes`,
    );
  }
  const model: string = definition.model;
  if (model !== "per-cpu" && model !== "centralized" && model !== "kernel") {
    throw new TypeError(
      `Bad model "${model}" for policy ${definition.name}: expected per-cpu, centralized or kernel`,
    );
  }
  if (typeof definition.create !== "function") {
    throw new TypeError(`Policy ${definition.name} has no create function`);
  }
  return Object.freeze({ ...definition });
}

const registry: Record<string, PolicyDefinition> = {};

/** Every registered policy, by name: the built-in ones, then those `registerPolicy` added. */
export const POLICIES: Readonly<Record<string, PolicyDefinition>> = registry;

/**
 * Adds a policy to `POLICIES`, so that runs (`runExperiment`, the command
 * line) can name it. Checks it like `definePolicy`; throws an Error when the
 * name is taken.
 */
export function registerPolicy(definition: PolicyDefinition): PolicyDefinition {
  const checked = definePolicy(definition);
  if (Object.hasOwn(registry, checked.name)) {
    throw new Error(`Policy "${checked.name}" is already registered`);
  }
  registry[checked.name] = checked;
  return checked;
}

registerPolicy({
  name: "cfs",
  description: "no agent: threads stay in the emulated kernel's CFS (the baseline)",
  model: "kernel",
  create: () => null,
});
registerPolicy({
  name: "microquanta",
  description: "no agent: snap's engine threads in the kernel's MicroQuanta class (0.9 ms of " +
    "each 1 ms), every other thread in CFS (the Snap baseline; other workloads run as under cfs)",
  model: "kernel",
  workload: "snap",
  create: () => null,
});
registerPolicy({
  name: "fifo-percpu",
  description: "per-CPU agents, round-robin placement, no migration, preempted to the front",
  model: "per-cpu",
  create: () => new FifoPerCpu(),
});
registerPolicy({
  name: "fifo-centralized",
  description: "one global FIFO, a spinning global agent, group commits; --slice optional",
  model: "centralized",
  options: {
    sliceNs: {
      kind: "duration",
      min: 1,
      help: "preemption slice (default: none, run to completion)",
    },
  },
  create: (o) => new FifoCentralized(typeof o.sliceNs === "number" ? { sliceNs: o.sliceNs } : {}),
});
registerPolicy({
  name: "shinjuku",
  description: "global agent, preemptive per-QoS FIFOs with a 30 us slice (Shinjuku)",
  model: "centralized",
  options: {
    sliceNs: { kind: "duration", min: 1, default: 30 * US, help: "preemption slice" },
  },
  create: (o) => new Shinjuku(typeof o.sliceNs === "number" ? { sliceNs: o.sliceNs } : {}),
});
registerPolicy({
  name: "edf",
  description: "global agent, earliest deadline first (deadlines written by the application)",
  model: "centralized",
  options: {
    preempt: {
      kind: "choice",
      choices: ["deadline", "never"],
      default: "deadline",
      help: "preempt a running thread for an earlier deadline, or never",
    },
  },
  create: (o) => new Edf({ preempt: o.preempt !== "never" }),
});
registerPolicy({
  name: "search",
  description: "the paper's Search policy: least runtime first, run to completion, last CCX",
  model: "centralized",
  options: {
    topologyAware: {
      kind: "choice",
      choices: ["true", "false"],
      default: "true",
      help: "last core, then its CCX (held 100 us), then the nearest CCX (false: first idle CPU)",
    },
    holdNs: {
      kind: "duration",
      min: 0,
      default: SEARCH_HOLD_NS,
      help: "how long a thread waits for its last CCX",
    },
    scanPerCpuNs: {
      kind: "duration",
      min: 0,
      default: SEARCH_SCAN_PER_CPU_NS,
      help: "agent time per enclave CPU per pass (a pass every CPUs x this)",
    },
  },
  create: (o) =>
    new Search({
      topologyAware: o.topologyAware !== "false",
      ...(typeof o.holdNs === "number" ? { holdNs: o.holdNs } : {}),
      ...(typeof o.scanPerCpuNs === "number" ? { scanPerCpuNs: o.scanPerCpuNs } : {}),
    }),
});
registerPolicy({
  name: "sol",
  description: "speed-of-light global FIFO: async group commits, outcomes read on the next pass",
  model: "centralized",
  create: () => new Sol(),
});
registerPolicy({
  name: "biff",
  description: "global FIFO picked by the in-kernel hook alone, no commits; safety by watchdog",
  runnableTimeoutNs: 100_000_000,
  model: "per-cpu",
  create: () => new Biff(),
});
registerPolicy({
  name: "snap",
  description: "global agent, one FIFO: engines (nice <= 0) before antagonists, which engines " +
    "preempt; never CFS threads (Snap)",
  model: "centralized",
  workload: "snap",
  create: () => new Snap(),
});
registerPolicy({
  name: "ghost-cfs",
  description: "CFS as a per-CPU policy: vruntime, nice weights, 1 ms/10 ms slices, stealing",
  model: "per-cpu",
  create: () => new GhostCfs(),
});

/**
 * Adds a policy loaded from a source (a policy file, an `exec:` agent: see
 * sources.ts) to `POLICIES` under the source's text, which is how runs and
 * their configurations name it. The definition is checked like
 * `definePolicy`'s (its own name too); its description starts with that
 * name. Registering the same source again returns the first definition.
 */
export function registerPolicySource(
  source: string,
  definition: PolicyDefinition,
): PolicyDefinition {
  const checked = definePolicy(definition);
  if (Object.hasOwn(registry, source)) return registry[source]!;
  const named = Object.freeze({
    ...checked,
    name: source,
    description: `${checked.name}: ${checked.description}`,
  });
  registry[source] = named;
  return named;
}

/** Looks up a policy; throws InputError naming the choices. */
export function resolvePolicy(name: string): PolicyDefinition {
  const policy = Object.hasOwn(POLICIES, name) ? POLICIES[name] : undefined;
  if (policy === undefined) {
    throw new InputError(
      `Unknown policy "${name}": expected one of ${Object.keys(POLICIES).join(", ")}, ` +
        "a policy file (.ts, .js) or exec:COMMAND",
    );
  }
  return policy;
}
