/**
 * The agent thread's loop: drain the CPU's message queue (paying the
 * delivery cost first), check that every task's messages arrive in
 * sequence, route each message to the policy's callback, run the policy's
 * schedule step and its commits, then sleep (per-CPU) or spin (the global
 * agent). The loop reaches its process through `LoopHost` only.
 *
 * @module
 */

import type { Context } from "./agent_context.ts";
import { isTaskMessage, MSG } from "./ghost_abi.ts";
import type { GtidMap } from "./gtid_map.ts";
import type { Kernel } from "./kernel.ts";
import { type Message, MessageQueue } from "./message_queue.ts";
import type { Policy } from "./policy.ts";
import type { Action, Behavior, Thread, WaitQueue } from "./thread.ts";
import { AgentSmtContention, crossSocketCount, crossSocketNs } from "./topology_costs.ts";

/** What an agent thread's loop needs from its process (internal to the agent runtime). */
export interface LoopHost {
  /** The kernel. */
  readonly kernel: Kernel;
  /** The policy. */
  readonly policy: Policy;
  /** The context handed to the policy. */
  readonly context: Context;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** The CPU of the global agent, or -1. */
  readonly globalCpu: number;
  /** Agent CPU time to deliver one message, ns. */
  readonly deliveryCost: number;
  /** Per task: the barrier of the last message the agent read. */
  readonly lastSeq: GtidMap<number>;
  /** Counts handled messages. */
  countMessage(): void;
  /** Counts agent CPU time charged for work (not spinning), ns. */
  countWork(ns: number): void;
  /** The queue the agent on `cpu` drains. */
  queueOf(cpu: number): MessageQueue;
  /** The wait queue an idle agent on `cpu` sleeps on. */
  sleepQueue(cpu: number): WaitQueue;
  /** Whether the agent on `cpu` schedules now. */
  isActive(cpu: number): boolean;
  /** Takes `cpu`'s dirty mark: whether something changed since the agent last looked. */
  takeDirty(cpu: number): boolean;
  /** Whether the agent on `cpu` must discover the threads first. */
  mustDiscover(cpu: number): boolean;
  /** Discovers the enclave's threads as agent `cpu`; returns the cost, ns. */
  discover(cpu: number): number;
  /** Moves the global agent off a boosted CPU; whether it moved. */
  migrateIfBoosted(cpu: number): boolean;
  /** Kills the process (policy code threw). */
  crash(error: unknown): void;
}

/** The behaviour of one agent thread: drain, decide, commit, then sleep or spin. */
export class AgentLoop implements Behavior {
  readonly #host: LoopHost;
  readonly #cpu: number;
  #paid = 0;
  /** The last step charged the cost of a commit round. */
  #committed = false;
  /** The messages about to be delivered, as the cross-socket cost reads them. */
  readonly #delivery = {
    agentCpu: -1,
    count: 0,
    queue: null as MessageQueue | null,
    cpuAt: (i: number): number => this.#delivery.queue!.cpuAt(i),
  };
  /** How much the agent's SMT siblings slow its work. */
  readonly #smt: AgentSmtContention;

  /** Creates the loop of the agent on `cpu`. */
  constructor(host: LoopHost, cpu: number) {
    this.#host = host;
    this.#cpu = cpu;
    this.#delivery.agentCpu = cpu;
    this.#smt = new AgentSmtContention(host.kernel, cpu);
  }

  /** The agent thread's next step. */
  next(thread: Thread): Action {
    const host = this.#host;
    if (host.exited) return "exit";
    try {
      return this.#step(thread);
    } catch (error) {
      // Policy code threw: the agent process dies, never the emulator.
      host.crash(error);
      return "exit";
    }
  }

  #step(thread: Thread): Action {
    const host = this.#host;
    const cpu = this.#cpu;
    if (host.mustDiscover(cpu)) {
      const cost = host.discover(cpu);
      if (cost > 0) {
        host.countWork(cost);
        thread.stepNs = cost;
        return "compute";
      }
    }
    if (!host.isActive(cpu)) {
      this.#paid = 0;
      thread.waitOn = host.sleepQueue(cpu);
      return "wait";
    }
    const queue = host.queueOf(cpu);
    if (this.#paid > 0) {
      this.#dispatch(queue, this.#paid);
      this.#paid = 0;
    }
    const pending = queue.size;
    if (pending > 0) {
      const cost = pending * host.deliveryCost;
      if (cost > 0) {
        this.#paid = pending;
        this.#committed = false;
        thread.stepNs = this.#agentStep(cost + this.#crossSocketDelivery(queue, pending));
        return "compute";
      }
      this.#dispatch(queue, pending);
    }
    // Drain, decide, commit, yield: after a commit round, decide again only
    // if something changed meanwhile.
    const dirty = host.takeDirty(cpu);
    if (!this.#committed || pending > 0 || dirty) {
      const cost = this.#scheduleRound();
      if (cost > 0) {
        this.#committed = true;
        thread.stepNs = this.#agentStep(cost);
        return "compute";
      }
    }
    this.#committed = false;
    if (host.globalCpu >= 0) {
      if (host.migrateIfBoosted(cpu)) {
        thread.waitOn = host.sleepQueue(cpu);
        return "wait";
      }
      return "spin";
    }
    thread.waitOn = host.sleepQueue(cpu);
    return "wait";
  }

  /** A work step of `ns` as the agent's CPU pays it (SMT contention), counted as work. */
  #agentStep(ns: number): number {
    const step = this.#smt.step(ns);
    this.#host.countWork(step);
    return step;
  }

  /** The extra delivery cost of the first `count` messages produced on another socket. */
  #crossSocketDelivery(queue: MessageQueue, count: number): number {
    const kernel = this.#host.kernel;
    if (kernel.topologyCosts.crossSocket === 1) return 0;
    const delivery = this.#delivery;
    delivery.queue = queue;
    delivery.count = count;
    return crossSocketNs(kernel, crossSocketCount(kernel, delivery), this.#host.deliveryCost);
  }

  /** Handles `count` messages of the queue, in order. */
  #dispatch(queue: MessageQueue, count: number): void {
    const host = this.#host;
    const policy = host.policy;
    const lastSeq = host.lastSeq;
    const ctx = host.context.begin(this.#cpu);
    for (let i = 0; i < count; i++) {
      const msg = queue.peek();
      if (msg === null) throw new Error(`Queue ${queue.id} ran dry: ${i} of ${count} messages`);
      host.countMessage();
      if (isTaskMessage(msg.type)) checkSequence(lastSeq, queue, msg);
      route(policy, ctx, msg);
      if (msg.type === MSG.TASK_DEAD || msg.type === MSG.TASK_DEPARTED) {
        lastSeq.delete(msg.gtid);
      }
      queue.pop();
    }
    policy.afterMessages?.(ctx);
    host.kernel.tracer?.queueDepth(queue.id, queue.size, host.kernel.engine.now);
  }

  /** Runs the policy's schedule step and commits what it left open; returns the cost, ns. */
  #scheduleRound(): number {
    const ctx = this.#host.context.begin(this.#cpu);
    this.#host.policy.schedule(ctx);
    if (ctx.pendingCount > 0) ctx.commit();
    return ctx.roundCost;
  }
}

/** Checks a task message's seqnum against the last one read, and records it. */
function checkSequence(lastSeq: GtidMap<number>, queue: MessageQueue, msg: Message): void {
  const last = lastSeq.get(msg.gtid);
  if (last !== undefined && msg.seqnum <= last) {
    throw new Error(`Message out of sequence: ${MessageQueue.describe(msg)} after seqnum ${last}`);
  }
  if (last === undefined && msg.type !== MSG.TASK_NEW && queue.overflows === 0) {
    throw new Error(`Message for unknown task: ${MessageQueue.describe(msg)}`);
  }
  lastSeq.set(msg.gtid, msg.seqnum);
}

/** Calls the policy's callback for a message. */
function route(policy: Policy, ctx: Context, msg: Message): void {
  switch (msg.type) {
    case MSG.TASK_NEW:
      return policy.taskNew(ctx, msg);
    case MSG.TASK_WAKEUP:
      return policy.taskRunnable(ctx, msg);
    case MSG.TASK_BLOCKED:
      return policy.taskBlocked(ctx, msg);
    case MSG.TASK_PREEMPT:
      return policy.taskPreempted(ctx, msg);
    case MSG.TASK_YIELD:
      return policy.taskYield(ctx, msg);
    case MSG.TASK_DEAD:
      return policy.taskDead(ctx, msg);
    case MSG.TASK_DEPARTED:
      return policy.taskDeparted(ctx, msg);
    case MSG.TASK_ON_CPU:
      return policy.taskOnCpu?.(ctx, msg);
    case MSG.TASK_AFFINITY_CHANGED:
      return policy.taskAffinityChanged?.(ctx, msg);
    case MSG.CPU_TICK:
      return policy.cpuTick?.(ctx, msg);
    default:
      return;
  }
}
