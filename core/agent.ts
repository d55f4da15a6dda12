/**
 * The agent side of ghOSt: an agent process runs a policy in agent threads
 * on the enclave's CPUs. The framework drains message queues, checks that
 * every task's messages arrive in sequence, routes each message to the
 * policy's callback, and gives the policy a transaction API whose failures
 * are return values.
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

import type { Enclave } from "./enclave.ts";
import { AGENT_FLAG, isTaskMessage, MSG, TARGET, TXN, type TxnOutcome } from "./ghost_abi.ts";
import type { Kernel } from "./kernel.ts";
import { type Message, MessageQueue, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "./message_queue.ts";
import { type Action, type Behavior, type Thread, WaitQueue } from "./thread.ts";
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
  /** A task's status word (barrier, state, runtime = cpuTime), free to read. */
  status(gtid: number): Thread | undefined;
  /** Whether no higher class (a fair thread, another agent) holds a CPU. */
  cpuAvailable(cpu: number): boolean;
  /**
   * Opens a transaction: run `gtid` (or TARGET.IDLE / TARGET.AGENT) on `cpu`,
   * with the task barrier the agent last saw.
   */
  open(cpu: number, gtid: number): void;
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
   * barrier is stale or the CPU is not in the enclave.
   */
  associate(gtid: number, cpu: number): boolean;
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
 * batch of messages, and whenever the agent wakes.
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
  /** TASK_DEPARTED: a thread left the ghost class. @default forgets nothing */
  taskDeparted?(ctx: AgentContext, msg: Message): void;
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
  /** Decides and commits. Per-CPU: for `ctx.cpu`; centralized: for every CPU. */
  schedule(ctx: AgentContext): void;
}

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

/**
 * An agent process: attaches to an enclave, creates its queues and one agent
 * thread per enclave CPU, and runs the policy.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { Kernel } from "./kernel.ts";
 * import { Enclave } from "./enclave.ts";
 * import { AgentProcess, type Policy } from "./agent.ts";
 * import { Topology } from "./topology.ts";
 * import { IDEAL_COSTS } from "./cost_profile.ts";
 * const engine = new Engine(1);
 * const kernel = new Kernel(engine, { topology: new Topology({ name: "two", coresPerLlc: 2 }), costs: IDEAL_COSTS });
 * const enclave = new Enclave(kernel, { cpus: [0, 1] });
 * const noop = () => {};
 * const idle: Policy = {
 *   name: "idle", model: "per-cpu", taskNew: noop, taskRunnable: noop, taskBlocked: noop,
 *   taskPreempted: noop, taskYield: noop, taskDead: noop, schedule: noop,
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
  };
  /** The error that crashed the process, or null. */
  crashError: unknown = null;
  /** When it became ready to schedule (after discovery), ns, or -1. */
  readyAt = -1;
  /** When it exited, ns, or -1. */
  exitedAt = -1;

  readonly #queues: (MessageQueue | null)[];
  readonly #threads: (Thread | null)[];
  readonly #sleep: WaitQueue[];
  readonly #lastSeq = new Map<number, number>();
  readonly #deliveryCost: number;
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
    this.#context = new Context(this);
    this.#timerAt = new Float64Array(n).fill(Infinity);
    this.#readyKind = kernel.engine.register(
      `agents${enclave.id}.ready`,
      () => this.#onDiscovered(),
    );
    this.#dirty = new Uint8Array(n);
    this.#timerKind = kernel.engine.register(`agents${enclave.id}.timer`, (cpu) => {
      this.#timerAt[cpu] = Infinity;
      if (this.#globalCpu >= 0) {
        this.poll();
        return;
      }
      this.#dirty[cpu] = 1;
      const thread = this.#threads[cpu];
      if (thread !== null && thread !== undefined && thread.state === "blocked") {
        this.kernel.wake(thread, -1);
      }
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

  /**
   * Attaches to the enclave, sets up queues and starts one agent thread per
   * CPU. Throws when another agent still holds the enclave: a new agent
   * waits until the old one has exited.
   */
  start(): void {
    if (this.#started) throw new Error("Agent process already started");
    this.#started = true;
    const enclave = this.enclave;
    enclave.attach(this);
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
      this.#threads[cpu] = this.kernel.spawn(new AgentLoop(this, cpu), {
        name: `agent${cpu}`,
        group: "agents",
        affinity: [cpu],
        schedClass: "agent",
        ghost: enclave,
      });
    }
  }

  // ---- AgentAttachment ----------------------------------------------------

  /** A polled queue has a message or a CPU went idle: the spinning agent looks again. */
  poll(): void {
    if (this.#globalCpu < 0) return;
    this.#dirty[this.#globalCpu] = 1;
    const thread = this.#threads[this.#globalCpu];
    if (thread !== null && thread !== undefined) this.kernel.poke(thread);
  }

  /** A fair thread gave `cpu` back: the global agent, or that CPU's agent, looks again. */
  cpuAvailable(cpu: number): void {
    if (this.#globalCpu >= 0) {
      this.poll();
      return;
    }
    this.#dirty[cpu] = 1;
    const thread = this.#threads[cpu];
    if (thread !== null && thread !== undefined && thread.state === "blocked") {
      this.kernel.wake(thread, -1);
    }
  }

  /** BOOST_PRIO on `cpu`: the global agent there moves away. */
  boost(cpu: number): void {
    if (cpu === this.#globalCpu) this.poll();
  }

  /** The enclave is gone: every agent thread exits. */
  destroyed(): void {
    this.#exit(null);
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
    this.crashError = error ?? new Error("crashed");
    this.#exit(this.crashError);
  }

  #exit(error: unknown): void {
    if (this.#exited) return;
    this.#exited = true;
    this.exitedAt = this.kernel.engine.now;
    this.enclave.detach(this);
    for (const thread of this.#threads) {
      if (thread === null || thread.state === "dead") continue;
      if (thread.state === "blocked") this.kernel.wake(thread, -1);
      else this.kernel.poke(thread);
    }
    this.#options.onExit?.(this, error);
  }

  #becomeReady(): void {
    this.#discoveryPending = false;
    this.readyAt = this.kernel.engine.now;
    this.#options.onReady?.(this);
  }

  /** The CPU whose agent discovers the enclave's threads. */
  #leadCpu(): number {
    return this.#globalCpu >= 0 ? this.#globalCpu : this.enclave.cpus[0]!;
  }

  /** Whether the agent on `cpu` must discover the threads before anything else. */
  mustDiscover(cpu: number): boolean {
    return this.#discoveryPending && !this.#discovering && cpu === this.#leadCpu();
  }

  /**
   * Discovers every thread of the enclave from its status word: associates
   * it with the default queue at the barrier read, and hands the policy a
   * synthesized TASK_NEW (runnable flag, runtime; on-CPU flag and CPU for a
   * thread running or latched). Returns the modelled cost, ns. The other
   * agents wake when it is done.
   */
  discover(cpu: number): number {
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

  // ---- used by agent threads and the context ------------------------------

  /** The queue an agent on `cpu` drains. */
  queueOf(cpu: number): MessageQueue {
    return this.#queues[cpu]!;
  }

  /** The wait queue an idle agent on `cpu` sleeps on. */
  sleepQueue(cpu: number): WaitQueue {
    return this.#sleep[cpu]!;
  }

  /**
   * Whether the agent on `cpu` schedules (per-CPU: always; centralized: the
   * global one; during discovery only the one that discovers).
   */
  isActive(cpu: number): boolean {
    if (this.#discoveryPending) return cpu === this.#leadCpu();
    return this.#globalCpu < 0 || cpu === this.#globalCpu;
  }

  /** Takes `cpu`'s dirty mark: whether something changed since the agent last looked. */
  takeDirty(cpu: number): boolean {
    const dirty = this.#dirty[cpu] === 1;
    this.#dirty[cpu] = 0;
    return dirty;
  }

  /** Delivery cost of one message. */
  get deliveryCost(): number {
    return this.#deliveryCost;
  }

  /** The barrier of a task as the agent last saw it (-1 if never). */
  lastSeen(gtid: number): number {
    return this.#lastSeq.get(gtid) ?? -1;
  }

  /** Handles `count` messages of a queue, in order, as agent `cpu`. */
  dispatch(queue: MessageQueue, count: number, cpu: number): void {
    this.#dispatch(queue, count, cpu);
    this.kernel.tracer?.queueDepth(queue.id, queue.size, this.kernel.engine.now);
  }

  #dispatch(queue: MessageQueue, count: number, cpu: number): void {
    const ctx = this.#context.begin(cpu);
    const policy = this.policy;
    for (let i = 0; i < count; i++) {
      const msg = queue.peek();
      if (msg === null) throw new Error(`Queue ${queue.id} ran dry: ${i} of ${count} messages`);
      this.stats.messages++;
      if (isTaskMessage(msg.type)) {
        const last = this.#lastSeq.get(msg.gtid);
        if (last !== undefined && msg.seqnum <= last) {
          throw new Error(
            `Message out of sequence: ${MessageQueue.describe(msg)} after seqnum ${last}`,
          );
        }
        if (last === undefined && msg.type !== MSG.TASK_NEW && queue.overflows === 0) {
          throw new Error(`Message for unknown task: ${MessageQueue.describe(msg)}`);
        }
        this.#lastSeq.set(msg.gtid, msg.seqnum);
      }
      switch (msg.type) {
        case MSG.TASK_NEW:
          policy.taskNew(ctx, msg);
          break;
        case MSG.TASK_WAKEUP:
          policy.taskRunnable(ctx, msg);
          break;
        case MSG.TASK_BLOCKED:
          policy.taskBlocked(ctx, msg);
          break;
        case MSG.TASK_PREEMPT:
          policy.taskPreempted(ctx, msg);
          break;
        case MSG.TASK_YIELD:
          policy.taskYield(ctx, msg);
          break;
        case MSG.TASK_DEAD:
          policy.taskDead(ctx, msg);
          this.#lastSeq.delete(msg.gtid);
          break;
        case MSG.TASK_DEPARTED:
          policy.taskDeparted?.(ctx, msg);
          this.#lastSeq.delete(msg.gtid);
          break;
        case MSG.TASK_ON_CPU:
          policy.taskOnCpu?.(ctx, msg);
          break;
        case MSG.TASK_AFFINITY_CHANGED:
          policy.taskAffinityChanged?.(ctx, msg);
          break;
        case MSG.CPU_TICK:
          policy.cpuTick?.(ctx, msg);
          break;
        default:
          break;
      }
      queue.pop();
    }
  }

  /** Runs the policy's schedule step as agent `cpu`; returns the agent-side cost, ns. */
  scheduleRound(cpu: number): number {
    const ctx = this.#context.begin(cpu);
    this.policy.schedule(ctx);
    if (ctx.pendingCount > 0) ctx.commit();
    return ctx.roundCost;
  }

  /** Arms agent `cpu`'s timer (the earliest request wins; centralized: one timer). */
  wakeAt(cpu: number, time: number): void {
    const slot = this.#globalCpu >= 0 ? 0 : cpu;
    const now = this.kernel.engine.now;
    const at = Math.max(now, Math.ceil(time));
    if (at >= this.#timerAt[slot]!) return;
    this.#timerAt[slot] = at;
    this.kernel.engine.at(at, this.#timerKind, slot);
  }

  /** Installs or removes the enclave's pick-next-task hook. */
  setPickHook(hook: ((cpu: number) => number) | null): void {
    const enclave = this.enclave;
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
        this.crash(error);
        return null;
      }
      if (gtid < 0) return null;
      const thread = enclave.tasks.get(gtid);
      if (thread === undefined) throw new Error(`Pick hook chose unknown task ${gtid}`);
      return thread;
    };
  }

  /** Counts commit outcomes. */
  countCommits(completed: number, total: number): void {
    this.stats.decisions += completed;
    this.stats.failedCommits += total - completed;
  }

  /**
   * If BOOST_PRIO is set on the global agent's CPU, moves the global role to
   * the nearest available enclave CPU and wakes the agent there. Returns
   * whether it moved (the caller's agent then sleeps).
   */
  migrateIfBoosted(cpu: number): boolean {
    const enclave = this.enclave;
    const flags = enclave.agentFlags;
    if (cpu !== this.#globalCpu || (flags[cpu]! & AGENT_FLAG.BOOST_PRIO) === 0) return false;
    // With no CPU to move to yet, the flag stays: the agent looks again when
    // an enclave CPU goes idle.
    const target = this.#nearestAvailable(cpu);
    if (target < 0) return false;
    flags[cpu] = flags[cpu]! & ~AGENT_FLAG.BOOST_PRIO;
    this.#globalCpu = target;
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

/** The context handed to policy callbacks; one per process, reused. */
class Context implements AgentContext {
  cpu = -1;
  roundCost = 0;
  pendingCount = 0;
  readonly #process: AgentProcess;
  readonly #pending: Int32Array;
  /** The transaction and commit options handed to the enclave, reused (it copies them). */
  readonly #txn = { gtid: 0, barrier: 0, agentCpu: -1, agentBarrier: -1 };
  readonly #commitOptions = { syncGroup: false, readyAt: 0, targetCost: 0 };

  constructor(process: AgentProcess) {
    this.#process = process;
    this.#pending = new Int32Array(process.kernel.cpus.length);
  }

  begin(cpu: number): this {
    this.cpu = cpu;
    this.roundCost = 0;
    this.pendingCount = 0;
    return this;
  }

  get now(): number {
    return this.#process.kernel.engine.now;
  }

  get cpus(): readonly number[] {
    return this.#process.enclave.cpus;
  }

  get topology(): Topology {
    return this.#process.kernel.topology;
  }

  get globalCpu(): number {
    return this.#process.globalCpu;
  }

  status(gtid: number): Thread | undefined {
    return this.#process.enclave.tasks.get(gtid);
  }

  cpuAvailable(cpu: number): boolean {
    return this.#process.enclave.hasCpu(cpu) && this.#process.kernel.ghostMayUse(cpu, this.cpu);
  }

  open(cpu: number, gtid: number): void {
    const process = this.#process;
    const barrier = gtid >= 0 ? process.lastSeen(gtid) : 0;
    const local = cpu === this.cpu && process.policy.model === "per-cpu";
    const agentBarrier = local ? process.enclave.agentBarrier[this.cpu]! : -1;
    const txn = this.#txn;
    txn.gtid = gtid;
    txn.barrier = barrier;
    txn.agentCpu = this.cpu;
    txn.agentBarrier = agentBarrier;
    process.enclave.open(cpu, txn);
    for (let i = 0; i < this.pendingCount; i++) {
      if (this.#pending[i] === cpu) return; // re-opened: the slot aborted the old one
    }
    this.#pending[this.pendingCount++] = cpu;
  }

  commit(mode: CommitMode = "sync"): number {
    const process = this.#process;
    const costs = process.kernel.costs;
    const count = this.pendingCount;
    if (count === 0) return 0;
    let local = 0;
    for (let i = 0; i < count; i++) if (this.#pending[i] === this.cpu) local++;
    const remote = count - local;
    this.roundCost += local * costs.localSchedule;
    if (remote > 0) {
      this.roundCost += costs.remoteScheduleAgent + (remote - 1) * costs.groupCommitPerTxn;
    }
    const readyAt = this.now + this.roundCost + costs.ipi;
    const pending = this.#pending.subarray(0, count);
    const enclave = process.enclave;
    const options = this.#commitOptions;
    options.syncGroup = mode === "sync-group";
    options.readyAt = readyAt;
    options.targetCost = costs.remoteScheduleTarget;
    const completed = enclave.commit(pending, options);
    process.countCommits(completed, count);
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
    return completed;
  }

  outcome(cpu: number): TxnOutcome {
    return this.#process.enclave.outcome(cpu);
  }

  associate(gtid: number, cpu: number): boolean {
    const process = this.#process;
    if (!process.enclave.hasCpu(cpu)) return false;
    this.roundCost += process.kernel.costs.syscall;
    return process.enclave.associateQueue(gtid, process.queueOf(cpu), process.lastSeen(gtid));
  }

  ping(cpu: number): boolean {
    const process = this.#process;
    if (!process.enclave.hasCpu(cpu)) return false;
    if (cpu === this.cpu) return true;
    this.roundCost += process.kernel.costs.syscall;
    process.enclave.ping(cpu);
    return true;
  }

  wakeAt(time: number): void {
    this.#process.wakeAt(this.cpu, time);
  }

  setPickHook(hook: ((cpu: number) => number) | null): void {
    this.#process.setPickHook(hook);
  }
}

/** The behaviour of one agent thread: drain, decide, commit, then sleep or spin. */
class AgentLoop implements Behavior {
  readonly #process: AgentProcess;
  readonly #cpu: number;
  #paid = 0;
  /** The last step charged the cost of a commit round. */
  #committed = false;

  constructor(process: AgentProcess, cpu: number) {
    this.#process = process;
    this.#cpu = cpu;
  }

  next(thread: Thread): Action {
    const process = this.#process;
    if (process.exited) return "exit";
    try {
      return this.#step(thread);
    } catch (error) {
      // Policy code threw: the agent process dies, never the emulator.
      process.crash(error);
      return "exit";
    }
  }

  #step(thread: Thread): Action {
    const process = this.#process;
    const cpu = this.#cpu;
    if (process.mustDiscover(cpu)) {
      const cost = process.discover(cpu);
      if (cost > 0) {
        thread.stepNs = cost;
        return "compute";
      }
    }
    if (!process.isActive(cpu)) {
      this.#paid = 0;
      thread.waitOn = process.sleepQueue(cpu);
      return "wait";
    }
    const queue = process.queueOf(cpu);
    if (this.#paid > 0) {
      process.dispatch(queue, this.#paid, cpu);
      this.#paid = 0;
    }
    const pending = queue.size;
    if (pending > 0) {
      const cost = pending * process.deliveryCost;
      if (cost > 0) {
        this.#paid = pending;
        this.#committed = false;
        thread.stepNs = cost;
        return "compute";
      }
      process.dispatch(queue, pending, cpu);
    }
    // Drain, decide, commit, yield: after a commit round, decide again only
    // if something changed meanwhile.
    const dirty = process.takeDirty(cpu);
    if (!this.#committed || pending > 0 || dirty) {
      const cost = process.scheduleRound(cpu);
      if (cost > 0) {
        this.#committed = true;
        thread.stepNs = cost;
        return "compute";
      }
    }
    this.#committed = false;
    if (process.globalCpu >= 0) {
      if (process.migrateIfBoosted(cpu)) {
        thread.waitOn = process.sleepQueue(cpu);
        return "wait";
      }
      return "spin";
    }
    thread.waitOn = process.sleepQueue(cpu);
    return "wait";
  }
}

/** The special commit targets, re-exported for policies. */
export { TARGET };
