/**
 * The fair class as EEVDF (Earliest Eligible Virtual Deadline First), the
 * pick that replaced CFS's in Linux 6.6's kernel/sched/fair.c. It is
 * {@link FairClass} with the pick, placement and preemption changed; CPU
 * selection and load balancing are the same code, as in Linux. Written from
 * these functions of fair.c (6.6), read, not copied:
 *
 * - `avg_vruntime`, `avg_vruntime_add`/`_sub`/`_update`: the load-weighted
 *   average virtual runtime V of a run queue, the running thread included,
 *   kept as a sum of `weight x (vruntime - min_vruntime)` so it stays exact
 *   when min_vruntime moves.
 * - `entity_eligible`: a thread may run when its vruntime is at most V (its
 *   lag `V - vruntime` is not negative).
 * - `update_deadline` (from `update_curr`): once the running thread's
 *   vruntime reaches its virtual deadline, it gets a new one, vruntime +
 *   base slice / weight (`calc_delta_fair`), and the CPU picks again when
 *   another thread waits. Without hrtick this is seen at the tick.
 * - `pick_eevdf`: among eligible threads, the earliest virtual deadline; the
 *   running one is kept while eligible and still in the slice it was picked
 *   for (RUN_TO_PARITY, the deadline stashed at `set_next_entity`).
 * - `check_preempt_wakeup` (renamed `check_preempt_wakeup_fair` later):
 *   a woken thread preempts when `pick_eevdf` would pick it.
 * - `update_entity_lag` (`dequeue_entity`): a thread leaving its queue saves
 *   its lag, clamped to its weighted max(2 x slice, tick).
 * - `place_entity`: a thread joining a queue goes at V minus its saved lag,
 *   scaled by (W + w) / W so that the lag is still its own once its weight
 *   is counted in V (PLACE_LAG); a new thread's first deadline is half a
 *   slice away (PLACE_DEADLINE_INITIAL). A migrated thread is placed the same
 *   way on its new queue.
 * - `yield_task_fair`: a yield pushes the deadline one slice further.
 * - `sysctl_sched_base_slice`: 0.75 ms x (1 + ilog2(min(CPUs, 8))), the
 *   default logarithmic scaling.
 *
 * Not modelled: later kernels' DELAY_DEQUEUE, PLACE_REL_DEADLINE and
 * PREEMPT_SHORT (6.12), custom slices (sched_attr), and NEXT_BUDDY (off by
 * default).
 *
 * @module
 */

import { FairClass, type FairClassOptions } from "./fair_class.ts";
import type { CpuState } from "./kernel.ts";
import { NICE_0_WEIGHT, type Thread } from "./thread.ts";

/** Linux's unscaled EEVDF base slice (`sysctl_sched_base_slice`), ns. */
export const EEVDF_BASE_SLICE_NS = 750_000;

/**
 * The EEVDF base slice for a machine: 0.75 ms x (1 + log2(min(cpus, 8))).
 *
 * @example
 * ```ts
 * import { eevdfBaseSlice } from "./eevdf_class.ts";
 * if (eevdfBaseSlice(1) !== 750_000 || eevdfBaseSlice(8) !== 3_000_000) throw new Error("wrong");
 * ```
 */
export function eevdfBaseSlice(cpus: number): number {
  const factor = 1 + Math.floor(Math.log2(Math.min(Math.max(cpus, 1), 8)));
  return EEVDF_BASE_SLICE_NS * factor;
}

/** Options of the EEVDF fair class. */
export interface EevdfClassOptions extends FairClassOptions {
  /** The clock (the engine): a placement counts the running thread's time up to now. */
  clock: { readonly now: number };
  /** Tick period, ns: the floor of the lag limit (TICK_NSEC). */
  tickNs: number;
}

/**
 * The fair class with EEVDF's pick, placement and preemption. Per CPU it
 * keeps the weighted sum behind V; the run queue (ordered by vruntime) is
 * CFS's, searched for the earliest eligible deadline.
 */
export class EevdfClass extends FairClass {
  /** Base slice after scaling, ns. */
  readonly baseSlice: number;

  readonly #cpuStates: readonly CpuState[];
  readonly #clock: { readonly now: number };
  readonly #tickNs: number;
  /** Per CPU: sum of weight x (vruntime - base) over the queued threads. */
  readonly #sum: Float64Array;
  /** Per CPU: the base of #sum (the run queue's min_vruntime when last rebased). */
  readonly #base: Float64Array;
  /** Per CPU: the running thread's deadline ran out and others wait (update_deadline). */
  readonly #expired: Uint8Array;
  /** Per CPU: the thread picked last, and its deadline then (RUN_TO_PARITY). */
  readonly #picked: (Thread | null)[];
  readonly #pickedDeadline: Float64Array;

  /** Creates the EEVDF fair class over a kernel's CPUs, all idle. */
  constructor(cpus: readonly CpuState[], options: EevdfClassOptions) {
    super(cpus, options);
    const n = cpus.length;
    this.#cpuStates = cpus;
    this.#clock = options.clock;
    this.#tickNs = options.tickNs;
    this.baseSlice = eevdfBaseSlice(n);
    this.#sum = new Float64Array(n);
    this.#base = new Float64Array(n);
    this.#expired = new Uint8Array(n);
    this.#picked = new Array<Thread | null>(n).fill(null);
    this.#pickedDeadline = new Float64Array(n);
  }

  /** The thread's slice in virtual time (`calc_delta_fair`). */
  vslice(thread: Thread): number {
    return thread.weight === NICE_0_WEIGHT
      ? this.baseSlice
      : this.baseSlice * NICE_0_WEIGHT / thread.weight;
  }

  /**
   * The run queue's weighted average vruntime V (`avg_vruntime`): over the
   * queued threads, the running fair thread (its time counted up to now)
   * and `extra` (a thread leaving the CPU, still counted); min_vruntime when
   * there is none.
   */
  avgVruntime(cpu: CpuState, extra: Thread | null = null): number {
    const base = this.#base[cpu.id]!;
    let sum = this.#sum[cpu.id]!;
    let load = cpu.rq.queuedWeight;
    const curr = cpu.curr;
    if (curr !== null && curr !== extra && curr.schedClass === "fair") {
      sum += curr.weight * (this.#currVruntime(curr) - base);
      load += curr.weight;
    }
    if (extra !== null) {
      sum += extra.weight * (extra.vruntime - base);
      load += extra.weight;
    }
    return load > 0 ? base + sum / load : cpu.rq.minVruntime;
  }

  /** Whether a thread of `cpu`'s run queue may run: vruntime at most V (`entity_eligible`). */
  eligible(cpu: CpuState, thread: Thread): boolean {
    return thread.vruntime <= this.avgVruntime(cpu);
  }

  // ---- virtual runtime and placement --------------------------------------

  /**
   * Charges CPU time (`update_curr`); a fair thread past its deadline gets
   * the next one, and the CPU is to pick again when others wait
   * (`update_deadline`).
   */
  override chargeVruntime(cpu: CpuState, thread: Thread, delta: number): void {
    thread.vruntime += thread.weight === NICE_0_WEIGHT
      ? delta
      : delta * NICE_0_WEIGHT / thread.weight;
    if (thread.schedClass !== "fair") return;
    cpu.rq.updateMinVruntime(thread);
    this.#rebase(cpu);
    if (thread.vruntime >= thread.vdeadline) {
      thread.vdeadline = thread.vruntime + this.vslice(thread);
      if (cpu.rq.size > 0) this.#expired[cpu.id] = 1;
    }
  }

  /** A new thread (`place_entity` with ENQUEUE_INITIAL): at V, half a slice to its deadline. */
  override placeNew(cpu: CpuState, thread: Thread): void {
    thread.vlag = 0;
    thread.vruntime = this.avgVruntime(cpu);
    thread.vdeadline = thread.vruntime + this.vslice(thread) / 2;
  }

  /** A woken thread (`place_entity`): at V minus its saved lag, scaled. */
  override placeWoken(cpu: CpuState, thread: Thread): void {
    this.#place(cpu, thread);
  }

  /** A blocking thread saves its lag (`dequeue_entity`, `update_entity_lag`). */
  override blocked(cpu: CpuState, thread: Thread): void {
    if (thread.schedClass !== "fair") return;
    thread.vlag = this.#lag(cpu, thread, thread);
    if (this.#picked[cpu.id] === thread) this.#picked[cpu.id] = null;
  }

  /** A migrated thread is placed on its new queue with the lag it had (`place_entity`). */
  override migrated(_source: CpuState, target: CpuState, thread: Thread): void {
    this.#place(target, thread);
  }

  /** A running thread that was ghost joins at V with zero lag and a fresh slice. */
  override switchedTo(cpu: CpuState, thread: Thread): void {
    const base = this.#base[cpu.id]!;
    const load = cpu.rq.queuedWeight;
    thread.vruntime = load > 0 ? base + this.#sum[cpu.id]! / load : cpu.rq.minVruntime;
    thread.vdeadline = thread.vruntime + this.vslice(thread);
    cpu.rq.updateMinVruntime(thread);
    this.#rebase(cpu);
  }

  // ---- run queues ---------------------------------------------------------

  /** Queues a thread and counts it in V (`__enqueue_entity`, `avg_vruntime_add`). */
  override enqueue(cpu: CpuState, thread: Thread): void {
    super.enqueue(cpu, thread);
    this.#sum[cpu.id]! += thread.weight * (thread.vruntime - this.#base[cpu.id]!);
  }

  /** Takes a queued thread off, saving its lag (`dequeue_entity`, `avg_vruntime_sub`). */
  override dequeue(cpu: CpuState, thread: Thread): void {
    thread.vlag = this.#lag(cpu, thread, null);
    super.dequeue(cpu, thread);
    const id = cpu.id;
    if (cpu.rq.size === 0) {
      this.#sum[id] = 0; // exact again once empty
      this.#base[id] = cpu.rq.minVruntime;
    } else {
      this.#sum[id]! -= thread.weight * (thread.vruntime - this.#base[id]!);
    }
  }

  /**
   * The next fair thread for a CPU, still queued (`pick_eevdf`), or one
   * pulled from the busiest CPU when the queue is empty. A thread that just
   * yielded has its deadline pushed one slice on first (`yield_task_fair`).
   */
  override pickNext(cpu: CpuState): Thread | null {
    const yielded = cpu.yieldSkip;
    cpu.yieldSkip = null;
    this.#expired[cpu.id] = 0;
    if (yielded !== null && yielded.rqCpu === cpu.id) {
      yielded.vdeadline += this.vslice(yielded);
    }
    if (cpu.rq.size === 0) {
      this.#picked[cpu.id] = null;
      return super.pickNext(cpu);
    }
    const last = this.#picked[cpu.id] ?? null;
    const prev = last !== null && last.rqCpu === cpu.id ? last : null;
    const next = this.#pick(cpu, prev);
    if (next !== prev || next.vdeadline !== this.#pickedDeadline[cpu.id]) {
      this.#picked[cpu.id] = next;
      this.#pickedDeadline[cpu.id] = next.vdeadline;
    }
    return next;
  }

  // ---- preemption ---------------------------------------------------------

  /**
   * Whether a woken thread preempts the running one
   * (`check_preempt_wakeup`): the running thread's deadline ran out, or
   * `pick_eevdf` would pick the woken one.
   */
  override wakeupPreempts(curr: Thread, woken: Thread): boolean {
    const cpu = this.#cpuStates[curr.cpu]!;
    if (this.#expired[cpu.id] === 1) return true;
    if (woken.rqCpu !== cpu.id) return false;
    return this.#pick(cpu, curr) === woken;
  }

  /** Whether the tick found the running thread's deadline run out with others waiting. */
  override tickPreempts(cpu: CpuState, _curr: Thread): boolean {
    return this.#expired[cpu.id] === 1;
  }

  // ---- internals ----------------------------------------------------------

  /**
   * `pick_eevdf` over the queue and `curr` (the running or just-preempted
   * thread, or null): `curr` while eligible and in the slice it was picked
   * for; else the eligible thread with the earliest deadline, `curr` only
   * when strictly earlier; the leftmost when none is eligible.
   */
  #pick(cpu: CpuState, curr: Thread | null): Thread {
    const rq = cpu.rq;
    const v = this.avgVruntime(cpu);
    let keep = curr;
    if (keep !== null && keep.vruntime > v) keep = null;
    if (
      keep !== null && this.#picked[cpu.id] === keep &&
      keep.vdeadline === this.#pickedDeadline[cpu.id]
    ) {
      return keep;
    }
    // The heap is ordered by vruntime: a node past V has only ineligible
    // descendants, so the search prunes there.
    let best: Thread | null = null;
    const stack: number[] = rq.size > 0 ? [0] : [];
    while (stack.length > 0) {
      const index = stack.pop()!;
      const thread = rq.at(index)!;
      if (thread.vruntime > v) continue;
      if (thread !== curr && (best === null || earlier(thread, best))) best = thread;
      const left = 2 * index + 1;
      if (left < rq.size) stack.push(left);
      if (left + 1 < rq.size) stack.push(left + 1);
    }
    if (best === null || (keep !== null && keep.vdeadline < best.vdeadline)) best = keep;
    return best ?? rq.peek() ?? curr!;
  }

  /** Places a thread joining `cpu`'s queue at V minus its lag scaled by (W + w) / W. */
  #place(cpu: CpuState, thread: Thread): void {
    const v = this.avgVruntime(cpu);
    let load = cpu.rq.queuedWeight;
    const curr = cpu.curr;
    if (curr !== null && curr !== thread && curr.schedClass === "fair") load += curr.weight;
    const lag = load > 0 ? thread.vlag * (load + thread.weight) / load : 0;
    thread.vruntime = v - lag;
    thread.vdeadline = thread.vruntime + this.vslice(thread);
  }

  /** V - vruntime, clamped to the weighted max(2 x slice, tick) (`update_entity_lag`). */
  #lag(cpu: CpuState, thread: Thread, extra: Thread | null): number {
    const limit = Math.max(2 * this.baseSlice, this.#tickNs) * NICE_0_WEIGHT / thread.weight;
    const lag = this.avgVruntime(cpu, extra) - thread.vruntime;
    return lag > limit ? limit : lag < -limit ? -limit : lag;
  }

  /** The running thread's vruntime with its time up to now counted. */
  #currVruntime(curr: Thread): number {
    const pending = this.#clock.now - curr.lastUpdate;
    if (pending <= 0) return curr.vruntime;
    return curr.vruntime + pending * NICE_0_WEIGHT / curr.weight;
  }

  /** Moves #sum's base to the run queue's min_vruntime (`avg_vruntime_update`). */
  #rebase(cpu: CpuState): void {
    const id = cpu.id;
    const delta = cpu.rq.minVruntime - this.#base[id]!;
    if (delta === 0) return;
    this.#sum[id]! -= cpu.rq.queuedWeight * delta;
    this.#base[id] = cpu.rq.minVruntime;
  }
}

/** Earlier virtual deadline; ties by vruntime, then queue order. */
function earlier(a: Thread, b: Thread): boolean {
  if (a.vdeadline !== b.vdeadline) return a.vdeadline < b.vdeadline;
  if (a.vruntime !== b.vruntime) return a.vruntime < b.vruntime;
  return a.enqueueSeq < b.enqueueSeq;
}
