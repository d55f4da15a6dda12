/**
 * Agent lifecycle (ghost.md, "Lifecycle: crash, watchdog, upgrade"): after an
 * upgrade the new agent's view equals the kernel's; a policy that throws
 * kills its agent, never the emulator, and is reported; without a restart
 * the watchdog hands every thread to CFS; upgrade, crash and swap lose no
 * request.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AgentContext, Policy } from "../core/policy.ts";
import { AgentSupervisor } from "../core/agent_supervisor.ts";
import { IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { TXN } from "../core/ghost_abi.ts";
import { Kernel } from "../core/kernel.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { Action, Thread } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { FifoCentralized } from "../policies/fifo_centralized.ts";
import { FifoPerCpu } from "../policies/fifo_per_cpu.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
} from "../reports/experiment/run_experiment.ts";

/**
 * A centralized FIFO that exposes its view: each task's state and CPU, and
 * its run queue. Used to compare the agent's view with the kernel's.
 */
class ViewPolicy implements Policy {
  readonly name = "view";
  readonly model = "centralized" as const;
  readonly state = new Map<number, { state: "blocked" | "queued" | "onCpu"; cpu: number }>();
  readonly queue: number[] = [];
  readonly current = new Map<number, number>();

  #off(msg: Message, next: "blocked" | "queued"): void {
    const task = this.state.get(msg.gtid)!;
    assert.equal(task.state, "onCpu", `task ${msg.gtid} left a CPU it was not on`);
    if (this.current.get(task.cpu) === msg.gtid) this.current.delete(task.cpu);
    task.state = next;
    task.cpu = -1;
    if (next === "queued") this.queue.push(msg.gtid);
  }

  taskNew(_ctx: AgentContext, msg: Message): void {
    assert.ok(!this.state.has(msg.gtid), `task ${msg.gtid} announced twice`);
    if ((msg.flags & MSG_FLAG_ON_CPU) !== 0) {
      this.state.set(msg.gtid, { state: "onCpu", cpu: msg.cpu });
      this.current.set(msg.cpu, msg.gtid);
    } else if ((msg.flags & MSG_FLAG_RUNNABLE) !== 0) {
      this.state.set(msg.gtid, { state: "queued", cpu: -1 });
      this.queue.push(msg.gtid);
    } else {
      this.state.set(msg.gtid, { state: "blocked", cpu: -1 });
    }
  }
  taskRunnable(_ctx: AgentContext, msg: Message): void {
    const task = this.state.get(msg.gtid)!;
    assert.equal(task.state, "blocked");
    task.state = "queued";
    this.queue.push(msg.gtid);
  }
  taskBlocked(_ctx: AgentContext, msg: Message): void {
    this.#off(msg, "blocked");
  }
  taskPreempted(_ctx: AgentContext, msg: Message): void {
    this.#off(msg, "queued");
  }
  taskYield(_ctx: AgentContext, msg: Message): void {
    this.#off(msg, "queued");
  }
  taskDead(_ctx: AgentContext, msg: Message): void {
    assert.equal(this.state.get(msg.gtid)?.state, "blocked");
    this.state.delete(msg.gtid);
  }
  taskDeparted(_ctx: AgentContext, msg: Message): void {
    const task = this.state.get(msg.gtid)!;
    if (this.current.get(task.cpu) === msg.gtid) this.current.delete(task.cpu);
    if (task.state === "queued") this.queue.splice(this.queue.indexOf(msg.gtid), 1);
    this.state.delete(msg.gtid);
  }
  schedule(ctx: AgentContext): void {
    for (const cpu of ctx.cpus) {
      if (this.queue.length === 0) return;
      if (cpu === ctx.globalCpu || this.current.has(cpu) || !ctx.cpuAvailable(cpu)) continue;
      const gtid = this.queue.shift()!;
      ctx.open(cpu, gtid);
      ctx.commit();
      if (ctx.outcome(cpu) === TXN.COMPLETE) {
        this.state.set(gtid, { state: "onCpu", cpu });
        this.current.set(cpu, gtid);
      } else {
        this.queue.unshift(gtid);
      }
    }
  }
}

/** A thread that computes and sleeps in a random rhythm of its own. */
function busySleeper(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  let compute = true;
  return {
    next(thread: Thread): Action {
      compute = !compute;
      thread.stepNs = Math.round((compute ? 30 : 20) * US * (0.5 + next()));
      return compute ? "compute" : "sleep";
    },
  };
}

function machine(costs = PAPER_COSTS, watchdogNs = 0) {
  const engine = new Engine(3);
  const kernel = new Kernel(engine, {
    topology: new Topology({ name: "five", coresPerLlc: 5 }),
    costs,
  });
  const enclave = new Enclave(kernel, { cpus: [0, 1, 2, 3, 4], runnableTimeoutNs: watchdogNs });
  return { engine, kernel, enclave };
}

/** Checks that a view policy sees every thread where the kernel has it, once. */
function assertViewMatches(view: ViewPolicy, threads: readonly Thread[]): void {
  assert.equal(view.state.size, threads.length, "every thread discovered once");
  const queued = new Set(view.queue);
  assert.equal(queued.size, view.queue.length, "no thread queued twice");
  for (const thread of threads) {
    const seen = view.state.get(thread.id)!;
    if (thread.state === "blocked") {
      assert.equal(seen.state, "blocked", `${thread.name} blocked`);
    } else if (thread.state === "running" || thread.latchedCpu >= 0) {
      assert.equal(seen.state, "onCpu", `${thread.name} on a CPU`);
      assert.equal(seen.cpu, thread.state === "running" ? thread.cpu : thread.latchedCpu);
    } else {
      assert.equal(seen.state, "queued", `${thread.name} runnable`);
      assert.ok(queued.has(thread.id), `${thread.name} queued once`);
    }
  }
}

Deno.test("after an upgrade the new agent's view equals the kernel's: no thread lost or doubled", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    const { engine, kernel, enclave } = machine(costs);
    const policies: ViewPolicy[] = [];
    const supervisor = new AgentSupervisor(kernel, enclave, {
      policy: "view",
      makePolicy: () => {
        const policy = new ViewPolicy();
        policies.push(policy);
        return policy;
      },
      restartDelayNs: null,
      globalCpu: 0,
    });
    supervisor.start();
    const threads: Thread[] = [];
    for (let i = 0; i < 24; i++) {
      threads.push(
        kernel.spawn(busySleeper(i + 1), { name: `t${i}`, schedClass: "ghost", ghost: enclave }),
      );
    }
    supervisor.schedule({ kind: "upgrade", atNs: 3 * MS });
    engine.run({ until: 3 * MS + costs.agentStartup + 300 * US });
    kernel.checkInvariants();

    assert.equal(policies.length, 2, "a second agent attached");
    const view = policies[1]!;
    const record = supervisor.records[0]!;
    assert.ok(record.blackoutEndNs > 0, "the new agent became ready");
    assertViewMatches(view, threads);
    // And it keeps scheduling: everyone still makes progress afterwards.
    const before = threads.map((t) => t.cpuTime);
    engine.run({ until: 12 * MS });
    kernel.checkInvariants();
    threads.forEach((t, i) => assert.ok(t.cpuTime > before[i]!, `${t.name} ran after the upgrade`));
  }
});

/** A thread that computes for milliseconds and sleeps briefly, in a random rhythm of its own. */
function longWorker(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  let compute = true;
  return {
    next(thread: Thread): Action {
      compute = !compute;
      thread.stepNs = Math.round((compute ? 3 * MS : 40 * US) * (0.5 + next()));
      return compute ? "compute" : "sleep";
    },
  };
}

Deno.test("an upgrade while threads run and one is latched: the new agent finds them on their CPUs", () => {
  for (const name of ["view", "fifo-percpu"]) {
    const { engine, kernel, enclave } = machine();
    const policies: Policy[] = [];
    /** What the new agent discovered, beside where the kernel had each thread then. */
    const found: { gtid: number; cpu: number; flags: number; expected: number[] }[] = [];
    const supervisor = new AgentSupervisor(kernel, enclave, {
      policy: name,
      makePolicy: () => {
        const policy = name === "view" ? new ViewPolicy() : new FifoPerCpu();
        const taskNew = policy.taskNew.bind(policy);
        const generation = policies.length;
        policy.taskNew = (ctx: AgentContext, msg: Message) => {
          if (generation === 1) {
            const thread = kernel.thread(msg.gtid)!;
            const cpu = thread.state === "running" ? thread.cpu : thread.latchedCpu;
            const runnable = thread.state === "blocked" ? 0 : MSG_FLAG_RUNNABLE;
            found.push({
              gtid: msg.gtid,
              cpu: msg.cpu,
              flags: msg.flags,
              expected: [cpu, runnable | (cpu >= 0 ? MSG_FLAG_ON_CPU : 0)],
            });
          }
          taskNew(ctx, msg);
        };
        policies.push(policy);
        return policy;
      },
      restartDelayNs: null,
      globalCpu: 0,
    });
    supervisor.start();
    const threads = Array.from(
      { length: 8 },
      (_, i) =>
        kernel.spawn(longWorker(i + 1), { name: `t${i}`, schedClass: "ghost", ghost: enclave }),
    );
    engine.run({ until: 3 * MS });
    // Step to a commit in flight: a thread latched on a CPU, not yet running
    // there (its IPI has not arrived, or its agent has not yielded yet).
    const latchedOn = () =>
      kernel.cpus.find((c) =>
        c.latched !== null && (c.latchReadyAt > engine.now || c.curr === c.agent)
      );
    for (let i = 0; i < 100_000 && latchedOn() === undefined; i++) engine.step();
    const cpu = latchedOn();
    assert.ok(cpu !== undefined, `${name}: a commit in flight`);
    const latched = cpu.latched!;
    const running = threads.filter((t) => t.state === "running").length;
    assert.ok(running >= 2, `${name}: ${running} threads on CPUs at the upgrade`);
    supervisor.schedule({ kind: "upgrade", atNs: engine.now });
    engine.run({ until: engine.now + PAPER_COSTS.agentStartup + 300 * US });
    kernel.checkInvariants();

    assert.equal(policies.length, 2, `${name}: a second agent attached`);
    assert.equal(supervisor.records.length, 1, `${name}: no crash`);
    assert.ok(supervisor.records[0]!.blackoutEndNs > 0, `${name}: the new agent became ready`);
    assert.equal(found.length, threads.length, `${name}: every thread discovered once`);
    for (const { gtid, cpu, flags, expected } of found) {
      assert.deepEqual([cpu, flags], expected, `${name}: thread ${gtid} as the kernel has it`);
    }
    const latchedFound = found.find((f) => f.gtid === latched.id)!;
    // It ran there before the new agent's thread took that CPU, or that
    // thread took the CPU first and displaced it (TASK_PREEMPT, was
    // latched, as ghOSt's pick_next_ghost_agent does): found runnable.
    const displaced = latchedFound.cpu === -1 && latchedFound.flags === MSG_FLAG_RUNNABLE;
    assert.ok(
      latchedFound.cpu === cpu.id || displaced,
      `${name}: the latched thread found on CPU ${latchedFound.cpu}, not ${cpu.id}`,
    );
    if (name === "view") assertViewMatches(policies[1] as ViewPolicy, threads);
    // Nothing lost: everyone still makes progress afterwards.
    const before = threads.map((t) => t.cpuTime);
    engine.run({ until: 40 * MS });
    kernel.checkInvariants();
    assert.equal(supervisor.processes[1]!.crashError, null, `${name}: the new agent runs`);
    if (name === "view") assertViewMatches(policies[1] as ViewPolicy, threads);
    threads.forEach((t, i) => assert.ok(t.cpuTime > before[i]!, `${name}: ${t.name} ran again`));
  }
});

Deno.test("a new agent that starts at once waits until the old agent's threads have exited", () => {
  // The old global agent is mid-step (paying for messages or commits) at the
  // upgrade: it exits when that step ends, and only then may its successor
  // put an agent thread on its CPU.
  const costs = { ...PAPER_COSTS, name: "instant start", agentStartup: 0 };
  const { engine, kernel, enclave } = machine(costs);
  const supervisor = new AgentSupervisor(kernel, enclave, {
    policy: "fifo-centralized",
    makePolicy: () => new FifoCentralized(),
    restartDelayNs: null,
    globalCpu: 0,
  });
  supervisor.start();
  const threads = Array.from(
    { length: 12 },
    (_, i) =>
      kernel.spawn(busySleeper(i + 1), { name: `t${i}`, schedClass: "ghost", ghost: enclave }),
  );
  engine.run({ until: 2 * MS });
  const agent = kernel.cpus[0]!.agent!;
  const busy = () => kernel.cpus[0]!.curr === agent && !agent.spinning;
  for (let i = 0; i < 100_000 && !busy(); i++) engine.step();
  assert.ok(busy(), "the global agent is mid-step");
  supervisor.schedule({ kind: "upgrade", atNs: engine.now });
  engine.run({ until: engine.now + MS });
  kernel.checkInvariants();
  assert.equal(supervisor.processes.length, 2, "a second agent attached");
  assert.equal(agent.state, "dead");
  const ready = supervisor.processes[1]!.readyAt;
  assert.ok(ready > supervisor.records[0]!.atNs, `ready at ${ready}`);
  const before = threads.map((t) => t.cpuTime);
  engine.run({ until: 10 * MS });
  threads.forEach((t, i) => assert.ok(t.cpuTime > before[i]!, `${t.name} ran after the upgrade`));
});

Deno.test("a policy callback that throws kills its agent, not the emulator, and is reported", () => {
  class Faulty extends FifoCentralized {
    #blocked = 0;
    override taskBlocked(ctx: AgentContext, msg: Message): void {
      if (++this.#blocked === 50) throw new Error("policy bug");
      super.taskBlocked(ctx, msg);
    }
  }
  const { engine, kernel, enclave } = machine(PAPER_COSTS, 20 * MS);
  const supervisor = new AgentSupervisor(kernel, enclave, {
    policy: "faulty",
    makePolicy: () => new Faulty(),
    restartDelayNs: null,
    globalCpu: 0,
  });
  supervisor.start();
  const threads = Array.from(
    { length: 12 },
    (_, i) =>
      kernel.spawn(busySleeper(i + 7), { name: `t${i}`, schedClass: "ghost", ghost: enclave }),
  );
  engine.run({ until: 100 * MS }); // must not throw
  kernel.checkInvariants();
  supervisor.finish();
  const crash = supervisor.records.find((r) => r.kind === "crash");
  assert.ok(crash !== undefined, "the crash is reported");
  assert.equal(crash.cause, "policy error");
  assert.equal(crash.error, "policy bug");
  assert.ok(supervisor.processes[0]!.exited);
  // No restart: the watchdog destroyed the enclave and every thread runs under CFS.
  assert.ok(enclave.destroyed, "the watchdog destroyed the enclave");
  assert.equal(crash.policyAfter, "cfs");
  assert.ok(crash.blackoutEndNs - crash.blackoutStartNs <= 20 * MS + kernel.tickNs);
  const before = threads.map((t) => t.cpuTime);
  engine.run({ until: 150 * MS });
  for (const thread of threads) {
    assert.equal(thread.schedClass, "fair", `${thread.name} moved to CFS`);
  }
  threads.forEach((t, i) => assert.ok(t.cpuTime > before[i]!, `${t.name} runs under CFS`));
  kernel.checkInvariants();
});

Deno.test("a supervisor restarts a crashed agent, which rediscovers every thread", () => {
  const { engine, kernel, enclave } = machine(PAPER_COSTS, 50 * MS);
  const supervisor = new AgentSupervisor(kernel, enclave, {
    policy: "fifo-centralized",
    makePolicy: () => new FifoCentralized(),
    restartDelayNs: 2 * MS,
    globalCpu: 0,
  });
  supervisor.start();
  const threads = Array.from(
    { length: 10 },
    (_, i) =>
      kernel.spawn(busySleeper(i + 3), { name: `t${i}`, schedClass: "ghost", ghost: enclave }),
  );
  supervisor.schedule({ kind: "crash", atNs: 5 * MS });
  engine.run({ until: 40 * MS });
  kernel.checkInvariants();
  assert.equal(enclave.destroyed, false, "the restart came before the watchdog");
  assert.equal(supervisor.processes.length, 2);
  const record = supervisor.records[0]!;
  // Restart delay, then the process start-up, then discovery.
  const expected = 2 * MS + PAPER_COSTS.agentStartup;
  assert.ok(record.blackoutEndNs - record.atNs >= expected, "blackout covers restart and start-up");
  assert.ok(record.blackoutEndNs - record.atNs < expected + MS);
  assert.equal(supervisor.processes[1]!.stats.discovered, threads.length);
  for (const thread of threads) assert.equal(thread.schedClass, "ghost");
});

function lifecycleRun(overrides: Partial<RunConfig>) {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "rocksdb",
    policy: "shinjuku",
    load: 40_000,
    durationNs: 400 * MS,
    warmupNs: 50 * MS,
    ...overrides,
  });
}

Deno.test("upgrade, crash with restart, crash without restart and swap lose no request, at several seeds", () => {
  const cases: [string, Partial<RunConfig>][] = [
    ["upgrade", { events: [{ kind: "upgrade", atNs: 200 * MS }] }],
    ["crash + restart", { events: [{ kind: "crash", atNs: 200 * MS }], restartDelayNs: 5 * MS }],
    ["crash → CFS", { events: [{ kind: "crash", atNs: 200 * MS }] }],
    ["swap", { events: [{ kind: "swap", atNs: 200 * MS, policy: "fifo-centralized" }] }],
    ["synthetic upgrade", {
      workload: "synthetic",
      policy: "fifo-centralized",
      load: 100_000,
      workloadOptions: { service: "exp:20us", workers: 0 },
      events: [{ kind: "upgrade", atNs: 200 * MS }],
    }],
  ];
  for (const seed of [1, 2, 3]) {
    for (const [name, overrides] of cases) {
      const result = lifecycleRun({ ...overrides, seed });
      const event = result.lifecycleEvents[0];
      assert.ok(event !== undefined, `${name}: event reported`);
      assert.equal(result.lost, 0, `${name} seed ${seed}: lost`);
      assert.equal(result.failed, 0, `${name} seed ${seed}: failed`);
      assert.equal(event.lost, 0);
      assert.ok(event.blackoutUs !== null && event.blackoutUs > 0, `${name}: blackout`);
      assert.ok(result.completed > 10_000, `${name}: ${result.completed} completed`);
      if (name === "crash → CFS") assert.equal(event.policyAfter, "cfs");
      if (name === "swap") assert.equal(event.policyAfter, "fifo-centralized");
    }
  }
});

Deno.test("a reboot fails the requests in flight and those arriving while down, and loses none", () => {
  const result = lifecycleRun({
    events: [{ kind: "reboot", atNs: 200 * MS }],
    rebootTimeNs: 50 * MS,
  });
  const event = result.lifecycleEvents[0]!;
  assert.equal(event.kind, "reboot");
  assert.equal(event.blackoutUs, 50_000);
  // About 50 ms x 40k req/s arrive while it is down.
  assert.ok(event.failed > 1500 && event.failed < 2500, `failed ${event.failed}`);
  assert.equal(result.failed, event.failed);
  assert.equal(result.lost, 0);
  assert.ok(result.timeSeries !== undefined);
  const down = result.timeSeries.rows.filter((r) => r.tUs >= 210_000 && r.tUs < 245_000);
  assert.ok(down.every((r) => r.throughputRps === 0), "no request finishes while it is down");
});

// ---------------------------------------------------------------------------
// Every event reported once, overlapping events, attribution

/** RocksDB under Shinjuku for 400 ms, no warm-up, with these events. */
function eventsRun(events: RunConfig["events"], overrides: Partial<RunConfig> = {}) {
  return lifecycleRun({ durationNs: 400 * MS, warmupNs: 0, events, ...overrides });
}

Deno.test("an event after the watchdog fell back to CFS is reported as skipped, with the reason", () => {
  const result = eventsRun([{ kind: "crash", atNs: 100 * MS }, {
    kind: "upgrade",
    atNs: 200 * MS,
  }]);
  assert.deepEqual(result.lifecycleEvents.map((e) => [e.kind, e.status]), [
    ["crash", "applied"],
    ["upgrade", "skipped"],
  ]);
  const [crash, upgrade] = result.lifecycleEvents;
  assert.equal(crash!.blackoutUs, 51_000); // the 50 ms watchdog plus one tick
  assert.equal(crash!.policyAfter, "cfs");
  assert.equal(crash!.reason, null);
  assert.match(upgrade!.reason!, /watchdog destroyed the enclave at 151ms/);
  assert.equal(upgrade!.blackoutUs, 0);
  assert.equal(upgrade!.policyAfter, "cfs");
  assert.equal(upgrade!.atUs, 200_000);
  assert.ok(upgrade!.inFlight >= 0);
  assert.equal(result.lost, 0);
});

Deno.test("a crash after a watchdog of 1ns already fell back to CFS is reported as skipped", () => {
  const result = eventsRun(
    [{ kind: "crash", atNs: 100 * MS }, { kind: "upgrade", atNs: 200 * MS }],
    { watchdogNs: 1 },
  );
  assert.deepEqual(result.lifecycleEvents.map((e) => [e.kind, e.status]), [
    ["crash", "skipped"],
    ["upgrade", "skipped"],
  ]);
  for (const event of result.lifecycleEvents) {
    assert.match(event.reason!, /watchdog destroyed the enclave/);
    assert.equal(event.blackoutUs, 0);
  }
});

Deno.test("overlapping agent events each report the blackout that ended with the next agent ready", () => {
  const cases: [string, RunConfig["events"], Partial<RunConfig>, number[]][] = [
    // The upgrade's agent ends the crash's blackout too: start-up 1 ms + discovery.
    [
      "crash + upgrade at one instant",
      [{ kind: "crash", atNs: 100 * MS }, { kind: "upgrade", atNs: 100 * MS }],
      {},
      [1100, 1100],
    ],
    [
      "two upgrades at one instant",
      [{ kind: "upgrade", atNs: 100 * MS }, { kind: "upgrade", atNs: 100 * MS }],
      {},
      [1100, 1100],
    ],
    // The upgrade at 120 ms starts an agent before the restart due at 151 ms.
    [
      "crash with a 50 ms restart, upgrade at 120 ms",
      [{ kind: "crash", atNs: 100 * MS }, { kind: "upgrade", atNs: 120 * MS }],
      { restartDelayNs: 50 * MS },
      [21_100, 1100],
    ],
  ];
  for (const [name, events, overrides, blackouts] of cases) {
    const result = eventsRun(events, overrides);
    assert.deepEqual(result.lifecycleEvents.map((e) => e.blackoutUs), blackouts, name);
    assert.ok(result.lifecycleEvents.every((e) => e.status === "applied"), name);
    assert.ok(result.lifecycleEvents.every((e) => e.policyAfter === "shinjuku"), name);
    assert.equal(result.lost, 0, name);
  }
});

Deno.test("a crash while an upgrade's agent is still starting is skipped: there is no agent to crash", () => {
  const result = eventsRun([
    { kind: "upgrade", atNs: 100 * MS },
    { kind: "crash", atNs: 100 * MS + 500 * US },
  ]);
  const [upgrade, crash] = result.lifecycleEvents;
  assert.equal(upgrade!.status, "applied");
  assert.equal(upgrade!.blackoutUs, 1100);
  assert.equal(crash!.status, "skipped");
  assert.equal(
    crash!.reason,
    "no agent to crash: none running since the upgrade at 100ms, " +
      "one starting",
  );
});

Deno.test("a reboot's failed requests are its own, not those of a crash at the same instant", () => {
  const result = eventsRun(
    [{ kind: "reboot", atNs: 100 * MS }, { kind: "crash", atNs: 100 * MS }],
    { rebootTimeNs: 100 * MS },
  );
  const reboot = result.lifecycleEvents.find((e) => e.kind === "reboot")!;
  const crash = result.lifecycleEvents.find((e) => e.kind === "crash")!;
  assert.ok(result.failed > 3000, `failed ${result.failed}`);
  assert.equal(reboot.failed, result.failed);
  assert.equal(crash.failed, 0);
  assert.equal(result.lost, 0);
});

Deno.test("requests whose messages a full queue dropped are counted as stranded, not in flight", () => {
  const run = (queueCapacity: number | undefined) =>
    runExperiment({
      ...DEFAULT_RUN_CONFIG,
      policy: "shinjuku",
      load: 50_000,
      durationNs: 200 * MS,
      warmupNs: 10 * MS,
      events: [{ kind: "crash", atNs: 50 * MS }],
      watchdogNs: 0, // no fallback: the queue fills up
      ...(queueCapacity === undefined ? {} : { queueCapacity }),
    });
  const small = run(1024);
  const ghost = small.ghost!;
  assert.ok(ghost.overflows > 5000, `overflows ${ghost.overflows}`);
  assert.deepEqual(ghost.overflowQueues, [{
    queue: 0,
    capacity: 1024,
    overflows: ghost.overflows,
  }]);
  // One thread per request: one TASK_NEW dropped strands one request.
  assert.equal(small.stranded, ghost.overflows);
  assert.ok(small.inFlight >= 1024 && small.inFlight < 1100, `in flight ${small.inFlight}`);
  assert.equal(small.lost, 0);
  // The default queue holds every message of this run: nothing stranded.
  const large = run(undefined);
  assert.equal(large.ghost!.overflows, 0);
  assert.equal(large.stranded, 0);
  assert.equal(large.inFlight, small.inFlight + small.stranded);
});

Deno.test("rocksdb and search count the requests whose worker or part lost a message as stranded", () => {
  for (const workload of ["rocksdb", "search"]) {
    const result = runExperiment({
      ...DEFAULT_RUN_CONFIG,
      workload,
      policy: "shinjuku",
      load: 20_000,
      durationNs: 200 * MS,
      warmupNs: 10 * MS,
      events: [{ kind: "crash", atNs: 50 * MS }],
      watchdogNs: 0,
      queueCapacity: 64,
    });
    assert.ok(result.ghost!.overflows > 0, workload);
    assert.ok(
      result.stranded > 0 && result.stranded <= result.ghost!.overflows,
      `${workload}: ${result.stranded} stranded`,
    );
    assert.equal(result.lost, 0, workload);
  }
});
