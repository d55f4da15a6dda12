/**
 * The `antagonist`: batch threads that spin forever, co-located with a
 * latency-sensitive workload (`--antagonists N` with any workload, or alone
 * as the `antagonist` workload). Under `cfs` they run at nice +19 against
 * the latency-sensitive threads' nice -20; under a ghOSt policy they join the
 * enclave at nice 19, which a QoS-aware policy such as Shinjuku maps to the
 * lowest class: they get the CPU time the latency-sensitive work leaves
 * idle. Each thread's CPU share (CPU time / wall time) is reported.
 *
 * @module
 */

import { hog } from "../core/behaviors.ts";
import type { OptionSpecs, OptionValuesOf } from "../core/options.ts";
import type { Thread } from "../core/thread.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
} from "./workload.ts";

/** Nice value of antagonist threads. */
export const ANTAGONIST_NICE = 19;

/** Thread group name of antagonist threads (their CPU share is reported under it). */
export const ANTAGONIST_GROUP = "antagonist";

/**
 * Spawns `count` spinning antagonist threads in the context's enclave (or
 * CFS), allowed on `cpus` (every CPU when omitted).
 */
export function spawnAntagonists(
  context: WorkloadContext,
  count: number,
  cpus?: readonly number[],
): Thread[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Invalid antagonist count ${count}: expected an integer >= 0`);
  }
  const threads: Thread[] = [];
  for (let i = 0; i < count; i++) {
    threads.push(context.kernel.spawn(hog(100_000_000), {
      name: `antagonist${i}`,
      group: ANTAGONIST_GROUP,
      nice: ANTAGONIST_NICE,
      affinity: cpus,
      ...schedClassOf(context),
    }));
  }
  return threads;
}

/** The options of the antagonist workload. */
export const ANTAGONIST_OPTIONS = {
  workers: {
    kind: "integer",
    default: 7,
    min: 1,
    max: 4096,
    help: "spinning threads",
  },
} as const satisfies OptionSpecs;

/** Resolved options of the antagonist workload. */
export type AntagonistOptions = OptionValuesOf<typeof ANTAGONIST_OPTIONS>;

/** The antagonist alone: no requests, only spinning threads (7 by default). */
export const ANTAGONIST: WorkloadDefinition<typeof ANTAGONIST_OPTIONS> = {
  name: "antagonist",
  description: "batch threads spinning forever (7 by default); reports CPU shares",
  options: ANTAGONIST_OPTIONS,
  create(context: WorkloadContext, options: AntagonistOptions): Workload {
    spawnAntagonists(context, options.workers);
    return {
      stats: new RequestStats({ types: ["request"], warmupNs: context.warmupNs }),
      generated: 0,
      finished: 0,
      workers: options.workers,
      inFlight: () => 0,
    };
  },
};
