/**
 * The original Shinjuku (Kaffes et al., NSDI'19) as the ghOSt paper runs it
 * against ghOSt-Shinjuku (SOSP'21 §4.2, Fig. 6, p.596): a data-plane OS.
 * It is not a ghOSt policy and Linux does not schedule its requests:
 *
 * - A dispatcher thread spins on its own CPU and one worker thread spins on
 *   each worker CPU. They are `dedicated` threads: once on their CPUs the
 *   emulated kernel never takes them off (Dune and isolated cores in the
 *   real system), so a co-located batch job allowed on those CPUs never
 *   runs once they have started (a batch thread picked before them keeps
 *   the CPU until the next tick at most; the data plane uses a worker only
 *   once its thread runs), and the CPUs are busy whether requests come or
 *   not.
 * - Requests are user-level contexts. The dispatcher keeps one FIFO of
 *   them; an idle worker takes the head (a descriptor passed through shared
 *   memory, {@link DATAPLANE_HANDOFF_NS}). A request that has run its slice
 *   is preempted (a posted interrupt from the dispatcher,
 *   {@link DATAPLANE_PREEMPT_NS}) and goes to the tail with the work it has
 *   left; the worker takes the head, which is the same request when none
 *   other waits. As in the Shinjuku code (stanford-mast/shinjuku,
 *   dp/core/dispatcher.c: `preempt_worker` interrupts a worker once its
 *   request has run the slice, whether or not others wait), so a 10 ms
 *   request pays about 333 preemptions. The emulated kernel sees only the
 *   spinning threads: the data plane's scheduling happens in the
 *   workload's own events, at the costs below.
 *
 * The paper gives no cost for the data plane's mechanisms: both costs are
 * assumptions of ghostbench (order of magnitude of a cache-line handoff and
 * of an interrupt plus a user-level context switch), not fitted to Fig. 6.
 *
 * @module
 */

import type { Engine } from "../core/engine.ts";
import type { Kernel } from "../core/kernel.ts";
import type { Action, Thread } from "../core/thread.ts";
import { US } from "../core/units.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import { loadGenerator, type MixOptions } from "./_rocksdb_requests.ts";
import type { Workload, WorkloadContext } from "./workload.ts";

/** The data plane's preemption slice: the paper's 30 us (SOSP'21 §4.2, p.596). */
export const DATAPLANE_SLICE_NS = 30 * US;

/**
 * Assumed (not in the paper): a worker takes a request from the dispatcher,
 * a descriptor passed through a shared cache line plus a switch to the
 * request's user-level context, ns.
 */
export const DATAPLANE_HANDOFF_NS = 200;

/**
 * Assumed (not in the paper): preempting a request, a posted interrupt from
 * the dispatcher handled in the worker (Dune), saving its context, and the
 * dispatcher handing the worker the next one, ns. Set before any run was
 * compared with Fig. 6 (not fitted): each 0.5 us more moves the data plane's
 * saturation down by about 1.5% (a 10 ms request is preempted 333 times).
 */
export const DATAPLANE_PREEMPT_NS = 1000;

/** Settings of the data plane. */
export interface DataPlaneOptions extends MixOptions {
  /** Where its threads run: load generator, dispatcher, workers (one per CPU). */
  cpus: { loadgen: number; dispatcher: number; workers: readonly number[] };
  /** Preemption slice, ns. */
  sliceNs: number;
}

/** One request: a user-level context of the data plane. */
class Request {
  constructor(
    readonly arrival: number,
    readonly received: number,
    readonly type: number,
    /** Work left, ns. */
    public remaining: number,
    readonly epoch: number,
  ) {}
  /** When first handed to a worker, ns, or -1. */
  assigned = -1;
  /** When it first started running, ns, or -1. */
  started = -1;
}

/** One worker core of the data plane. */
class Core {
  constructor(readonly index: number) {}
  /** Its spinning thread. */
  thread: Thread | null = null;
  /** Whether its thread has reached its CPU (the data plane may use it). */
  ready = false;
  /** The request it runs, or null. */
  request: Request | null = null;
  /** When the request's current run began (after the handoff or preemption cost), ns. */
  runStart = 0;
  /** Generation of its pending event (a stale one is ignored). */
  gen = 0;
  /** Handle of its pending event, or -1. */
  event = -1;
}

/** The original Shinjuku serving the rocksdb workload's requests. */
export class ShinjukuDataPlane implements Workload {
  readonly stats: RequestStats;
  generated = 0;
  finished = 0;
  failed = 0;
  readonly workers: number;
  /** Requests preempted at the slice. */
  preemptions = 0;
  readonly #engine: Engine;
  readonly #sliceNs: number;
  readonly #cores: Core[] = [];
  readonly #idle: Core[] = [];
  /** The dispatcher's FIFO of request contexts. */
  #fifo: Request[] = [];
  #head = 0;
  #running = 0;
  #epoch = 0;
  #downUntil = -1;
  readonly #eventKind: number;

  /** Starts the dispatcher, the workers and the load generator on their CPUs. */
  constructor(context: WorkloadContext, options: DataPlaneOptions) {
    const { engine, kernel } = context;
    this.#engine = engine;
    this.#sliceNs = options.sliceNs;
    this.stats = new RequestStats({ types: ["get", "range"], warmupNs: context.warmupNs });
    this.workers = options.cpus.workers.length;
    this.#eventKind = engine.register("dataplane.core", (index, gen) => {
      const core = this.#cores[index]!;
      if (core.gen === gen) this.#onCore(core);
    });
    options.cpus.workers.forEach((cpu, i) => {
      const core = new Core(i);
      core.thread = this.#spawnSpinner(kernel, `worker${i}`, cpu, context.latencyNice, () => {
        if (core.ready) return;
        core.ready = true;
        this.#idle.push(core);
        this.#dispatch();
      });
      this.#cores.push(core);
    });
    this.#spawnSpinner(kernel, "dispatcher", options.cpus.dispatcher, context.latencyNice);
    kernel.spawn(
      loadGenerator(context, options, {
        arrive: (arrival, service, type) => {
          this.generated++;
          if (arrival < this.#downUntil) this.failed++;
          else {
            // Received now by the dispatcher.
            const now = engine.now;
            this.#fifo.push(new Request(arrival, now, type, service, this.#epoch));
          }
        },
        handOff: () => this.#dispatch(),
      }),
      {
        name: "loadgen",
        group: "loadgen",
        affinity: [options.cpus.loadgen],
        nice: context.latencyNice,
      },
    );
  }

  inFlight(): number {
    return this.#fifo.length - this.#head + this.#running;
  }

  reboot(untilNs: number): number {
    const dropped = this.inFlight();
    this.failed += dropped;
    this.#fifo = [];
    this.#head = 0;
    this.#running = 0;
    this.#epoch++;
    this.#downUntil = untilNs;
    for (const core of this.#cores) {
      if (core.request === null) continue;
      core.request = null;
      this.#cancel(core);
      this.#idle.push(core);
    }
    return dropped;
  }

  /** A thread that spins on its CPU for good; `onCpu` runs when it first gets there. */
  #spawnSpinner(
    kernel: Kernel,
    name: string,
    cpu: number,
    nice: number,
    onCpu?: () => void,
  ): Thread {
    return kernel.spawn({
      next: (): Action => {
        onCpu?.();
        return "spin";
      },
    }, { name, group: "rocksdb", affinity: [cpu], nice, dedicated: true });
  }

  /** Waiting requests go to idle workers, oldest first, one each. */
  #dispatch(): void {
    while (this.#head < this.#fifo.length && this.#idle.length > 0) {
      this.#start(this.#idle.pop()!, this.#shift(), DATAPLANE_HANDOFF_NS);
    }
  }

  #shift(): Request {
    const request = this.#fifo[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
    return request;
  }

  /** The worker's request goes to the tail with the work it has left; it takes the head. */
  #preempt(core: Core): void {
    const now = this.#engine.now;
    const request = core.request!;
    request.remaining -= now - core.runStart;
    this.preemptions++;
    this.#running--;
    this.#fifo.push(request);
    this.#start(core, this.#shift(), DATAPLANE_PREEMPT_NS);
  }

  /** Runs a request on a worker after `costNs` of overhead, until its end or its slice's. */
  #start(core: Core, request: Request, costNs: number): void {
    const now = this.#engine.now;
    const begin = now + costNs;
    if (request.assigned < 0) request.assigned = now;
    if (request.started < 0) request.started = begin;
    core.request = request;
    core.runStart = begin;
    this.#running++;
    this.#schedule(core, begin + Math.min(request.remaining, this.#sliceNs));
  }

  #schedule(core: Core, at: number): void {
    this.#cancel(core);
    core.event = this.#engine.at(at, this.#eventKind, core.index, ++core.gen);
  }

  #cancel(core: Core): void {
    core.gen++;
    if (core.event >= 0) this.#engine.cancel(core.event);
    core.event = -1;
  }

  /** A worker's request finished or reached its slice's end. */
  #onCore(core: Core): void {
    core.event = -1;
    const now = this.#engine.now;
    const request = core.request!;
    if (now - core.runStart < request.remaining) {
      this.#preempt(core); // the slice is over
      return;
    }
    core.request = null;
    this.#running--;
    this.finished++;
    if (request.epoch === this.#epoch) {
      this.stats.record(
        request.type,
        request.arrival,
        request.started,
        now,
        request.received,
        request.assigned,
      );
    }
    this.#idle.push(core);
    this.#dispatch();
  }
}
