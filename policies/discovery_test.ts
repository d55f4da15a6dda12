/**
 * Every ghOSt policy picks up a live enclave the way a new agent finds it
 * (upgrade, restart, hot-swap): TASK_NEW for each thread before any other
 * message, a running one flagged MSG_FLAG_ON_CPU with its CPU. The policy
 * must leave that CPU to it, place the others elsewhere, and accept the
 * ordinary messages that follow for it.
 */

import assert from "node:assert/strict";
import type { AgentContext, AgentStatus, Policy } from "../core/policy.ts";
import { hog } from "../core/behaviors.ts";
import { MSG, TXN, type TxnOutcome } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import { Thread } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { POLICIES } from "./registry.ts";

/** Discovery time: the new agent attaches at 1 ms. */
const T0 = 1 * MS;

/** One placement of a thread on a CPU: by a commit, or by the in-kernel pick hook. */
interface Placement {
  cpu: number;
  gtid: number;
  how: "commit" | "hook";
  /** The thread it replaced on the CPU (a preemption), or -1. */
  replaced: number;
}

/**
 * A fake agent context over an enclave of three CPUs, with a toy kernel
 * behind it: commits always complete, threads are real status words, and
 * the test reads what the policy did.
 */
class FakeEnclave implements AgentContext {
  now = T0;
  cpu = 0;
  readonly cpus: readonly number[] = [0, 1, 2];
  readonly topology = new Topology({ name: "three", coresPerLlc: 3 });
  readonly globalCpu: number;
  readonly placements: Placement[] = [];
  readonly pings: number[] = [];
  readonly timers: number[] = [];
  /** Per CPU: the thread running there, or -1. */
  readonly running: number[] = [-1, -1, -1];
  readonly #threads = new Map<number, Thread>();
  /** The CPU whose queue receives a task's messages (per-CPU model). */
  readonly #queueCpu = new Map<number, number>();
  readonly #seq = new Map<number, number>();
  readonly #outcomes = new Map<number, TxnOutcome>();
  #pending: [number, number][] = [];
  #hook: ((cpu: number) => number) | null = null;

  readonly policy: Policy;

  constructor(policy: Policy) {
    this.policy = policy;
    this.globalCpu = policy.model === "centralized" ? 0 : -1;
  }

  status(gtid: number): Thread | undefined {
    return this.#threads.get(gtid);
  }

  agentStatus(cpu: number): AgentStatus | undefined {
    return this.cpus.includes(cpu) ? { barrier: 0, boostPrio: false } : undefined;
  }

  cpuAvailable(cpu: number): boolean {
    return this.cpus.includes(cpu);
  }

  open(cpu: number, gtid: number): void {
    this.#pending.push([cpu, gtid]);
  }

  commit(): number {
    for (const [cpu, gtid] of this.#pending) {
      this.#outcomes.set(cpu, TXN.COMPLETE);
      this.#place(cpu, gtid, "commit");
    }
    const completed = this.#pending.length;
    this.#pending = [];
    return completed;
  }

  outcome(cpu: number): TxnOutcome {
    return this.#outcomes.get(cpu) ?? TXN.OPEN;
  }

  associate(gtid: number, cpu: number): boolean {
    this.#queueCpu.set(gtid, cpu);
    return true;
  }

  ping(cpu: number): boolean {
    this.pings.push(cpu);
    return true;
  }

  wakeAt(time: number): void {
    this.timers.push(time);
  }

  setPickHook(hook: ((cpu: number) => number) | null): void {
    this.#hook = hook;
  }

  /** Synthesizes a discovery TASK_NEW: running on `cpu`, runnable, or blocked. */
  discover(gtid: number, where: number | "runnable" | "blocked", runtime = 0): void {
    const thread = new Thread(gtid, hog(), { name: `t${gtid}` }, this.topology.size);
    thread.schedClass = "ghost";
    thread.cpuTime = runtime;
    this.#threads.set(gtid, thread);
    let flags = 0;
    let cpu = -1;
    if (typeof where === "number") {
      flags = MSG_FLAG_ON_CPU | MSG_FLAG_RUNNABLE;
      cpu = where;
      thread.state = "running";
      thread.cpu = where;
      this.running[where] = gtid;
    } else if (where === "runnable") {
      flags = MSG_FLAG_RUNNABLE;
    } else {
      thread.state = "blocked";
    }
    this.deliver(MSG.TASK_NEW, gtid, { cpu, flags });
  }

  /** Delivers a message as the agent whose queue holds it, updating the toy kernel first. */
  deliver(type: number, gtid: number, fields: Partial<Message> = {}): void {
    const thread = this.#threads.get(gtid)!;
    const seqnum = (this.#seq.get(gtid) ?? 0) + 1;
    this.#seq.set(gtid, seqnum);
    const msg: Message = {
      type,
      gtid,
      seqnum,
      cpu: -1,
      runtime: thread.cpuTime,
      flags: 0,
      time: this.now,
      aux: 0,
      ...fields,
    };
    if (type === MSG.TASK_BLOCKED || type === MSG.TASK_PREEMPT || type === MSG.TASK_YIELD) {
      if (this.running[msg.cpu] === gtid) {
        this.running[msg.cpu] = -1;
        thread.cpu = -1;
        thread.state = type === MSG.TASK_BLOCKED ? "blocked" : "runnable";
      } else {
        // Only a commit that replaced it explains a message about a thread not running there.
        assert.ok(
          type === MSG.TASK_PREEMPT && thread.state === "runnable",
          `task ${gtid} not on ${msg.cpu}`,
        );
      }
    } else if (type === MSG.TASK_WAKEUP) {
      thread.state = "runnable";
    }
    this.cpu = this.globalCpu >= 0 ? this.globalCpu : this.#queueCpu.get(gtid) ?? this.cpus[0]!;
    const policy = this.policy;
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
      default:
        throw new TypeError(`Unexpected message type ${type}`);
    }
  }

  /**
   * One round: every agent that schedules runs its step (the global one, or
   * each CPU's), then each free CPU runs the pick hook if one is installed.
   * Returns the placements of the round.
   */
  round(): Placement[] {
    const before = this.placements.length;
    if (this.globalCpu >= 0) {
      this.cpu = this.globalCpu;
      this.policy.schedule(this);
    } else {
      for (const cpu of this.cpus) {
        this.cpu = cpu;
        this.policy.schedule(this);
      }
    }
    for (const cpu of this.cpus) {
      if (this.#hook === null || this.running[cpu] !== -1 || cpu === this.globalCpu) continue;
      const gtid = this.#hook(cpu);
      if (gtid >= 0) this.#place(cpu, gtid, "hook");
    }
    return this.placements.slice(before);
  }

  #place(cpu: number, gtid: number, how: Placement["how"]): void {
    const thread = this.#threads.get(gtid)!;
    assert.ok(thread.state !== "blocked", `${this.policy.name} placed blocked task ${gtid}`);
    const replaced = this.running[cpu]!;
    if (replaced >= 0) {
      const old = this.#threads.get(replaced)!;
      old.state = "runnable";
      old.cpu = -1;
    }
    this.placements.push({ cpu, gtid, how, replaced });
    this.running[cpu] = gtid;
    thread.state = "running";
    thread.cpu = cpu;
  }
}

/** Every registered ghOSt policy, created with its default options. */
const GHOST_POLICIES = Object.values(POLICIES).filter((p) => p.model !== "kernel");

/** Where each policy puts the threads of the main scenario (see below). */
interface Expected {
  /** The CPU the discovered runnable thread lands on. */
  runnableCpu: number;
  /** Placements of round 2 (after two wakeups) other than on CPU 1. */
  round2: [cpu: number, gtid: number][];
  /** The waiting thread that takes CPU 1 once its discovered thread blocks. */
  waiter: number;
  /** How threads start: agent commits, or the in-kernel hook alone. */
  how: Placement["how"];
  /** Whether a thread keeps its CPU's queue (a preempted one comes back there). */
  perCpuQueues: boolean;
}

/**
 * The scenario: thread 10 runs on CPU 1, 11 is runnable, 12 and 13 are
 * blocked. Per-CPU FIFO deals new threads round robin (11 on CPU 0, 12 on
 * CPU 1, 13 on CPU 2); ghost-cfs places each on the least loaded CPU (11 on
 * 0, 12 and 13 on 2) and lets an idle CPU steal; the centralized policies
 * keep CPU 0 for the global agent; biff's hook picks from one FIFO.
 */
const EXPECTED: Readonly<Record<string, Expected>> = {
  "fifo-percpu": {
    runnableCpu: 0,
    round2: [[2, 13]],
    waiter: 12,
    how: "commit",
    perCpuQueues: true,
  },
  "fifo-centralized": {
    runnableCpu: 2,
    round2: [],
    waiter: 12,
    how: "commit",
    perCpuQueues: false,
  },
  shinjuku: { runnableCpu: 2, round2: [], waiter: 12, how: "commit", perCpuQueues: false },
  search: { runnableCpu: 2, round2: [], waiter: 12, how: "commit", perCpuQueues: false },
  edf: { runnableCpu: 2, round2: [], waiter: 12, how: "commit", perCpuQueues: false },
  sol: { runnableCpu: 2, round2: [], waiter: 12, how: "commit", perCpuQueues: false },
  snap: { runnableCpu: 2, round2: [], waiter: 12, how: "commit", perCpuQueues: false },
  biff: { runnableCpu: 0, round2: [[2, 12]], waiter: 13, how: "hook", perCpuQueues: false },
  "ghost-cfs": {
    runnableCpu: 0,
    round2: [[2, 12]],
    waiter: 13,
    how: "commit",
    perCpuQueues: true,
  },
};

Deno.test("Every ghOSt policy has discovery expectations", () => {
  assert.deepEqual(GHOST_POLICIES.map((p) => p.name).sort(), Object.keys(EXPECTED).sort());
});

for (const definition of GHOST_POLICIES) {
  const name = definition.name;
  // The rounds here run at one instant: search's pass period (its loop cost) would hold them.
  const create = () => definition.create(name === "search" ? { scanPerCpuNs: 0 } : {})!;

  Deno.test(`${name} leaves a discovered running thread its CPU until it blocks`, () => {
    const expected = EXPECTED[name]!;
    const enclave = new FakeEnclave(create());
    enclave.discover(10, 1, 5 * MS);
    enclave.discover(11, "runnable");
    enclave.discover(12, "blocked");
    enclave.discover(13, "blocked");

    // Round 1: the runnable thread goes to a free CPU, never onto CPU 1.
    const round1 = enclave.round();
    assert.deepEqual(round1.map((p) => [p.cpu, p.gtid]), [[expected.runnableCpu, 11]]);
    assert.ok(!enclave.pings.includes(1), `${name} pinged CPU 1: ${enclave.pings}`);

    // Round 2: two wakeups; whatever does not fit waits, CPU 1 is left alone.
    enclave.deliver(MSG.TASK_WAKEUP, 12);
    enclave.deliver(MSG.TASK_WAKEUP, 13);
    const round2 = enclave.round();
    assert.deepEqual(round2.map((p) => [p.cpu, p.gtid]), expected.round2);
    assert.equal(enclave.running[1], 10);

    // Round 3: the discovered thread blocks; a waiting thread takes its CPU.
    enclave.deliver(MSG.TASK_BLOCKED, 10, { cpu: 1, runtime: 6 * MS });
    const round3 = enclave.round();
    assert.deepEqual(round3.map((p) => [p.cpu, p.gtid]), [[1, expected.waiter]]);
    assert.ok(enclave.placements.every((p) => p.how === expected.how && p.replaced === -1));

    // From now on it is an ordinary blocked thread: it may wake and run again.
    enclave.deliver(MSG.TASK_BLOCKED, expected.waiter, { cpu: 1 });
    enclave.deliver(MSG.TASK_WAKEUP, 10);
    // Every other thread placed from now on blocks at once, until 10 runs.
    for (let i = 0; i < 4 && !enclave.running.includes(10); i++) {
      for (const p of enclave.round()) {
        if (p.gtid !== 10) enclave.deliver(MSG.TASK_BLOCKED, p.gtid, { cpu: p.cpu });
      }
    }
    assert.ok(enclave.running.includes(10), `${name} never ran thread 10 again`);
  });

  for (const type of [MSG.TASK_PREEMPT, MSG.TASK_YIELD]) {
    const what = type === MSG.TASK_PREEMPT ? "preempted" : "yielding";
    Deno.test(`${name} takes a discovered running thread back when it is ${what}`, () => {
      const expected = EXPECTED[name]!;
      const enclave = new FakeEnclave(create());
      enclave.discover(10, 1, 5 * MS);
      assert.deepEqual(enclave.round(), []);
      enclave.deliver(type, 10, { cpu: 1, runtime: 5 * MS + 10 * US });
      const placed = enclave.round();
      assert.equal(placed.length, 1, `${name} placed ${JSON.stringify(placed)}`);
      assert.equal(placed[0]!.gtid, 10);
      assert.notEqual(placed[0]!.cpu, enclave.globalCpu);
      if (expected.perCpuQueues) assert.equal(placed[0]!.cpu, 1);
    });
  }

  Deno.test(`${name} rejects two discovered threads on one CPU`, () => {
    const enclave = new FakeEnclave(create());
    enclave.discover(10, 1);
    assert.throws(() => enclave.discover(11, 1), /on CPU 1/);
  });
}

/** Two discovered threads fill the CPUs a centralized agent can use; a third waits. */
function busyCentralized(policy: Policy): FakeEnclave {
  const enclave = new FakeEnclave(policy);
  enclave.discover(10, 1);
  enclave.discover(11, 2);
  enclave.discover(12, "runnable");
  return enclave;
}

for (const [name, sliceNs] of [["shinjuku", 30 * US], ["fifo-centralized", 100 * US]] as const) {
  Deno.test(`${name} starts a discovered thread's slice at discovery`, () => {
    const enclave = busyCentralized(POLICIES[name]!.create({ sliceNs })!);
    assert.deepEqual(enclave.round(), []);
    assert.ok(enclave.timers.includes(T0 + sliceNs), `timers ${enclave.timers}`);
    enclave.now = T0 + sliceNs - 1;
    assert.deepEqual(enclave.round(), []);
    // The slice is over: the oldest discovered thread gives way to the waiter.
    enclave.now = T0 + sliceNs;
    const placed = enclave.round();
    assert.deepEqual(placed, [{ cpu: 1, gtid: 12, how: "commit", replaced: 10 }]);
    // Its TASK_PREEMPT (by the agent) is accepted; it replaces the other
    // discovered thread, whose slice ran out as well.
    enclave.deliver(MSG.TASK_PREEMPT, 10, { cpu: 1 });
    assert.deepEqual(enclave.round(), [{ cpu: 2, gtid: 10, how: "commit", replaced: 11 }]);
    enclave.deliver(MSG.TASK_PREEMPT, 11, { cpu: 2 });
  });
}

Deno.test("fifo-centralized without a slice never preempts a discovered thread", () => {
  const enclave = busyCentralized(POLICIES["fifo-centralized"]!.create({})!);
  enclave.now = T0 + 1000 * MS;
  assert.deepEqual(enclave.round(), []);
});

Deno.test("ghost-cfs counts a discovered thread's slice from its runtime at discovery", () => {
  const enclave = new FakeEnclave(POLICIES["ghost-cfs"]!.create({})!);
  // Thread 10 has run 50 ms in all; 11 and 12 fill CPUs 1 and 2; 13 queues on CPU 0.
  enclave.discover(10, 0, 50 * MS);
  enclave.discover(11, 1);
  enclave.discover(12, 2);
  enclave.discover(13, "runnable");
  assert.deepEqual(enclave.round(), []);
  // Its agent waking preempts it 100 us into its slice: it resumes, with a
  // timer for the rest of its 5 ms share (two threads on the CPU).
  enclave.deliver(MSG.TASK_PREEMPT, 10, { cpu: 0, runtime: 50 * MS + 100 * US });
  const placed = enclave.round();
  assert.deepEqual(placed.map((p) => [p.cpu, p.gtid]), [[0, 10]]);
  assert.ok(enclave.timers.includes(T0 + 5 * MS - 100 * US), `timers ${enclave.timers}`);
});
