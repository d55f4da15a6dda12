/**
 * Property test of the preemptive centralized policies (`shinjuku`, and
 * `fifo-centralized` with a slice): on random workloads, no thread runs
 * longer than its slice plus the agent's reaction time while a thread of the
 * same or a higher class waits, and none runs at all past the reaction time
 * while a thread of a higher class waits (Shinjuku's classes come from nice
 * values; the FIFO has one class).
 *
 * A workload is a few ghost threads on a machine of 3 to 6 CPUs (one of them
 * the global agent's), each serving a few requests: it sleeps (the arrival
 * gap), computes the request's service time (from 1 us to 3 ms, so some
 * requests are many slices long), and exits after the last one. A tracer on
 * the kernel records when each thread runs (threadOn to threadOff) and when
 * it waits: from the message that made it runnable without a CPU (TASK_NEW,
 * TASK_WAKEUP, TASK_PREEMPT, TASK_YIELD) to the commit that latched it on
 * one, or its start.
 *
 * The bound. A thread T of class q runs from s to e; a thread W waits from
 * w0 to w1. T's deadline is max(s + slice, w0) when W is of class q (its
 * slice must run out and W must be waiting), max(s, w0) when W's class is
 * higher (it preempts at once), plus the reaction time R. A violation is W
 * still waiting at the deadline while T still runs (deadline < e and
 * deadline < w1). R is two agent passes: the pass under way when the slice
 * runs out or W starts waiting (the agent cannot stop it), then the pass
 * that preempts. The longest pass ({@link passNs}) delivers every pending
 * message (at most two per thread), fills idle CPUs in one group commit and
 * preempts each worker CPU in a commit of its own, each waiting for the
 * remote switch (IPI and target side). With the `ideal` costs every step
 * is free and R is 0: the agent preempts at the very instant the slice runs
 * out or the thread starts waiting.
 *
 * The fast-check seed is fixed so that the suite is deterministic;
 * `GHOSTBENCH_FUZZ_RUNS=N` sets the number of workloads per property.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { AgentProcess } from "../core/agent_process.ts";
import { script, type ScriptStep } from "../core/behaviors.ts";
import { type CostProfile, IDEAL_COSTS, PAPER_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { MSG, TXN } from "../core/ghost_abi.ts";
import { Kernel } from "../core/kernel.ts";
import type { Tracer } from "../core/metrics/tracer.ts";
import type { Policy } from "../core/policy.ts";
import type { Thread } from "../core/thread.ts";
import { Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { FifoCentralized } from "../policies/fifo_centralized.ts";
import { Shinjuku } from "../policies/shinjuku.ts";

/** One request of a thread: sleep `gapNs`, then compute `serviceNs`. */
interface RequestPlan {
  gapNs: number;
  serviceNs: number;
}

/** One thread of a workload. */
interface ThreadPlan {
  nice: number;
  requests: RequestPlan[];
}

/** A random workload. */
interface Workload {
  cpus: number;
  sliceNs: number;
  threads: ThreadPlan[];
}

/** An interval of a thread: running on a CPU, or waiting for one. */
interface Interval {
  from: number;
  to: number;
}

/** What the tracer saw of one thread. */
interface Seen {
  readonly thread: Thread;
  readonly runs: Interval[];
  readonly waits: Interval[];
  /** Start of the run or wait under way, or -1. */
  runFrom: number;
  waitFrom: number;
}

/** Records each ghost thread's running and waiting intervals. */
class SliceTracer implements Tracer {
  readonly seen = new Map<number, Seen>();

  /** Starts following a thread. */
  follow(thread: Thread): void {
    this.seen.set(thread.id, { thread, runs: [], waits: [], runFrom: -1, waitFrom: -1 });
  }

  threadOn(_cpu: number, thread: Thread, time: number): void {
    const seen = this.seen.get(thread.id);
    if (seen === undefined) return;
    this.#endWait(seen, time);
    seen.runFrom = time;
  }

  threadOff(_cpu: number, thread: Thread, time: number): void {
    const seen = this.seen.get(thread.id);
    if (seen === undefined || seen.runFrom < 0) return;
    seen.runs.push({ from: seen.runFrom, to: time });
    seen.runFrom = -1;
  }

  message(type: number, gtid: number, _queue: number, _depth: number, time: number): void {
    const seen = this.seen.get(gtid);
    if (seen === undefined) return;
    const waits = type === MSG.TASK_NEW || type === MSG.TASK_WAKEUP ||
      type === MSG.TASK_PREEMPT || type === MSG.TASK_YIELD;
    if (waits && seen.waitFrom < 0) seen.waitFrom = time;
  }

  commit(_cpu: number, gtid: number, outcome: number, time: number): void {
    const seen = this.seen.get(gtid);
    if (seen !== undefined && outcome === TXN.COMPLETE) this.#endWait(seen, time);
  }

  queueDepth(): void {}

  /** Closes the intervals under way at `time`. */
  close(time: number): void {
    for (const seen of this.seen.values()) {
      this.#endWait(seen, time);
      if (seen.runFrom >= 0) seen.runs.push({ from: seen.runFrom, to: time });
      seen.runFrom = -1;
    }
  }

  #endWait(seen: Seen, time: number): void {
    if (seen.waitFrom < 0) return;
    seen.waits.push({ from: seen.waitFrom, to: time });
    seen.waitFrom = -1;
  }
}

/**
 * The longest agent pass on this machine, ns: delivering two messages per
 * thread, one group commit to every worker CPU, then a preemption commit
 * per worker CPU, each sync commit waiting for the remote switch.
 */
function passNs(costs: CostProfile, cpus: number, threads: number): number {
  const workers = cpus - 1;
  const delivery = 2 * threads * costs.messageDeliveryGlobal;
  const remoteSwitch = costs.ipi + costs.remoteScheduleTarget;
  const group = costs.remoteScheduleAgent + (workers - 1) * costs.groupCommitPerTxn +
    remoteSwitch;
  const preemptions = workers * (costs.remoteScheduleAgent + remoteSwitch);
  return delivery + group + preemptions;
}

/** A violation of the bound, described, or null. */
function check(
  tracer: SliceTracer,
  sliceNs: number,
  reactionNs: number,
  classOf: (thread: Thread) => number,
): string | null {
  const all = [...tracer.seen.values()];
  for (const t of all) {
    const q = classOf(t.thread);
    for (const run of t.runs) {
      for (const w of all) {
        if (w === t) continue;
        const wq = classOf(w.thread);
        if (wq > q) continue; // a lower class: no claim on T's CPU
        for (const wait of w.waits) {
          const start = wq < q ? run.from : run.from + sliceNs;
          const deadline = Math.max(start, wait.from) + reactionNs;
          if (deadline < run.to && deadline < wait.to) {
            return `${t.thread.name} (class ${q}) ran ${run.from}..${run.to} ns while ` +
              `${w.thread.name} (class ${wq}) waited ${wait.from}..${wait.to} ns ` +
              `(slice ${sliceNs}, reaction ${reactionNs}, deadline ${deadline})`;
          }
        }
      }
    }
  }
  return null;
}

/** Runs a workload under `policy` and returns a violation of the bound, or null. */
function runWorkload(
  workload: Workload,
  policy: Policy,
  costs: CostProfile,
  classOf: (thread: Thread) => number,
): string | null {
  const engine = new Engine(1);
  const topology = new Topology({ name: "slice", coresPerLlc: workload.cpus });
  const kernel = new Kernel(engine, { topology, costs });
  const tracer = new SliceTracer();
  kernel.tracer = tracer;
  const enclave = new Enclave(kernel, { cpus: topology.cpus.map((cpu) => cpu.id) });
  const agents = new AgentProcess(kernel, enclave, policy);
  agents.start();
  let work = 0;
  workload.threads.forEach((plan, i) => {
    const steps: ScriptStep[] = [];
    for (const request of plan.requests) {
      steps.push({ sleep: request.gapNs }, { compute: request.serviceNs });
      work += request.gapNs + request.serviceNs;
    }
    const thread = kernel.spawn(script(steps), {
      name: `t${i}`,
      nice: plan.nice,
      schedClass: "ghost",
      ghost: enclave,
    });
    tracer.follow(thread);
  });
  // Long enough for every thread to finish, even one after the other.
  const end = work + 10 * MS;
  engine.run({ until: end });
  kernel.checkInvariants();
  assert.equal(agents.exited, false, `the agent crashed: ${agents.crashError}`);
  for (const seen of tracer.seen.values()) {
    assert.equal(seen.thread.state, "dead", `${seen.thread.name} did not finish by ${end} ns`);
  }
  tracer.close(engine.now);
  const reaction = 2 * passNs(costs, workload.cpus, workload.threads.length);
  return check(tracer, workload.sliceNs, reaction, classOf);
}

const request: fc.Arbitrary<RequestPlan> = fc.record({
  gapNs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 * US })),
  serviceNs: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1 * US, max: 20 * US }) },
    { weight: 2, arbitrary: fc.integer({ min: 200 * US, max: 3 * MS }) },
  ),
});

function workload(nice: fc.Arbitrary<number>): fc.Arbitrary<Workload> {
  return fc.record({
    cpus: fc.integer({ min: 3, max: 6 }),
    sliceNs: fc.oneof(fc.constant(30 * US), fc.integer({ min: 10 * US, max: 200 * US })),
    threads: fc.array(
      fc.record({ nice, requests: fc.array(request, { minLength: 1, maxLength: 4 }) }),
      { minLength: 2, maxLength: 10 },
    ),
  });
}

/** Nice values, mostly equal (a class of several threads), some -20 or 19, some any. */
const nice: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constantFrom(-20, 19) },
  { weight: 1, arbitrary: fc.integer({ min: -20, max: 19 }) },
);

/** The number of workloads per property (`GHOSTBENCH_FUZZ_RUNS`), or the default. */
function runs(fallback: number): number {
  let text: string | undefined;
  try {
    text = Deno.env.get("GHOSTBENCH_FUZZ_RUNS");
  } catch {
    return fallback;
  }
  const value = Number(text);
  return text !== undefined && text !== "" && Number.isSafeInteger(value) && value > 0
    ? value
    : fallback;
}

const SEED = 20_211_026;

for (const costs of [PAPER_COSTS, IDEAL_COSTS]) {
  Deno.test(`Shinjuku never lets a thread overrun its slice while its class or a higher one waits (${costs.name} costs)`, () => {
    fc.assert(
      fc.property(workload(nice), (w) => {
        const violation = runWorkload(
          w,
          new Shinjuku({ sliceNs: w.sliceNs }),
          costs,
          (thread) => thread.nice + 20,
        );
        assert.equal(violation, null);
      }),
      { seed: SEED, numRuns: runs(60) },
    );
  });

  Deno.test(`FifoCentralized with a slice never lets a thread overrun it while another waits (${costs.name} costs)`, () => {
    fc.assert(
      fc.property(workload(fc.constant(0)), (w) => {
        const violation = runWorkload(
          w,
          new FifoCentralized({ sliceNs: w.sliceNs }),
          costs,
          () => 0,
        );
        assert.equal(violation, null);
      }),
      { seed: SEED, numRuns: runs(60) },
    );
  });
}
