import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import type { AgentContext, CommitMode, Policy } from "../core/policy.ts";
import { hog, script } from "../core/behaviors.ts";
import { type CostProfile, IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { MSG, TXN, type TxnOutcome } from "../core/ghost_abi.ts";
import { Kernel } from "../core/kernel.ts";
import { type Message, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { Behavior, Thread } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS, SEC } from "../core/units.ts";
import { DEFAULT_RUN_CONFIG, runExperiment } from "../reports/experiment/run_experiment.ts";
import { Biff } from "./biff.ts";
import { GhostCfs } from "./ghost_cfs.ts";
import { POLICIES } from "./registry.ts";
import { Sol } from "./sol.ts";

const LOAD = 60_000;
const DURATION = 300 * MS;
const WARMUP = 30 * MS;

function run(policy: string, costs: string) {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    policy,
    cpus: 4,
    load: LOAD,
    service: "exp:20us",
    durationNs: DURATION,
    warmupNs: WARMUP,
    costs,
  });
}

for (const policy of ["sol", "biff", "ghost-cfs"]) {
  for (const costs of ["paper", "ideal"]) {
    Deno.test(`${policy} serves a moderate synthetic load on 4 CPUs with ${costs} costs`, () => {
      assert.ok(Object.hasOwn(POLICIES, policy), `${policy} is not registered`);
      const result = run(policy, costs);
      assert.equal(result.lost, 0);
      assert.ok(result.inFlight <= 10, `${result.inFlight} requests in flight at the end`);
      const expected = LOAD * (DURATION - WARMUP) / SEC;
      assert.ok(
        Math.abs(result.completed - expected) <= 0.05 * expected,
        `completed ${result.completed}, expected about ${expected}`,
      );
      const total = result.latencyUs.all;
      const service = result.stagesUs.service.all;
      assert.ok(service.mean > 15 && service.mean < 30, `mean service ${service.mean} us`);
      assert.ok(total.mean >= service.mean, `mean latency ${total.mean} < service ${service.mean}`);
      assert.ok(total.mean < 100, `mean latency ${total.mean} us at load 0.3 to 0.4`);
      assert.ok(result.ghost !== null);
      assert.equal(result.ghost.overflows, 0);
    });
  }
}

Deno.test("sol makes one decision per request thread", () => {
  for (const costs of ["paper", "ideal"]) {
    const result = run("sol", costs);
    const ghost = result.ghost!;
    assert.equal(ghost.failedCommits, 0);
    // Every thread is committed once; the ones not started yet are in flight.
    assert.ok(
      ghost.decisions <= result.generated && ghost.decisions >= result.generated - result.inFlight,
      `${ghost.decisions} decisions for ${result.generated} requests`,
    );
    assert.ok(ghost.decisions >= result.completed);
  }
});

/** A context that records transactions and fails commits on chosen CPUs. */
function recordingContext(fail: Set<number>) {
  const outcomes = new Map<number, TxnOutcome>();
  const opened: [number, number][] = [];
  const commits: CommitMode[] = [];
  let pending: [number, number][] = [];
  const ctx: AgentContext = {
    now: 0,
    cpu: 0,
    cpus: [0, 1, 2],
    topology: new Topology({ name: "three", coresPerLlc: 3 }),
    globalCpu: 0,
    status: () => undefined,
    cpuAvailable: () => true,
    open(cpu, gtid) {
      opened.push([cpu, gtid]);
      pending.push([cpu, gtid]);
    },
    commit(mode: CommitMode = "sync") {
      commits.push(mode);
      let completed = 0;
      for (const [cpu] of pending) {
        const outcome = fail.has(cpu) ? TXN.CPU_UNAVAIL : TXN.COMPLETE;
        outcomes.set(cpu, outcome);
        if (outcome === TXN.COMPLETE) completed++;
      }
      pending = [];
      return completed;
    },
    outcome: (cpu) => outcomes.get(cpu) ?? TXN.OPEN,
    associate: () => true,
    ping: () => true,
    wakeAt: () => {},
    setPickHook: () => {},
  };
  return { ctx, opened, commits };
}

function message(type: number, gtid: number, seqnum: number, cpu = -1, flags = 0): Message {
  return { type, gtid, seqnum, cpu, runtime: 0, flags, time: 0, aux: 0 };
}

Deno.test("Sol commits asynchronously and requeues a failed commit on its next pass", () => {
  const fail = new Set([2]);
  const { ctx, opened, commits } = recordingContext(fail);
  const sol = new Sol();
  sol.taskNew(ctx, message(MSG.TASK_NEW, 10, 1, -1, MSG_FLAG_RUNNABLE));
  sol.taskNew(ctx, message(MSG.TASK_NEW, 11, 1, -1, MSG_FLAG_RUNNABLE));
  sol.schedule(ctx);
  // One async group for both idle CPUs; never the global agent's CPU.
  assert.deepEqual(opened, [[2, 10], [1, 11]]);
  assert.deepEqual(commits, ["async"]);
  fail.clear();
  opened.length = 0;
  sol.schedule(ctx);
  // The failure is read now: task 10 goes back in front and onto the idle CPU 2.
  assert.deepEqual(opened, [[2, 10]]);
  // A message about a task whose outcome is unread settles it first.
  sol.taskBlocked(ctx, message(MSG.TASK_BLOCKED, 10, 2, 2));
  sol.taskDead(ctx, message(MSG.TASK_DEAD, 10, 3, 2));
  sol.taskBlocked(ctx, message(MSG.TASK_BLOCKED, 11, 2, 1));
  opened.length = 0;
  sol.schedule(ctx);
  assert.deepEqual(opened, []);
});

/** A kernel with an enclave over every CPU and an agent process running `policy`. */
function ghostMachine(cpus: number, policy: Policy, costs: CostProfile, runnableTimeoutNs = 0) {
  const engine = new Engine(1);
  const topology = new Topology({ name: "t", coresPerLlc: cpus });
  const kernel = new Kernel(engine, { topology, costs });
  const enclave = new Enclave(kernel, {
    cpus: topology.cpus.map((cpu) => cpu.id),
    runnableTimeoutNs,
  });
  const agents = new AgentProcess(kernel, enclave, policy);
  agents.start();
  function spawn(behavior: Behavior, name: string, nice = 0, affinity?: number[]): Thread {
    return kernel.spawn(behavior, {
      name,
      group: name.replace(/\d+$/, ""),
      nice,
      affinity,
      schedClass: "ghost",
      ghost: enclave,
    });
  }
  return { engine, kernel, enclave, agents, spawn };
}

Deno.test("biff schedules only through the pick hook", () => {
  for (const costs of ["paper", "ideal"]) {
    const ghost = run("biff", costs).ghost!;
    assert.equal(ghost.decisions, 0);
    assert.equal(ghost.failedCommits, 0);
    assert.ok(ghost.messages > 0);
  }
});

Deno.test("Biff relies on the watchdog when the hook cannot run a thread", () => {
  const biff = new Biff();
  const { engine, kernel, enclave, spawn } = ghostMachine(2, biff, PAPER_COSTS, 5 * MS);
  kernel.spawn(hog(), { name: "fair", affinity: [1] });
  const free = spawn(script([{ compute: MS }]), "free");
  const stuck = spawn(script([{ compute: MS }]), "stuck", 0, [1]);
  engine.run({ until: 50 * MS });
  kernel.checkInvariants();
  assert.ok(biff.picks >= 1, "the hook never picked");
  assert.equal(free.state, "dead");
  assert.ok(enclave.destroyed, "the watchdog did not fire");
  assert.ok(enclave.stats.destroyedAt >= 5 * MS);
  // Back in CFS, the stuck thread shares CPU 1 with the fair hog and finishes.
  assert.equal(stuck.schedClass, "fair");
  assert.equal(stuck.state, "dead");
});

Deno.test("ghost-cfs shares CPUs between nice groups in proportion to their weights", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    const cfs = new GhostCfs();
    const { engine, kernel, spawn } = ghostMachine(4, cfs, costs);
    const heavy = [0, 1, 2, 3].map((i) => spawn(hog(), `heavy${i}`, 0));
    const light = [0, 1, 2, 3].map((i) => spawn(hog(), `light${i}`, 5));
    engine.run({ until: 2 * SEC });
    kernel.checkInvariants();
    const sum = (threads: Thread[]) => threads.reduce((s, t) => s + t.cpuTime, 0);
    const ratio = sum(heavy) / sum(light);
    const expected = heavy[0]!.weight / light[0]!.weight;
    assert.ok(
      Math.abs(ratio - expected) <= 0.03 * expected,
      `${costs.name}: heavy/light CPU ${ratio.toFixed(3)}, weights ${expected.toFixed(3)}`,
    );
    // Within a group, every thread gets its share too.
    for (const group of [heavy, light]) {
      const mean = sum(group) / group.length;
      for (const t of group) {
        assert.ok(Math.abs(t.cpuTime - mean) <= 0.05 * mean, `${t.name}: ${t.cpuTime} vs ${mean}`);
      }
    }
  }
});

Deno.test("ghost-cfs lets an idle CPU steal a waiting thread from a busy one", () => {
  for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
    const cfs = new GhostCfs();
    const { engine, kernel, spawn } = ghostMachine(2, cfs, costs);
    // Fewest-runnable placement: short threads on CPU 0, hogs on CPU 1.
    spawn(script([{ compute: MS }]), "short0");
    const first = spawn(hog(), "hog0");
    spawn(script([{ compute: MS }]), "short1");
    const second = spawn(hog(), "hog1");
    engine.run({ until: 100 * MS });
    kernel.checkInvariants();
    assert.ok(cfs.steals >= 1, `${costs.name}: no steal`);
    for (const t of [first, second]) {
      assert.ok(t.cpuTime >= 90 * MS, `${costs.name}: ${t.name} ran ${t.cpuTime} ns`);
    }
  }
});
