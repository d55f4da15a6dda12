/**
 * The emulated side of the calibration: the same server, on an emulated
 * machine with the host's CPU count, under the host's fair class (EEVDF
 * from Linux 6.6 on, CFS before: `hostFairClass`), with a given cost
 * profile.
 *
 * - Structure `dispatcher` runs the `rocksdb` workload itself (load
 *   generator on CPU 0, dispatcher on CPU 1, one worker per further CPU).
 * - Structure `pool` runs its twin for hosts too small for that layout: the
 *   load generator thread receives requests into a shared FIFO and wakes one
 *   sleeping worker per request; nothing is pinned. It draws the same
 *   requests as `rocksdb` for a seed.
 *
 * `runExperiment` takes its cost profile by name; until it takes a profile
 * (or a `--costs FILE`), this runner builds the engine, kernel and workload
 * the way `runExperiment` does for a `cfs` run without events, so the
 * measured profile can be used. A test checks both give the same result.
 *
 * @module
 */

import type { CostProfile } from "../../core/cost_profile.ts";
import { Engine } from "../../core/engine.ts";
import { type FairClassName, Kernel } from "../../core/kernel.ts";
import { RequestStats } from "../../core/metrics/request_stats.ts";
import { type Action, type Thread, WaitQueue } from "../../core/thread.ts";
import { resolveTopology } from "../../core/topology.ts";
import { DATAPLANE_SLICE_NS, ROCKSDB } from "../../workloads/rocksdb.ts";
import type { Workload, WorkloadContext } from "../../workloads/workload.ts";
import {
  DEFAULT_MIX,
  REQUEST_TYPES,
  type RequestMix,
  type RequestSchedule,
  requestSchedule,
  type ServerSummary,
  summarizeStats,
} from "./_requests.ts";
import type { ServerStructure } from "./host_server.ts";

/** Options of {@link emulateServer}. */
export interface EmulateOptions {
  /** Pool or dispatcher. */
  structure: ServerStructure;
  /** CPUs of the emulated machine (flat: one LLC). */
  cpus: number;
  /** Worker threads (dispatcher: at most cpus − 2). */
  workers: number;
  /** Offered load, requests/s. */
  load: number;
  /** Virtual duration, ns. */
  durationNs: number;
  /** Warm-up not recorded, ns. */
  warmupNs: number;
  /** Seed. */
  seed: number;
  /** Kernel and ghOSt operation costs. */
  costs: CostProfile;
  /** The request mix. @default DEFAULT_MIX */
  mix?: RequestMix;
  /** Timer tick frequency, Hz. @default 1000 */
  tickHz?: number;
  /** Points of the latency CDF to report (0: none). @default 0 */
  cdfPoints?: number;
  /** The emulated kernel's fair class. @default "cfs" */
  fair?: FairClassName;
}

/**
 * Emulates the server and summarizes it as the real server's run is
 * summarized. Deterministic: the same options give the same result.
 *
 * @example
 * ```ts
 * import { PAPER_COSTS } from "../../core/cost_profile.ts";
 * import { emulateServer } from "./emulate.ts";
 * const result = emulateServer({
 *   structure: "pool", cpus: 2, workers: 2, load: 10_000, durationNs: 100_000_000,
 *   warmupNs: 20_000_000, seed: 1, costs: PAPER_COSTS,
 * });
 * if (!(result.completed > 500) || !(result.latencyUs.all.p50 >= 10)) throw new Error("wrong");
 * ```
 */
export function emulateServer(options: EmulateOptions): ServerSummary {
  const mix = options.mix ?? DEFAULT_MIX;
  const topology = resolveTopology({ cpus: options.cpus });
  const engine = new Engine(options.seed);
  const kernel = new Kernel(engine, {
    topology,
    costs: options.costs,
    tickHz: options.tickHz ?? 1000,
    fair: options.fair ?? "cfs",
  });
  const context: WorkloadContext = {
    policy: "cfs",
    enclave: null,
    engine,
    kernel,
    load: options.load,
    warmupNs: options.warmupNs,
    durationNs: options.durationNs,
    latencyNice: 0,
  };
  const workload = options.structure === "dispatcher"
    ? ROCKSDB.create(context, {
      workers: options.workers,
      getExpMeanNs: mix.getExpMeanNs,
      rangeDurationNs: mix.rangeDurationNs,
      rangeRatio: mix.rangeRatio,
      cfsWait: "futex",
      ghostWait: "futex",
      mix: "reference",
      dataplane: "off",
      dataplaneSliceNs: DATAPLANE_SLICE_NS,
    })
    : new PoolServer(context, {
      workers: options.workers,
      schedule: requestSchedule(options.seed, { ...options, mix }),
    });
  const slices = 50;
  for (let i = 1; i <= slices; i++) {
    engine.run({ until: Math.round(options.durationNs * i / slices) });
  }
  kernel.checkInvariants();
  const lost = workload.generated - workload.finished - workload.inFlight();
  if (lost !== 0) throw new Error(`The emulated server lost ${lost} requests`);
  return summarizeStats(workload.stats, {
    warmupNs: options.warmupNs,
    durationNs: options.durationNs,
    cdfPoints: options.cdfPoints ?? 0,
  });
}

/**
 * The pool structure: a load-generator thread sleeps until each arrival,
 * receives the requests due into a FIFO and wakes one sleeping worker per
 * request; a worker takes the oldest request, computes its work, and sleeps
 * when the FIFO is empty. No thread is pinned.
 */
class PoolServer implements Workload {
  readonly stats: RequestStats;
  generated = 0;
  finished = 0;
  readonly workers: number;
  readonly #schedule: RequestSchedule;
  /** When each request was received, ns. */
  readonly #received: Float64Array;
  /** Requests received: the FIFO is [head, tail) of the schedule. */
  #tail = 0;
  #head = 0;
  #serving = 0;

  constructor(context: WorkloadContext, pool: { workers: number; schedule: RequestSchedule }) {
    const { engine, kernel } = context;
    const schedule = pool.schedule;
    this.#schedule = schedule;
    this.#received = new Float64Array(schedule.arrival.length);
    this.workers = pool.workers;
    this.stats = new RequestStats({ types: REQUEST_TYPES, warmupNs: context.warmupNs });
    const waiters = new WaitQueue("calibrate.pool");
    for (let i = 0; i < pool.workers; i++) {
      kernel.spawn(this.#worker(engine, waiters), { name: `worker${i}`, group: "rocksdb" });
    }
    const arrival = schedule.arrival;
    kernel.spawn({
      next: (thread: Thread): Action => {
        const now = engine.now;
        while (this.#tail < arrival.length && arrival[this.#tail]! <= now) {
          this.#received[this.#tail] = now;
          this.#tail++;
          this.generated++;
          kernel.wakeOne(waiters);
        }
        if (this.#tail >= arrival.length) {
          thread.waitOn = new WaitQueue("calibrate.loadgen.done");
          return "wait";
        }
        thread.stepNs = arrival[this.#tail]! - now;
        return "sleep";
      },
    }, { name: "loadgen", group: "loadgen" });
  }

  inFlight(): number {
    return this.#tail - this.#head + this.#serving;
  }

  #worker(engine: Engine, waiters: WaitQueue) {
    let request = -1;
    let start = 0;
    return {
      next: (thread: Thread): Action => {
        const now = engine.now;
        if (request >= 0) {
          const s = this.#schedule;
          const received = this.#received[request]!;
          this.stats.record(s.type[request]!, s.arrival[request]!, start, now, received, start);
          this.finished++;
          this.#serving--;
          request = -1;
        }
        if (this.#head === this.#tail) {
          thread.waitOn = waiters;
          return "wait";
        }
        request = this.#head++;
        this.#serving++;
        start = now;
        thread.stepNs = this.#schedule.service[request]!;
        return "compute";
      },
    };
  }
}
