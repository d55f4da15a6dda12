/**
 * The policy SDK: everything a scheduling policy is written with, from one
 * module. A policy is a table of callbacks (`Policy`): the agent framework
 * drains the message queues, checks sequence numbers and calls `taskNew`,
 * `taskRunnable`, `taskBlocked`, `taskPreempted`, `taskYield`, `taskDead`
 * and `taskDeparted` in message order, then `schedule`, which opens
 * transactions on the `AgentContext` and commits them. A failed commit is
 * a `TXN` outcome to handle, never an exception. A `TaskTable` implements
 * the task callbacks (per-thread state, checks, CPU holders, departures),
 * leaving the policy its run queue and `schedule`. `registerPolicy` makes a
 * policy known by name to runs and the command line; `loadPolicySource`
 * loads one from a policy file or an agent in another process
 * (`exec:COMMAND`, speaking the protocol of exec/README.md).
 *
 * Deadlines: the application attaches one to a thread's current work by
 * writing the absolute time, in ns, on the thread: `deadline` in its spawn
 * options, or `thread.deadline` before it wakes or yields the thread (the
 * sched item of ghOSt's PrioTable, in shared memory, with no message). A
 * policy reads it, free, from the task's status word:
 * `ctx.status(gtid)?.deadline` (Infinity: none), when the thread becomes
 * runnable and while it runs. The built-in `edf` policy runs the earliest
 * deadline first; the `periodic` workload gives its jobs deadlines, and a
 * workload that returns `deadlines()` has its met and missed deadlines
 * reported by the run.
 *
 * @example
 * ```ts
 * import {
 *   type AgentContext,
 *   DEFAULT_RUN_CONFIG,
 *   type Message,
 *   type Policy,
 *   registerPolicy,
 *   runExperiment,
 *   type Task,
 *   TaskTable,
 *   TXN,
 * } from "../mod.ts";
 *
 * // Last in, first out: one global agent runs the newest waiting thread.
 * class Lifo implements Policy {
 *   readonly name = "lifo-example";
 *   readonly model = "centralized";
 *   readonly #stack: number[] = [];
 *   readonly #tasks = new TaskTable<Task>(this.name, {
 *     create: (_ctx, msg) => ({ gtid: msg.gtid, state: "blocked", cpu: -1 }),
 *     enqueue: (_ctx, task) => void this.#stack.push(task.gtid),
 *     dequeue: (_ctx, task) => void this.#stack.splice(this.#stack.indexOf(task.gtid), 1),
 *   });
 *   taskNew(ctx: AgentContext, msg: Message) { this.#tasks.taskNew(ctx, msg); }
 *   taskRunnable(ctx: AgentContext, msg: Message) { this.#tasks.taskRunnable(ctx, msg); }
 *   taskBlocked(ctx: AgentContext, msg: Message) { this.#tasks.taskBlocked(ctx, msg); }
 *   taskPreempted(ctx: AgentContext, msg: Message) { this.#tasks.taskPreempted(ctx, msg); }
 *   taskYield(ctx: AgentContext, msg: Message) { this.#tasks.taskYield(ctx, msg); }
 *   taskDead(ctx: AgentContext, msg: Message) { this.#tasks.taskDead(ctx, msg); }
 *   taskDeparted(ctx: AgentContext, msg: Message) { this.#tasks.taskDeparted(ctx, msg); }
 *   schedule(ctx: AgentContext) {
 *     const idle = this.#tasks.idle;
 *     for (let i = idle.size - 1; i >= 0 && this.#stack.length > 0; i--) {
 *       const cpu = idle.at(i);
 *       if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
 *       const gtid = this.#stack.pop()!;
 *       ctx.open(cpu, gtid);
 *       ctx.commit();
 *       if (ctx.outcome(cpu) === TXN.COMPLETE) this.#tasks.run(this.#tasks.get(gtid), cpu);
 *       else this.#stack.push(gtid); // retried on the next pass
 *     }
 *   }
 * }
 *
 * registerPolicy({
 *   name: "lifo-example",
 *   description: "newest waiting thread first",
 *   model: "centralized",
 *   create: () => new Lifo(),
 * });
 * const result = runExperiment({
 *   ...DEFAULT_RUN_CONFIG,
 *   policy: "lifo-example",
 *   load: 10_000,
 *   durationNs: 20_000_000,
 *   warmupNs: 0,
 * });
 * if (result.completed === 0 || result.ghost?.decisions === 0) throw new Error("nothing ran");
 * ```
 *
 * @module
 */

export type {
  AgentContext,
  AgentStatus,
  CommitMode,
  Policy,
  PolicyModel,
  TaskStatus,
} from "../core/policy.ts";
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
  type ReadonlyCpuSet,
  type Task,
  type TaskHooks,
  type TaskState,
  TaskTable,
} from "./task_table.ts";
export type {
  BooleanOption,
  ChoiceOption,
  DistributionOption,
  DurationOption,
  IntegerOption,
  NumberOption,
  OptionSpec,
  OptionSpecs,
  OptionValue,
  OptionValues,
} from "../core/options.ts";
export {
  definePolicy,
  POLICIES,
  type PolicyDefinition,
  registerPolicy,
  registerPolicySource,
  resolvePolicy,
} from "./registry.ts";
export {
  DEFAULT_AGENT_TIMEOUT_NS,
  loadPolicySource,
  loadPolicySources,
  parseExecSource,
  policySourceHash,
  policySourceKind,
} from "./sources.ts";
export { AgentError, ExecPolicy, PROTOCOL_VERSION } from "./exec/mod.ts";
