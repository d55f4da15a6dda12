/**
 * The emulated multi-core kernel: per-CPU run queues, context switches that
 * cost CPU time, ticks, wake-up placement, load balancing, and the
 * scheduling-class stack. Today the stack holds the fair class (CFS) above
 * idle; ghOSt's classes take their place in the order of
 * shared/reference/ghost.md: idle < ghost < fair < ghost_agent < stop.
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
import { NICE_0_WEIGHT, Thread, type ThreadOptions, type WaitQueue } from "./thread.ts";
import type { CpuInfo, Topology } from "./topology.ts";
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

  readonly #threads = new Map<number, Thread>();
  readonly #idle: CpuSet;
  readonly #idleByLlc: CpuSet[];
  readonly #overloaded: CpuSet;
  readonly #balanceTicks: number;
  readonly #kindResched: number;
  readonly #kindStep: number;
  readonly #kindTick: number;
  readonly #kindTimer: number;
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
  spawn(behavior: Thread["behavior"], options: ThreadOptions): Thread {
    const thread = new Thread(this.#nextId++, behavior, options, this.cpus.length);
    this.#threads.set(thread.id, thread);
    this.#totalThreads++;
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
      if ((thread.state === "runnable") !== (thread.rqCpu >= 0)) {
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
    thread.remaining -= delta;
    if (thread.remaining < 0) {
      throw new Error(`Thread ${thread.id} ran ${-thread.remaining} ns past its step`);
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
  }

  #onResched(cpuId: number): void {
    const cpu = this.cpus[cpuId]!;
    cpu.reschedPending = false;
    const prev = cpu.curr;
    if (prev !== null) {
      this.#detach(cpu, prev);
      this.#enqueue(cpu, prev);
    }
    this.#switchTo(cpu, prev);
  }

  /** Picks and runs the next thread on a CPU whose curr is null. */
  #switchTo(cpu: CpuState, prev: Thread | null): void {
    let next = cpu.rq.peekSkipping(cpu.yieldSkip);
    cpu.yieldSkip = null;
    if (next === null) next = this.#idleBalance(cpu);
    if (next === null) {
      this.#goIdle(cpu);
      return;
    }
    this.#dequeue(cpu, next);
    this.#run(cpu, next, next !== prev);
  }

  #goIdle(cpu: CpuState): void {
    if (cpu.curr !== null || cpu.rq.size !== 0) {
      throw new Error(`CPU ${cpu.id} cannot go idle with work`);
    }
    if (cpu.busySince >= 0) cpu.busyNs += this.engine.now - cpu.busySince;
    cpu.busySince = -1;
    this.#idle.add(cpu.id);
    this.#idleByLlc[cpu.info.llc]!.add(cpu.id);
  }

  #run(cpu: CpuState, thread: Thread, switched: boolean): void {
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
    thread.state = "running";
    thread.cpu = cpu.id;
    thread.lastCpu = cpu.id;
    cpu.curr = thread;
    let cost = 0;
    if (switched) {
      cost = this.costs.cfsContextSwitch;
      cpu.overheadNs += cost;
      cpu.switches++;
      thread.pickedCpuTime = thread.cpuTime;
    }
    thread.lastUpdate = now + cost;
    if (!cpu.tickArmed) this.#armTick(cpu);
    if (thread.remaining > 0 || cost > 0) {
      this.engine.at(now + cost + thread.remaining, this.#kindStep, cpu.id, cpu.stepGen);
    } else {
      this.#advance(cpu, thread);
    }
  }

  #onStep(cpuId: number, gen: number): void {
    const cpu = this.cpus[cpuId]!;
    if (gen !== cpu.stepGen) return;
    const thread = cpu.curr;
    if (thread === null) throw new Error(`Step event on idle CPU ${cpuId}`);
    this.#updateCurr(cpu, thread);
    if (thread.remaining !== 0) {
      throw new Error(`Thread ${thread.id} stepped with ${thread.remaining} ns left`);
    }
    if (thread.pendingYield) {
      thread.pendingYield = false;
      cpu.stepGen++;
      if (cpu.rq.size > 0) {
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
          this.engine.at(now + ns, this.#kindStep, cpu.id, cpu.stepGen);
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
          this.#switchTo(cpu, thread);
          return;
        }
        case "exit": {
          this.#detach(cpu, thread);
          thread.state = "dead";
          this.#threads.delete(thread.id);
          this.onThreadExit?.(thread);
          this.#switchTo(cpu, thread);
          return;
        }
        default:
          throw new TypeError(`Thread ${thread.id} returned unknown action "${action}"`);
      }
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
