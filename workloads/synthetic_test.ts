import assert from "node:assert/strict";
import { InputError } from "../core/errors.ts";
import { type OptionValues, resolveOptions } from "../core/options.ts";
import { MS, SEC } from "../core/units.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { SYNTHETIC_OPTIONS } from "./synthetic.ts";

const LOAD = 100_000;
const DURATION = 200 * MS;
const WARMUP = 20 * MS;

function run(overrides: Partial<RunConfig> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "synthetic",
    cpus: 4,
    load: LOAD,
    durationNs: DURATION,
    warmupNs: WARMUP,
    ...overrides,
  });
}

function withoutWallClock(result: RunResult): Omit<RunResult, "eventsPerSec"> {
  const { eventsPerSec: _, ...rest } = result;
  return rest;
}

Deno.test("synthetic serves every request with a thread each and with a pool of workers", () => {
  const expected = LOAD * (DURATION - WARMUP) / SEC;
  for (const workers of [0, 4]) {
    const result = run({ workloadOptions: { workers } });
    assert.equal(result.lost, 0, `workers ${workers}: lost`);
    assert.equal(result.workers, workers);
    assert.ok(
      Math.abs(result.completed - expected) < 0.05 * expected,
      `workers ${workers}: ${result.completed} completed, about ${expected} expected`,
    );
    const groups = result.threadCpu.map((g) => g.group);
    assert.ok(groups.includes(workers === 0 ? "requests" : "workers"), groups.join(" "));
  }
});

Deno.test("synthetic draws service times from its service option, with its request types", () => {
  const result = run({ workloadOptions: { service: "bimodal:10us,1ms,0.01" } });
  assert.equal(result.lost, 0);
  assert.ok(result.latencyUs.short!.count > 0 && result.latencyUs.long!.count > 0);
  assert.ok(result.stagesUs.service.long!.mean > 900, "long requests take about 1 ms");
  assert.equal(result.config.workloadOptions.service, "bimodal:10us,1ms,0.01");
});

Deno.test("synthetic options default to exp:20us and one thread per request", () => {
  assert.deepEqual(resolveOptions(SYNTHETIC_OPTIONS), { service: "exp:20us", workers: 0 });
});

Deno.test("synthetic rejects bad options with a message naming the option and the value", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ workers: -1 }, /^Bad workers "-1": expected an integer from 0 to 100000$/],
    [{ workers: 1.5 }, /^Bad workers "1.5": expected an integer from 0 to 100000$/],
    [{ service: "exp:" }, /"exp:"/],
    [{ service: 20 }, /^Bad service "20": expected a distribution such as exp:20us$/],
    [{ rangeRatio: 0 }, /^Unknown option rangeRatio of workload synthetic: expected one of/],
  ];
  for (const [workloadOptions, message] of cases) {
    assert.throws(
      () => run({ workloadOptions: workloadOptions as OptionValues }),
      (error: unknown) => error instanceof InputError && message.test(error.message),
      JSON.stringify(workloadOptions),
    );
  }
});

Deno.test("synthetic runs are deterministic for a seed and differ across seeds", () => {
  const first = withoutWallClock(run({ seed: 9 }));
  assert.deepEqual(withoutWallClock(run({ seed: 9 })), first);
  assert.notDeepEqual(withoutWallClock(run({ seed: 10 })).latencyUs, first.latencyUs);
});
