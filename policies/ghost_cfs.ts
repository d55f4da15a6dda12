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

import type { AgentContext, Policy } from "../core/policy.ts";
import { TXN } from "../core/ghost_abi.ts";
import {
  type Message,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
  MSG_FLAG_WAS_LATCHED,
} from "../core/message_queue.ts";
import { NICE_0_WEIGHT, NICE_TO_WEIGHT } from "../core/thread.ts";
import { MS, US } from "../core/units.ts";

/** Targeted latency: the period in which every runnable thread runs once, ns. */
const LATENCY = 10 * MS;
/** Minimum run time before a thread may be preempted, ns. */
const MIN_GRANULARITY = 1 * MS;
/** A slice with less than this left is over (switch costs make timers fire a little early), ns. */
const SLACK = 20 * US;

/** A task's state as this policy tracks it. */
type TaskState = "blocked" | "queued" | "onCpu";

interface Task {
  readonly gtid: number;
  state: TaskState;
  /** The CPU whose run queue owns it. */
  cpu: number;
  /** Whether its messages already go to its CPU's queue. */
  associated: boolean;
  readonly weight: number;
  vruntime: number;
  /** CPU time accounted so far, ns (the runtime of its last message). */
  runtime: number;
  /** `runtime` when its current slice began. */
  sliceStart: number;
  /** Position in its run queue's heap, or -1. */
  index: number;
  /** Insertion order: equal vruntimes run in FIFO order. */
  seq: number;
}

/** One CPU's run queue: a binary min-heap on (vruntime, seq), plus what runs. */
class RunQueue {
  readonly heap: Task[] = [];
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
    return this.heap.length;
  }

  /** Runnable threads of the CPU: queued plus running. */
  get load(): number {
    return this.heap.length + (this.current === null ? 0 : 1);
  }

  push(task: Task): void {
    task.index = this.heap.length;
    this.heap.push(task);
    this.weight += task.weight;
    this.#up(task.index);
  }

  peek(): Task | null {
    return this.heap[0] ?? null;
  }

  remove(task: Task): void {
    const heap = this.heap;
    const i = task.index;
    if (heap[i] !== task) throw new Error(`ghost-cfs: task ${task.gtid} is not queued here`);
    const last = heap.pop()!;
    this.weight -= task.weight;
    task.index = -1;
    if (last === task) return;
    heap[i] = last;
    last.index = i;
    this.#up(i);
    this.#down(last.index);
  }

  /** min_vruntime only grows: up to the smallest vruntime of the CPU. */
  updateMin(): void {
    let min = this.current?.vruntime ?? Infinity;
    const first = this.heap[0];
    if (first !== undefined && first.vruntime < min) min = first.vruntime;
    if (min !== Infinity && min > this.minVruntime) this.minVruntime = min;
  }

  static #less(a: Task, b: Task): boolean {
    return a.vruntime < b.vruntime || (a.vruntime === b.vruntime && a.seq < b.seq);
  }

  #up(i: number): void {
    const heap = this.heap;
    const task = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent]!;
      if (!RunQueue.#less(task, above)) break;
      heap[i] = above;
      above.index = i;
      i = parent;
    }
    heap[i] = task;
    task.index = i;
  }

  #down(i: number): void {
    const heap = this.heap;
    const task = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      const right = heap[child + 1];
      if (right !== undefined && RunQueue.#less(right, heap[child]!)) child++;
      const below = heap[child]!;
      if (!RunQueue.#less(below, task)) break;
      heap[i] = below;
      below.index = i;
      i = child;
    }
    heap[i] = task;
    task.index = i;
  }
}

/** The CFS-as-a-ghOSt-policy. */
export class GhostCfs implements Policy {
  readonly name = "ghost-cfs";
  readonly model = "per-cpu" as const;
  /** Threads an idle CPU took from a busier one. */
  steals = 0;
  readonly #tasks = new Map<number, Task>();
  #rqs: RunQueue[] = [];
  #seq = 0;

  #setUp(ctx: AgentContext): void {
    if (this.#rqs.length === 0) {
      this.#rqs = Array.from({ length: ctx.topology.size }, () => new RunQueue());
    }
  }

  /** The task of a message; retries moving its messages to its CPU's queue. */
  #task(ctx: AgentContext, msg: Message, associate = true): Task {
    const task = this.#tasks.get(msg.gtid);
    if (task === undefined) throw new Error(`${this.name}: unknown task ${msg.gtid}`);
    if (associate && !task.associated) task.associated = ctx.associate(msg.gtid, task.cpu);
    return task;
  }

  /** Charges the CPU time since the last message to the task's vruntime. */
  #account(task: Task, runtime: number): void {
    const delta = runtime - task.runtime;
    task.runtime = runtime;
    task.vruntime += task.weight === NICE_0_WEIGHT ? delta : delta * NICE_0_WEIGHT / task.weight;
    this.#rqs[task.cpu]!.updateMin();
  }

  /** Queues the task on its CPU and makes that CPU's agent look at it. */
  #enqueue(ctx: AgentContext, task: Task): void {
    task.state = "queued";
    task.seq = this.#seq++;
    this.#rqs[task.cpu]!.push(task);
    if (task.cpu !== ctx.cpu) ctx.ping(task.cpu);
  }

  #offCpu(ctx: AgentContext, task: Task, msg: Message): void {
    if (task.state !== "onCpu") {
      throw new Error(`${this.name}: task ${msg.gtid} is ${task.state}, expected onCpu`);
    }
    this.#account(task, msg.runtime);
    const rq = this.#rqs[task.cpu]!;
    if (rq.current === task) {
      rq.current = null;
      if (rq.size > 0 && task.cpu !== ctx.cpu) ctx.ping(task.cpu);
    }
  }

  /** A new or woken thread: queued, and it may preempt what runs on its CPU. */
  #wake(ctx: AgentContext, task: Task): void {
    this.#rqs[task.cpu]!.woken = true;
    this.#enqueue(ctx, task);
  }

  taskNew(ctx: AgentContext, msg: Message): void {
    this.#setUp(ctx);
    const onCpu = (msg.flags & MSG_FLAG_ON_CPU) !== 0;
    let cpu = ctx.cpus[0]!;
    if (onCpu) {
      // Discovered running on (or latched to) msg.cpu: it belongs there.
      cpu = msg.cpu;
      if (!ctx.cpus.includes(cpu)) {
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, not an enclave CPU`);
      }
      const other = this.#rqs[cpu]!.current;
      if (other !== null) {
        throw new Error(`${this.name}: task ${msg.gtid} on CPU ${cpu}, which runs ${other.gtid}`);
      }
    } else {
      for (const c of ctx.cpus) if (this.#rqs[c]!.load < this.#rqs[cpu]!.load) cpu = c;
    }
    const task: Task = {
      gtid: msg.gtid,
      state: "blocked",
      cpu,
      associated: false,
      weight: NICE_TO_WEIGHT[msg.aux + 20] ?? NICE_0_WEIGHT,
      vruntime: this.#rqs[cpu]!.minVruntime,
      runtime: msg.runtime,
      sliceStart: msg.runtime,
      index: -1,
      seq: 0,
    };
    this.#tasks.set(msg.gtid, task);
    task.associated = ctx.associate(msg.gtid, cpu);
    if (onCpu) {
      // As if just committed: its slice starts at the runtime it has now.
      const rq = this.#rqs[cpu]!;
      task.state = "onCpu";
      rq.current = task;
      rq.updateMin();
      // Waiters elsewhere ping this CPU when queued; the local agent arms its timer.
      if (rq.size > 0 && cpu === ctx.cpu) {
        ctx.wakeAt(ctx.now + GhostCfs.#remaining(task, rq, false));
      }
    } else if ((msg.flags & MSG_FLAG_RUNNABLE) !== 0) {
      this.#wake(ctx, task);
    }
  }

  taskRunnable(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    if (task.state !== "blocked") throw new Error(`${this.name}: wakeup of ${task.state} task`);
    const floor = this.#rqs[task.cpu]!.minVruntime - LATENCY / 2;
    if (task.vruntime < floor) task.vruntime = floor;
    this.#wake(ctx, task);
  }

  taskBlocked(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    this.#offCpu(ctx, task, msg);
    task.state = "blocked";
  }

  taskPreempted(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    this.#offCpu(ctx, task, msg);
    this.#enqueue(ctx, task);
    // Preempted by its own CPU's agent waking: it may finish its slice.
    if ((msg.flags & (MSG_FLAG_BY_KERNEL | MSG_FLAG_WAS_LATCHED)) === 0 && msg.cpu === task.cpu) {
      this.#rqs[task.cpu]!.resume = task;
    }
  }

  taskYield(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg);
    this.#offCpu(ctx, task, msg);
    this.#enqueue(ctx, task);
  }

  taskDead(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg, false);
    if (task.state !== "blocked") throw new Error(`${this.name}: dead task was ${task.state}`);
    this.#tasks.delete(msg.gtid);
  }

  taskDeparted(ctx: AgentContext, msg: Message): void {
    const task = this.#task(ctx, msg, false);
    const rq = this.#rqs[task.cpu]!;
    if (task.state === "onCpu" && rq.current === task) rq.current = null;
    else if (task.state === "queued") rq.remove(task);
    if (rq.resume === task) rq.resume = null;
    this.#tasks.delete(msg.gtid);
  }

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
    const weight = rq.weight + (task.index >= 0 ? 0 : task.weight);
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
      if (failed.length === 0 && resume !== null && resume.cpu === ctx.cpu && resume.index >= 0) {
        goesOn = GhostCfs.#remaining(resume, rq, rq.woken) > SLACK;
        if (goesOn) next = resume;
      }
      if (!goesOn) next.sliceStart = next.runtime;
      rq.remove(next);
      ctx.open(ctx.cpu, next.gtid);
      ctx.commit();
      const outcome = ctx.outcome(ctx.cpu);
      if (outcome === TXN.COMPLETE) {
        next.state = "onCpu";
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
    task.cpu = ctx.cpu;
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
