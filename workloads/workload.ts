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
import type { Topology } from "../core/topology.ts";
import type { RequestStats } from "../core/metrics/request_stats.ts";

/** Resolved workload settings, shared by every workload. */
export interface WorkloadOptions {
  /** Offered load, requests per second. */
  load: number;
  /** Service-time distribution. */
  service: Distribution;
  /** Worker threads; 0 for one thread per request (synthetic); -1 for the workload's default. */
  workers: number;
  /** rocksdb: mean of the exponential part added to each Get, ns (0: none). */
  getExpMeanNs: number;
  /** rocksdb: duration of a Range request, ns. */
  rangeDurationNs: number;
  /** rocksdb: probability that a request is a Range. */
  rangeRatio: number;
  /** rocksdb under cfs: how idle workers wait. */
  wait: "futex" | "spin";
  /** Nice value of the latency-sensitive threads (-20 when co-located under cfs, else 0). */
  latencyNice: number;
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
  /** The policy's name. */
  policy: string;
}

/** Where a workload wants the enclave and the global agent (ghOSt policies). */
export interface WorkloadLayout {
  /** Enclave CPUs. */
  enclaveCpus: readonly number[];
  /** CPU of the global agent (centralized policies). */
  globalCpu: number;
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
  /** Worker threads it runs (resolved from `--workers` and its defaults), if it has a pool. */
  readonly workers?: number;
  /** Requests failed by a reboot (in flight at it, or arriving while down). @default 0 */
  readonly failed?: number;
  /**
   * A reboot: every request in flight fails now, and arrivals fail until
   * `untilNs`. Returns how many in-flight requests failed. Absent when the
   * workload does not model reboots.
   */
  reboot?(untilNs: number): number;
}

/** A registered workload. */
export interface WorkloadDefinition {
  /** Name on the command line. */
  readonly name: string;
  /** One-line description for `ghostbench list`. */
  readonly description: string;
  /** The CPU layout under ghOSt. @default every CPU, global agent on CPU 0 */
  layout?(topology: Topology): WorkloadLayout;
  /** Starts the workload: threads and the first arrival. */
  create(context: WorkloadContext): Workload;
}
