/**
 * `ghost-cfs`: Linux's CFS rebuilt as a per-CPU ghOSt policy, after
 * ghost-userspace's CFS agent. Each CPU has a run queue ordered by virtual
 * runtime, which grows by the CPU time a thread used (read from its
 * messages) times NICE_0_WEIGHT / weight (the weight of its nice value). The
 * lowest vruntime runs for its weight's share of a 10 ms latency period
 * (never less than the 1 ms minimum granularity), or until it leads the next
 * one's vruntime by that share; the agent's timer marks the end. A thread
 * that wakes more than the granularity behind preempts at once. A new
 * thread goes to the CPU with the fewest runnable threads, at that CPU's
 * min_vruntime; a woken one stays on its CPU with at most half a latency of
 * sleeper credit. A CPU with nothing queued steals the next waiter of the
 * busiest queue, and a CPU with waiters pings an idle one to come and steal.
 * A thread discovered running (an agent attaching to a live enclave:
 * upgrade, restart) belongs to the CPU it runs on, at that CPU's
 * min_vruntime, as its current thread with a slice starting at discovery.
 *
 * It gives CFS's weighted fairness and keeps threads on their CPU with no
 * CPU given to a global agent. The price is a per-CPU agent woken by every
 * message about its threads, each wake preempting the thread running there
 * (which then resumes if its slice has time left), and a balance that only
 * moves waiting threads to idle CPUs: two busy CPUs with uneven queues stay
 * uneven until one of them empties.
 *
 * @module
 */

import { MSG, TXN } from "../core/ghost_abi.ts";
import {
  type Message,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_WAS_LATCHED,
} from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { NICE_0_WEIGHT, NICE_TO_WEIGHT } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";
import { IndexedHeap } from "./_indexed_heap.ts";
import { type Task as TableTask, TaskTable } from "./task_table.ts";

/** Targeted latency: the period in which every runnable thread runs once, ns. */
const LATENCY = 10 * MS;
/** Minimum run time before a thread may be preempted, ns. */
const MIN_GRANULARITY = 1 * MS;
/** A slice with less than this left is over (switch costs make timers fire a little early), ns. */
const SLACK = 20 * US;

interface Task extends TableTask {
  /** The CPU whose run queue owns it. */
  home: number;
  /** Whether its messages already go to its CPU's queue. */
  associated: boolean;
  readonly weight: number;
  vruntime: number;
  /** CPU time accounted so far, ns (the runtime of its last message). */
  runtime: number;
  /** `runtime` when its current slice began. */
  sliceStart: number;
  /** Position in its run queue's heap, or -1. */
  heapIndex: number;
  /** Insertion order: equal vruntimes run in FIFO order. */
  seq: number;
}

/** Runs first: the smaller vruntime, equal vruntimes in FIFO order. */
function runsFirst(a: Task, b: Task): boolean {
  return a.vruntime < b.vruntime || (a.vruntime === b.vruntime && a.seq < b.seq);
}

/** One CPU's run queue: a min-heap on (vruntime, seq), plus what runs. */
class RunQueue {
  readonly #heap = new IndexedHeap<Task>(runsFirst);
  /** Total weight of the queued tasks. */
  weight = 0;
  minVruntime = 0;
  /** The task committed on this CPU, or null. */
  current: Task | null = null;
  /** A task its own agent preempted mid-slice: it may resume. */
  resume: Task | null = null;
  /** Whether a thread woke or arrived here since the agent last scheduled. */
  woken = false;

  get size(): number {
    return this.#heap.size;
  }

  /** Runnable threads of the CPU: queued plus running. */
  get load(): number {
    return this.#heap.size + (this.current === null ? 0 : 1);
  }

  push(task: Task): void {
    this.weight += task.weight;
    this.#heap.push(task);
  }

  peek(): Task | null {
    return this.#heap.peek();
  }

  remove(task: Task): void {
    if (!this.#heap.remove(task)) {
      throw new Error(`ghost-cfs: task ${task.gtid} is not queued here`);
    }
    this.weight -= task.weight;
  }

  /** min_vruntime only grows: up to the smallest vruntime of the CPU. */
  updateMin(): void {
    let min = this.current?.vruntime ?? Infinity;
    const first = this.#heap.peek();
    if (first !== null && first.vruntime < min) min = first.vruntime;
    if (min !== Infinity && min > this.minVruntime) this.minVruntime = min;
  }
}

/** The CFS-as-a-ghOSt-policy. */
export class GhostCfs implements Policy {
  readonly name = "ghost-cfs";
  readonly model = "per-cpu" as const;
  /** Threads an idle CPU took from a busier one. */
  steals = 0;
  #rqs: RunQueue[] = [];
  #seq = 0;
  readonly #tasks: TaskTable<Task> = new TaskTable(this.name, {
    create: (ctx, msg) => this.#create(ctx, msg),
    enqueue: (ctx, task, msg) => this.#enqueue(ctx, task, msg),
    dequeue: (_ctx, task) => this.#rqs[task.home]!.remove(task),
    adopt: (ctx, task) => this.#adopt(ctx, task),
    vacate: (ctx, _task, cpu) => {
      const rq = this.#rqs[cpu]!;
      rq.current = null;
      if (rq.size > 0 && cpu !== ctx.cpu) ctx.ping(cpu);
    },
  });

  #setUp(ctx: AgentContext): void {
    if (this.#rqs.length === 0) {
      this.#rqs = Array.from({ length: ctx.topology.size }, () => new RunQueue());
    }
  }

  /**
   * A new task goes to the CPU it was found on, else to the one with the
   * fewest runnable threads, at that CPU's min_vruntime.
   */
  #create(ctx: AgentContext, msg: Message): Task {
    this.#setUp(ctx);
    let home = ctx.cpus[0]!;
    if ((msg.flags & MSG_FLAG_ON_CPU) !== 0) home = msg.cpu;
    else for (const c of ctx.cpus) if (this.#rqs[c]!.load < this.#rqs[home]!.load) home = c;
    const task: Task = {
      gtid: msg.gtid,
      state: "blocked",
      cpu: -1,
      home,
      associated: false,
      weight: NICE_TO_WEIGHT[msg.aux + 20] ?? NICE_0_WEIGHT,
      vruntime: this.#rqs[home]!.minVruntime,
      runtime: msg.runtime,
      sliceStart: msg.runtime,
      heapIndex: -1,
      seq: 0,
    };
    task.associated = ctx.associate(msg.gtid, home);
    return task;
  }

  /** Found running on its CPU: as if just committed, its slice starting at its runtime now. */
  #adopt(ctx: AgentContext, task: Task): void {
    const rq = this.#rqs[task.home]!;
    rq.current = task;
    rq.updateMin();
    // Waiters elsewhere ping this CPU when queued; the local agent arms its timer.
    if (rq.size > 0 && task.home === ctx.cpu) {
      ctx.wakeAt(ctx.now + GhostCfs.#remaining(task, rq, false));
    }
  }

  /** The task of a message; retries moving its messages to its CPU's queue. */
  #task(ctx: AgentContext, msg: Message): Task {
    const task = this.#tasks.get(msg.gtid);
    if (!task.associated) task.associated = ctx.associate(msg.gtid, task.home);
    return task;
  }

  /** Charges the CPU time since the last message to the task's vruntime. */
  #account(task: Task, runtime: number): void {
    const delta = runtime - task.runtime;
    task.runtime = runtime;
    task.vruntime += task.weight === NICE_0_WEIGHT ? delta : delta * NICE_0_WEIGHT / task.weight;
    this.#rqs[task.home]!.updateMin();
  }

  /**
   * Queues the task on its CPU and makes that CPU's agent look at it. A new
   * or woken thread may preempt what runs there (a woken one with at most
   * half a latency of sleeper credit); one its own agent preempted mid-slice
   * may resume.
   */
  #enqueue(ctx: AgentContext, task: Task, msg: Message | null): void {
    const rq = this.#rqs[task.home]!;
    const type = msg === null ? -1 : msg.type;
    if (type === MSG.TASK_WAKEUP) {
      const floor = rq.minVruntime - LATENCY / 2;
      if (task.vruntime < floor) task.vruntime = floor;
    }
    if (type === MSG.TASK_NEW || type === MSG.TASK_WAKEUP) rq.woken = true;
    task.seq = this.#seq++;
    rq.push(task);
    if (task.home !== ctx.cpu) ctx.ping(task.home);
    if (type !== MSG.TASK_PREEMPT) return;
    const byOwnAgent = (msg!.flags & (MSG_FLAG_BY_KERNEL | MSG_FLAG_WAS_LATCHED)) === 0 &&
      msg!.cpu === task.home;
    if (byOwnAgent) rq.resume = task;
  }

  /** TASK_NEW. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: queued on its CPU, with at most half a latency of sleeper credit. */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#task(ctx, msg);
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED: its CPU time is charged. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#account(this.#task(ctx, msg), msg.runtime);
    this.#tasks.taskBlocked(ctx, msg);
  }

  /** TASK_PREEMPT: charged and queued again; it may resume if its own agent preempted it. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#account(this.#task(ctx, msg), msg.runtime);
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: charged and queued again. */
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#account(this.#task(ctx, msg), msg.runtime);
    this.#tasks.taskYield(ctx, msg);
  }

  /** TASK_DEAD. */
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDead(ctx, msg);
  }

  /** TASK_DEPARTED: out of its run queue (or off its CPU) and forgotten. */
  taskDeparted(ctx: AgentContext, msg: Message): void {
    const task = this.#tasks.taskDeparted(ctx, msg);
    const rq = this.#rqs[task.home]!;
    if (rq.resume === task) rq.resume = null;
  }

  /** Picks for this CPU if nothing runs there, then offers a waiter to an idle CPU. */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    const cpu = ctx.cpu;
    const rq = this.#rqs[cpu]!;
    if (rq.current === null) {
      if (!ctx.cpuAvailable(cpu)) {
        // A fair thread holds the CPU: look again later.
        if (rq.size > 0) ctx.wakeAt(ctx.now + MIN_GRANULARITY);
      } else {
        if (rq.size === 0) this.#steal(ctx, rq);
        this.#pick(ctx, rq);
      }
    }
    rq.resume = null;
    rq.woken = false;
    this.#balance(ctx, rq);
  }

  /** The slice of a task queued or running on `rq`: its weight's share of the period. */
  static #slice(task: Task, rq: RunQueue): number {
    const weight = rq.weight + (task.heapIndex >= 0 ? 0 : task.weight);
    const period = Math.max(LATENCY, rq.load * MIN_GRANULARITY);
    return Math.max(MIN_GRANULARITY, period * task.weight / weight);
  }

  /**
   * How much longer, ns, the task may run before the first waiter replaces
   * it (Linux's check_preempt_tick): until it ran its slice, or ran the
   * minimum granularity and leads the waiter's vruntime by a slice. A waiter
   * that just woke preempts at once when it trails by the granularity
   * (check_preempt_wakeup).
   */
  static #remaining(task: Task, rq: RunQueue, woken: boolean): number {
    const ran = task.runtime - task.sliceStart;
    const slice = GhostCfs.#slice(task, rq);
    const first = rq.peek();
    if (first === null || first === task) return slice - ran;
    const lead = task.vruntime - first.vruntime;
    if (woken && lead > MIN_GRANULARITY) return 0;
    const untilLead = (slice - lead) * task.weight / NICE_0_WEIGHT;
    return Math.min(slice - ran, Math.max(MIN_GRANULARITY - ran, untilLead));
  }

  /**
   * Commits the task with the lowest vruntime, or lets the one its agent just
   * preempted go on while it has time left; then arms the agent's timer for
   * the end of the slice when threads wait.
   */
  #pick(ctx: AgentContext, rq: RunQueue): void {
    const resume = rq.resume;
    rq.resume = null;
    const failed: Task[] = [];
    while (rq.size > 0 && failed.length < 3) {
      let next = rq.peek()!;
      let goesOn = false;
      if (
        failed.length === 0 && resume !== null && resume.home === ctx.cpu && resume.heapIndex >= 0
      ) {
        goesOn = GhostCfs.#remaining(resume, rq, rq.woken) > SLACK;
        if (goesOn) next = resume;
      }
      if (!goesOn) next.sliceStart = next.runtime;
      rq.remove(next);
      ctx.open(ctx.cpu, next.gtid);
      ctx.commit();
      const outcome = ctx.outcome(ctx.cpu);
      if (outcome === TXN.COMPLETE) {
        this.#tasks.run(next, ctx.cpu);
        rq.current = next;
        rq.updateMin();
        if (rq.size > 0) ctx.wakeAt(ctx.now + GhostCfs.#remaining(next, rq, false));
        break;
      }
      // Stale (a message about it is on its way) or the CPU is taken.
      failed.push(next);
      if (outcome === TXN.CPU_UNAVAIL) {
        ctx.wakeAt(ctx.now + MIN_GRANULARITY);
        break;
      }
    }
    for (const task of failed) rq.push(task);
  }

  /** Whether an idle CPU may take the first waiter of `rq`: it waits behind another. */
  static #canSteal(rq: RunQueue): boolean {
    return rq.size > 0 && rq.load >= 2;
  }

  /** An empty CPU takes the next waiter of the busiest queue it may run. */
  #steal(ctx: AgentContext, rq: RunQueue): void {
    let source: RunQueue | null = null;
    for (const c of ctx.cpus) {
      const other = this.#rqs[c]!;
      if (other === rq || !GhostCfs.#canSteal(other)) continue;
      if (ctx.status(other.peek()!.gtid)?.allowed(ctx.cpu) !== true) continue;
      if (source === null || other.load > source.load) source = other;
    }
    if (source === null) return;
    const task = source.peek()!;
    source.remove(task);
    if (source.resume === task) source.resume = null;
    task.vruntime += rq.minVruntime - source.minVruntime;
    task.home = ctx.cpu;
    task.associated = ctx.associate(task.gtid, ctx.cpu);
    rq.push(task);
    this.steals++;
  }

  /** With a waiter that could run elsewhere, pings one idle CPU to come and steal it. */
  #balance(ctx: AgentContext, rq: RunQueue): void {
    if (!GhostCfs.#canSteal(rq)) return;
    const waiter = ctx.status(rq.peek()!.gtid);
    if (waiter === undefined) return;
    for (const c of ctx.cpus) {
      if (c === ctx.cpu || this.#rqs[c]!.load > 0 || !waiter.allowed(c)) continue;
      if (!ctx.cpuAvailable(c)) continue;
      ctx.ping(c);
      return;
    }
  }
}
