/**
 * The emulated multi-core kernel's core, after Linux's kernel/sched/core.c:
 * per-CPU state, context switches that cost CPU time, the timer tick, thread
 * creation, wake-up and exit, and the scheduling-class stack of
 * shared/reference/ghost.md, lowest first:
 * idle < ghost < fair (CFS) < agent (ghost_agent); stop is not modelled.
 * The MicroQuanta class (microquanta_class.ts, Snap's baseline) sits
 * between fair and agent.
 *
 * It follows `try_to_wake_up` (wake), `wake_up_new_task` (spawn),
 * `check_preempt_curr` (a woken thread of a higher class preempts),
 * `__schedule` with `put_prev_task` and `pick_next_task` (a CPU picks class
 * by class: its agent, then fair threads, then ghost threads, else idle),
 * `scheduler_tick` and `__set_cpus_allowed_ptr` (setAffinity). The classes
 * themselves live beside it: {@link FairClass} (fair_class.ts, CFS), or
 * with `fair: "eevdf"` its subclass {@link EevdfClass} (eevdf_class.ts,
 * Linux 6.6's EEVDF), and {@link GhostClass} (ghost_class.ts, the ghost and
 * agent classes), internal objects the kernel delegates to.
 *
 * - An agent thread (one per enclave CPU, pinned) outranks everything: when
 *   it becomes runnable its CPU switches to it at once, and a thread latched
 *   there that has not run yet is displaced (TASK_PREEMPT, was latched).
 * - A ghost thread runs only when latched on a CPU by an agent's commit (or
 *   picked by the enclave's in-kernel hook) and no fair thread wants that
 *   CPU. A fair thread waking there preempts it (TASK_PREEMPT) and raises
 *   BOOST_PRIO; a commit that latches another thread replaces it.
 * - The kernel reports every ghost-thread event to its enclave through
 *   {@link GhostHooks}; the enclave turns them into messages.
 *
 * Invariants are checked as the emulation runs: a thread runs on at most one
 * CPU, a CPU runs at most one thread, and every CPU's busy time equals the
 * CPU time of the threads it ran plus its context-switch overhead.
 *
 * @module
 */

import { CfsRunQueue } from "./cfs_run_queue.ts";
import type { CostProfile } from "./cost_profile.ts";
import { EevdfClass } from "./eevdf_class.ts";
import type { Engine } from "./engine.ts";
import { type CfsTunables, FairClass } from "./fair_class.ts";
import { GhostClass, type GhostHooks, type LatchOptions } from "./ghost_class.ts";
import { MicroQuantaClass, type MicroQuantaOptions } from "./microquanta_class.ts";
import { type SchedClassName, Thread, type ThreadOptions, type WaitQueue } from "./thread.ts";
import type { CpuInfo, Topology } from "./topology.ts";
import {
  DEFAULT_TOPOLOGY_COSTS,
  type TopologyCostModel,
  TopologySlowdown,
} from "./topology_costs.ts";
import type { Tracer } from "./metrics/tracer.ts";
import { GtidMap } from "./gtid_map.ts";

/** Options of the kernel. */
export interface KernelOptions {
  /** The machine. */
  topology: Topology;
  /** Costs of kernel operations. */
  costs: CostProfile;
  /** Timer tick frequency. @default 1000 */
  tickHz?: number;
  /** Ticks between two periodic load-balancing passes of one CPU. @default 4 */
  balanceTicks?: number;
  /** How much slower memory-bound work runs away from its data. @default DEFAULT_TOPOLOGY_COSTS */
  topologyCosts?: TopologyCostModel;
  /**
   * The fair class's pick: `cfs` (Linux before 6.6, fair_class.ts) or
   * `eevdf` (Linux 6.6 on, eevdf_class.ts). @default "cfs"
   */
  fair?: FairClassName;
  /** Period and quantum of the MicroQuanta class. @default 0.9 ms of each 1 ms */
  microQuanta?: MicroQuantaOptions;
}

/** The fair classes a kernel can run. */
export type FairClassName = "cfs" | "eevdf";

/** The fair classes a kernel can run, default first. */
export const FAIR_CLASSES: readonly FairClassName[] = ["cfs", "eevdf"];

/** Options of {@link Kernel.spawn}. */
export interface SpawnOptions extends ThreadOptions {
  /** Scheduling class. @default "fair" */
  schedClass?: SchedClassName;
  /** The enclave of a ghost thread or an agent (required for those classes). */
  ghost?: GhostHooks;
}

/** One CPU's kernel state. Fields are the kernel's to change. */
export class CpuState {
  /** CPU number. */
  readonly id: number;
  /** Where the CPU sits in the topology. */
  readonly info: CpuInfo;
  /** CFS run queue. */
  readonly rq: CfsRunQueue = new CfsRunQueue();
  /** The running thread, or null when idle. */
  curr: Thread | null = null;
  /** Generation of the pending step event (a stale one is ignored). */
  stepGen = 0;
  /**
   * Handle of the pending step event of the current generation, or -1: the
   * kernel cancels it when the generation moves on, so that a long step cut
   * short leaves nothing in the event queue.
   */
  stepEvent: number = -1;
  /** Generation of the tick chain. */
  tickGen = 0;
  /** Whether a tick event is pending. */
  tickArmed = false;
  /** Ticks until the next periodic balance. */
  balanceCountdown = 0;
  /** Whether a reschedule event is pending. */
  reschedPending = false;
  /** A thread that just yielded: picked last. */
  yieldSkip: Thread | null = null;
  /** Busy time of closed busy intervals, ns. */
  busyNs = 0;
  /** Start of the current busy interval, ns, or -1 while idle. */
  busySince: number = -1;
  /** CPU time given to threads, ns. */
  threadNs = 0;
  /** Context-switch overhead, ns. */
  overheadNs = 0;
  /** Number of context switches. */
  switches = 0;
  /** The agent thread of this CPU, or null. */
  agent: Thread | null = null;
  /** The ghost thread latched here by a commit, or null. */
  latched: Thread | null = null;
  /** When the latched thread may start (its IPI has arrived), ns. */
  latchReadyAt = 0;
  /** Overhead charged when the latched thread starts (remote commit, target side), ns. */
  latchCost = 0;
  /** The enclave owning this CPU, or null. */
  ghost: GhostHooks | null = null;

  /** Creates an idle CPU. */
  constructor(info: CpuInfo) {
    this.id = info.id;
    this.info = info;
  }
}

/** The switch cost given to `#run` when the thread just ran there: no context switch. */
const NO_SWITCH = -1;

/** The emulated kernel. */
export class Kernel {
  /** The engine that owns time. */
  readonly engine: Engine;
  /** The machine. */
  readonly topology: Topology;
  /** Costs charged as CPU time. */
  readonly costs: CostProfile;
  /** CFS tunables after scaling. */
  readonly tunables: CfsTunables;
  /** The fair class's pick (CFS or EEVDF). */
  readonly fairClass: FairClassName;
  /** Tick period, ns. */
  readonly tickNs: number;
  /** Per-CPU state, indexed by CPU number. */
  readonly cpus: readonly CpuState[];
  /** Called when a thread exits. */
  onThreadExit: ((thread: Thread) => void) | null = null;
  /** Slowdown factors away from a thread's data. */
  readonly topologyCosts: TopologyCostModel;
  /** Receives scheduling events (run --trace), or null. */
  tracer: Tracer | null = null;

  readonly #threads = new GtidMap<Thread>();
  readonly #fair: FairClass;
  readonly #ghost: GhostClass;
  readonly #mq: MicroQuantaClass;
  readonly #slowdown: TopologySlowdown;
  readonly #kindResched: number;
  readonly #kindStep: number;
  readonly #kindTick: number;
  readonly #kindTimer: number;
  #nextId = 1;
  #currentCpu = -1;
  #currentThread: Thread | null = null;
  #totalThreads = 0;

  /**
   * Creates a kernel whose CPUs are all idle.
   *
   * @example
   * ```ts
   * import { Engine, IDEAL_COSTS, Kernel, type Thread, Topology } from "./mod.ts";
   *
   * const engine = new Engine(1);
   * const kernel = new Kernel(engine, {
   *   topology: new Topology({ name: "two", coresPerLlc: 2 }),
   *   costs: IDEAL_COSTS,
   * });
   * let steps = 0;
   * const worker = kernel.spawn({
   *   next(thread: Thread) {
   *     if (steps++ === 3) return "exit";
   *     thread.stepNs = 1_000_000;
   *     return "compute";
   *   },
   * }, { name: "worker" });
   * engine.run({ until: 10_000_000 });
   * if (worker.state !== "dead" || worker.cpuTime !== 3_000_000) throw new Error("wrong");
   * ```
   */
  constructor(engine: Engine, options: KernelOptions) {
    this.engine = engine;
    this.topology = options.topology;
    this.costs = options.costs;
    const tickHz = options.tickHz ?? 1000;
    if (!(tickHz > 0) || !Number.isFinite(tickHz)) {
      throw new RangeError(`Tick frequency must be positive: got ${tickHz}`);
    }
    this.tickNs = Math.round(1e9 / tickHz);
    this.topologyCosts = options.topologyCosts ?? DEFAULT_TOPOLOGY_COSTS;
    this.#slowdown = new TopologySlowdown(options.topology, this.topologyCosts);
    this.cpus = options.topology.cpus.map((info) => new CpuState(info));
    const fairOptions = {
      llcs: options.topology.llcs.length,
      balanceTicks: options.balanceTicks ?? 4,
    };
    this.fairClass = options.fair ?? "cfs";
    this.#fair = this.fairClass === "eevdf"
      ? new EevdfClass(this.cpus, { ...fairOptions, clock: engine, tickNs: this.tickNs })
      : new FairClass(this.cpus, fairOptions);
    this.tunables = this.#fair.tunables;
    this.#kindResched = engine.register("kernel.resched", (cpu) => this.#onResched(cpu));
    this.#kindStep = engine.register("kernel.step", (cpu, gen) => this.#onStep(cpu, gen));
    this.#kindTick = engine.register("kernel.tick", (cpu, gen) => this.#onTick(cpu, gen));
    this.#kindTimer = engine.register("kernel.timer", (id, gen) => this.#onTimer(id, gen));
    this.#ghost = new GhostClass(this, this.#fair);
    this.#mq = new MicroQuantaClass(this, this.#fair, options.microQuanta);
  }

  /** The MicroQuanta class (its period, quantum and throttle count). */
  get microQuanta(): MicroQuantaClass {
    return this.#mq;
  }

  /** CPU whose thread is running its behaviour right now, or -1 (engine events). */
  get currentCpu(): number {
    return this.#currentCpu;
  }

  /** Thread running its behaviour right now, or null. */
  get currentThread(): Thread | null {
    return this.#currentThread;
  }

  /** Number of live (not exited) threads. */
  get liveThreads(): number {
    return this.#threads.size;
  }

  /** Number of threads ever created. */
  get totalThreads(): number {
    return this.#totalThreads;
  }

  /** The live threads, in creation order. */
  threads(): IterableIterator<Thread> {
    return this.#threads.values();
  }

  /** A live thread by id, or undefined. */
  thread(id: number): Thread | undefined {
    return this.#threads.get(id);
  }

  // ---- threads: creation and wake-up --------------------------------------

  /**
   * Creates a runnable thread (`wake_up_new_task`). A fair thread is placed
   * on a CPU: an idle allowed CPU near the spawning thread when there is
   * one, else the spawner's CPU, else the next allowed CPU in turn. A ghost
   * thread waits for its agent (TASK_NEW); an agent thread runs on the one
   * CPU it is pinned to.
   */
  spawn(behavior: Thread["behavior"], options: SpawnOptions): Thread {
    const thread = new Thread(this.#nextId++, behavior, options, this.cpus.length);
    const schedClass = options.schedClass ?? "fair";
    if (schedClass === "ghost" || schedClass === "agent") {
      if (options.ghost === undefined) {
        throw new TypeError(`A ${schedClass}-class thread needs an enclave`);
      }
      thread.ghost = options.ghost;
    }
    thread.schedClass = schedClass;
    this.#threads.set(thread.id, thread);
    this.#totalThreads++;
    if (schedClass === "agent") {
      this.#ghost.spawnAgent(thread, options.affinity);
    } else if (schedClass === "ghost") {
      this.#ghost.spawn(thread);
    } else if (schedClass === "microquanta") {
      this.#mq.spawn(thread);
    } else {
      const cpu = this.cpus[this.#fair.selectCpu(thread, this.#currentCpu)]!;
      this.#fair.placeNew(cpu, thread);
      this.#fair.enqueue(cpu, thread);
      this.#checkPreemptCurr(cpu, thread);
    }
    return thread;
  }

  /**
   * Wakes a blocked thread (no effect on a thread that is not blocked) and
   * returns whether it was blocked (`try_to_wake_up`). The waker's CPU
   * guides placement.
   */
  wake(thread: Thread, wakerCpu: number = this.#currentCpu): boolean {
    if (thread.state !== "blocked") return false;
    if (thread.waitOn !== null) {
      thread.waitOn.remove(thread);
      thread.waitOn = null;
    }
    thread.timerGen++;
    if (thread.schedClass === "ghost") {
      this.#ghost.wake(thread, wakerCpu);
    } else if (thread.schedClass === "agent") {
      this.#ghost.wakeAgent(thread);
    } else if (thread.schedClass === "microquanta") {
      this.#mq.wake(thread);
    } else {
      const cpu = this.cpus[this.#fair.selectCpu(thread, wakerCpu)]!;
      this.#fair.placeWoken(cpu, thread);
      this.#fair.enqueue(cpu, thread);
      this.#checkPreemptCurr(cpu, thread, wakerCpu);
    }
    return true;
  }

  /** Wakes the oldest waiter of a wait queue; returns it, or null if none. */
  wakeOne(queue: WaitQueue, wakerCpu: number = this.#currentCpu): Thread | null {
    const thread = queue.shift();
    if (thread === null) return null;
    thread.waitOn = null;
    this.wake(thread, wakerCpu);
    return thread;
  }

  /**
   * A fair thread was queued on `cpu` (`check_preempt_curr`): an idle CPU
   * picks at once, or, woken from another CPU (`wakerCpu`), once the
   * reschedule IPI has reached it (`ttwu_queue_wakelist`, `smp_send_reschedule`:
   * the cost profile's `ipi`); a ghost thread is preempted; an agent is asked
   * to leave soon (BOOST_PRIO); a fair thread is preempted when the woken one
   * is far enough behind.
   */
  #checkPreemptCurr(cpu: CpuState, woken: Thread, wakerCpu = -1): void {
    const curr = cpu.curr;
    if (curr === null) {
      this.#requestResched(cpu, wakerCpu >= 0 && wakerCpu !== cpu.id ? this.costs.ipi : 0);
      return;
    }
    if (curr.schedClass === "microquanta") return; // a fair thread never preempts it
    if (curr.schedClass !== "fair") {
      if (curr.schedClass === "ghost") this.#requestResched(cpu);
      cpu.ghost?.boost(cpu.id);
      return;
    }
    this.#updateCurr(cpu, curr);
    if (this.#fair.wakeupPreempts(curr, woken)) this.#requestResched(cpu);
  }

  // ---- accounting and invariants ------------------------------------------

  /** Busy time of a CPU so far, ns (the open interval included). */
  busyTime(cpu: number): number {
    const state = this.cpus[cpu]!;
    return state.busyNs + (state.curr !== null ? this.engine.now - state.busySince : 0);
  }

  /** Accounts the running threads' CPU time up to now (for reports). */
  flushAccounting(): void {
    for (const cpu of this.cpus) {
      if (cpu.curr !== null) this.#updateCurr(cpu, cpu.curr);
    }
  }

  /**
   * Checks the kernel's invariants and throws on a violation: each CPU's busy
   * time equals the thread time plus switch overhead it ran, and run-queue
   * membership agrees with thread state.
   */
  checkInvariants(): void {
    this.flushAccounting();
    const now = this.engine.now;
    for (const cpu of this.cpus) {
      const curr = cpu.curr;
      const pendingOverhead = curr !== null && curr.lastUpdate > now ? curr.lastUpdate - now : 0;
      const busy = this.busyTime(cpu.id);
      const accounted = cpu.threadNs + cpu.overheadNs - pendingOverhead;
      if (busy !== accounted) {
        throw new Error(
          `Time not conserved on CPU ${cpu.id}: busy ${busy} ns but threads ${cpu.threadNs} + overhead ${
            cpu.overheadNs - pendingOverhead
          } ns`,
        );
      }
      if (busy > now) throw new Error(`CPU ${cpu.id} busy ${busy} ns in ${now} ns of time`);
      if (curr !== null && (curr.cpu !== cpu.id || curr.state !== "running")) {
        throw new Error(`CPU ${cpu.id} runs thread ${curr.id} whose state says otherwise`);
      }
    }
    for (const thread of this.#threads.values()) {
      if (thread.state === "running" && this.cpus[thread.cpu]?.curr !== thread) {
        throw new Error(`Thread ${thread.id} claims CPU ${thread.cpu} which runs another`);
      }
      if (
        thread.schedClass === "fair" && (thread.state === "runnable") !== (thread.rqCpu >= 0)
      ) {
        throw new Error(`Thread ${thread.id} is ${thread.state} but rqCpu is ${thread.rqCpu}`);
      }
    }
  }

  /** Accounts the running thread's time up to now (`update_curr`). */
  #updateCurr(cpu: CpuState, thread: Thread): void {
    const now = this.engine.now;
    const delta = now - thread.lastUpdate;
    if (delta <= 0) return;
    thread.lastUpdate = now;
    thread.cpuTime += delta;
    cpu.threadNs += delta;
    if (thread.slowdown === 1) {
      thread.remaining -= delta;
      if (thread.remaining < 0) {
        throw new Error(`Thread ${thread.id} ran ${-thread.remaining} ns past its step`);
      }
    } else {
      // Slowed work: `remaining` counts work at full speed, possibly fractional.
      thread.remaining = Math.max(0, thread.remaining - delta / thread.slowdown);
    }
    this.#fair.chargeVruntime(cpu, thread, delta);
  }

  // ---- switching ----------------------------------------------------------

  /** Asks `cpu` to pick again, `delayNs` from now (an IPI in flight); once while pending. */
  #requestResched(cpu: CpuState, delayNs = 0): void {
    if (cpu.reschedPending) return;
    cpu.reschedPending = true;
    this.engine.after(delayNs, this.#kindResched, cpu.id);
  }

  /** Takes the running thread off the CPU; it stays in its current state. */
  #detach(cpu: CpuState, thread: Thread): void {
    const now = this.engine.now;
    this.#updateCurr(cpu, thread);
    if (thread.lastUpdate > now) {
      // Preempted before its context switch finished: refund the rest.
      cpu.overheadNs -= thread.lastUpdate - now;
      thread.lastUpdate = now;
    }
    this.#invalidateStep(cpu);
    if (thread.schedClass === "microquanta") this.#mq.stopped(cpu, thread);
    cpu.curr = null;
    thread.cpu = -1;
    this.tracer?.threadOff(cpu.id, thread, now);
  }

  /**
   * The pending step event of the CPU becomes stale: a new generation, and
   * the old event leaves the queue (it still counts as an event at its time).
   */
  #invalidateStep(cpu: CpuState): void {
    cpu.stepGen++;
    if (cpu.stepEvent >= 0) {
      this.engine.cancel(cpu.stepEvent);
      cpu.stepEvent = -1;
    }
  }

  #onResched(cpuId: number): void {
    const cpu = this.cpus[cpuId]!;
    cpu.reschedPending = false;
    const prev = cpu.curr;
    if (prev !== null && !this.#putPrev(cpu, prev)) return;
    this.#switchTo(cpu, prev);
  }

  /**
   * Takes the running thread off a CPU that picks again (`put_prev_task`);
   * returns false when it keeps the CPU: an agent or a dedicated thread
   * always does, a ghost thread when nothing displaces it.
   */
  #putPrev(cpu: CpuState, prev: Thread): boolean {
    if (prev.schedClass === "agent") return false; // nothing preempts an agent
    if (prev.dedicated) return false; // a data-plane thread keeps its CPU
    if (prev.schedClass === "microquanta") {
      if (this.#mq.keepsCpu(cpu, prev)) return false;
      this.#detach(cpu, prev);
      this.#mq.preempted(cpu, prev);
      return true;
    }
    if (prev.schedClass === "ghost") {
      if (this.#ghost.keepsCpu(cpu, prev) && !this.#mq.holds(cpu)) return false;
      this.#detach(cpu, prev);
      this.#ghost.preempted(cpu, prev);
    } else if (!prev.allowed(cpu.id)) {
      // Its affinity no longer includes this CPU: placed again, on a CPU it
      // may use, as a waking thread is.
      this.#detach(cpu, prev);
      prev.state = "blocked";
      this.wake(prev, -1);
    } else {
      this.#detach(cpu, prev);
      this.#fair.enqueue(cpu, prev);
    }
    return true;
  }

  /**
   * Picks and runs the next thread on a CPU whose curr is null, class by
   * class (`pick_next_task`): its agent, then fair threads (pulling one from
   * a busy CPU when its own queue is empty), then a latched ghost thread or
   * the enclave's pick hook, else idle.
   */
  #switchTo(cpu: CpuState, prev: Thread | null): void {
    const agent = cpu.agent;
    if (agent !== null && agent.state === "runnable") {
      // A fair thread waiting behind the agent asks it to leave (BOOST_PRIO).
      if (cpu.rq.size > 0) cpu.ghost?.boost(cpu.id);
      // A thread latched here loses the CPU before it ran (the agent may
      // spin: a global agent that moved here would strand it).
      this.#ghost.displaceLatched(cpu);
      this.#run(cpu, agent, agent !== prev ? 0 : NO_SWITCH);
      return;
    }
    const mq = this.#mq.pickNext(cpu);
    if (mq !== null) {
      this.#ghost.displaceLatched(cpu);
      this.#run(cpu, mq, mq !== prev ? this.costs.cfsContextSwitch : NO_SWITCH);
      return;
    }
    const next = this.#fair.pickNext(cpu);
    if (next !== null) {
      this.#ghost.displaceLatched(cpu);
      this.#fair.dequeue(cpu, next);
      this.#run(cpu, next, next !== prev ? this.costs.cfsContextSwitch : NO_SWITCH);
      return;
    }
    if (this.#runGhost(cpu, prev)) return;
    this.#goIdle(cpu);
    // A fair thread gave the CPU back: the enclave's agents may use it again.
    if (
      prev !== null && cpu.ghost !== null &&
      (prev.schedClass === "fair" || prev.schedClass === "microquanta")
    ) {
      cpu.ghost.cpuAvailable(cpu.id);
    }
  }

  /**
   * The ghost class's turn (`pick_next_task_ghost`): the latched thread once
   * its IPI has arrived, after the latch's cost; with nothing latched, the
   * enclave's pick hook. Returns whether a thread runs.
   */
  #runGhost(cpu: CpuState, prev: Thread | null): boolean {
    const latched = cpu.latched;
    if (latched !== null) {
      if (cpu.latchReadyAt > this.engine.now) return false;
      const cost = cpu.latchCost;
      this.#ghost.unlatch(latched);
      this.#run(cpu, latched, latched !== prev || cost > 0 ? cost : NO_SWITCH);
      return true;
    }
    const picked = this.#ghost.pickFromHook(cpu);
    if (picked === null) return false;
    this.#run(cpu, picked, picked !== prev ? this.costs.minimalContextSwitch : NO_SWITCH);
    return true;
  }

  #goIdle(cpu: CpuState): void {
    if (cpu.curr !== null || cpu.rq.size !== 0) {
      throw new Error(`CPU ${cpu.id} cannot go idle with work`);
    }
    if (cpu.busySince >= 0) cpu.busyNs += this.engine.now - cpu.busySince;
    cpu.busySince = -1;
    this.#fair.markIdle(cpu);
    cpu.ghost?.cpuIdle(cpu.id);
  }

  /**
   * Runs a thread on an idle CPU. `switchCost` is the context switch's
   * overhead (plus a cache refill when the thread changes LLC), or
   * NO_SWITCH when the thread just ran there and simply goes on.
   */
  #run(cpu: CpuState, thread: Thread, switchCost: number): void {
    if (cpu.curr !== null) {
      throw new Error(`CPU ${cpu.id} already runs thread ${cpu.curr.id}`);
    }
    if (thread.cpu !== -1 || thread.state !== "runnable" || thread.heapIndex !== -1) {
      throw new Error(`Thread ${thread.id} (${thread.state}) cannot start on CPU ${cpu.id}`);
    }
    const now = this.engine.now;
    if (cpu.busySince < 0) {
      cpu.busySince = now;
      this.#fair.markBusy(cpu);
    }
    const last = thread.lastCpu;
    thread.state = "running";
    thread.cpu = cpu.id;
    thread.lastCpu = cpu.id;
    thread.switchTime = now;
    thread.slowdown = thread.homeLlc < 0 ? 1 : this.#slowdown.of(thread, cpu.id);
    // Work left from a slowed run is fractional: whole nanoseconds at full speed.
    if (thread.slowdown === 1) thread.remaining = Math.ceil(thread.remaining);
    cpu.curr = thread;
    const switched = switchCost !== NO_SWITCH;
    let cost = 0;
    if (switched) {
      // Only a context switch can carry the thread to another LLC.
      const migrated = last >= 0 && this.cpus[last]!.info.llc !== cpu.info.llc;
      cost = switchCost + (migrated ? this.costs.crossLlcMigration : 0);
      cpu.overheadNs += cost;
      cpu.switches++;
      thread.pickedCpuTime = thread.cpuTime;
    }
    thread.lastUpdate = now + cost;
    this.tracer?.threadOn(cpu.id, thread, now + cost);
    if (thread.schedClass === "microquanta") this.#mq.started(cpu, thread);
    if (switched && thread.schedClass === "ghost") thread.ghost!.taskOnCpu(thread, cpu.id);
    if (!cpu.tickArmed) this.#armTick(cpu);
    if (thread.spinning) return; // back to spinning until poked
    if (thread.remaining > 0 || cost > 0) {
      cpu.stepEvent = this.engine.at(
        now + cost + this.#wallTime(thread),
        this.#kindStep,
        cpu.id,
        cpu.stepGen,
      );
    } else {
      this.#advance(cpu, thread);
    }
  }

  /** Wall time the remaining work takes on the thread's current CPU, ns. */
  #wallTime(thread: Thread): number {
    return thread.slowdown === 1
      ? thread.remaining
      : Math.max(1, Math.ceil(thread.remaining * thread.slowdown));
  }

  // ---- running threads' steps ---------------------------------------------

  #onStep(cpuId: number, gen: number): void {
    const cpu = this.cpus[cpuId]!;
    if (gen !== cpu.stepGen) return;
    cpu.stepEvent = -1;
    const thread = cpu.curr;
    if (thread === null) throw new Error(`Step event on idle CPU ${cpuId}`);
    this.#updateCurr(cpu, thread);
    if (thread.slowdown !== 1) thread.remaining = 0; // rounding of slowed work
    if (thread.remaining !== 0) {
      throw new Error(`Thread ${thread.id} stepped with ${thread.remaining} ns left`);
    }
    if (thread.pendingYield) {
      thread.pendingYield = false;
      this.#invalidateStep(cpu);
      if (thread.schedClass === "ghost") {
        this.#detach(cpu, thread);
        this.#ghost.yielded(cpu, thread);
        this.#switchTo(cpu, thread);
        return;
      }
      if (thread.schedClass === "fair" && cpu.rq.size > 0) {
        this.#detach(cpu, thread);
        this.#fair.enqueue(cpu, thread);
        cpu.yieldSkip = thread;
        this.#switchTo(cpu, thread);
        return;
      }
    }
    this.#advance(cpu, thread);
  }

  /** Runs the behaviour of the thread on a CPU until it computes or leaves. */
  #advance(cpu: CpuState, thread: Thread): void {
    const now = this.engine.now;
    for (let guard = 0;; guard++) {
      if (guard > 1_000_000) {
        throw new Error(`Thread ${thread.id} took a million zero-length steps at ${now} ns`);
      }
      this.#currentCpu = cpu.id;
      this.#currentThread = thread;
      const action = thread.behavior.next(thread);
      this.#currentCpu = -1;
      this.#currentThread = null;
      switch (action) {
        case "compute": {
          const ns = thread.stepNs;
          if (!Number.isInteger(ns) || ns < 0) {
            throw new RangeError(`Thread ${thread.id} asked to compute ${ns} ns`);
          }
          if (ns === 0) continue;
          thread.remaining = ns;
          thread.lastUpdate = now;
          cpu.stepEvent = this.engine.at(
            now + this.#wallTime(thread),
            this.#kindStep,
            cpu.id,
            cpu.stepGen,
          );
          return;
        }
        case "yield":
          this.#startYield(cpu, thread);
          return;
        case "wait":
          this.#wait(cpu, thread);
          return;
        case "sleep":
          this.#sleep(cpu, thread);
          return;
        case "exit":
          this.#exit(cpu, thread);
          return;
        case "spin":
          // Keeps the CPU, consuming it, until poke() (a polling agent).
          thread.spinning = true;
          thread.remaining = Number.MAX_SAFE_INTEGER;
          thread.lastUpdate = now;
          return;
        default:
          throw new TypeError(`Thread ${thread.id} returned unknown action "${action}"`);
      }
    }
  }

  /**
   * A yield costs a system call, and at least 1 ns so that yielding threads
   * alone on a CPU cannot stop time; the CPU picks again when it ends.
   */
  #startYield(cpu: CpuState, thread: Thread): void {
    const now = this.engine.now;
    const ns = Math.max(1, this.costs.syscall);
    thread.remaining = ns;
    thread.lastUpdate = now;
    thread.pendingYield = true;
    cpu.stepEvent = this.engine.at(now + ns, this.#kindStep, cpu.id, cpu.stepGen);
  }

  /** The thread blocks on its wait queue (TASK_BLOCKED for a ghost thread). */
  #wait(cpu: CpuState, thread: Thread): void {
    const queue = thread.waitOn;
    if (queue === null) throw new TypeError(`Thread ${thread.id} waits on no queue`);
    this.#detach(cpu, thread);
    thread.state = "blocked";
    this.#fair.blocked(cpu, thread);
    queue.add(thread);
    if (thread.schedClass === "ghost") thread.ghost!.taskBlocked(thread, cpu.id);
    this.#switchTo(cpu, thread);
  }

  /** The thread sleeps `stepNs` (TASK_BLOCKED for a ghost thread). */
  #sleep(cpu: CpuState, thread: Thread): void {
    const ns = thread.stepNs;
    if (!Number.isInteger(ns) || ns < 0) {
      throw new RangeError(`Thread ${thread.id} asked to sleep ${ns} ns`);
    }
    this.#detach(cpu, thread);
    thread.state = "blocked";
    this.#fair.blocked(cpu, thread);
    thread.waitOn = null;
    this.engine.at(this.engine.now + ns, this.#kindTimer, thread.id, ++thread.timerGen);
    if (thread.schedClass === "ghost") thread.ghost!.taskBlocked(thread, cpu.id);
    this.#switchTo(cpu, thread);
  }

  /** The thread exits (TASK_BLOCKED then TASK_DEAD for a ghost thread). */
  #exit(cpu: CpuState, thread: Thread): void {
    this.#detach(cpu, thread);
    thread.state = "dead";
    this.#threads.delete(thread.id);
    if (thread.schedClass === "microquanta") this.#mq.exited(thread);
    if (thread.schedClass === "ghost") thread.ghost!.taskDead(thread, cpu.id);
    if (cpu.agent === thread) cpu.agent = null;
    this.onThreadExit?.(thread);
    this.#switchTo(cpu, thread);
  }

  #onTimer(id: number, gen: number): void {
    const thread = this.#threads.get(id);
    if (thread === undefined || thread.timerGen !== gen || thread.state !== "blocked") return;
    this.wake(thread, -1);
  }

  /**
   * Ends the spin of a thread spinning on its CPU: its behaviour runs again
   * now (no effect on a thread that is not spinning).
   */
  poke(thread: Thread): void {
    if (!thread.spinning) return;
    if (thread.state !== "running") {
      // Preempted while spinning: it looks again as soon as it runs.
      thread.spinning = false;
      thread.remaining = 0;
      return;
    }
    const cpu = this.cpus[thread.cpu]!;
    this.#updateCurr(cpu, thread);
    thread.spinning = false;
    thread.remaining = 0;
    // Poked while its context switch is still being paid: it looks once the switch is over.
    const at = Math.max(this.engine.now, thread.lastUpdate);
    cpu.stepEvent = this.engine.at(at, this.#kindStep, cpu.id, cpu.stepGen);
  }

  // ---- tick ---------------------------------------------------------------

  #armTick(cpu: CpuState): void {
    const next = (Math.floor(this.engine.now / this.tickNs) + 1) * this.tickNs;
    cpu.tickArmed = true;
    this.engine.at(next, this.#kindTick, cpu.id, ++cpu.tickGen);
  }

  /**
   * The timer tick of a busy CPU (`scheduler_tick`): the fair class's slice
   * check, CPU_TICK for an enclave CPU, and periodic load balancing. An
   * idle CPU stops its tick (NO_HZ).
   */
  #onTick(cpuId: number, gen: number): void {
    const cpu = this.cpus[cpuId]!;
    if (gen !== cpu.tickGen) return;
    cpu.tickArmed = false;
    const curr = cpu.curr;
    if (curr === null) return;
    this.#updateCurr(cpu, curr);
    if (curr.schedClass !== "microquanta") {
      if (this.#fair.tickPreempts(cpu, curr)) this.#requestResched(cpu);
    }
    cpu.ghost?.cpuTick(cpu.id);
    const balanced = this.#fair.tickBalance(cpu);
    if (balanced !== null) this.#requestResched(balanced);
    this.#armTick(cpu);
  }

  // ---- the ghOSt side's entry points --------------------------------------

  /**
   * Latches a ghost thread on a CPU (a commit): it starts there at
   * `options.readyAt` (when the IPI of a remote commit arrives, or now),
   * after `options.cost` ns of switch overhead on that CPU. A thread latched
   * there before is unlatched and reported preempted. The enclave has
   * validated the commit.
   */
  latch(thread: Thread, cpu: number, options: Readonly<LatchOptions> = {}): void {
    this.#ghost.latch(thread, cpu, options);
  }

  /** Removes a latched thread from its CPU (it stays runnable). */
  unlatch(thread: Thread): void {
    this.#ghost.unlatch(thread);
  }

  /**
   * Whether ghOSt may use a CPU now: no higher class holds it, that is no
   * fair thread runs or waits there, and no agent but the asking one's
   * (`agentCpu`, the CPU of the agent asking, or -1) runs or wants to run
   * there. The enclave's commits (CPU_UNAVAIL) and the agents' view of free
   * CPUs both ask this.
   */
  ghostMayUse(cpu: number, agentCpu: number): boolean {
    const state = this.cpus[cpu];
    if (state === undefined) {
      throw new RangeError(`CPU ${cpu} out of range 0..${this.cpus.length - 1}`);
    }
    const curr = state.curr;
    if (state.rq.size > 0 || (curr !== null && curr.schedClass === "fair")) return false;
    if (this.#mq.holds(state)) return false;
    if (cpu === agentCpu) return true;
    const agent = state.agent;
    return agent === null || agent.state === "blocked" || agent.state === "dead";
  }

  /**
   * Asks a CPU to pick again (the ghOSt side uses it after a local commit,
   * an agent hand-off, or an enclave change).
   */
  resched(cpuId: number): void {
    this.#requestResched(this.cpus[cpuId]!);
  }

  /**
   * Changes the CPUs a thread may run on (sched_setaffinity). A fair thread
   * on a CPU it may no longer use moves to an allowed one; a ghost thread
   * gets TASK_AFFINITY_CHANGED, and is preempted (or unlatched) from a CPU
   * it may no longer use.
   */
  setAffinity(thread: Thread, cpus: readonly number[]): void {
    if (thread.state === "dead") throw new Error(`Thread ${thread.id} has exited`);
    const n = this.cpus.length;
    if (cpus.length === 0) throw new RangeError(`Thread ${thread.id}: empty affinity mask`);
    const mask = new Uint8Array(n);
    for (const cpu of cpus) {
      if (!Number.isInteger(cpu) || cpu < 0 || cpu >= n) {
        throw new RangeError(`Affinity CPU ${cpu} out of range 0..${n - 1}`);
      }
      mask[cpu] = 1;
    }
    if (thread.schedClass === "agent") throw new Error("Agent threads stay pinned");
    thread.affinity = mask;
    if (thread.schedClass === "ghost") {
      this.#ghost.affinityChanged(thread);
    } else if (thread.schedClass === "microquanta") {
      if (thread.state === "runnable") this.#mq.affinityChanged(thread);
    } else if (thread.state === "runnable" && !thread.allowed(thread.rqCpu)) {
      this.#fair.dequeue(this.cpus[thread.rqCpu]!, thread);
      thread.state = "blocked";
      this.wake(thread, -1);
    }
    if (thread.state === "running" && !thread.allowed(thread.cpu)) {
      this.#requestResched(this.cpus[thread.cpu]!);
    }
  }

  /**
   * Moves a ghost thread to the fair class (it departs, or its enclave is
   * gone): a running one keeps its CPU, a runnable one is queued on a CPU
   * like a woken thread, a blocked one wakes later as a fair thread.
   */
  moveToFair(thread: Thread): void {
    if (thread.schedClass !== "ghost") return;
    this.#ghost.depart(thread);
    if (thread.state === "runnable") {
      thread.state = "blocked";
      this.wake(thread, -1);
    } else if (thread.state === "running") {
      const cpu = this.cpus[thread.cpu]!;
      this.#updateCurr(cpu, thread);
      this.#fair.switchedTo(cpu, thread);
    }
  }
}
