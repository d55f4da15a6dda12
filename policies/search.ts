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

import type { AgentContext, Policy } from "../core/policy.ts";
import { CpuSet } from "../core/cpu_set.ts";
import { TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import { Deque } from "./_deque.ts";

/** A task's state as this policy tracks it. */
type TaskState = "blocked" | "queued" | "onCpu";

interface Task {
  state: TaskState;
  /** Priority class: 0 is the highest (nice -20), 39 the lowest. */
  qos: number;
  /** LLC holding its data, or -1 when its placement does not matter. */
  homeLlc: number;
  /** CPU it was committed to, or -1. */
  cpu: number;
}

const CLASSES = 40;

/** The NUMA- and CCX-aware Search policy. */
export class Search implements Policy {
  readonly name = "search";
  readonly model = "centralized" as const;
  readonly #tasks = new Map<number, Task>();
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
  #current: Float64Array = new Float64Array(0);
  /** Class of the thread each CPU runs (CLASSES: none), and how many run per class. */
  #currentQos: Int32Array = new Int32Array(0);
  readonly #running: Int32Array = new Int32Array(CLASSES);
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  #ready = false;

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
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
    this.#current = new Float64Array(n).fill(-1);
    this.#currentQos = new Int32Array(n).fill(CLASSES);
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
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

  #task(msg: Message): Task {
    const task = this.#tasks.get(msg.gtid);
    if (task === undefined) throw new Error(`${this.name}: unknown task ${msg.gtid}`);
    return task;
  }

  #enqueue(gtid: number, task: Task, front: boolean): void {
    task.state = "queued";
    if (front) this.#queues[task.qos]!.pushFront(gtid);
    else this.#queues[task.qos]!.pushBack(gtid);
    this.#waiting++;
  }

  #offCpu(task: Task, gtid: number): void {
    if (task.state !== "onCpu") {
      throw new Error(`${this.name}: task ${gtid} is ${task.state}, expected onCpu`);
    }
    const cpu = task.cpu;
    if (cpu >= 0 && this.#current[cpu] === gtid) this.#setCurrent(cpu, -1, CLASSES);
    task.cpu = -1;
  }

  /** Records what runs on `cpu` (-1: nothing, then it is idle). */
  #setCurrent(cpu: number, gtid: number, qos: number): void {
    const old = this.#currentQos[cpu]!;
    if (old < CLASSES) this.#running[old]!--;
    if (qos < CLASSES) this.#running[qos]!++;
    this.#current[cpu] = gtid;
    this.#currentQos[cpu] = qos;
    if (gtid < 0) this.#markIdle(cpu);
    else this.#markBusy(cpu);
  }

  taskNew(ctx: AgentContext, msg: Message): void {
    this.#setUp(ctx);
    const qos = Math.min(CLASSES - 1, Math.max(0, msg.aux + 20));
    const status = ctx.status(msg.gtid);
    const homeLlc = status !== undefined && status.memoryIntensity > 0 &&
        status.homeLlc < this.#idleByLlc.length
      ? status.homeLlc
      : -1;
    const task: Task = { state: "blocked", qos, homeLlc, cpu: -1 };
    this.#tasks.set(msg.gtid, task);
    if ((msg.flags & MSG_FLAG_ON_CPU) !== 0) {
      // Discovered running on (or latched to) msg.cpu: as if just committed.
      const cpu = msg.cpu;
      if (!ctx.cpus.includes(cpu)) {
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, not an enclave CPU`);
      }
      if (this.#current[cpu] !== -1) {
        throw new Error(
          `${this.name}: task ${msg.gtid} on CPU ${cpu}, which runs ${this.#current[cpu]}`,
        );
      }
      task.state = "onCpu";
      task.cpu = cpu;
      this.#setCurrent(cpu, msg.gtid, qos);
    } else if ((msg.flags & MSG_FLAG_RUNNABLE) !== 0) {
      this.#enqueue(msg.gtid, task, false);
    }
  }

  taskRunnable(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    if (task.state !== "blocked") throw new Error(`${this.name}: wakeup of ${task.state} task`);
    this.#enqueue(msg.gtid, task, false);
  }

  taskBlocked(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid);
    task.state = "blocked";
  }

  taskPreempted(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid);
    // Preempted by the kernel, or by a shorter query: it goes first in its class.
    this.#enqueue(msg.gtid, task, true);
  }

  taskYield(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid);
    this.#enqueue(msg.gtid, task, false);
  }

  taskDead(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    if (task.state !== "blocked") throw new Error(`${this.name}: dead task was ${task.state}`);
    this.#tasks.delete(msg.gtid);
  }

  /**
   * Places waiting threads, highest class first, near their data; a thread
   * with no idle CPU to go to may preempt a lower-class one. One group commit.
   */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    let opened = 0;
    let qos = 0;
    while (this.#waiting > 0) {
      while (this.#queues[qos]!.size === 0) qos++;
      const queue = this.#queues[qos]!;
      const gtid = queue.peekFront();
      const task = this.#tasks.get(gtid)!;
      const cpu = this.#pickCpu(ctx, task);
      if (cpu < 0) break; // nothing idle and nothing lower to preempt
      queue.popFront();
      this.#waiting--;
      const victim = this.#current[cpu]!;
      if (victim >= 0) {
        // Its TASK_PREEMPT will queue it; the CPU is no longer its own.
        this.#tasks.get(victim)!.cpu = -1;
      }
      this.#setCurrent(cpu, gtid, task.qos);
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
      const gtid = this.#openGtids[i]!;
      const task = this.#tasks.get(gtid)!;
      if (ctx.outcome(cpu) === TXN.COMPLETE) {
        task.state = "onCpu";
        task.cpu = cpu;
      } else {
        if (this.#current[cpu] === gtid) this.#setCurrent(cpu, -1, CLASSES);
        this.#enqueue(gtid, task, true);
      }
    }
  }

  /**
   * The CPU for a task: an idle one in its home LLC, else its home NUMA node;
   * else (memory-bound) one running a lower class there; else an idle one
   * anywhere; else one running a lower class anywhere. -1 if none.
   */
  #pickCpu(ctx: AgentContext, task: Task): number {
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
      if (q > bestQos && q < CLASSES && cpu !== ctx.globalCpu && ctx.cpuAvailable(cpu)) {
        best = cpu;
        bestQos = q;
      }
    }
    return best;
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
