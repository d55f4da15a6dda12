/**
 * The workloads by name.
 *
 * @module
 */

import { InputError } from "../core/errors.ts";
import { ANTAGONIST } from "./antagonist.ts";
import { ROCKSDB } from "./rocksdb.ts";
import { SEARCH } from "./search.ts";
import { SYNTHETIC } from "./synthetic.ts";
import type { WorkloadDefinition } from "./workload.ts";

/** Every registered workload, by name. */
export const WORKLOADS: Readonly<Record<string, WorkloadDefinition>> = {
  synthetic: SYNTHETIC,
  rocksdb: ROCKSDB,
  antagonist: ANTAGONIST,
  search: SEARCH,
};

/** Looks up a workload; throws InputError naming the choices. */
export function resolveWorkload(name: string): WorkloadDefinition {
  const workload = Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
  if (workload === undefined) {
    throw new InputError(
      `Unknown workload "${name}": expected one of ${Object.keys(WORKLOADS).join(", ")}`,
    );
  }
  return workload;
}
