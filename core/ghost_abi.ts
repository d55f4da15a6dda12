/**
 * The ghOSt ABI as the emulated kernel speaks it: message types, transaction
 * outcomes, status-word flags and special commit targets. Names follow
 * google/ghost-userspace so that a reader of that code finds their way.
 *
 * @module
 */

/** Kernel-to-agent message types. */
export const MSG = {
  TASK_NEW: 1,
  TASK_WAKEUP: 2,
  TASK_BLOCKED: 3,
  TASK_PREEMPT: 4,
  TASK_YIELD: 5,
  TASK_DEAD: 6,
  TASK_DEPARTED: 7,
  TASK_AFFINITY_CHANGED: 8,
  TASK_ON_CPU: 9,
  CPU_TICK: 10,
  CPU_AVAILABLE: 11,
  CPU_BUSY: 12,
} as const;

/** A message type number. */
export type MessageType = typeof MSG[keyof typeof MSG];

/** Message type names by number, for traces and errors. */
export const MSG_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(MSG).map(([name, value]) => [value, name]),
);

/** Whether a message type is about a task (carries a gtid and a task seqnum). */
export function isTaskMessage(type: number): boolean {
  return type >= MSG.TASK_NEW && type <= MSG.TASK_ON_CPU;
}

/** Outcomes of a transaction commit. A failure is a value, never an exception. */
export const TXN = {
  /** Not committed yet. */
  OPEN: 0,
  COMPLETE: 1,
  /** The task barrier is old, or the thread is dead. */
  TARGET_STALE: 2,
  /** The thread is blocked. */
  TARGET_NOT_RUNNABLE: 3,
  /** The thread still runs (or is latched) on another CPU. */
  TARGET_ONCPU: 4,
  /** The agent barrier is old: the agent has unread messages. */
  AGENT_STALE: 5,
  /** A higher scheduling class holds the CPU. */
  CPU_UNAVAIL: 6,
  /** The CPU is not in the enclave. */
  INVALID_CPU: 7,
  /** No such thread in the enclave. */
  INVALID_TARGET: 8,
  /** The enclave has no agent attached. */
  NO_AGENT: 9,
  /** Another transaction of the same sync group failed. */
  POISONED: 10,
  /** Superseded by a newer transaction on the same CPU before its commit. */
  ABORTED: 11,
} as const;

/** A transaction outcome number. */
export type TxnOutcome = typeof TXN[keyof typeof TXN];

/** Outcome names by number. */
export const TXN_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(TXN).map(([name, value]) => [value, name]),
);

/** Special commit targets (gtids that are not threads). */
export const TARGET = {
  /** Leave the CPU idle. */
  IDLE: -1,
  /** Ping the CPU's agent. */
  AGENT: -2,
} as const;

/** Agent status-word flags. */
export const AGENT_FLAG = {
  /** The CPU is free of higher classes. */
  CPU_AVAIL: 1,
  /** A higher class wants this CPU: yield it soon. */
  BOOST_PRIO: 2,
} as const;
