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
import type { Kernel, SpawnOptions } from "../core/kernel.ts";
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
  readonly #kernel: Kernel;

  constructor(context: WorkloadContext, options: SyntheticOptions) {
    const { engine, kernel } = context;
    const service = parseDistribution(options.service);
    this.#engine = engine;
    this.#kernel = kernel;
    this.workers = options.workers;
    this.stats = new RequestStats({ types: service.types, warmupNs: context.warmupNs });
    const arrivals = engine.random.stream("synthetic.arrivals");
    const serviceRng = engine.random.stream("synthetic.service");
    const meanGap = SEC / context.load;
    const waiters = new WaitQueue("synthetic.workers");
    const queue = this.#queue;
    // One options object for every request's thread: the kernel reads it
    // and keeps nothing of it.
    const requestOptions: SpawnOptions = {
      name: "request",
      group: "requests",
      ...schedClassOf(context),
    };
    const finish = (request: OneShot, now: number): void => {
      if (request.epoch === this.#epoch) {
        this.#serving--;
        this.finished++;
        this.stats.record(request.type, request.arrival, request.start, now);
      }
      request.epoch = -1;
    };

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
        kernel.spawn(new OneShot(engine, finish, now, ns, type, this.#epoch), requestOptions);
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
        ...schedClassOf(context),
      });
    }
  }

  inFlight(): number {
    return this.#queue.size + this.#serving;
  }

  stranded(lost: (thread: Thread) => boolean): number {
    let count = 0;
    for (const thread of this.#kernel.threads()) {
      const behavior = thread.behavior;
      if (
        (behavior instanceof Holder || behavior instanceof OneShot) &&
        behavior.epoch === this.#epoch && lost(thread)
      ) {
        count++;
      }
    }
    return count;
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
  #worker(queue: RequestQueue, waiters: WaitQueue): Behavior {
    let arrival = 0;
    let start = 0;
    let type = 0;
    const worker: Holder = new Holder((thread: Thread): Action => {
      const now = this.#engine.now;
      if (worker.epoch >= 0) {
        if (worker.epoch === this.#epoch) {
          this.#serving--;
          this.finished++;
          this.stats.record(type, arrival, start, now);
        }
        worker.epoch = -1;
      }
      if (!queue.shift()) {
        thread.waitOn = waiters;
        return "wait";
      }
      worker.epoch = this.#epoch;
      this.#serving++;
      arrival = queue.arrival;
      type = queue.type;
      start = now;
      thread.stepNs = queue.service;
      return "compute";
    });
    return worker;
  }
}

/**
 * A thread's program that may hold a request: `epoch` is the workload's
 * epoch when it took the request (a reboot bumps it), -1 when it holds none.
 */
class Holder implements Behavior {
  /** Epoch of the request held, or -1. */
  epoch: number;
  /** The program's next step. */
  readonly next: (thread: Thread) => Action;

  constructor(next: (thread: Thread) => Action, epoch = -1) {
    this.next = next;
    this.epoch = epoch;
  }
}

/**
 * The program of a thread for one request: serve it, record it (through
 * `finish`), exit. One object per request, whose `next` every request
 * thread shares (a closure per request would cost three allocations and
 * leave the kernel's call to `next` megamorphic).
 */
class OneShot implements Behavior {
  /** Epoch of the request held, or -1 once recorded. */
  epoch: number;
  /** When it started, ns, or -1 before. */
  start = -1;
  readonly arrival: number;
  readonly service: number;
  readonly type: number;
  readonly #engine: Engine;
  readonly #finish: (request: OneShot, now: number) => void;

  constructor(
    engine: Engine,
    finish: (request: OneShot, now: number) => void,
    arrival: number,
    service: number,
    type: number,
    epoch: number,
  ) {
    this.#engine = engine;
    this.#finish = finish;
    this.arrival = arrival;
    this.service = service;
    this.type = type;
    this.epoch = epoch;
  }

  next(thread: Thread): Action {
    const now = this.#engine.now;
    if (this.start < 0) {
      this.start = now;
      thread.stepNs = this.service;
      return "compute";
    }
    this.#finish(this, now);
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
