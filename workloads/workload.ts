/**
 * What every workload provides: it starts its threads and arrivals on a
 * kernel, records finished requests, and counts requests so that the run can
 * prove none was lost.
 *
 * @module
 */

import type { Distribution } from "../core/distributions.ts";
import type { Enclave } from "../core/enclave.ts";
import type { Engine } from "../core/engine.ts";
import type { Kernel } from "../core/kernel.ts";
import type { RequestStats } from "../reports/request_stats.ts";

/** Resolved workload settings, shared by every workload. */
export interface WorkloadOptions {
  /** Offered load, requests per second. */
  load: number;
  /** Service-time distribution. */
  service: Distribution;
  /** Worker threads serving a shared queue; 0 for one thread per request. */
  workers: number;
  /** Requests that arrive before this time are not recorded, ns. */
  warmupNs: number;
  /** End of arrivals, ns. */
  durationNs: number;
}

/** Everything a workload needs to start. */
export interface WorkloadContext {
  /** The engine (time, events, random streams). */
  engine: Engine;
  /** The emulated kernel. */
  kernel: Kernel;
  /** The resolved options. */
  options: WorkloadOptions;
  /** The enclave whose policy schedules the workload's threads, or null (CFS). */
  enclave: Enclave | null;
}

/** Spawn options that put a workload's thread in its enclave (or CFS). */
export function schedClassOf(
  context: WorkloadContext,
): { schedClass?: "ghost"; ghost?: Enclave } {
  return context.enclave === null ? {} : { schedClass: "ghost", ghost: context.enclave };
}

/** A running workload. */
export interface Workload {
  /** Latency of finished requests, after the warm-up. */
  readonly stats: RequestStats;
  /** Requests generated so far (warm-up included). */
  readonly generated: number;
  /** Requests finished so far (warm-up included). */
  readonly finished: number;
  /** Requests generated and not finished, counted from the live structures. */
  inFlight(): number;
}

/** A registered workload. */
export interface WorkloadDefinition {
  /** Name on the command line. */
  readonly name: string;
  /** One-line description for `ghostbench list`. */
  readonly description: string;
  /** Starts the workload: threads and the first arrival. */
  create(context: WorkloadContext): Workload;
}
