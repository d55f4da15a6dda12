/**
 * End-to-end tests of the `search` workload and the `search` policy (the
 * ghOSt paper's Search experiment, §4.4): no query is lost under every
 * scheduler, the policy keeps pooled memory-bound workers on their CCX, its
 * loop cost grows with the machine, the ablation without NUMA and CCX
 * awareness runs A off its data, and the paper's 256-CPU machine runs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { resolveTopology } from "../core/topology.ts";
import { MS } from "../core/units.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { searchCapacityQps } from "../workloads/search.ts";

const ROME = resolveTopology({ preset: "rome2s" });

/** A run of the search workload on rome2s at `share` of its nominal capacity. */
function runSearch(policy: string, share: number, overrides: Partial<RunConfig> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    policy,
    workload: "search",
    machine: "rome2s",
    load: Math.round(searchCapacityQps(ROME) * share),
    durationNs: 150 * MS,
    warmupNs: 30 * MS,
    ...overrides,
  });
}

const cache = new Map<string, RunResult>();
function light(policy: string): RunResult {
  let cached = cache.get(policy);
  if (cached === undefined) {
    cached = runSearch(policy, 0.3);
    cache.set(policy, cached);
  }
  return cached;
}

Deno.test("search workload loses no query and reports every type under cfs, search and fifo-centralized", () => {
  for (const policy of ["cfs", "search", "fifo-centralized"]) {
    // Workers pinned to their data's socket: fifo-centralized once ignored
    // the masks, its commits failed INVALID_CPU and it stalled.
    const run = light(policy);
    assert.equal(run.lost, 0, `${policy}: ${run.lost} queries lost`);
    assert.ok(run.completed > 3000, `${policy}: only ${run.completed} queries`);
    for (const type of ["A", "B", "C"]) {
      assert.ok(run.latencyUs[type]!.count > 0, `${policy}: no query of type ${type}`);
    }
    // C is compute-bound: never slowed.
    assert.ok(run.stagesUs.service.C!.p99 < 1501, `${policy}: C service`);
  }
  // The same arrivals: both answer every query, so their QPS is the same.
  assert.equal(light("search").completed, light("cfs").completed);
});

Deno.test("search policy keeps pooled memory-bound A workers on their CCX at light load", () => {
  // 600 us at home, 720 us on another CCX: at 30% load nearly every A runs at home.
  const a = light("search").stagesUs.service.A!;
  assert.ok(a.p99 < 601, `A service p99 ${a.p99} us`);
});

Deno.test("search policy without topology awareness runs A off its data, and A's p99 rises", () => {
  const blind = runSearch("search", 0.3, {
    policyOptions: { topologyAware: "false" },
    workloadOptions: { socketAffinity: "false" },
  });
  assert.equal(blind.lost, 0);
  const a = blind.stagesUs.service.A!;
  assert.ok(a.p50 > 700, `A service p50 ${a.p50} us`);
  assert.ok(
    blind.latencyUs.A!.p99 > light("search").latencyUs.A!.p99,
    `${blind.latencyUs.A!.p99} vs ${light("search").latencyUs.A!.p99} us`,
  );
});

Deno.test("search policy's loop period delays B's start on a bigger machine", () => {
  // A pass every 117 ns per CPU: 7.5 us on 64 CPUs, a wait of 3.75 us on average.
  const paid = light("search").stagesUs.queue.B!;
  const free = runSearch("search", 0.3, { policyOptions: { scanPerCpuNs: 0 } }).stagesUs.queue.B!;
  assert.ok(paid.mean > free.mean + 2, `queue ${paid.mean} vs ${free.mean} us`);
  assert.ok(paid.p99 < free.p99 + 8, `p99 queue ${paid.p99} vs ${free.p99} us`);
});

Deno.test("search runs on the paper's 256-CPU machine without losing a query", () => {
  const topology = resolveTopology({ preset: "rome2s-256" });
  assert.equal(topology.size, 256);
  assert.equal(topology.llcs.length, 32);
  assert.equal(topology.sockets.length, 2);
  for (const policy of ["cfs", "search"]) {
    const run = runExperiment({
      ...DEFAULT_RUN_CONFIG,
      policy,
      workload: "search",
      machine: "rome2s-256",
      load: Math.round(searchCapacityQps(topology) * 0.3),
      durationNs: 30 * MS,
      warmupNs: 10 * MS,
    });
    assert.equal(run.lost, 0, policy);
    assert.ok(run.completed > 1000, `${policy}: ${run.completed}`);
  }
});
