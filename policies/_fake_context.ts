/**
 * A fake agent context for the policies' unit tests: no kernel, no enclave.
 * The test sets the time, hands the policy messages it builds (`FakeContext.send`),
 * and reads what the policy did: every transaction it committed, in order,
 * and every timer it asked for. Commits complete unless the test makes a
 * CPU fail them.
 *
 * @module
 */

import { MSG, TXN, type TxnOutcome } from "../core/ghost_abi.ts";
import type { Message } from "../core/message_queue.ts";
import type { AgentContext, AgentStatus, Policy, TaskStatus } from "../core/policy.ts";
import { Topology } from "../core/topology.ts";

/** One transaction the policy committed. */
export interface FakeCommit {
  /** Target CPU. */
  cpu: number;
  /** Thread committed there. */
  gtid: number;
  /** Its outcome. */
  outcome: TxnOutcome;
  /** Time of the commit, ns. */
  time: number;
}

/** Fields of a message the test gives; the rest have defaults. */
export interface FakeMessage {
  /** CPU the message is about. @default -1 */
  cpu?: number;
  /** Flags (MSG_FLAG_*). @default 0 */
  flags?: number;
  /** Nice value on TASK_NEW, else -1. @default 0 on TASK_NEW, else -1 */
  aux?: number;
}

/** A context whose CPU 0 is the global agent's, over `cpus` CPUs of one LLC. */
export class FakeContext implements AgentContext {
  /** Virtual time, ns; the test moves it. */
  now = 0;
  /** The agent's CPU (0). */
  readonly cpu = 0;
  /** The enclave's CPUs: all of them. */
  readonly cpus: readonly number[];
  /** The machine. */
  readonly topology: Topology;
  /** The global agent's CPU (0). */
  readonly globalCpu = 0;
  /** Every transaction committed, in commit order (within a group, in open order). */
  readonly commits: FakeCommit[] = [];
  /** Every time the policy asked to run again, in order. */
  readonly timers: number[] = [];
  /** CPUs whose commits fail, with the outcome they give. */
  readonly failing = new Map<number, TxnOutcome>();
  /** Deadlines the test wrote on threads, ns: a thread listed here has a status word. */
  readonly deadlines = new Map<number, number>();
  /** Affinity masks the test gave threads (allowed CPUs): a thread listed here has a status word. */
  readonly affinity = new Map<number, readonly number[]>();
  readonly #open: { cpu: number; gtid: number }[] = [];
  readonly #outcome = new Map<number, TxnOutcome>();
  readonly #seqnum = new Map<number, number>();

  /** Creates the context of a machine with `cpus` CPUs. */
  constructor(cpus: number) {
    this.topology = new Topology({ name: "fake", coresPerLlc: cpus });
    this.cpus = this.topology.cpus.map((cpu) => cpu.id);
  }

  /**
   * The status word of a thread given a deadline (`deadlines`) or a mask
   * (`affinity`), with defaults for the rest; undefined for any other thread.
   */
  status(gtid: number): TaskStatus | undefined {
    const found = this.deadlines.get(gtid);
    const mask = this.affinity.get(gtid);
    if (found === undefined && mask === undefined) return undefined;
    const deadline = found ?? Infinity;
    return {
      id: gtid,
      barrier: this.#seqnum.get(gtid) ?? 0,
      state: "runnable",
      schedClass: "ghost",
      cpu: -1,
      latchedCpu: -1,
      cpuTime: 0,
      nice: 0,
      homeLlc: -1,
      memoryIntensity: 0,
      deadline,
      allowed: (cpu) => mask === undefined || mask.includes(cpu),
    };
  }

  /** Agent status words: barrier 0, no BOOST_PRIO. */
  agentStatus(cpu: number): AgentStatus | undefined {
    return this.cpus.includes(cpu) ? { barrier: 0, boostPrio: false } : undefined;
  }

  /** Every CPU is available. */
  cpuAvailable(_cpu: number): boolean {
    return true;
  }

  /** Opens a transaction. */
  open(cpu: number, gtid: number): void {
    this.#open.push({ cpu, gtid });
  }

  /** Commits the open transactions: complete unless their CPU is failing. */
  commit(): number {
    let completed = 0;
    for (const { cpu, gtid } of this.#open) {
      const outcome = this.failing.get(cpu) ?? TXN.COMPLETE;
      if (outcome === TXN.COMPLETE) completed++;
      this.#outcome.set(cpu, outcome);
      this.commits.push({ cpu, gtid, outcome, time: this.now });
    }
    this.#open.length = 0;
    return completed;
  }

  /** The outcome of `cpu`'s last transaction. */
  outcome(cpu: number): TxnOutcome {
    return this.#outcome.get(cpu) ?? TXN.OPEN;
  }

  /** Not used by centralized policies. */
  associate(): boolean {
    return false;
  }

  /** Not used by centralized policies. */
  ping(): boolean {
    return true;
  }

  /** Records the time the policy asked for. */
  wakeAt(time: number): void {
    this.timers.push(time);
  }

  /** No pick hook. */
  setPickHook(): void {}

  /**
   * Hands `policy` a message of `type` about `gtid` at the current time,
   * with the thread's next sequence number, through the matching callback.
   */
  send(policy: Policy, type: number, gtid: number, fields: FakeMessage = {}): void {
    const seqnum = (this.#seqnum.get(gtid) ?? 0) + 1;
    this.#seqnum.set(gtid, seqnum);
    const msg: Message = {
      type,
      gtid,
      seqnum,
      cpu: fields.cpu ?? -1,
      runtime: 0,
      flags: fields.flags ?? 0,
      time: this.now,
      aux: fields.aux ?? (type === MSG.TASK_NEW ? 0 : -1),
    };
    switch (type) {
      case MSG.TASK_NEW:
        return policy.taskNew(this, msg);
      case MSG.TASK_WAKEUP:
        return policy.taskRunnable(this, msg);
      case MSG.TASK_BLOCKED:
        return policy.taskBlocked(this, msg);
      case MSG.TASK_PREEMPT:
        return policy.taskPreempted(this, msg);
      case MSG.TASK_YIELD:
        return policy.taskYield(this, msg);
      case MSG.TASK_DEAD:
        return policy.taskDead(this, msg);
      case MSG.TASK_DEPARTED:
        return policy.taskDeparted(this, msg);
      default:
        throw new RangeError(`Fake context cannot send message type ${type}`);
    }
  }

  /** The CPU of `gtid`'s last completed commit, or -1. */
  cpuOf(gtid: number): number {
    for (let i = this.commits.length - 1; i >= 0; i--) {
      const c = this.commits[i]!;
      if (c.gtid === gtid && c.outcome === TXN.COMPLETE) return c.cpu;
    }
    return -1;
  }

  /** The threads committed since index `from`, in order (failed ones marked "!"). */
  threads(from: number): string[] {
    return this.commits.slice(from).map((c) => `${c.gtid}${c.outcome === TXN.COMPLETE ? "" : "!"}`);
  }

  /** The commits made since index `from`, as "gtid@cpu" strings (failed ones marked "!"). */
  since(from: number): string[] {
    return this.commits.slice(from).map((c) =>
      `${c.gtid}@${c.cpu}${c.outcome === TXN.COMPLETE ? "" : "!"}`
    );
  }
}
