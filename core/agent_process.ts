/**
 * The agent side of ghOSt: an agent process runs a policy in agent threads
 * on the enclave's CPUs. The framework drains message queues, checks that
 * every task's messages arrive in sequence, routes each message to the
 * policy's callback (`core/agent_loop.ts`), and gives the policy a
 * transaction API whose failures are return values (`core/agent_context.ts`).
 *
 * Two models, as in the paper:
 * - per-CPU: one queue per CPU, linked to wake that CPU's agent; TASK_NEW
 *   arrives on the first CPU's queue and the policy moves each task to a
 *   CPU's queue (`associate`). Each agent schedules its own CPU and yields.
 * - centralized: one global queue, polled by one spinning global agent that
 *   commits for every other CPU; the other CPUs' agents sleep. When a fair
 *   thread needs the global agent's CPU (BOOST_PRIO) the agent moves to
 *   another enclave CPU: the SMT sibling, then the same LLC, then the same
 *   NUMA node, then any.
 *
 * Costs are charged as agent CPU time: message delivery per message (local
 * or global), then the commits (local schedule, or remote schedule on the
 * agent side plus a per-transaction cost for each further transaction of a
 * group). A remote thread starts when the IPI arrives, after the target
 * side's cost on its CPU.
 *
 * @module
 */

import { Context, type ContextHost } from "./agent_context.ts";
import { AgentLoop, type LoopHost } from "./agent_loop.ts";
import type { AgentAttachment, Enclave } from "./enclave.ts";
import { AGENT_FLAG, MSG } from "./ghost_abi.ts";
import { GtidMap } from "./gtid_map.ts";
import type { Kernel } from "./kernel.ts";
import {
  type Message,
  type MessageQueue,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
} from "./message_queue.ts";
import type { Policy } from "./policy.ts";
import { type Thread, WaitQueue } from "./thread.ts";

/** Agent-process counters. */
export interface AgentStats {
  /** Messages handled. */
  messages: number;
  /** Transactions that completed (scheduling decisions). */
  decisions: number;
  /** Transactions that failed. */
  failedCommits: number;
  /** Times the global agent moved to another CPU. */
  migrations: number;
  /** Threads discovered on attach. */
  discovered: number;
  /**
   * Agent CPU time charged for work, ns: deliveries, scheduling rounds and
   * discovery, not spinning or waiting.
   */
  workNs: number;
}

/** Options of an agent process. */
export interface AgentProcessOptions {
  /** CPU of the global agent at start (centralized). @default the enclave's first CPU */
  globalCpu?: number;
  /**
   * Attach to a live enclave (upgrade, restart, hot-swap): before its first
   * decision the agent discovers every thread from the status words and
   * hands the policy a synthesized TASK_NEW for each. @default false
   */
  discover?: boolean;
  /** Called once discovery is done (or at once when there is none). */
  onReady?: (process: AgentProcess) => void;
  /** Called when the process exits: shut down, crashed, or its enclave destroyed. */
  onExit?: (process: AgentProcess, error: unknown) => void;
}

/** What the enclave, the context and the agent loops see of the process. */
type Host = ContextHost & LoopHost & AgentAttachment;

/**
 * The host's fields that change, plain data so that the agent loop reads
 * them at no cost (its readers see them read-only); the process keeps them
 * equal to its own. The context is set once, right after the host (it
 * needs the host): a plain field, not a getter, which an object literal
 * would turn into a slow property read on every agent step.
 */
interface HostState {
  exited: boolean;
  globalCpu: number;
  context: Context;
}

/**
 * An agent process: attaches to an enclave, creates its queues and one agent
 * thread per enclave CPU, and runs the policy.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { Kernel } from "./kernel.ts";
 * import { Enclave } from "./enclave.ts";
 * import { AgentProcess } from "./agent_process.ts";
 * import type { Policy } from "./policy.ts";
 * import { Topology } from "./topology.ts";
 * import { IDEAL_COSTS } from "./cost_profile.ts";
 * const engine = new Engine(1);
 * const kernel = new Kernel(engine, { topology: new Topology({ name: "two", coresPerLlc: 2 }), costs: IDEAL_COSTS });
 * const enclave = new Enclave(kernel, { cpus: [0, 1] });
 * const noop = () => {};
 * const idle: Policy = {
 *   name: "idle", model: "per-cpu", taskNew: noop, taskRunnable: noop, taskBlocked: noop,
 *   taskPreempted: noop, taskYield: noop, taskDead: noop, taskDeparted: noop, schedule: noop,
 * };
 * new AgentProcess(kernel, enclave, idle).start();
 * engine.run({ until: 1_000_000 });
 * if (!enclave.attached) throw new Error("not attached");
 * ```
 */
export class AgentProcess {
  /** The kernel. */
  readonly kernel: Kernel;
  /** The enclave it holds. */
  readonly enclave: Enclave;
  /** The policy it runs. */
  readonly policy: Policy;
  /** Counters. */
  readonly stats: AgentStats = {
    messages: 0,
    decisions: 0,
    failedCommits: 0,
    migrations: 0,
    discovered: 0,
    workNs: 0,
  };

  readonly #queues: (MessageQueue | null)[];
  readonly #threads: (Thread | null)[];
  readonly #sleep: WaitQueue[];
  readonly #lastSeq = new GtidMap<number>();
  readonly #deliveryCost: number;
  readonly #host: Host & HostState;
  readonly #context: Context;
  readonly #timerKind: number;
  readonly #readyKind: number;
  #discovering = false;
  readonly #timerAt: Float64Array;
  /** Per CPU: something changed that the agent there has not looked at yet. */
  readonly #dirty: Uint8Array;
  #globalCpu: number;
  #discoveryPending: boolean;
  readonly #options: AgentProcessOptions;
  #exited = false;
  #started = false;
  #crashError: unknown = null;
  #readyAt = -1;
  #exitedAt = -1;

  /** Creates the process; `start` attaches it. */
  constructor(kernel: Kernel, enclave: Enclave, policy: Policy, options: AgentProcessOptions = {}) {
    this.kernel = kernel;
    this.enclave = enclave;
    this.policy = policy;
    this.#options = options;
    this.#discoveryPending = options.discover ?? false;
    const n = kernel.cpus.length;
    this.#queues = new Array(n).fill(null);
    this.#threads = new Array(n).fill(null);
    this.#sleep = kernel.cpus.map((cpu) => new WaitQueue(`agent${cpu.id}.sleep`));
    this.#globalCpu = policy.model === "centralized" ? options.globalCpu ?? enclave.cpus[0]! : -1;
    if (this.#globalCpu !== -1 && !enclave.hasCpu(this.#globalCpu)) {
      throw new RangeError(`Global agent CPU ${this.#globalCpu} is not in the enclave`);
    }
    const costs = kernel.costs;
    this.#deliveryCost = policy.model === "per-cpu"
      ? costs.messageDeliveryLocal
      : costs.messageDeliveryGlobal;
    this.#host = this.#makeHost();
    this.#context = new Context(this.#host);
    this.#host.context = this.#context;
    this.#timerAt = new Float64Array(n).fill(Infinity);
    this.#readyKind = kernel.engine.register(
      `agents${enclave.id}.ready`,
      () => this.#onDiscovered(),
    );
    this.#dirty = new Uint8Array(n);
    this.#timerKind = kernel.engine.register(`agents${enclave.id}.timer`, (cpu) => {
      this.#timerAt[cpu] = Infinity;
      this.#cpuAvailable(cpu);
    });
  }

  /** The CPU of the global agent, or -1 (per-CPU model). */
  get globalCpu(): number {
    return this.#globalCpu;
  }

  /** Whether the process has exited (shut down, crashed, or enclave destroyed). */
  get exited(): boolean {
    return this.#exited;
  }

  /** Whether some of its agent threads are still alive (exiting). */
  get threadsAlive(): boolean {
    return this.#threads.some((thread) => thread !== null && thread.state !== "dead");
  }

  /** The error that crashed the process, or null. */
  get crashError(): unknown {
    return this.#crashError;
  }

  /** When it became ready to schedule (after discovery), ns, or -1. */
  get readyAt(): number {
    return this.#readyAt;
  }

  /** When it exited, ns, or -1. */
  get exitedAt(): number {
    return this.#exitedAt;
  }

  /**
   * Attaches to the enclave, sets up queues and starts one agent thread per
   * CPU. Throws when another agent still holds the enclave: a new agent
   * waits until the old one has exited.
   */
  start(): void {
    if (this.#started) throw new Error("Agent process already started");
    this.#started = true;
    const enclave = this.enclave;
    enclave.attach(this.#host);
    if (!this.#discoveryPending) this.#becomeReady();
    if (this.policy.model === "per-cpu") {
      for (const cpu of enclave.cpus) {
        const queue = enclave.createQueue();
        enclave.configQueueWakeup(queue, [cpu]);
        enclave.setCpuQueue(cpu, queue);
        this.#queues[cpu] = queue;
      }
      enclave.setDefaultQueue(this.#queues[enclave.cpus[0]!]!);
    } else {
      const queue = enclave.createQueue();
      for (const cpu of enclave.cpus) {
        enclave.setCpuQueue(cpu, queue);
        this.#queues[cpu] = queue;
      }
      enclave.setDefaultQueue(queue);
    }
    for (const cpu of enclave.cpus) {
      this.#threads[cpu] = this.kernel.spawn(new AgentLoop(this.#host, cpu), {
        name: `agent${cpu}`,
        group: "agents",
        affinity: [cpu],
        schedClass: "agent",
        ghost: enclave,
      });
    }
  }

  /**
   * Asks the process to exit (an upgrade): it closes its enclave handle at
   * once, so a new agent may attach, and its agent threads exit. Threads
   * already running keep running; nothing new is scheduled until another
   * agent attaches.
   */
  shutdown(): void {
    this.#exit(null);
  }

  /**
   * Kills the process as if it crashed (an exception in policy code, or an
   * injected fault): the enclave survives without an agent.
   */
  crash(error: unknown): void {
    if (this.#exited) return;
    this.#crashError = error ?? new Error("crashed");
    this.#exit(this.#crashError);
  }

  /** The process as its enclave, context and agent loops see it. */
  #makeHost(): Host & HostState {
    return {
      kernel: this.kernel,
      enclave: this.enclave,
      policy: this.policy,
      model: this.policy.model,
      lastSeq: this.#lastSeq,
      deliveryCost: this.#deliveryCost,
      // Set once the context exists (it needs the host).
      context: null as unknown as Context,
      exited: this.#exited,
      globalCpu: this.#globalCpu,
      lastSeen: (gtid) => this.#lastSeq.get(gtid) ?? -1,
      queueOf: (cpu) => this.#queues[cpu]!,
      sleepQueue: (cpu) => this.#sleep[cpu]!,
      isActive: (cpu) => this.#isActive(cpu),
      takeDirty: (cpu) => this.#takeDirty(cpu),
      mustDiscover: (cpu) =>
        this.#discoveryPending && !this.#discovering && cpu === this.#leadCpu(),
      discover: (cpu) => this.#discover(cpu),
      migrateIfBoosted: (cpu) => this.#migrateIfBoosted(cpu),
      wakeAt: (cpu, time) => this.#wakeAt(cpu, time),
      countMessage: () => {
        this.stats.messages++;
      },
      countWork: (ns) => {
        this.stats.workNs += ns;
      },
      countCommits: (completed, total) => {
        this.stats.decisions += completed;
        this.stats.failedCommits += total - completed;
      },
      crash: (error) => this.crash(error),
      poll: () => this.#poll(),
      cpuAvailable: (cpu) => this.#cpuAvailable(cpu),
      boost: (cpu) => {
        if (cpu === this.#globalCpu) this.#poll();
      },
      destroyed: () => this.#exit(null),
    };
  }

  /** A polled queue has a message or a CPU went idle: the spinning agent looks again. */
  #poll(): void {
    if (this.#globalCpu < 0) return;
    this.#dirty[this.#globalCpu] = 1;
    const thread = this.#threads[this.#globalCpu];
    if (thread !== null && thread !== undefined) this.kernel.poke(thread);
  }

  /** `cpu` needs a look (a fair thread gave it back, or its timer fired). */
  #cpuAvailable(cpu: number): void {
    if (this.#globalCpu >= 0) {
      this.#poll();
      return;
    }
    this.#dirty[cpu] = 1;
    const thread = this.#threads[cpu];
    if (thread !== null && thread !== undefined && thread.state === "blocked") {
      this.kernel.wake(thread, -1);
    }
  }

  #exit(error: unknown): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#host.exited = true;
    this.#exitedAt = this.kernel.engine.now;
    this.policy.close?.();
    this.enclave.detach(this.#host);
    for (const thread of this.#threads) {
      if (thread === null || thread.state === "dead") continue;
      if (thread.state === "blocked") this.kernel.wake(thread, -1);
      else this.kernel.poke(thread);
    }
    this.#options.onExit?.(this, error);
  }

  #becomeReady(): void {
    this.#discoveryPending = false;
    this.#readyAt = this.kernel.engine.now;
    this.#options.onReady?.(this);
  }

  /** The CPU whose agent discovers the enclave's threads. */
  #leadCpu(): number {
    return this.#globalCpu >= 0 ? this.#globalCpu : this.enclave.cpus[0]!;
  }

  /**
   * Discovers every thread of the enclave from its status word: associates
   * it with the default queue at the barrier read, and hands the policy a
   * synthesized TASK_NEW (runnable flag, runtime; on-CPU flag and CPU for a
   * thread running or latched). Returns the modelled cost, ns. The other
   * agents wake when it is done.
   */
  #discover(cpu: number): number {
    this.#discovering = true;
    const enclave = this.enclave;
    const queue = enclave.defaultQueue!;
    const ctx = this.#context.begin(cpu);
    const message: Message = {
      type: MSG.TASK_NEW,
      gtid: -1,
      seqnum: 0,
      cpu: -1,
      runtime: 0,
      flags: 0,
      time: this.kernel.engine.now,
      aux: 0,
    };
    const gtids = [...enclave.tasks.keys()].sort((a, b) => a - b);
    for (const gtid of gtids) {
      const thread = enclave.tasks.get(gtid)!;
      const barrier = thread.barrier;
      if (!enclave.associateQueue(gtid, queue, barrier)) continue;
      this.#lastSeq.set(gtid, barrier);
      const onCpu = thread.state === "running" ? thread.cpu : thread.latchedCpu;
      message.gtid = gtid;
      message.seqnum = barrier;
      message.cpu = onCpu;
      message.runtime = thread.cpuTime;
      message.aux = thread.nice;
      message.flags = (thread.state === "blocked" ? 0 : MSG_FLAG_RUNNABLE) |
        (onCpu >= 0 ? MSG_FLAG_ON_CPU : 0);
      this.policy.taskNew(ctx, message);
      this.stats.discovered++;
    }
    this.policy.afterMessages?.(ctx);
    // Ready (and the other agents awake) once the discovery's cost is paid.
    const cost = ctx.roundCost + gtids.length * this.kernel.costs.discoveryPerThread;
    this.kernel.engine.after(cost, this.#readyKind);
    return cost;
  }

  #onDiscovered(): void {
    if (this.#exited) return;
    this.#becomeReady();
    for (const other of this.enclave.cpus) {
      const thread = this.#threads[other];
      if (thread !== null && thread !== undefined && thread.state === "blocked") {
        this.#dirty[other] = 1;
        this.kernel.wake(thread, -1);
      }
    }
  }

  /**
   * Whether the agent on `cpu` schedules (per-CPU: always; centralized: the
   * global one; during discovery only the one that discovers).
   */
  #isActive(cpu: number): boolean {
    if (this.#discoveryPending) return cpu === this.#leadCpu();
    return this.#globalCpu < 0 || cpu === this.#globalCpu;
  }

  /** Takes `cpu`'s dirty mark: whether something changed since the agent last looked. */
  #takeDirty(cpu: number): boolean {
    const dirty = this.#dirty[cpu] === 1;
    this.#dirty[cpu] = 0;
    return dirty;
  }

  /** Arms agent `cpu`'s timer (the earliest request wins; centralized: one timer). */
  #wakeAt(cpu: number, time: number): void {
    const slot = this.#globalCpu >= 0 ? 0 : cpu;
    const now = this.kernel.engine.now;
    const at = Math.max(now, Math.ceil(time));
    if (at >= this.#timerAt[slot]!) return;
    this.#timerAt[slot] = at;
    this.kernel.engine.at(at, this.#timerKind, slot);
  }

  /**
   * If BOOST_PRIO is set on the global agent's CPU, moves the global role to
   * the nearest available enclave CPU and wakes the agent there. Returns
   * whether it moved (the caller's agent then sleeps).
   */
  #migrateIfBoosted(cpu: number): boolean {
    const enclave = this.enclave;
    const flags = enclave.agentFlags;
    if (cpu !== this.#globalCpu || (flags[cpu]! & AGENT_FLAG.BOOST_PRIO) === 0) return false;
    // With no CPU to move to yet, the flag stays: the agent looks again when
    // an enclave CPU goes idle.
    const target = this.#nearestAvailable(cpu);
    if (target < 0) return false;
    flags[cpu] = flags[cpu]! & ~AGENT_FLAG.BOOST_PRIO;
    this.#globalCpu = target;
    this.#host.globalCpu = target;
    this.stats.migrations++;
    const thread = this.#threads[target]!;
    if (thread.state === "blocked") this.kernel.wake(thread, -1);
    return true;
  }

  #nearestAvailable(from: number): number {
    const topology = this.kernel.topology;
    const here = topology.cpu(from);
    let best = -1;
    let bestRank = 5;
    for (const cpu of this.enclave.cpus) {
      if (cpu === from || !this.#context.cpuAvailable(cpu)) continue;
      const info = topology.cpu(cpu);
      const rank = info.core === here.core
        ? 0
        : info.llc === here.llc
        ? 1
        : info.numa === here.numa
        ? 2
        : 3;
      if (rank < bestRank) {
        best = cpu;
        bestRank = rank;
      }
    }
    return best;
  }
}
