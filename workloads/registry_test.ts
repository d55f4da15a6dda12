import assert from "node:assert/strict";
import { InputError } from "../core/errors.ts";
import type { OptionSpecs } from "../core/options.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import { parseRunArgs } from "../reports/cli/run_args.ts";
import { resolveRunConfig } from "../reports/experiment/run_config.ts";
import { DEFAULT_RUN_CONFIG } from "../reports/experiment/run_experiment.ts";
import { registerWorkload, resolveWorkload, WORKLOADS } from "./registry.ts";
import type { WorkloadDefinition } from "./workload.ts";

/** The one option of the test workloads. */
const IDLE_OPTIONS = {
  size: { kind: "integer", default: 3, min: 1, max: 9, help: "a size" },
} as const satisfies OptionSpecs;

/** A workload that starts nothing, with one option. */
function idle(name: string): WorkloadDefinition<typeof IDLE_OPTIONS> {
  return {
    name,
    description: "starts nothing",
    options: IDLE_OPTIONS,
    create: (context) => ({
      stats: new RequestStats({ types: ["request"], warmupNs: context.warmupNs }),
      generated: 0,
      finished: 0,
      inFlight: () => 0,
    }),
  };
}

Deno.test("WORKLOADS holds the built-in workloads in order", () => {
  assert.deepEqual(Object.keys(WORKLOADS).slice(0, 4), [
    "synthetic",
    "rocksdb",
    "antagonist",
    "search",
  ]);
  assert.throws(() => resolveWorkload("toString"), InputError);
});

Deno.test("registerWorkload adds a workload that resolveWorkload, resolveRunConfig and the run flags accept", () => {
  const definition = registerWorkload(idle("registry-test-idle"));
  assert.ok(Object.isFrozen(definition));
  assert.equal(WORKLOADS["registry-test-idle"], definition);
  assert.equal(resolveWorkload("registry-test-idle"), definition);
  const config = resolveRunConfig({ ...DEFAULT_RUN_CONFIG, workload: "registry-test-idle" });
  assert.deepEqual(config.workloadOptions, { size: 3 });
  const args = parseRunArgs(["--workload", "registry-test-idle", "--size", "5"]);
  assert.equal(args.config.workload, "registry-test-idle");
  assert.deepEqual(args.config.workloadOptions, { size: 5 });
});

Deno.test("registerWorkload refuses a taken name, a bad name and a missing create", () => {
  assert.throws(
    () => registerWorkload(idle("rocksdb")),
    /Workload "rocksdb" is already registered/,
  );
  assert.notEqual(WORKLOADS.rocksdb!.description, "starts nothing");
  for (const name of ["", "Upper", "has space", "-dash", "a_b"]) {
    assert.throws(() => registerWorkload(idle(name)), TypeError, name);
  }
  const broken = { ...idle("registry-test-broken"), create: undefined };
  assert.throws(
    () => registerWorkload(broken as unknown as WorkloadDefinition),
    /Workload registry-test-broken has no create function/,
  );
  assert.equal(Object.hasOwn(WORKLOADS, "registry-test-broken"), false);
});
