/**
 * `search`: a NUMA- and CCX-aware centralized policy, after the one the ghOSt
 * paper ran for Google Search on multi-socket AMD machines. One spinning
 * global agent keeps a FIFO per priority class (from the thread's nice value:
 * lower nice, higher class) and fills idle CPUs in group commits, highest
 * class first. Each thread goes where its data is: an idle CPU of its home
 * LLC (the CCX holding its data, `homeLlc`), else of another LLC of its home
 * NUMA node, else of the LLC with the most idle CPUs. A thread whose work is
 * not memory-bound (memory intensity 0, or no home) goes straight to the LLC
 * with the most idle CPUs, leaving home slots to those that need them. Idle
 * CPUs are indexed per LLC, so a decision looks at LLCs, never at every CPU.
 *
 * It works well when memory-bound work has somewhere near its data to run:
 * below saturation, nearly every memory-heavy thread runs on its own CCX or
 * at least its own socket, at full speed or close to it, where a
 * topology-blind scheduler (CFS, the centralized FIFO) lands it anywhere and
 * pays the remote-cache and remote-DRAM slowdown. Short, high-class threads
 * jump the queue ahead of long ones, and when nothing is idle near their
 * data they preempt a lower-class (long) thread there rather than run on
 * another socket: the home LLC first, then the home node, then an idle CPU
 * anywhere, then a lower-class thread anywhere. What it trades away: long
 * threads are preempted and lose their caches; strict classes can starve
 * low-class threads under sustained overload (no aging); and it costs one
 * CPU for the agent, whose decision rate caps the machine. A preempted
 * thread goes to the front of its class. A thread
 * discovered running (an agent attaching to a live enclave: upgrade,
 * restart) keeps its CPU, which counts as busy.
 *
 * @module
 */

import { CpuSet } from "../core/cpu_set.ts";
import { MSG, TXN } from "../core/ghost_abi.ts";
import type { Message } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { Deque } from "./_deque.ts";
import { type Task, TaskTable } from "./task_table.ts";

interface SearchTask extends Task {
  /** Priority class: 0 is the highest (nice -20), 39 the lowest. */
  readonly qos: number;
  /** LLC holding its data, or -1 when its placement does not matter. */
  readonly homeLlc: number;
}

const CLASSES = 40;

/** The NUMA- and CCX-aware Search policy. */
export class Search implements Policy {
  readonly name = "search";
  readonly model = "centralized" as const;
  readonly #queues: Deque[] = Array.from({ length: CLASSES }, () => new Deque());
  #waiting = 0;
  /** Idle enclave CPUs (as the policy believes), one set per LLC. */
  #idleByLlc: CpuSet[] = [];
  #idleCount = 0;
  /** LLC of each CPU, NUMA node of each LLC, LLCs of each node. */
  #cpuLlc: Int32Array = new Int32Array(0);
  #llcNuma: Int32Array = new Int32Array(0);
  #numaLlcs: number[][] = [];
  #allLlcs: number[] = [];
  #llcCpus: number[][] = [];
  /** Class of the thread each CPU holds (CLASSES: none), and how many run per class. */
  #currentQos: Int32Array = new Int32Array(0);
  readonly #running: Int32Array = new Int32Array(CLASSES);
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  #ready = false;
  readonly #tasks: TaskTable<SearchTask> = new TaskTable(this.name, {
    create: (ctx, msg) => this.#create(ctx, msg),
    enqueue: (_ctx, task, msg) => {
      // Preempted (by the kernel or by a shorter query), or a failed commit: first in its class.
      this.#enqueue(task, msg === null || msg.type === MSG.TASK_PREEMPT);
    },
    dequeue: (_ctx, task) => {
      if (this.#queues[task.qos]!.remove(task.gtid)) this.#waiting--;
    },
    adopt: (_ctx, task) => this.#setClass(task.cpu, task.qos),
    vacate: (_ctx, _task, cpu) => this.#setClass(cpu, CLASSES),
  });

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#tasks.setUp(ctx);
    const topology = ctx.topology;
    const n = topology.size;
    this.#cpuLlc = Int32Array.from(topology.cpus, (cpu) => cpu.llc);
    this.#llcNuma = Int32Array.from(topology.llcs, (cpus) => topology.cpus[cpus[0]!]!.numa);
    this.#numaLlcs = topology.numaNodes.map(() => []);
    this.#llcNuma.forEach((numa, llc) => this.#numaLlcs[numa]!.push(llc));
    this.#allLlcs = topology.llcs.map((_, llc) => llc);
    const enclave = new Set(ctx.cpus);
    this.#llcCpus = topology.llcs.map((cpus) => cpus.filter((cpu) => enclave.has(cpu)));
    this.#idleByLlc = topology.llcs.map(() => new CpuSet(n));
    this.#currentQos = new Int32Array(n).fill(CLASSES);
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
    for (const cpu of ctx.cpus) this.#markIdle(cpu);
  }

  /** A new task: its class from its nice value, its home LLC if its work is memory-bound. */
  #create(ctx: AgentContext, msg: Message): SearchTask {
    this.#setUp(ctx);
    const qos = Math.min(CLASSES - 1, Math.max(0, msg.aux + 20));
    const status = ctx.status(msg.gtid);
    const homeLlc = status !== undefined && status.memoryIntensity > 0 &&
        status.homeLlc < this.#idleByLlc.length
      ? status.homeLlc
      : -1;
    return { gtid: msg.gtid, state: "blocked", cpu: -1, qos, homeLlc };
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

  #enqueue(task: SearchTask, front: boolean): void {
    if (front) this.#queues[task.qos]!.pushFront(task.gtid);
    else this.#queues[task.qos]!.pushBack(task.gtid);
    this.#waiting++;
  }

  /** Records the class of what `cpu` holds (CLASSES: nothing, then it is idle). */
  #setClass(cpu: number, qos: number): void {
    const old = this.#currentQos[cpu]!;
    if (old < CLASSES) this.#running[old]!--;
    if (qos < CLASSES) this.#running[qos]!++;
    this.#currentQos[cpu] = qos;
    if (qos === CLASSES) this.#markIdle(cpu);
    else this.#markBusy(cpu);
  }

  /** TASK_NEW: its class from its nice value, its home from its status word. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: back of its class. */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskBlocked(ctx, msg);
  }

  /** TASK_PREEMPT: front of its class. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: back of its class. */
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskYield(ctx, msg);
  }

  /** TASK_DEAD. */
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDead(ctx, msg);
  }

  /** TASK_DEPARTED: out of its class (or off its CPU) and forgotten. */
  taskDeparted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDeparted(ctx, msg);
  }

  /**
   * Places waiting threads, highest class first, near their data; a thread
   * with no idle CPU to go to may preempt a lower-class one. One group commit.
   */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    const tasks = this.#tasks;
    let opened = 0;
    let qos = 0;
    while (this.#waiting > 0) {
      while (this.#queues[qos]!.size === 0) qos++;
      const queue = this.#queues[qos]!;
      const gtid = queue.peekFront();
      const task = tasks.get(gtid);
      const cpu = this.#pickCpu(ctx, task);
      if (cpu < 0) break; // nothing idle and nothing lower to preempt
      queue.popFront();
      this.#waiting--;
      // A thread running there loses the CPU now; its TASK_PREEMPT will queue it.
      tasks.pend(task, cpu);
      this.#setClass(cpu, task.qos);
      ctx.open(cpu, gtid);
      this.#openCpus[opened] = cpu;
      this.#openGtids[opened] = gtid;
      opened++;
    }
    if (opened === 0) return;
    ctx.commit();
    // Failed ones go back to the front of their class, in their original order.
    for (let i = opened - 1; i >= 0; i--) {
      const cpu = this.#openCpus[i]!;
      const task = tasks.get(this.#openGtids[i]!);
      if (ctx.outcome(cpu) === TXN.COMPLETE) tasks.run(task, cpu);
      else tasks.cancel(ctx, task);
    }
  }

  /**
   * The CPU for a task: an idle one in its home LLC, else its home NUMA node;
   * else (memory-bound) one running a lower class there; else an idle one
   * anywhere; else one running a lower class anywhere. -1 if none.
   */
  #pickCpu(ctx: AgentContext, task: SearchTask): number {
    const home = task.homeLlc;
    if (home >= 0) {
      const cpu = this.#usableIn(ctx, home);
      if (cpu >= 0) return cpu;
      const node = this.#numaLlcs[this.#llcNuma[home]!]!;
      const near = this.#mostIdle(ctx, node);
      if (near >= 0) return near;
      if (this.#lowerRuns(task.qos)) {
        const victim = this.#lowerIn(ctx, home, task.qos);
        if (victim >= 0) return victim;
        for (const llc of node) {
          const other = this.#lowerIn(ctx, llc, task.qos);
          if (other >= 0) return other;
        }
      }
    }
    const anywhere = this.#mostIdle(ctx, this.#allLlcs);
    if (anywhere >= 0 || !this.#lowerRuns(task.qos)) return anywhere;
    for (const llc of this.#allLlcs) {
      const other = this.#lowerIn(ctx, llc, task.qos);
      if (other >= 0) return other;
    }
    return -1;
  }

  /** Whether any thread of a class below `qos` runs. */
  #lowerRuns(qos: number): boolean {
    for (let q = qos + 1; q < CLASSES; q++) if (this.#running[q]! > 0) return true;
    return false;
  }

  /** A CPU of `llc` running the lowest class below `qos` (committed, not the agent's), or -1. */
  #lowerIn(ctx: AgentContext, llc: number, qos: number): number {
    let best = -1;
    let bestQos = qos;
    for (const cpu of this.#llcCpus[llc]!) {
      const q = this.#currentQos[cpu]!;
      if (q <= bestQos || q >= CLASSES || cpu === ctx.globalCpu || this.#committing(cpu)) continue;
      if (ctx.cpuAvailable(cpu)) {
        best = cpu;
        bestQos = q;
      }
    }
    return best;
  }

  /** Whether `cpu` was committed to in the round under way (re-opening it would abort that). */
  #committing(cpu: number): boolean {
    return this.#tasks.find(this.#tasks.holder(cpu))?.state === "pending";
  }

  /** An idle CPU of the LLC, among `llcs`, with the most idle CPUs; -1 if none. */
  #mostIdle(ctx: AgentContext, llcs: readonly number[]): number {
    let best = -1;
    let bestIdle = 0;
    for (const llc of llcs) {
      const idle = this.#idleByLlc[llc]!.size;
      if (idle <= bestIdle) continue;
      const cpu = this.#usableIn(ctx, llc);
      if (cpu >= 0) {
        best = cpu;
        bestIdle = idle;
      }
    }
    return best;
  }

  /** An idle CPU of `llc` that a commit can use (not the agent's, no higher class), or -1. */
  #usableIn(ctx: AgentContext, llc: number): number {
    const set = this.#idleByLlc[llc]!;
    for (let i = 0; i < set.size; i++) {
      const cpu = set.at(i);
      if (cpu !== ctx.globalCpu && ctx.cpuAvailable(cpu)) return cpu;
    }
    return -1;
  }
}
