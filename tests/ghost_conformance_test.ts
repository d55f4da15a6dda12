/**
 * Conformance of the emulated ghOSt kernel side to shared/reference/ghost.md:
 * every transaction outcome from its matching situation, message order and
 * sequence numbers, queue overflow, the watchdog, the global agent's move on
 * BOOST_PRIO, and kernel preemption of ghOSt threads by CFS threads.
 *
 * Most tests drive the {@link Enclave} directly, with a stand-in agent
 * attachment and no agent threads: the "agent" commits from the test body
 * (or from engine events), as a global agent on CPU 0 would. The machine has
 * four CPUs; the enclave holds CPUs 0 to 2 and CPU 3 stays outside.
 *
 * Tests that once exposed emulator bugs say so in a comment; they now guard
 * the fixes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import { noopPolicy } from "../core/_noop_policy.ts";
import type { Policy } from "../core/policy.ts";
import { hog, script, type ScriptStep } from "../core/behaviors.ts";
import { type CostProfile, IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { type AgentAttachment, Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import {
  AGENT_FLAG,
  MSG,
  MSG_NAMES,
  TARGET,
  TXN,
  TXN_NAMES,
  type TxnOutcome,
} from "../core/ghost_abi.ts";
import { Kernel } from "../core/kernel.ts";
import {
  type MessageQueue,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_RUNNABLE,
  MSG_FLAG_WAS_CURRENT,
  MSG_FLAG_WAS_LATCHED,
} from "../core/message_queue.ts";
import { type Action, type Behavior, type Thread, WaitQueue } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { FifoCentralized } from "../policies/fifo_centralized.ts";

/** CPU of the notional global agent that commits in the direct tests (in the enclave). */
const AGENT_CPU = 0;
/** The enclave's CPUs in the direct tests. */
const ENCLAVE_CPUS = [0, 1, 2];
/** A CPU of the machine outside the enclave. */
const OUTSIDE_CPU = 3;

/** A message as read from a queue (queues reuse their read object). */
interface SeenMessage {
  type: number;
  gtid: number;
  seqnum: number;
  cpu: number;
  flags: number;
  time: number;
}

/** An agent attachment that does nothing but count the calls it gets. */
class StubAgent implements AgentAttachment {
  polls = 0;
  boosts: number[] = [];
  destroyedCalls = 0;

  poll(): void {
    this.polls++;
  }

  cpuAvailable(_cpu: number): void {}

  boost(cpu: number): void {
    this.boosts.push(cpu);
  }

  destroyed(): void {
    this.destroyedCalls++;
  }
}

/** Options of {@link rig}. */
interface RigOptions {
  /** The machine. @default four flat CPUs */
  topology?: Topology;
  /** The enclave's CPUs. @default ENCLAVE_CPUS */
  enclaveCpus?: readonly number[];
  /** Slots per queue. @default 65536 */
  queueCapacity?: number;
  /** Watchdog timeout, ns; 0 disables it. @default 0 */
  runnableTimeoutNs?: number;
  /** Whether to create a default queue and attach a {@link StubAgent}. @default true */
  stub?: boolean;
  /** Kernel costs. @default IDEAL_COSTS */
  costs?: CostProfile;
}

/** An engine, a kernel, an enclave, and (with `stub`) its default queue and stand-in agent. */
function rig(options: RigOptions = {}) {
  const engine = new Engine(1);
  const topology = options.topology ?? new Topology({ name: "four", coresPerLlc: 4 });
  const kernel = new Kernel(engine, { topology, costs: options.costs ?? IDEAL_COSTS });
  const enclave = new Enclave(kernel, {
    cpus: options.enclaveCpus ?? ENCLAVE_CPUS,
    ...(options.queueCapacity === undefined ? {} : { queueCapacity: options.queueCapacity }),
    ...(options.runnableTimeoutNs === undefined
      ? {}
      : { runnableTimeoutNs: options.runnableTimeoutNs }),
  });
  const agent = new StubAgent();
  let queue: MessageQueue | null = null;
  if (options.stub ?? true) {
    queue = enclave.createQueue();
    enclave.setDefaultQueue(queue);
    enclave.attach(agent);
  }
  return { engine, kernel, enclave, agent, queue: queue! };
}

/** Spawns a ghost-class thread in the enclave. */
function spawnGhost(kernel: Kernel, enclave: Enclave, behavior: Behavior, name: string): Thread {
  return kernel.spawn(behavior, { name, schedClass: "ghost", ghost: enclave });
}

/** A thread that runs `steps` and then computes for a long time (1 s chunks). */
function thenHog(steps: readonly ScriptStep[]): Behavior {
  const head = script(steps, false);
  let index = 0;
  const tail = hog();
  return {
    next(thread: Thread): Action {
      if (index++ < steps.length) return head.next(thread);
      return tail.next(thread);
    },
  };
}

/** Reads every unread message of a queue. */
function drain(queue: MessageQueue): SeenMessage[] {
  const out: SeenMessage[] = [];
  for (let msg = queue.peek(); msg !== null; msg = queue.peek()) {
    out.push({
      type: msg.type,
      gtid: msg.gtid,
      seqnum: msg.seqnum,
      cpu: msg.cpu,
      flags: msg.flags,
      time: msg.time,
    });
    queue.pop();
  }
  return out;
}

/** Message type names, for readable assertion failures. */
function names(messages: readonly SeenMessage[]): string[] {
  return messages.map((m) => MSG_NAMES[m.type] ?? String(m.type));
}

/** Asserts an outcome, by name so a failure reads well. */
function assertOutcome(actual: TxnOutcome, expected: TxnOutcome, what = "outcome"): void {
  assert.equal(TXN_NAMES[actual], TXN_NAMES[expected], what);
}

/** Opens and sync-commits one transaction (a remote one unless `cpu` is `agentCpu`). */
function commitOne(
  enclave: Enclave,
  cpu: number,
  gtid: number,
  barrier: number,
  options: { agentCpu?: number; agentBarrier?: number; readyAt?: number } = {},
): TxnOutcome {
  const now = enclave.kernel.engine.now;
  enclave.open(cpu, {
    gtid,
    barrier,
    agentCpu: options.agentCpu ?? AGENT_CPU,
    agentBarrier: options.agentBarrier ?? -1,
  });
  enclave.commit([cpu], { syncGroup: true, readyAt: options.readyAt ?? now });
  return enclave.outcome(cpu);
}

// ---- transaction outcomes --------------------------------------------------

Deno.test("commit of a runnable thread to an idle enclave CPU returns COMPLETE and runs it there", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assert.equal(thread.barrier, 1, "TASK_NEW sets the barrier to 1");
  enclave.open(1, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU });
  assert.equal(enclave.isOpen(1), true);
  assertOutcome(enclave.outcome(1), TXN.OPEN);
  assert.equal(enclave.commit([1], { syncGroup: true }), 1);
  assertOutcome(enclave.outcome(1), TXN.COMPLETE);
  assert.equal(enclave.isOpen(1), false);
  assert.equal(thread.latchedCpu, 1);
  engine.run({ until: MS });
  assert.equal(kernel.cpus[1]!.curr, thread);
  assert.equal(thread.cpu, 1);
  assert.equal(thread.state, "running");
  kernel.flushAccounting();
  assert.equal(thread.cpuTime, MS);
  kernel.checkInvariants();
});

Deno.test("a remote commit runs the thread when its IPI arrives, after the target-side cost", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  enclave.open(2, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU });
  assert.equal(enclave.commit([2], { syncGroup: true, readyAt: 5 * US, targetCost: 1 * US }), 1);
  engine.run({ until: 5 * US - 1 });
  assert.equal(kernel.cpus[2]!.curr, null, "not before the IPI");
  assert.equal(thread.latchedCpu, 2);
  engine.run({ until: 5 * US });
  assert.equal(kernel.cpus[2]!.curr, thread);
  engine.run({ until: 10 * US });
  kernel.flushAccounting();
  assert.equal(thread.cpuTime, 4 * US, "runs from IPI + cost");
  assert.equal(kernel.cpus[2]!.overheadNs, 1 * US);
  kernel.checkInvariants();
});

Deno.test("commit with an old task barrier returns TARGET_STALE", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(
    kernel,
    enclave,
    thenHog([{ compute: 10 * US }, { sleep: 10 * US }]),
    "t",
  );
  const seen = thread.barrier;
  assertOutcome(commitOne(enclave, 1, thread.id, seen), TXN.COMPLETE);
  engine.run({ until: 30 * US });
  // TASK_BLOCKED at 10 us and TASK_WAKEUP at 20 us moved the barrier on.
  assert.equal(thread.state, "runnable");
  assert.equal(thread.barrier, seen + 2);
  assertOutcome(commitOne(enclave, 1, thread.id, seen), TXN.TARGET_STALE, "old barrier");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier + 1), TXN.TARGET_STALE, "future");
  assert.equal(thread.latchedCpu, -1, "a failed commit latches nothing");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE, "current");
  kernel.checkInvariants();
});

Deno.test("commit of a dead thread returns TARGET_STALE", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(kernel, enclave, script([{ compute: 10 * US }]), "t");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: 20 * US });
  assert.equal(thread.state, "dead");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.TARGET_STALE);
  assertOutcome(commitOne(enclave, 2, thread.id, thread.barrier), TXN.TARGET_STALE);
  assert.equal(kernel.cpus[1]!.curr, null);
  kernel.checkInvariants();
});

Deno.test("commit of a blocked thread returns TARGET_NOT_RUNNABLE", () => {
  const { engine, kernel, enclave } = rig();
  const gate = new WaitQueue("gate");
  const thread = spawnGhost(kernel, enclave, thenHog([{ compute: 10 * US }, { wait: gate }]), "t");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: 20 * US });
  assert.equal(thread.state, "blocked");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.TARGET_NOT_RUNNABLE);
  assertOutcome(commitOne(enclave, 2, thread.id, thread.barrier), TXN.TARGET_NOT_RUNNABLE);
  kernel.wakeOne(gate, -1);
  assertOutcome(commitOne(enclave, 2, thread.id, thread.barrier), TXN.COMPLETE, "once woken");
  engine.run({ until: 30 * US });
  assert.equal(thread.cpu, 2);
  kernel.checkInvariants();
});

Deno.test("commit of a thread running on another CPU returns TARGET_ONCPU", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: 10 * US });
  assert.equal(thread.cpu, 1);
  assertOutcome(commitOne(enclave, 2, thread.id, thread.barrier), TXN.TARGET_ONCPU);
  engine.run({ until: 20 * US });
  assert.equal(thread.cpu, 1, "keeps its CPU");
  assert.equal(kernel.cpus[2]!.curr, null);
  kernel.checkInvariants();
});

Deno.test("commit of a thread latched on another CPU returns TARGET_ONCPU", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(
    commitOne(enclave, 1, thread.id, thread.barrier, { readyAt: 50 * US }),
    TXN.COMPLETE,
  );
  assert.equal(thread.latchedCpu, 1);
  assert.equal(thread.state, "runnable");
  assertOutcome(commitOne(enclave, 2, thread.id, thread.barrier), TXN.TARGET_ONCPU);
  engine.run({ until: 60 * US });
  assert.equal(thread.cpu, 1);
  assert.equal(kernel.cpus[2]!.curr, null);
  kernel.checkInvariants();
});

Deno.test("a commit that replaces a latched thread reports it preempted: was latched, not by the kernel", () => {
  const { engine, kernel, enclave, queue } = rig();
  const first = spawnGhost(kernel, enclave, hog(), "first");
  const second = spawnGhost(kernel, enclave, hog(), "second");
  drain(queue);
  assertOutcome(
    commitOne(enclave, 1, first.id, first.barrier, { readyAt: 50 * US }),
    TXN.COMPLETE,
  );
  assertOutcome(commitOne(enclave, 1, second.id, second.barrier), TXN.COMPLETE);
  assert.equal(first.latchedCpu, -1, "no longer latched");
  assert.equal(first.state, "runnable");
  const seen = drain(queue);
  assert.deepEqual(names(seen), ["TASK_PREEMPT"]);
  assert.equal(seen[0]!.gtid, first.id);
  assert.equal(seen[0]!.cpu, 1);
  assert.equal(seen[0]!.flags, MSG_FLAG_WAS_LATCHED);
  engine.run({ until: 60 * US });
  assert.equal(second.cpu, 1);
  assert.equal(first.cpu, -1);
  kernel.checkInvariants();
});

// ghost.md: "TARGET_ONCPU (still running elsewhere)"; core/ghost_abi.ts: "The
// thread still runs on another CPU". Committing a thread to the CPU it already
// runs on is not "elsewhere": it should complete and leave it running.
Deno.test({
  name: "commit of a thread to the CPU it runs on completes and keeps it running",
  // Regression test, fixed in core (it used to fail): Enclave validation returns TARGET_ONCPU for any running
  // thread, also one running on the commit's own CPU (not "elsewhere").
  fn() {
    const { engine, kernel, enclave } = rig();
    const thread = spawnGhost(kernel, enclave, hog(), "t");
    assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
    engine.run({ until: 10 * US });
    assert.equal(thread.cpu, 1);
    assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
    engine.run({ until: 20 * US });
    assert.equal(thread.cpu, 1);
    kernel.checkInvariants();
  },
});

Deno.test("commit with an agent barrier older than the agent's status word returns AGENT_STALE", () => {
  const { kernel, enclave, engine } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  // A queue linked to CPU 1: each message on it bumps agent 1's barrier.
  const linked = enclave.createQueue();
  enclave.configQueueWakeup(linked, [1]);
  const read = enclave.agentBarrier[1]!;
  enclave.setDefaultQueue(linked);
  spawnGhost(kernel, enclave, hog(), "newcomer"); // TASK_NEW on the linked queue
  assert.equal(linked.size, 1);
  assert.equal(enclave.agentBarrier[1], read + 1, "the message bumped the agent barrier");
  assertOutcome(
    commitOne(enclave, 1, thread.id, thread.barrier, { agentCpu: 1, agentBarrier: read }),
    TXN.AGENT_STALE,
  );
  assert.equal(thread.latchedCpu, -1);
  // After reading its messages (and the new barrier) the same local commit completes.
  assertOutcome(
    commitOne(enclave, 1, thread.id, thread.barrier, {
      agentCpu: 1,
      agentBarrier: enclave.agentBarrier[1]!,
    }),
    TXN.COMPLETE,
  );
  engine.run({ until: 10 * US });
  assert.equal(thread.cpu, 1);
  kernel.checkInvariants();
});

Deno.test("commit to a CPU where a fair thread runs or waits returns CPU_UNAVAIL", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  const fair = kernel.spawn(hog(), { name: "fair", affinity: [1] });
  const pair = [0, 1].map((i) => kernel.spawn(hog(), { name: `fair2${i}`, affinity: [2] }));
  engine.run({ until: 10 * US });
  assert.equal(fair.cpu, 1);
  assert.deepEqual(pair.map((t) => t.state).sort(), ["runnable", "running"], "one waits on CPU 2");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.CPU_UNAVAIL, "running");
  assertOutcome(commitOne(enclave, 2, thread.id, thread.barrier), TXN.CPU_UNAVAIL, "queued");
  assert.equal(thread.latchedCpu, -1);
  assertOutcome(commitOne(enclave, 0, thread.id, thread.barrier), TXN.COMPLETE, "free CPU 0");
  kernel.checkInvariants();
});

Deno.test("commit to a CPU outside the enclave returns INVALID_CPU", () => {
  const { engine, kernel, enclave } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(commitOne(enclave, OUTSIDE_CPU, thread.id, thread.barrier), TXN.INVALID_CPU);
  assertOutcome(commitOne(enclave, OUTSIDE_CPU, TARGET.IDLE, 0), TXN.INVALID_CPU, "idle target");
  assert.equal(thread.latchedCpu, -1);
  engine.run({ until: 10 * US });
  assert.equal(kernel.cpus[OUTSIDE_CPU]!.curr, null);
  assert.throws(
    () => enclave.open(4, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU }),
    RangeError,
  );
  assert.throws(
    () => enclave.open(-1, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU }),
    RangeError,
  );
});

Deno.test("commit of an unknown gtid or of a fair thread returns INVALID_TARGET", () => {
  const { kernel, enclave } = rig();
  const fair = kernel.spawn(hog(), { name: "fair" });
  assertOutcome(commitOne(enclave, 1, 9999, 1), TXN.INVALID_TARGET, "no such thread");
  assertOutcome(commitOne(enclave, 1, fair.id, fair.barrier), TXN.INVALID_TARGET, "fair thread");
  assertOutcome(commitOne(enclave, 1, 0, 0), TXN.INVALID_TARGET, "gtid 0");
});

Deno.test("commit with no agent attached, or after the agent detaches, returns NO_AGENT", () => {
  const { engine, kernel, enclave } = rig({ stub: false });
  const queue = enclave.createQueue();
  enclave.setDefaultQueue(queue);
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.NO_AGENT, "never attached");
  assertOutcome(commitOne(enclave, 1, TARGET.IDLE, 0), TXN.NO_AGENT, "idle target");
  const agent = new StubAgent();
  enclave.attach(agent);
  assert.equal(enclave.attached, true);
  enclave.detach(agent);
  assert.equal(enclave.attached, false);
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.NO_AGENT, "detached");
  engine.run({ until: 10 * US });
  assert.equal(thread.state, "runnable");
  // The enclave survives a detach: a new agent can attach and commit.
  enclave.attach(new StubAgent());
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE, "re-attached");
  kernel.checkInvariants();
});

Deno.test("a sync group with one failing transaction poisons the valid ones and applies none", () => {
  const { engine, kernel, enclave } = rig();
  const a = spawnGhost(kernel, enclave, hog(), "a");
  const b = spawnGhost(kernel, enclave, hog(), "b");
  const c = spawnGhost(kernel, enclave, hog(), "c");
  enclave.open(0, { gtid: a.id, barrier: a.barrier, agentCpu: AGENT_CPU });
  enclave.open(1, { gtid: b.id, barrier: b.barrier, agentCpu: AGENT_CPU });
  enclave.open(2, { gtid: c.id, barrier: c.barrier - 1, agentCpu: AGENT_CPU }); // stale
  assert.equal(enclave.commit([0, 1, 2], { syncGroup: true }), 0);
  assertOutcome(enclave.outcome(0), TXN.POISONED, "cpu 0");
  assertOutcome(enclave.outcome(1), TXN.POISONED, "cpu 1");
  assertOutcome(enclave.outcome(2), TXN.TARGET_STALE, "cpu 2");
  assert.equal(a.latchedCpu, -1);
  assert.equal(b.latchedCpu, -1);
  engine.run({ until: 10 * US });
  for (const cpu of ENCLAVE_CPUS) assert.equal(kernel.cpus[cpu]!.curr, null, `cpu ${cpu}`);
  assert.equal(enclave.stats.outcomes[TXN.POISONED], 2);
  kernel.checkInvariants();
});

Deno.test("an async group applies its valid transactions and fails only the invalid one", () => {
  const { engine, kernel, enclave } = rig();
  const a = spawnGhost(kernel, enclave, hog(), "a");
  const b = spawnGhost(kernel, enclave, hog(), "b");
  enclave.open(1, { gtid: a.id, barrier: a.barrier, agentCpu: AGENT_CPU });
  enclave.open(2, { gtid: b.id, barrier: b.barrier + 5, agentCpu: AGENT_CPU }); // stale
  assert.equal(enclave.commit([1, 2]), 1);
  assertOutcome(enclave.outcome(1), TXN.COMPLETE);
  assertOutcome(enclave.outcome(2), TXN.TARGET_STALE);
  engine.run({ until: 10 * US });
  assert.equal(a.cpu, 1);
  assert.equal(kernel.cpus[2]!.curr, null);
  kernel.checkInvariants();
});

Deno.test("re-opening a slot with an open transaction aborts the old one", () => {
  const { engine, kernel, enclave } = rig();
  const a = spawnGhost(kernel, enclave, hog(), "a");
  const b = spawnGhost(kernel, enclave, hog(), "b");
  enclave.open(1, { gtid: a.id, barrier: a.barrier, agentCpu: AGENT_CPU });
  enclave.open(1, { gtid: b.id, barrier: b.barrier, agentCpu: AGENT_CPU });
  assert.equal(enclave.stats.outcomes[TXN.ABORTED], 1, "the first transaction ended ABORTED");
  assert.equal(enclave.isOpen(1), true, "the new one is open");
  assertOutcome(enclave.outcome(1), TXN.OPEN);
  assert.equal(enclave.commit([1], { syncGroup: true }), 1);
  assertOutcome(enclave.outcome(1), TXN.COMPLETE);
  engine.run({ until: 10 * US });
  assert.equal(b.cpu, 1, "the newer transaction ran");
  assert.equal(a.state, "runnable");
  assert.equal(a.latchedCpu, -1, "the aborted one was not applied");
  assert.throws(() => enclave.commit([1], { syncGroup: true }), Error, "no open transaction");
  kernel.checkInvariants();
});

// ghost.md: a failed commit is a return value, not an exception. The second
// transaction finds the thread latched by the first: TARGET_ONCPU.
Deno.test({
  name: "a group naming one thread on two CPUs runs it on one and fails the other as a value",
  // Regression test, fixed in core (it used to fail): Enclave.commit validates every transaction of the group
  // before applying any, so both validate COMPLETE and applying the second
  // throws "Thread 1 (runnable) cannot be latched on CPU 2" from Kernel.latch.
  fn() {
    const { engine, kernel, enclave } = rig();
    const thread = spawnGhost(kernel, enclave, hog(), "t");
    enclave.open(1, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU });
    enclave.open(2, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU });
    let completed = -1;
    assert.doesNotThrow(() => {
      completed = enclave.commit([1, 2]);
    });
    assert.equal(completed, 1);
    const outcomes = [enclave.outcome(1), enclave.outcome(2)].map((o) => TXN_NAMES[o]).sort();
    assert.deepEqual(outcomes, ["COMPLETE", "TARGET_ONCPU"]);
    engine.run({ until: 10 * US });
    assert.ok(thread.cpu === 1 || thread.cpu === 2);
    kernel.checkInvariants();
  },
});

Deno.test("a group of 24 transactions runs each repeated thread once, on its first CPU", () => {
  const cpus = Array.from({ length: 24 }, (_, i) => i + 1);
  const { engine, kernel, enclave } = rig({
    topology: new Topology({ name: "twenty-five", coresPerLlc: 25 }),
    enclaveCpus: [0, ...cpus],
  });
  const threads = cpus.map((cpu) => spawnGhost(kernel, enclave, hog(), `t${cpu}`));
  // CPUs 1..24 get threads 0..23, except that CPUs 5, 9 and 20 repeat the
  // threads of CPUs 4, 2 and 4: the later ones fail, the rest complete.
  const repeats = new Map([[5, 3], [9, 1], [20, 3]]);
  for (const cpu of cpus) {
    const thread = threads[repeats.get(cpu) ?? cpu - 1]!;
    enclave.open(cpu, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU });
  }
  assert.equal(enclave.commit(cpus), cpus.length - repeats.size);
  for (const cpu of cpus) {
    assertOutcome(
      enclave.outcome(cpu),
      repeats.has(cpu) ? TXN.TARGET_ONCPU : TXN.COMPLETE,
      `CPU ${cpu}`,
    );
  }
  engine.run({ until: 10 * US });
  assert.equal(threads[3]!.cpu, 4);
  assert.equal(threads[1]!.cpu, 2);
  kernel.checkInvariants();
});

Deno.test("commit of TARGET.IDLE completes and takes a latched thread off the CPU", () => {
  const { engine, kernel, enclave, queue } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(commitOne(enclave, 2, TARGET.IDLE, 0), TXN.COMPLETE, "on an idle CPU");
  assertOutcome(
    commitOne(enclave, 1, thread.id, thread.barrier, { readyAt: 50 * US }),
    TXN.COMPLETE,
  );
  assert.equal(thread.latchedCpu, 1);
  drain(queue);
  assertOutcome(commitOne(enclave, 1, TARGET.IDLE, 0), TXN.COMPLETE, "over a latched thread");
  assert.equal(thread.latchedCpu, -1);
  const messages = drain(queue);
  assert.deepEqual(names(messages), ["TASK_PREEMPT"]);
  assert.equal(messages[0]!.gtid, thread.id);
  assert.equal(messages[0]!.cpu, 1);
  assert.ok((messages[0]!.flags & MSG_FLAG_WAS_LATCHED) !== 0, "was latched");
  assert.equal(messages[0]!.flags & MSG_FLAG_BY_KERNEL, 0, "by the agent");
  assert.equal(messages[0]!.seqnum, thread.barrier);
  engine.run({ until: 100 * US });
  assert.equal(kernel.cpus[1]!.curr, null, "CPU 1 stays idle");
  assert.equal(thread.state, "runnable");
  kernel.checkInvariants();
});

Deno.test("commit of TARGET.AGENT completes and wakes that CPU's agent", () => {
  const { engine, kernel, enclave } = rig();
  const sleep = new WaitQueue("agent2.sleep");
  let runs = 0;
  const agent = kernel.spawn({
    next(thread: Thread): Action {
      runs++;
      thread.waitOn = sleep;
      return "wait";
    },
  }, { name: "agent2", affinity: [2], schedClass: "agent", ghost: enclave });
  engine.run({ until: 10 * US });
  assert.equal(agent.state, "blocked");
  assert.equal(runs, 1);
  assertOutcome(commitOne(enclave, 2, TARGET.AGENT, 0), TXN.COMPLETE);
  assert.equal(agent.state, "runnable", "the ping woke the agent");
  engine.run({ until: 20 * US });
  assert.equal(runs, 2);
  assertOutcome(commitOne(enclave, 1, TARGET.AGENT, 0), TXN.COMPLETE, "a CPU with no agent");
  kernel.checkInvariants();
});

// ghost.md: the agent status word's barrier is "bumped by CPU messages and pings".
Deno.test({
  name: "a TARGET.AGENT commit (a ping) bumps that CPU's agent barrier",
  // Regression test, fixed in core (it used to fail): Enclave's TARGET.AGENT commit wakes the agent but leaves
  // agentBarrier[cpu] unchanged.
  fn() {
    const { enclave } = rig();
    const before = enclave.agentBarrier[2]!;
    assertOutcome(commitOne(enclave, 2, TARGET.AGENT, 0), TXN.COMPLETE);
    assert.ok(enclave.agentBarrier[2]! > before, "the ping moved the agent barrier");
  },
});

Deno.test("commit of a thread whose enclave was destroyed returns NO_AGENT and the thread runs in CFS", () => {
  const { engine, kernel, enclave, agent } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  enclave.destroy();
  assert.equal(agent.destroyedCalls, 1);
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.NO_AGENT);
  assert.equal(thread.schedClass, "fair");
  engine.run({ until: 10 * US });
  assert.equal(thread.state, "running");
  kernel.checkInvariants();
});

// ---- messages ----------------------------------------------------------------

/**
 * A stand-in global agent with no agent thread: it reads every message as
 * it is produced (recording the task's status-word barrier at that moment)
 * and, from an engine event, commits runnable threads in FIFO order to the
 * free enclave CPUs other than its own.
 */
class DirectAgent implements AgentAttachment {
  /** Every message read, with the task's barrier when it was read. */
  readonly log: (SeenMessage & { barrier: number })[] = [];
  readonly #enclave: Enclave;
  readonly #threads: Map<number, Thread>;
  readonly #runnable: number[] = [];
  readonly #kind: number;
  #pending = false;

  constructor(enclave: Enclave, threads: Map<number, Thread>) {
    this.#enclave = enclave;
    this.#threads = threads;
    const engine = enclave.kernel.engine;
    this.#kind = engine.register("test.decide", () => this.#decide());
  }

  poll(): void {
    for (const queue of this.#enclave.queues) {
      for (const msg of drain(queue)) {
        const thread = this.#enclave.tasks.get(msg.gtid) ?? this.#threads.get(msg.gtid);
        this.log.push({ ...msg, barrier: thread?.barrier ?? -1 });
        const runnable = msg.type === MSG.TASK_WAKEUP || msg.type === MSG.TASK_PREEMPT ||
          msg.type === MSG.TASK_YIELD ||
          (msg.type === MSG.TASK_NEW && (msg.flags & MSG_FLAG_RUNNABLE) !== 0);
        if (runnable) this.#runnable.push(msg.gtid);
      }
    }
    if (!this.#pending) {
      this.#pending = true;
      this.#enclave.kernel.engine.after(0, this.#kind);
    }
  }

  cpuAvailable(_cpu: number): void {}

  boost(): void {}

  destroyed(): void {}

  #decide(): void {
    this.#pending = false;
    const enclave = this.#enclave;
    const kernel = enclave.kernel;
    for (const cpu of enclave.cpus) {
      if (cpu === AGENT_CPU) continue;
      const state = kernel.cpus[cpu]!;
      if (state.curr !== null || state.latched !== null || state.rq.size > 0) continue;
      let thread: Thread | undefined;
      while (this.#runnable.length > 0 && thread === undefined) {
        const candidate = enclave.tasks.get(this.#runnable.shift()!);
        if (candidate?.state === "runnable" && candidate.latchedCpu < 0) thread = candidate;
      }
      if (thread === undefined) return;
      enclave.open(cpu, { gtid: thread.id, barrier: thread.barrier, agentCpu: AGENT_CPU });
      enclave.commit([cpu], {
        syncGroup: true,
        readyAt: kernel.engine.now + 500,
        targetCost: 1000,
      });
      if (enclave.outcome(cpu) !== TXN.COMPLETE) {
        this.#runnable.unshift(thread.id);
        return;
      }
    }
  }
}

Deno.test("a thread's messages arrive in order with seqnums 1, 2, 3... equal to its barrier", () => {
  const { engine, kernel, enclave } = rig({ stub: false });
  const queue = enclave.createQueue();
  enclave.setDefaultQueue(queue);
  const threads = new Map<number, Thread>();
  const agent = new DirectAgent(enclave, threads);
  enclave.attach(agent);
  const gate = new WaitQueue("gate");
  const programs: ScriptStep[][] = [
    [{ compute: 30 * US }, { yield: true }, { compute: 30 * US }, { sleep: 50 * US }, {
      compute: 20 * US,
    }],
    [{ compute: 40 * US }, { wait: gate }, { compute: 40 * US }, { yield: true }, {
      compute: 10 * US,
    }],
    [{ compute: 600 * US }],
    [{ compute: 10 * US }, { sleep: 10 * US }, { compute: 10 * US }, { wait: gate }],
    [{ yield: true }, { compute: 300 * US }, { sleep: 20 * US }, { compute: 300 * US }],
  ];
  for (const [i, steps] of programs.entries()) {
    const thread = spawnGhost(kernel, enclave, script(steps), `g${i}`);
    threads.set(thread.id, thread);
  }
  // A fair thread on CPUs 1 and 2 preempts ghOSt threads now and then.
  let rounds = 0;
  kernel.spawn({
    next(thread: Thread): Action {
      if (rounds >= 12) return "exit";
      rounds++;
      thread.stepNs = rounds % 2 === 1 ? 70 * US : 20 * US;
      return rounds % 2 === 1 ? "sleep" : "compute";
    },
  }, { name: "fair", affinity: [1, 2] });
  const waker = engine.register("test.waker", () => {
    while (kernel.wakeOne(gate, -1) !== null) { /* wake all */ }
    engine.after(100 * US, waker);
  });
  engine.after(100 * US, waker);
  engine.run({ until: 5 * MS });
  kernel.checkInvariants();
  for (const thread of threads.values()) assert.equal(thread.state, "dead", thread.name);

  const byTask = new Map<number, (SeenMessage & { barrier: number })[]>();
  for (const msg of agent.log) {
    const list = byTask.get(msg.gtid) ?? [];
    list.push(msg);
    byTask.set(msg.gtid, list);
  }
  const types = new Set<string>();
  for (const [gtid, list] of byTask) {
    const kinds = names(list);
    for (const kind of kinds) types.add(kind);
    assert.equal(kinds[0], "TASK_NEW", `gtid ${gtid}: ${kinds}`);
    for (const [i, msg] of list.entries()) {
      assert.equal(msg.seqnum, i + 1, `gtid ${gtid} message ${i}: ${kinds}`);
      assert.equal(msg.seqnum, msg.barrier, `gtid ${gtid}: seqnum equals the status-word barrier`);
    }
    assert.equal(list.at(-1)!.seqnum, threads.get(gtid)!.barrier);
  }
  for (
    const kind of [
      "TASK_NEW",
      "TASK_WAKEUP",
      "TASK_BLOCKED",
      "TASK_PREEMPT",
      "TASK_YIELD",
      "TASK_DEAD",
    ]
  ) {
    assert.ok(types.has(kind), `the scenario should produce ${kind}: got ${[...types]}`);
  }
  assert.ok(
    agent.log.some((m) => m.type === MSG.TASK_PREEMPT && (m.flags & MSG_FLAG_BY_KERNEL) !== 0),
    "a fair thread preempted a ghOSt thread",
  );
});

Deno.test("an exiting thread produces TASK_BLOCKED then TASK_DEAD, its last messages", () => {
  const { engine, kernel, enclave, queue } = rig();
  const thread = spawnGhost(kernel, enclave, script([{ compute: 10 * US }]), "t");
  let exited: Thread | null = null;
  kernel.onThreadExit = (t) => {
    exited = t;
  };
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: 50 * US });
  assert.equal(exited, thread);
  const messages = drain(queue);
  assert.deepEqual(names(messages), ["TASK_NEW", "TASK_BLOCKED", "TASK_DEAD"]);
  assert.deepEqual(messages.map((m) => m.seqnum), [1, 2, 3]);
  assert.equal(messages[1]!.cpu, 1);
  assert.equal(messages[1]!.time, 10 * US);
  assert.equal(messages[2]!.time, 10 * US);
  assert.equal(enclave.tasks.has(thread.id), false);
  kernel.checkInvariants();
});

/**
 * Runs a ghost thread on CPU 1 whose step `last` (a sleep or a yield) falls
 * at the same instant as the wakeup of a fair thread pinned to CPU 1, the
 * fair thread's wakeup event queued before or after the ghost thread's step.
 * Returns the ghost thread's messages.
 */
function raceWithFairWakeup(last: ScriptStep, fairFirst: boolean): SeenMessage[] {
  const { engine, kernel, enclave, queue } = rig();
  const at = 10 * US;
  const gate = new WaitQueue("gate");
  const fair = kernel.spawn(script([{ wait: gate }, { compute: 5 * US }]), {
    name: "fair",
    affinity: [1],
  });
  engine.run({ until: 0 });
  assert.equal(fair.state, "blocked");
  const waker = engine.register("test.wake-fair", () => {
    kernel.wakeOne(gate, -1);
  });
  if (fairFirst) engine.at(at, waker);
  // With free costs a yield's system call takes 1 ns.
  const lead = "yield" in last ? 1 : 0;
  const thread = spawnGhost(kernel, enclave, thenHog([{ compute: at - lead }, last]), "t");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: at - 1 });
  assert.equal(thread.cpu, 1);
  if (!fairFirst) engine.at(at, waker);
  engine.run({ until: 50 * US });
  assert.equal(fair.state, "dead", "the fair thread ran");
  assert.equal(fair.cpuTime, 5 * US);
  kernel.checkInvariants();
  const messages = drain(queue).filter((m) => m.gtid === thread.id);
  assert.equal(messages.at(-1)!.time, at, "the switch happened at the race's instant");
  return messages;
}

Deno.test("a thread that blocks as a fair thread wakes on its CPU produces TASK_BLOCKED and no TASK_PREEMPT", () => {
  for (const fairFirst of [true, false]) {
    const messages = raceWithFairWakeup({ sleep: 100 * US }, fairFirst);
    assert.deepEqual(names(messages), ["TASK_NEW", "TASK_BLOCKED"], `fair first: ${fairFirst}`);
    assert.equal(messages[1]!.cpu, 1);
  }
});

Deno.test("a thread that yields as a fair thread wakes on its CPU produces TASK_YIELD and no TASK_PREEMPT", () => {
  for (const fairFirst of [true, false]) {
    const messages = raceWithFairWakeup({ yield: true }, fairFirst);
    assert.deepEqual(names(messages), ["TASK_NEW", "TASK_YIELD"], `fair first: ${fairFirst}`);
    assert.equal(messages[1]!.cpu, 1);
  }
});

Deno.test("a full queue counts every dropped message as an overflow, never silently", () => {
  const { kernel, enclave, queue } = rig({ queueCapacity: 4 });
  assert.equal(queue.capacity, 4);
  const threads = Array.from({ length: 6 }, (_, i) => spawnGhost(kernel, enclave, hog(), `t${i}`));
  assert.equal(queue.size, 4);
  assert.equal(queue.overflows, 2);
  assert.equal(enclave.overflows, 2);
  assert.equal(enclave.stats.overflows, 2);
  const kept = drain(queue);
  assert.deepEqual(kept.map((m) => m.gtid), threads.slice(0, 4).map((t) => t.id));
  assert.equal(enclave.stats.messages[MSG.TASK_NEW], 6, "the kernel produced all six");
  assert.equal(queue.produced, 4);
});

Deno.test("ASSOC_QUEUE moves a thread's messages to another queue and fails with an old barrier", () => {
  const { engine, kernel, enclave, queue } = rig();
  const other = enclave.createQueue();
  const thread = spawnGhost(
    kernel,
    enclave,
    thenHog([{ compute: 10 * US }, { sleep: 10 * US }]),
    "t",
  );
  assert.equal(enclave.associateQueue(thread.id, other, thread.barrier - 1), false, "stale");
  assert.equal(enclave.associateQueue(9999, other, 1), false, "unknown task");
  assert.equal(enclave.queueOf(thread.id), queue);
  assert.equal(enclave.associateQueue(thread.id, other, thread.barrier), true);
  assert.equal(enclave.queueOf(thread.id), other);
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: 30 * US });
  assert.deepEqual(names(drain(queue)), ["TASK_NEW"]);
  assert.deepEqual(names(drain(other)), ["TASK_BLOCKED", "TASK_WAKEUP"]);
});

Deno.test("depart sends TASK_DEPARTED and the thread keeps running under CFS", () => {
  const { engine, kernel, enclave, queue } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: 10 * US });
  enclave.depart(thread);
  const messages = drain(queue);
  assert.deepEqual(names(messages), ["TASK_NEW", "TASK_DEPARTED"]);
  assert.ok((messages[1]!.flags & MSG_FLAG_WAS_CURRENT) !== 0);
  assert.equal(thread.schedClass, "fair");
  assertOutcome(commitOne(enclave, 2, thread.id, thread.barrier), TXN.INVALID_TARGET);
  engine.run({ until: 20 * MS });
  kernel.flushAccounting();
  assert.equal(thread.cpuTime, 20 * MS);
  kernel.checkInvariants();
});

// ---- watchdog ------------------------------------------------------------------

/** A per-CPU policy that handles every message and never commits. */
function idlePolicy(): Policy {
  return noopPolicy("never-commits", "per-cpu");
}

Deno.test("the watchdog destroys an enclave whose agent never commits; threads move to CFS and run", () => {
  const timeout = 10 * MS;
  const { engine, kernel, enclave } = rig({ stub: false, runnableTimeoutNs: timeout });
  const agents = new AgentProcess(kernel, enclave, idlePolicy());
  agents.start();
  const agentThreads = [...kernel.threads()].filter((t) => t.schedClass === "agent");
  assert.equal(agentThreads.length, ENCLAVE_CPUS.length);
  const threads = [0, 1, 2].map((i) => spawnGhost(kernel, enclave, hog(), `t${i}`));
  engine.run({ until: timeout });
  assert.equal(enclave.destroyed, false, "not before the timeout");
  for (const t of threads) assert.equal(t.cpuTime, 0, "never scheduled");
  engine.run({ until: 20 * MS });
  assert.equal(enclave.destroyed, true);
  const at = enclave.stats.destroyedAt;
  assert.ok(at > timeout && at <= timeout * 1.5, `destroyed at ${at} ns`);
  assert.equal(agents.exited, true);
  for (const t of agentThreads) assert.equal(t.state, "dead", `${t.name} exited`);
  for (const t of threads) {
    assert.equal(t.schedClass, "fair", t.name);
    assert.equal(t.ghost, null, t.name);
  }
  kernel.flushAccounting();
  const before = threads.map((t) => t.cpuTime);
  engine.run({ until: 40 * MS });
  kernel.flushAccounting();
  for (const [i, t] of threads.entries()) {
    assert.ok(t.cpuTime - before[i]! >= 15 * MS, `${t.name} ran ${t.cpuTime - before[i]!} ns`);
  }
  kernel.checkInvariants();
});

Deno.test("the watchdog destroys an enclave that starves a thread; running and blocked threads go to CFS", () => {
  const timeout = 10 * MS;
  const { engine, kernel, enclave } = rig({ stub: false, runnableTimeoutNs: timeout });
  const agents = new AgentProcess(kernel, enclave, new FifoCentralized());
  agents.start();
  // The global agent holds CPU 0: CPUs 1 and 2 run two hogs, the third starves.
  const hogs = [0, 1, 2].map((i) => spawnGhost(kernel, enclave, hog(), `hog${i}`));
  let runs = 0;
  const sleeper = spawnGhost(kernel, enclave, {
    next(thread: Thread): Action {
      runs++;
      thread.stepNs = runs === 1 ? 15 * MS : 100 * US;
      return runs % 2 === 1 ? "sleep" : "compute";
    },
  }, "sleeper");
  engine.run({ until: 5 * MS });
  const starving = hogs.filter((t) => t.cpuTime === 0 && t.state === "runnable");
  assert.equal(starving.length, 1, "one hog starves");
  engine.run({ until: 20 * MS });
  assert.equal(enclave.destroyed, true);
  assert.ok(enclave.stats.destroyedAt <= 15 * MS, "destroyed before the sleeper woke");
  assert.equal(agents.exited, true);
  for (const t of [...hogs, sleeper]) assert.equal(t.schedClass, "fair", t.name);
  kernel.flushAccounting();
  const before = hogs.map((t) => t.cpuTime);
  engine.run({ until: 40 * MS });
  kernel.flushAccounting();
  for (const [i, t] of hogs.entries()) {
    assert.ok(t.cpuTime - before[i]! > 10 * MS, `${t.name} ran ${t.cpuTime - before[i]!} ns`);
  }
  assert.ok(runs > 3, "the sleeper woke as a fair thread and kept running");
  for (const cpu of kernel.cpus) assert.equal(cpu.agent, null, `no agent on CPU ${cpu.id}`);
  kernel.checkInvariants();
});

Deno.test("the watchdog does not count a latched thread, its IPI on the way, as unscheduled", () => {
  const { engine, kernel, enclave } = rig({ runnableTimeoutNs: MS });
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  engine.run({ until: 500 * US });
  assertOutcome(
    commitOne(enclave, 1, thread.id, thread.barrier, { readyAt: 5 * MS }),
    TXN.COMPLETE,
  );
  engine.run({ until: 4 * MS });
  assert.equal(enclave.destroyed, false, "latched, so scheduled");
  engine.run({ until: 6 * MS });
  assert.equal(thread.cpu, 1);
  assert.equal(enclave.destroyed, false);
  kernel.checkInvariants();
});

Deno.test("the watchdog leaves an enclave alone while its agent schedules every runnable thread", () => {
  const { engine, kernel, enclave } = rig({ stub: false, runnableTimeoutNs: 2 * MS });
  const agents = new AgentProcess(kernel, enclave, new FifoCentralized());
  agents.start();
  for (let i = 0; i < 2; i++) spawnGhost(kernel, enclave, hog(), `hog${i}`);
  for (let i = 0; i < 3; i++) {
    spawnGhost(kernel, enclave, script([{ compute: 50 * US }, { sleep: 300 * US }], true), `p${i}`);
  }
  engine.run({ until: 10 * MS });
  // Two hogs hold CPUs 1 and 2, so the sleepers starve: that is the watchdog's job.
  assert.equal(enclave.destroyed, true, "a starved sleeper trips the watchdog");

  const second = rig({ stub: false, runnableTimeoutNs: 2 * MS });
  const agents2 = new AgentProcess(second.kernel, second.enclave, new FifoCentralized());
  agents2.start();
  for (let i = 0; i < 3; i++) {
    spawnGhost(
      second.kernel,
      second.enclave,
      script([{ compute: 50 * US }, { sleep: 300 * US }], true),
      `p${i}`,
    );
  }
  second.engine.run({ until: 20 * MS });
  assert.equal(second.enclave.destroyed, false, "all threads get CPUs in time");
  assert.equal(agents2.exited, false);
  assert.ok(agents2.stats.decisions > 50);
  assert.equal(agents.exited, true);
  second.kernel.checkInvariants();
});

// ---- BOOST_PRIO and kernel preemption ------------------------------------------

Deno.test("BOOST_PRIO moves the global agent to the SMT sibling of its CPU", () => {
  const topology = new Topology({ name: "smt", coresPerLlc: 2, smt: 2 });
  const start = 2;
  const sibling = topology.cpu(start).siblings[0]!;
  assert.equal(sibling, 3, "CPUs 2 and 3 share a core");
  const { engine, kernel, enclave } = rig({ topology, enclaveCpus: [0, 1, 2, 3], stub: false });
  const agents = new AgentProcess(kernel, enclave, new FifoCentralized(), { globalCpu: start });
  agents.start();
  const hogs = [0, 1, 2].map((i) => spawnGhost(kernel, enclave, hog(), `hog${i}`));
  engine.run({ until: MS });
  assert.equal(agents.globalCpu, start);
  assert.deepEqual(hogs.map((t) => t.cpu).sort(), [0, 1, 3]);
  let ranOn = -1;
  const fair = kernel.spawn({
    next(thread: Thread): Action {
      if (ranOn >= 0) return "exit";
      ranOn = kernel.currentCpu;
      thread.stepNs = 100 * US;
      return "compute";
    },
  }, { name: "fair", affinity: [start] });
  engine.run({ until: 2 * MS });
  assert.equal(agents.stats.migrations, 1);
  assert.equal(agents.globalCpu, sibling, "moved to the SMT sibling first");
  assert.equal(ranOn, start);
  assert.equal(fair.state, "dead");
  assert.equal(fair.cpuTime, 100 * US);
  assert.equal(kernel.cpus[sibling]!.curr?.schedClass, "agent", "the global agent spins there");
  // The hog the agent displaced runs on the freed CPU.
  assert.deepEqual(hogs.map((t) => t.cpu).sort(), [0, 1, 2]);
  kernel.checkInvariants();
});

Deno.test("BOOST_PRIO moves the global agent within its LLC when the SMT sibling is busy", () => {
  const topology = new Topology({ name: "2llc", llcPerNuma: 2, coresPerLlc: 2, smt: 2 });
  const cpus = topology.cpus.map((c) => c.id);
  const start = 4;
  const sibling = topology.cpu(start).siblings[0]!;
  const { engine, kernel, enclave } = rig({ topology, enclaveCpus: cpus, stub: false });
  const agents = new AgentProcess(kernel, enclave, new FifoCentralized(), { globalCpu: start });
  agents.start();
  kernel.spawn(hog(), { name: "busy-sibling", affinity: [sibling] });
  for (let i = 0; i < 3; i++) spawnGhost(kernel, enclave, hog(), `hog${i}`);
  engine.run({ until: MS });
  const fair = kernel.spawn(script([{ compute: 100 * US }]), { name: "fair", affinity: [start] });
  engine.run({ until: 2 * MS });
  assert.equal(agents.stats.migrations, 1);
  const moved = agents.globalCpu;
  assert.notEqual(moved, start);
  assert.notEqual(moved, sibling, "the sibling runs a fair thread");
  assert.equal(topology.cpu(moved).llc, topology.cpu(start).llc, `moved to CPU ${moved}`);
  assert.equal(fair.state, "dead");
  kernel.checkInvariants();
});

// ghost.md: "When a CFS thread needs the global agent's CPU (BOOST_PRIO), the
// global agent moves to another enclave CPU."
Deno.test({
  name: "a fair thread queued on the global agent's CPU before the agent runs gets the CPU",
  // Regression test, fixed in core (it used to fail): the kernel raises BOOST_PRIO only when a fair thread
  // wakes on a CPU whose *current* thread is an agent or ghost thread. Here the
  // fair thread is queued while CPU 0 is idle (the agent thread, spawned by
  // start(), has not run yet); the agent then takes CPU 0 and spins, and the
  // pinned fair thread waits forever (globalCpu stays 0, no migration).
  fn() {
    const { engine, kernel, enclave } = rig({ enclaveCpus: [0, 1, 2, 3], stub: false });
    const agents = new AgentProcess(kernel, enclave, new FifoCentralized());
    agents.start();
    const fair = kernel.spawn(script([{ compute: 100 * US }]), { name: "fair", affinity: [0] });
    engine.run({ until: 10 * MS });
    assert.equal(fair.state, "dead", `fair thread ${fair.state}, ran ${fair.cpuTime} ns`);
    assert.equal(agents.stats.migrations, 1);
    assert.notEqual(agents.globalCpu, 0);
    kernel.checkInvariants();
  },
});

// ghost.md: "A local commit switches at once when the agent yields. An agent's
// LocalYield fails with ESTALE while unread messages exist, so the agent loops:
// drain, decide, commit, yield."
Deno.test({
  name: "a per-CPU agent yields after a round that commits, so its locally committed thread runs",
  // Regression test, fixed in core (it used to fail): AgentLoop runs the policy again, without yielding, after
  // every round that cost agent time. With the paper's costs a policy that
  // retries a failing commit each round (here: to CPU 2, held by a fair thread)
  // keeps CPU 1 forever, and the thread it committed there (COMPLETE) never
  // runs. With free costs the same policy yields at once.
  fn() {
    const { engine, kernel, enclave } = rig({
      enclaveCpus: [1, 2],
      stub: false,
      costs: PAPER_COSTS,
    });
    const gtids: number[] = [];
    let local: TxnOutcome = TXN.OPEN;
    const retrying = noopPolicy("retrying", "per-cpu", {
      taskNew(_ctx, msg) {
        gtids.push(msg.gtid);
      },
      schedule(ctx) {
        if (ctx.cpu !== 1 || gtids.length < 2) return;
        if (local !== TXN.COMPLETE) {
          ctx.open(1, gtids[0]!);
          ctx.commit("sync-group");
          local = ctx.outcome(1);
        }
        ctx.open(2, gtids[1]!); // fails with CPU_UNAVAIL: retried next time
        ctx.commit("sync-group");
      },
    });
    const agents = new AgentProcess(kernel, enclave, retrying);
    agents.start();
    kernel.spawn(hog(), { name: "fair", affinity: [2] });
    const first = spawnGhost(kernel, enclave, hog(), "first");
    spawnGhost(kernel, enclave, hog(), "second");
    engine.run({ until: 2 * MS });
    assertOutcome(local, TXN.COMPLETE, "the local commit");
    kernel.flushAccounting();
    assert.ok(first.cpuTime > MS, `the committed thread ran ${first.cpuTime} ns`);
    kernel.checkInvariants();
  },
});

Deno.test("a fair thread waking on a CPU running a ghOSt thread preempts it: TASK_PREEMPT by the kernel", () => {
  const { engine, kernel, enclave, queue, agent } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(commitOne(enclave, 1, thread.id, thread.barrier), TXN.COMPLETE);
  engine.run({ until: MS });
  assert.equal(thread.cpu, 1);
  drain(queue);
  const barrier = enclave.agentBarrier[1]!;
  const fair = kernel.spawn(script([{ compute: 100 * US }]), { name: "fair", affinity: [1] });
  engine.run({ until: MS + 50 * US });
  assert.equal(kernel.cpus[1]!.curr, fair);
  assert.equal(thread.state, "runnable");
  assert.equal(thread.cpu, -1);
  const messages = drain(queue);
  assert.deepEqual(names(messages), ["TASK_PREEMPT"]);
  const msg = messages[0]!;
  assert.equal(msg.gtid, thread.id);
  assert.equal(msg.cpu, 1);
  assert.equal(msg.time, MS);
  assert.ok((msg.flags & MSG_FLAG_BY_KERNEL) !== 0, "by the kernel");
  assert.equal(msg.flags & MSG_FLAG_WAS_LATCHED, 0, "it was running");
  assert.ok((enclave.agentFlags[1]! & AGENT_FLAG.BOOST_PRIO) !== 0, "BOOST_PRIO set");
  assert.ok(enclave.agentBarrier[1]! > barrier, "the agent barrier moved");
  assert.deepEqual(agent.boosts, [1]);
  engine.run({ until: 2 * MS });
  assert.equal(fair.state, "dead");
  assert.equal(fair.cpuTime, 100 * US);
  kernel.checkInvariants();
});

Deno.test("a fair thread arriving on a CPU with a latched thread preempts it: was latched, by the kernel", () => {
  const { engine, kernel, enclave, queue } = rig();
  const thread = spawnGhost(kernel, enclave, hog(), "t");
  assertOutcome(
    commitOne(enclave, 1, thread.id, thread.barrier, { readyAt: 10 * US }),
    TXN.COMPLETE,
  );
  drain(queue);
  const fair = kernel.spawn(script([{ compute: 100 * US }]), { name: "fair", affinity: [1] });
  engine.run({ until: 20 * US });
  assert.equal(kernel.cpus[1]!.curr, fair);
  assert.equal(thread.latchedCpu, -1);
  assert.equal(thread.state, "runnable");
  const messages = drain(queue);
  assert.deepEqual(names(messages), ["TASK_PREEMPT"]);
  assert.ok((messages[0]!.flags & MSG_FLAG_WAS_LATCHED) !== 0, "was latched");
  assert.ok((messages[0]!.flags & MSG_FLAG_BY_KERNEL) !== 0, "by the kernel");
  kernel.checkInvariants();
});
