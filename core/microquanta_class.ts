/**
 * The MicroQuanta class: Google's soft real-time kernel class for Snap's
 * packet engines, as the ghOSt paper describes it (SOSP'21 §4.3, p.597):
 * above CFS, it gives each of its threads up to a quantum of CPU in every
 * period (the paper's example, the default here: 0.9 ms of each 1 ms) and
 * then throttles the thread until the period ends, so that other classes run
 * (hence networking blackouts of up to 0.1 ms). The kernel (kernel.ts) owns
 * one and delegates to it; like the other classes it decides but leaves
 * switching to the kernel.
 *
 * - Rank: agent > microquanta > fair > ghost. A MicroQuanta thread that
 *   becomes runnable preempts a fair or ghost thread at once; a fair thread
 *   never preempts it; it never preempts another MicroQuanta thread (FIFO
 *   among them, as SCHED_FIFO at one priority).
 * - Budget: the CPU a thread holds counts against its quantum (wall time on
 *   the CPU, context switch included). Periods follow one grid for every
 *   thread, `[k * period, (k + 1) * period)`, and a thread's budget refills
 *   at each boundary: an assumption, since the paper gives only the 0.9/1 ms
 *   example, not how periods are aligned. A throttled thread is runnable
 *   but on no queue until the next boundary, when it is queued again.
 * - CPU selection (after `select_task_rq_rt`): the thread's last CPU unless
 *   a MicroQuanta thread holds or waits for it (or its agent runs there);
 *   else an idle allowed CPU; else one running a lower class; else it waits
 *   on its last CPU's queue. A CPU about to pick with nothing of its own
 *   pulls a waiting MicroQuanta thread from another CPU (`pull_rt_task`).
 *
 * @module
 */

import type { FairClass } from "./fair_class.ts";
import { GtidMap } from "./gtid_map.ts";
import type { CpuState, Kernel } from "./kernel.ts";
import type { Thread } from "./thread.ts";
import { MS } from "./units.ts";

/** Options of the MicroQuanta class. */
export interface MicroQuantaOptions {
  /** Length of a period, ns. @default 1 ms (SOSP'21 §4.3, p.597) */
  periodNs?: number;
  /** CPU a thread may hold in each period, ns. @default 0.9 ms (SOSP'21 §4.3, p.597) */
  quantumNs?: number;
}

/** The paper's example: a 1 ms period (SOSP'21 §4.3, p.597). */
export const MICROQUANTA_PERIOD_NS = 1 * MS;

/** The paper's example: a 0.9 ms quantum per period (SOSP'21 §4.3, p.597). */
export const MICROQUANTA_QUANTUM_NS = 900_000;

/** One MicroQuanta thread's budget. */
class Budget {
  /** CPU held in period `period`, ns. */
  used = 0;
  /** Index of the period `used` counts in. */
  period = 0;
  /** When it last started holding its CPU, ns, or -1 while off CPU. */
  since = -1;
  /** Whether it used its quantum and waits for the next period. */
  throttled = false;
}

/**
 * The MicroQuanta class of one kernel: per-CPU FIFO queues, budgets,
 * throttling and refills. Its methods change queues and budgets and ask the
 * kernel to reschedule CPUs, but never switch a CPU themselves.
 */
export class MicroQuantaClass {
  /** Length of a period, ns. */
  readonly periodNs: number;
  /** CPU a thread may hold per period, ns. */
  readonly quantumNs: number;
  readonly #kernel: Kernel;
  readonly #fair: FairClass;
  readonly #budgets = new GtidMap<Budget>();
  /** Per CPU, the MicroQuanta threads waiting for it, oldest first. */
  readonly #queues: Thread[][];
  /** Per CPU, the generation of its throttle-check event. */
  readonly #checkGen: Int32Array;
  #waiting = 0;
  #throttles = 0;
  readonly #kindCheck: number;
  readonly #kindRefill: number;

  /** Creates the class over a kernel's CPUs; it registers its two events. */
  constructor(kernel: Kernel, fair: FairClass, options: MicroQuantaOptions = {}) {
    const period = options.periodNs ?? MICROQUANTA_PERIOD_NS;
    const quantum = options.quantumNs ?? MICROQUANTA_QUANTUM_NS;
    if (!Number.isInteger(period) || period <= 0) {
      throw new RangeError(`MicroQuanta period must be a positive integer of ns: got ${period}`);
    }
    if (!Number.isInteger(quantum) || quantum <= 0 || quantum > period) {
      throw new RangeError(
        `MicroQuanta quantum must be an integer of ns in 1..${period}: got ${quantum}`,
      );
    }
    this.periodNs = period;
    this.quantumNs = quantum;
    this.#kernel = kernel;
    this.#fair = fair;
    const n = kernel.cpus.length;
    this.#queues = Array.from({ length: n }, () => []);
    this.#checkGen = new Int32Array(n);
    this.#kindCheck = kernel.engine.register("microquanta.check", (cpu, gen) => {
      this.#onCheck(cpu, gen);
    });
    this.#kindRefill = kernel.engine.register("microquanta.refill", (id) => this.#onRefill(id));
  }

  /** Times a thread used up its quantum and was throttled. */
  get throttles(): number {
    return this.#throttles;
  }

  /** Whether a thread waits on `cpu`'s MicroQuanta queue, or one runs there. */
  holds(cpu: CpuState): boolean {
    return this.#queues[cpu.id]!.length > 0 ||
      (cpu.curr !== null && cpu.curr.schedClass === "microquanta");
  }

  // ---- threads becoming runnable ------------------------------------------

  /** A new MicroQuanta thread: runnable, queued on a CPU chosen for it. */
  spawn(thread: Thread): void {
    this.#budgets.set(thread.id, new Budget());
    this.#place(thread);
  }

  /** A blocked MicroQuanta thread became runnable. */
  wake(thread: Thread): void {
    this.#place(thread);
  }

  /** The thread exited: its budget is forgotten. */
  exited(thread: Thread): void {
    this.#budgets.delete(thread.id);
  }

  /**
   * Queues a runnable thread, unless its quantum is used up for this period
   * (it is throttled until the next one), and asks the CPU to pick when a
   * lower class holds it.
   */
  #place(thread: Thread): void {
    thread.state = "runnable";
    const budget = this.#budget(thread);
    if (budget.throttled) return; // its refill queues it
    this.#roll(budget);
    if (budget.used >= this.quantumNs) {
      this.#throttle(thread, budget);
      return;
    }
    this.#enqueue(this.#kernel.cpus[this.#selectCpu(thread)]!, thread, false);
  }

  #enqueue(cpu: CpuState, thread: Thread, front: boolean): void {
    const queue = this.#queues[cpu.id]!;
    if (front) queue.unshift(thread);
    else queue.push(thread);
    this.#waiting++;
    this.#fair.markBusy(cpu);
    const curr = cpu.curr;
    if (curr === null || curr.schedClass === "fair" || curr.schedClass === "ghost") {
      this.#kernel.resched(cpu.id);
    }
  }

  /**
   * The CPU for a runnable thread (`select_task_rq_rt`): its last CPU if no
   * MicroQuanta thread or agent holds it; else an idle allowed CPU, else one
   * running a lower class (first from its last CPU on); else its last CPU.
   */
  #selectCpu(thread: Thread): number {
    const cpus = this.#kernel.cpus;
    const n = cpus.length;
    const prev = thread.lastCpu >= 0 && thread.allowed(thread.lastCpu) ? thread.lastCpu : -1;
    if (prev >= 0 && this.#free(cpus[prev]!)) return prev;
    const start = Math.max(prev, 0);
    let lower = -1;
    for (let i = 0; i < n; i++) {
      const id = (start + i) % n;
      const cpu = cpus[id]!;
      if (!thread.allowed(id) || !this.#free(cpu)) continue;
      if (cpu.curr === null && cpu.rq.size === 0 && cpu.latched === null) return id;
      if (lower < 0) lower = id;
    }
    if (lower >= 0) return lower;
    if (prev >= 0) return prev;
    for (let id = 0; id < n; id++) if (thread.allowed(id)) return id;
    throw new Error(`Thread ${thread.id} is allowed on no CPU`);
  }

  /** No MicroQuanta thread holds or waits for the CPU, and no agent runs there. */
  #free(cpu: CpuState): boolean {
    if (this.holds(cpu)) return false;
    const agent = cpu.agent;
    return agent === null || (agent.state !== "running" && agent.state !== "runnable");
  }

  // ---- picking and running ------------------------------------------------

  /**
   * The next MicroQuanta thread for a CPU, taken off its queue: the oldest
   * waiting there, else one pulled from another CPU's queue (oldest CPU
   * first in CPU order). Null when none may run there.
   */
  pickNext(cpu: CpuState): Thread | null {
    if (this.#waiting === 0) return null;
    const own = this.#queues[cpu.id]!;
    if (own.length > 0) {
      this.#waiting--;
      return own.shift()!;
    }
    const n = this.#queues.length;
    for (let i = 1; i < n; i++) {
      const queue = this.#queues[(cpu.id + i) % n]!;
      for (let j = 0; j < queue.length; j++) {
        const thread = queue[j]!;
        if (!thread.allowed(cpu.id)) continue;
        queue.splice(j, 1);
        this.#waiting--;
        return thread;
      }
    }
    return null;
  }

  /**
   * Whether the MicroQuanta thread running on `cpu` keeps it when the CPU
   * picks again: it is not throttled, its agent does not want the CPU, and
   * its affinity still allows the CPU.
   */
  keepsCpu(cpu: CpuState, curr: Thread): boolean {
    const agentWaiting = cpu.agent !== null && cpu.agent.state === "runnable";
    return !this.#budget(curr).throttled && !agentWaiting && curr.allowed(cpu.id);
  }

  /**
   * The thread starts holding `cpu`: its budget starts counting, and a check
   * is armed for when its quantum or the period ends, whichever is first.
   */
  started(cpu: CpuState, thread: Thread): void {
    const budget = this.#budget(thread);
    const now = this.#kernel.engine.now;
    this.#roll(budget);
    budget.since = now;
    this.#arm(cpu, budget);
  }

  /** The thread stops holding its CPU (blocks, is preempted or throttled, exits). */
  stopped(cpu: CpuState, thread: Thread): void {
    const budget = this.#budget(thread);
    this.#charge(budget);
    budget.since = -1;
    this.#checkGen[cpu.id]!++;
  }

  /**
   * The thread just taken off `cpu` stays runnable: a throttled one waits
   * for its refill; one its agent or its affinity displaced waits again,
   * first in line, on a CPU it may use.
   */
  preempted(cpu: CpuState, thread: Thread): void {
    thread.state = "runnable";
    if (this.#budget(thread).throttled) return;
    if (thread.allowed(cpu.id)) this.#enqueue(cpu, thread, true);
    else this.#enqueue(this.#kernel.cpus[this.#selectCpu(thread)]!, thread, false);
  }

  /** The thread's allowed CPUs changed: a waiting one moves to a CPU it may use. */
  affinityChanged(thread: Thread): void {
    for (let id = 0; id < this.#queues.length; id++) {
      const queue = this.#queues[id]!;
      const index = queue.indexOf(thread);
      if (index < 0) continue;
      if (thread.allowed(id)) return;
      queue.splice(index, 1);
      this.#waiting--;
      this.#enqueue(this.#kernel.cpus[this.#selectCpu(thread)]!, thread, false);
      return;
    }
  }

  // ---- budgets ------------------------------------------------------------

  #budget(thread: Thread): Budget {
    const budget = this.#budgets.get(thread.id);
    if (budget === undefined) throw new Error(`Thread ${thread.id} is not a MicroQuanta thread`);
    return budget;
  }

  /**
   * Counts the CPU held since the last count; when a period boundary passed,
   * only the time since the current period began counts.
   */
  #charge(budget: Budget): void {
    const now = this.#kernel.engine.now;
    if (budget.since < 0) {
      this.#roll(budget);
      return;
    }
    const period = Math.floor(now / this.periodNs);
    if (period !== budget.period) {
      budget.period = period;
      budget.used = now - period * this.periodNs;
    } else {
      budget.used += now - budget.since;
    }
    budget.since = now;
  }

  /** A thread off its CPU: a new period starts its budget afresh. */
  #roll(budget: Budget): void {
    const period = Math.floor(this.#kernel.engine.now / this.periodNs);
    if (period !== budget.period) {
      budget.period = period;
      budget.used = 0;
    }
  }

  /** Arms the check of the thread running on `cpu`: at its quantum's end or the period's. */
  #arm(cpu: CpuState, budget: Budget): void {
    const now = this.#kernel.engine.now;
    const periodEnd = (budget.period + 1) * this.periodNs;
    const at = Math.min(now + this.quantumNs - budget.used, periodEnd);
    this.#kernel.engine.at(at, this.#kindCheck, cpu.id, ++this.#checkGen[cpu.id]!);
  }

  #onCheck(cpuId: number, gen: number): void {
    if (gen !== this.#checkGen[cpuId]) return;
    const cpu = this.#kernel.cpus[cpuId]!;
    const thread = cpu.curr;
    if (thread === null || thread.schedClass !== "microquanta") {
      throw new Error(`MicroQuanta check on CPU ${cpuId}, which runs no MicroQuanta thread`);
    }
    const budget = this.#budget(thread);
    this.#charge(budget);
    if (budget.used < this.quantumNs) {
      this.#arm(cpu, budget);
      return;
    }
    this.#throttle(thread, budget);
    this.#kernel.resched(cpuId);
  }

  /** The quantum is used: the thread waits for the next period. */
  #throttle(thread: Thread, budget: Budget): void {
    budget.throttled = true;
    this.#throttles++;
    this.#kernel.engine.at((budget.period + 1) * this.periodNs, this.#kindRefill, thread.id);
  }

  /** A new period: a throttled thread that is still runnable is queued again. */
  #onRefill(id: number): void {
    const budget = this.#budgets.get(id);
    if (budget === undefined || !budget.throttled) return;
    budget.throttled = false;
    const thread = this.#kernel.thread(id);
    if (thread === undefined || thread.state !== "runnable") return;
    this.#place(thread);
  }
}
