/**
 * The task table every policy keeps: one record per thread with an explicit
 * state, and which CPU holds which thread. It implements the task callbacks
 * of `Policy` (TASK_NEW through TASK_DEPARTED): it checks each message
 * against the thread's state (a message out of place is a thrown error,
 * never a silent fix), moves the thread between states, and calls the
 * policy's hooks at each change, so that a policy writes only what differs:
 * how its run queue orders threads (`enqueue`, `dequeue`) and what it does
 * when a CPU is taken or given back (`adopt`, `vacate`). A thread that died
 * or left the enclave is forgotten at once; a departed thread still queued
 * is taken out of the run queue (`dequeue`), so that no commit of it fails
 * over and over.
 *
 * States: `blocked` (not runnable), `queued` (runnable, waiting in the
 * policy's run queue), `pending` (committed to a CPU, outcome not read yet:
 * async commits) and `onCpu` (running there, or latched). A task a commit
 * replaced on its CPU stays `onCpu` with `cpu` -1 until its TASK_PREEMPT.
 *
 * @module
 */

import { CpuSet } from "../core/cpu_set.ts";
import { GtidMap } from "../core/gtid_map.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { AgentContext } from "../core/policy.ts";

/** Where a task is, as a policy tracks it. */
export type TaskState = "blocked" | "queued" | "pending" | "onCpu";

/** The record a task table keeps per thread; a policy adds its own fields. */
export interface Task {
  /** Thread id. */
  readonly gtid: number;
  /** Where it is (the table changes it). */
  state: TaskState;
  /** The CPU it holds (`onCpu`) or was committed to (`pending`), else -1 (the table changes it). */
  cpu: number;
}

/** A CpuSet that can be read but not changed. */
export type ReadonlyCpuSet = Pick<CpuSet, "size" | "has" | "at">;

/** What a policy does when its tasks change state; the table calls these. */
export interface TaskHooks<T extends Task> {
  /**
   * Makes the record of a new thread (TASK_NEW, or a thread found by an
   * agent attaching to a live enclave), with state `blocked` and cpu -1; the
   * table then places it.
   */
  create(ctx: AgentContext, msg: Message): T;
  /**
   * Puts a task that now waits for a CPU (state `queued`) into the run
   * queue. `msg` is what made it wait: TASK_NEW, TASK_WAKEUP, TASK_PREEMPT
   * (see its flags) or TASK_YIELD; null when a pending commit of it failed.
   */
  enqueue(ctx: AgentContext, task: T, msg: Message | null): void;
  /** Takes a queued task out of the run queue: it left the enclave (TASK_DEPARTED). */
  dequeue(ctx: AgentContext, task: T): void;
  /** The task was found on `task.cpu` when the agent attached (upgrade, restart). @default nothing */
  adopt?(ctx: AgentContext, task: T): void;
  /**
   * `cpu` holds none of the policy's tasks any more: `task` blocked, was
   * preempted, yielded or departed there, or its pending commit failed.
   * @default nothing
   */
  vacate?(ctx: AgentContext, task: T, cpu: number): void;
}

/**
 * A policy's tasks by thread id, their states, and the task each CPU holds.
 * Memory follows the live threads: a dead or departed one is forgotten.
 *
 * @example
 * ```ts
 * import { type AgentContext, type Message, MSG, MSG_FLAG_RUNNABLE } from "./mod.ts";
 * import { type Task, TaskTable, Topology, TXN } from "./mod.ts";
 * const waiting: number[] = [];
 * const tasks = new TaskTable<Task>("lifo", {
 *   create: (_ctx, msg) => ({ gtid: msg.gtid, state: "blocked", cpu: -1 }),
 *   enqueue: (_ctx, task) => void waiting.push(task.gtid),
 *   dequeue: (_ctx, task) => void waiting.splice(waiting.indexOf(task.gtid), 1),
 * });
 * // A context that does nothing, as a unit test of a policy would use.
 * const ctx: AgentContext = {
 *   now: 0, cpu: 0, cpus: [0, 1], topology: new Topology({ name: "two", coresPerLlc: 2 }),
 *   globalCpu: 0, status: () => undefined, cpuAvailable: () => true, open: () => {},
 *   commit: () => 0, outcome: () => TXN.OPEN, associate: () => true, ping: () => true,
 *   wakeAt: () => {}, setPickHook: () => {}, agentStatus: () => undefined,
 * };
 * const msg: Message = {
 *   type: MSG.TASK_NEW, gtid: 7, seqnum: 1, cpu: -1, runtime: 0, flags: MSG_FLAG_RUNNABLE,
 *   time: 0, aux: 0,
 * };
 * tasks.taskNew(ctx, msg);
 * if (tasks.get(7).state !== "queued" || waiting[0] !== 7) throw new Error("not queued");
 * tasks.taskDeparted(ctx, { ...msg, type: MSG.TASK_DEPARTED, seqnum: 2 });
 * if (tasks.size !== 0 || waiting.length !== 0) throw new Error("not forgotten");
 * ```
 */
export class TaskTable<T extends Task> {
  readonly #policy: string;
  readonly #hooks: TaskHooks<T>;
  readonly #tasks = new GtidMap<T>();
  /** Per CPU: the gtid of the task it holds, or -1. */
  #holder: Int32Array = new Int32Array(0);
  #idle: CpuSet = new CpuSet(0);
  #ready = false;

  /** Creates an empty table; `policy` names the policy in errors. */
  constructor(policy: string, hooks: TaskHooks<T>) {
    this.#policy = policy;
    this.#hooks = hooks;
  }

  /** Number of live tasks. */
  get size(): number {
    return this.#tasks.size;
  }

  /**
   * The enclave's CPUs that hold none of the policy's tasks (the global
   * agent's CPU included), in the set's internal order; empty before `setUp`.
   */
  get idle(): ReadonlyCpuSet {
    return this.#idle;
  }

  /** Sizes the per-CPU state for the machine; once, at the first TASK_NEW or earlier. */
  setUp(ctx: Pick<AgentContext, "cpus" | "topology">): void {
    if (this.#ready) return;
    this.#ready = true;
    const n = ctx.topology.size;
    this.#holder = new Int32Array(n).fill(-1);
    this.#idle = new CpuSet(n);
    for (const cpu of ctx.cpus) this.#idle.add(cpu);
  }

  /** The task of a thread, or undefined if the table does not know it. */
  find(gtid: number): T | undefined {
    return this.#tasks.get(gtid);
  }

  /** The task of a thread; throws if the table does not know it. */
  get(gtid: number): T {
    const task = this.#tasks.get(gtid);
    if (task === undefined) throw new Error(`${this.#policy}: unknown task ${gtid}`);
    return task;
  }

  /** Throws unless the task is in `state`. */
  expect(task: T, state: TaskState): void {
    if (task.state !== state) {
      throw new Error(`${this.#policy}: task ${task.gtid} is ${task.state}, expected ${state}`);
    }
  }

  /** The gtid of the task `cpu` holds (on it, or committed to it), or -1. */
  holder(cpu: number): number {
    return this.#holder[cpu] ?? -1;
  }

  /**
   * Records `task` committed to `cpu` with its outcome unread (an async
   * commit): state `pending`. A task it replaces there keeps running until
   * its TASK_PREEMPT, with cpu -1.
   */
  pend(task: T, cpu: number): void {
    this.#take(task, cpu);
    task.state = "pending";
  }

  /**
   * Records `task` running on `cpu` (its commit completed, or the pick hook
   * chose it): state `onCpu`. A task it replaces there keeps running until
   * its TASK_PREEMPT, with cpu -1.
   */
  run(task: T, cpu: number): void {
    this.#take(task, cpu);
    task.state = "onCpu";
  }

  /** A pending commit of `task` failed: its CPU is free again and it waits (enqueue, msg null). */
  cancel(ctx: AgentContext, task: T): void {
    this.expect(task, "pending");
    this.#release(ctx, task);
    task.state = "queued";
    this.#hooks.enqueue(ctx, task, null);
  }

  /** TASK_NEW: records the thread; a runnable one waits, one found on a CPU holds it. */
  taskNew(ctx: AgentContext, msg: Message): T {
    this.setUp(ctx);
    if (this.#tasks.has(msg.gtid)) throw new Error(`${this.#policy}: task ${msg.gtid} is known`);
    const onCpu = (msg.flags & MSG_FLAG_ON_CPU) !== 0;
    if (onCpu) this.#checkFree(ctx, msg.gtid, msg.cpu);
    const task = this.#hooks.create(ctx, msg);
    this.#tasks.set(msg.gtid, task);
    if (onCpu) {
      this.#take(task, msg.cpu);
      task.state = "onCpu";
      this.#hooks.adopt?.(ctx, task);
    } else if ((msg.flags & MSG_FLAG_RUNNABLE) !== 0) {
      task.state = "queued";
      this.#hooks.enqueue(ctx, task, msg);
    }
    return task;
  }

  /** TASK_WAKEUP: a blocked task waits for a CPU. */
  taskRunnable(ctx: AgentContext, msg: Message): T {
    const task = this.get(msg.gtid);
    this.expect(task, "blocked");
    task.state = "queued";
    this.#hooks.enqueue(ctx, task, msg);
    return task;
  }

  /** TASK_BLOCKED: a running task blocked; its CPU is free. */
  taskBlocked(ctx: AgentContext, msg: Message): T {
    const task = this.#leave(ctx, msg);
    task.state = "blocked";
    return task;
  }

  /** TASK_PREEMPT: a running task lost its CPU and waits again. */
  taskPreempted(ctx: AgentContext, msg: Message): T {
    const task = this.#leave(ctx, msg);
    task.state = "queued";
    this.#hooks.enqueue(ctx, task, msg);
    return task;
  }

  /** TASK_YIELD: a running task gave its CPU up and waits again. */
  taskYield(ctx: AgentContext, msg: Message): T {
    return this.taskPreempted(ctx, msg);
  }

  /** TASK_DEAD: a blocked task exited; forgotten. */
  taskDead(_ctx: AgentContext, msg: Message): T {
    const task = this.get(msg.gtid);
    this.expect(task, "blocked");
    this.#tasks.delete(msg.gtid);
    return task;
  }

  /**
   * TASK_DEPARTED: the task left the ghost class, from any state: taken out
   * of the run queue or off its CPU, and forgotten.
   */
  taskDeparted(ctx: AgentContext, msg: Message): T {
    const task = this.get(msg.gtid);
    if (task.state === "queued") this.#hooks.dequeue(ctx, task);
    else if (task.state !== "blocked") this.#release(ctx, task);
    this.#tasks.delete(msg.gtid);
    return task;
  }

  /** A task on a CPU stopped running there (blocked, preempted, yielded). */
  #leave(ctx: AgentContext, msg: Message): T {
    const task = this.get(msg.gtid);
    this.expect(task, "onCpu");
    this.#release(ctx, task);
    return task;
  }

  /** Frees the task's CPU if it still holds it (the policy's vacate hook runs). */
  #release(ctx: AgentContext, task: T): void {
    const cpu = task.cpu;
    task.cpu = -1;
    if (cpu < 0 || this.#holder[cpu] !== task.gtid) return;
    this.#holder[cpu] = -1;
    this.#idle.add(cpu);
    this.#hooks.vacate?.(ctx, task, cpu);
  }

  /** Makes `task` the holder of `cpu`; a task it replaces loses the CPU (cpu -1). */
  #take(task: T, cpu: number): void {
    if (!(cpu >= 0 && cpu < this.#holder.length)) {
      throw new RangeError(`${this.#policy}: task ${task.gtid} placed on CPU ${cpu}, out of range`);
    }
    const replaced = this.#holder[cpu]!;
    if (replaced >= 0 && replaced !== task.gtid) {
      const old = this.#tasks.get(replaced);
      if (old !== undefined) old.cpu = -1;
    }
    this.#holder[cpu] = task.gtid;
    this.#idle.delete(cpu);
    task.cpu = cpu;
  }

  /** Checks that a thread found on `cpu` may hold it: an enclave CPU holding nothing. */
  #checkFree(ctx: AgentContext, gtid: number, cpu: number): void {
    if (!ctx.cpus.includes(cpu)) {
      throw new Error(`${this.#policy}: task ${gtid} on CPU ${cpu}, not an enclave CPU`);
    }
    const holder = this.#holder[cpu]!;
    if (holder !== -1) {
      throw new Error(`${this.#policy}: task ${gtid} on CPU ${cpu}, which holds ${holder}`);
    }
  }
}
