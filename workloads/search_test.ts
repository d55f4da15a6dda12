import assert from "node:assert/strict";
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
import { SEARCH_QUERY_TYPES, searchWorkload } from "./search.ts";

function run(overrides: Partial<RunConfig> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "search",
    machine: "rome2s",
    load: 10_000,
    durationNs: 100 * MS,
    warmupNs: 20 * MS,
    ...overrides,
  });
}

function withoutWallClock(result: RunResult): Omit<RunResult, "eventsPerSec"> {
  const { eventsPerSec: _, ...rest } = result;
  return rest;
}

Deno.test("search answers every query type and loses none", () => {
  const result = run();
  assert.equal(result.lost, 0);
  assert.equal(result.workers, null, "one thread per part, no pool");
  for (const type of SEARCH_QUERY_TYPES) {
    assert.ok(result.latencyUs[type.name]!.count > 0, `type ${type.name} answered`);
  }
  assert.deepEqual(result.config.workloadOptions, {});
});

Deno.test("search takes no options and says so", () => {
  assert.throws(
    () => run({ workloadOptions: { workers: 4 } }),
    (error: unknown) =>
      error instanceof InputError &&
      error.message === "Unknown option workers of workload search: expected none",
  );
});

Deno.test("search rejects a query mix without any load", () => {
  assert.throws(
    () => searchWorkload({ types: SEARCH_QUERY_TYPES.map((t) => ({ ...t, share: 0 })) }),
    (error: unknown) => error instanceof InputError && /share > 0/.test(error.message),
  );
});

Deno.test("search runs are deterministic for a seed", () => {
  assert.deepEqual(withoutWallClock(run({ seed: 3 })), withoutWallClock(run({ seed: 3 })));
});

Deno.test("search times a fan-out query from its first part's start to its last part's end", () => {
  const engine = new Engine(1);
  const topology = new Topology({ name: "two", coresPerLlc: 2 });
  const kernel = new Kernel(engine, { topology, costs: PAPER_COSTS });
  const onlyC = SEARCH_QUERY_TYPES.map((type) => ({ ...type, share: type.name === "C" ? 1 : 0 }));
  const context = { engine, kernel, enclave: null, policy: "cfs", load: 20, latencyNice: 0 };
  const workload = searchWorkload({ types: onlyC }).create(
    { ...context, warmupNs: 0, durationNs: 500 * MS },
    {},
  );
  engine.run({ until: 600 * MS });
  assert.equal(workload.inFlight(), 0);
  assert.ok(workload.finished >= 5, `${workload.finished} queries`);
  // Eight 1 ms parts on two CPUs: the first starts at once, the last ends 4 ms on.
  const queue = workload.stats.summary("queue").C!;
  const service = workload.stats.summary("service").C!;
  assert.ok(queue.max < 100, `queued up to ${queue.max} us`);
  assert.ok(service.p50 >= 4000, `served in ${service.p50} us (median)`);
});
