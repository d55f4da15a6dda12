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

import type { AgentContext, Policy } from "../core/policy.ts";
import { CpuSet } from "../core/cpu_set.ts";
import { MSG, TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import { Deque } from "./_deque.ts";

/** A task's state as this policy tracks it. */
type TaskState = "blocked" | "queued" | "pending" | "onCpu";

interface Task {
  state: TaskState;
  /** CPU it was committed to (pending or onCpu), or -1. */
  cpu: number;
}

/** The speed-of-light policy. */
export class Sol implements Policy {
  readonly name = "sol";
  readonly model = "centralized" as const;
  readonly #tasks = new Map<number, Task>();
  readonly #queue = new Deque();
  /** Per CPU: the task running there, or -1. */
  #current: Int32Array = new Int32Array(0);
  /** Per CPU: the task of a commit whose outcome is unread, or -1. */
  #next: Int32Array = new Int32Array(0);
  /** CPUs with neither a current nor a pending task. */
  #idle: CpuSet = new CpuSet(0);
  /** CPUs with a pending commit. */
  #pending: CpuSet = new CpuSet(0);
  #ready = false;

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    const n = ctx.topology.size;
    this.#current = new Int32Array(n).fill(-1);
    this.#next = new Int32Array(n).fill(-1);
    this.#idle = new CpuSet(n);
    this.#pending = new CpuSet(n);
    for (const cpu of ctx.cpus) this.#idle.add(cpu);
  }

  #task(ctx: AgentContext, msg: Message): Task {
    const task = this.#tasks.get(msg.gtid);
    if (task === undefined) throw new Error(`${this.name}: unknown task ${msg.gtid}`);
    if (task.state === "pending" && !this.#reap(ctx, task.cpu)) {
      // Only TASK_DEPARTED may concern a task whose commit failed.
      if (msg.type !== MSG.TASK_DEPARTED) {
        throw new Error(`${this.name}: task ${msg.gtid} ran without a commit`);
      }
    }
    return task;
  }

  /** Reads the outcome of `cpu`'s pending commit; returns whether it completed. */
  #reap(ctx: AgentContext, cpu: number): boolean {
    const gtid = this.#next[cpu]!;
    const task = this.#tasks.get(gtid)!;
    this.#next[cpu] = -1;
    this.#pending.delete(cpu);
    if (ctx.outcome(cpu) === TXN.COMPLETE) {
      task.state = "onCpu";
      this.#current[cpu] = gtid;
      return true;
    }
    task.state = "queued";
    task.cpu = -1;
    this.#queue.pushFront(gtid);
    this.#idle.add(cpu);
    return false;
  }

  /** Marks the task off its CPU; the CPU becomes idle. */
  #offCpu(task: Task, gtid: number): void {
    if (task.state !== "onCpu") {
      throw new Error(`${this.name}: task ${gtid} is ${task.state}, expected onCpu`);
    }
    if (this.#current[task.cpu] === gtid) {
      this.#current[task.cpu] = -1;
      this.#idle.add(task.cpu);
    }
    task.cpu = -1;
  }

  taskNew(ctx: AgentContext, msg: Message): void {
    this.#setUp(ctx);
    if ((msg.flags & MSG_FLAG_ON_CPU) !== 0) {
      // Discovered running on (or latched to) msg.cpu: as if its commit completed.
      const cpu = msg.cpu;
      if (!ctx.cpus.includes(cpu)) {
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, not an enclave CPU`);
      }
      if (!this.#idle.has(cpu)) {
        const other = this.#current[cpu] !== -1 ? this.#current[cpu] : this.#next[cpu];
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, which holds ${other}`);
      }
      this.#tasks.set(msg.gtid, { state: "onCpu", cpu });
      this.#current[cpu] = msg.gtid;
      this.#idle.delete(cpu);
      return;
    }
    const runnable = (msg.flags & MSG_FLAG_RUNNABLE) !== 0;
    this.#tasks.set(msg.gtid, { state: runnable ? "queued" : "blocked", cpu: -1 });
    if (runnable) this.#queue.pushBack(msg.gtid);
  }

  taskRunnable(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    if (task.state !== "blocked") throw new Error(`${this.name}: wakeup of ${task.state} task`);
    task.state = "queued";
    this.#queue.pushBack(msg.gtid);
  }

  taskBlocked(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    this.#offCpu(task, msg.gtid);
    task.state = "blocked";
  }

  taskPreempted(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    this.#offCpu(task, msg.gtid);
    task.state = "queued";
    this.#queue.pushFront(msg.gtid);
  }

  taskYield(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    this.#offCpu(task, msg.gtid);
    task.state = "queued";
    this.#queue.pushBack(msg.gtid);
  }

  taskDead(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    if (task.state !== "blocked") throw new Error(`${this.name}: dead task was ${task.state}`);
    this.#tasks.delete(msg.gtid);
  }

  taskDeparted(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    if (task.state === "onCpu") this.#offCpu(task, msg.gtid);
    else if (task.state === "queued") this.#queue.remove(msg.gtid);
    this.#tasks.delete(msg.gtid);
  }

  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    // Last pass's commits: completed ones run, failed ones go back in front.
    while (this.#pending.size > 0) this.#reap(ctx, this.#pending.at(0));
    const idle = this.#idle;
    const queue = this.#queue;
    for (let i = idle.size - 1; i >= 0 && queue.size > 0; i--) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = queue.popFront();
      const task = this.#tasks.get(gtid)!;
      task.state = "pending";
      task.cpu = cpu;
      this.#next[cpu] = gtid;
      idle.delete(cpu);
      this.#pending.add(cpu);
      ctx.open(cpu, gtid);
    }
    if (this.#pending.size > 0) ctx.commit("async");
  }
}
