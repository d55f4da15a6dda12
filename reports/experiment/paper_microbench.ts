/**
 * The paper's microbenchmarks, measured inside the emulation from event
 * timestamps: message delivery to a local and to the global agent, local
 * schedule, remote schedule (agent side, target side, end to end) and a group
 * commit of 10. Each row is measured by a small instrumented policy driving
 * real threads through the kernel, the enclave and the agents, so the
 * figures check that the costs compose: end to end is agent side + IPI +
 * target side, and a group is one remote commit plus nine per-transaction
 * costs.
 *
 * @module
 */

import { AgentProcess } from "../../core/agent_process.ts";
import type { AgentContext, Policy, PolicyModel } from "../../core/policy.ts";
import { type CostProfile, PAPER_COSTS } from "../../core/cost_profile.ts";
import { Enclave } from "../../core/enclave.ts";
import { Engine } from "../../core/engine.ts";
import { TXN } from "../../core/ghost_abi.ts";
import { MSG_FLAG_RUNNABLE } from "../../core/message_queue.ts";
import type { Message } from "../../core/message_queue.ts";
import { Kernel } from "../../core/kernel.ts";
import { type Action, type Thread, WaitQueue } from "../../core/thread.ts";
import { Topology } from "../../core/topology.ts";
import { US } from "../../core/units.ts";

/** One measured operation. */
export interface MicrobenchRow {
  /** Operation, as the paper names it. */
  operation: string;
  /** Mean measured cost, ns. */
  measuredNs: number;
  /** The paper's figure, ns. */
  paperNs: number;
  /** Number of samples. */
  samples: number;
}

/** The paper's figures (shared/reference/ghost.md). */
export const PAPER_MICROBENCH: Readonly<Record<string, number>> = {
  "message delivery, local agent": 725,
  "message delivery, global agent": 265,
  "local schedule": 888,
  "remote schedule, agent side": 668,
  "remote schedule, target side": 1064,
  "remote schedule, end to end": 1772,
  "group remote schedule of 10, agent side": 3964,
};

/** Options of {@link runMicrobench}. */
export interface MicrobenchOptions {
  /** Cost profile. @default PAPER_COSTS */
  costs?: CostProfile;
  /** Repetitions of each measurement. @default 200 */
  rounds?: number;
}

class Samples {
  sum = 0;
  count = 0;
  add(ns: number): void {
    this.sum += ns;
    this.count++;
  }
  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }
}

/** A thread that computes briefly, then waits on a queue; records when it runs. */
function sleeper(gate: WaitQueue, onRun: (thread: Thread) => void): { next(t: Thread): Action } {
  let computing = false;
  return {
    next(thread: Thread): Action {
      computing = !computing;
      if (computing) {
        onRun(thread);
        thread.stepNs = 2 * US;
        return "compute";
      }
      thread.waitOn = gate;
      return "wait";
    },
  };
}

/**
 * A minimal instrumented FIFO: records delivery latency of wakeups that
 * found the agent idle, and the time of each commit.
 */
class ProbePolicy implements Policy {
  readonly name = "probe";
  readonly model: PolicyModel;
  readonly delivery = new Samples();
  /** Time of the last commit per gtid. */
  readonly committedAt = new Map<number, number>();
  readonly #runnable: number[] = [];
  readonly #onCpu = new Map<number, number>();
  #agentBusyUntil = -1;

  constructor(model: PolicyModel) {
    this.model = model;
  }

  taskNew(_ctx: AgentContext, msg: Message): void {
    if ((msg.flags & MSG_FLAG_RUNNABLE) !== 0) this.#runnable.push(msg.gtid);
  }
  taskRunnable(ctx: AgentContext, msg: Message): void {
    // Only wakeups produced while the agent had nothing to do measure delivery.
    if (msg.time >= this.#agentBusyUntil) this.delivery.add(ctx.now - msg.time);
    this.#runnable.push(msg.gtid);
  }
  taskBlocked(_ctx: AgentContext, msg: Message): void {
    this.#onCpu.delete(msg.gtid);
  }
  taskPreempted(_ctx: AgentContext, msg: Message): void {
    this.#onCpu.delete(msg.gtid);
    this.#runnable.push(msg.gtid);
  }
  taskYield(ctx: AgentContext, msg: Message): void {
    this.taskPreempted(ctx, msg);
  }
  taskDead(_ctx: AgentContext, msg: Message): void {
    this.#onCpu.delete(msg.gtid);
  }
  taskDeparted(_ctx: AgentContext, msg: Message): void {
    this.#onCpu.delete(msg.gtid);
    const queued = this.#runnable.indexOf(msg.gtid);
    if (queued >= 0) this.#runnable.splice(queued, 1);
  }
  schedule(ctx: AgentContext): void {
    if (this.#runnable.length === 0) {
      this.#agentBusyUntil = ctx.now;
      return;
    }
    const busy = new Set(this.#onCpu.values());
    const opened: [number, number][] = [];
    for (const cpu of ctx.cpus) {
      if (this.#runnable.length === 0) break;
      const target = this.model === "per-cpu" ? ctx.cpu : cpu;
      if (this.model === "centralized" && (cpu === ctx.globalCpu || busy.has(cpu))) continue;
      if (this.model === "per-cpu" && (opened.length > 0 || busy.has(target))) break;
      const gtid = this.#runnable.shift()!;
      ctx.open(target, gtid);
      busy.add(target);
      opened.push([target, gtid]);
    }
    if (opened.length === 0) return;
    ctx.commit("async"); // measure the agent's own side
    this.onCommit?.();
    for (const [cpu, gtid] of opened.reverse()) {
      if (ctx.outcome(cpu) === TXN.COMPLETE) {
        this.#onCpu.set(gtid, cpu);
        this.committedAt.set(gtid, ctx.now);
      } else {
        this.#runnable.unshift(gtid);
      }
    }
    this.#agentBusyUntil = Infinity;
  }

  /** Called right after each commit. */
  onCommit: (() => void) | null = null;
}

interface Bench {
  engine: Engine;
  kernel: Kernel;
  policy: ProbePolicy;
  gate: WaitQueue;
  threads: Thread[];
  runLatency: Samples;
  targetOverhead: Samples;
  agentSide: Samples;
}

/** Sets up `threads` ghost threads under a probe policy; each wake releases them all. */
function bench(
  model: PolicyModel,
  cpus: number,
  threads: number,
  costs: CostProfile,
): Bench {
  const engine = new Engine(1);
  const kernel = new Kernel(engine, {
    topology: new Topology({ name: "micro", coresPerLlc: cpus }),
    costs,
  });
  const enclave = new Enclave(kernel, { cpus: kernel.cpus.map((c) => c.id) });
  const policy = new ProbePolicy(model);
  const agents = new AgentProcess(kernel, enclave, policy);
  agents.start();
  // The agent side of a commit: how long the agent stays busy after it, read
  // from the agent thread's pending compute just after the commit's round.
  const agentSide = new Samples();
  const measure = engine.register("micro.agentSide", () => {
    const agent = kernel.cpus[agents.globalCpu >= 0 ? agents.globalCpu : 0]!.curr;
    if (agent === null || agent.schedClass !== "agent") return;
    agentSide.add(agent.spinning ? 0 : agent.remaining);
  });
  policy.onCommit = () => engine.after(0, measure);
  const gate = new WaitQueue("micro.gate");
  const runLatency = new Samples();
  const targetOverhead = new Samples();
  const list: Thread[] = [];
  for (let i = 0; i < threads; i++) {
    list.push(kernel.spawn(
      sleeper(gate, (thread) => {
        const at = policy.committedAt.get(thread.id);
        if (at === undefined) return;
        runLatency.add(engine.now - at);
        policy.committedAt.delete(thread.id);
      }),
      { name: `micro${i}`, schedClass: "ghost", ghost: enclave },
    ));
  }
  return { engine, kernel, policy, gate, threads: list, runLatency, targetOverhead, agentSide };
}

/** Runs `rounds` rounds: every 100 us, wake every thread at once. */
function drive(b: Bench, rounds: number, measureTargetOf: number): void {
  const { engine, kernel } = b;
  let round = 0;
  let overheadBefore = 0;
  // The target CPU's switch overhead during the round: the target side.
  const check = engine.register("micro.check", () => {
    b.targetOverhead.add(kernel.cpus[measureTargetOf]!.overheadNs - overheadBefore);
  });
  const kind = engine.register("micro.round", () => {
    overheadBefore = measureTargetOf >= 0 ? kernel.cpus[measureTargetOf]!.overheadNs : 0;
    while (kernel.wakeOne(b.gate, -1) !== null) { /* release all */ }
    if (measureTargetOf >= 0) engine.after(50 * US, check);
    if (++round < rounds) engine.after(100 * US, kind);
  });
  engine.after(100 * US, kind);
  engine.run({ until: (rounds + 2) * 100 * US });
  kernel.checkInvariants();
}

/**
 * Measures the microbenchmarks and returns one row per operation.
 *
 * @example
 * ```ts
 * import { runMicrobench } from "./paper_microbench.ts";
 * const rows = runMicrobench({ rounds: 20 });
 * if (rows.length !== 7 || rows.some((r) => !(r.measuredNs > 0))) throw new Error("wrong");
 * ```
 */
export function runMicrobench(options: MicrobenchOptions = {}): MicrobenchRow[] {
  const costs = options.costs ?? PAPER_COSTS;
  const rounds = options.rounds ?? 200;
  const rows: MicrobenchRow[] = [];
  const row = (operation: string, samples: Samples) =>
    rows.push({
      operation,
      measuredNs: Math.round(samples.mean * 10) / 10,
      paperNs: PAPER_MICROBENCH[operation]!,
      samples: samples.count,
    });

  // Per-CPU agent on one CPU: delivery to the local agent, local schedule.
  const local = bench("per-cpu", 1, 1, costs);
  drive(local, rounds, -1);
  row("message delivery, local agent", local.policy.delivery);
  row("local schedule", local.runLatency);

  // Global agent on CPU 0, one thread: delivery, remote schedule.
  const remote = bench("centralized", 2, 1, costs);
  drive(remote, rounds, 1);
  row("message delivery, global agent", remote.policy.delivery);
  row("remote schedule, agent side", remote.agentSide);
  row("remote schedule, target side", remote.targetOverhead);
  row("remote schedule, end to end", remote.runLatency);

  // Global agent and ten threads released together: one group commit.
  const group = bench("centralized", 11, 10, costs);
  drive(group, rounds, -1);
  row("group remote schedule of 10, agent side", group.agentSide);
  return rows;
}
