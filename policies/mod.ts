/**
 * The policy SDK: everything a scheduling policy is written with, from one
 * module. A policy is a table of callbacks (`Policy`): the agent framework
 * drains the message queues, checks sequence numbers and calls `taskNew`,
 * `taskRunnable`, `taskBlocked`, `taskPreempted`, `taskYield`, `taskDead`
 * and `taskDeparted` in message order, then `schedule`, which opens
 * transactions on the `AgentContext` and commits them. A failed commit is
 * a `TXN` outcome to handle, never an exception. `registerPolicy` makes a
 * policy known by name to runs and the command line.
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, POLICIES, registerPolicy, runExperiment } from "../mod.ts";
 * registerPolicy({
 *   name: "fifo-sliced",
 *   description: "the centralized FIFO with a 50 us slice",
 *   model: "centralized",
 *   create: (options) => POLICIES["fifo-centralized"]!.create({ ...options, sliceNs: 50_000 }),
 * });
 * const result = runExperiment({
 *   ...DEFAULT_RUN_CONFIG,
 *   policy: "fifo-sliced",
 *   load: 10_000,
 *   durationNs: 20_000_000,
 *   warmupNs: 0,
 * });
 * if (result.completed === 0) throw new Error("nothing ran");
 * ```
 *
 * @module
 */

export type { AgentContext, CommitMode, Policy, PolicyModel, TaskStatus } from "../core/policy.ts";
export {
  type MessageType,
  MSG,
  MSG_NAMES,
  TARGET,
  TXN,
  TXN_NAMES,
  type TxnOutcome,
} from "../core/ghost_abi.ts";
export {
  type Message,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_DEFERRABLE,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
  MSG_FLAG_WAS_CURRENT,
  MSG_FLAG_WAS_LATCHED,
} from "../core/message_queue.ts";
export type { SchedClassName, ThreadState } from "../core/thread.ts";
export { CpuSet } from "../core/cpu_set.ts";
export { type CpuInfo, Topology } from "../core/topology.ts";
export {
  definePolicy,
  POLICIES,
  type PolicyDefinition,
  type PolicyOptions,
  registerPolicy,
  resolvePolicy,
} from "./registry.ts";
