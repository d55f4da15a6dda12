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
 * that ran that long while others wait and sends it to the back. The agent
 * costs a CPU, and one agent's decision rate caps the machine's.
 *
 * A thread preempted by the kernel (a fair thread took its CPU) goes to the
 * front, since it did not choose to stop. A thread discovered running (an
 * agent attaching to a live enclave: upgrade, restart) holds its CPU as if
 * just committed there, its slice starting at discovery.
 *
 * @module
 */

import type { AgentContext, Policy } from "../core/policy.ts";
import { CpuSet } from "../core/cpu_set.ts";
import { TXN } from "../core/ghost_abi.ts";
import {
  type Message,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
} from "../core/message_queue.ts";
import { Deque } from "./_deque.ts";

/** A task's state as this policy tracks it. */
type TaskState = "blocked" | "queued" | "onCpu";

interface Task {
  state: TaskState;
  /** CPU it was committed to, or -1. */
  cpu: number;
}

/** Options of the centralized FIFO. */
export interface FifoCentralizedOptions {
  /** Preempt a thread that ran this long while others wait, ns; Infinity: never. @default Infinity */
  sliceNs?: number;
}

/** The centralized FIFO policy. */
export class FifoCentralized implements Policy {
  readonly name: string = "fifo-centralized";
  readonly model = "centralized" as const;
  readonly #tasks = new Map<number, Task>();
  readonly #queue = new Deque();
  readonly #slice: number;
  #current: Int32Array = new Int32Array(0);
  #startedAt: Float64Array = new Float64Array(0);
  #idle: CpuSet = new CpuSet(0);
  #busy: Deque = new Deque();
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  #ready = false;

  /** Creates the policy. */
  constructor(options: FifoCentralizedOptions = {}) {
    this.#slice = options.sliceNs ?? Infinity;
  }

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    const n = ctx.topology.size;
    this.#current = new Int32Array(n).fill(-1);
    this.#startedAt = new Float64Array(n);
    this.#idle = new CpuSet(n);
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
    for (const cpu of ctx.cpus) this.#idle.add(cpu);
  }

  #task(msg: Message): Task {
    const task = this.#tasks.get(msg.gtid);
    if (task === undefined) throw new Error(`${this.name}: unknown task ${msg.gtid}`);
    return task;
  }

  /** Marks the task off its CPU; the CPU becomes free for another. */
  #offCpu(task: Task, gtid: number, expected: TaskState): void {
    if (task.state !== expected) {
      throw new Error(`${this.name}: task ${gtid} is ${task.state}, expected ${expected}`);
    }
    const cpu = task.cpu;
    if (cpu >= 0 && this.#current[cpu] === gtid) {
      this.#current[cpu] = -1;
      this.#idle.add(cpu);
    }
    task.cpu = -1;
  }

  taskNew(ctx: AgentContext, msg: Message): void {
    this.#setUp(ctx);
    if ((msg.flags & MSG_FLAG_ON_CPU) !== 0) {
      // Discovered running on (or latched to) msg.cpu: as if just committed.
      const cpu = msg.cpu;
      if (!ctx.cpus.includes(cpu)) {
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, not an enclave CPU`);
      }
      if (this.#current[cpu] !== -1) {
        throw new Error(
          `${this.name}: task ${msg.gtid} on CPU ${cpu}, which runs ${this.#current[cpu]}`,
        );
      }
      const task: Task = { state: "blocked", cpu: -1 };
      this.#tasks.set(msg.gtid, task);
      this.#placed(ctx, task, msg.gtid, cpu);
      return;
    }
    const runnable = (msg.flags & MSG_FLAG_RUNNABLE) !== 0;
    this.#tasks.set(msg.gtid, { state: runnable ? "queued" : "blocked", cpu: -1 });
    if (runnable) this.#queue.pushBack(msg.gtid);
  }

  taskRunnable(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    if (task.state !== "blocked") throw new Error(`${this.name}: wakeup of ${task.state} task`);
    task.state = "queued";
    this.#queue.pushBack(msg.gtid);
  }

  taskBlocked(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid, "onCpu");
    task.state = "blocked";
  }

  taskPreempted(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid, "onCpu");
    task.state = "queued";
    if ((msg.flags & MSG_FLAG_BY_KERNEL) !== 0) this.#queue.pushFront(msg.gtid);
    else this.#queue.pushBack(msg.gtid);
  }

  taskYield(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    this.#offCpu(task, msg.gtid, "onCpu");
    task.state = "queued";
    this.#queue.pushBack(msg.gtid);
  }

  taskDead(_ctx: AgentContext, msg: Message): void {
    const task = this.#task(msg);
    if (task.state !== "blocked") throw new Error(`${this.name}: dead task was ${task.state}`);
    this.#tasks.delete(msg.gtid);
  }

  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    if (this.#slice !== Infinity) this.#preemptExpired(ctx);
    const idle = this.#idle;
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
      if (ctx.outcome(cpu) === TXN.COMPLETE) this.#placed(ctx, this.#tasks.get(gtid)!, gtid, cpu);
      else queue.pushFront(gtid);
    }
  }

  /** Records the task on `cpu` from now: the CPU is busy and its slice starts. */
  #placed(ctx: AgentContext, task: Task, gtid: number, cpu: number): void {
    task.state = "onCpu";
    task.cpu = cpu;
    this.#current[cpu] = gtid;
    this.#startedAt[cpu] = ctx.now;
    this.#idle.delete(cpu);
    if (this.#slice !== Infinity) {
      this.#busy.pushBack(cpu);
      ctx.wakeAt(ctx.now + this.#slice);
    }
  }

  /** Preempts threads whose slice expired while others wait (back of the queue). */
  #preemptExpired(ctx: AgentContext): void {
    const busy = this.#busy;
    while (busy.size > 0 && this.#queue.size > 0) {
      const cpu = busy.peekFront();
      const gtid = this.#current[cpu]!;
      // Nothing there, or the global agent's CPU (its thread's TASK_PREEMPT is on its way).
      if (gtid < 0 || cpu === ctx.globalCpu) {
        busy.popFront();
        continue;
      }
      const expires = this.#startedAt[cpu]! + this.#slice;
      if (expires > ctx.now) {
        ctx.wakeAt(expires);
        return;
      }
      busy.popFront();
      const next = this.#queue.popFront();
      ctx.open(cpu, next);
      ctx.commit();
      if (ctx.outcome(cpu) === TXN.COMPLETE) {
        // The replaced thread's TASK_PREEMPT will put it at the back.
        const old = this.#tasks.get(gtid);
        if (old !== undefined) old.cpu = -1;
        this.#placed(ctx, this.#tasks.get(next)!, next, cpu);
      } else {
        this.#queue.pushFront(next);
      }
    }
  }
}
