import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import { Kernel } from "../core/kernel.ts";
import { type OptionValues, resolveOptions } from "../core/options.ts";
import { resolveTopology, Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { FifoCentralized } from "../policies/fifo_centralized.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { ROCKSDB, ROCKSDB_OPTIONS, rocksDbCpus } from "./rocksdb.ts";

function run(overrides: Partial<RunConfig> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "rocksdb",
    machine: "paper8",
    load: 30_000,
    durationNs: 150 * MS,
    warmupNs: 30 * MS,
    ...overrides,
  });
}

function withoutWallClock(result: RunResult): Omit<RunResult, "eventsPerSec"> {
  const { eventsPerSec: _, ...rest } = result;
  return rest;
}

Deno.test("rocksdb serves Gets and Ranges under cfs and shinjuku with its default pools", () => {
  for (const [policy, workers] of [["cfs", 6], ["shinjuku", 200], ["fifo-centralized", 11]]) {
    const result = run({ policy: policy as string });
    assert.equal(result.lost, 0, `${policy}: lost`);
    assert.equal(result.workers, workers, `${policy}: default pool`);
    assert.ok(result.latencyUs.get!.count > 2000, `${policy}: Gets`);
    assert.ok(result.latencyUs.range!.count > 0, `${policy}: Ranges`);
    assert.equal(result.config.workloadOptions.workers, undefined, "the default stays unset");
  }
});

Deno.test("rocksdb reads each of its options", () => {
  const noRanges = run({ workloadOptions: { rangeRatio: 0, getExpMeanNs: 5 * US, workers: 3 } });
  assert.equal(noRanges.lost, 0);
  assert.equal(noRanges.latencyUs.range!.count, 0);
  assert.equal(noRanges.workers, 3);
  const service = noRanges.stagesUs.service.get!.mean;
  assert.ok(service > 13 && service < 17, `Get service ${service} us, about 10 + 5 expected`);

  const short = run({ workloadOptions: { rangeRatio: 0.5, rangeDurationNs: 50 * US } });
  assert.ok(Math.abs(short.stagesUs.service.range!.mean - 50) < 1, "Ranges take 50 us");

  const spin = run({ workloadOptions: { cfsWait: "spin" } });
  const futex = run({ workloadOptions: { cfsWait: "futex" } });
  assert.equal(spin.lost, 0);
  const busy = (r: RunResult) => r.cpuUtilization.slice(2).reduce((a, b) => a + b, 0);
  assert.ok(busy(spin) > 5.9 && busy(futex) < 3, `spinning workers keep their CPUs busy`);
});

Deno.test("a PrioTable-idle worker keeps its CPU until the agent's next pass", () => {
  const config = { policy: "shinjuku", load: 120_000 };
  const futex = run({ ...config, workloadOptions: { ghostWait: "futex" } });
  const prio = run({ ...config, workloadOptions: { ghostWait: "prio-table" } });
  assert.equal(prio.lost, 0);
  // Work handed to a worker still spinning starts with no agent decision: fewer
  // blocks, wake-ups and commits.
  assert.ok(
    prio.ghost!.messages < futex.ghost!.messages && prio.ghost!.decisions < futex.ghost!.decisions,
    `messages ${prio.ghost!.messages} vs ${futex.ghost!.messages}, decisions ${
      prio.ghost!.decisions
    } vs ${futex.ghost!.decisions}`,
  );
  // The spin is the agent's notice time: free under the ideal costs, where
  // the PrioTable wait is the futex wait.
  const ideal = { ...config, costs: "ideal" };
  assert.deepEqual(
    withoutWallClock(run({ ...ideal, workloadOptions: { ghostWait: "prio-table" } })).latencyUs,
    withoutWallClock(run({ ...ideal, workloadOptions: { ghostWait: "futex" } })).latencyUs,
  );
});

Deno.test("rocksdb options default to the reference's request mix and to futex waits", () => {
  assert.deepEqual(resolveOptions(ROCKSDB_OPTIONS), {
    getExpMeanNs: 0,
    rangeDurationNs: 5 * MS,
    rangeRatio: 0.005,
    cfsWait: "futex",
    ghostWait: "futex",
    mix: "reference",
    dataplane: "off",
    dataplaneSliceNs: 30 * US,
  });
});

Deno.test("rocksdb rejects bad options with a message naming the option and the value", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ rangeRatio: 2 }, /^Bad rangeRatio "2": expected a number from 0 to 1$/],
    [{ cfsWait: "poll" }, /^Bad cfsWait "poll": expected one of futex, spin$/],
    [{ ghostWait: "spin" }, /^Bad ghostWait "spin": expected one of futex, prio-table$/],
    [{ workers: 0 }, /^Bad workers "0": expected an integer from 1 to 100000$/],
    [{ rangeDurationNs: 0 }, /^Bad rangeDurationNs "0ns": expected a positive duration$/],
    [{ getExpMeanNs: -1 }, /^Bad getExpMeanNs "-1ns": expected a non-negative duration$/],
    [{ service: "exp:1us" }, /^Unknown option service of workload rocksdb: expected one of/],
    // Checked when it starts: the machine is too small for a pinned pool.
    [{ workers: 7 }, /^Workload rocksdb under cfs pins one worker per CPU from CPU 2/],
  ];
  for (const [workloadOptions, message] of cases) {
    assert.throws(
      () => run({ workloadOptions: workloadOptions as OptionValues }),
      (error: unknown) => error instanceof InputError && message.test(error.message),
      JSON.stringify(workloadOptions),
    );
  }
});

Deno.test("rocksdb runs are deterministic for a seed", () => {
  const config = { policy: "shinjuku", seed: 4 };
  assert.deepEqual(withoutWallClock(run(config)), withoutWallClock(run(config)));
});

/** A rocksdb workload with Gets only, alone on an eight-CPU machine, run 10 ms past its arrivals. */
function runAlone(policy: "cfs" | "fifo-centralized", load: number, given: OptionValues = {}) {
  const engine = new Engine(1);
  const topology = new Topology({ name: "eight", coresPerLlc: 8 });
  const kernel = new Kernel(engine, { topology, costs: PAPER_COSTS });
  let enclave: Enclave | null = null;
  if (policy !== "cfs") {
    const layout = ROCKSDB.layout!(topology);
    enclave = new Enclave(kernel, { cpus: layout.enclaveCpus });
    new AgentProcess(kernel, enclave, new FifoCentralized(), { globalCpu: layout.globalCpu })
      .start();
  }
  const context = { engine, kernel, enclave, policy, load, latencyNice: 0 };
  const options = resolveOptions(ROCKSDB_OPTIONS, { rangeRatio: 0, ...given });
  const durationNs = 100 * MS;
  const workload = ROCKSDB.create({ ...context, warmupNs: 0, durationNs }, options);
  engine.run({ until: durationNs + 10 * MS });
  kernel.flushAccounting();
  return { workload, kernel };
}

/** CPU time of each worker of a rocksdb workload with Gets only, by worker number. */
function workerTimes(policy: "cfs" | "fifo-centralized", load: number): number[] {
  const { workload, kernel } = runAlone(policy, load);
  assert.ok(workload.finished > 20 && workload.inFlight() === 0, `${policy}: requests served`);
  return [...kernel.threads()].filter((t) => t.name.startsWith("worker")).map((t) => t.cpuTime);
}

Deno.test("rocksdb hands a request to the worker that went idle last, the highest-numbered at first", () => {
  for (const policy of ["cfs", "fifo-centralized"] as const) {
    // Requests 3 ms apart, each 10 us: they never overlap, and one worker,
    // the last, takes them all.
    const sparse = workerTimes(policy, 300);
    const last = sparse.length - 1;
    assert.ok(sparse[last]! > 0, `${policy}: worker${last} serves`);
    assert.deepEqual(sparse.slice(0, last), new Array(last).fill(0), `${policy}: no other worker`);
    // 500 us apart: when two overlap, the one that started later finishes
    // later and takes the requests that follow, until the next overlap. Two
    // workers share the work; the rest never run.
    const overlapping = workerTimes(policy, 2000);
    const total = overlapping.reduce((a, b) => a + b, 0);
    const lastTwo = overlapping.slice(-2);
    assert.ok(lastTwo.every((t) => t > 0.25 * total), `${policy}: ${lastTwo} of ${total}`);
    assert.equal(lastTwo[0]! + lastTwo[1]!, total, `${policy}: only the last two workers serve`);
  }
});

Deno.test("rocksdb serves every request by the end: a freed worker takes the oldest waiting one", () => {
  // Two workers at 75% load: requests often wait, and each must be taken as
  // soon as a worker is free, the last one included.
  for (const policy of ["cfs", "fifo-centralized"] as const) {
    const { workload } = runAlone(policy, 150_000, { workers: 2 });
    assert.ok(workload.generated > 10_000, `${policy}: ${workload.generated} requests`);
    assert.equal(workload.inFlight(), 0, `${policy}: requests left waiting`);
    assert.equal(workload.finished, workload.generated, `${policy}: all served`);
  }
});

Deno.test("rocksDbCpus gives the load generator and the dispatcher whole cores on an SMT machine", () => {
  const flat = rocksDbCpus(resolveTopology({ preset: "paper8" }));
  assert.deepEqual(flat, { loadgen: 0, dispatcher: 1, workers: [2, 3, 4, 5, 6, 7] });
  const paper = rocksDbCpus(resolveTopology({ preset: "xeon-e5-2658" }));
  assert.equal(paper.loadgen, 0);
  assert.equal(paper.dispatcher, 2);
  assert.deepEqual(paper.workers, Array.from({ length: 20 }, (_, i) => 4 + i));
  assert.throws(
    () => rocksDbCpus(new Topology({ name: "two-cores", coresPerLlc: 2, smt: 2 })),
    InputError,
  );
});

Deno.test("rocksdb's paper mix: 6 + 4 us for short requests, 6 us + 10 ms for long ones", () => {
  const result = run({
    policy: "cfs",
    load: 2_000,
    durationNs: 500 * MS,
    workloadOptions: { mix: "paper", rangeRatio: 0.05 },
  });
  assert.equal(result.lost, 0);
  assert.equal(result.stagesUs.service.get!.max, 10);
  assert.ok(result.latencyUs.range!.count > 10);
  assert.equal(result.stagesUs.service.range!.p50 >= 10_006, true);
  assert.ok(result.stagesUs.service.range!.p50 < 10_010, "6 us + 10 ms");
});
