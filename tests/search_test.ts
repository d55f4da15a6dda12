/**
 * End-to-end tests of the `search` workload and the `search` policy on the
 * `rome2s` machine (2 sockets x 4 CCXs x 8 CPUs): no query is lost, every
 * query type is reported, the policy runs memory-bound threads on their home
 * CCX, and the claim the Search figure checks: at equal QPS the NUMA- and
 * CCX-aware policy lowers the p99 latency of the memory-heavy type B against
 * CFS (and against the topology-blind centralized FIFO).
 *
 * @module
 */

import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import { resolveCostProfile } from "../core/cost_profile.ts";
import { Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import { Kernel } from "../core/kernel.ts";
import { resolveTopology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { Search } from "../policies/search.ts";
import {
  DEFAULT_RUN_CONFIG,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import { SEARCH_QUERY_TYPES, searchWorkload } from "../workloads/search.ts";
import type { WorkloadContext } from "../workloads/workload.ts";

/** A moderate load: about 30% of rome2s's capacity with the default mix. */
const MODERATE_QPS = 20_000;

function runSearch(policy: string): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    policy,
    workload: "search",
    machine: "rome2s",
    load: MODERATE_QPS,
    durationNs: 300 * MS,
    warmupNs: 50 * MS,
  });
}

const results = new Map<string, RunResult>();
function result(policy: string): RunResult {
  let cached = results.get(policy);
  if (cached === undefined) {
    cached = runSearch(policy);
    results.set(policy, cached);
  }
  return cached;
}

Deno.test("search workload loses no query and reports every type under cfs, search and fifo-centralized", () => {
  for (const policy of ["cfs", "search", "fifo-centralized"]) {
    const run = result(policy);
    assert.equal(run.lost, 0, `${policy}: ${run.lost} queries lost`);
    assert.ok(run.completed > 4000, `${policy}: only ${run.completed} queries`);
    for (const type of ["A", "B", "C"]) {
      assert.ok(run.latencyUs[type]!.count > 0, `${policy}: no query of type ${type}`);
    }
    // A is CPU-bound and never slowed; nobody preempts it at this load.
    assert.ok(Math.abs(run.stagesUs.service.A!.p50 - 50) < 1, `${policy}: A service`);
  }
});

Deno.test("search policy lowers type B's p99 against cfs and fifo-centralized at equal QPS", () => {
  const b = (policy: string) => result(policy).latencyUs.B!.p99;
  assert.ok(b("search") < b("cfs"), `search ${b("search")} us vs cfs ${b("cfs")} us`);
  assert.ok(
    b("search") < b("fifo-centralized"),
    `search ${b("search")} us vs fifo-centralized ${b("fifo-centralized")} us`,
  );
  // The throughput is the same: the offered load is well below capacity.
  const rps = (policy: string) => result(policy).throughputRps;
  assert.ok(Math.abs(rps("search") - rps("cfs")) / rps("cfs") < 0.01);
});

/** The run's settings for building the workload by hand. */
function runSettings(load: number, durationNs: number) {
  return { load, latencyNice: 0, warmupNs: 0, durationNs } satisfies Partial<WorkloadContext>;
}

Deno.test("search policy runs memory-bound threads on their home CCX when it has an idle CPU", () => {
  const topology = resolveTopology({ preset: "rome2s" });
  const engine = new Engine(7);
  const kernel = new Kernel(engine, { topology, costs: resolveCostProfile("paper") });
  const enclave = new Enclave(kernel, { cpus: topology.cpus.map((cpu) => cpu.id) });
  new AgentProcess(kernel, enclave, new Search(), { globalCpu: 0 }).start();
  const onlyB = SEARCH_QUERY_TYPES.map((type) => ({ ...type, share: type.name === "B" ? 1 : 0 }));
  let exited = 0;
  kernel.onThreadExit = (thread) => {
    if (thread.group !== "searchB") return;
    exited++;
    // Work 200 us at home, 264 us on another CCX, 360 us on the other socket.
    assert.equal(thread.cpuTime, 200 * US, `thread ${thread.id} ran away from home`);
    assert.equal(topology.cpus[thread.lastCpu]!.llc, thread.homeLlc);
  };
  const workload = searchWorkload({ types: onlyB }).create({
    engine,
    kernel,
    enclave,
    policy: "search",
    ...runSettings(5_000, 50 * MS),
  }, {});
  engine.run({ until: 60 * MS });
  assert.ok(exited > 100, `only ${exited} B queries`);
  assert.equal(workload.generated, workload.finished);
  assert.equal(workload.inFlight(), 0);
});

Deno.test("search workload counts queries exactly: a fan-out query finishes with its last part", () => {
  const topology = resolveTopology({ preset: "rome2s" });
  const engine = new Engine(3);
  const kernel = new Kernel(engine, { topology, costs: resolveCostProfile("paper") });
  const onlyC = SEARCH_QUERY_TYPES.map((type) => ({ ...type, share: type.name === "C" ? 1 : 0 }));
  let parts = 0;
  kernel.onThreadExit = (thread) => {
    if (thread.group === "searchC") parts++;
  };
  const workload = searchWorkload({ types: onlyC }).create({
    engine,
    kernel,
    enclave: null,
    policy: "cfs",
    ...runSettings(2_000, 20 * MS),
  }, {});
  engine.run({ until: 20 * MS });
  assert.ok(workload.inFlight() > 0);
  assert.equal(workload.generated, workload.finished + workload.inFlight());
  engine.run({ until: 40 * MS });
  assert.equal(workload.inFlight(), 0);
  assert.equal(workload.finished, workload.generated);
  assert.equal(parts, 8 * workload.generated);
  const c = workload.stats.summary("service").C!;
  assert.equal(c.count, workload.generated);
  // The slowest of 8 parts: at least 1 ms, at most 1.3 ms plus switch costs.
  assert.ok(c.p50 >= 1000 && c.max < 1400, `C service p50 ${c.p50} us, max ${c.max} us`);
});

Deno.test("search workload rejects --workers and a mix without load", () => {
  assert.throws(
    () =>
      runExperiment({
        ...DEFAULT_RUN_CONFIG,
        workload: "search",
        workloadOptions: { workers: 4 },
      }),
    InputError,
  );
  assert.throws(
    () => searchWorkload({ types: SEARCH_QUERY_TYPES.map((t) => ({ ...t, share: 0 })) }),
    InputError,
  );
});
