/**
 * `shinjuku`: the Shinjuku policy (NSDI 2019) as a ghOSt global agent. One
 * FIFO per QoS class (from the thread's nice value: lower nice, higher
 * class). The agent first fills idle CPUs, highest class first; then it
 * preempts a thread when a higher class waits, or when a thread of the same
 * class has run a full slice (default 30 us) while others wait. A thread the
 * policy preempted goes to the back of its class; one the kernel preempted
 * goes to the front. A thread discovered running (an agent attaching to a
 * live enclave: upgrade, restart) holds its CPU as if just committed there,
 * its slice starting at discovery.
 *
 * It wins with dispersive service times: a 5 ms request cannot block 10 us
 * ones for longer than a slice, so short requests see processor sharing
 * rather than head-of-line blocking. It pays with one CPU for the agent,
 * a commit per slice per busy CPU, and preemptions that hurt long requests
 * and cache locality.
 *
 * @module
 */

import type { AgentContext, Policy } from "../core/policy.ts";
import { CpuSet } from "../core/cpu_set.ts";
import { TXN } from "../core/ghost_abi.ts";
import {
  type Message,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
} from "../core/message_queue.ts";
import { US } from "../core/units.ts";
import { Deque } from "./_deque.ts";

/** A task's state as this policy tracks it. */
type TaskState = "blocked" | "queued" | "onCpu";

interface Task {
  state: TaskState;
  /** QoS class: 0 is the highest (nice -20), 39 the lowest. */
  qos: number;
  /** CPU it was committed to, or -1. */
  cpu: number;
}

/** Options of Shinjuku. */
export interface ShinjukuOptions {
  /** Preemption slice, ns. @default 30 us (the paper's experiments) */
  sliceNs?: number;
}

const CLASSES = 40;

/** The Shinjuku policy. */
export class Shinjuku implements Policy {
  readonly name = "shinjuku";
  readonly model = "centralized" as const;
  readonly #tasks = new Map<number, Task>();
  readonly #queues: Deque[] = Array.from({ length: CLASSES }, () => new Deque());
  readonly #slice: number;
  #waiting = 0;
  #current: Int32Array = new Int32Array(0);
  #startedAt: Float64Array = new Float64Array(0);
  #idle: CpuSet = new CpuSet(0);
  /** Per class, busy CPUs in the order their threads started (slices expire in this order). */
  readonly #busy: Deque[] = Array.from({ length: CLASSES }, () => new Deque());
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  #ready = false;

  /** Creates the policy. */
  constructor(options: ShinjukuOptions = {}) {
    this.#slice = options.sliceNs ?? 30 * US;
    if (!(this.#slice > 0)) throw new RangeError(`Shinjuku slice must be positive: ${this.#slice}`);
  }

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    const n = ctx.topology.size;
    this.#current = new Int32Array(n).fill(-1);
    this.#startedAt = new Float64Array(n);
    this.#idle = new CpuSet(n);
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
    for (const cpu of ctx.cpus) this.#idle.add(cpu);
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

  /** The highest class with a waiting thread, or CLASSES. */
  #topClass(): number {
    if (this.#waiting === 0) return CLASSES;
    for (let q = 0; q < CLASSES; q++) if (this.#queues[q]!.size > 0) return q;
    return CLASSES;
  }

  #dequeue(qos: number): number {
    this.#waiting--;
    return this.#queues[qos]!.popFront();
  }

  #offCpu(task: Task, gtid: number): void {
    if (task.state !== "onCpu") {
      throw new Error(`${this.name}: task ${gtid} is ${task.state}, expected onCpu`);
    }
    const cpu = task.cpu;
    if (cpu >= 0 && this.#current[cpu] === gtid) {
      this.#current[cpu] = -1;
      this.#idle.add(cpu);
    }
    task.cpu = -1;
  }

  taskNew(ctx: AgentContext, msg: Message): void {
    this.#setUp(ctx);
    const qos = Math.min(CLASSES - 1, Math.max(0, msg.aux + 20));
    const task: Task = { state: "blocked", qos, cpu: -1 };
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
      this.#running(ctx, task, msg.gtid, cpu);
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
    this.#enqueue(msg.gtid, task, (msg.flags & MSG_FLAG_BY_KERNEL) !== 0);
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

  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    this.#fillIdle(ctx);
    this.#preempt(ctx);
  }

  /** Commits waiting threads, highest class first, to idle CPUs in one group. */
  #fillIdle(ctx: AgentContext): void {
    const idle = this.#idle;
    let opened = 0;
    for (let i = 0; i < idle.size && this.#waiting > 0; i++) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = this.#dequeue(this.#topClass());
      ctx.open(cpu, gtid);
      this.#openCpus[opened] = cpu;
      this.#openGtids[opened] = gtid;
      opened++;
    }
    if (opened === 0) return;
    ctx.commit();
    for (let i = opened - 1; i >= 0; i--) {
      this.#settle(ctx, this.#openCpus[i]!, this.#openGtids[i]!);
    }
  }

  /**
   * Preempts while threads wait: first the oldest thread of the lowest class
   * below the best waiting class, at once; then, within the waiting class,
   * the oldest thread whose slice is over.
   */
  #preempt(ctx: AgentContext): void {
    while (this.#waiting > 0) {
      const top = this.#topClass();
      let victim = -1;
      for (let q = CLASSES - 1; q > top && victim < 0; q--) victim = this.#oldestRunning(ctx, q);
      if (victim >= 0) {
        this.#place(ctx, victim, top);
        continue;
      }
      const cpu = this.#oldestRunning(ctx, top);
      if (cpu < 0) return;
      const expires = this.#startedAt[cpu]! + this.#slice;
      if (expires > ctx.now) {
        ctx.wakeAt(expires);
        return;
      }
      this.#busy[top]!.popFront();
      this.#place(ctx, cpu, top);
    }
  }

  /**
   * The CPU running the oldest thread of class `qos`, or -1. Drops stale
   * entries: the CPU changed hands, or it is the global agent's (a thread
   * discovered there has its TASK_PREEMPT on its way).
   */
  #oldestRunning(ctx: AgentContext, qos: number): number {
    const busy = this.#busy[qos]!;
    while (busy.size > 0) {
      const cpu = busy.peekFront();
      const gtid = this.#current[cpu]!;
      const task = gtid >= 0 ? this.#tasks.get(gtid) : undefined;
      const live = task !== undefined && task.cpu === cpu && task.qos === qos;
      if (live && cpu !== ctx.globalCpu) return cpu;
      busy.popFront();
    }
    return -1;
  }

  /** Commits the head of class `qos` on `cpu`, replacing what runs there. */
  #place(ctx: AgentContext, cpu: number, qos: number): void {
    const gtid = this.#dequeue(qos);
    ctx.open(cpu, gtid);
    ctx.commit();
    this.#settle(ctx, cpu, gtid);
  }

  /** Reads the outcome of committing `gtid` on `cpu`. */
  #settle(ctx: AgentContext, cpu: number, gtid: number): void {
    const task = this.#tasks.get(gtid)!;
    if (ctx.outcome(cpu) !== TXN.COMPLETE) {
      this.#enqueue(gtid, task, true);
      return;
    }
    const old = this.#current[cpu]!;
    if (old >= 0) {
      // Its TASK_PREEMPT (by the agent) will send it to the back.
      const replaced = this.#tasks.get(old);
      if (replaced !== undefined) replaced.cpu = -1;
    }
    this.#running(ctx, task, gtid, cpu);
  }

  /** Records the task on `cpu` from now: the CPU is busy and its slice starts. */
  #running(ctx: AgentContext, task: Task, gtid: number, cpu: number): void {
    task.state = "onCpu";
    task.cpu = cpu;
    this.#current[cpu] = gtid;
    this.#startedAt[cpu] = ctx.now;
    this.#idle.delete(cpu);
    this.#busy[task.qos]!.pushBack(cpu);
    if (this.#waiting > 0) ctx.wakeAt(ctx.now + this.#slice);
  }
}
