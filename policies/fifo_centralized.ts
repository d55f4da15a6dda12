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
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
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
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
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

  /** Preempts expired slices, then fills idle CPUs from the FIFO in one group commit. */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    if (this.#slice !== Infinity) this.#preemptExpired(ctx);
    const idle = this.#tasks.idle;
    const queue = this.#queue;
    let opened = 0;
    for (let i = 0; i < idle.size && queue.size > 0; i++) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = queue.popFront();
      ctx.open(cpu, gtid);
      this.#openCpus[opened] = cpu;
      this.#openGtids[opened] = gtid;
      opened++;
    }
    if (opened === 0) return;
    ctx.commit();
    // Failed ones go back to the front, in their original order.
    for (let i = opened - 1; i >= 0; i--) {
      const cpu = this.#openCpus[i]!;
      const gtid = this.#openGtids[i]!;
      if (ctx.outcome(cpu) === TXN.COMPLETE) this.#run(ctx, gtid, cpu);
      else queue.pushFront(gtid);
    }
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
   * Preempts the oldest threads whose slice expired while others wait (they
   * go to the back), or arms the timer for the oldest slice's end. A failed
   * commit ends the pass (the next one retries).
   */
  #preemptExpired(ctx: AgentContext): void {
    while (this.#queue.size > 0) {
      const cpu = this.#oldestRunning(ctx);
      if (cpu < 0) return;
      const expires = this.#startedAt[cpu]! + this.#slice;
      if (expires > ctx.now) {
        ctx.wakeAt(expires);
        return;
      }
      const next = this.#queue.popFront();
      ctx.open(cpu, next);
      ctx.commit();
      // The replaced thread's TASK_PREEMPT (by the agent) will put it at the back.
      if (ctx.outcome(cpu) !== TXN.COMPLETE) {
        this.#queue.pushFront(next);
        return;
      }
      this.#run(ctx, next, cpu);
    }
  }

  /**
   * The CPU running the oldest thread, or -1. Skips the global agent's CPU
   * (a thread discovered there has its TASK_PREEMPT on its way) and CPUs a
   * higher class holds (the kernel preempted the thread there).
   */
  #oldestRunning(ctx: AgentContext): number {
    const running = this.#running;
    for (let cpu = running.first(0); cpu >= 0; cpu = running.after(cpu)) {
      if (cpu !== ctx.globalCpu && ctx.cpuAvailable(cpu)) return cpu;
    }
    return -1;
  }
}
