/**
 * `sol`: "speed of light", the centralized FIFO of ghost-userspace's
 * scalability microbenchmark. One spinning global agent keeps one FIFO and
 * fills every idle CPU from it in one group commit per round, and it does
 * not wait for the outcome: a commit is asynchronous, the task stays
 * `pending` on its CPU, and the agent reads the outcome on its next pass
 * (or as soon as a message about that task shows it already ran). A failed
 * commit sends its task back to the front of the FIFO.
 *
 * It measures how many decisions one agent can make: per decision it pops
 * a queue and fills a transaction slot, nothing more. It trades everything
 * else away: no time slice (a long thread holds its CPU to completion), no
 * priorities, no placement beyond "any idle CPU", and a CPU whose commit
 * failed stays idle until the next pass. Preempted threads go to the front.
 * A thread discovered running (an agent attaching to a live enclave:
 * upgrade, restart) holds its CPU as if its commit had completed.
 *
 * @module
 */

import { CpuSet } from "../core/cpu_set.ts";
import { MSG, TXN } from "../core/ghost_abi.ts";
import type { Message } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { Deque } from "./_deque.ts";
import { type Task, TaskTable } from "./task_table.ts";

/** The speed-of-light policy. */
export class Sol implements Policy {
  readonly name = "sol";
  readonly model = "centralized" as const;
  readonly #queue = new Deque();
  /** CPUs with a pending commit. */
  #pending: CpuSet = new CpuSet(0);
  #ready = false;
  readonly #tasks: TaskTable<Task> = new TaskTable(this.name, {
    create: (ctx, msg) => {
      this.#setUp(ctx);
      return { gtid: msg.gtid, state: "blocked", cpu: -1 };
    },
    enqueue: (_ctx, task, msg) => {
      // Preempted, or its commit failed: it goes first.
      if (msg === null || msg.type === MSG.TASK_PREEMPT) this.#queue.pushFront(task.gtid);
      else this.#queue.pushBack(task.gtid);
    },
    dequeue: (_ctx, task) => void this.#queue.remove(task.gtid),
  });

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#tasks.setUp(ctx);
    this.#pending = new CpuSet(ctx.topology.size);
  }

  /**
   * Reads the outcome of a task's pending commit before a message about it:
   * only TASK_DEPARTED may concern a task whose commit failed.
   */
  #settle(ctx: AgentContext, msg: Message): void {
    const task = this.#tasks.get(msg.gtid);
    if (task.state !== "pending" || this.#reap(ctx, task.cpu)) return;
    if (msg.type !== MSG.TASK_DEPARTED) {
      throw new Error(`${this.name}: task ${msg.gtid} ran without a commit`);
    }
  }

  /** Reads the outcome of `cpu`'s pending commit; returns whether it completed. */
  #reap(ctx: AgentContext, cpu: number): boolean {
    const task = this.#tasks.get(this.#tasks.holder(cpu));
    this.#pending.delete(cpu);
    if (ctx.outcome(cpu) === TXN.COMPLETE) {
      this.#tasks.run(task, cpu);
      return true;
    }
    this.#tasks.cancel(ctx, task);
    return false;
  }

  /** TASK_NEW: back of the FIFO. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: back of the FIFO. */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#settle(ctx, msg);
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#settle(ctx, msg);
    this.#tasks.taskBlocked(ctx, msg);
  }

  /** TASK_PREEMPT: front of the FIFO. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#settle(ctx, msg);
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: back of the FIFO. */
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#settle(ctx, msg);
    this.#tasks.taskYield(ctx, msg);
  }

  /** TASK_DEAD. */
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#settle(ctx, msg);
    this.#tasks.taskDead(ctx, msg);
  }

  /** TASK_DEPARTED: out of the FIFO (or off its CPU) and forgotten. */
  taskDeparted(ctx: AgentContext, msg: Message): void {
    this.#settle(ctx, msg);
    this.#tasks.taskDeparted(ctx, msg);
  }

  /** Reads last pass's outcomes, then fills every idle CPU in one async group commit. */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    // Last pass's commits: completed ones run, failed ones go back in front.
    while (this.#pending.size > 0) this.#reap(ctx, this.#pending.at(0));
    const idle = this.#tasks.idle;
    const queue = this.#queue;
    for (let i = idle.size - 1; i >= 0 && queue.size > 0; i--) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = queue.popFront();
      this.#tasks.pend(this.#tasks.get(gtid), cpu);
      this.#pending.add(cpu);
      ctx.open(cpu, gtid);
    }
    if (this.#pending.size > 0) ctx.commit("async");
  }
}
