/**
 * The ghost class's kernel side, after ghost-kernel's kernel/sched/ghost.c:
 * the two scheduling classes it adds, `ghost` (threads an agent schedules)
 * and `ghost_agent` (the agents, above everything but stop). The kernel
 * ({@link Kernel}) owns one and delegates to it.
 *
 * - Latching (`_ghost_commit_txn`, `rq->ghost.latched_task`): a commit latches a
 *   runnable thread on a CPU; it runs there once the remote commit's IPI has
 *   arrived and no higher class wants the CPU (`pick_next_task_ghost`). A
 *   latched thread that is replaced, displaced by a fair thread or by the
 *   CPU's agent taking the CPU (`pick_next_ghost_agent`), or evicted by its
 *   affinity is reported preempted with `was_latched`.
 * - The in-kernel pick hook (the BPF program attached at
 *   `BPF_GHOST_SCHED_PNT`): a CPU that would go idle with nothing latched
 *   may run what the hook picks.
 * - Preemption of a running ghost thread (`put_prev_task_ghost`,
 *   `task_deliver_msg_preempt`): by the agent waking on its CPU, a fair
 *   thread (flagged as by the kernel), a newly latched thread, or an
 *   affinity change.
 * - Every event is reported through {@link GhostHooks}, which the enclave
 *   implements by producing the matching message (`task_deliver_msg_*`).
 * - Departure (`switched_from_ghost`): a thread leaving for CFS drops its
 *   latch and its enclave.
 * - Affinity (`set_cpus_allowed_ghost`): TASK_AFFINITY_CHANGED, and a
 *   thread latched on a CPU it may no longer use is unlatched.
 *
 * @module
 */

import type { FairClass } from "./fair_class.ts";
import type { CpuState, Kernel } from "./kernel.ts";
import { MSG_FLAG_BY_KERNEL, MSG_FLAG_WAS_LATCHED } from "./message_queue.ts";
import type { Thread } from "./thread.ts";

/**
 * What the kernel tells the ghOSt side about a ghost-class thread (the
 * enclave implements it). Each call produces the matching message.
 */
export interface GhostHooks {
  /** The thread entered the ghost class (TASK_NEW). */
  taskNew(thread: Thread): void;
  /** A blocked thread became runnable (TASK_WAKEUP). */
  taskWakeup(thread: Thread, wakerCpu: number): void;
  /** The running thread blocked on `cpu` (TASK_BLOCKED). */
  taskBlocked(thread: Thread, cpu: number): void;
  /** The running thread yielded `cpu` (TASK_YIELD). */
  taskYield(thread: Thread, cpu: number): void;
  /**
   * The thread lost `cpu` to a higher class or another commit
   * (TASK_PREEMPT). `flags` are the message's: MSG_FLAG_WAS_LATCHED when it
   * was latched there, not yet running; MSG_FLAG_BY_KERNEL when a higher
   * class or its affinity took the CPU, not a commit of the agent.
   */
  taskPreempt(thread: Thread, cpu: number, flags: number): void;
  /** The thread's allowed CPUs changed (TASK_AFFINITY_CHANGED). */
  taskAffinityChanged(thread: Thread): void;
  /** The thread exited (TASK_BLOCKED then TASK_DEAD). */
  taskDead(thread: Thread, cpu: number): void;
  /** `cpu` has nothing to run (a polling agent notices on its next pass). */
  cpuIdle(cpu: number): void;
  /** A fair thread left `cpu` idle (CPU_AVAILABLE): its agent may schedule it again. */
  cpuAvailable(cpu: number): void;
  /** A fair thread wants `cpu` where an agent or ghost thread runs (BOOST_PRIO). */
  boost(cpu: number): void;
  /** A timer tick on enclave CPU `cpu` (CPU_TICK, when the enclave delivers ticks). */
  cpuTick(cpu: number): void;
  /** A committed thread started running on `cpu` (TASK_ON_CPU, when opted in). */
  taskOnCpu(thread: Thread, cpu: number): void;
  /** The in-kernel pick-next-task hook (BPF in the real system), or null. */
  pickHook: ((cpu: number) => Thread | null) | null;
}

/**
 * Options of {@link Kernel.latch}. A caller that latches often can reuse one
 * object: the kernel copies the fields.
 */
export interface LatchOptions {
  /**
   * When the thread may start, ns: the arrival of a remote commit's IPI. A
   * time not after now starts it at the CPU's next pick. @default now
   */
  readyAt?: number;
  /** Switch overhead charged on the CPU when the thread starts (remote commit, target side), ns. @default 0 */
  cost?: number;
}

/**
 * The ghost and ghost_agent classes of one kernel. Its methods change
 * latches and ghost threads' states and report to the enclave, but never
 * switch a CPU: the kernel does, and asks this class what to do.
 */
export class GhostClass {
  readonly #kernel: Kernel;
  readonly #fair: FairClass;
  readonly #kindIpi: number;

  /** Creates the ghost class of a kernel; it registers the IPI event. */
  constructor(kernel: Kernel, fair: FairClass) {
    this.#kernel = kernel;
    this.#fair = fair;
    this.#kindIpi = kernel.engine.register("kernel.ipi", (cpu) => this.#onIpi(cpu));
  }

  // ---- threads entering the classes, waking, leaving ----------------------

  /** A new ghost thread: runnable, without a CPU until a commit; TASK_NEW. */
  spawn(thread: Thread): void {
    thread.runnableSince = this.#kernel.engine.now;
    thread.ghost!.taskNew(thread);
  }

  /** A new agent thread: it must be pinned to one CPU, which has no live agent. */
  spawnAgent(thread: Thread, affinity: readonly number[] | undefined): void {
    const home = affinity?.length === 1 ? this.#kernel.cpus[affinity[0]!]! : undefined;
    if (home === undefined) throw new RangeError("An agent thread must be pinned to one CPU");
    if (home.agent !== null && home.agent.state !== "dead") {
      throw new Error(`CPU ${home.id} already has agent thread ${home.agent.id}`);
    }
    home.agent = thread;
    thread.lastCpu = home.id;
    this.#kernel.resched(home.id);
  }

  /** A blocked ghost thread became runnable (TASK_WAKEUP); the agent places it. */
  wake(thread: Thread, wakerCpu: number): void {
    thread.state = "runnable";
    thread.runnableSince = this.#kernel.engine.now;
    thread.ghost!.taskWakeup(thread, wakerCpu);
  }

  /** A blocked agent thread became runnable: its CPU switches to it at once. */
  wakeAgent(thread: Thread): void {
    thread.state = "runnable";
    const home = this.#kernel.cpus[thread.lastCpu]!;
    this.#fair.markBusy(home);
    this.#kernel.resched(home.id);
  }

  /**
   * The thread's allowed CPUs changed (TASK_AFFINITY_CHANGED); a thread
   * latched on a CPU it may no longer use is unlatched and reported
   * preempted. A running one is the kernel's to move.
   */
  affinityChanged(thread: Thread): void {
    thread.ghost!.taskAffinityChanged(thread);
    if (thread.latchedCpu >= 0 && !thread.allowed(thread.latchedCpu)) {
      const cpu = thread.latchedCpu;
      this.unlatch(thread);
      thread.ghost!.taskPreempt(thread, cpu, MSG_FLAG_WAS_LATCHED | MSG_FLAG_BY_KERNEL);
    }
  }

  /** The thread leaves the ghost class for the fair class: it drops its latch and enclave. */
  depart(thread: Thread): void {
    if (thread.latchedCpu >= 0) this.unlatch(thread);
    thread.schedClass = "fair";
    thread.ghost = null;
  }

  // ---- latching -----------------------------------------------------------

  /** See {@link Kernel.latch}. */
  latch(thread: Thread, cpuId: number, options: Readonly<LatchOptions>): void {
    const cpu = this.#kernel.cpus[cpuId]!;
    if (thread.schedClass !== "ghost" || thread.state !== "runnable" || thread.latchedCpu >= 0) {
      throw new Error(`Thread ${thread.id} (${thread.state}) cannot be latched on CPU ${cpuId}`);
    }
    const previous = cpu.latched;
    if (previous !== null) {
      this.unlatch(previous);
      previous.ghost!.taskPreempt(previous, cpuId, MSG_FLAG_WAS_LATCHED);
    }
    const now = this.#kernel.engine.now;
    const readyAt = options.readyAt ?? now;
    thread.latchedCpu = cpuId;
    cpu.latched = thread;
    cpu.latchReadyAt = readyAt;
    cpu.latchCost = options.cost ?? 0;
    this.#fair.markBusy(cpu);
    if (readyAt <= now) this.#kernel.resched(cpuId);
    else this.#kernel.engine.at(readyAt, this.#kindIpi, cpuId);
  }

  /** See {@link Kernel.unlatch}. */
  unlatch(thread: Thread): void {
    const cpu = this.#kernel.cpus[thread.latchedCpu];
    if (cpu === undefined || cpu.latched !== thread) {
      throw new Error(`Thread ${thread.id} is not latched`);
    }
    cpu.latched = null;
    thread.latchedCpu = -1;
    if (cpu.curr === null && cpu.rq.size === 0) this.#fair.markIdle(cpu);
  }

  /**
   * A higher class (a fair or microquanta thread, or the CPU's agent) takes
   * `cpu` from the thread latched there before it ran: TASK_PREEMPT, was
   * latched, by the kernel.
   */
  displaceLatched(cpu: CpuState): void {
    const latched = cpu.latched;
    if (latched === null) return;
    this.unlatch(latched);
    latched.ghost!.taskPreempt(latched, cpu.id, MSG_FLAG_WAS_LATCHED | MSG_FLAG_BY_KERNEL);
  }

  #onIpi(cpuId: number): void {
    const cpu = this.#kernel.cpus[cpuId]!;
    if (cpu.latched !== null) this.#kernel.resched(cpuId);
  }

  // ---- running ghost threads ----------------------------------------------

  /**
   * Whether the ghost thread running on `cpu` keeps it when the CPU picks
   * again: its agent does not want the CPU, no fair thread waits, no latched
   * thread is ready, and its affinity still allows the CPU.
   */
  keepsCpu(cpu: CpuState, curr: Thread): boolean {
    const agentWaiting = cpu.agent !== null && cpu.agent.state === "runnable";
    const latchReady = cpu.latched !== null && cpu.latchReadyAt <= this.#kernel.engine.now;
    return !agentWaiting && cpu.rq.size === 0 && !latchReady && curr.allowed(cpu.id);
  }

  /**
   * The ghost thread just taken off `cpu` stays runnable (TASK_PREEMPT): by
   * the kernel when its affinity evicted it or a fair thread, not its agent,
   * took the CPU.
   */
  preempted(cpu: CpuState, thread: Thread): void {
    const agentWaiting = cpu.agent !== null && cpu.agent.state === "runnable";
    const byKernel = !thread.allowed(cpu.id) || (cpu.rq.size > 0 && !agentWaiting);
    thread.state = "runnable";
    thread.runnableSince = this.#kernel.engine.now;
    thread.ghost!.taskPreempt(thread, cpu.id, byKernel ? MSG_FLAG_BY_KERNEL : 0);
  }

  /** The ghost thread just taken off `cpu` yielded it (TASK_YIELD); it stays runnable. */
  yielded(cpu: CpuState, thread: Thread): void {
    thread.state = "runnable";
    thread.runnableSince = this.#kernel.engine.now;
    thread.ghost!.taskYield(thread, cpu.id);
  }

  /** What the enclave's in-kernel hook picks for an idle `cpu`, or null (no hook, or no pick). */
  pickFromHook(cpu: CpuState): Thread | null {
    const hook = cpu.ghost?.pickHook;
    if (hook == null) return null;
    const picked = hook(cpu.id);
    if (
      picked !== null &&
      (picked.schedClass !== "ghost" || picked.state !== "runnable" || picked.latchedCpu !== -1 ||
        !picked.allowed(cpu.id))
    ) {
      throw new Error(`Thread ${picked.id} cannot run from the pick hook on CPU ${cpu.id}`);
    }
    return picked;
  }
}
