/**
 * The random scenarios of the ghOSt property tests and of the fuzzer
 * (`deno task fuzz`): what fast-check generates (threads, fair threads,
 * agent operations, random policies), how a scenario runs against the
 * emulated kernel, and the checks it makes on the way. See
 * tests/ghost_property_test.ts for what the properties say.
 *
 * Each run can count into a {@link FuzzStats}: the transactions the enclave
 * committed and the invariant checks made (kernel invariants, thread
 * placement, predicted commit outcomes, each thread's message sequence).
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { AgentProcess } from "../core/agent_process.ts";
import type { AgentContext, Policy } from "../core/policy.ts";
import { script, type ScriptStep } from "../core/behaviors.ts";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { type AgentAttachment, Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { MSG, MSG_NAMES, TARGET, TXN, TXN_NAMES, type TxnOutcome } from "../core/ghost_abi.ts";
import { Kernel } from "../core/kernel.ts";
import { type Message, type MessageQueue, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import { type Action, type Thread, WaitQueue } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";

/** What the scenarios tried and checked, summed over runs. */
export interface FuzzStats {
  /** Scenarios run. */
  scenarios: number;
  /** Transactions committed (every outcome but ABORTED: a slot opened again). */
  transactions: number;
  /** Invariant checks made. */
  checks: number;
}

/** Zeroed {@link FuzzStats}. */
export function newFuzzStats(): FuzzStats {
  return { scenarios: 0, transactions: 0, checks: 0 };
}

/** Transactions an enclave committed: every outcome but ABORTED. */
function committed(enclave: Enclave): number {
  let sum = 0;
  enclave.stats.outcomes.forEach((count, outcome) => {
    if (outcome !== TXN.ABORTED) sum += count;
  });
  return sum;
}

/** Kernel invariants and thread placement, counted as two checks. */
function checkKernel(kernel: Kernel, stats: FuzzStats | undefined): void {
  kernel.checkInvariants();
  checkPlacement(kernel);
  if (stats !== undefined) stats.checks += 2;
}

/** CPUs of the machine: the enclave holds 1..4; 0 and 5 stay outside. */
const CPUS = 6;
const ENCLAVE_CPUS = [1, 2, 3, 4];
/** CPU of the stand-in global agent (an enclave CPU: its own commits are local). */
const AGENT_CPU = 1;
/** Agent steps of the random phase. */
const RANDOM_STEPS = 3000;

// ---- plans (what fast-check generates) ----------------------------------------

/** One step of a thread's program; `wait` blocks on the shared gate. */
type StepPlan =
  | { readonly compute: number }
  | { readonly sleep: number }
  | { readonly wait: true }
  | { readonly yield: true };

interface GhostPlan {
  /** Spawn time, ns. */
  readonly at: number;
  readonly steps: readonly StepPlan[];
  readonly nice: number;
}

interface FairPlan {
  /** CPUs it may run on (null: any). */
  readonly affinity: readonly number[] | null;
  readonly computeNs: number;
  readonly sleepNs: number;
  readonly rounds: number;
}

type TargetKind = "live" | "dead" | "fair" | "unknown" | "idle" | "agent";
type BarrierKind = "current" | "old" | "future" | "zero";

interface EntryPlan {
  /** CPU of the transaction; CPUS means one the machine does not have. */
  readonly cpu: number;
  readonly target: TargetKind;
  readonly pick: number;
  readonly barrier: BarrierKind;
  /** CPU of the committing agent. */
  readonly agentCpu: number;
  readonly agentBarrier: "skip" | "current" | "old";
}

type OpPlan =
  | { readonly kind: "txn"; readonly sync: boolean; readonly entries: readonly EntryPlan[] }
  | { readonly kind: "open"; readonly entry: EntryPlan }
  | { readonly kind: "play"; readonly sync: boolean }
  | {
    readonly kind: "assoc";
    readonly pick: number;
    readonly barrier: BarrierKind;
    readonly queue: number;
  }
  | { readonly kind: "detach" }
  | { readonly kind: "attach" }
  | { readonly kind: "depart"; readonly pick: number }
  | { readonly kind: "wake" };

/** A scenario of the direct-enclave property. */
export interface Scenario {
  readonly ghosts: readonly GhostPlan[];
  readonly fairs: readonly FairPlan[];
  readonly ops: readonly OpPlan[];
  /** Agent step period, ns. */
  readonly stepNs: number;
  /** Step of the random phase at which the enclave is destroyed, or -1. */
  readonly destroyAt: number;
  /** Whether TASK_NEW goes to the queue linked to agent CPUs (else a polled one). */
  readonly linkedDefault: boolean;
  /** The enclave's watchdog timeout, ns; 0: none. */
  readonly watchdogNs: number;
}

const watchdog: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 100 * US, max: 3 * MS }) },
);

const stepPlan: fc.Arbitrary<StepPlan> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 * US }).map((compute) => ({ compute })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 * US }).map((sleep) => ({ sleep })) },
  { weight: 1, arbitrary: fc.constant({ wait: true as const }) },
  { weight: 2, arbitrary: fc.constant({ yield: true as const }) },
);

const ghostPlan: fc.Arbitrary<GhostPlan> = fc.record({
  at: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * MS })),
  steps: fc.array(stepPlan, { minLength: 0, maxLength: 12 }),
  nice: fc.integer({ min: -5, max: 5 }),
});

const fairPlan: fc.Arbitrary<FairPlan> = fc.record({
  affinity: fc.oneof(
    fc.constant(null),
    // The first enclave CPU: the global agent's, at first (BOOST_PRIO moves it).
    fc.constant([ENCLAVE_CPUS[0]!]),
    fc.uniqueArray(fc.integer({ min: 0, max: CPUS - 1 }), { minLength: 1, maxLength: 3 }),
  ),
  computeNs: fc.integer({ min: 1, max: 100 * US }),
  sleepNs: fc.integer({ min: 1, max: 300 * US }),
  rounds: fc.integer({ min: 1, max: 15 }),
});

const entryPlan: fc.Arbitrary<EntryPlan> = fc.record({
  cpu: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ENCLAVE_CPUS) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: CPUS - 1 }) },
    { weight: 1, arbitrary: fc.constant(CPUS) },
  ),
  target: fc.oneof(
    { weight: 6, arbitrary: fc.constant("live" as const) },
    { weight: 1, arbitrary: fc.constantFrom("dead" as const, "fair" as const) },
    { weight: 1, arbitrary: fc.constantFrom("unknown" as const, "idle" as const) },
    { weight: 1, arbitrary: fc.constant("agent" as const) },
  ),
  pick: fc.nat(1000),
  barrier: fc.oneof(
    { weight: 5, arbitrary: fc.constant("current" as const) },
    { weight: 1, arbitrary: fc.constantFrom("old" as const, "future" as const, "zero" as const) },
  ),
  agentCpu: fc.oneof(fc.constant(AGENT_CPU), fc.integer({ min: 0, max: CPUS - 1 })),
  agentBarrier: fc.constantFrom("skip" as const, "current" as const, "old" as const),
});

const opPlan: fc.Arbitrary<OpPlan> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("txn" as const),
      sync: fc.boolean(),
      entries: fc.array(entryPlan, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("open" as const), entry: entryPlan }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("play" as const), sync: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("assoc" as const),
      pick: fc.nat(1000),
      barrier: fc.constantFrom("current" as const, "old" as const),
      queue: fc.nat(1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { kind: "detach" as const },
      { kind: "attach" as const },
      { kind: "wake" as const },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("depart" as const), pick: fc.nat(1000) }) },
);

/** Random scenarios of the direct-enclave property. */
export const scenario: fc.Arbitrary<Scenario> = fc.record({
  ghosts: fc.array(ghostPlan, { minLength: 1, maxLength: 10 }),
  fairs: fc.array(fairPlan, { maxLength: 3 }),
  ops: fc.array(opPlan, { minLength: 1, maxLength: 120 }),
  stepNs: fc.integer({ min: 500, max: 10 * US }),
  destroyAt: fc.oneof(
    { weight: 5, arbitrary: fc.constant(-1) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: RANDOM_STEPS - 1 }) },
  ),
  linkedDefault: fc.boolean(),
  watchdogNs: watchdog,
});

// ---- shared checks --------------------------------------------------------------

/** A message as read from a queue. */
interface SeenMessage {
  type: number;
  gtid: number;
  seqnum: number;
  flags: number;
}

/** Records messages and checks on the fly that each task's seqnums go 1, 2, 3... */
class MessageLog {
  readonly byTask = new Map<number, SeenMessage[]>();

  record(msg: Message): void {
    const list = this.byTask.get(msg.gtid) ?? [];
    const expected = list.length + 1;
    if (msg.seqnum !== expected) {
      throw new Error(
        `Task ${msg.gtid}: ${MSG_NAMES[msg.type]} has seqnum ${msg.seqnum}, expected ${expected} ` +
          `after ${describe(list)}`,
      );
    }
    list.push({ type: msg.type, gtid: msg.gtid, seqnum: msg.seqnum, flags: msg.flags });
    this.byTask.set(msg.gtid, list);
  }

  drain(queue: MessageQueue): void {
    for (let msg = queue.peek(); msg !== null; msg = queue.peek()) {
      this.record(msg);
      queue.pop();
    }
  }
}

/** A task's messages as a line of type names. */
function describe(list: readonly SeenMessage[]): string {
  return list.map((m) => MSG_NAMES[m.type] ?? m.type).join(" ") || "nothing";
}

/** No thread runs on two CPUs or is latched on two; curr, latched and thread fields agree. */
function checkPlacement(kernel: Kernel): void {
  const running = new Set<number>();
  const latched = new Set<number>();
  for (const cpu of kernel.cpus) {
    const curr = cpu.curr;
    if (curr !== null) {
      if (running.has(curr.id)) throw new Error(`Thread ${curr.id} runs on two CPUs`);
      running.add(curr.id);
      if (curr.cpu !== cpu.id) throw new Error(`CPU ${cpu.id} runs ${curr.id} on ${curr.cpu}`);
    }
    const held = cpu.latched;
    if (held !== null) {
      if (latched.has(held.id)) throw new Error(`Thread ${held.id} is latched on two CPUs`);
      latched.add(held.id);
      if (held.latchedCpu !== cpu.id || held.state !== "runnable" || held.schedClass !== "ghost") {
        throw new Error(
          `CPU ${cpu.id} holds latched thread ${held.id} (${held.state}, ${held.schedClass}, ` +
            `latchedCpu ${held.latchedCpu})`,
        );
      }
    }
  }
  for (const thread of kernel.threads()) {
    if (thread.state === "running") {
      if (kernel.cpus[thread.cpu]?.curr !== thread) {
        throw new Error(`Thread ${thread.id} claims CPU ${thread.cpu}`);
      }
    } else if (thread.cpu !== -1) {
      throw new Error(`Thread ${thread.id} is ${thread.state} on CPU ${thread.cpu}`);
    }
    if (thread.latchedCpu >= 0 && kernel.cpus[thread.latchedCpu]?.latched !== thread) {
      throw new Error(`Thread ${thread.id} claims a latch on CPU ${thread.latchedCpu}`);
    }
  }
}

/** How each ghost-spawned thread ended. */
type Fate = "alive" | "exited-ghost" | "exited-fair";

/**
 * Checks the messages of every ghost-spawned thread: the log starts with
 * TASK_NEW; a thread that exited in the ghost class ends with TASK_BLOCKED,
 * TASK_DEAD (exactly one); no other thread has a TASK_DEAD; nothing follows
 * TASK_DEPARTED; after TASK_BLOCKED comes TASK_WAKEUP, TASK_DEAD or
 * TASK_DEPARTED; the last seqnum is the status-word barrier.
 */
function checkMessages(
  log: MessageLog,
  ghosts: ReadonlyMap<number, Thread>,
  fates: ReadonlyMap<number, Fate>,
): void {
  for (const gtid of log.byTask.keys()) {
    assert.ok(ghosts.has(gtid), `message for gtid ${gtid}, not a ghOSt thread`);
  }
  for (const [gtid, thread] of ghosts) {
    const list = log.byTask.get(gtid) ?? [];
    const text = `gtid ${gtid} (${fates.get(gtid) ?? "alive"}): ${describe(list)}`;
    assert.ok(list.length > 0, text);
    assert.equal(list[0]!.type, MSG.TASK_NEW, text);
    assert.equal(list.at(-1)!.seqnum, thread.barrier, `${text}: last seqnum is the barrier`);
    const deaths = list.filter((m) => m.type === MSG.TASK_DEAD).length;
    if (fates.get(gtid) === "exited-ghost") {
      assert.equal(deaths, 1, text);
      assert.equal(list.at(-1)!.type, MSG.TASK_DEAD, text);
      assert.equal(list.at(-2)?.type, MSG.TASK_BLOCKED, text);
    } else {
      assert.equal(deaths, 0, text);
    }
    for (let i = 0; i + 1 < list.length; i++) {
      const type = list[i]!.type;
      const next = list[i + 1]!.type;
      assert.notEqual(type, MSG.TASK_DEPARTED, `${text}: a message after TASK_DEPARTED`);
      if (type === MSG.TASK_BLOCKED) {
        assert.ok(
          next === MSG.TASK_WAKEUP || next === MSG.TASK_DEAD || next === MSG.TASK_DEPARTED,
          `${text}: ${MSG_NAMES[next]} after TASK_BLOCKED`,
        );
      }
    }
  }
}

/** A thread behaviour from a plan; `wait` steps block on `gate`. */
function program(steps: readonly StepPlan[], gate: WaitQueue) {
  return script(
    steps.map((step): ScriptStep => "wait" in step ? { wait: gate } : step),
    false,
  );
}

/** A fair thread that computes and sleeps `rounds` times, then exits. */
function fairProgram(plan: FairPlan) {
  let round = 0;
  let computing = false;
  return {
    next(thread: Thread): Action {
      computing = !computing;
      if (computing) {
        if (round++ >= plan.rounds) return "exit";
        thread.stepNs = plan.computeNs;
        return "compute";
      }
      thread.stepNs = plan.sleepNs;
      return "sleep";
    },
  };
}

// ---- property 1: direct enclave calls ---------------------------------------------

/** A stand-in agent attachment: a polled queue's messages are read at once. */
class Recorder implements AgentAttachment {
  constructor(readonly drainAll: () => void) {}
  poll(): void {
    this.drainAll();
  }

  cpuAvailable(_cpu: number): void {}
  boost(): void {}
  destroyed(): void {}
}

/** The transaction an entry plan resolves to, and what the outcome must (or may) be. */
interface ResolvedEntry {
  cpu: number;
  gtid: number;
  barrier: number;
  agentCpu: number;
  agentBarrier: number;
  /** The outcome it must have, or null when only the full validation can tell. */
  expected: TxnOutcome | null;
}

/** Options of {@link runDirect}. */
export interface DirectOptions {
  /**
   * Whether one group may name the same thread on two CPUs (a known emulator
   * problem: Enclave.commit throws instead of failing the second).
   */
  sameThreadTwice: boolean;
  /** Counts what the run tried and checked. @default none */
  stats?: FuzzStats;
}

/**
 * Runs a scenario with a stand-in global agent that calls the enclave
 * directly; throws on the first broken invariant.
 */
export function runDirect(plan: Scenario, options: DirectOptions): void {
  const engine = new Engine(1);
  const topology = new Topology({ name: "six", coresPerLlc: CPUS });
  const kernel = new Kernel(engine, { topology, costs: PAPER_COSTS });
  const enclave = new Enclave(kernel, {
    cpus: ENCLAVE_CPUS,
    runnableTimeoutNs: plan.watchdogNs,
  });
  const queues = [enclave.createQueue(), enclave.createQueue()];
  // The second queue wakes the agents of CPUs 1 and 2: each message on it
  // bumps their agent barriers (AGENT_STALE for an agent that lags).
  enclave.configQueueWakeup(queues[1]!, [AGENT_CPU, 2]);
  enclave.setDefaultQueue(queues[plan.linkedDefault ? 1 : 0]!);
  const log = new MessageLog();
  const drainAll = () => {
    for (const queue of queues) log.drain(queue);
  };
  const agent = new Recorder(drainAll);
  enclave.attach(agent);
  let attached = true;

  const gate = new WaitQueue("gate");
  const ghosts = new Map<number, Thread>();
  const fates = new Map<number, Fate>();
  const exitedGhosts: number[] = [];
  const fairs: Thread[] = [];
  kernel.onThreadExit = (thread) => {
    if (!ghosts.has(thread.id)) return;
    const fate = thread.schedClass === "ghost" ? "exited-ghost" : "exited-fair";
    fates.set(thread.id, fate);
    exitedGhosts.push(thread.id);
  };
  const spawnKind = engine.register("test.spawn", (index) => {
    const ghostPlan = plan.ghosts[index]!;
    const thread = kernel.spawn(program(ghostPlan.steps, gate), {
      name: `g${index}`,
      nice: ghostPlan.nice,
      schedClass: "ghost",
      ghost: enclave,
    });
    // Spawned into a destroyed enclave, it never joins: a plain fair thread.
    if (thread.schedClass === "ghost") ghosts.set(thread.id, thread);
    else fairs.push(thread);
  });
  for (const [i, ghostPlan] of plan.ghosts.entries()) engine.at(ghostPlan.at, spawnKind, i);
  for (const [i, fairPlan] of plan.fairs.entries()) {
    fairs.push(kernel.spawn(fairProgram(fairPlan), {
      name: `f${i}`,
      affinity: fairPlan.affinity ?? undefined,
    }));
  }
  const wakeKind = engine.register("test.wake", () => {
    while (kernel.wakeOne(gate, -1) !== null) { /* wake every waiter */ }
    engine.after(20 * US, wakeKind);
  });
  engine.after(20 * US, wakeKind);

  const live = () => [...enclave.tasks.values()];
  function barrierOf(thread: Thread, kind: BarrierKind): number {
    switch (kind) {
      case "current":
        return thread.barrier;
      case "old":
        return thread.barrier - 1;
      case "future":
        return thread.barrier + 1;
      case "zero":
        return 0;
    }
  }

  /** Resolves an entry and predicts its outcome where the rules are simple. */
  function resolve(entry: EntryPlan, used: Set<number>): ResolvedEntry {
    let gtid: number;
    let barrier = 0;
    let kind = entry.target;
    const tasks = live();
    if (kind === "live" && tasks.length === 0) kind = "unknown";
    if (kind === "dead" && exitedGhosts.length === 0) kind = "unknown";
    const fairThreads = [...kernel.threads()].filter((t) => t.schedClass === "fair");
    if (kind === "fair" && fairThreads.length === 0) kind = "unknown";
    switch (kind) {
      case "live": {
        let thread = tasks[entry.pick % tasks.length]!;
        if (!options.sameThreadTwice && used.has(thread.id)) {
          const other = tasks.find((t) => !used.has(t.id));
          if (other === undefined) {
            gtid = TARGET.IDLE;
            break;
          }
          thread = other;
        }
        gtid = thread.id;
        barrier = barrierOf(thread, entry.barrier);
        break;
      }
      case "dead": {
        gtid = exitedGhosts[entry.pick % exitedGhosts.length]!;
        barrier = barrierOf(ghosts.get(gtid)!, entry.barrier);
        break;
      }
      case "fair": {
        const thread = fairThreads[entry.pick % fairThreads.length]!;
        gtid = thread.id;
        barrier = thread.barrier;
        break;
      }
      case "unknown":
        gtid = 1_000_000 + entry.pick;
        break;
      case "idle":
        gtid = TARGET.IDLE;
        break;
      case "agent":
        gtid = TARGET.AGENT;
        break;
    }
    const agentBarrier = entry.agentBarrier === "skip"
      ? -1
      : enclave.agentBarrier[entry.agentCpu]! - (entry.agentBarrier === "old" ? 1 : 0);
    return {
      cpu: entry.cpu,
      gtid,
      barrier,
      agentCpu: entry.agentCpu,
      agentBarrier,
      expected: null,
    };
  }

  /**
   * The outcome by the validation order documented in core/enclave.ts, from
   * the state before the commit (a group is validated before any of it is
   * applied); null where the rules leave it open.
   */
  function predict(entry: ResolvedEntry): TxnOutcome | null {
    if (!attached || enclave.destroyed) return TXN.NO_AGENT;
    if (!enclave.hasCpu(entry.cpu)) return TXN.INVALID_CPU;
    if (entry.gtid === TARGET.IDLE || entry.gtid === TARGET.AGENT) return TXN.COMPLETE;
    const thread = enclave.tasks.get(entry.gtid);
    if (thread === undefined) {
      // A thread that died in the enclave is stale; one that left it first is no target.
      return fates.get(entry.gtid) === "exited-ghost" ? TXN.TARGET_STALE : TXN.INVALID_TARGET;
    }
    if (thread.barrier !== entry.barrier) return TXN.TARGET_STALE;
    if (entry.agentBarrier >= 0 && entry.agentBarrier !== enclave.agentBarrier[entry.agentCpu]) {
      return TXN.AGENT_STALE;
    }
    if (thread.state === "blocked") return TXN.TARGET_NOT_RUNNABLE;
    // Running on the commit's own CPU: the commit completes and keeps it there.
    if (thread.state === "running" && thread.cpu === entry.cpu) return TXN.COMPLETE;
    if (thread.state === "running" || thread.latchedCpu >= 0) return TXN.TARGET_ONCPU;
    const state = kernel.cpus[entry.cpu]!;
    if (state.rq.size > 0 || state.curr?.schedClass === "fair") return TXN.CPU_UNAVAIL;
    return TXN.COMPLETE;
  }

  function transact(entries: readonly EntryPlan[], sync: boolean): void {
    const used = new Set<number>();
    const final = new Map<number, ResolvedEntry>();
    for (const entryPlan of entries) {
      const entry = resolve(entryPlan, used);
      if (entry.cpu >= CPUS) {
        assert.throws(
          () =>
            enclave.open(entry.cpu, {
              gtid: entry.gtid,
              barrier: entry.barrier,
              agentCpu: entry.agentCpu,
            }),
          RangeError,
        );
        continue;
      }
      const aborted = enclave.stats.outcomes[TXN.ABORTED]!;
      const reopened = enclave.isOpen(entry.cpu);
      enclave.open(entry.cpu, entry);
      assert.equal(enclave.stats.outcomes[TXN.ABORTED], aborted + (reopened ? 1 : 0));
      if (entry.gtid >= 0) used.add(entry.gtid);
      entry.expected = predict(entry);
      final.set(entry.cpu, entry);
    }
    if (final.size === 0) return;
    // A thread named again later in the group finds it taken by an earlier
    // transaction that completes.
    const taken = new Map<number, boolean | null>();
    for (const entry of final.values()) {
      if (entry.gtid < 0) continue;
      const before = taken.get(entry.gtid);
      const mine = entry.expected;
      if (before === true && mine === TXN.COMPLETE) entry.expected = TXN.TARGET_ONCPU;
      else if (before === null && mine === TXN.COMPLETE) entry.expected = null;
      if (before !== true) {
        taken.set(
          entry.gtid,
          mine === TXN.COMPLETE ? true : mine === null ? null : (before ?? false),
        );
      }
    }
    if (sync) {
      // All or nothing: a known failure poisons the rest; an unknown one may.
      const known = [...final.values()].map((e) => e.expected);
      const fails = known.some((o) => o !== null && o !== TXN.COMPLETE);
      const unsure = known.includes(null);
      for (const entry of final.values()) {
        if (entry.expected !== TXN.COMPLETE) continue;
        if (fails) entry.expected = TXN.POISONED;
        else if (unsure) entry.expected = null;
      }
    }
    const cpus = [...final.keys()];
    const completed = enclave.commit(cpus, {
      syncGroup: sync,
      readyAt: engine.now + 1000,
      targetCost: 1000,
    });
    let failed = false;
    let count = 0;
    for (const entry of final.values()) {
      const outcome = enclave.outcome(entry.cpu);
      assert.equal(enclave.isOpen(entry.cpu), false);
      if (outcome !== TXN.COMPLETE) failed = true;
      else count++;
      if (entry.expected !== null) {
        if (options.stats !== undefined) options.stats.checks++;
        assert.equal(
          TXN_NAMES[outcome],
          TXN_NAMES[entry.expected],
          `${sync ? "sync" : "async"} txn on CPU ${entry.cpu} for gtid ${entry.gtid} ` +
            `(barrier ${entry.barrier}, agent ${entry.agentCpu}/${entry.agentBarrier})`,
        );
      }
      if (outcome === TXN.COMPLETE && entry.gtid >= 0) {
        const thread = enclave.tasks.get(entry.gtid)!;
        if (thread.state === "running" && thread.cpu === entry.cpu) continue; // kept running
        assert.equal(thread.latchedCpu, entry.cpu, `a complete commit latches ${entry.gtid}`);
      }
    }
    assert.equal(completed, count);
    if (sync && failed) assert.equal(count, 0, "a failed sync group applies nothing");
  }

  /** Commits runnable threads to free enclave CPUs, valid transactions only. */
  function play(sync: boolean): void {
    if (!attached || enclave.destroyed) return;
    const free = ENCLAVE_CPUS.filter((cpu) => {
      const state = kernel.cpus[cpu]!;
      return state.curr === null && state.latched === null && state.rq.size === 0;
    });
    const ready = live().filter((t) => t.state === "runnable" && t.latchedCpu < 0);
    const cpus: number[] = [];
    for (const cpu of free) {
      const thread = ready.find((t) => t.allowed(cpu));
      if (thread === undefined) break;
      ready.splice(ready.indexOf(thread), 1);
      enclave.open(cpu, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU });
      cpus.push(cpu);
    }
    if (cpus.length === 0) return;
    const completed = enclave.commit(cpus, {
      syncGroup: sync,
      readyAt: engine.now + 1000,
      targetCost: 1000,
    });
    assert.equal(completed, cpus.length, "valid transactions on free CPUs complete");
  }

  let opIndex = 0;
  function doOp(op: OpPlan): void {
    switch (op.kind) {
      case "txn":
        transact(op.entries, op.sync);
        return;
      case "open": {
        // Left open: a later transaction on that CPU aborts it.
        const entry = resolve(op.entry, new Set());
        if (entry.cpu < CPUS) {
          enclave.open(entry.cpu, {
            gtid: entry.gtid,
            barrier: entry.barrier,
            agentCpu: entry.agentCpu,
          });
        }
        return;
      }
      case "play":
        play(op.sync);
        return;
      case "assoc": {
        const tasks = live();
        if (tasks.length === 0) return;
        const thread = tasks[op.pick % tasks.length]!;
        const barrier = barrierOf(thread, op.barrier);
        const ok = enclave.associateQueue(thread.id, queues[op.queue]!, barrier);
        assert.equal(ok, barrier === thread.barrier);
        return;
      }
      case "detach":
        enclave.detach(agent);
        attached = false;
        return;
      case "attach":
        if (!attached && !enclave.destroyed) {
          enclave.attach(agent);
          attached = true;
        }
        return;
      case "depart": {
        const tasks = live();
        if (tasks.length === 0) return;
        enclave.depart(tasks[op.pick % tasks.length]!);
        return;
      }
      case "wake":
        while (kernel.wakeOne(gate, -1) !== null) { /* wake every waiter */ }
        return;
    }
  }

  let step = 0;
  const endOfRandom = RANDOM_STEPS;
  const stepKind = engine.register("test.agent", () => {
    drainAll();
    if (step === plan.destroyAt) {
      enclave.destroy();
      attached = false;
    }
    if (step < endOfRandom) {
      const op = plan.ops[opIndex++ % plan.ops.length]!;
      doOp(op);
      drainAll();
      doOp(plan.ops[opIndex++ % plan.ops.length]!);
    } else {
      // Settling phase: an honest agent lets every thread finish.
      if (!attached && !enclave.destroyed) {
        enclave.attach(agent);
        attached = true;
      }
      play(step % 2 === 0);
    }
    drainAll();
    checkKernel(kernel, options.stats);
    step++;
    engine.after(step < endOfRandom ? plan.stepNs : 5 * US, stepKind);
  });
  engine.after(0, stepKind);

  const randomEnd = RANDOM_STEPS * plan.stepNs + 2 * MS;
  engine.run({ until: randomEnd });
  for (let t = 0; t < 200 && kernel.liveThreads > 0; t++) {
    engine.run({ until: engine.now + MS });
  }
  drainAll();
  checkKernel(kernel, options.stats);
  assert.equal(ghosts.size + fairs.length, plan.ghosts.length + plan.fairs.length);
  const stuck = [...kernel.threads()].map((t) =>
    `${t.name}#${t.id} ${t.schedClass} ${t.state} latched ${t.latchedCpu}`
  );
  assert.equal(kernel.liveThreads, 0, `threads left: ${stuck.join(", ")}`);
  for (const fair of fairs) assert.equal(fair.state, "dead");
  checkMessages(log, ghosts, fates);
  if (options.stats !== undefined) {
    options.stats.scenarios++;
    options.stats.transactions += committed(enclave);
    options.stats.checks += ghosts.size;
  }
  if (plan.destroyAt < 0 && !enclave.destroyed) {
    // No enclave destruction: a thread leaves the ghost class only by departing.
    for (const [gtid, list] of log.byTask) {
      if (list.at(-1)!.type !== MSG.TASK_DEPARTED) {
        assert.equal(fates.get(gtid), "exited-ghost", `gtid ${gtid}: ${describe(list)}`);
      }
    }
  }
}

// ---- property 2: a random policy in real agents ------------------------------------

/** What the random policy does on each schedule call. */
interface PolicyOp {
  readonly cpu: number;
  readonly target: "seen" | "unknown" | "idle" | "agent";
  readonly pick: number;
  readonly commit: "none" | "async" | "sync";
  readonly associate: boolean;
  readonly ping: boolean;
}

const policyOp: fc.Arbitrary<PolicyOp> = fc.record({
  cpu: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ENCLAVE_CPUS) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: CPUS - 1 }) },
  ),
  target: fc.oneof(
    { weight: 6, arbitrary: fc.constant("seen" as const) },
    { weight: 1, arbitrary: fc.constantFrom("unknown" as const, "idle" as const) },
    { weight: 1, arbitrary: fc.constant("agent" as const) },
  ),
  pick: fc.nat(1000),
  commit: fc.constantFrom("none" as const, "async" as const, "sync" as const),
  associate: fc.boolean(),
  ping: fc.boolean(),
});

/**
 * A policy that opens random transactions (seen gtids, dead ones included,
 * unknown ones, IDLE, AGENT, any CPU of the machine), commits them sync or
 * async or not at all, moves threads between per-CPU queues and pings
 * agents; each call also commits one runnable thread to the agent's CPU or
 * an idle one, so that threads make progress. It records the messages the
 * framework routes to it.
 */
class RandomPolicy implements Policy {
  readonly name = "random";
  readonly model: "per-cpu" | "centralized";
  readonly log = new MessageLog();
  readonly #ops: readonly PolicyOp[];
  readonly #sameThreadTwice: boolean;
  readonly #seen: number[] = [];
  readonly #runnable = new Set<number>();
  readonly #acted = new Set<number>();
  #index = 0;

  /**
   * `sameThreadTwice`: whether the progress commit may join a group that
   * already names the same thread on another CPU (a known emulator problem).
   */
  constructor(
    model: "per-cpu" | "centralized",
    ops: readonly PolicyOp[],
    sameThreadTwice: boolean,
  ) {
    this.model = model;
    this.#ops = ops;
    this.#sameThreadTwice = sameThreadTwice;
  }

  #note(msg: Message, runnable: boolean | null): void {
    this.log.record(msg);
    if (msg.type === MSG.TASK_NEW) this.#seen.push(msg.gtid);
    if (runnable === true) this.#runnable.add(msg.gtid);
    if (runnable === false) this.#runnable.delete(msg.gtid);
  }

  taskNew(_ctx: AgentContext, msg: Message): void {
    this.#note(msg, (msg.flags & MSG_FLAG_RUNNABLE) !== 0);
  }
  taskRunnable(_ctx: AgentContext, msg: Message): void {
    this.#note(msg, true);
  }
  taskBlocked(_ctx: AgentContext, msg: Message): void {
    this.#note(msg, false);
  }
  taskPreempted(_ctx: AgentContext, msg: Message): void {
    this.#note(msg, true);
  }
  taskYield(_ctx: AgentContext, msg: Message): void {
    this.#note(msg, true);
  }
  taskDead(_ctx: AgentContext, msg: Message): void {
    this.#note(msg, false);
  }
  taskDeparted(): void {
    // Not logged: its commits go on failing INVALID_TARGET, which the checks expect.
  }

  schedule(ctx: AgentContext): void {
    ctx.wakeAt(ctx.now + 20 * US);
    // Every other round does nothing, so that the agent yields its CPU: the
    // framework runs rounds back to back while they cost agent time.
    if (this.#acted.delete(ctx.cpu)) return;
    this.#acted.add(ctx.cpu);
    const op = this.#ops[this.#index++ % this.#ops.length]!;
    let gtid: number;
    switch (op.target) {
      case "seen":
        gtid = this.#seen.length > 0 ? this.#seen[op.pick % this.#seen.length]! : 123_456;
        break;
      case "unknown":
        gtid = 1_000_000 + op.pick;
        break;
      case "idle":
        gtid = TARGET.IDLE;
        break;
      case "agent":
        gtid = TARGET.AGENT;
        break;
    }
    if (op.associate && this.model === "per-cpu" && this.#seen.length > 0) {
      ctx.associate(this.#seen[op.pick % this.#seen.length]!, ENCLAVE_CPUS[op.pick % 4]!);
    }
    if (op.ping) ctx.ping(op.cpu);
    let pending = -1;
    if (op.cpu !== ctx.globalCpu) {
      ctx.open(op.cpu, gtid);
      if (op.commit === "none") pending = gtid;
    }
    if (op.commit !== "none") ctx.commit(op.commit === "sync" ? "sync-group" : "async");
    // Progress: one runnable thread to the agent's own CPU (per-CPU) or a free one.
    const target = this.model === "per-cpu"
      ? ctx.cpu
      : ctx.cpus.find((cpu) => cpu !== ctx.globalCpu && ctx.cpuAvailable(cpu)) ?? -1;
    if (target >= 0) {
      for (const candidate of this.#runnable) {
        const status = ctx.status(candidate);
        if (status === undefined || status.state !== "runnable" || status.latchedCpu >= 0) {
          continue;
        }
        if (candidate === pending && !this.#sameThreadTwice) continue;
        ctx.open(target, candidate);
        ctx.commit("sync-group");
        if (ctx.outcome(target) === TXN.COMPLETE) this.#runnable.delete(candidate);
        break;
      }
    }
  }
}

/** A scenario of the random-policy property. */
export interface AgentScenario {
  readonly model: "per-cpu" | "centralized";
  /** The enclave's watchdog timeout, ns; 0: none. */
  readonly watchdogNs: number;
  readonly ghosts: readonly GhostPlan[];
  readonly fairs: readonly FairPlan[];
  readonly ops: readonly PolicyOp[];
}

/** Random scenarios of the random-policy property. */
export const agentScenario: fc.Arbitrary<AgentScenario> = fc.record({
  model: fc.constantFrom("per-cpu" as const, "centralized" as const),
  watchdogNs: watchdog,
  ghosts: fc.array(ghostPlan, { minLength: 1, maxLength: 10 }),
  fairs: fc.array(fairPlan, { maxLength: 3 }),
  ops: fc.array(policyOp, { minLength: 1, maxLength: 100 }),
});

/** Options of {@link runAgents}. */
export interface AgentOptions {
  /**
   * Whether the progress commit may join a group that already names the
   * same thread on another CPU.
   */
  sameThreadTwice: boolean;
  /** Counts what the run tried and checked. @default none */
  stats?: FuzzStats;
}

/** Runs a random policy in real agents and checks invariants and messages. */
export function runAgents(plan: AgentScenario, options: AgentOptions): void {
  const { sameThreadTwice, stats } = options;
  const engine = new Engine(1);
  const topology = new Topology({ name: "six", coresPerLlc: CPUS });
  const kernel = new Kernel(engine, { topology, costs: PAPER_COSTS });
  const enclave = new Enclave(kernel, {
    cpus: ENCLAVE_CPUS,
    runnableTimeoutNs: plan.watchdogNs,
  });
  const policy = new RandomPolicy(plan.model, plan.ops, sameThreadTwice);
  const agents = new AgentProcess(kernel, enclave, policy);
  agents.start();
  const gate = new WaitQueue("gate");
  const ghosts = new Map<number, Thread>();
  const fates = new Map<number, Fate>();
  kernel.onThreadExit = (thread) => {
    if (!ghosts.has(thread.id)) return;
    fates.set(thread.id, thread.schedClass === "ghost" ? "exited-ghost" : "exited-fair");
  };
  const spawnKind = engine.register("test.spawn", (index) => {
    const ghostPlan = plan.ghosts[index]!;
    const thread = kernel.spawn(program(ghostPlan.steps, gate), {
      name: `g${index}`,
      nice: ghostPlan.nice,
      schedClass: "ghost",
      ghost: enclave,
    });
    // Spawned into an enclave the watchdog destroyed, it never joins.
    if (thread.schedClass === "ghost") ghosts.set(thread.id, thread);
  });
  for (const [i, ghostPlan] of plan.ghosts.entries()) engine.at(ghostPlan.at, spawnKind, i);
  for (const [i, fairPlan] of plan.fairs.entries()) {
    kernel.spawn(fairProgram(fairPlan), {
      name: `f${i}`,
      affinity: fairPlan.affinity ?? undefined,
    });
  }
  const tickKind = engine.register("test.tick", () => {
    while (kernel.wakeOne(gate, -1) !== null) { /* wake every waiter */ }
    checkKernel(kernel, stats);
    engine.after(20 * US, tickKind);
  });
  engine.after(20 * US, tickKind);
  engine.run({ until: 30 * MS });
  checkKernel(kernel, stats);
  assert.equal(agents.exited, enclave.destroyed);
  if (plan.watchdogNs === 0) assert.equal(enclave.destroyed, false);
  // Every message the agents read went through the framework's sequence check
  // and the policy's log; the ones still queued are read here.
  for (const queue of enclave.queues) policy.log.drain(queue);
  checkMessages(policy.log, ghosts, fates);
  if (stats !== undefined) {
    stats.scenarios++;
    stats.transactions += committed(enclave);
    stats.checks += ghosts.size;
  }
  for (const gtid of fates.keys()) {
    if (fates.get(gtid) === "exited-ghost") {
      assert.ok(policy.log.byTask.has(gtid), `gtid ${gtid} exited unseen`);
    }
  }
}
