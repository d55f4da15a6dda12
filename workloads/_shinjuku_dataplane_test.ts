import assert from "node:assert/strict";
import { InputError } from "../core/errors.ts";
import { MS, US } from "../core/units.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { DATAPLANE_PREEMPT_NS, DATAPLANE_SLICE_NS } from "./_shinjuku_dataplane.ts";
import { PAPER_GET_NS, PAPER_LONG_NS } from "./_rocksdb_requests.ts";

function run(overrides: Partial<RunConfig> = {}, options: Record<string, unknown> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "rocksdb",
    machine: "xeon-e5-2658",
    policy: "cfs",
    load: 50_000,
    durationNs: 200 * MS,
    warmupNs: 40 * MS,
    ...overrides,
    workloadOptions: { mix: "paper", dataplane: "shinjuku", ...options },
  });
}

Deno.test("the data plane preempts a request at every slice, paying the preemption each time", () => {
  // Alone on the machine: every 10 ms request runs by slices, each end a preemption.
  const longNs = PAPER_GET_NS + PAPER_LONG_NS;
  const preemptions = Math.ceil(longNs / DATAPLANE_SLICE_NS) - 1;
  const alone = run({ load: 100, durationNs: 1000 * MS, warmupNs: 100 * MS }, { rangeRatio: 1 });
  assert.equal(alone.lost, 0);
  assert.ok(alone.latencyUs.range!.count > 50);
  const expected = (longNs + preemptions * DATAPLANE_PREEMPT_NS) / US;
  assert.ok(
    Math.abs(alone.stagesUs.service.range!.max - expected) < 0.01,
    `service ${alone.stagesUs.service.range!.max} us, expected ${expected}`,
  );
  // A slice longer than the request: no preemption.
  const unsliced = run({ load: 100, durationNs: 1000 * MS, warmupNs: 100 * MS }, {
    rangeRatio: 1,
    dataplaneSliceNs: 20 * MS,
  });
  assert.ok(Math.abs(unsliced.stagesUs.service.range!.max - longNs / US) < 0.01);
});

Deno.test("the data plane keeps short requests from waiting behind long ones", () => {
  // 20 workers, long requests for 95% of the work: without preemption they
  // would hold every worker at times. With it, a short request waits a few
  // slices at most.
  const result = run({ load: 150_000 }, { rangeRatio: 0.01 });
  assert.equal(result.lost, 0);
  const shortP99 = result.latencyUs.get!.p99;
  assert.ok(shortP99 < 200, `short requests' p99 ${shortP99} us`);
  const cfs = runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "rocksdb",
    machine: "xeon-e5-2658",
    policy: "cfs",
    load: 150_000,
    durationNs: 200 * MS,
    warmupNs: 40 * MS,
    workloadOptions: { mix: "paper", rangeRatio: 0.01, workers: 20, cfsWait: "spin" },
  });
  assert.ok(
    cfs.latencyUs.get!.p99 > 5 * shortP99,
    `run to completion: ${cfs.latencyUs.get!.p99} us against ${shortP99} us`,
  );
});

Deno.test("the data plane gives a co-located batch job no CPU, where CFS shares", () => {
  const dataplane = run({ antagonists: 20 });
  assert.equal(dataplane.lost, 0);
  assert.equal(dataplane.antagonist!.total, 0);
  // The dispatcher's and workers' CPUs are busy all the time.
  for (const cpu of [2, ...Array.from({ length: 20 }, (_, i) => 4 + i)]) {
    assert.equal(dataplane.cpuUtilization[cpu], 1, `CPU ${cpu}`);
  }
  const cfs = runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "rocksdb",
    machine: "xeon-e5-2658",
    policy: "cfs",
    load: 50_000,
    antagonists: 20,
    durationNs: 200 * MS,
    warmupNs: 40 * MS,
    workloadOptions: { mix: "paper", workers: 20 },
  });
  assert.ok(cfs.antagonist!.total > 10, `cfs batch CPUs ${cfs.antagonist!.total}`);
});

Deno.test("the data plane runs without ghOSt only", () => {
  assert.throws(
    () => run({ policy: "shinjuku" }),
    (e: unknown) => e instanceof InputError && /data plane runs without ghOSt/.test(e.message),
  );
});
