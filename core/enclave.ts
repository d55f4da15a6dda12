/**
 * An enclave: the kernel side of ghOSt for a set of CPUs. It turns the
 * kernel's ghost-thread events into messages with sequence numbers, keeps
 * the status words (task barrier, agent barrier and flags), the message
 * queues with their wakeup links, the per-CPU transaction slots and their
 * validation, and the watchdog that destroys a stalled enclave and moves its
 * threads to CFS. It follows ghost-kernel's kernel/sched/ghost.c:
 * `produce_for_task` and the `task_deliver_msg_*` functions (messages),
 * `ghost_associate_queue` and `ghost_config_queue_wakeup` (queues),
 * `ioctl_ghost_commit_txn` and `validate_next_task` (transactions).
 *
 * Commit validation checks, in order: NO_AGENT (no agent attached),
 * INVALID_CPU (not an enclave CPU), the special targets, INVALID_TARGET (no
 * such thread in the enclave), TARGET_STALE (the thread died or its barrier
 * moved), AGENT_STALE (the committing agent has unread messages),
 * TARGET_NOT_RUNNABLE (blocked), TARGET_ONCPU (running on another CPU, latched,
 * or named twice in one group; a thread committed to the CPU it already runs
 * on completes and keeps running), CPU_UNAVAIL
 * (`Kernel.ghostMayUse`: a fair thread or another agent holds the CPU). A sync group commits all or
 * nothing: when one fails, the valid rest end POISONED.
 *
 * @module
 */

import { IdRanges } from "./_id_ranges.ts";
import { GtidMap, type ReadonlyGtidMap } from "./gtid_map.ts";
import { AGENT_FLAG, MSG, TARGET, TXN, type TxnOutcome } from "./ghost_abi.ts";
import type { Kernel } from "./kernel.ts";
import {
  type Message,
  MessageQueue,
  MSG_FLAG_RUNNABLE,
  MSG_FLAG_WAS_CURRENT,
  MSG_FLAG_WAS_LATCHED,
} from "./message_queue.ts";
import type { GhostHooks } from "./ghost_class.ts";
import type { Thread } from "./thread.ts";

/** Options of an enclave. */
export interface EnclaveOptions {
  /** The enclave's CPUs (disjoint from every other enclave's). */
  cpus: readonly number[];
  /** Slots of each message queue, a power of two up to 65536. @default 65536 */
  queueCapacity?: number;
  /**
   * Watchdog: a runnable thread left unscheduled longer than this destroys
   * the enclave (0 disables it), ns. @default 0
   */
  runnableTimeoutNs?: number;
  /**
   * Whether the watchdog checks from the start; false: only once
   * {@link Enclave.armWatchdog} is called (the supervisor calls it when an
   * agent crashed with no restart to come, so that a policy that keeps
   * threads waiting on purpose, such as a FIFO past saturation, is trusted
   * while its agent lives). @default true
   */
  watchdogArmed?: boolean;
  /** Deliver a CPU_TICK message to a CPU's agent on every tick (`deliver_ticks`). @default false */
  deliverTicks?: boolean;
  /** Deliver TASK_ON_CPU when a committed thread starts running. @default false */
  deliverOnCpu?: boolean;
}

/**
 * A transaction as an agent writes it into a CPU's slot (TXN_CREATE): which
 * thread to run there, and what the committing agent had seen.
 */
export interface TxnRequest {
  /** The thread to run, or a special TARGET (IDLE, AGENT). */
  gtid: number;
  /** The task barrier the agent last saw for `gtid`. */
  barrier: number;
  /**
   * The committing agent's CPU: that CPU's own agent does not make it
   * unavailable, and a commit for that CPU is local (no IPI).
   */
  agentCpu: number;
  /**
   * The committing agent's barrier as it last read it; -1 skips the
   * AGENT_STALE check. @default -1
   */
  agentBarrier?: number;
}

/** Options of {@link Enclave.commit}. */
export interface CommitOptions {
  /** A sync group: all or nothing, a failure makes the valid rest POISONED. @default false */
  syncGroup?: boolean;
  /**
   * When the commit's IPIs reach remote CPUs (their threads start then, and
   * never before now), ns. @default now
   */
  readyAt?: number;
  /** Switch overhead charged on each remote CPU when its thread starts (target side), ns. @default 0 */
  targetCost?: number;
  /**
   * How many of the listed CPUs, from the first, form the group (a caller
   * may pass a longer reused list). @default all of them
   */
  count?: number;
}

/** Per-enclave counters, reported by runs. */
export interface EnclaveStats {
  /** Messages produced, by type number. */
  messages: Float64Array;
  /** Commit outcomes, by outcome number. */
  outcomes: Float64Array;
  /** Messages dropped by full queues. */
  overflows: number;
  /** Time the enclave was destroyed, or -1. */
  destroyedAt: number;
}

/** The agent side of an enclave as the kernel side sees it. */
export interface AgentAttachment {
  /** A polled queue got a message, or an enclave CPU went idle: the polling agent notices. */
  poll(): void;
  /** A fair thread gave `cpu` back: the agent that schedules it looks again. */
  cpuAvailable(cpu: number): void;
  /** A fair thread wants `cpu` (BOOST_PRIO is set in its agent status word). */
  boost(cpu: number): void;
  /** The enclave was destroyed: the agents exit. */
  destroyed(): void;
}

let nextEnclaveId = 1;

/** An enclave of the emulated kernel. */
export class Enclave implements GhostHooks {
  /** Enclave number. */
  readonly id: number;
  /** The kernel. */
  readonly kernel: Kernel;
  /** The enclave's CPUs, ascending. */
  readonly cpus: readonly number[];
  /** Counters. */
  readonly stats: EnclaveStats;
  /** The in-kernel pick-next-task hook (BPF), or null. */
  pickHook: ((cpu: number) => Thread | null) | null = null;
  /** Agent barrier (Aseq) of each CPU's status word, indexed by CPU. */
  readonly agentBarrier: Float64Array;
  /** Agent status-word flags (AGENT_FLAG) of each CPU, indexed by CPU. */
  readonly agentFlags: Int32Array;

  readonly #member: Uint8Array;
  readonly #queues: MessageQueue[] = [];
  readonly #tasks = new GtidMap<Thread>();
  /** The threads that died in the enclave (TARGET_STALE, not INVALID_TARGET). */
  readonly #dead = new IdRanges();
  /** Threads of the enclave a message about which was dropped since an agent last attached. */
  readonly #lostMessage = new Set<number>();
  readonly #queueCapacity: number;
  readonly #runnableTimeout: number;
  /** Whether the watchdog's timer runs. */
  #watchdogArmed = false;
  /** The watchdog timer's event kind, or -1 without a watchdog. */
  #watchdogKind = -1;
  readonly #deliverTicks: boolean;
  readonly #deliverOnCpu: boolean;
  /** The queue that receives each CPU's CPU messages (its agent's), by CPU. */
  readonly #cpuQueue: (MessageQueue | null)[];
  #defaultQueue: MessageQueue | null = null;
  #agent: AgentAttachment | null = null;
  #destroyed = false;
  // Transaction slots, one per CPU.
  readonly #txnTarget: Float64Array;
  readonly #txnBarrier: Float64Array;
  readonly #txnAgentCpu: Int32Array;
  readonly #txnAgentBarrier: Float64Array;
  readonly #txnOutcome: Int8Array;
  readonly #txnOpen: Uint8Array;
  /** The message being produced, reused (a queue copies it). */
  readonly #draft: Message = {
    type: 0,
    gtid: -1,
    seqnum: 0,
    cpu: -1,
    runtime: 0,
    flags: 0,
    time: 0,
    aux: -1,
  };
  /** The latch of a completed commit, reused (the kernel copies it). */
  readonly #latchOptions = { readyAt: 0, cost: 0 };
  // The threads a commit group has claimed so far: an open-addressing table
  // from gtid to the CPU whose transaction took it, at most half full (a
  // group claims at most one thread per CPU). An entry belongs to the
  // current group only when its stamp is the group's number, so a group
  // starts with an empty table without clearing it, and finding a thread
  // named twice costs O(1) per transaction instead of a scan of the group.
  readonly #claimGtid: Float64Array;
  readonly #claimCpu: Int32Array;
  readonly #claimStamp: Float64Array;
  /** The current group's number (stamps of older groups are smaller). */
  #claimGroup = 0;

  /**
   * Creates an enclave over some CPUs of a kernel.
   *
   * @example
   * ```ts
   * import { Engine } from "./engine.ts";
   * import { Kernel } from "./kernel.ts";
   * import { Enclave } from "./enclave.ts";
   * import { Topology } from "./topology.ts";
   * import { IDEAL_COSTS } from "./cost_profile.ts";
   * const kernel = new Kernel(new Engine(1), {
   *   topology: new Topology({ name: "four", coresPerLlc: 4 }),
   *   costs: IDEAL_COSTS,
   * });
   * const enclave = new Enclave(kernel, { cpus: [1, 2, 3] });
   * if (enclave.cpus.length !== 3 || !enclave.hasCpu(2) || enclave.hasCpu(0)) throw new Error();
   * ```
   */
  constructor(kernel: Kernel, options: EnclaveOptions) {
    this.id = nextEnclaveId++;
    this.kernel = kernel;
    const n = kernel.cpus.length;
    this.#member = new Uint8Array(n);
    const cpus = [...new Set(options.cpus)].sort((a, b) => a - b);
    if (cpus.length === 0) throw new RangeError("An enclave needs at least one CPU");
    for (const cpu of cpus) {
      const state = kernel.cpus[cpu];
      if (state === undefined) throw new RangeError(`Enclave CPU ${cpu} out of range 0..${n - 1}`);
      if (state.ghost !== null) throw new Error(`CPU ${cpu} already belongs to an enclave`);
      this.#member[cpu] = 1;
    }
    for (const cpu of cpus) kernel.cpus[cpu]!.ghost = this;
    this.cpus = cpus;
    this.#queueCapacity = options.queueCapacity ?? 65536;
    this.#runnableTimeout = options.runnableTimeoutNs ?? 0;
    this.#deliverTicks = options.deliverTicks ?? false;
    this.#deliverOnCpu = options.deliverOnCpu ?? false;
    this.#cpuQueue = new Array(n).fill(null);
    this.agentBarrier = new Float64Array(n);
    this.agentFlags = new Int32Array(n);
    this.#txnTarget = new Float64Array(n);
    this.#txnBarrier = new Float64Array(n);
    this.#txnAgentCpu = new Int32Array(n);
    this.#txnAgentBarrier = new Float64Array(n);
    this.#txnOutcome = new Int8Array(n);
    this.#txnOpen = new Uint8Array(n);
    let slots = 2;
    while (slots < 2 * n) slots *= 2;
    this.#claimGtid = new Float64Array(slots);
    this.#claimCpu = new Int32Array(slots);
    this.#claimStamp = new Float64Array(slots);
    this.stats = {
      messages: new Float64Array(16),
      outcomes: new Float64Array(16),
      overflows: 0,
      destroyedAt: -1,
    };
    if (this.#runnableTimeout > 0) {
      const kind = kernel.engine.register(`enclave${this.id}.watchdog`, () => {
        if (this.#destroyed) return;
        this.#watchdog();
        if (!this.#destroyed) kernel.engine.after(this.#watchdogPeriod, kind);
      });
      this.#watchdogKind = kind;
      if (options.watchdogArmed ?? true) this.armWatchdog();
    }
  }

  /** Checked every tick: a stall is caught within the timeout plus one tick. */
  get #watchdogPeriod(): number {
    return Math.max(1, Math.min(this.kernel.tickNs, this.#runnableTimeout));
  }

  /**
   * Starts the watchdog's checks, if the enclave has a watchdog and they are
   * not running yet (see {@link EnclaveOptions.watchdogArmed}).
   */
  armWatchdog(): void {
    if (this.#watchdogKind < 0 || this.#watchdogArmed || this.#destroyed) return;
    this.#watchdogArmed = true;
    this.kernel.engine.after(this.#watchdogPeriod, this.#watchdogKind);
  }

  /** Whether a CPU belongs to the enclave. */
  hasCpu(cpu: number): boolean {
    return this.#member[cpu] === 1;
  }

  /** Whether the enclave was destroyed. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Whether an agent holds the enclave. */
  get attached(): boolean {
    return this.#agent !== null;
  }

  /** The ghost threads of the enclave, by gtid. */
  get tasks(): ReadonlyGtidMap<Thread> {
    return this.#tasks;
  }

  /** The message queues. */
  get queues(): readonly MessageQueue[] {
    return this.#queues;
  }

  /** Messages dropped by full queues so far. */
  get overflows(): number {
    let total = 0;
    for (const queue of this.#queues) total += queue.overflows;
    return total;
  }

  // ---- agent attachment and queues ----------------------------------------

  /**
   * Attaches the agent process; only one may hold the enclave. An agent that
   * attaches discovers every thread from the status words, so messages
   * dropped before no longer strand a thread.
   */
  attach(agent: AgentAttachment): void {
    if (this.#destroyed) throw new Error(`Enclave ${this.id} is destroyed`);
    if (this.#agent !== null) throw new Error(`Enclave ${this.id} already has an agent`);
    this.#agent = agent;
    this.#lostMessage.clear();
  }

  /**
   * Whether a thread of the enclave lost a message to a full queue (or had
   * no queue) since an agent last attached: the agent may never learn it is
   * runnable, and its work is stranded.
   */
  lostMessage(gtid: number): boolean {
    return this.#lostMessage.has(gtid) && this.#tasks.has(gtid);
  }

  /** Detaches the agent process (it exited or crashed); the enclave survives. */
  detach(agent: AgentAttachment): void {
    if (this.#agent === agent) this.#agent = null;
  }

  /** Creates a message queue (CREATE_QUEUE). */
  createQueue(capacity: number = this.#queueCapacity): MessageQueue {
    const queue = new MessageQueue(this.#queues.length, { capacity });
    queue.onProduce = (q) => this.#onProduce(q);
    this.#queues.push(queue);
    return queue;
  }

  /** Names the queue that receives TASK_NEW (SET_DEFAULT_QUEUE). */
  setDefaultQueue(queue: MessageQueue): void {
    this.#defaultQueue = queue;
  }

  /** The default queue, or null before one is set. */
  get defaultQueue(): MessageQueue | null {
    return this.#defaultQueue;
  }

  /** Links a queue to up to two CPUs whose agents wake on each message (CONFIG_QUEUE_WAKEUP). */
  configQueueWakeup(queue: MessageQueue, cpus: readonly number[]): void {
    if (cpus.length > 2) throw new RangeError("A queue wakes at most two CPUs");
    for (const cpu of cpus) {
      if (!this.hasCpu(cpu)) throw new RangeError(`CPU ${cpu} is not in enclave ${this.id}`);
    }
    queue.wakeupCpus = [...cpus];
  }

  /**
   * Moves a task's messages to another queue (ASSOC_QUEUE). Returns false
   * (ESTALE) when `barrier` is not the task's current barrier or the task is
   * gone.
   */
  associateQueue(gtid: number, queue: MessageQueue, barrier: number): boolean {
    const thread = this.#tasks.get(gtid);
    if (thread === undefined || thread.barrier !== barrier) return false;
    thread.ghostQueue = queue;
    return true;
  }

  /** Names the queue that receives `cpu`'s CPU messages (CPU_TICK): its agent's. */
  setCpuQueue(cpu: number, queue: MessageQueue): void {
    if (!this.hasCpu(cpu)) throw new RangeError(`CPU ${cpu} is not in enclave ${this.id}`);
    this.#cpuQueue[cpu] = queue;
  }

  /** The queue a task's messages go to. */
  queueOf(gtid: number): MessageQueue | undefined {
    return this.#tasks.get(gtid)?.ghostQueue ?? undefined;
  }

  #onProduce(queue: MessageQueue): void {
    const wake = queue.wakeupCpus;
    if (wake.length === 0) {
      this.#agent?.poll();
      return;
    }
    for (const cpu of wake) this.ping(cpu);
  }

  // ---- messages (GhostHooks) ----------------------------------------------

  /**
   * Starts a task message about `thread` in the reused draft: bumps the
   * task barrier (the message's seqnum) and counts the message. Flags 0 and
   * aux -1 until the caller sets them; `#send` delivers it.
   */
  #taskMessage(thread: Thread, type: number, cpu: number): Message {
    thread.barrier++;
    this.stats.messages[type]!++;
    const message = this.#draft;
    message.type = type;
    message.gtid = thread.id;
    message.seqnum = thread.barrier;
    message.cpu = cpu;
    message.runtime = thread.cpuTime;
    message.flags = 0;
    message.time = this.kernel.engine.now;
    message.aux = -1;
    return message;
  }

  /** Delivers a task message to the task's queue (a task with none counts an overflow). */
  #send(thread: Thread, message: Message): void {
    const { type, gtid, time } = message;
    const queue = thread.ghostQueue;
    if (queue === null) {
      this.stats.overflows++;
      this.#lostMessage.add(gtid);
      return;
    }
    if (!queue.produce(message)) {
      this.stats.overflows++;
      this.#lostMessage.add(gtid);
    }
    this.kernel.tracer?.message(type, gtid, queue.id, queue.size, time);
  }

  /** TASK_NEW: the thread joins the enclave and its default queue. */
  taskNew(thread: Thread): void {
    if (this.#destroyed) {
      this.kernel.moveToFair(thread);
      return;
    }
    this.#tasks.set(thread.id, thread);
    const queue = this.#defaultQueue ?? this.#queues[0];
    thread.ghostQueue = queue ?? null;
    const message = this.#taskMessage(thread, MSG.TASK_NEW, -1);
    message.flags = thread.state === "runnable" ? MSG_FLAG_RUNNABLE : 0;
    message.aux = thread.nice;
    this.#send(thread, message);
  }

  /** TASK_WAKEUP. */
  taskWakeup(thread: Thread, wakerCpu: number): void {
    const message = this.#taskMessage(thread, MSG.TASK_WAKEUP, thread.lastCpu);
    message.aux = wakerCpu;
    this.#send(thread, message);
  }

  /** TASK_BLOCKED. */
  taskBlocked(thread: Thread, cpu: number): void {
    this.#send(thread, this.#taskMessage(thread, MSG.TASK_BLOCKED, cpu));
  }

  /** TASK_YIELD. */
  taskYield(thread: Thread, cpu: number): void {
    this.#send(thread, this.#taskMessage(thread, MSG.TASK_YIELD, cpu));
  }

  /** TASK_PREEMPT, with MSG_FLAG_WAS_LATCHED and MSG_FLAG_BY_KERNEL as `flags` says. */
  taskPreempt(thread: Thread, cpu: number, flags: number): void {
    const message = this.#taskMessage(thread, MSG.TASK_PREEMPT, cpu);
    message.flags = flags;
    this.#send(thread, message);
  }

  /** TASK_AFFINITY_CHANGED. */
  taskAffinityChanged(thread: Thread): void {
    this.#send(thread, this.#taskMessage(thread, MSG.TASK_AFFINITY_CHANGED, thread.cpu));
  }

  /** TASK_BLOCKED then TASK_DEAD: the thread exited. */
  taskDead(thread: Thread, cpu: number): void {
    this.#send(thread, this.#taskMessage(thread, MSG.TASK_BLOCKED, cpu));
    this.#send(thread, this.#taskMessage(thread, MSG.TASK_DEAD, cpu));
    this.#tasks.delete(thread.id);
    thread.ghostQueue = null;
    if (this.#lostMessage.size > 0) this.#lostMessage.delete(thread.id);
    this.#dead.add(thread.id);
  }

  /**
   * TASK_DEPARTED: the thread leaves the ghost class for CFS (setsched).
   */
  depart(thread: Thread): void {
    if (!this.#tasks.has(thread.id)) throw new Error(`Thread ${thread.id} is not in the enclave`);
    const message = this.#taskMessage(thread, MSG.TASK_DEPARTED, thread.cpu);
    message.flags = thread.state === "running" ? MSG_FLAG_WAS_CURRENT : 0;
    this.#send(thread, message);
    this.#tasks.delete(thread.id);
    thread.ghostQueue = null;
    if (this.#lostMessage.size > 0) this.#lostMessage.delete(thread.id);
    this.kernel.moveToFair(thread);
  }

  /** Pings `cpu`'s agent: bumps its barrier and wakes it if it sleeps. */
  ping(cpu: number): void {
    this.agentBarrier[cpu]!++;
    const agent = this.kernel.cpus[cpu]!.agent;
    if (agent !== null && agent.state === "blocked") this.kernel.wake(agent, -1);
  }

  /** CPU_TICK to the CPU's agent, when the enclave delivers ticks. */
  cpuTick(cpu: number): void {
    if (!this.#deliverTicks || this.#destroyed) return;
    const queue = this.#cpuQueue[cpu];
    if (queue === null || queue === undefined) return;
    this.stats.messages[MSG.CPU_TICK]!++;
    // The agent barrier moves with every CPU message: bumped here for a
    // polled queue, by the wakeup link otherwise.
    if (!queue.wakeupCpus.includes(cpu)) this.agentBarrier[cpu]!++;
    const message = this.#draft;
    message.type = MSG.CPU_TICK;
    message.gtid = -1;
    message.seqnum = this.agentBarrier[cpu]! + (queue.wakeupCpus.includes(cpu) ? 1 : 0);
    message.cpu = cpu;
    message.runtime = 0;
    message.flags = 0;
    message.time = this.kernel.engine.now;
    message.aux = -1;
    if (!queue.produce(message)) this.stats.overflows++;
  }

  /** TASK_ON_CPU, when opted in: a committed thread started running. */
  taskOnCpu(thread: Thread, cpu: number): void {
    if (this.#deliverOnCpu) this.#send(thread, this.#taskMessage(thread, MSG.TASK_ON_CPU, cpu));
  }

  /** An enclave CPU has nothing to run. */
  cpuIdle(_cpu: number): void {
    this.#agent?.poll();
  }

  /** A fair thread left an enclave CPU idle (CPU_AVAILABLE). */
  cpuAvailable(cpu: number): void {
    this.#agent?.cpuAvailable(cpu);
  }

  /** A fair thread wants an enclave CPU: BOOST_PRIO in its agent status word. */
  boost(cpu: number): void {
    this.agentFlags[cpu]! |= AGENT_FLAG.BOOST_PRIO;
    this.agentBarrier[cpu]!++;
    this.#agent?.boost(cpu);
  }

  // ---- transactions -------------------------------------------------------

  /**
   * Opens a transaction in `cpu`'s slot (TXN_CREATE): run `txn.gtid` (or a
   * special TARGET) there if the task barrier is still `txn.barrier`. An
   * open transaction already in the slot ends ABORTED. The slot copies the
   * request: a caller may reuse the object.
   */
  open(cpu: number, txn: Readonly<TxnRequest>): void {
    if (cpu < 0 || cpu >= this.#txnOpen.length) {
      throw new RangeError(`Transaction for CPU ${cpu}: no such CPU`);
    }
    if (this.#txnOpen[cpu] === 1) this.#finish(cpu, TXN.ABORTED);
    this.#txnOpen[cpu] = 1;
    this.#txnTarget[cpu] = txn.gtid;
    this.#txnBarrier[cpu] = txn.barrier;
    this.#txnAgentCpu[cpu] = txn.agentCpu;
    this.#txnAgentBarrier[cpu] = txn.agentBarrier ?? -1;
    this.#txnOutcome[cpu] = TXN.OPEN;
  }

  /** Whether `cpu`'s transaction slot holds an open transaction. */
  isOpen(cpu: number): boolean {
    return this.#txnOpen[cpu] === 1;
  }

  /** The outcome of the last transaction of `cpu`'s slot. */
  outcome(cpu: number): TxnOutcome {
    return this.#txnOutcome[cpu] as TxnOutcome;
  }

  /**
   * Commits the open transactions of the given CPUs as one group
   * (TXN_COMMIT) and returns how many completed; a sync group is all or
   * nothing. Remote threads start when the IPI arrives, after the target
   * side's switch cost on their CPU; a commit for the agent's own CPU
   * latches at once, without cost, and runs when the agent yields.
   */
  commit(cpus: ArrayLike<number>, options: Readonly<CommitOptions> = {}): number {
    const count = options.count ?? cpus.length;
    if (!(Number.isInteger(count) && count >= 0 && count <= cpus.length)) {
      throw new RangeError(
        `Invalid commit count ${count}: expected an integer in [0, ${cpus.length}]`,
      );
    }
    const poison = this.#validateGroup(cpus, count) && options.syncGroup === true;
    const readyAt = options.readyAt ?? this.kernel.engine.now;
    const targetCost = options.targetCost ?? 0;
    let completed = 0;
    for (let i = 0; i < count; i++) {
      const cpu = cpus[i]!;
      if (this.#txnOpen[cpu] !== 1) continue; // listed twice
      let outcome = this.#txnOutcome[cpu] as TxnOutcome;
      if (poison && outcome === TXN.COMPLETE) outcome = TXN.POISONED;
      if (outcome === TXN.COMPLETE) {
        this.#apply(cpu, readyAt, targetCost);
        completed++;
      }
      this.#finish(cpu, outcome);
    }
    return completed;
  }

  /**
   * Validates the open transactions of a group (the first `count` CPUs of
   * the list) in order, recording each outcome in its slot; returns whether
   * one failed.
   */
  #validateGroup(cpus: ArrayLike<number>, count: number): boolean {
    let failed = false;
    this.#claimGroup++;
    for (let i = 0; i < count; i++) {
      const cpu = cpus[i]!;
      if (this.#txnOpen[cpu] !== 1) throw new Error(`No open transaction on CPU ${cpu}`);
      let outcome = this.#validate(cpu);
      const gtid = this.#txnTarget[cpu]!;
      if (outcome === TXN.COMPLETE && gtid >= 0 && count > 1) {
        // One thread named on two CPUs of a group: the later one finds it
        // taken by the first whose transaction completed. (A CPU listed
        // twice validates the same way twice, so its claim stands; a
        // group of one has nothing to check.)
        const claimant = this.#claim(gtid, cpu);
        if (claimant !== cpu && this.#txnOutcome[claimant] === TXN.COMPLETE) {
          outcome = TXN.TARGET_ONCPU;
        }
      }
      this.#txnOutcome[cpu] = outcome;
      if (outcome !== TXN.COMPLETE) failed = true;
    }
    return failed;
  }

  /**
   * The CPU that claimed thread `gtid` earlier in the current group; if none
   * did, `cpu` claims it and is returned.
   */
  #claim(gtid: number, cpu: number): number {
    const stamps = this.#claimStamp;
    const keys = this.#claimGtid;
    const mask = stamps.length - 1;
    const group = this.#claimGroup;
    // Fibonacci hashing of the id; linear probing (the table is at most half full).
    let slot = Math.imul(gtid | 0, 0x9e3779b1) >>> 0 & mask;
    while (stamps[slot] === group) {
      if (keys[slot] === gtid) return this.#claimCpu[slot]!;
      slot = (slot + 1) & mask;
    }
    stamps[slot] = group;
    keys[slot] = gtid;
    this.#claimCpu[slot] = cpu;
    return cpu;
  }

  #finish(cpu: number, outcome: TxnOutcome): void {
    this.#txnOpen[cpu] = 0;
    this.#txnOutcome[cpu] = outcome;
    this.stats.outcomes[outcome]!++;
    this.kernel.tracer?.commit(cpu, this.#txnTarget[cpu]!, outcome, this.kernel.engine.now);
  }

  #validate(cpu: number): TxnOutcome {
    if (this.#agent === null || this.#destroyed) return TXN.NO_AGENT;
    if (this.#member[cpu] !== 1) return TXN.INVALID_CPU;
    const gtid = this.#txnTarget[cpu]!;
    const agentCpu = this.#txnAgentCpu[cpu]!;
    if (gtid === TARGET.IDLE || gtid === TARGET.AGENT) return TXN.COMPLETE;
    const thread = this.#tasks.get(gtid);
    if (thread === undefined) return this.#dead.has(gtid) ? TXN.TARGET_STALE : TXN.INVALID_TARGET;
    if (thread.barrier !== this.#txnBarrier[cpu]) return TXN.TARGET_STALE;
    const agentBarrier = this.#txnAgentBarrier[cpu]!;
    if (agentBarrier >= 0 && agentBarrier !== this.agentBarrier[agentCpu]) return TXN.AGENT_STALE;
    if (thread.state === "blocked" || thread.state === "dead") return TXN.TARGET_NOT_RUNNABLE;
    if (thread.state === "running" && thread.cpu === cpu && thread.latchedCpu < 0) {
      return TXN.COMPLETE; // already runs there: the commit keeps it
    }
    if (thread.state === "running" || thread.latchedCpu >= 0) return TXN.TARGET_ONCPU;
    if (!thread.allowed(cpu)) return TXN.INVALID_CPU;
    return this.kernel.ghostMayUse(cpu, agentCpu) ? TXN.COMPLETE : TXN.CPU_UNAVAIL;
  }

  #apply(cpu: number, readyAt: number, targetCost: number): void {
    const gtid = this.#txnTarget[cpu]!;
    const kernel = this.kernel;
    const state = kernel.cpus[cpu]!;
    if (gtid === TARGET.AGENT) {
      this.ping(cpu);
      return;
    }
    if (gtid === TARGET.IDLE) {
      const latched = state.latched;
      if (latched !== null) {
        kernel.unlatch(latched);
        this.taskPreempt(latched, cpu, MSG_FLAG_WAS_LATCHED);
      }
      return;
    }
    const thread = this.#tasks.get(gtid)!;
    if (thread.state === "running") return; // kept on its CPU
    const local = cpu === this.#txnAgentCpu[cpu];
    const now = kernel.engine.now;
    const latch = this.#latchOptions;
    latch.readyAt = local ? now : Math.max(now, readyAt);
    latch.cost = local ? 0 : targetCost;
    kernel.latch(thread, cpu, latch);
  }

  // ---- watchdog and destruction -------------------------------------------

  #watchdog(): void {
    const now = this.kernel.engine.now;
    for (const thread of this.#tasks.values()) {
      if (
        thread.state === "runnable" && thread.latchedCpu < 0 &&
        now - thread.runnableSince > this.#runnableTimeout
      ) {
        this.destroy();
        return;
      }
    }
  }

  /**
   * Destroys the enclave: its agents exit and every thread moves to CFS.
   * Also what the watchdog does to a stalled enclave.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.stats.destroyedAt = this.kernel.engine.now;
    const agent = this.#agent;
    this.#agent = null;
    agent?.destroyed();
    for (const thread of [...this.#tasks.values()]) {
      thread.ghostQueue = null;
      this.kernel.moveToFair(thread);
    }
    this.#tasks.clear();
    this.#lostMessage.clear();
    for (const cpu of this.cpus) {
      this.kernel.cpus[cpu]!.ghost = null;
      this.kernel.resched(cpu);
    }
  }
}
