/**
 * Validation of the `edf` policy on the `periodic` workload: on one worker
 * CPU (a 2-CPU machine, the global agent on CPU 0) with zero costs,
 * preemptive EDF meets every deadline of a feasible periodic task set
 * (utilisation at most 1, Liu and Layland 1973), where the centralized FIFO
 * and non-preemptive EDF miss some on the same sets; on an infeasible set
 * the misses are counted and reported, and no job is lost.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RandomStreams } from "../core/random.ts";
import { MS } from "../core/units.ts";
import { type CliIo, main } from "../reports/cli/cli.ts";
import {
  DEFAULT_RUN_CONFIG,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { PERIODIC_OPTIONS, periodicTaskSet, utilizationOf } from "../workloads/periodic.ts";
import { resolveOptions } from "../core/options.ts";

const DURATION = 500 * MS;

function run(
  policy: string,
  seed: number,
  workloadOptions: { tasks: number; utilization: number },
  policyOptions: Record<string, string> = {},
): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "periodic",
    workloadOptions,
    policy,
    policyOptions,
    cpus: 2,
    costs: "ideal",
    seed,
    durationNs: DURATION,
    warmupNs: 0,
  });
}

/** The utilisation of the task set a run with these options and seed gets. */
function setUtilization(seed: number, options: { tasks: number; utilization: number }): number {
  return utilizationOf(
    periodicTaskSet(new RandomStreams(seed), resolveOptions(PERIODIC_OPTIONS, options)),
  );
}

Deno.test("edf on one worker CPU with zero costs meets every deadline of feasible periodic sets", () => {
  let jobs = 0;
  for (const seed of [1, 2, 3, 4]) {
    for (const tasks of [3, 10, 30]) {
      for (const utilization of [0.7, 0.9, 0.99, 1]) {
        const options = { tasks, utilization };
        const u = setUtilization(seed, options);
        assert.ok(u <= 1 && u > utilization - 1e-4, `seed ${seed}: U ${u}`);
        const result = run("edf", seed, options);
        const label = `seed ${seed}, ${tasks} tasks, U ${u}`;
        const d = result.deadlines!;
        assert.equal(result.lost, 0, label);
        assert.equal(d.missed, 0, `${label}: ${d.missed} of ${d.jobs} deadlines missed`);
        assert.ok(d.maxLatenessUs !== null && d.maxLatenessUs <= 0, `${label}: ${d.maxLatenessUs}`);
        // Every job released finished, but those whose deadline is still ahead at the end.
        assert.equal(d.jobs, result.completed, label);
        assert.ok(result.inFlight <= tasks, `${label}: ${result.inFlight} in flight`);
        // The tasks ran on the one worker CPU, as busy as the set's utilisation.
        assert.ok(
          Math.abs(result.cpuUtilization[1]! - u) < 0.02,
          `${label}: ${result.cpuUtilization}`,
        );
        jobs += d.jobs;
      }
    }
  }
  assert.ok(jobs > 50_000, `${jobs} jobs checked`);
});

Deno.test("the centralized FIFO and non-preemptive EDF miss deadlines of the same feasible sets", () => {
  for (const seed of [1, 3]) {
    const options = { tasks: 3, utilization: 0.9 };
    assert.equal(run("edf", seed, options).deadlines!.missed, 0);
    const fifo = run("fifo-centralized", seed, options).deadlines!;
    const nonPreemptive = run("edf", seed, options, { preempt: "never" }).deadlines!;
    assert.ok(fifo.missed > 0, `seed ${seed}: fifo-centralized missed none`);
    assert.ok(nonPreemptive.missed > 0, `seed ${seed}: non-preemptive edf missed none`);
  }
});

Deno.test("edf counts the misses of infeasible periodic sets and loses no job", () => {
  for (const seed of [1, 2]) {
    for (const utilization of [1.05, 1.5]) {
      const options = { tasks: 10, utilization };
      const result = run("edf", seed, options);
      const d = result.deadlines!;
      const label = `seed ${seed}, U ${utilization}`;
      assert.equal(result.lost, 0, label);
      assert.ok(d.missed > 0, `${label}: no miss counted`);
      assert.equal(d.met + d.missed, d.jobs, label);
      assert.ok(d.maxLatenessUs !== null && d.maxLatenessUs > 0, label);
      // Demand beyond the CPU stays unfinished: at least (U - 1) of the run's worth of work.
      assert.ok(result.inFlight > 0, label);
      assert.ok(result.cpuUtilization[1]! > 0.99, `${label}: ${result.cpuUtilization}`);
    }
  }
});

Deno.test("run prints the deadlines of a periodic run, met and missed", async () => {
  let stdout = "";
  const io: CliIo = { out: (text) => stdout += text, err: () => {}, errIsTerminal: false };
  const args = ["run", "--workload", "periodic", "--policy", "edf", "--cpus", "2", "--costs"];
  const common = ["ideal", "--duration", "200ms", "--warmup", "0", "--tasks", "10"];
  assert.equal(await main([...args, ...common, "--utilization", "0.95"], io), 0);
  assert.match(stdout, /^deadlines: \d+ jobs after warm-up, \d+ met, 0 missed \(0\.00%\)/m);
  stdout = "";
  assert.equal(await main([...args, ...common, "--utilization", "1.2"], io), 0);
  const missed = /^deadlines: (\d+) jobs after warm-up, (\d+) met, (\d+) missed/m.exec(stdout);
  assert.ok(missed !== null && Number(missed[3]) > 0, stdout);
  assert.equal(Number(missed[2]) + Number(missed[3]), Number(missed[1]));
  stdout = "";
  assert.equal(await main([...args, ...common, "--utilization", "0.95", "--json"], io), 0);
  const json = JSON.parse(stdout);
  assert.equal(json.deadlines.missed, 0);
  assert.ok(json.deadlines.jobs > 0);
});
