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

import type { AgentContext, Policy, TaskStatus } from "../core/policy.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import { Deque } from "./_deque.ts";

/** A task's state as this policy tracks it. */
type TaskState = "blocked" | "queued" | "onCpu";

interface Task {
  state: TaskState;
  /** CPU the hook picked it on, or -1. */
  cpu: number;
  /** The kernel's thread (its status word), read by the hook. */
  thread: TaskStatus;
}

/** The biff policy. */
export class Biff implements Policy {
  readonly name = "biff";
  readonly model = "per-cpu" as const;
  /** Threads the hook picked. */
  picks = 0;
  readonly #tasks = new Map<number, Task>();
  readonly #queue = new Deque();
  /** Per CPU: the task the hook picked there, or -1. */
  #current: Int32Array = new Int32Array(0);
  /** Per CPU: 1 while a ping is on its way (cleared when its hook runs). */
  #kicked: Uint8Array = new Uint8Array(0);
  #hooked = false;

  /** The pick-next-task hook: the first queued thread that may run on `cpu`, or -1. */
  #pick(cpu: number): number {
    this.#kicked[cpu] = 0;
    const queue = this.#queue;
    const first = queue.size > 0 ? this.#tasks.get(queue.peekFront())! : null;
    let picked: Task | null = null;
    if (first !== null && Biff.#runnableOn(first.thread, cpu)) {
      queue.popFront();
      picked = first;
    } else {
      // Slow path: rotate once through the queue, keeping its order.
      for (let i = queue.size; i > 0; i--) {
        const gtid = queue.popFront();
        const task = this.#tasks.get(gtid)!;
        if (picked === null && Biff.#runnableOn(task.thread, cpu)) picked = task;
        else queue.pushBack(gtid);
      }
    }
    if (picked === null) return -1;
    if (picked.state !== "queued") {
      throw new Error(`${this.name}: picked task ${picked.thread.id} is ${picked.state}`);
    }
    picked.state = "onCpu";
    picked.cpu = cpu;
    this.#current[cpu] = picked.thread.id;
    this.picks++;
    return picked.thread.id;
  }

  /** Whether the kernel can run a thread on `cpu` now (a departed one cannot). */
  static #runnableOn(thread: TaskStatus, cpu: number): boolean {
    return thread.schedClass === "ghost" && thread.state === "runnable" &&
      thread.latchedCpu < 0 && thread.allowed(cpu);
  }

  #task(msg: Message): Task {
    const task = this.#tasks.get(msg.gtid);
    if (task === undefined) throw new Error(`${this.name}: unknown task ${msg.gtid}`);
    return task;
  }

  #offCpu(task: Task, gtid: number): void {
    if (task.state !== "onCpu") {
      throw new Error(`${this.name}: task ${gtid} is ${task.state}, expected onCpu`);
    }
    if (this.#current[task.cpu] === gtid) this.#current[task.cpu] = -1;
    task.cpu = -1;
  }

  #enqueue(gtid: number, task: Task, front: boolean): void {
    task.state = "queued";
    if (front) this.#queue.pushFront(gtid);
    else this.#queue.pushBack(gtid);
  }

  taskNew(ctx: AgentContext, msg: Message): void {
    const thread = ctx.status(msg.gtid);
    if (thread === undefined) throw new Error(`${this.name}: no status word for ${msg.gtid}`);
    if (!this.#hooked) {
      this.#current = new Int32Array(ctx.topology.size).fill(-1);
      this.#kicked = new Uint8Array(ctx.topology.size);
      ctx.setPickHook((cpu) => this.#pick(cpu));
      this.#hooked = true;
    }
    const task: Task = { state: "blocked", cpu: -1, thread };
    this.#tasks.set(msg.gtid, task);
    if ((msg.flags & MSG_FLAG_ON_CPU) !== 0) {
      // Discovered running on (or latched to) msg.cpu: as if the hook picked it there.
      const cpu = msg.cpu;
      if (!ctx.cpus.includes(cpu)) {
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, not an enclave CPU`);
      }
      if (this.#current[cpu] !== -1) {
        throw new Error(
          `${this.name}: task ${msg.gtid} on CPU ${cpu}, which runs ${this.#current[cpu]}`,
        );
      }
      task.state = "onCpu";
      task.cpu = cpu;
      this.#current[cpu] = msg.gtid;
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
    this.#enqueue(msg.gtid, task, true);
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

  taskDeparted(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    if (task.state === "onCpu") this.#offCpu(task, msg.gtid);
    else if (task.state === "queued") this.#queue.remove(msg.gtid);
    this.#tasks.delete(msg.gtid);
  }

  /**
   * No decisions: pings idle CPUs so that their hooks run, one per waiting
   * thread (this agent's own CPU runs its hook when the agent sleeps).
   */
  schedule(ctx: AgentContext): void {
    if (!this.#hooked) return;
    let wanted = this.#queue.size;
    if (this.#current[ctx.cpu] === -1) wanted--;
    for (const cpu of ctx.cpus) {
      if (wanted <= 0) return;
      if (cpu === ctx.cpu || this.#current[cpu] !== -1) continue;
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
