/**
 * `search`: the policy the ghOSt paper ran for Google Search on 2 × AMD Rome
 * (§4.4, pp.598–599). One spinning global agent schedules every CPU. Runnable
 * threads wait in a min-heap ordered by elapsed runtime (the CPU time in
 * their status word when they became runnable: least first, ties in arrival
 * order) and run to completion: the agent never preempts; only a CFS thread
 * can take a CPU away. Nice values are ignored. A thread's cpumask (its
 * data's socket) is read from its status word, intersected with the idle
 * CPUs, and a thread with no allowed idle CPU is skipped and retried on the
 * next pass.
 *
 * CPU choice, topology-aware (the default): an idle CPU of the core the
 * thread last ran on (shares its L1/L2), else of that CCX (its L3), else,
 * once it has waited `holdNs` (100 us: "about 100 us", p.599) for that CCX,
 * the nearest CCX with an idle CPU (same socket first). A new thread goes to
 * the CCX with the most idle CPUs (fan-out). With `topologyAware: false` (the
 * ablation: the policy before its NUMA and CCX work, p.599) it takes the
 * first idle allowed CPU and never holds a thread.
 *
 * The agent's loop is not free: it scans the CPUs every pass, so a pass
 * costs `scanPerCpuNs` per enclave CPU (117 ns: the paper's 30 us loop on 256
 * CPUs, p.600). A pass starts on a boundary of that period, as a loop that
 * never stops would (late, if the agent was busy delivering messages): a
 * thread waits for the next pass (`AgentContext.wakeAt`), on average half
 * a period.
 *
 * It works well when most threads are short and come back to the CCX whose
 * caches they warmed: one queue for the machine, so no CPU idles while a
 * thread waits elsewhere, and placement keeps memory-bound work near its
 * data. What it trades away: nice values (a CPU-heavy type CFS would favour
 * gets no help); long-lived threads, having run the longest, go last when
 * the machine is full; a thread may wait up to `holdNs` beside idle CPUs of
 * another CCX; and one CPU is the agent's, whose pass period delays every
 * decision. A thread discovered running (an agent attaching to a live
 * enclave: upgrade, restart) keeps its CPU, which counts as busy.
 *
 * @module
 */

import { CpuSet } from "../core/cpu_set.ts";
import { TXN } from "../core/ghost_abi.ts";
import type { Message } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { US } from "../core/units.ts";
import { IndexedHeap } from "./_indexed_heap.ts";
import { type Task, TaskTable } from "./task_table.ts";

/**
 * How long a thread waits for an idle CPU of its last CCX before going to
 * another: "about 100 us" (paper §4.4, p.599), a value read from the paper.
 */
export const SEARCH_HOLD_NS = 100 * US;

/**
 * The agent's time per enclave CPU scanned in a pass, ns: the paper's 30 us
 * scheduling loop on 256 CPUs (§5, p.600) spread evenly over the CPUs (117
 * ns; 29.95 us on 256 CPUs, 7.5 us on 64). Read from the paper, not fitted;
 * that it grows linearly with the CPUs is an assumption.
 */
export const SEARCH_SCAN_PER_CPU_NS = Math.round(30 * US / 256);

/** Options of {@link Search}. */
export interface SearchPolicyOptions {
  /** Prefer the last core, then its CCX, hold, then the nearest CCX. @default true */
  topologyAware?: boolean;
  /** How long a thread waits for its last CCX, ns. @default SEARCH_HOLD_NS */
  holdNs?: number;
  /** Agent time per enclave CPU per pass, ns (0: passes are free). @default SEARCH_SCAN_PER_CPU_NS */
  scanPerCpuNs?: number;
}

interface SearchTask extends Task {
  /** Heap key: elapsed runtime when it became runnable, ns. */
  key: number;
  /** Tie-break: order of becoming runnable. */
  seq: number;
  /** When it became runnable, ns. */
  since: number;
  /** The CPU it last ran on, or -1. */
  lastCpu: number;
  /** Index in the heap, or -1. */
  heapIndex: number;
}

/** Returned by the CPU choice: the thread waits for its last CCX. */
const HOLD = -2;

/** The Search policy of the ghOSt paper. */
export class Search implements Policy {
  readonly name = "search";
  readonly model = "centralized" as const;
  readonly #topologyAware: boolean;
  readonly #holdNs: number;
  readonly #scanPerCpuNs: number;
  /** The pass period, ns (set up with the enclave). */
  #periodNs = 0;
  /** When the last pass ran, ns. */
  #lastPass = -1;
  /** The boundary of the pass asked for, or -1. */
  #due = -1;
  readonly #heap = new IndexedHeap<SearchTask>((a, b) =>
    a.key < b.key || (a.key === b.key && a.seq < b.seq)
  );
  #seq = 0;
  /** Idle enclave CPUs (as the policy believes), one set per LLC. */
  #idleByLlc: CpuSet[] = [];
  #idleCount = 0;
  /** Per LLC: every LLC, nearest first (same socket by distance, then the others). */
  #nearest: number[][] = [];
  #cpuLlc: Int32Array = new Int32Array(0);
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  readonly #skipped: SearchTask[] = [];
  #ready = false;
  readonly #tasks: TaskTable<SearchTask> = new TaskTable(this.name, {
    create: (_ctx, msg) => ({
      gtid: msg.gtid,
      state: "blocked",
      cpu: -1,
      key: 0,
      seq: 0,
      since: 0,
      lastCpu: -1,
      heapIndex: -1,
    }),
    enqueue: (ctx, task, msg) => {
      // A failed commit (msg null) keeps its place and its waiting time.
      if (msg !== null) {
        task.key = ctx.status(task.gtid)?.cpuTime ?? msg.runtime;
        task.seq = this.#seq++;
        task.since = ctx.now;
      }
      this.#heap.push(task);
    },
    dequeue: (_ctx, task) => void this.#heap.remove(task),
    adopt: (_ctx, task) => {
      task.lastCpu = task.cpu;
      this.#markBusy(task.cpu);
    },
    vacate: (_ctx, _task, cpu) => this.#markIdle(cpu),
  });

  /** Creates the policy. */
  constructor(options: SearchPolicyOptions = {}) {
    this.#topologyAware = options.topologyAware ?? true;
    this.#holdNs = options.holdNs ?? SEARCH_HOLD_NS;
    this.#scanPerCpuNs = options.scanPerCpuNs ?? SEARCH_SCAN_PER_CPU_NS;
    if (!(this.#holdNs >= 0) || !(this.#scanPerCpuNs >= 0)) {
      throw new RangeError(
        `Search needs holdNs and scanPerCpuNs >= 0: got ${this.#holdNs}, ${this.#scanPerCpuNs}`,
      );
    }
  }

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#tasks.setUp(ctx);
    const topology = ctx.topology;
    const n = topology.size;
    this.#periodNs = Math.round(this.#scanPerCpuNs * ctx.cpus.length);
    this.#cpuLlc = Int32Array.from(topology.cpus, (cpu) => cpu.llc);
    const socketOf = topology.llcs.map((cpus) => topology.cpus[cpus[0]!]!.socket);
    this.#nearest = topology.llcs.map((_, from) =>
      topology.llcs.map((_, llc) => llc).sort((a, b) =>
        Number(socketOf[a] !== socketOf[from]) - Number(socketOf[b] !== socketOf[from]) ||
        Math.abs(a - from) - Math.abs(b - from) || a - b
      )
    );
    this.#idleByLlc = topology.llcs.map(() => new CpuSet(n));
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
    // The global agent's CPU counts as idle too: the agent may move (BOOST_PRIO).
    for (const cpu of ctx.cpus) this.#markIdle(cpu);
  }

  #markIdle(cpu: number): void {
    const set = this.#idleByLlc[this.#cpuLlc[cpu]!]!;
    if (set.has(cpu)) return;
    set.add(cpu);
    this.#idleCount++;
  }

  #markBusy(cpu: number): void {
    const set = this.#idleByLlc[this.#cpuLlc[cpu]!]!;
    if (!set.has(cpu)) return;
    set.delete(cpu);
    this.#idleCount--;
  }

  /** TASK_NEW: a runnable one joins the heap. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#setUp(ctx);
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: into the heap at its elapsed runtime. */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED: its CPU is idle. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskBlocked(ctx, msg);
  }

  /** TASK_PREEMPT (a CFS thread took the CPU): back into the heap. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: back into the heap. */
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskYield(ctx, msg);
  }

  /** TASK_DEAD. */
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDead(ctx, msg);
  }

  /** TASK_DEPARTED: out of the heap (or off its CPU) and forgotten. */
  taskDeparted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDeparted(ctx, msg);
  }

  /**
   * One pass, at most once per pass period: places waiting threads, least
   * elapsed runtime first, skipping those with no CPU to go to; one group
   * commit.
   */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    if (this.#heap.size === 0) return;
    const now = ctx.now;
    const period = this.#periodNs;
    if (period > 0) {
      // The loop runs all the time: a pass starts on a period boundary, or
      // late when the agent was busy (delivering messages) as one came.
      const onBoundary = now % period === 0 && this.#lastPass < now;
      const late = this.#due >= 0 && now >= this.#due;
      if (!onBoundary && !late) {
        this.#nextPass(ctx);
        return;
      }
      this.#due = -1;
    }
    this.#lastPass = now;
    const tasks = this.#tasks;
    const skipped = this.#skipped;
    let held = false;
    let opened = 0;
    while (this.#heap.size > 0 && this.#idleCount > this.#agentIdle(ctx)) {
      const task = this.#heap.pop();
      const cpu = this.#pickCpu(ctx, task);
      if (cpu < 0) {
        held ||= cpu === HOLD;
        skipped.push(task);
        continue;
      }
      tasks.pend(task, cpu);
      this.#markBusy(cpu);
      ctx.open(cpu, task.gtid);
      this.#openCpus[opened] = cpu;
      this.#openGtids[opened] = task.gtid;
      opened++;
    }
    for (const task of skipped) this.#heap.push(task);
    skipped.length = 0;
    // Held threads, or threads whose cpumask missed the idle CPUs, try again next pass.
    if (held || (this.#heap.size > 0 && this.#idleCount > this.#agentIdle(ctx))) {
      this.#nextPass(ctx);
    }
    if (opened === 0) return;
    ctx.commit();
    for (let i = 0; i < opened; i++) {
      const cpu = this.#openCpus[i]!;
      const task = tasks.get(this.#openGtids[i]!);
      if (ctx.outcome(cpu) === TXN.COMPLETE) {
        tasks.run(task, cpu);
        task.lastCpu = cpu;
      } else {
        tasks.cancel(ctx, task);
      }
    }
  }

  /** Asks for the next pass: on the next period boundary (or the next nanosecond). */
  #nextPass(ctx: AgentContext): void {
    const now = ctx.now;
    const period = this.#periodNs;
    const at = period > 0 ? now - now % period + period : now + 1;
    if (period > 0) this.#due = at;
    ctx.wakeAt(at);
  }

  /** 1 if the global agent's CPU is in the idle sets, else 0. */
  #agentIdle(ctx: AgentContext): number {
    const cpu = ctx.globalCpu;
    return cpu >= 0 && this.#idleByLlc[this.#cpuLlc[cpu]!]!.has(cpu) ? 1 : 0;
  }

  /** The CPU for a task, -1 if none is allowed and idle, or HOLD. */
  #pickCpu(ctx: AgentContext, task: SearchTask): number {
    const status = ctx.status(task.gtid);
    const allowed = (cpu: number) =>
      cpu !== ctx.globalCpu && (status === undefined || status.allowed(cpu)) &&
      ctx.cpuAvailable(cpu);
    if (!this.#topologyAware) {
      for (const set of this.#idleByLlc) {
        for (let i = 0; i < set.size; i++) if (allowed(set.at(i))) return set.at(i);
      }
      return -1;
    }
    const last = task.lastCpu;
    if (last < 0) return this.#mostIdle(allowed);
    // The same core: the CPU itself, then its SMT siblings (they share L1/L2).
    const llc = this.#cpuLlc[last]!;
    const home = this.#idleByLlc[llc]!;
    if (home.has(last) && allowed(last)) return last;
    for (const sibling of ctx.topology.cpus[last]!.siblings) {
      if (home.has(sibling) && allowed(sibling)) return sibling;
    }
    const same = this.#firstIn(llc, allowed);
    if (same >= 0) return same;
    if (ctx.now - task.since < this.#holdNs) return HOLD;
    for (const other of this.#nearest[llc]!) {
      const cpu = this.#firstIn(other, allowed);
      if (cpu >= 0) return cpu;
    }
    return -1;
  }

  /** An allowed idle CPU of `llc`, or -1. */
  #firstIn(llc: number, allowed: (cpu: number) => boolean): number {
    const set = this.#idleByLlc[llc]!;
    for (let i = 0; i < set.size; i++) if (allowed(set.at(i))) return set.at(i);
    return -1;
  }

  /** An allowed idle CPU of the LLC with the most idle CPUs, or -1. */
  #mostIdle(allowed: (cpu: number) => boolean): number {
    let best = -1;
    let bestIdle = 0;
    for (let llc = 0; llc < this.#idleByLlc.length; llc++) {
      const idle = this.#idleByLlc[llc]!.size;
      if (idle <= bestIdle) continue;
      const cpu = this.#firstIn(llc, allowed);
      if (cpu >= 0) {
        best = cpu;
        bestIdle = idle;
      }
    }
    return best;
  }
}
