/**
 * `biff`: the "BPF-only" global FIFO of ghost-userspace. Every scheduling
 * decision is made by the enclave's in-kernel pick-next-task hook: when a
 * CPU would go idle with nothing latched, the hook pops the first thread of
 * one global FIFO that may run there. The agents commit nothing. Messages
 * still have to be read to keep the FIFO: woken and yielding threads go to
 * the back, preempted ones to the front. All messages arrive on the first
 * CPU's queue (the real biff reads them in a BPF message hook instead), and
 * after each batch the agent pings as many idle CPUs as threads wait, so
 * that their hooks run. A thread discovered running (an agent attaching to
 * a live enclave: upgrade, restart) is recorded on its CPU as if the hook
 * had picked it there.
 *
 * It is as cheap as a ghOSt policy gets: a thread starts on an idle CPU with
 * one hook call and no transaction, so no CPU is lost to a global agent. It
 * trades away everything a user-space policy can do (no time slice, no
 * priorities, no locality) and all safety: nothing checks that the FIFO
 * drains, so a thread the hook never picks stays runnable until the
 * enclave's watchdog (`runnableTimeoutNs`) destroys the enclave and moves
 * every thread to CFS. The first CPU pays for every message, and its thread
 * is preempted whenever its agent wakes to read them.
 *
 * @module
 */

import { MSG } from "../core/ghost_abi.ts";
import type { Message } from "../core/message_queue.ts";
import type { AgentContext, Policy, TaskStatus } from "../core/policy.ts";
import { Deque } from "./_deque.ts";
import { type Task, TaskTable } from "./task_table.ts";

interface BiffTask extends Task {
  /** Its status word, read by the hook. */
  readonly status: TaskStatus;
}

/** The biff policy. */
export class Biff implements Policy {
  readonly name = "biff";
  readonly model = "per-cpu" as const;
  /** Threads the hook picked. */
  picks = 0;
  readonly #queue = new Deque();
  /** Per CPU: 1 while a ping is on its way (cleared when its hook runs). */
  #kicked: Uint8Array = new Uint8Array(0);
  #hooked = false;
  readonly #tasks: TaskTable<BiffTask> = new TaskTable(this.name, {
    create: (ctx, msg) => this.#create(ctx, msg),
    enqueue: (_ctx, task, msg) => {
      // Preempted: it goes first.
      if (msg === null || msg.type === MSG.TASK_PREEMPT) this.#queue.pushFront(task.gtid);
      else this.#queue.pushBack(task.gtid);
    },
    dequeue: (_ctx, task) => void this.#queue.remove(task.gtid),
  });

  /** A new task; the first one installs the hook. */
  #create(ctx: AgentContext, msg: Message): BiffTask {
    const status = ctx.status(msg.gtid);
    if (status === undefined) throw new Error(`${this.name}: no status word for ${msg.gtid}`);
    if (!this.#hooked) {
      this.#kicked = new Uint8Array(ctx.topology.size);
      ctx.setPickHook((cpu) => this.#pick(cpu));
      this.#hooked = true;
    }
    return { gtid: msg.gtid, state: "blocked", cpu: -1, status };
  }

  /** The pick-next-task hook: the first queued thread that may run on `cpu`, or -1. */
  #pick(cpu: number): number {
    this.#kicked[cpu] = 0;
    const queue = this.#queue;
    const first = queue.size > 0 ? this.#tasks.get(queue.peekFront()) : null;
    let picked: BiffTask | null = null;
    if (first !== null && Biff.#runnableOn(first.status, cpu)) {
      queue.popFront();
      picked = first;
    } else {
      // Slow path: rotate once through the queue, keeping its order.
      for (let i = queue.size; i > 0; i--) {
        const gtid = queue.popFront();
        const task = this.#tasks.get(gtid);
        if (picked === null && Biff.#runnableOn(task.status, cpu)) picked = task;
        else queue.pushBack(gtid);
      }
    }
    if (picked === null) return -1;
    this.#tasks.expect(picked, "queued");
    this.#tasks.run(picked, cpu);
    this.picks++;
    return picked.gtid;
  }

  /** Whether the kernel can run a thread on `cpu` now (a departed one cannot). */
  static #runnableOn(status: TaskStatus, cpu: number): boolean {
    return status.schedClass === "ghost" && status.state === "runnable" &&
      status.latchedCpu < 0 && status.allowed(cpu);
  }

  /** TASK_NEW: back of the FIFO. */
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

  /** TASK_PREEMPT: front of the FIFO. */
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
   * No decisions: pings idle CPUs so that their hooks run, one per waiting
   * thread (this agent's own CPU runs its hook when the agent sleeps).
   */
  schedule(ctx: AgentContext): void {
    if (!this.#hooked) return;
    const tasks = this.#tasks;
    let wanted = this.#queue.size;
    if (tasks.holder(ctx.cpu) === -1) wanted--;
    for (const cpu of ctx.cpus) {
      if (wanted <= 0) return;
      if (cpu === ctx.cpu || tasks.holder(cpu) !== -1) continue;
      if (this.#kicked[cpu] === 1) {
        wanted--;
        continue;
      }
      if (!ctx.cpuAvailable(cpu)) continue;
      this.#kicked[cpu] = 1;
      ctx.ping(cpu);
      wanted--;
    }
  }
}
