/**
 * What every workload provides: it starts its threads and arrivals on a
 * kernel, records finished requests, and counts requests so that the run can
 * prove none was lost.
 *
 * @module
 */

import type { Enclave } from "../core/enclave.ts";
import type { Engine } from "../core/engine.ts";
import type { Kernel } from "../core/kernel.ts";
import type { OptionSpecs, OptionValuesOf } from "../core/options.ts";
import type { Thread } from "../core/thread.ts";
import type { Topology } from "../core/topology.ts";
import type { DeadlineSummary } from "../core/metrics/deadline_stats.ts";
import type { RequestStats } from "../core/metrics/request_stats.ts";

/** Everything a workload needs to start: the machine and the run's general settings. */
export interface WorkloadContext {
  /** The engine (time, events, random streams). */
  engine: Engine;
  /** The emulated kernel. */
  kernel: Kernel;
  /** The enclave whose policy schedules the workload's threads, or null (CFS). */
  enclave: Enclave | null;
  /** The policy's name. */
  policy: string;
  /** Offered load, requests per second. */
  load: number;
  /** Requests that arrive before this time are not recorded, ns. */
  warmupNs: number;
  /** End of arrivals, ns. */
  durationNs: number;
  /** Nice value of the latency-sensitive threads (-20 when co-located under cfs, else 0). */
  latencyNice: number;
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
  /**
   * Of the requests in flight, those held by a thread for which `lost` holds
   * (a message about it was dropped, so its scheduler may never run it).
   * The run reports them apart from the rest in flight. @default none: 0
   */
  stranded?(lost: (thread: Thread) => boolean): number;
  /** Worker threads it runs (its `workers` option or its default), if it has a pool. */
  readonly workers?: number;
  /** Requests failed by a reboot (in flight at it, or arriving while down). @default 0 */
  readonly failed?: number;
  /**
   * A reboot: every request in flight fails now, and arrivals fail until
   * `untilNs`. Returns how many in-flight requests failed. Absent when the
   * workload does not model reboots.
   */
  reboot?(untilNs: number): number;
  /**
   * Deadline results at the end of the run (`run` reports them), for a
   * workload whose requests carry deadlines (written on their threads, see
   * `Thread.deadline`). @default none: the run reports no deadlines
   */
  deadlines?(): DeadlineSummary;
}

/**
 * A registered workload. It declares its own options (`S`): the run checks a
 * configuration's `workloadOptions` against them, fills in their defaults,
 * and `run --help` lists them under the workload.
 */
export interface WorkloadDefinition<S extends OptionSpecs = OptionSpecs> {
  /** Name on the command line. */
  readonly name: string;
  /** One-line description for `ghostbench list`. */
  readonly description: string;
  /** The options it accepts, with their defaults and help. */
  readonly options: S;
  /** Whether it models a reboot (its workloads implement `reboot`). @default false */
  readonly reboots?: boolean;
  /** The CPU layout under ghOSt. @default every CPU, global agent on CPU 0 */
  layout?(topology: Topology): WorkloadLayout;
  /** Starts the workload (threads and the first arrival) with resolved options. */
  create(context: WorkloadContext, options: OptionValuesOf<S>): Workload;
}
