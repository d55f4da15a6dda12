/**
 * For tests: a policy whose callbacks do nothing, with some of them
 * replaced.
 *
 * @module
 */

import type { Policy } from "./policy.ts";

/** A policy named `name` whose callbacks are no-ops except those in `overrides`. */
export function noopPolicy(
  name: string,
  model: Policy["model"],
  overrides: Partial<Policy> = {},
): Policy {
  const noop = () => {};
  return {
    name,
    model,
    taskNew: noop,
    taskRunnable: noop,
    taskBlocked: noop,
    taskPreempted: noop,
    taskYield: noop,
    taskDead: noop,
    taskDeparted: noop,
    schedule: noop,
    ...overrides,
  };
}
