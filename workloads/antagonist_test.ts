import assert from "node:assert/strict";
import { hog } from "../core/behaviors.ts";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import { Kernel } from "../core/kernel.ts";
import { Topology } from "../core/topology.ts";
import { MS } from "../core/units.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { spawnAntagonists } from "./antagonist.ts";

function run(overrides: Partial<RunConfig> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "antagonist",
    cpus: 4,
    durationNs: 50 * MS,
    warmupNs: 10 * MS,
    ...overrides,
  });
}

function withoutWallClock(result: RunResult): Omit<RunResult, "eventsPerSec"> {
  const { eventsPerSec: _, ...rest } = result;
  return rest;
}

Deno.test("the antagonist alone spins 7 threads that share every CPU", () => {
  const result = run();
  assert.equal(result.lost, 0);
  assert.equal(result.generated, 0);
  assert.equal(result.workers, 7);
  assert.ok(result.antagonist !== null);
  assert.equal(result.antagonist.perThread.length, 7);
  assert.ok(Math.abs(result.antagonist.total - 4) < 0.05, `total ${result.antagonist.total}`);
});

Deno.test("the antagonist's workers option sets its threads", () => {
  const result = run({ workloadOptions: { workers: 3 } });
  assert.equal(result.antagonist?.perThread.length, 3);
  for (const share of result.antagonist!.perThread) assert.ok(share > 0.95, `share ${share}`);
});

Deno.test("the antagonist rejects a bad thread count, and spawnAntagonists a negative one", () => {
  assert.throws(
    () => run({ workloadOptions: { workers: 0 } }),
    (error: unknown) =>
      error instanceof InputError &&
      error.message === 'Bad workers "0": expected an integer from 1 to 4096',
  );
  assert.throws(() => run({ antagonists: -1 }), /Bad antagonists "-1"/);
  assert.throws(
    () => spawnAntagonists({} as Parameters<typeof spawnAntagonists>[0], -1),
    RangeError,
  );
});

Deno.test("antagonists co-located with a workload take the time it leaves and lose no request", () => {
  const result = run({ workload: "synthetic", load: 50_000, antagonists: 2 });
  assert.equal(result.lost, 0);
  assert.ok(result.completed > 1000);
  assert.equal(result.antagonist?.perThread.length, 2);
  assert.ok(result.antagonist!.total > 1, `antagonists got ${result.antagonist!.total} CPUs`);
});

Deno.test("antagonist runs are deterministic for a seed", () => {
  assert.deepEqual(withoutWallClock(run({ seed: 2 })), withoutWallClock(run({ seed: 2 })));
});

Deno.test("spawnAntagonists makes niced threads: under CFS they leave a CPU to a nice-0 thread", () => {
  const engine = new Engine(1);
  const topology = new Topology({ name: "one", coresPerLlc: 1 });
  const kernel = new Kernel(engine, { topology, costs: PAPER_COSTS });
  const context = {
    engine,
    kernel,
    enclave: null,
    policy: "cfs",
    load: 1,
    warmupNs: 0,
    durationNs: 100 * MS,
    latencyNice: 0,
  };
  const [antagonist] = spawnAntagonists(context, 1);
  const worker = kernel.spawn(hog(), { name: "worker" });
  engine.run({ until: 100 * MS });
  kernel.flushAccounting();
  // Weights 15 (nice 19) and 1024 (nice 0): the worker gets about 98.6%.
  const share = worker.cpuTime / (worker.cpuTime + antagonist!.cpuTime);
  assert.ok(share > 0.97, `the nice-0 thread got ${(share * 100).toFixed(1)}%`);
});
