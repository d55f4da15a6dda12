/**
 * `fifo-percpu`: the per-CPU FIFO of ghost-userspace. Every enclave CPU has
 * its own agent and its own FIFO. A new thread is assigned a CPU round robin
 * and stays there (no migration): its messages move to that CPU's queue and
 * that CPU's agent schedules it. A thread that lost its CPU without choosing
 * to (preempted by the kernel or by its own agent) goes to the front of its
 * FIFO; woken and yielding threads go to the back. A thread discovered
 * running (an agent attaching to a live enclave: upgrade, restart) belongs
 * to the CPU it runs on and is that CPU's current thread.
 *
 * It needs no spare CPU for a global agent and scales without a central
 * bottleneck, but it balances nothing: with dispersive work one CPU can hold
 * a queue while its neighbours idle (c separate queues, each fed every c-th
 * thread), and every message wakes an agent on the CPU it concerns,
 * preempting the thread running there.
 *
 * @module
 */

import { MSG, TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_ON_CPU } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { Deque } from "./_deque.ts";
import { type Task, TaskTable } from "./task_table.ts";

interface FifoTask extends Task {
  /** The CPU it belongs to. */
  readonly home: number;
  /** Whether its messages already go to its CPU's queue. */
  associated: boolean;
}

/** The per-CPU FIFO policy. */
export class FifoPerCpu implements Policy {
  readonly name = "fifo-percpu";
  readonly model = "per-cpu" as const;
  #queues: Deque[] = [];
  #next = 0;
  readonly #tasks: TaskTable<FifoTask> = new TaskTable(this.name, {
    create: (ctx, msg) => this.#create(ctx, msg),
    enqueue: (ctx, task, msg) => this.#enqueue(ctx, task, msg),
    dequeue: (_ctx, task) => void this.#queues[task.home]!.remove(task.gtid),
  });

  /** A new task belongs to the CPU it was found on, else to the next CPU round robin. */
  #create(ctx: AgentContext, msg: Message): FifoTask {
    if (this.#queues.length === 0) {
      this.#queues = Array.from({ length: ctx.topology.size }, () => new Deque());
    }
    const home = (msg.flags & MSG_FLAG_ON_CPU) !== 0
      ? msg.cpu
      : ctx.cpus[this.#next++ % ctx.cpus.length]!;
    const task: FifoTask = { gtid: msg.gtid, state: "blocked", cpu: -1, home, associated: false };
    this.#associate(ctx, task);
    return task;
  }

  /** Moves the task's messages to its CPU's queue, once; retried while stale. */
  #associate(ctx: AgentContext, task: FifoTask): void {
    if (!task.associated) task.associated = ctx.associate(task.gtid, task.home);
  }

  /** Preempted threads go to the front of their CPU's FIFO, others to the back. */
  #enqueue(ctx: AgentContext, task: FifoTask, msg: Message | null): void {
    const queue = this.#queues[task.home]!;
    if (msg === null || msg.type === MSG.TASK_PREEMPT) queue.pushFront(task.gtid);
    else queue.pushBack(task.gtid);
    if (task.home !== ctx.cpu && this.#tasks.holder(task.home) === -1) ctx.ping(task.home);
  }

  /** TASK_NEW. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: back of its FIFO (its messages move to its CPU if they did not yet). */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#associate(ctx, this.#tasks.get(msg.gtid));
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#associate(ctx, this.#tasks.taskBlocked(ctx, msg));
  }

  /** TASK_PREEMPT: front of its FIFO. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: back of its FIFO. */
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskYield(ctx, msg);
  }

  /** TASK_DEAD. */
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDead(ctx, msg);
  }

  /** TASK_DEPARTED: out of its FIFO (or off its CPU) and forgotten. */
  taskDeparted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDeparted(ctx, msg);
  }

  /** Commits the head of this CPU's FIFO if the CPU holds nothing. */
  schedule(ctx: AgentContext): void {
    const cpu = ctx.cpu;
    const queue = this.#queues[cpu];
    if (queue === undefined || this.#tasks.holder(cpu) !== -1 || queue.size === 0) return;
    const gtid = queue.popFront();
    ctx.open(cpu, gtid);
    ctx.commit();
    if (ctx.outcome(cpu) === TXN.COMPLETE) {
      this.#tasks.run(this.#tasks.get(gtid), cpu);
    } else {
      // Stale (a newer message is on its way) or the CPU is busy: retry later.
      queue.pushFront(gtid);
    }
  }
}
