/**
 * The `rocksdb` workload: dispersive requests as the ghOSt paper's RocksDB
 * experiments set them up (google/ghost-userspace experiments/rocksdb).
 *
 * - A load-generator thread pinned to CPU 0 makes open-loop Poisson arrivals
 *   at `load` requests/s. A request is a Get (10 us of work, plus an optional
 *   exponential part) or, with probability `rangeRatio`, a Range
 *   (`rangeDurationNs`, 5 ms by default).
 * - Under `cfs`: a dispatcher thread pinned to CPU 1 takes requests from the
 *   load generator and hands each to an idle worker (never to a busy one);
 *   `workers` (default 6) worker threads are pinned one per CPU from CPU 2
 *   on, and wait for work by sleeping on a futex (`cfsWait: "futex"`) or by
 *   spinning (`cfsWait: "spin"`, the reference's default for its standalone
 *   runs). With no preemption, a Range holds its worker for 5 ms: Gets queue
 *   behind busy workers (head-of-line blocking).
 * - Under a ghOSt policy: a pool of worker threads in the enclave (CPUs 1 and
 *   up; the global agent sits on CPU 1, where the dispatcher was), default
 *   200 for `shinjuku` and 11 for the others; the load generator hands each
 *   request to an idle worker directly. A worker that finishes takes the
 *   oldest waiting request at once. With none waiting it waits in one of two
 *   ways (`ghostWait`):
 *   - `futex`: it blocks at once (TASK_BLOCKED); new work wakes it
 *     (TASK_WAKEUP) and the agent schedules it again.
 *   - `prio-table` (the reference's default, and the only wait its Shinjuku
 *     agent supports): the worker marks itself idle in the shared PrioTable
 *     and spins on its CPU; the agent sees the mark on its next pass and
 *     unschedules it. The emulated kernel has no PrioTable, so the worker
 *     spins for the time a spinning global agent takes to see a
 *     shared-memory write (one global message delivery of the cost profile,
 *     265 ns under `paper`), then blocks: the TASK_BLOCKED the agent then
 *     reads stands for the unschedule. Work handed to it while it spins
 *     starts at once, with no agent decision, as in the reference. New work
 *     for a blocked worker wakes it with a TASK_WAKEUP, which stands for the
 *     agent seeing the PrioTable's runnable mark; what the model leaves out
 *     is that the agent, when busy, sees the mark later, and that the spin
 *     is never longer.
 *
 * - With `dataplane: shinjuku` (under `cfs` only): the original Shinjuku, a
 *   data-plane OS that Linux does not schedule, as the paper's Fig. 6 runs
 *   it; see _shinjuku_dataplane.ts.
 *
 * Threads go where {@link rocksDbCpus} puts them: CPU 0, CPU 1, then the
 * rest on a machine without SMT; on an SMT machine (the paper's
 * `xeon-e5-2658`) the load generator and the dispatcher (or global agent)
 * each hold a whole core. `mix: paper` is the paper's request mix (§4.2,
 * p.596): a 6 us Get plus 4 us of processing, or 10 ms for `rangeRatio` of
 * the requests (its 0.5% by default).
 *
 * Every request carries the five timestamps of the reference experiments:
 * generated, received (by the dispatcher or load generator), assigned (to a
 * worker), started and finished. Stages: ingress (received − generated),
 * queue (started − received), service (finished − started), total.
 *
 * Its options ({@link ROCKSDB_OPTIONS}) are declared here and nowhere else:
 * a new setting is one entry there, read in the constructor.
 *
 * @module
 */

import type { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import type { Kernel } from "../core/kernel.ts";
import type { OptionSpecs, OptionValuesOf } from "../core/options.ts";
import { type Action, type Thread, WaitQueue } from "../core/thread.ts";
import type { Topology } from "../core/topology.ts";
import { MS } from "../core/units.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import { RequestQueue } from "./_request_queue.ts";
import { loadGenerator } from "./_rocksdb_requests.ts";
import { DATAPLANE_SLICE_NS, ShinjukuDataPlane } from "./_shinjuku_dataplane.ts";

export {
  DATAPLANE_HANDOFF_NS,
  DATAPLANE_PREEMPT_NS,
  DATAPLANE_SLICE_NS,
} from "./_shinjuku_dataplane.ts";
import {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
  type WorkloadLayout,
} from "./workload.ts";

/** Worker pool sizes of the reference experiments, by policy. */
export const ROCKSDB_DEFAULT_WORKERS: Readonly<Record<string, number>> = {
  cfs: 6,
  shinjuku: 200,
};

/** Default pool for policies not named above. */
const DEFAULT_GHOST_WORKERS = 11;

/** The options of the rocksdb workload. */
export const ROCKSDB_OPTIONS = {
  workers: {
    kind: "integer",
    min: 1,
    max: 100_000,
    help: "worker threads (default 6 pinned under cfs, 200 under shinjuku, 11 under " +
      "other ghOSt policies)",
  },
  getExpMeanNs: {
    kind: "duration",
    default: 0,
    help: "mean of an exponential part added to each 10 us Get (0: none)",
  },
  rangeDurationNs: {
    kind: "duration",
    default: 5 * MS,
    min: 1,
    help: "duration of a Range request",
  },
  rangeRatio: {
    kind: "number",
    default: 0.005,
    min: 0,
    max: 1,
    help: "probability that a request is a Range",
  },
  cfsWait: {
    kind: "choice",
    choices: ["futex", "spin"],
    default: "futex",
    help: "how idle workers wait under cfs (the reference runs spin, futex when co-located)",
  },
  ghostWait: {
    kind: "choice",
    choices: ["futex", "prio-table"],
    default: "futex",
    help: "how idle workers wait under ghOSt (the reference runs prio-table: spin until the " +
      "agent's next pass unschedules them)",
  },
  mix: {
    kind: "choice",
    choices: ["reference", "paper"],
    default: "reference",
    help: "request mix: reference (Get 10 us, Range --range-duration) or paper (SOSP'21 Fig. 6: " +
      "a 6 us Get plus 4 us of processing, or 10 ms for --range-ratio of them)",
  },
  dataplane: {
    kind: "choice",
    choices: ["off", "shinjuku"],
    default: "off",
    help: "shinjuku: run as the original Shinjuku, a data-plane OS (with --policy cfs): a " +
      "spinning dispatcher and one spinning worker per worker CPU on CPUs taken from Linux, " +
      "requests preempted at --dataplane-slice",
  },
  dataplaneSliceNs: {
    kind: "duration",
    default: DATAPLANE_SLICE_NS,
    min: 1,
    help: "the data plane's preemption slice",
  },
} as const satisfies OptionSpecs;

/** Resolved options of the rocksdb workload. */
export type RocksDbOptions = OptionValuesOf<typeof ROCKSDB_OPTIONS>;

/** One worker's assignment: a request handed to it, or none. */
class WorkerSlot {
  thread: Thread | null = null;
  busy = false;
  arrival = 0;
  received = 0;
  /** When it was handed to this worker, ns. */
  assigned = 0;
  service = 0;
  type = 0;
  /** The workload's epoch when assigned: an older one was failed by a reboot. */
  epoch = 0;
  /** PrioTable wait: marked idle, it spins on its CPU until this time, ns. */
  spinUntil = -1;
  /** Idle periods so far (a stale unschedule event names an older one). */
  idleGen = 0;
}

class RocksDbWorkload implements Workload {
  readonly stats: RequestStats;
  generated = 0;
  finished = 0;
  failed = 0;
  readonly workers: number;
  #epoch = 0;
  #downUntil = -1;
  readonly #engine: Engine;
  readonly #kernel: Kernel;
  /** Requests generated, not yet handed to the dispatcher (CFS) or a worker (ghOSt). */
  readonly #ingress = new RequestQueue();
  /** Requests received by the dispatcher, waiting for an idle worker (CFS). */
  readonly #dispatch = new RequestQueue();
  readonly #slots: WorkerSlot[] = [];
  readonly #idle: WorkerSlot[] = [];
  /** CFS workers spin while idle. */
  readonly #spin: boolean;
  /** ghOSt workers wait on the PrioTable: spin until the agent's next pass. */
  readonly #prioTable: boolean;
  /** How long a PrioTable-idle worker keeps its CPU, ns. */
  readonly #noticeNs: number;
  /** Event kind: the agent's next pass unschedules an idle worker. */
  readonly #unscheduleKind: number;
  #dispatcher: Thread | null = null;
  #assigned = 0;

  constructor(context: WorkloadContext, options: RocksDbOptions) {
    const { engine, kernel } = context;
    this.#engine = engine;
    this.#kernel = kernel;
    const plan = rocksDbCpus(kernel.topology);
    this.stats = new RequestStats({ types: ["get", "range"], warmupNs: context.warmupNs });
    const ghost = context.enclave !== null;
    this.#spin = !ghost && options.cfsWait === "spin";
    this.#prioTable = ghost && options.ghostWait === "prio-table";
    this.#noticeNs = kernel.costs.messageDeliveryGlobal;
    this.#unscheduleKind = engine.register("rocksdb.unschedule", (index, gen) => {
      const slot = this.#slots[index]!;
      if (!slot.busy && slot.idleGen === gen) kernel.poke(slot.thread!);
    });
    const workers = options.workers ??
      (ghost
        ? ROCKSDB_DEFAULT_WORKERS[context.policy] ?? DEFAULT_GHOST_WORKERS
        : ROCKSDB_DEFAULT_WORKERS.cfs!);
    this.workers = workers;
    if (!ghost && workers > plan.workers.length) {
      throw new InputError(
        `Workload rocksdb under cfs pins one worker per CPU from CPU ${plan.workers[0]}: ` +
          `${workers} workers need ${workers} worker CPUs, the machine has ${plan.workers.length}`,
      );
    }

    // Workers.
    for (let i = 0; i < workers; i++) {
      const slot = new WorkerSlot();
      const waitQueue = new WaitQueue(`rocksdb.worker${i}`);
      slot.thread = kernel.spawn(this.#worker(slot, i, waitQueue), {
        name: `worker${i}`,
        group: "rocksdb",
        ...(ghost ? schedClassOf(context) : { affinity: [plan.workers[i]!] }),
        nice: context.latencyNice,
      });
      this.#slots.push(slot);
      this.#idle.push(slot);
    }

    // The dispatcher (CFS only): spins on its CPU.
    if (!ghost) {
      this.#dispatcher = kernel.spawn(this.#dispatcherLoop(), {
        name: "dispatcher",
        group: "rocksdb",
        affinity: [plan.dispatcher],
        nice: context.latencyNice,
      });
    }

    // The load generator: sleeps until each arrival, then hands it on.
    kernel.spawn(
      loadGenerator(context, options, {
        arrive: (arrival, service, type) => {
          this.generated++;
          if (arrival < this.#downUntil) this.failed++; // rebooting: refused
          else this.#ingress.push(arrival, service, type);
        },
        handOff: () => this.#handOff(),
      }),
      { name: "loadgen", group: "loadgen", affinity: [plan.loadgen], nice: context.latencyNice },
    );
  }

  inFlight(): number {
    return this.#ingress.size + this.#dispatch.size + this.#assigned;
  }

  stranded(lost: (thread: Thread) => boolean): number {
    return this.#slots.filter((slot) =>
      slot.busy && slot.epoch === this.#epoch && slot.thread !== null && lost(slot.thread)
    ).length;
  }

  reboot(untilNs: number): number {
    const dropped = this.#ingress.clear() + this.#dispatch.clear() + this.#assigned;
    this.failed += dropped;
    this.#assigned = 0;
    this.#epoch++;
    this.#downUntil = untilNs;
    return dropped;
  }

  /**
   * The load generator passes its requests on: under CFS it wakes the
   * dispatcher, under ghOSt it receives them itself and hands them to idle
   * workers of the pool.
   */
  #handOff(): void {
    if (this.#ingress.size === 0) return;
    if (this.#dispatcher !== null) {
      this.#kernel.poke(this.#dispatcher);
      return;
    }
    this.#receive();
    this.#assignWaiting();
  }

  /** Received now: the load generator's requests join the dispatch queue. */
  #receive(): void {
    const now = this.#engine.now;
    const ingress = this.#ingress;
    while (ingress.shift()) {
      this.#dispatch.push(ingress.arrival, ingress.service, ingress.type, now);
    }
  }

  /** Received requests go to idle workers, oldest first, one each. */
  #assignWaiting(): void {
    const dispatch = this.#dispatch;
    while (dispatch.size > 0 && this.#idle.length > 0) {
      dispatch.shift();
      this.#assign(
        this.#idle.pop()!,
        dispatch.arrival,
        dispatch.received,
        dispatch.service,
        dispatch.type,
      );
    }
  }

  #assign(
    slot: WorkerSlot,
    arrival: number,
    received: number,
    service: number,
    type: number,
  ): void {
    this.#take(slot, arrival, received, service, type);
    const thread = slot.thread!;
    // A spinning worker (or one preempted while spinning) looks again; a
    // blocked one is woken.
    if (thread.state === "blocked") this.#kernel.wake(thread);
    else this.#kernel.poke(thread);
  }

  #take(slot: WorkerSlot, arrival: number, received: number, service: number, type: number): void {
    slot.busy = true;
    slot.arrival = arrival;
    slot.received = received;
    slot.service = service;
    slot.type = type;
    slot.assigned = this.#engine.now;
    slot.epoch = this.#epoch;
    this.#assigned++;
  }

  /** The dispatcher (CFS): receives what the load generator made, assigns it to idle workers. */
  #dispatcherLoop() {
    return {
      next: (_thread: Thread): Action => {
        this.#receive();
        this.#assignWaiting();
        return "spin";
      },
    };
  }

  #worker(slot: WorkerSlot, index: number, waitQueue: WaitQueue) {
    let running = false;
    let start = 0;
    return {
      next: (thread: Thread): Action => {
        const now = this.#engine.now;
        if (running) {
          running = false;
          slot.busy = false;
          if (slot.epoch === this.#epoch) {
            this.#assigned--;
            this.finished++;
            this.stats.record(slot.type, slot.arrival, start, now, slot.received, slot.assigned);
          }
          if (this.#dispatcher !== null) {
            this.#idle.push(slot);
            this.#kernel.poke(this.#dispatcher);
          } else if (this.#dispatch.size > 0) {
            // ghOSt: the freed worker takes the oldest waiting request.
            const d = this.#dispatch;
            d.shift();
            this.#take(slot, d.arrival, d.received, d.service, d.type);
          } else {
            this.#idle.push(slot);
            if (this.#prioTable && this.#noticeNs > 0) {
              // Marked idle in the PrioTable: it keeps its CPU until the
              // agent's next pass unschedules it.
              slot.spinUntil = now + this.#noticeNs;
              slot.idleGen++;
              this.#engine.at(slot.spinUntil, this.#unscheduleKind, index, slot.idleGen);
            }
          }
        }
        if (slot.busy) {
          running = true;
          start = now;
          thread.stepNs = slot.service;
          return "compute";
        }
        if (this.#spin || now < slot.spinUntil) return "spin";
        thread.waitOn = waitQueue;
        return "wait";
      },
    };
  }
}

/** Where the rocksdb threads run (see {@link rocksDbCpus}). */
export interface RocksDbCpus {
  /** The load generator's CPU. */
  loadgen: number;
  /** The dispatcher's CPU (CFS, the data plane), or the global agent's (ghOSt). */
  dispatcher: number;
  /** The CPUs of the workers, in order. */
  workers: readonly number[];
}

/**
 * The CPU plan: the load generator on CPU 0, the dispatcher or global agent
 * on the first CPU of the next core, the workers on the CPUs of the other
 * cores. Without SMT that is CPU 0, CPU 1, then CPUs 2 and up, as in the
 * reference's 8-CPU runs; with SMT the load generator and the dispatcher
 * each hold a whole core, their siblings left idle, as in the paper's
 * Fig. 6 (one physical core generates load, the dispatcher has its own).
 * Throws InputError for a machine with no CPU left for workers.
 */
export function rocksDbCpus(topology: Topology): RocksDbCpus {
  const cpus = topology.size;
  if (cpus < 3) throw new InputError(`Workload rocksdb needs at least 3 CPUs: got ${cpus}`);
  const taken = new Set<number>();
  const take = (cpu: number): number => {
    taken.add(cpu);
    for (const sibling of topology.cpu(cpu).siblings) taken.add(sibling);
    return cpu;
  };
  const loadgen = take(0);
  const next = topology.cpus.find((cpu) => !taken.has(cpu.id));
  const dispatcher = next === undefined ? -1 : take(next.id);
  const workers = topology.cpus.map((cpu) => cpu.id).filter((id) => !taken.has(id));
  if (workers.length === 0) {
    throw new InputError(
      `Workload rocksdb needs a core for its load generator, one for its dispatcher and one ` +
        `for workers: machine ${topology.name} has ${topology.size} CPUs on fewer cores`,
    );
  }
  return { loadgen, dispatcher, workers };
}

/** CPU layout under ghOSt: the enclave spans the dispatcher's CPU, where the global agent sits, and the workers'. */
function layout(topology: Topology): WorkloadLayout {
  const plan = rocksDbCpus(topology);
  return { enclaveCpus: [plan.dispatcher, ...plan.workers], globalCpu: plan.dispatcher };
}

/** The rocksdb workload definition. */
export const ROCKSDB: WorkloadDefinition<typeof ROCKSDB_OPTIONS> = {
  name: "rocksdb",
  description:
    "RocksDB-like Get (10 us) and Range (5 ms) requests; load generator, dispatcher, worker pool",
  options: ROCKSDB_OPTIONS,
  reboots: true,
  layout,
  create(context: WorkloadContext, options: RocksDbOptions): Workload {
    if (options.dataplane === "off") return new RocksDbWorkload(context, options);
    if (context.enclave !== null) {
      throw new InputError(
        `Workload rocksdb's data plane runs without ghOSt: expected policy cfs, got ${context.policy}`,
      );
    }
    return new ShinjukuDataPlane(context, {
      ...options,
      cpus: rocksDbCpus(context.kernel.topology),
      sliceNs: options.dataplaneSliceNs,
    });
  },
};
