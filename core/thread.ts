/**
 * Threads are programs: a behaviour hands the kernel one step at a time
 * (compute for some nanoseconds, wait on a wait queue, sleep, yield, exit).
 * Instantaneous side effects (waking another thread, spawning one, recording
 * a timestamp) happen inside the behaviour's `next` call.
 *
 * @module
 */

import type { GhostHooks } from "./ghost_class.ts";
import type { MessageQueue } from "./message_queue.ts";

/**
 * What a thread does next. The step's argument is set on the thread. `spin`
 * keeps the CPU busy until the kernel's `poke` (polling agents only).
 */
export type Action = "compute" | "wait" | "sleep" | "yield" | "exit" | "spin";

/** Life-cycle state of a thread in the emulated kernel. */
export type ThreadState = "runnable" | "running" | "blocked" | "dead";

/**
 * The scheduling class a thread belongs to, lowest to highest: `ghost`
 * (scheduled by an agent), `fair` (CFS), `microquanta` (soft real-time with
 * a quantum per period, see microquanta_class.ts), `agent` (ghOSt agents,
 * above all but stop).
 */
export type SchedClassName = "ghost" | "fair" | "microquanta" | "agent";

/**
 * A thread's program. `next` runs while the thread is on a CPU, at the
 * current virtual time, and returns the next step. For `compute` and `sleep`
 * it sets `thread.stepNs`; for `wait` it sets `thread.waitOn`.
 */
export interface Behavior {
  /** Returns the next step of the thread. */
  next(thread: Thread): Action;
}

/**
 * A futex-like wait queue: threads block on it and are woken in FIFO order.
 * A wake with no waiter is lost, as with a futex: callers check their
 * condition before waiting (the event loop makes check-and-wait atomic).
 */
export class WaitQueue {
  /** Name for traces and errors. */
  readonly name: string;
  #items: Thread[] = [];
  #head = 0;

  /** Creates an empty wait queue. */
  constructor(name: string) {
    this.name = name;
  }

  /** Number of threads waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Appends a waiting thread (called by the kernel). */
  add(thread: Thread): void {
    this.#items.push(thread);
  }

  /** Removes and returns the oldest waiter, or null. */
  shift(): Thread | null {
    if (this.#head >= this.#items.length) return null;
    const thread = this.#items[this.#head]!;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return thread;
  }

  /** Removes a given waiter (when it is woken another way); false if absent. */
  remove(thread: Thread): boolean {
    const items = this.#items;
    // Most queues have one waiter (a worker's own futex): no search then.
    const last = items.length - 1;
    const index = last >= this.#head && items[last] === thread
      ? last
      : items.indexOf(thread, this.#head);
    if (index < 0) return false;
    // Shifted by hand: a splice would allocate the array of removed items.
    for (let i = index; i < last; i++) items[i] = items[i + 1]!;
    items.pop();
    return true;
  }
}

/** Options for creating a thread. */
export interface ThreadOptions {
  /** Name, for reports and traces. */
  name: string;
  /** Group name: per-group CPU time is reported. @default the name */
  group?: string;
  /** Nice value, -20..19. @default 0 */
  nice?: number;
  /** CPUs the thread may run on. @default every CPU */
  affinity?: readonly number[] | undefined;
  /** Absolute deadline of its work, ns (see `Thread.deadline`). @default Infinity: none */
  deadline?: number;
  /**
   * A data-plane thread (a data-plane OS's spinning core, such as the
   * original Shinjuku's under Dune): once on its CPU the kernel never takes
   * it off, so other threads allowed there wait for good. Before its first
   * run it is picked like any fair thread. @default false
   */
  dedicated?: boolean;
}

/** A thread of the emulated kernel. Fields are the kernel's to change. */
export class Thread {
  /** Thread id (gtid in ghOSt terms). */
  readonly id: number;
  /** Name, for reports. */
  readonly name: string;
  /** Group name, for per-group CPU time. */
  readonly group: string;
  /** The program. */
  readonly behavior: Behavior;
  /** Nice value. */
  readonly nice: number;
  /** CFS load weight from the nice value. */
  readonly weight: number;
  /** Whether the kernel never takes its CPU from it once it runs (a data-plane thread). */
  readonly dedicated: boolean;
  /** Allowed CPUs (1 = allowed), or null for every CPU; changed by `Kernel.setAffinity`. */
  affinity: Uint8Array | null;
  /** Scheduling class. */
  schedClass: SchedClassName = "fair";
  /** Life-cycle state. */
  state: ThreadState = "runnable";
  /** CPU it runs on, or -1. */
  cpu: number = -1;
  /** CPU it last ran on (or was queued on), or -1. */
  lastCpu: number = -1;
  /** CPU whose run queue holds it, or -1. */
  rqCpu: number = -1;
  /** Nanoseconds of the current compute step still to run. */
  remaining = 0;
  /** Argument of the step the behaviour just returned (compute or sleep ns). */
  stepNs = 0;
  /** Wait queue of a `wait` step, or the one it is blocked on. */
  waitOn: WaitQueue | null = null;
  /** CPU time consumed, ns. */
  cpuTime = 0;
  /** Time from which running time is still to be accounted, ns. */
  lastUpdate = 0;
  /** CFS virtual runtime. */
  vruntime = 0;
  /** cpuTime when it was last picked (for the CFS slice check). */
  pickedCpuTime = 0;
  /** EEVDF virtual deadline: eligible time plus its slice, weighted (eevdf_class.ts). */
  vdeadline = 0;
  /** EEVDF lag saved when it left its run queue, in virtual time (eevdf_class.ts). */
  vlag = 0;
  /** Position in its CFS run-queue heap, or -1. */
  heapIndex: number = -1;
  /** Order of insertion into a run queue, for deterministic ties. */
  enqueueSeq = 0;
  /** Generation of its sleep timer (a stale timer event is ignored). */
  timerGen = 0;
  /** Whether the current step is the system call of a yield. */
  pendingYield = false;
  /** Whether it spins on its CPU until poked (a polling agent). */
  spinning = false;
  /** The enclave of a ghost-class thread (or of an agent), else null. */
  ghost: GhostHooks | null = null;
  /**
   * The message queue of its enclave that its messages go to (ghost.c's
   * `dst_q`), or null; the enclave's to change.
   */
  ghostQueue: MessageQueue | null = null;
  /** Task barrier (Tseq) of the status word: bumped by every message about it. */
  barrier = 0;
  /** CPU it is latched on by a commit, or -1. */
  latchedCpu: number = -1;
  /** Time it last became runnable without a CPU (for the watchdog), ns. */
  runnableSince = 0;
  /** Time it last started running (status word switch_time), ns. */
  switchTime = 0;
  /** LLC domain holding its data, or -1 (see core/topology_costs.ts). */
  homeLlc: number = -1;
  /** How memory-bound its work is, 0..1: the share slowed down away from home. */
  memoryIntensity = 0;
  /** Slowdown of its work on the CPU it runs on (1: full speed). */
  slowdown = 1;
  /**
   * Absolute deadline of the work it does now, ns; Infinity: none. The
   * application's to write (the sched item of ghOSt's PrioTable, in shared
   * memory): the kernel never reads it, a policy reads it from the task's
   * status (`TaskStatus.deadline`).
   */
  deadline: number = Infinity;

  /** Creates a thread; the kernel assigns the id. */
  constructor(id: number, behavior: Behavior, options: ThreadOptions, cpus: number) {
    this.id = id;
    this.name = options.name;
    this.group = options.group ?? options.name;
    this.behavior = behavior;
    const nice = options.nice ?? 0;
    if (!Number.isInteger(nice) || nice < -20 || nice > 19) {
      throw new RangeError(`Nice value out of range: ${nice} (expected -20..19)`);
    }
    this.nice = nice;
    this.weight = NICE_TO_WEIGHT[nice + 20]!;
    const deadline = options.deadline ?? Infinity;
    if (!(deadline >= 0)) throw new RangeError(`Invalid deadline: ${deadline} (expected >= 0 ns)`);
    this.deadline = deadline;
    this.dedicated = options.dedicated ?? false;
    if (options.affinity === undefined) {
      this.affinity = null;
    } else {
      const mask = new Uint8Array(cpus);
      for (const cpu of options.affinity) {
        if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) {
          throw new RangeError(`Affinity CPU ${cpu} out of range 0..${cpus - 1}`);
        }
        mask[cpu] = 1;
      }
      if (options.affinity.length === 0) {
        throw new RangeError(`Thread "${options.name}" has an empty affinity mask`);
      }
      this.affinity = mask;
    }
  }

  /** Whether the thread may run on a CPU. */
  allowed(cpu: number): boolean {
    return this.affinity === null || this.affinity[cpu] === 1;
  }
}

/** Linux's nice-to-weight table (kernel/sched/core.c), nice -20 first. */
export const NICE_TO_WEIGHT: readonly number[] = [
  88761,
  71755,
  56483,
  46273,
  36291,
  29154,
  23254,
  18705,
  14949,
  11916,
  9548,
  7620,
  6100,
  4904,
  3906,
  3121,
  2501,
  1991,
  1586,
  1277,
  1024,
  820,
  655,
  526,
  423,
  335,
  272,
  215,
  172,
  137,
  110,
  87,
  70,
  56,
  45,
  36,
  29,
  23,
  18,
  15,
];

/** The weight of nice 0. */
export const NICE_0_WEIGHT = 1024;
