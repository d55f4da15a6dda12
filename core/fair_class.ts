/**
 * The fair class: CFS as Linux's kernel/sched/fair.c had it before EEVDF.
 * The kernel (kernel.ts) owns one and delegates to it; the class keeps
 * the per-CPU CFS run queues' bookkeeping and decides, but leaves
 * switching to the kernel.
 *
 * - Virtual runtime weighted by the nice-to-weight table, and a monotonic
 *   `min_vruntime` per run queue (`update_curr`, `update_min_vruntime`).
 * - A period of `latency` split among runnable threads in proportion to
 *   weight, never below `minGranularity` each (`__sched_period`,
 *   `sched_slice`); the tick preempts a thread that ran its slice
 *   (`check_preempt_tick`).
 * - Wake-up preemption when the woken thread's vruntime is more than
 *   `wakeupGranularity` (weighted) behind the running one
 *   (`check_preempt_wakeup`).
 * - Placement (`place_entity`): new threads one slice after `min_vruntime`
 *   (START_DEBIT), sleepers at most half a latency behind it
 *   (GENTLE_FAIR_SLEEPERS); a thread moved between run queues keeps its lag
 *   (`migrate_task_rq_fair`).
 * - CPU selection (`select_task_rq_fair`, `select_idle_sibling`): the
 *   previous CPU if idle and in the waker's LLC, else an idle CPU of that
 *   LLC, else any idle CPU.
 * - Load balancing: a CPU about to go idle pulls from the busiest run queue
 *   (`newidle_balance`); every few ticks a busy CPU pushes to an idle CPU
 *   (what NO_HZ idle balancing achieves) or pulls from a run queue at least
 *   two threads longer (`rebalance_domains`).
 *
 * The three tunables scale by 1 + log2(min(CPUs, 8)) like Linux's default
 * logarithmic scaling.
 *
 * @module
 */

import { CpuSet } from "./cpu_set.ts";
import type { CpuState } from "./kernel.ts";
import { NICE_0_WEIGHT, type Thread } from "./thread.ts";
import { MS } from "./units.ts";

/** CFS tunables in nanoseconds, after scaling by the CPU count. */
export interface CfsTunables {
  /** Targeted preemption latency: the period every runnable thread runs once. */
  readonly latency: number;
  /** Minimum time a thread runs before the tick may preempt it. */
  readonly minGranularity: number;
  /** How far behind a woken thread must be to preempt the running one. */
  readonly wakeupGranularity: number;
  /** Number of threads above which the period stretches: latency / minGranularity. */
  readonly nrLatency: number;
}

/** Linux's unscaled CFS defaults, in nanoseconds. */
export const CFS_BASE_TUNABLES = {
  latency: 6 * MS,
  minGranularity: 750_000,
  wakeupGranularity: 1 * MS,
} as const;

/**
 * The CFS tunables for a machine: base values x (1 + log2(min(cpus, 8))).
 *
 * @example
 * ```ts
 * import { cfsTunables } from "./fair_class.ts";
 * if (cfsTunables(4).latency !== 18_000_000) throw new Error("wrong");
 * ```
 */
export function cfsTunables(cpus: number): CfsTunables {
  const factor = 1 + Math.floor(Math.log2(Math.min(Math.max(cpus, 1), 8)));
  const latency = CFS_BASE_TUNABLES.latency * factor;
  const minGranularity = CFS_BASE_TUNABLES.minGranularity * factor;
  return {
    latency,
    minGranularity,
    wakeupGranularity: CFS_BASE_TUNABLES.wakeupGranularity * factor,
    nrLatency: Math.floor(latency / minGranularity),
  };
}

/** Options of the fair class. */
export interface FairClassOptions {
  /** Number of last-level-cache domains of the machine. */
  llcs: number;
  /** Ticks between two periodic load-balancing passes of one CPU. @default 4 */
  balanceTicks?: number;
}

/**
 * The fair class of one kernel: run-queue bookkeeping, placement,
 * preemption checks and load balancing. Its methods change run queues and
 * threads' virtual runtimes but never switch a CPU: each returns what the
 * kernel should do (reschedule a CPU, run a thread).
 */
export class FairClass {
  /** CFS tunables after scaling. */
  readonly tunables: CfsTunables;

  readonly #cpus: readonly CpuState[];
  /** CPUs with nothing to run and nothing latched: where a woken thread runs at once. */
  readonly #idle: CpuSet;
  readonly #idleByLlc: CpuSet[];
  /** CPUs whose run queue holds a waiting thread. */
  readonly #overloaded: CpuSet;
  readonly #balanceTicks: number;
  #spawnCursor = 0;

  /** Creates the fair class over a kernel's CPUs, all idle. */
  constructor(cpus: readonly CpuState[], options: FairClassOptions) {
    const n = cpus.length;
    this.#cpus = cpus;
    this.tunables = cfsTunables(n);
    this.#balanceTicks = options.balanceTicks ?? 4;
    this.#idle = new CpuSet(n);
    this.#overloaded = new CpuSet(n);
    this.#idleByLlc = Array.from({ length: options.llcs }, () => new CpuSet(n));
    for (const cpu of cpus) {
      this.#idle.add(cpu.id);
      this.#idleByLlc[cpu.info.llc]!.add(cpu.id);
      cpu.balanceCountdown = this.#balanceTicks;
    }
  }

  /** Marks a CPU idle: nothing runs, is queued or is latched there. */
  markIdle(cpu: CpuState): void {
    this.#idle.add(cpu.id);
    this.#idleByLlc[cpu.info.llc]!.add(cpu.id);
  }

  /** Marks a CPU busy (or about to be: a thread is queued, woken or latched there). */
  markBusy(cpu: CpuState): void {
    this.#idle.delete(cpu.id);
    this.#idleByLlc[cpu.info.llc]!.delete(cpu.id);
  }

  // ---- virtual runtime and placement --------------------------------------

  /** Charges `delta` ns of CPU time to a thread's vruntime (`update_curr`). */
  chargeVruntime(cpu: CpuState, thread: Thread, delta: number): void {
    thread.vruntime += thread.weight === NICE_0_WEIGHT
      ? delta
      : delta * NICE_0_WEIGHT / thread.weight;
    cpu.rq.updateMinVruntime(thread);
  }

  /**
   * Chooses the CPU for a new or woken thread (`select_task_rq_fair`): near
   * the waker's CPU (or the thread's last one), an idle allowed CPU when
   * there is one, else its last CPU, else the waker's, else the next allowed
   * CPU in turn.
   */
  selectCpu(thread: Thread, wakerCpu: number): number {
    const prev = thread.lastCpu;
    const anchor = wakerCpu >= 0 ? wakerCpu : prev;
    if (anchor >= 0) {
      const llc = this.#cpus[anchor]!.info.llc;
      if (
        prev >= 0 && thread.allowed(prev) && this.#idle.has(prev) &&
        this.#cpus[prev]!.info.llc === llc
      ) {
        return prev;
      }
      const idle = this.#idleByLlc[llc]!;
      for (let i = 0; i < idle.size; i++) {
        const cpu = idle.at(i);
        if (thread.allowed(cpu)) return cpu;
      }
      if (prev >= 0 && thread.allowed(prev)) return prev;
    }
    for (let i = 0; i < this.#idle.size; i++) {
      const cpu = this.#idle.at(i);
      if (thread.allowed(cpu)) return cpu;
    }
    if (wakerCpu >= 0 && thread.allowed(wakerCpu)) return wakerCpu;
    const n = this.#cpus.length;
    for (let i = 0; i < n; i++) {
      const cpu = (this.#spawnCursor + i) % n;
      if (thread.allowed(cpu)) {
        this.#spawnCursor = (cpu + 1) % n;
        return cpu;
      }
    }
    throw new Error(`Thread ${thread.id} is allowed on no CPU`);
  }

  /** Sets a new thread's vruntime (START_DEBIT): one virtual slice after min_vruntime. */
  placeNew(cpu: CpuState, thread: Thread): void {
    const nr = cpu.rq.size + (cpu.curr !== null ? 1 : 0) + 1;
    const load = cpu.rq.queuedWeight + (cpu.curr?.weight ?? 0) + thread.weight;
    const slice = this.#period(nr) * thread.weight / load;
    thread.vruntime = cpu.rq.minVruntime + slice * NICE_0_WEIGHT / thread.weight;
  }

  /**
   * Sets a woken thread's vruntime for the run queue of `cpu`: its lag moves
   * with it from its last CPU, and a sleeper gets at most half a latency of
   * credit (GENTLE_FAIR_SLEEPERS).
   */
  placeWoken(cpu: CpuState, thread: Thread): void {
    const last = thread.lastCpu;
    if (last >= 0 && last !== cpu.id) {
      thread.vruntime += cpu.rq.minVruntime - this.#cpus[last]!.rq.minVruntime;
    }
    const floor = cpu.rq.minVruntime - this.tunables.latency / 2;
    if (thread.vruntime < floor) thread.vruntime = floor;
  }

  /**
   * Moves a thread taken off `source`'s run queue to `target`'s time base:
   * it keeps its lag behind min_vruntime (`migrate_task_rq_fair`).
   */
  migrated(source: CpuState, target: CpuState, thread: Thread): void {
    thread.vruntime += target.rq.minVruntime - source.rq.minVruntime;
  }

  /**
   * A fair thread that ran on `cpu` blocks (it has left the CPU): CFS keeps
   * its vruntime as it is and places it when it wakes.
   */
  blocked(_cpu: CpuState, _thread: Thread): void {}

  /** A thread that was ghost and runs on `cpu` now counts as fair: never behind min_vruntime. */
  switchedTo(cpu: CpuState, thread: Thread): void {
    thread.vruntime = Math.max(thread.vruntime, cpu.rq.minVruntime);
  }

  // ---- run queues ---------------------------------------------------------

  /** Queues a runnable thread on a CPU's run queue (`enqueue_task_fair`). */
  enqueue(cpu: CpuState, thread: Thread): void {
    thread.state = "runnable";
    thread.rqCpu = cpu.id;
    cpu.rq.push(thread);
    this.#overloaded.add(cpu.id);
    this.markBusy(cpu);
  }

  /** Takes a thread off its CPU's run queue (`dequeue_task_fair`). */
  dequeue(cpu: CpuState, thread: Thread): void {
    cpu.rq.remove(thread);
    thread.rqCpu = -1;
    if (cpu.rq.size === 0) this.#overloaded.delete(cpu.id);
  }

  /**
   * The next fair thread for a CPU, still queued (`pick_next_task_fair`):
   * the leftmost, passing over a thread that just yielded, or one pulled
   * from the busiest CPU when the queue is empty (`newidle_balance`). Null
   * when there is none.
   */
  pickNext(cpu: CpuState): Thread | null {
    const next = cpu.rq.peekSkipping(cpu.yieldSkip);
    cpu.yieldSkip = null;
    if (next !== null) return next;
    const source = this.#busiest(cpu, 1);
    return source === null ? null : this.#pull(source, cpu);
  }

  // ---- preemption ---------------------------------------------------------

  /** Whether a woken thread should preempt the fair thread running (`check_preempt_wakeup`). */
  wakeupPreempts(curr: Thread, woken: Thread): boolean {
    const gran = this.tunables.wakeupGranularity * NICE_0_WEIGHT / woken.weight;
    return curr.vruntime - woken.vruntime > gran;
  }

  /**
   * Whether the tick should preempt the thread running on `cpu`
   * (`check_preempt_tick`): it ran its slice, or ran at least the minimum
   * granularity and is a slice ahead of the leftmost waiting thread.
   */
  tickPreempts(cpu: CpuState, curr: Thread): boolean {
    const first = cpu.rq.peek();
    if (first === null) return false;
    const nr = cpu.rq.size + 1;
    const ideal = this.#period(nr) * curr.weight / (cpu.rq.queuedWeight + curr.weight);
    const ran = curr.cpuTime - curr.pickedCpuTime;
    if (ran > ideal) return true;
    if (ran < this.tunables.minGranularity) return false;
    return curr.vruntime - first.vruntime > ideal;
  }

  #period(nr: number): number {
    const t = this.tunables;
    return nr > t.nrLatency ? nr * t.minGranularity : t.latency;
  }

  // ---- load balancing -----------------------------------------------------

  /**
   * Counts a tick of a busy CPU; every `balanceTicks` ticks it pushes a
   * waiting thread to an idle CPU, else pulls one from a run queue that has
   * at least two more threads than its own. Returns the CPU that received a
   * thread (to reschedule), or null.
   */
  tickBalance(cpu: CpuState): CpuState | null {
    if (--cpu.balanceCountdown > 0) return null;
    cpu.balanceCountdown = this.#balanceTicks;
    if (cpu.rq.size > 0 && this.#idle.size > 0) {
      for (let i = 0; i < this.#idle.size; i++) {
        const target = this.#cpus[this.#idle.at(i)]!;
        if (this.#pull(cpu, target) !== null) return target;
      }
    }
    const source = this.#busiest(cpu, load(cpu) + 2);
    return source !== null && this.#pull(source, cpu) !== null ? cpu : null;
  }

  /** The overloaded CPU with the highest load >= minLoad, excluding `self`. */
  #busiest(self: CpuState, minLoad: number): CpuState | null {
    let best: CpuState | null = null;
    let bestLoad = minLoad - 1;
    for (let i = 0; i < this.#overloaded.size; i++) {
      const other = this.#cpus[this.#overloaded.at(i)]!;
      if (other === self || other.curr === null) continue;
      const otherLoad = load(other);
      if (otherLoad > bestLoad || (otherLoad === bestLoad && best !== null && other.id < best.id)) {
        best = other;
        bestLoad = otherLoad;
      }
    }
    return best;
  }

  /** Moves one waiting thread allowed on `target` from `source`; returns it. */
  #pull(source: CpuState, target: CpuState): Thread | null {
    for (let i = 0; i < source.rq.size; i++) {
      const thread = source.rq.at(i)!;
      if (!thread.allowed(target.id)) continue;
      this.dequeue(source, thread);
      this.migrated(source, target, thread);
      thread.lastCpu = target.id;
      this.enqueue(target, thread);
      return thread;
    }
    return null;
  }
}

/** Running threads plus queued ones. */
function load(cpu: CpuState): number {
  return cpu.rq.size + (cpu.curr !== null ? 1 : 0);
}
