/**
 * `shinjuku`: the Shinjuku policy (NSDI 2019) as a ghOSt global agent. One
 * FIFO per QoS class (from the thread's nice value: lower nice, higher
 * class). The agent first fills idle CPUs, highest class first; then it
 * preempts a thread when a higher class waits, or when a thread of the same
 * class has run a full slice (default 30 us) while others wait. A thread the
 * policy preempted goes to the back of its class; one the kernel preempted
 * goes to the front. Slices end oldest first: per class, the agent keeps
 * the CPUs in the order their threads started there, each CPU once. A
 * thread discovered running (an agent attaching to a live enclave: upgrade,
 * restart) holds its CPU as if just committed there, its slice starting at
 * discovery.
 *
 * It wins with dispersive service times: a 5 ms request cannot block 10 us
 * ones for longer than a slice, so short requests see processor sharing
 * rather than head-of-line blocking. It pays with one CPU for the agent,
 * a commit per slice per busy CPU, and preemptions that hurt long requests
 * and cache locality.
 *
 * @module
 */

import { MSG, TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_BY_KERNEL } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { US } from "../core/units.ts";
import { Deque } from "./_deque.ts";
import { ClassSet } from "./_class_set.ts";
import { RunOrder } from "./_run_order.ts";
import { type Task, TaskTable } from "./task_table.ts";

interface ShinjukuTask extends Task {
  /** QoS class: 0 is the highest (nice -20), 39 the lowest. */
  readonly qos: number;
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
  readonly #queues: Deque[] = Array.from({ length: CLASSES }, () => new Deque());
  readonly #slice: number;
  #waiting = 0;
  /** The classes with a waiting thread. */
  readonly #waitingClasses = new ClassSet(CLASSES);
  #startedAt: Float64Array = new Float64Array(0);
  /** Per class, the CPUs running its threads, oldest start first (slices expire in this order). */
  #running: RunOrder = new RunOrder(0, CLASSES);
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  #ready = false;
  readonly #tasks: TaskTable<ShinjukuTask> = new TaskTable(this.name, {
    create: (ctx, msg) => {
      this.#setUp(ctx);
      const qos = Math.min(CLASSES - 1, Math.max(0, msg.aux + 20));
      return { gtid: msg.gtid, state: "blocked", cpu: -1, qos };
    },
    enqueue: (_ctx, task, msg) => {
      // A failed commit, or a thread the kernel preempted, goes first in its class.
      const front = msg === null ||
        (msg.type === MSG.TASK_PREEMPT && (msg.flags & MSG_FLAG_BY_KERNEL) !== 0);
      this.#enqueue(task, front);
    },
    dequeue: (_ctx, task) => {
      const queue = this.#queues[task.qos]!;
      if (!queue.remove(task.gtid)) return;
      this.#waiting--;
      if (queue.size === 0) this.#waitingClasses.delete(task.qos);
    },
    adopt: (ctx, task) => this.#started(ctx, task),
    vacate: (_ctx, _task, cpu) => this.#running.stop(cpu),
  });

  /** Creates the policy. */
  constructor(options: ShinjukuOptions = {}) {
    this.#slice = options.sliceNs ?? 30 * US;
    if (!(this.#slice > 0)) throw new RangeError(`Shinjuku slice must be positive: ${this.#slice}`);
  }

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    const n = ctx.topology.size;
    this.#tasks.setUp(ctx);
    this.#startedAt = new Float64Array(n);
    this.#running = new RunOrder(n, CLASSES);
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
  }

  #enqueue(task: ShinjukuTask, front: boolean): void {
    if (front) this.#queues[task.qos]!.pushFront(task.gtid);
    else this.#queues[task.qos]!.pushBack(task.gtid);
    this.#waiting++;
    this.#waitingClasses.add(task.qos);
  }

  /** The highest class with a waiting thread, or CLASSES. */
  #topClass(): number {
    const top = this.#waitingClasses.lowest();
    return top < 0 ? CLASSES : top;
  }

  #dequeue(qos: number): number {
    const queue = this.#queues[qos]!;
    this.#waiting--;
    const gtid = queue.popFront();
    if (queue.size === 0) this.#waitingClasses.delete(qos);
    return gtid;
  }

  /** TASK_NEW: its class comes from its nice value. */
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

  /** TASK_PREEMPT: front of its class if the kernel preempted it, else back. */
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

  /** Fills idle CPUs, then preempts for higher classes and expired slices. */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    this.#fillIdle(ctx);
    this.#preempt(ctx);
  }

  /** Commits waiting threads, highest class first, to idle CPUs in one group. */
  #fillIdle(ctx: AgentContext): void {
    const idle = this.#tasks.idle;
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
   * the oldest thread whose slice is over, or it arms the timer for the
   * oldest slice's end. A failed commit ends the pass (the next one retries).
   */
  #preempt(ctx: AgentContext): void {
    while (this.#waiting > 0) {
      const top = this.#topClass();
      // The lowest classes first, visiting only those that hold a CPU.
      let victim = -1;
      const running = this.#running;
      for (let q = running.classBelow(CLASSES); q > top && victim < 0; q = running.classBelow(q)) {
        victim = this.#oldestRunning(ctx, q);
      }
      if (victim >= 0) {
        if (!this.#place(ctx, victim, top)) return;
        continue;
      }
      const cpu = this.#oldestRunning(ctx, top);
      if (cpu < 0) return;
      const expires = this.#startedAt[cpu]! + this.#slice;
      if (expires > ctx.now) {
        ctx.wakeAt(expires);
        return;
      }
      if (!this.#place(ctx, cpu, top)) return;
    }
  }

  /**
   * The CPU running the oldest thread of class `qos`, or -1. Skips the global
   * agent's CPU (a thread discovered there has its TASK_PREEMPT on its way)
   * and CPUs a higher class holds (the kernel preempted the thread there).
   */
  #oldestRunning(ctx: AgentContext, qos: number): number {
    const running = this.#running;
    for (let cpu = running.first(qos); cpu >= 0; cpu = running.after(cpu)) {
      if (cpu !== ctx.globalCpu && ctx.cpuAvailable(cpu)) return cpu;
    }
    return -1;
  }

  /** Commits the head of class `qos` on `cpu`, replacing what runs there; whether it did. */
  #place(ctx: AgentContext, cpu: number, qos: number): boolean {
    const gtid = this.#dequeue(qos);
    ctx.open(cpu, gtid);
    ctx.commit();
    return this.#settle(ctx, cpu, gtid);
  }

  /**
   * Reads the outcome of committing `gtid` on `cpu`; whether it completed. A
   * thread it replaced there goes to the back of its class with its
   * TASK_PREEMPT (by the agent); a thread whose commit failed goes first.
   */
  #settle(ctx: AgentContext, cpu: number, gtid: number): boolean {
    const task = this.#tasks.get(gtid);
    if (ctx.outcome(cpu) !== TXN.COMPLETE) {
      this.#enqueue(task, true);
      return false;
    }
    this.#tasks.run(task, cpu);
    this.#started(ctx, task);
    return true;
  }

  /** A task holds its CPU from now: its slice starts, and its CPU goes last in its class. */
  #started(ctx: AgentContext, task: ShinjukuTask): void {
    this.#startedAt[task.cpu] = ctx.now;
    this.#running.start(task.cpu, task.qos);
    if (this.#waiting > 0) ctx.wakeAt(ctx.now + this.#slice);
  }
}
