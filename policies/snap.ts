/**
 * `snap`: the ghOSt policy of the paper's Snap experiment (SOSP'21 §4.3,
 * p.597): one global agent keeps a centralized FIFO over the packet engines
 * and the batch antagonists, seeks idle CPUs for them, runs engines strictly
 * before antagonists, and lets a waiting engine preempt a running
 * antagonist; it never preempts a CFS thread (ghOSt cannot: a CFS thread
 * that wants a CPU takes it, and the agent moves the engine elsewhere).
 *
 * A thread's class comes from its nice value: nice 0 or lower is an engine,
 * above 0 an antagonist (the antagonists run at nice 19). Within a class,
 * FIFO; a thread the kernel preempted goes to the front of its class, one
 * the agent preempted to the back; nothing is time-sliced, so an engine
 * runs until it blocks or a CFS thread takes its CPU.
 *
 * It works well for Snap when the engines' work comes in short bursts: an
 * engine that wakes gets a CPU at the agent's next pass, from an idle CPU or
 * an antagonist's, with no throttling (MicroQuanta's blackouts). It pays a
 * scheduling round trip (wake-up message, agent pass, commit) on every
 * wake-up, which cheap messages expose in the tail, and one CPU for the
 * agent.
 *
 * @module
 */

import { MSG, TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_BY_KERNEL } from "../core/message_queue.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { Deque } from "./_deque.ts";
import { RunOrder } from "./_run_order.ts";
import { type Task, TaskTable } from "./task_table.ts";

/** The engines' class. */
const ENGINE = 0;
/** The antagonists' class. */
const BATCH = 1;

interface SnapTask extends Task {
  /** ENGINE or BATCH. */
  readonly cls: number;
}

/** The Snap policy. */
export class Snap implements Policy {
  readonly name = "snap";
  readonly model = "centralized" as const;
  readonly #queues: [Deque, Deque] = [new Deque(), new Deque()];
  /** The CPUs running antagonists, oldest start first (the first preempted). */
  #running: RunOrder = new RunOrder(0, 2);
  #openCpus: Int32Array = new Int32Array(0);
  #openGtids: Float64Array = new Float64Array(0);
  #ready = false;
  readonly #tasks: TaskTable<SnapTask> = new TaskTable(this.name, {
    create: (ctx, msg) => {
      this.#setUp(ctx);
      return { gtid: msg.gtid, state: "blocked", cpu: -1, cls: msg.aux > 0 ? BATCH : ENGINE };
    },
    enqueue: (_ctx, task, msg) => {
      // A failed commit, or a thread the kernel preempted, goes first in its class.
      const front = msg === null ||
        (msg.type === MSG.TASK_PREEMPT && (msg.flags & MSG_FLAG_BY_KERNEL) !== 0);
      if (front) this.#queues[task.cls]!.pushFront(task.gtid);
      else this.#queues[task.cls]!.pushBack(task.gtid);
    },
    dequeue: (_ctx, task) => void this.#queues[task.cls]!.remove(task.gtid),
    adopt: (_ctx, task) => this.#running.start(task.cpu, task.cls),
    vacate: (_ctx, _task, cpu) => this.#running.stop(cpu),
  });

  #setUp(ctx: AgentContext): void {
    if (this.#ready) return;
    this.#ready = true;
    const n = ctx.topology.size;
    this.#tasks.setUp(ctx);
    this.#running = new RunOrder(n, 2);
    this.#openCpus = new Int32Array(n);
    this.#openGtids = new Float64Array(n);
  }

  /** TASK_NEW: its class comes from its nice value. */
  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }

  /** TASK_WAKEUP: back of its class. */
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskRunnable(ctx, msg);
  }

  /** TASK_BLOCKED. */
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskBlocked(ctx, msg);
  }

  /** TASK_PREEMPT: front of its class if the kernel preempted it, else back. */
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskPreempted(ctx, msg);
  }

  /** TASK_YIELD: back of its class. */
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskYield(ctx, msg);
  }

  /** TASK_DEAD. */
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDead(ctx, msg);
  }

  /** TASK_DEPARTED: out of its class (or off its CPU) and forgotten. */
  taskDeparted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDeparted(ctx, msg);
  }

  /** Fills idle CPUs, engines first; then waiting engines preempt antagonists. */
  schedule(ctx: AgentContext): void {
    this.#setUp(ctx);
    this.#fillIdle(ctx);
    this.#preemptBatch(ctx);
  }

  /** The class to run next: engines while any waits, else antagonists, else -1. */
  #next(): number {
    if (this.#queues[ENGINE].size > 0) return ENGINE;
    return this.#queues[BATCH].size > 0 ? BATCH : -1;
  }

  /** Commits waiting threads, engines first, to idle CPUs in one group. */
  #fillIdle(ctx: AgentContext): void {
    const idle = this.#tasks.idle;
    let opened = 0;
    for (let i = 0; i < idle.size; i++) {
      const cls = this.#next();
      if (cls < 0) break;
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = this.#queues[cls]!.popFront();
      ctx.open(cpu, gtid);
      this.#openCpus[opened] = cpu;
      this.#openGtids[opened] = gtid;
      opened++;
    }
    if (opened === 0) return;
    ctx.commit();
    for (let i = opened - 1; i >= 0; i--) {
      this.#settle(ctx, this.#openCpus[i]!, this.#openGtids[i]!);
    }
  }

  /**
   * While engines wait, each takes the CPU of the antagonist that started
   * first (it goes to the back of its class with its TASK_PREEMPT). A
   * failed commit ends the pass; the next one retries.
   */
  #preemptBatch(ctx: AgentContext): void {
    const engines = this.#queues[ENGINE];
    while (engines.size > 0) {
      const cpu = this.#oldestBatch(ctx);
      if (cpu < 0) return;
      const gtid = engines.popFront();
      ctx.open(cpu, gtid);
      ctx.commit();
      if (!this.#settle(ctx, cpu, gtid)) return;
    }
  }

  /** The CPU running the oldest antagonist that ghOSt may use, or -1. */
  #oldestBatch(ctx: AgentContext): number {
    const running = this.#running;
    for (let cpu = running.first(BATCH); cpu >= 0; cpu = running.after(cpu)) {
      if (cpu !== ctx.globalCpu && ctx.cpuAvailable(cpu)) return cpu;
    }
    return -1;
  }

  /** Reads the outcome of committing `gtid` on `cpu`; whether it completed. */
  #settle(ctx: AgentContext, cpu: number, gtid: number): boolean {
    const task = this.#tasks.get(gtid);
    if (ctx.outcome(cpu) !== TXN.COMPLETE) {
      this.#queues[task.cls]!.pushFront(gtid);
      return false;
    }
    this.#tasks.run(task, cpu);
    this.#running.start(cpu, task.cls);
    return true;
  }
}
