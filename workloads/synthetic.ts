/**
 * The `synthetic` workload: open-loop Poisson arrivals at `load` requests per
 * second, service times from a distribution. Either a pool of worker threads
 * serves a shared FIFO (a worker with nothing to do waits on a futex-like
 * queue and is woken by the arrival), or every request gets a thread of its
 * own that computes its service time and exits.
 *
 * Arrivals come from the engine (like a NIC interrupt), not from a thread, so
 * they cost no CPU. Draws come from the streams `synthetic.arrivals` and
 * `synthetic.service`: every policy sees the same requests for a seed.
 *
 * Options ({@link SYNTHETIC_OPTIONS}): `service`, the service-time
 * distribution (default `exp:20us`), and `workers`, the pool size (default
 * 0: one thread per request).
 *
 * @module
 */

import { parseDistribution } from "../core/distributions.ts";
import type { Engine } from "../core/engine.ts";
import type { OptionSpecs, OptionValuesOf } from "../core/options.ts";
import type { SpawnOptions } from "../core/kernel.ts";
import { type Action, type Behavior, type Thread, WaitQueue } from "../core/thread.ts";
import { SEC } from "../core/units.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import { RequestQueue } from "./_request_queue.ts";
import {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
} from "./workload.ts";

/** The options of the synthetic workload. */
export const SYNTHETIC_OPTIONS = {
  service: {
    kind: "distribution",
    default: "exp:20us",
    help: "service-time distribution",
  },
  workers: {
    kind: "integer",
    default: 0,
    min: 0,
    max: 100_000,
    help: "worker threads serving a shared FIFO; 0: one thread per request",
  },
} as const satisfies OptionSpecs;

/** Resolved options of the synthetic workload. */
export type SyntheticOptions = OptionValuesOf<typeof SYNTHETIC_OPTIONS>;

/** The running synthetic workload. */
class SyntheticWorkload implements Workload {
  readonly stats: RequestStats;
  generated = 0;
  finished = 0;
  failed = 0;
  readonly workers: number;
  #serving = 0;
  /** Bumped by a reboot: requests of an older epoch were failed. */
  #epoch = 0;
  #downUntil = -1;
  #queue = new RequestQueue();
  readonly #engine: Engine;

  constructor(context: WorkloadContext, options: SyntheticOptions) {
    const { engine, kernel } = context;
    const service = parseDistribution(options.service);
    this.#engine = engine;
    this.workers = options.workers;
    this.stats = new RequestStats({ types: service.types, warmupNs: context.warmupNs });
    const arrivals = engine.random.stream("synthetic.arrivals");
    const serviceRng = engine.random.stream("synthetic.service");
    const meanGap = SEC / context.load;
    const waiters = new WaitQueue("synthetic.workers");
    const queue = this.#queue;
    const schedClass = schedClassOf(context);
    // One object for every request's thread (the kernel copies what it keeps).
    const requestOptions: SpawnOptions = { name: "request", group: "requests", ...schedClass };
    const draft: OneShotRequest = { arrival: 0, service: 0, type: 0 };

    const arrive = engine.register("synthetic.arrival", () => {
      const now = engine.now;
      const ns = service.sample(serviceRng);
      const type = service.lastType;
      this.generated++;
      if (now < this.#downUntil) {
        this.failed++; // rebooting: nobody takes it
      } else if (options.workers > 0) {
        queue.push(now, ns, type);
        kernel.wakeOne(waiters, -1);
      } else {
        this.#serving++;
        draft.arrival = now;
        draft.service = ns;
        draft.type = type;
        kernel.spawn(new OneShot(this, draft), requestOptions);
      }
      const next = now + Math.max(1, Math.round(arrivals.exponential(meanGap)));
      if (next < context.durationNs) engine.at(next, arrive);
    });
    const first = Math.max(1, Math.round(arrivals.exponential(meanGap)));
    if (first < context.durationNs) engine.at(first, arrive);

    for (let i = 0; i < options.workers; i++) {
      kernel.spawn(this.#worker(queue, waiters), {
        name: `worker${i}`,
        group: "workers",
        ...schedClass,
      });
    }
  }

  inFlight(): number {
    return this.#queue.size + this.#serving;
  }

  reboot(untilNs: number): number {
    const dropped = this.#queue.clear() + this.#serving;
    this.failed += dropped;
    this.#serving = 0;
    this.#epoch++;
    this.#downUntil = untilNs;
    return dropped;
  }

  /** A pool worker: take the oldest request, serve it, record it, repeat. */
  #worker(queue: RequestQueue, waiters: WaitQueue) {
    let serving = false;
    let arrival = 0;
    let start = 0;
    let type = 0;
    let epoch = 0;
    return {
      next: (thread: Thread): Action => {
        const now = this.#engine.now;
        if (serving) {
          serving = false;
          if (epoch === this.#epoch) {
            this.#serving--;
            this.finished++;
            this.stats.record(type, arrival, start, now);
          }
        }
        if (!queue.shift()) {
          thread.waitOn = waiters;
          return "wait";
        }
        serving = true;
        epoch = this.#epoch;
        this.#serving++;
        arrival = queue.arrival;
        type = queue.type;
        start = now;
        thread.stepNs = queue.service;
        return "compute";
      },
    };
  }

  /** Virtual time, ns. */
  get now(): number {
    return this.#engine.now;
  }

  /** The workload's epoch (bumped by a reboot). */
  get epoch(): number {
    return this.#epoch;
  }

  /** A one-shot request finished now: recorded unless a reboot failed it. */
  finishOneShot(request: OneShot): void {
    if (request.epoch !== this.#epoch) return;
    this.#serving--;
    this.finished++;
    this.stats.record(request.type, request.arrival, request.start, this.#engine.now);
  }
}

/** What a one-shot request's thread serves. */
interface OneShotRequest {
  /** Arrival time, ns. */
  arrival: number;
  /** Service time, ns. */
  service: number;
  /** Request type index. */
  type: number;
}

/**
 * The thread of one request: serve it, record it, exit. A class, not a
 * closure: one object per request.
 */
class OneShot implements Behavior {
  readonly #workload: SyntheticWorkload;
  readonly arrival: number;
  readonly service: number;
  readonly type: number;
  /** The workload's epoch at arrival: a reboot since then failed the request. */
  readonly epoch: number;
  /** When it started running, ns, or -1. */
  start = -1;

  /** Copies the request: the caller may reuse the object. */
  constructor(workload: SyntheticWorkload, request: Readonly<OneShotRequest>) {
    this.#workload = workload;
    this.arrival = request.arrival;
    this.service = request.service;
    this.type = request.type;
    this.epoch = workload.epoch;
  }

  next(thread: Thread): Action {
    if (this.start < 0) {
      this.start = this.#workload.now;
      thread.stepNs = this.service;
      return "compute";
    }
    this.#workload.finishOneShot(this);
    return "exit";
  }
}

/** The synthetic workload definition. */
export const SYNTHETIC: WorkloadDefinition<typeof SYNTHETIC_OPTIONS> = {
  name: "synthetic",
  description:
    "open-loop Poisson arrivals, service times from a distribution, a pool or a thread each",
  options: SYNTHETIC_OPTIONS,
  reboots: true,
  create(context: WorkloadContext, options: SyntheticOptions): Workload {
    return new SyntheticWorkload(context, options);
  },
};
