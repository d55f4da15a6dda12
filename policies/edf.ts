/**
 * `edf`: earliest deadline first. One spinning global agent keeps the
 * runnable threads in a heap ordered by their deadline, which the
 * application writes on the thread (`ThreadOptions.deadline`, or
 * `thread.deadline` before it wakes or yields the thread; the policy reads
 * it from the task's status, `TaskStatus.deadline`), and fills every idle
 * CPU with the earliest deadlines in one group commit. Threads with no
 * deadline (Infinity) run after every thread with one, first come first
 * served. When a waiting thread's deadline is earlier than that of a
 * running thread, the agent preempts the running thread with the latest
 * deadline (`preempt`, on by default); the preempted thread waits with its
 * deadline.
 *
 * It works well for periodic or deadline-tagged work on one CPU: preemptive
 * EDF is optimal there (Liu and Layland, 1973), so with zero costs it meets
 * every deadline of any task set whose utilisation is at most 1. What it
 * trades away: nothing protects the rest when the load is infeasible (a late
 * thread keeps the earliest deadline and the misses cascade); on several
 * CPUs global EDF is no longer optimal; threads without a deadline can
 * starve; and the agent costs a CPU. Without preemption (`preempt` off), a
 * long job runs to completion and a short job with an earlier deadline
 * waits behind it, which misses deadlines below utilisation 1.
 *
 * How it differs from ghOSt's `schedulers/edf`: that agent reads deadlines
 * from a PrioTable the application shares with it (a sched item per thread,
 * with a work class giving QoS, an estimated runtime and a period), orders
 * threads by QoS then by the latest time each can start (deadline minus
 * estimated remaining runtime), boosts threads the kernel preempted, and
 * preempts a running thread only for a higher QoS. Here the deadline is the
 * key, and preemption is by deadline.
 *
 * @module
 */

import { TXN } from "../core/ghost_abi.ts";
import type { Message } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { DeadlineHeap } from "./_deadline_heap.ts";
import { type Task, TaskTable } from "./task_table.ts";

/** Options of the EDF policy. */
export interface EdfOptions {
  /** Preempt a running thread for a waiting one with an earlier deadline. @default true */
  preempt?: boolean;
}

/** The earliest-deadline-first policy. */
export class Edf implements Policy {
  readonly name = "edf";
  readonly model = "centralized" as const;
  readonly #queue = new DeadlineHeap();
  readonly #preempt: boolean;
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  #ready = false;
  readonly #tasks: TaskTable<Task> = new TaskTable(this.name, {
    create: (ctx, msg) => {
      this.#setUp(ctx);
      return { gtid: msg.gtid, state: "blocked", cpu: -1 };
    },
    enqueue: (ctx, task) => this.#queue.push(task.gtid, deadlineOf(ctx, task.gtid)),
    dequeue: (_ctx, task) => void this.#queue.remove(task.gtid),
  });

  /** Creates the policy. */
  constructor(options: EdfOptions = {}) {
    this.#preempt = options.preempt ?? true;
  }

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#tasks.setUp(ctx);
    this.#openCpus = new Int32Array(ctx.topology.size);
    this.#openGtids = new Float64Array(ctx.topology.size);
  }

  /** TASK_NEW: a runnable thread waits with its deadline. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: waits with the deadline the application wrote. */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskBlocked(ctx, msg);
  }

  /** TASK_PREEMPT: waits again with its deadline. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: waits again, with its deadline read anew (the application may have moved it). */
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

  /** Fills idle CPUs with the earliest deadlines, then preempts later deadlines. */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    this.#fillIdle(ctx);
    if (this.#preempt) this.#preemptLater(ctx);
  }

  /** Commits the earliest deadlines to idle CPUs in one group; failed ones wait again. */
  #fillIdle(ctx: AgentContext): void {
    const idle = this.#tasks.idle;
    const queue = this.#queue;
    let opened = 0;
    for (let i = 0; i < idle.size && queue.size > 0; i++) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = queue.pop();
      ctx.open(cpu, gtid);
      this.#openCpus[opened] = cpu;
      this.#openGtids[opened] = gtid;
      opened++;
    }
    if (opened === 0) return;
    ctx.commit();
    for (let i = 0; i < opened; i++) {
      this.#settle(ctx, this.#openCpus[i]!, this.#openGtids[i]!);
    }
  }

  /**
   * While the earliest waiting deadline is earlier than the latest running
   * one, commits the waiting thread on that CPU (the thread it replaces
   * waits again with its TASK_PREEMPT). A failed commit ends the pass (the
   * next one retries).
   */
  #preemptLater(ctx: AgentContext): void {
    const queue = this.#queue;
    while (queue.size > 0) {
      let victim = -1;
      let latest = -Infinity;
      for (const cpu of ctx.cpus) {
        const holder = this.#tasks.holder(cpu);
        if (holder < 0 || cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
        const deadline = deadlineOf(ctx, holder);
        if (deadline > latest) {
          latest = deadline;
          victim = cpu;
        }
      }
      if (victim < 0 || !(queue.minDeadline < latest)) return;
      const gtid = queue.pop();
      ctx.open(victim, gtid);
      ctx.commit();
      if (!this.#settle(ctx, victim, gtid)) return;
    }
  }

  /** Reads the outcome of committing `gtid` on `cpu`: it runs there, or waits again. */
  #settle(ctx: AgentContext, cpu: number, gtid: number): boolean {
    if (ctx.outcome(cpu) === TXN.COMPLETE) {
      this.#tasks.run(this.#tasks.get(gtid), cpu);
      return true;
    }
    this.#queue.push(gtid, deadlineOf(ctx, gtid));
    return false;
  }
}

/** The deadline the application wrote on a thread, ns; Infinity when none (or it left). */
function deadlineOf(ctx: AgentContext, gtid: number): number {
  return ctx.status(gtid)?.deadline ?? Infinity;
}
