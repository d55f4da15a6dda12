import assert from "node:assert/strict";
import { InputError } from "../core/errors.ts";
import { type OptionValues, resolveOptions } from "../core/options.ts";
import { MS, US } from "../core/units.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { ROCKSDB_OPTIONS } from "./rocksdb.ts";

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
