/**
 * Helpers for the policies' tests: a small machine whose enclave covers
 * every CPU with an agent process running the policy under test, and the
 * departure scenario every policy must pass.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import { type CostProfile, IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { Kernel } from "../core/kernel.ts";
import type { Policy } from "../core/policy.ts";
import type { Action, Behavior, Thread } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS } from "../core/units.ts";

/** Options of `ghostMachine`. */
export interface GhostMachineOptions {
  /** CPUs of the machine (one LLC), all in the enclave. @default 2 */
  cpus?: number;
  /** Cost profile. @default PAPER_COSTS */
  costs?: CostProfile;
  /** Enclave watchdog, ns (0: none). @default 0 */
  runnableTimeoutNs?: number;
}

/** A kernel with an enclave over every CPU and an agent process running `policy`. */
export function ghostMachine(policy: Policy, options: GhostMachineOptions = {}) {
  const engine = new Engine(1);
  const topology = new Topology({ name: "t", coresPerLlc: options.cpus ?? 2 });
  const kernel = new Kernel(engine, { topology, costs: options.costs ?? PAPER_COSTS });
  const enclave = new Enclave(kernel, {
    cpus: topology.cpus.map((cpu) => cpu.id),
    runnableTimeoutNs: options.runnableTimeoutNs ?? 0,
  });
  const agents = new AgentProcess(kernel, enclave, policy);
  agents.start();
  /** Spawns a ghost thread (its group is its name without trailing digits). */
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

/** A thread that computes `ns` once, records when it finished, and exits. */
export function job(ns: number, done: (thread: Thread) => void): Behavior {
  let ran = false;
  return {
    next(thread: Thread): Action {
      if (ran) {
        done(thread);
        return "exit";
      }
      ran = true;
      thread.stepNs = ns;
      return "compute";
    },
  };
}

/**
 * Defines the departure tests of a policy: six 1 ms jobs on two CPUs; at
 * 0.5 ms one thread leaves the ghost class (TASK_DEPARTED), either one that
 * waits in the policy's run queue or one that runs. The policy must forget
 * it and go on: every job, the departed one included (under CFS), is done
 * within 20 ms, and the agent neither crashed nor kept retrying a commit.
 */
export function departureTests(name: string, create: () => Policy): void {
  for (const which of ["queued", "running"] as const) {
    for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
      Deno.test(
        `${name} forgets a thread that departs while ${which}; the others still run (${costs.name} costs)`,
        () => departure(create(), which, costs),
      );
    }
  }
}

function departure(policy: Policy, which: "queued" | "running", costs: CostProfile): void {
  const { engine, kernel, enclave, agents, spawn } = ghostMachine(policy, { costs });
  const finished = new Map<Thread, number>();
  const threads = Array.from(
    { length: 6 },
    (_, i) => spawn(job(MS, (t) => finished.set(t, kernel.engine.now)), `job${i}`),
  );
  engine.run({ until: MS / 2 });
  const leaving = threads.find((t) =>
    which === "queued" ? t.state === "runnable" && t.latchedCpu < 0 : t.state === "running"
  );
  assert.ok(leaving !== undefined, `no ${which} thread at 0.5 ms`);
  enclave.depart(leaving);
  const failedBefore = agents.stats.failedCommits;
  engine.run({ until: 50 * MS });
  kernel.checkInvariants();
  assert.equal(agents.exited, false, `the agent crashed: ${agents.crashError}`);
  assert.equal(leaving.schedClass, "fair");
  for (const thread of threads) {
    const at = finished.get(thread);
    assert.ok(at !== undefined && at <= 20 * MS, `${thread.name} finished at ${at ?? "never"}`);
  }
  const failed = agents.stats.failedCommits - failedBefore;
  assert.ok(failed <= 5, `${failed} commits failed after the departure`);
}
