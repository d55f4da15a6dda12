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
import { InputError } from "../core/errors.ts";
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
    throw new InputError(`Bad --antagonists "${count}": expected a non-negative integer`);
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

/** The antagonist alone: no requests, only spinning threads (7 by default). */
export const ANTAGONIST: WorkloadDefinition = {
  name: "antagonist",
  description: "batch threads spinning forever (--workers N, default 7); reports CPU shares",
  create(context: WorkloadContext): Workload {
    const count = context.options.workers > 0 ? context.options.workers : 7;
    spawnAntagonists(context, count);
    return {
      stats: new RequestStats({ types: ["request"], warmupNs: context.options.warmupNs }),
      generated: 0,
      finished: 0,
      inFlight: () => 0,
    };
  },
};
