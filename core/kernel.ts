/**
 * The emulated multi-core kernel: per-CPU run queues, context switches that
 * cost CPU time, ticks, wake-up placement, load balancing, and the
 * scheduling-class stack of shared/reference/ghost.md:
 * idle < ghost < fair (CFS) < agent (ghost_agent); stop is not modelled.
 *
 * - An agent thread (one per enclave CPU, pinned) outranks everything: when
 *   it becomes runnable its CPU switches to it at once.
 * - A ghost thread runs only when latched on a CPU by an agent's commit (or
 *   picked by the enclave's in-kernel hook) and no fair thread wants that
 *   CPU. A fair thread waking there preempts it (TASK_PREEMPT) and raises
 *   BOOST_PRIO; a commit that latches another thread replaces it.
 * - The kernel reports every ghost-thread event to its enclave through
 *   {@link GhostHooks}; the enclave turns them into messages.
 *
 * CFS follows Linux (kernel/sched/fair.c before EEVDF): virtual runtime
 * weighted by the nice-to-weight table; a period of `latency` split among
 * runnable threads in proportion to weight, never below `minGranularity`
 * each; wake-up preemption when the woken thread's vruntime is more than
 * `wakeupGranularity` (weighted) behind the running one; sleepers placed at
 * most half a latency behind `min_vruntime`; new threads one slice after it.
 * The three tunables scale by 1 + log2(min(CPUs, 8)) like Linux's default
 * logarithmic scaling.
 *
 * Invariants are checked as the emulation runs: a thread runs on at most one
 * CPU, a CPU runs at most one thread, and every CPU's busy time equals the
 * CPU time of the threads it ran plus its context-switch overhead.
 *
 * @module
 */

import { CfsRunQueue } from "./cfs_run_queue.ts";
import type { CostProfile } from "./cost_profile.ts";
import { CpuSet } from "./cpu_set.ts";
import type { Engine } from "./engine.ts";
import {
  type GhostHooks,
  NICE_0_WEIGHT,
  type SchedClassName,
  Thread,
  type ThreadOptions,
  type WaitQueue,
} from "./thread.ts";
import type { CpuInfo, Topology } from "./topology.ts";
import { DEFAULT_TOPOLOGY_COSTS, slowdown, type TopologyCostModel } from "./topology_costs.ts";
import type { Tracer } from "./metrics/tracer.ts";
import { MS } from "./units.ts";

/** CFS tunables in nanoseconds, after scaling by the CPU count. */
export interface CfsTunables {
  /** Targeted preemption latency: the period every runnable thread runs once. */
  readonly latency: number;
  /** Minimum time a thread runs before the tick may preempt it. */
  readonly minGranularity: number;
  /** How far behind a woken thread must be to preempt the running one. */
  readonly wakeupGranularity: number;
  /** Number of threads above which the period stretches: latency / minGranularity. */
  readonly nrLatency: number;
}

/** Linux's unscaled CFS defaults, in nanoseconds. */
export const CFS_BASE_TUNABLES = {
  latency: 6 * MS,
  minGranularity: 750_000,
  wakeupGranularity: 1 * MS,
} as const;

/** The CFS tunables for a machine: base values x (1 + log2(min(cpus, 8))). */
export function cfsTunables(cpus: number): CfsTunables {
  const factor = 1 + Math.floor(Math.log2(Math.min(Math.max(cpus, 1), 8)));
  const latency = CFS_BASE_TUNABLES.latency * factor;
  const minGranularity = CFS_BASE_TUNABLES.minGranularity * factor;
  return {
    latency,
    minGranularity,
    wakeupGranularity: CFS_BASE_TUNABLES.wakeupGranularity * factor,
    nrLatency: Math.floor(latency / minGranularity),
  };
}

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
}

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
  busySince = -1;
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

  readonly #threads = new Map<number, Thread>();
  readonly #idle: CpuSet;
  readonly #idleByLlc: CpuSet[];
  readonly #overloaded: CpuSet;
  readonly #balanceTicks: number;
  readonly #kindResched: number;
  readonly #kindStep: number;
  readonly #kindTick: number;
  readonly #kindTimer: number;
  readonly #kindIpi: number;
  #nextId = 1;
  #spawnCursor = 0;
  #currentCpu = -1;
  #currentThread: Thread | null = null;
  #totalThreads = 0;

  /**
   * Creates a kernel whose CPUs are all idle.
   *
   * @example
   * ```ts
   * import { Engine } from "./engine.ts";
   * import { Kernel } from "./kernel.ts";
   * import { Topology } from "./topology.ts";
   * import { IDEAL_COSTS } from "./cost_profile.ts";
   * import type { Thread } from "./thread.ts";
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
    const n = options.topology.size;
    this.tunables = cfsTunables(n);
    const tickHz = options.tickHz ?? 1000;
    if (!(tickHz > 0) || !Number.isFinite(tickHz)) {
      throw new RangeError(`Tick frequency must be positive: got ${tickHz}`);
    }
    this.tickNs = Math.round(1e9 / tickHz);
    this.#balanceTicks = options.balanceTicks ?? 4;
    this.topologyCosts = options.topologyCosts ?? DEFAULT_TOPOLOGY_COSTS;
    this.cpus = options.topology.cpus.map((info) => new CpuState(info));
    this.#idle = new CpuSet(n);
    this.#overloaded = new CpuSet(n);
    this.#idleByLlc = options.topology.llcs.map(() => new CpuSet(n));
    for (const cpu of this.cpus) {
      this.#idle.add(cpu.id);
      this.#idleByLlc[cpu.info.llc]!.add(cpu.id);
      cpu.balanceCountdown = this.#balanceTicks;
    }
    this.#kindResched = engine.register("kernel.resched", (cpu) => this.#onResched(cpu));
    this.#kindStep = engine.register("kernel.step", (cpu, gen) => this.#onStep(cpu, gen));
    this.#kindTick = engine.register("kernel.tick", (cpu, gen) => this.#onTick(cpu, gen));
    this.#kindTimer = engine.register("kernel.timer", (id, gen) => this.#onTimer(id, gen));
    this.#kindIpi = engine.register("kernel.ipi", (cpu) => this.#onIpi(cpu));
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

  /**
   * Creates a runnable thread in the fair class and places it on a CPU: an
   * idle allowed CPU near the spawning thread when there is one, else the
   * spawner's CPU, else the next allowed CPU in turn.
   */
  spawn(behavior: Thread["behavior"], options: SpawnOptions): Thread {
    const thread = new Thread(this.#nextId++, behavior, options, this.cpus.length);
    const schedClass = options.schedClass ?? "fair";
    if (schedClass !== "fair") {
      if (options.ghost === undefined) {
        throw new TypeError(`A ${schedClass}-class thread needs an enclave`);
      }
      thread.ghost = options.ghost;
    }
    thread.schedClass = schedClass;
    this.#threads.set(thread.id, thread);
    this.#totalThreads++;
    if (schedClass === "agent") {
      const home = options.affinity?.length === 1 ? this.cpus[options.affinity[0]!]! : undefined;
      if (home === undefined) throw new RangeError("An agent thread must be pinned to one CPU");
      if (home.agent !== null && home.agent.state !== "dead") {
        throw new Error(`CPU ${home.id} already has agent thread ${home.agent.id}`);
      }
      home.agent = thread;
      thread.lastCpu = home.id;
      this.#requestResched(home);
      return thread;
    }
    if (schedClass === "ghost") {
      thread.runnableSince = this.engine.now;
      thread.ghost!.taskNew(thread);
      return thread;
    }
    const cpu = this.cpus[this.#selectCpu(thread, this.#currentCpu)]!;
    // START_DEBIT: a new thread starts one virtual slice after min_vruntime.
    const nr = cpu.rq.size + (cpu.curr !== null ? 1 : 0) + 1;
    const load = cpu.rq.queuedWeight + (cpu.curr?.weight ?? 0) + thread.weight;
    const slice = this.#period(nr) * thread.weight / load;
    thread.vruntime = cpu.rq.minVruntime + slice * NICE_0_WEIGHT / thread.weight;
    this.#enqueue(cpu, thread);
    this.#checkPreemptWakeup(cpu, thread);
    return thread;
  }

  /**
   * Wakes a blocked thread (no effect on a thread that is not blocked) and
   * returns whether it was blocked. The waker's CPU guides placement.
   */
  wake(thread: Thread, wakerCpu: number = this.#currentCpu): boolean {
    if (thread.state !== "blocked") return false;
    if (thread.waitOn !== null) {
      thread.waitOn.remove(thread);
      thread.waitOn = null;
    }
    thread.timerGen++;
    if (thread.schedClass === "ghost") {
      thread.state = "runnable";
      thread.runnableSince = this.engine.now;
      thread.ghost!.taskWakeup(thread, wakerCpu);
      return true;
    }
    if (thread.schedClass === "agent") {
      thread.state = "runnable";
      const home = this.cpus[thread.lastCpu]!;
      this.#idle.delete(home.id);
      this.#idleByLlc[home.info.llc]!.delete(home.id);
      this.#requestResched(home);
      return true;
    }
    const target = this.#selectCpu(thread, wakerCpu);
    const cpu = this.cpus[target]!;
    const last = thread.lastCpu;
    if (last >= 0 && last !== target) {
      thread.vruntime += cpu.rq.minVruntime - this.cpus[last]!.rq.minVruntime;
    }
    // Sleeper credit (GENTLE_FAIR_SLEEPERS): at most half a latency behind.
    const floor = cpu.rq.minVruntime - this.tunables.latency / 2;
    if (thread.vruntime < floor) thread.vruntime = floor;
    this.#enqueue(cpu, thread);
    this.#checkPreemptWakeup(cpu, thread);
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

  // ---- placement ---------------------------------------------------------

  #selectCpu(thread: Thread, wakerCpu: number): number {
    const prev = thread.lastCpu;
    const anchor = wakerCpu >= 0 ? wakerCpu : prev;
    if (anchor >= 0) {
      const llc = this.cpus[anchor]!.info.llc;
      if (
        prev >= 0 && thread.allowed(prev) && this.#idle.has(prev) &&
        this.cpus[prev]!.info.llc === llc
      ) {
        return prev;
      }
      const idle = this.#idleByLlc[llc]!;
      for (let i = 0; i < idle.size; i++) {
        const cpu = idle.at(i);
        if (thread.allowed(cpu)) return cpu;
      }
      if (prev >= 0 && thread.allowed(prev)) return prev;
    }
    for (let i = 0; i < this.#idle.size; i++) {
      const cpu = this.#idle.at(i);
      if (thread.allowed(cpu)) return cpu;
    }
    if (wakerCpu >= 0 && thread.allowed(wakerCpu)) return wakerCpu;
    const n = this.cpus.length;
    for (let i = 0; i < n; i++) {
      const cpu = (this.#spawnCursor + i) % n;
      if (thread.allowed(cpu)) {
        this.#spawnCursor = (cpu + 1) % n;
        return cpu;
      }
    }
    throw new Error(`Thread ${thread.id} is allowed on no CPU`);
  }

  // ---- run queues --------------------------------------------------------

  #enqueue(cpu: CpuState, thread: Thread): void {
    thread.state = "runnable";
    thread.rqCpu = cpu.id;
    cpu.rq.push(thread);
    this.#overloaded.add(cpu.id);
    this.#idle.delete(cpu.id);
    this.#idleByLlc[cpu.info.llc]!.delete(cpu.id);
  }

  #dequeue(cpu: CpuState, thread: Thread): void {
    cpu.rq.remove(thread);
    thread.rqCpu = -1;
    if (cpu.rq.size === 0) this.#overloaded.delete(cpu.id);
  }

  #period(nr: number): number {
    const t = this.tunables;
    return nr > t.nrLatency ? nr * t.minGranularity : t.latency;
  }

  #checkPreemptWakeup(cpu: CpuState, woken: Thread): void {
    const curr = cpu.curr;
    if (curr === null) {
      this.#requestResched(cpu);
      return;
    }
    if (curr.schedClass !== "fair") {
      // A fair thread outranks a ghost thread; an agent outranks both but is
      // asked (BOOST_PRIO) to give the CPU back soon.
      if (curr.schedClass === "ghost") this.#requestResched(cpu);
      cpu.ghost?.boost(cpu.id);
      return;
    }
    this.#updateCurr(cpu, curr);
    const gran = this.tunables.wakeupGranularity * NICE_0_WEIGHT / woken.weight;
    if (curr.vruntime - woken.vruntime > gran) this.#requestResched(cpu);
  }

  #requestResched(cpu: CpuState): void {
    if (cpu.reschedPending) return;
    cpu.reschedPending = true;
    this.engine.after(0, this.#kindResched, cpu.id);
  }

  // ---- switching ---------------------------------------------------------

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
    thread.vruntime += thread.weight === NICE_0_WEIGHT
      ? delta
      : delta * NICE_0_WEIGHT / thread.weight;
    cpu.rq.updateMinVruntime(thread);
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
    cpu.stepGen++;
    cpu.curr = null;
    thread.cpu = -1;
    this.tracer?.threadOff(cpu.id, thread, now);
  }

  #onResched(cpuId: number): void {
    const cpu = this.cpus[cpuId]!;
    cpu.reschedPending = false;
    const prev = cpu.curr;
    if (prev !== null) {
      if (prev.schedClass === "agent") return; // nothing preempts an agent
      const agentWaiting = cpu.agent !== null && cpu.agent.state === "runnable";
      const evicted = !prev.allowed(cpu.id); // its affinity no longer includes this CPU
      if (prev.schedClass === "ghost") {
        const latched = cpu.latched !== null && cpu.latchReadyAt <= this.engine.now;
        const fairWaiting = cpu.rq.size > 0;
        if (!agentWaiting && !fairWaiting && !latched && !evicted) return; // keeps its CPU
        this.#detach(cpu, prev);
        prev.state = "runnable";
        prev.runnableSince = this.engine.now;
        prev.ghost!.taskPreempt(prev, cpu.id, false, evicted || (fairWaiting && !agentWaiting));
      } else if (evicted) {
        // Placed again, on a CPU it may use, as a waking thread is.
        this.#detach(cpu, prev);
        prev.state = "blocked";
        this.wake(prev, -1);
      } else {
        this.#detach(cpu, prev);
        this.#enqueue(cpu, prev);
      }
    }
    this.#switchTo(cpu, prev);
  }

  #onIpi(cpuId: number): void {
    const cpu = this.cpus[cpuId]!;
    if (cpu.latched !== null) this.#requestResched(cpu);
  }

  /**
   * Picks and runs the next thread on a CPU whose curr is null, class by
   * class: its agent, then fair threads (pulling one from a busy CPU when
   * its own queue is empty), then a latched ghost thread or the enclave's
   * pick hook, else idle.
   */
  #switchTo(cpu: CpuState, prev: Thread | null): void {
    const agent = cpu.agent;
    if (agent !== null && agent.state === "runnable") {
      // A fair thread waiting behind the agent asks it to leave (BOOST_PRIO).
      if (cpu.rq.size > 0) cpu.ghost?.boost(cpu.id);
      this.#run(cpu, agent, agent !== prev, 0);
      return;
    }
    let next = cpu.rq.peekSkipping(cpu.yieldSkip);
    cpu.yieldSkip = null;
    if (next === null) next = this.#idleBalance(cpu);
    if (next !== null) {
      const latched = cpu.latched;
      if (latched !== null) {
        // A higher class takes the CPU from a latched thread before it ran.
        this.unlatch(latched);
        latched.ghost!.taskPreempt(latched, cpu.id, true, true);
      }
      this.#dequeue(cpu, next);
      this.#run(cpu, next, next !== prev, this.costs.cfsContextSwitch);
      return;
    }
    const latched = cpu.latched;
    if (latched !== null && cpu.latchReadyAt <= this.engine.now) {
      const cost = cpu.latchCost;
      this.unlatch(latched);
      this.#run(cpu, latched, latched !== prev || cost > 0, cost);
      return;
    }
    const hook = cpu.ghost?.pickHook;
    if (hook != null && latched === null) {
      const picked = hook(cpu.id);
      if (picked !== null) {
        this.#checkGhostRunnable(picked, cpu);
        this.#run(cpu, picked, picked !== prev, this.costs.minimalContextSwitch);
        return;
      }
    }
    this.#goIdle(cpu);
    // A fair thread gave the CPU back: the enclave's agents may use it again.
    if (prev !== null && prev.schedClass === "fair") cpu.ghost?.cpuAvailable(cpu.id);
  }

  #checkGhostRunnable(thread: Thread, cpu: CpuState): void {
    if (
      thread.schedClass !== "ghost" || thread.state !== "runnable" || thread.latchedCpu !== -1 ||
      !thread.allowed(cpu.id)
    ) {
      throw new Error(`Thread ${thread.id} cannot run from the pick hook on CPU ${cpu.id}`);
    }
  }

  #goIdle(cpu: CpuState): void {
    if (cpu.curr !== null || cpu.rq.size !== 0) {
      throw new Error(`CPU ${cpu.id} cannot go idle with work`);
    }
    if (cpu.busySince >= 0) cpu.busyNs += this.engine.now - cpu.busySince;
    cpu.busySince = -1;
    this.#idle.add(cpu.id);
    this.#idleByLlc[cpu.info.llc]!.add(cpu.id);
    cpu.ghost?.cpuIdle(cpu.id);
  }

  #run(cpu: CpuState, thread: Thread, switched: boolean, switchCost: number): void {
    if (cpu.curr !== null) {
      throw new Error(`CPU ${cpu.id} already runs thread ${cpu.curr.id}`);
    }
    if (thread.cpu !== -1 || thread.state !== "runnable" || thread.heapIndex !== -1) {
      throw new Error(`Thread ${thread.id} (${thread.state}) cannot start on CPU ${cpu.id}`);
    }
    const now = this.engine.now;
    if (cpu.busySince < 0) {
      cpu.busySince = now;
      this.#idle.delete(cpu.id);
      this.#idleByLlc[cpu.info.llc]!.delete(cpu.id);
    }
    const migrated = thread.lastCpu >= 0 && this.cpus[thread.lastCpu]!.info.llc !== cpu.info.llc;
    thread.state = "running";
    thread.cpu = cpu.id;
    thread.lastCpu = cpu.id;
    thread.switchTime = now;
    thread.slowdown = thread.homeLlc < 0 ? 1 : slowdown(
      this.topologyCosts,
      this.topology,
      thread.homeLlc,
      thread.memoryIntensity,
      cpu.id,
    );
    // Work left from a slowed run is fractional: whole nanoseconds at full speed.
    if (thread.slowdown === 1) thread.remaining = Math.ceil(thread.remaining);
    cpu.curr = thread;
    let cost = 0;
    if (switched) {
      cost = switchCost + (migrated ? this.costs.crossLlcMigration : 0);
      cpu.overheadNs += cost;
      cpu.switches++;
      thread.pickedCpuTime = thread.cpuTime;
    }
    thread.lastUpdate = now + cost;
    this.tracer?.threadOn(cpu.id, thread, now + cost);
    if (switched && thread.schedClass === "ghost") thread.ghost!.taskOnCpu(thread, cpu.id);
    if (!cpu.tickArmed) this.#armTick(cpu);
    if (thread.spinning) return; // back to spinning until poked
    if (thread.remaining > 0 || cost > 0) {
      this.engine.at(now + cost + this.#wallTime(thread), this.#kindStep, cpu.id, cpu.stepGen);
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

  #onStep(cpuId: number, gen: number): void {
    const cpu = this.cpus[cpuId]!;
    if (gen !== cpu.stepGen) return;
    const thread = cpu.curr;
    if (thread === null) throw new Error(`Step event on idle CPU ${cpuId}`);
    this.#updateCurr(cpu, thread);
    if (thread.slowdown !== 1) thread.remaining = 0; // rounding of slowed work
    if (thread.remaining !== 0) {
      throw new Error(`Thread ${thread.id} stepped with ${thread.remaining} ns left`);
    }
    if (thread.pendingYield) {
      thread.pendingYield = false;
      cpu.stepGen++;
      if (thread.schedClass === "ghost") {
        this.#detach(cpu, thread);
        thread.state = "runnable";
        thread.runnableSince = this.engine.now;
        thread.ghost!.taskYield(thread, cpu.id);
        this.#switchTo(cpu, thread);
        return;
      }
      if (thread.schedClass === "fair" && cpu.rq.size > 0) {
        this.#detach(cpu, thread);
        this.#enqueue(cpu, thread);
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
          this.engine.at(now + this.#wallTime(thread), this.#kindStep, cpu.id, cpu.stepGen);
          return;
        }
        case "yield": {
          // A yield costs a system call, and at least 1 ns so that yielding
          // threads alone on a CPU cannot stop time.
          const ns = Math.max(1, this.costs.syscall);
          thread.remaining = ns;
          thread.lastUpdate = now;
          thread.pendingYield = true;
          this.engine.at(now + ns, this.#kindStep, cpu.id, cpu.stepGen);
          return;
        }
        case "wait": {
          const queue = thread.waitOn;
          if (queue === null) throw new TypeError(`Thread ${thread.id} waits on no queue`);
          this.#detach(cpu, thread);
          thread.state = "blocked";
          queue.add(thread);
          if (thread.schedClass === "ghost") thread.ghost!.taskBlocked(thread, cpu.id);
          this.#switchTo(cpu, thread);
          return;
        }
        case "sleep": {
          const ns = thread.stepNs;
          if (!Number.isInteger(ns) || ns < 0) {
            throw new RangeError(`Thread ${thread.id} asked to sleep ${ns} ns`);
          }
          this.#detach(cpu, thread);
          thread.state = "blocked";
          thread.waitOn = null;
          this.engine.at(now + ns, this.#kindTimer, thread.id, ++thread.timerGen);
          if (thread.schedClass === "ghost") thread.ghost!.taskBlocked(thread, cpu.id);
          this.#switchTo(cpu, thread);
          return;
        }
        case "exit": {
          this.#detach(cpu, thread);
          thread.state = "dead";
          this.#threads.delete(thread.id);
          if (thread.schedClass === "ghost") thread.ghost!.taskDead(thread, cpu.id);
          if (cpu.agent === thread) cpu.agent = null;
          this.onThreadExit?.(thread);
          this.#switchTo(cpu, thread);
          return;
        }
        case "spin": {
          // Keeps the CPU, consuming it, until poke() (a polling agent).
          thread.spinning = true;
          thread.remaining = Number.MAX_SAFE_INTEGER;
          thread.lastUpdate = now;
          return;
        }
        default:
          throw new TypeError(`Thread ${thread.id} returned unknown action "${action}"`);
      }
    }
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
    this.engine.at(this.engine.now, this.#kindStep, cpu.id, cpu.stepGen);
  }

  /**
   * Latches a ghost thread on a CPU (a commit): it starts there at `readyAt`
   * (when the IPI of a remote commit arrives, or now), after `cost` ns of
   * switch overhead on that CPU. A thread latched there before is unlatched
   * and reported preempted. The enclave has validated the commit.
   */
  latch(cpuId: number, thread: Thread, readyAt: number, cost: number): void {
    const cpu = this.cpus[cpuId]!;
    if (thread.schedClass !== "ghost" || thread.state !== "runnable" || thread.latchedCpu >= 0) {
      throw new Error(`Thread ${thread.id} (${thread.state}) cannot be latched on CPU ${cpuId}`);
    }
    const previous = cpu.latched;
    if (previous !== null) {
      this.unlatch(previous);
      previous.ghost!.taskPreempt(previous, cpuId, true, false);
    }
    thread.latchedCpu = cpuId;
    cpu.latched = thread;
    cpu.latchReadyAt = readyAt;
    cpu.latchCost = cost;
    this.#idle.delete(cpuId);
    this.#idleByLlc[cpu.info.llc]!.delete(cpuId);
    if (readyAt <= this.engine.now) this.#requestResched(cpu);
    else this.engine.at(readyAt, this.#kindIpi, cpuId);
  }

  /** Removes a latched thread from its CPU (it stays runnable). */
  unlatch(thread: Thread): void {
    const cpu = this.cpus[thread.latchedCpu];
    if (cpu === undefined || cpu.latched !== thread) {
      throw new Error(`Thread ${thread.id} is not latched`);
    }
    cpu.latched = null;
    thread.latchedCpu = -1;
    if (cpu.curr === null && cpu.rq.size === 0) {
      this.#idle.add(cpu.id);
      this.#idleByLlc[cpu.info.llc]!.add(cpu.id);
    }
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
      thread.ghost!.taskAffinityChanged(thread);
      if (thread.latchedCpu >= 0 && !thread.allowed(thread.latchedCpu)) {
        const cpu = thread.latchedCpu;
        this.unlatch(thread);
        thread.ghost!.taskPreempt(thread, cpu, true, true);
      }
    } else if (thread.state === "runnable" && !thread.allowed(thread.rqCpu)) {
      this.#dequeue(this.cpus[thread.rqCpu]!, thread);
      thread.state = "blocked";
      this.wake(thread, -1);
    }
    if (thread.state === "running" && !thread.allowed(thread.cpu)) {
      this.#requestResched(this.cpus[thread.cpu]!);
    }
  }

  /**
   * Moves a ghost thread to the fair class (its enclave is gone): a running
   * one keeps its CPU, a runnable one is queued on a CPU like a woken
   * thread, a blocked one wakes later as a fair thread.
   */
  moveToFair(thread: Thread): void {
    if (thread.schedClass !== "ghost") return;
    if (thread.latchedCpu >= 0) this.unlatch(thread);
    thread.schedClass = "fair";
    thread.ghost = null;
    if (thread.state === "runnable") {
      thread.state = "blocked";
      this.wake(thread, -1);
    } else if (thread.state === "running") {
      const cpu = this.cpus[thread.cpu]!;
      this.#updateCurr(cpu, thread);
      thread.vruntime = Math.max(thread.vruntime, cpu.rq.minVruntime);
    }
  }

  #onTimer(id: number, gen: number): void {
    const thread = this.#threads.get(id);
    if (thread === undefined || thread.timerGen !== gen || thread.state !== "blocked") return;
    this.wake(thread, -1);
  }

  // ---- tick and load balancing ------------------------------------------

  #armTick(cpu: CpuState): void {
    const next = (Math.floor(this.engine.now / this.tickNs) + 1) * this.tickNs;
    cpu.tickArmed = true;
    this.engine.at(next, this.#kindTick, cpu.id, ++cpu.tickGen);
  }

  #onTick(cpuId: number, gen: number): void {
    const cpu = this.cpus[cpuId]!;
    if (gen !== cpu.tickGen) return;
    cpu.tickArmed = false;
    const curr = cpu.curr;
    if (curr === null) return; // NO_HZ: an idle CPU stops its tick
    this.#updateCurr(cpu, curr);
    this.#checkPreemptTick(cpu, curr);
    cpu.ghost?.cpuTick(cpu.id);
    if (--cpu.balanceCountdown <= 0) {
      cpu.balanceCountdown = this.#balanceTicks;
      this.#periodicBalance(cpu);
    }
    this.#armTick(cpu);
  }

  #checkPreemptTick(cpu: CpuState, curr: Thread): void {
    const first = cpu.rq.peek();
    if (first === null) return;
    const nr = cpu.rq.size + 1;
    const ideal = this.#period(nr) * curr.weight / (cpu.rq.queuedWeight + curr.weight);
    const ran = curr.cpuTime - curr.pickedCpuTime;
    if (ran > ideal) {
      this.#requestResched(cpu);
      return;
    }
    if (ran < this.tunables.minGranularity) return;
    if (curr.vruntime - first.vruntime > ideal) this.#requestResched(cpu);
  }

  /** Running threads plus queued ones. */
  #load(cpu: CpuState): number {
    return cpu.rq.size + (cpu.curr !== null ? 1 : 0);
  }

  /**
   * A CPU about to go idle pulls a waiting thread from the busiest run queue
   * that has one it may run. Returns the pulled thread (now queued here).
   */
  #idleBalance(cpu: CpuState): Thread | null {
    const source = this.#busiest(cpu, 1);
    if (source === null) return null;
    return this.#pull(source, cpu);
  }

  /**
   * Every few ticks a busy CPU pushes a waiting thread to an idle CPU (what
   * Linux's NO_HZ idle balancing achieves), else pulls from a run queue that
   * has at least two more threads than its own.
   */
  #periodicBalance(cpu: CpuState): void {
    if (cpu.rq.size > 0 && this.#idle.size > 0) {
      for (let i = 0; i < this.#idle.size; i++) {
        const target = this.cpus[this.#idle.at(i)]!;
        if (this.#pull(cpu, target) !== null) {
          this.#requestResched(target);
          return;
        }
      }
    }
    const source = this.#busiest(cpu, this.#load(cpu) + 2);
    if (source !== null && this.#pull(source, cpu) !== null) this.#requestResched(cpu);
  }

  /** The overloaded CPU with the highest load >= minLoad, excluding `self`. */
  #busiest(self: CpuState, minLoad: number): CpuState | null {
    let best: CpuState | null = null;
    let bestLoad = minLoad - 1;
    for (let i = 0; i < this.#overloaded.size; i++) {
      const other = this.cpus[this.#overloaded.at(i)]!;
      if (other === self || other.curr === null) continue;
      const load = this.#load(other);
      if (load > bestLoad || (load === bestLoad && best !== null && other.id < best.id)) {
        best = other;
        bestLoad = load;
      }
    }
    return best;
  }

  /** Moves one waiting thread allowed on `target` from `source`; returns it. */
  #pull(source: CpuState, target: CpuState): Thread | null {
    for (let i = 0; i < source.rq.size; i++) {
      const thread = source.rq.at(i)!;
      if (!thread.allowed(target.id)) continue;
      this.#dequeue(source, thread);
      thread.vruntime += target.rq.minVruntime - source.rq.minVruntime;
      thread.lastCpu = target.id;
      this.#enqueue(target, thread);
      return thread;
    }
    return null;
  }
}
