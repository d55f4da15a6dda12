/**
 * `fifo-centralized`: one global FIFO run queue, scheduled by a single
 * spinning global agent that commits threads to every other enclave CPU in
 * group commits.
 *
 * It works well when requests are short and uniform: one agent sees every
 * CPU, so no CPU idles while a thread waits (with zero costs it is an M/G/c
 * FCFS queue). It works badly with dispersive service times: without a
 * slice, a long request holds its CPU to completion and short ones queue
 * behind it (head-of-line blocking). An optional `slice` preempts a thread
 * that ran that long while others wait and sends it to the back, oldest
 * first (the agent keeps the busy CPUs in the order their threads started
 * there). The agent costs a CPU, and one agent's decision rate caps the
 * machine's.
 *
 * Affinity: a thread runs only on CPUs its mask allows
 * (`ctx.status(gtid).allowed(cpu)`). A pass walks the FIFO from the front
 * and gives each thread the first idle CPU (in the idle set's order) its
 * mask allows and no earlier thread took; a thread no idle CPU allows keeps
 * its place, and the walk goes on to the next one, so the order among the
 * threads that do run, and among those that wait, stays FIFO. A thread
 * without a mask takes the next idle CPU at once (no scan); a masked one
 * scans the idle CPUs not yet taken. A slice that expires goes to the first
 * waiting thread allowed on that CPU. Without masks this is the plain FIFO.
 *
 * A thread preempted by the kernel (a fair thread took its CPU) goes to the
 * front, since it did not choose to stop. A thread discovered running (an
 * agent attaching to a live enclave: upgrade, restart) holds its CPU as if
 * just committed there, its slice starting at discovery.
 *
 * @module
 */

import { MSG, TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_BY_KERNEL } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { Deque } from "./_deque.ts";
import { RunOrder } from "./_run_order.ts";
import { type Task, TaskTable } from "./task_table.ts";

/** Options of the centralized FIFO. */
export interface FifoCentralizedOptions {
  /** Preempt a thread that ran this long while others wait, ns; Infinity: never. @default Infinity */
  sliceNs?: number;
}

/** The centralized FIFO policy. */
export class FifoCentralized implements Policy {
  readonly name: string = "fifo-centralized";
  readonly model = "centralized" as const;
  readonly #queue = new Deque();
  readonly #slice: number;
  #startedAt: Float64Array = new Float64Array(0);
  /** The CPUs running threads, oldest start first (slices expire in this order). */
  #running: RunOrder = new RunOrder(0);
  /** This pass's available idle CPUs, in the idle set's order, gathered as needed. */
  #free: Int32Array = new Int32Array(0);
  /** Whether `#free[i]` went to a thread in this pass. */
  #taken: Uint8Array = new Uint8Array(0);
  #freeCount = 0;
  /** The first `#free` slot not taken. */
  #firstFree = 0;
  /** The next position of the idle set to gather from. */
  #idlePos = 0;
  /** The threads this pass took off the FIFO, in order, and the CPU each got (-1: none). */
  #walked: number[] = [];
  #walkedCpus: number[] = [];
  #ready = false;
  readonly #tasks: TaskTable<Task> = new TaskTable(this.name, {
    create: (ctx, msg) => {
      this.#setUp(ctx);
      return { gtid: msg.gtid, state: "blocked", cpu: -1 };
    },
    enqueue: (_ctx, task, msg) => {
      // A thread the kernel preempted did not choose to stop: it goes first.
      const byKernel = msg !== null && msg.type === MSG.TASK_PREEMPT &&
        (msg.flags & MSG_FLAG_BY_KERNEL) !== 0;
      if (byKernel) this.#queue.pushFront(task.gtid);
      else this.#queue.pushBack(task.gtid);
    },
    dequeue: (_ctx, task) => void this.#queue.remove(task.gtid),
    adopt: (ctx, task) => this.#started(ctx, task.cpu),
    vacate: (_ctx, _task, cpu) => this.#running.stop(cpu),
  });

  /** Creates the policy. */
  constructor(options: FifoCentralizedOptions = {}) {
    this.#slice = options.sliceNs ?? Infinity;
  }

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    const n = ctx.topology.size;
    this.#tasks.setUp(ctx);
    this.#startedAt = new Float64Array(n);
    this.#running = new RunOrder(n);
    this.#free = new Int32Array(n);
    this.#taken = new Uint8Array(n);
  }

  /** TASK_NEW: a runnable thread joins the back of the FIFO. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: back of the FIFO. */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskBlocked(ctx, msg);
  }

  /** TASK_PREEMPT: front of the FIFO if the kernel preempted it, else back. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: back of the FIFO. */
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskYield(ctx, msg);
  }

  /** TASK_DEAD. */
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDead(ctx, msg);
  }

  /** TASK_DEPARTED: out of the FIFO (or off its CPU) and forgotten. */
  taskDeparted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDeparted(ctx, msg);
  }

  /**
   * Preempts expired slices, then fills idle CPUs from the FIFO in one group
   * commit: each thread, front first, on the first idle CPU its mask allows.
   */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    if (this.#slice !== Infinity) this.#preemptExpired(ctx);
    const queue = this.#queue;
    const walked = this.#walked;
    const cpus = this.#walkedCpus;
    walked.length = 0;
    cpus.length = 0;
    this.#freeCount = 0;
    this.#firstFree = 0;
    this.#idlePos = 0;
    let opened = 0;
    while (queue.size > 0 && this.#anyFree(ctx)) {
      const gtid = queue.popFront();
      const cpu = this.#take(ctx, gtid);
      walked.push(gtid);
      cpus.push(cpu);
      if (cpu < 0) continue;
      ctx.open(cpu, gtid);
      opened++;
    }
    this.#taken.fill(0, 0, this.#freeCount);
    if (opened > 0) ctx.commit();
    // Threads left waiting and failed commits go back to the front, in
    // their original order.
    for (let i = walked.length - 1; i >= 0; i--) {
      const cpu = cpus[i]!;
      const gtid = walked[i]!;
      if (cpu >= 0 && ctx.outcome(cpu) === TXN.COMPLETE) this.#run(ctx, gtid, cpu);
      else queue.pushFront(gtid);
    }
  }

  /** Whether an idle CPU is still free in this pass (gathering one if needed). */
  #anyFree(ctx: AgentContext): boolean {
    return this.#firstFree < this.#freeCount || this.#gather(ctx) >= 0;
  }

  /** Adds the next available idle CPU to `#free` and returns it, or -1 when none is left. */
  #gather(ctx: AgentContext): number {
    const idle = this.#tasks.idle;
    while (this.#idlePos < idle.size) {
      const cpu = idle.at(this.#idlePos++);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      this.#free[this.#freeCount++] = cpu;
      return cpu;
    }
    return -1;
  }

  /** Takes the first free idle CPU `gtid`'s mask allows; -1 if none does. */
  #take(ctx: AgentContext, gtid: number): number {
    const status = ctx.status(gtid);
    const free = this.#free;
    const taken = this.#taken;
    let slot = -1;
    for (let i = this.#firstFree; i < this.#freeCount; i++) {
      if (taken[i] === 0 && (status === undefined || status.allowed(free[i]!))) {
        slot = i;
        break;
      }
    }
    while (slot < 0) {
      const cpu = this.#gather(ctx);
      if (cpu < 0) return -1;
      if (status === undefined || status.allowed(cpu)) slot = this.#freeCount - 1;
    }
    taken[slot] = 1;
    while (this.#firstFree < this.#freeCount && taken[this.#firstFree] === 1) this.#firstFree++;
    return free[slot]!;
  }

  /** Records a completed commit of `gtid` on `cpu`. */
  #run(ctx: AgentContext, gtid: number, cpu: number): void {
    this.#tasks.run(this.#tasks.get(gtid), cpu);
    this.#started(ctx, cpu);
  }

  /** A task holds `cpu` from now: its slice starts, and the CPU goes last in the run order. */
  #started(ctx: AgentContext, cpu: number): void {
    this.#startedAt[cpu] = ctx.now;
    if (this.#slice !== Infinity) {
      this.#running.start(cpu, 0);
      ctx.wakeAt(ctx.now + this.#slice);
    }
  }

  /**
   * Preempts the oldest threads whose slice expired while others wait: each
   * CPU goes to the first waiting thread its mask allows there (the
   * preempted one goes to the back); a CPU no waiting thread may use keeps
   * its thread. Else arms the timer for the oldest slice's end. A failed
   * commit ends the pass (the next one retries). Skips the global agent's
   * CPU (a thread discovered there has its TASK_PREEMPT on its way) and
   * CPUs a higher class holds (the kernel preempted the thread there).
   */
  #preemptExpired(ctx: AgentContext): void {
    const queue = this.#queue;
    const running = this.#running;
    let cpu = running.first(0);
    while (queue.size > 0 && cpu >= 0) {
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) {
        cpu = running.after(cpu);
        continue;
      }
      const expires = this.#startedAt[cpu]! + this.#slice;
      if (expires > ctx.now) {
        ctx.wakeAt(expires);
        return;
      }
      const index = this.#firstAllowed(ctx, cpu);
      if (index < 0) {
        cpu = running.after(cpu);
        continue;
      }
      const next = index === 0 ? queue.popFront() : queue.at(index);
      ctx.open(cpu, next);
      ctx.commit();
      // The replaced thread's TASK_PREEMPT (by the agent) will put it at the back.
      if (ctx.outcome(cpu) !== TXN.COMPLETE) {
        if (index === 0) queue.pushFront(next);
        return;
      }
      if (index > 0) queue.remove(next);
      this.#run(ctx, next, cpu);
      cpu = running.first(0);
    }
  }

  /** The FIFO position of the first waiting thread allowed on `cpu`, or -1. */
  #firstAllowed(ctx: AgentContext, cpu: number): number {
    const queue = this.#queue;
    for (let i = 0; i < queue.size; i++) {
      const status = ctx.status(queue.at(i));
      if (status === undefined || status.allowed(cpu)) return i;
    }
    return -1;
  }
}
