/**
 * The context an agent process hands its policy: the transaction API (open,
 * commit, outcome) with its modelled costs, queue association, pings,
 * timers, status words and the pick hook. One context per process, reused
 * for every callback; the agent loop starts each round with `begin`.
 *
 * @module
 */

import type { Enclave } from "./enclave.ts";
import { AGENT_FLAG, TXN, type TxnOutcome } from "./ghost_abi.ts";
import type { Kernel } from "./kernel.ts";
import type { MessageQueue } from "./message_queue.ts";
import type { AgentContext, AgentStatus, CommitMode, PolicyModel, TaskStatus } from "./policy.ts";
import type { Topology } from "./topology.ts";
import { crossSocketCount, crossSocketNs } from "./topology_costs.ts";

/** What the context needs from its agent process (internal to the agent runtime). */
export interface ContextHost {
  /** The kernel. */
  readonly kernel: Kernel;
  /** The enclave the process holds. */
  readonly enclave: Enclave;
  /** The policy's agent arrangement. */
  readonly model: PolicyModel;
  /** The CPU of the global agent, or -1. */
  readonly globalCpu: number;
  /** The barrier of a task as the agent last saw it (-1 if never). */
  lastSeen(gtid: number): number;
  /** The queue the agent on `cpu` drains. */
  queueOf(cpu: number): MessageQueue;
  /** Arms agent `cpu`'s timer. */
  wakeAt(cpu: number, time: number): void;
  /** Counts commit outcomes. */
  countCommits(completed: number, total: number): void;
  /** Kills the process (policy code threw). */
  crash(error: unknown): void;
}

/** The context handed to policy callbacks; one per process, reused. */
export class Context implements AgentContext {
  /** The CPU of the agent running the policy now. */
  cpu = -1;
  /** Agent CPU time the current round has charged so far, ns. */
  roundCost = 0;
  /** Transactions opened and not committed yet. */
  pendingCount = 0;
  readonly #host: ContextHost;
  readonly #pending: Int32Array;
  /**
   * Per CPU: the number of the round in which its transaction joined
   * `#pending` (a CPU is pending when it equals `#round`), so that
   * re-opening a CPU finds it in O(1), not by a scan of the pending list.
   */
  readonly #pendingRound: Float64Array;
  /** Numbers the sets of pending transactions: bumped whenever the list empties. */
  #round = 1;
  /** The transaction and commit options handed to the enclave, reused (it copies them). */
  readonly #txn = { gtid: 0, barrier: 0, agentCpu: -1, agentBarrier: -1 };
  readonly #commitOptions = { syncGroup: false, readyAt: 0, targetCost: 0, count: 0 };
  /** The open transactions' target CPUs, as the cross-socket cost reads them. */
  readonly #targets = { agentCpu: -1, count: 0, cpuAt: (i: number) => this.#pending[i]! };

  /** Creates the context of a process. */
  constructor(host: ContextHost) {
    this.#host = host;
    this.#pending = new Int32Array(host.kernel.cpus.length);
    this.#pendingRound = new Float64Array(host.kernel.cpus.length);
  }

  /** Starts a round as agent `cpu`: no cost charged, nothing open. */
  begin(cpu: number): this {
    this.cpu = cpu;
    this.roundCost = 0;
    this.pendingCount = 0;
    this.#round++;
    return this;
  }

  /** Virtual time, ns. */
  get now(): number {
    return this.#host.kernel.engine.now;
  }

  /** The enclave's CPUs. */
  get cpus(): readonly number[] {
    return this.#host.enclave.cpus;
  }

  /** The machine. */
  get topology(): Topology {
    return this.#host.kernel.topology;
  }

  /** The CPU of the global agent, or -1. */
  get globalCpu(): number {
    return this.#host.globalCpu;
  }

  /** A task's status word (the kernel's thread, seen through a read-only type). */
  status(gtid: number): TaskStatus | undefined {
    return this.#host.enclave.tasks.get(gtid);
  }

  /** The status word of `cpu`'s agent (a fresh copy), or undefined if not an enclave CPU. */
  agentStatus(cpu: number): AgentStatus | undefined {
    const enclave = this.#host.enclave;
    if (!enclave.hasCpu(cpu)) return undefined;
    return {
      barrier: enclave.agentBarrier[cpu]!,
      boostPrio: (enclave.agentFlags[cpu]! & AGENT_FLAG.BOOST_PRIO) !== 0,
    };
  }

  /** Whether no higher class holds `cpu` (and no other agent runs there). */
  cpuAvailable(cpu: number): boolean {
    const host = this.#host;
    return host.enclave.hasCpu(cpu) && host.kernel.ghostMayUse(cpu, this.cpu);
  }

  /** Opens a transaction on `cpu` at `barrier`, or the barrier last seen. */
  open(cpu: number, gtid: number, barrier?: number): void {
    const host = this.#host;
    barrier = gtid < 0 ? 0 : barrier ?? host.lastSeen(gtid);
    const local = cpu === this.cpu && host.model === "per-cpu";
    const agentBarrier = local ? host.enclave.agentBarrier[this.cpu]! : -1;
    const txn = this.#txn;
    txn.gtid = gtid;
    txn.barrier = barrier;
    txn.agentCpu = this.cpu;
    txn.agentBarrier = agentBarrier;
    host.enclave.open(cpu, txn);
    if (this.#pendingRound[cpu] === this.#round) return; // re-opened: the slot aborted the old one
    this.#pendingRound[cpu] = this.#round;
    this.#pending[this.pendingCount++] = cpu;
  }

  /** Commits the open transactions as one group and charges their cost. */
  commit(mode: CommitMode = "sync"): number {
    const host = this.#host;
    const costs = host.kernel.costs;
    const count = this.pendingCount;
    if (count === 0) return 0;
    let local = 0;
    for (let i = 0; i < count; i++) if (this.#pending[i] === this.cpu) local++;
    const remote = count - local;
    this.roundCost += local * costs.localSchedule;
    let ipi = costs.ipi;
    if (remote > 0) {
      this.roundCost += costs.remoteScheduleAgent + (remote - 1) * costs.groupCommitPerTxn;
      const kernel = host.kernel;
      if (kernel.topologyCosts.crossSocket !== 1) {
        // Transactions to another socket cost the agent more; the batched
        // IPI lands when it reaches the farthest target.
        const targets = this.#targets;
        targets.agentCpu = this.cpu;
        targets.count = count;
        const far = crossSocketCount(kernel, targets);
        this.roundCost += crossSocketNs(kernel, far, costs.groupCommitPerTxn);
        if (far > 0) ipi += crossSocketNs(kernel, 1, costs.ipi);
      }
    }
    const readyAt = this.now + this.roundCost + ipi;
    const enclave = host.enclave;
    const options = this.#commitOptions;
    options.syncGroup = mode === "sync-group";
    options.readyAt = readyAt;
    options.targetCost = costs.remoteScheduleTarget;
    options.count = count;
    const completed = enclave.commit(this.#pending, options);
    host.countCommits(completed, count);
    if (mode !== "async" && remote > 0) {
      // A sync commit returns once the remote CPUs have switched.
      for (let i = 0; i < count; i++) {
        const cpu = this.#pending[i]!;
        if (cpu !== this.cpu && enclave.outcome(cpu) === TXN.COMPLETE) {
          this.roundCost += costs.ipi + costs.remoteScheduleTarget;
          break;
        }
      }
    }
    this.pendingCount = 0;
    this.#round++;
    return completed;
  }

  /** The outcome of `cpu`'s last transaction. */
  outcome(cpu: number): TxnOutcome {
    return this.#host.enclave.outcome(cpu);
  }

  /** Moves a task's messages to `cpu`'s queue (a system call) at `barrier`, or the last seen. */
  associate(gtid: number, cpu: number, barrier?: number): boolean {
    const host = this.#host;
    if (!host.enclave.hasCpu(cpu)) return false;
    this.roundCost += host.kernel.costs.syscall;
    return host.enclave.associateQueue(gtid, host.queueOf(cpu), barrier ?? host.lastSeen(gtid));
  }

  /** Pings `cpu`'s agent (a system call; free for the agent's own CPU). */
  ping(cpu: number): boolean {
    const host = this.#host;
    if (!host.enclave.hasCpu(cpu)) return false;
    if (cpu === this.cpu) return true;
    this.roundCost += host.kernel.costs.syscall;
    host.enclave.ping(cpu);
    return true;
  }

  /** Arms this agent's timer. */
  wakeAt(time: number): void {
    this.#host.wakeAt(this.cpu, time);
  }

  /** Installs or removes the enclave's pick-next-task hook. */
  setPickHook(hook: ((cpu: number) => number) | null): void {
    const host = this.#host;
    const enclave = host.enclave;
    if (hook === null) {
      enclave.pickHook = null;
      return;
    }
    enclave.pickHook = (cpu) => {
      let gtid: number;
      try {
        gtid = hook(cpu);
      } catch (error) {
        // The hook is policy code too: it kills the process, not the kernel.
        enclave.pickHook = null;
        host.crash(error);
        return null;
      }
      if (gtid < 0) return null;
      const thread = enclave.tasks.get(gtid);
      if (thread === undefined) {
        // A policy bug like any other: the process dies, the kernel goes on.
        enclave.pickHook = null;
        host.crash(new Error(`Pick hook chose task ${gtid}, not a thread of the enclave`));
        return null;
      }
      return thread;
    };
  }
}
