/**
 * The scheduling policies by name. `cfs` leaves every thread in the emulated
 * kernel's CFS; the ghOSt policies (agents in user space) register here too.
 *
 * @module
 */

import { InputError } from "../core/errors.ts";

/** A registered policy. */
export interface PolicyDefinition {
  /** Name on the command line. */
  readonly name: string;
  /** One-line description for `ghostbench list`. */
  readonly description: string;
}

/** Every registered policy, by name. */
export const POLICIES: Readonly<Record<string, PolicyDefinition>> = {
  cfs: {
    name: "cfs",
    description: "no agent: threads stay in the emulated kernel's CFS (the baseline)",
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
