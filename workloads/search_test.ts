import assert from "node:assert/strict";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import { Kernel } from "../core/kernel.ts";
import type { Thread } from "../core/thread.ts";
import { resolveTopology, Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import {
  SEARCH_QUERY_TYPES,
  searchCapacityQps,
  searchMeanWorkNs,
  type SearchQueryType,
  searchWorkload,
} from "./search.ts";

function run(overrides: Partial<RunConfig> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "search",
    machine: "rome2s",
    load: 20_000,
    durationNs: 100 * MS,
    warmupNs: 20 * MS,
    ...overrides,
  });
}

function withoutWallClock(result: RunResult): Omit<RunResult, "eventsPerSec"> {
  const { eventsPerSec: _, ...rest } = result;
  return rest;
}

/** Only one query type of the default mix gets load. */
function only(name: string): SearchQueryType[] {
  return SEARCH_QUERY_TYPES.map((type) => ({ ...type, share: type.name === name ? 1 : 0 }));
}

/** A CFS machine running the search workload with `types` at `load`; returns it and its threads. */
function cfsMachine(
  types: readonly SearchQueryType[],
  load: number,
  options: { topology?: Topology; socketAffinity?: "true" | "false"; durationNs?: number } = {},
) {
  const engine = new Engine(1);
  const topology = options.topology ?? resolveTopology({ preset: "rome2s" });
  const kernel = new Kernel(engine, { topology, costs: PAPER_COSTS });
  const spawned: Thread[] = [];
  const exited: Thread[] = [];
  kernel.onThreadExit = (thread) => void exited.push(thread);
  const workload = searchWorkload({ types }).create({
    engine,
    kernel,
    enclave: null,
    policy: "cfs",
    load,
    latencyNice: 0,
    warmupNs: 0,
    durationNs: options.durationNs ?? 50 * MS,
  }, { socketAffinity: options.socketAffinity ?? "true" });
  for (const thread of kernel.threads()) spawned.push(thread);
  return { engine, kernel, topology, workload, spawned, exited };
}

Deno.test("search answers every query type and loses none", () => {
  const result = run();
  assert.equal(result.lost, 0);
  for (const type of SEARCH_QUERY_TYPES) {
    assert.ok(result.latencyUs[type.name]!.count > 0, `type ${type.name} answered`);
  }
  assert.deepEqual(result.config.workloadOptions, { socketAffinity: "true" });
});

Deno.test("search takes --socket-affinity only", () => {
  assert.throws(
    () => run({ workloadOptions: { workers: 4 } }),
    (error: unknown) => error instanceof InputError && /workers/.test(error.message),
  );
  assert.throws(() => run({ workloadOptions: { socketAffinity: "maybe" } }), InputError);
});

Deno.test("search rejects a query mix without any load or with a bad serving", () => {
  assert.throws(
    () => searchWorkload({ types: SEARCH_QUERY_TYPES.map((t) => ({ ...t, share: 0 })) }),
    (error: unknown) => error instanceof InputError && /share > 0/.test(error.message),
  );
  assert.throws(
    () =>
      searchWorkload({
        types: [{ ...SEARCH_QUERY_TYPES[0]!, serving: "never" as "ssd" }],
      }),
    (error: unknown) => error instanceof InputError && /serving/.test(error.message),
  );
});

Deno.test("search runs are deterministic for a seed", () => {
  assert.deepEqual(withoutWallClock(run({ seed: 3 })), withoutWallClock(run({ seed: 3 })));
});

Deno.test("search's capacity is the CPUs over the mean work: 560 us a query", () => {
  assert.equal(searchMeanWorkNs(), 560 * US);
  const rome = resolveTopology({ preset: "rome2s" });
  assert.ok(Math.abs(searchCapacityQps(rome) - 64 / 560e-6) < 1e-6);
  assert.equal(
    searchCapacityQps(resolveTopology({ preset: "rome2s-256" })),
    4 * searchCapacityQps(rome),
  );
});

Deno.test("search pins every worker to one socket, or to none without socket affinity", () => {
  const pinned = cfsMachine(SEARCH_QUERY_TYPES, 20_000);
  pinned.engine.run({ until: 60 * MS });
  const socketOf = (cpu: number) => pinned.topology.cpus[cpu]!.socket;
  const threads = [...pinned.spawned, ...pinned.exited];
  // The pools: 8 A workers per CCX (8 CCXs) and one C worker per CPU.
  assert.equal(pinned.spawned.filter((t) => t.group === "searchA").length, 64);
  assert.equal(pinned.spawned.filter((t) => t.group === "searchC").length, 64);
  assert.ok(pinned.exited.filter((t) => t.group === "searchB").length > 100);
  for (const thread of threads) {
    const mask = thread.affinity;
    assert.ok(mask !== null, `${thread.name} has a cpumask`);
    const cpus = [...mask.keys()].filter((cpu) => mask[cpu] === 1);
    assert.equal(cpus.length, 32);
    assert.ok(cpus.every((cpu) => socketOf(cpu) === socketOf(cpus[0]!)));
    if (thread.lastCpu >= 0) assert.equal(socketOf(thread.lastCpu), socketOf(cpus[0]!));
  }
  const free = cfsMachine(SEARCH_QUERY_TYPES, 20_000, { socketAffinity: "false" });
  assert.ok(free.spawned.every((thread) => thread.affinity === null));
});

Deno.test("search's B thread computes, blocks on the SSD read, computes again, and exits", () => {
  const machine = cfsMachine(only("B"), 2_000);
  machine.engine.run({ until: 80 * MS });
  const { workload, exited } = machine;
  assert.equal(workload.inFlight(), 0);
  assert.equal(exited.length, workload.generated);
  // Alone on an idle machine: 25 us + 200 us + 25 us, on its first CCX.
  const service = workload.stats.summary("service").B!;
  assert.ok(service.p50 >= 250 && service.max < 260, `B served in ${service.p50} us`);
  for (const thread of exited) {
    assert.equal(thread.cpuTime, 50 * US);
    assert.equal(machine.topology.cpus[thread.lastCpu]!.llc, thread.homeLlc);
  }
});

Deno.test("search's A workers are woken per query, and their home is the CCX they last ran on", () => {
  const machine = cfsMachine(only("A"), 4_000);
  machine.engine.run({ until: 80 * MS });
  const { workload, spawned, topology } = machine;
  assert.equal(workload.inFlight(), 0);
  assert.equal(workload.finished, workload.generated);
  assert.ok(workload.generated > 100);
  // Every worker is alive and blocked; one that served a query has its home where it ran last.
  const served = spawned.filter((thread) => thread.cpuTime > 0);
  assert.ok(served.length > 8, `${served.length} workers served`);
  for (const thread of spawned) assert.equal(thread.state, "blocked");
  for (const thread of served) {
    assert.equal(topology.cpus[thread.lastCpu]!.llc, thread.homeLlc);
  }
  // A lightly loaded CFS wakes a worker where it last ran: 600 us at full speed.
  const service = workload.stats.summary("service").A!;
  assert.ok(service.p50 >= 600 && service.p50 < 601, `A served in ${service.p50} us`);
});

Deno.test("search's C queries wait for a socket's long-lived workers when all are busy", () => {
  // Two CPUs on one socket: two C workers; three queries at once share them.
  const topology = new Topology({ name: "two", coresPerLlc: 2 });
  const machine = cfsMachine(only("C"), 20, { topology, durationNs: 500 * MS });
  machine.engine.run({ until: 600 * MS });
  const { workload, spawned } = machine;
  assert.equal(spawned.length, 2);
  assert.equal(workload.inFlight(), 0);
  assert.ok(workload.finished >= 5, `${workload.finished} queries`);
  const service = workload.stats.summary("service").C!;
  assert.ok(service.p50 >= 1500 && service.max < 1510, `C served in ${service.p50} us`);
});
