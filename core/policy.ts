/**
 * What a scheduling policy is to the agent framework: a table of callbacks
 * (`Policy`), the context each callback gets (`AgentContext`), and the
 * read-only view of a task's status word (`TaskStatus`). Policies are
 * written against these types only; `core/agent_process.ts` runs them.
 *
 * @module
 */

import type { TxnOutcome } from "./ghost_abi.ts";
import type { Message } from "./message_queue.ts";
import type { SchedClassName, ThreadState } from "./thread.ts";
import type { Topology } from "./topology.ts";

/** How a policy's agents are arranged. */
export type PolicyModel = "per-cpu" | "centralized";

/**
 * How a commit waits. `sync`: the agent waits until the remote CPUs have
 * switched (agent side, IPI and target side); `async`: the agent goes on
 * after its own side and reads outcomes later; `sync-group`: sync, and all
 * or nothing (a failure POISONs the rest).
 */
export type CommitMode = "sync" | "async" | "sync-group";

/**
 * A task's status word as a policy may read it: the kernel keeps it up to
 * date, and reading it costs nothing. Nothing here can change the thread.
 */
export interface TaskStatus {
  /** Thread id (gtid). */
  readonly id: number;
  /** Task barrier (Tseq): the sequence number of the latest message about it. */
  readonly barrier: number;
  /** Life-cycle state in the kernel: runnable (waiting for a CPU), running, blocked or dead. */
  readonly state: ThreadState;
  /** Scheduling class: `ghost` while in the enclave, `fair` once it left. */
  readonly schedClass: SchedClassName;
  /** CPU it runs on, or -1. */
  readonly cpu: number;
  /** CPU a commit latched it on (it starts there when the IPI lands), or -1. */
  readonly latchedCpu: number;
  /** CPU time it used so far, ns (the runtime of its messages). */
  readonly cpuTime: number;
  /** Nice value, -20..19. */
  readonly nice: number;
  /** LLC domain holding its data, or -1 (a placement hint). */
  readonly homeLlc: number;
  /** How memory-bound its work is, 0..1 (a placement hint). */
  readonly memoryIntensity: number;
  /**
   * Absolute deadline of its current work, ns, or Infinity: written by the
   * application (`ThreadOptions.deadline` at spawn, or `thread.deadline`),
   * like a sched item of ghOSt's PrioTable. No message announces a change:
   * a policy reads it when the thread becomes runnable (the application
   * writes it before waking or yielding the thread) and while it runs.
   */
  readonly deadline: number;
  /** Whether its affinity mask allows `cpu`. */
  allowed(cpu: number): boolean;
}

/**
 * An agent's status word (one per enclave CPU) as a policy may read it: the
 * kernel bumps its barrier with every CPU message and ping.
 */
export interface AgentStatus {
  /** Agent barrier (Aseq). */
  readonly barrier: number;
  /** BOOST_PRIO: a higher class wants this CPU, yield it soon. */
  readonly boostPrio: boolean;
}

/** What a policy sees and can do while its agent runs. */
export interface AgentContext {
  /** Virtual time, ns. */
  readonly now: number;
  /** The CPU of the agent running the policy. */
  readonly cpu: number;
  /** The enclave's CPUs. */
  readonly cpus: readonly number[];
  /** The machine. */
  readonly topology: Topology;
  /** The CPU of the global agent (centralized), else -1. */
  readonly globalCpu: number;
  /** A task's status word, free to read; undefined once it left the enclave. */
  status(gtid: number): TaskStatus | undefined;
  /** The status word of `cpu`'s agent, free to read; undefined if not an enclave CPU. */
  agentStatus(cpu: number): AgentStatus | undefined;
  /** Whether no higher class (a fair thread, another agent) holds a CPU. */
  cpuAvailable(cpu: number): boolean;
  /**
   * Opens a transaction: run `gtid` (or TARGET.IDLE / TARGET.AGENT) on `cpu`,
   * if the task's barrier is still `barrier` (default: the seqnum of the last
   * message the agent read about it).
   */
  open(cpu: number, gtid: number, barrier?: number): void;
  /**
   * Commits every transaction opened since the last commit, as one group,
   * and returns how many completed; read each with `outcome(cpu)`. The mode
   * (default `sync`) decides how long the agent waits and whether the group
   * is all or nothing.
   */
  commit(mode?: CommitMode): number;
  /** The outcome of `cpu`'s last transaction. */
  outcome(cpu: number): TxnOutcome;
  /**
   * Moves a task's messages to `cpu`'s queue (per-CPU model); false if the
   * barrier (default: the seqnum of the last message read about the task)
   * is stale or the CPU is not in the enclave.
   */
  associate(gtid: number, cpu: number, barrier?: number): boolean;
  /** Pings `cpu`'s agent (bumps its barrier, wakes it); false if not an enclave CPU. */
  ping(cpu: number): boolean;
  /**
   * Asks for this agent to run the policy again at `time` (the spinning
   * global agent's clock, or a per-CPU agent's timer).
   */
  wakeAt(time: number): void;
  /**
   * Installs the in-kernel pick-next-task hook (the BPF program of the real
   * system): called when an enclave CPU would go idle with nothing latched,
   * it returns the gtid of a runnable thread to run there at once, or -1.
   * Null removes it.
   */
  setPickHook(hook: ((cpu: number) => number) | null): void;
}

/**
 * A scheduling policy: a table of callbacks plus a schedule step. The
 * framework calls the callbacks in message order; `schedule` runs after each
 * batch of messages, and whenever the agent wakes. Every task message a
 * thread can receive has a required callback (`TaskTable` implements them
 * all); the opt-in ones default to doing nothing.
 */
export interface Policy {
  /** Policy name. */
  readonly name: string;
  /** Agent arrangement. */
  readonly model: PolicyModel;
  /** TASK_NEW: a thread joined (flags say whether it is runnable; aux is its nice). */
  taskNew(ctx: AgentContext, msg: Message): void;
  /** TASK_WAKEUP: a blocked thread became runnable. */
  taskRunnable(ctx: AgentContext, msg: Message): void;
  /** TASK_BLOCKED: a running thread blocked. */
  taskBlocked(ctx: AgentContext, msg: Message): void;
  /** TASK_PREEMPT: a thread lost its CPU (flags: by the kernel, was latched). */
  taskPreempted(ctx: AgentContext, msg: Message): void;
  /** TASK_YIELD: a thread yielded its CPU. */
  taskYield(ctx: AgentContext, msg: Message): void;
  /** TASK_DEAD: a thread exited. */
  taskDead(ctx: AgentContext, msg: Message): void;
  /**
   * TASK_DEPARTED: a thread left the ghost class, from any state (flag
   * MSG_FLAG_WAS_CURRENT: it was running). Commits of it now fail
   * INVALID_TARGET, so the policy must drop it from its queues.
   */
  taskDeparted(ctx: AgentContext, msg: Message): void;
  /**
   * TASK_AFFINITY_CHANGED: a thread's allowed CPUs changed (read them from
   * `ctx.status(gtid)`); commits to a CPU it may not use fail INVALID_CPU.
   * @default ignored
   */
  taskAffinityChanged?(ctx: AgentContext, msg: Message): void;
  /** TASK_ON_CPU (opt-in): a committed thread started running on `msg.cpu`. @default ignored */
  taskOnCpu?(ctx: AgentContext, msg: Message): void;
  /** CPU_TICK (opt-in, `deliverTicks`): a timer tick on `msg.cpu`. @default ignored */
  cpuTick?(ctx: AgentContext, msg: Message): void;
  /**
   * Called after each batch of messages the policy was handed (one drain of
   * a queue, or the TASK_NEWs of discovery), before the next schedule step:
   * a policy that batches messages (an agent in another process) acts on
   * them here, at the time the framework read them. @default nothing
   */
  afterMessages?(ctx: AgentContext): void;
  /** Decides and commits. Per-CPU: for `ctx.cpu`; centralized: for every CPU. */
  schedule(ctx: AgentContext): void;
  /**
   * Called once its agent process has exited (shut down, crashed, enclave
   * destroyed) or the run is over: releases what the policy holds outside
   * the emulation (an agent's child process). Never calls back into the
   * context. @default nothing
   */
  close?(): void;
}
