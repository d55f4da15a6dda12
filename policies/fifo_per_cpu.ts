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

import type { AgentContext, Policy } from "../core/policy.ts";
import { TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import { Deque } from "./_deque.ts";

/** A task's state as this policy tracks it. */
type TaskState = "blocked" | "queued" | "onCpu";

interface Task {
  state: TaskState;
  /** The CPU it belongs to. */
  cpu: number;
  /** Whether its messages already go to its CPU's queue. */
  associated: boolean;
}

/** The per-CPU FIFO policy. */
export class FifoPerCpu implements Policy {
  readonly name = "fifo-percpu";
  readonly model = "per-cpu" as const;
  readonly #tasks = new Map<number, Task>();
  #queues: Deque[] = [];
  #current: Int32Array = new Int32Array(0);
  #next = 0;

  #task(msg: Message): Task {
    const task = this.#tasks.get(msg.gtid);
    if (task === undefined) throw new Error(`${this.name}: unknown task ${msg.gtid}`);
    return task;
  }

  #expect(task: Task, gtid: number, state: TaskState): void {
    if (task.state !== state) {
      throw new Error(`${this.name}: task ${gtid} is ${task.state}, expected ${state}`);
    }
  }

  /** Moves the task's messages to its CPU's queue, once; retried while stale. */
  #associate(ctx: AgentContext, gtid: number, task: Task): void {
    if (!task.associated) task.associated = ctx.associate(gtid, task.cpu);
  }

  #enqueue(ctx: AgentContext, gtid: number, task: Task, front: boolean): void {
    task.state = "queued";
    const queue = this.#queues[task.cpu]!;
    if (front) queue.pushFront(gtid);
    else queue.pushBack(gtid);
    if (task.cpu !== ctx.cpu && this.#current[task.cpu] === -1) ctx.ping(task.cpu);
  }

  #offCpu(task: Task, gtid: number): void {
    this.#expect(task, gtid, "onCpu");
    if (this.#current[task.cpu] === gtid) this.#current[task.cpu] = -1;
  }

  taskNew(ctx: AgentContext, msg: Message): void {
    if (this.#queues.length === 0) {
      this.#queues = Array.from({ length: ctx.topology.size }, () => new Deque());
      this.#current = new Int32Array(ctx.topology.size).fill(-1);
    }
    if ((msg.flags & MSG_FLAG_ON_CPU) !== 0) {
      // Discovered running on (or latched to) msg.cpu: it stays there.
      const cpu = msg.cpu;
      if (!ctx.cpus.includes(cpu)) {
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, not an enclave CPU`);
      }
      if (this.#current[cpu] !== -1) {
        throw new Error(
          `${this.name}: task ${msg.gtid} on CPU ${cpu}, which runs ${this.#current[cpu]}`,
        );
      }
      const task: Task = { state: "onCpu", cpu, associated: false };
      this.#tasks.set(msg.gtid, task);
      this.#current[cpu] = msg.gtid;
      this.#associate(ctx, msg.gtid, task);
      return;
    }
    const cpu = ctx.cpus[this.#next++ % ctx.cpus.length]!;
    const task: Task = { state: "blocked", cpu, associated: false };
    this.#tasks.set(msg.gtid, task);
    this.#associate(ctx, msg.gtid, task);
    if ((msg.flags & MSG_FLAG_RUNNABLE) !== 0) this.#enqueue(ctx, msg.gtid, task, false);
  }

  taskRunnable(ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#expect(task, msg.gtid, "blocked");
    this.#associate(ctx, msg.gtid, task);
    this.#enqueue(ctx, msg.gtid, task, false);
  }

  taskBlocked(ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid);
    task.state = "blocked";
    this.#associate(ctx, msg.gtid, task);
  }

  taskPreempted(ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid);
    this.#enqueue(ctx, msg.gtid, task, true);
  }

  taskYield(ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid);
    this.#enqueue(ctx, msg.gtid, task, false);
  }

  taskDead(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#expect(task, msg.gtid, "blocked");
    this.#tasks.delete(msg.gtid);
  }

  schedule(ctx: AgentContext): void {
    const cpu = ctx.cpu;
    const queue = this.#queues[cpu];
    if (queue === undefined || this.#current[cpu] !== -1 || queue.size === 0) return;
    const gtid = queue.popFront();
    ctx.open(cpu, gtid);
    ctx.commit();
    if (ctx.outcome(cpu) === TXN.COMPLETE) {
      this.#tasks.get(gtid)!.state = "onCpu";
      this.#current[cpu] = gtid;
    } else {
      // Stale (a newer message is on its way) or the CPU is busy: retry later.
      queue.pushFront(gtid);
    }
  }
}
