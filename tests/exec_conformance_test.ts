/**
 * The wire protocol's conformance test: the Python FIFO agents of
 * examples/agents/ give exactly the `run --json` output of the built-in
 * `fifo-centralized` and `fifo-percpu` (every field but the wall-clock
 * `eventsPerSec` and the policy's name), on the synthetic and RocksDB
 * workloads, through an upgrade and a crash with a restart. Without
 * python3 the tests are skipped, and say so.
 */

import assert from "node:assert/strict";
import { DEFAULT_RUN_CONFIG, runExperiment, type RunResult } from "../mod.ts";
import { loadPolicySource } from "../policies/sources.ts";
import type { RunConfig } from "../reports/experiment/run_config.ts";

const AGENTS = new URL("../examples/agents/", import.meta.url).pathname;

/** Whether python3 runs here. */
function hasPython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const PYTHON = hasPython();
if (!PYTHON) {
  console.warn(
    "tests/exec_conformance_test.ts: python3 not found, the Python agents' conformance tests " +
      "are SKIPPED (install python3 to run them)",
  );
}

/** A run's output without what names the policy or depends on the wall clock. */
function comparable(result: RunResult): unknown {
  const { eventsPerSec: _, config, lifecycleEvents, ...rest } = result;
  const { policy: _p, policyOptions: _o, events, ...general } = config;
  return {
    ...rest,
    general,
    events: events.map(({ policy: _s, ...event }) => event),
    lifecycleEvents: lifecycleEvents.map(({ policyAfter: _a, ...event }) => event),
  };
}

const CASES: { name: string; config: Partial<RunConfig> }[] = [
  {
    name: "synthetic, a thread per request, 4 CPUs",
    config: { cpus: 4, load: 50_000, durationNs: 150_000_000, warmupNs: 10_000_000 },
  },
  {
    name: "RocksDB at 40k req/s",
    config: {
      workload: "rocksdb",
      load: 40_000,
      durationNs: 250_000_000,
      warmupNs: 50_000_000,
    },
  },
  {
    name: "RocksDB through an upgrade and a crash with a restart",
    config: {
      workload: "rocksdb",
      load: 20_000,
      durationNs: 200_000_000,
      warmupNs: 50_000_000,
      events: [{ kind: "upgrade", atNs: 100_000_000 }, { kind: "crash", atNs: 150_000_000 }],
      restartDelayNs: 5_000_000,
      windowNs: 10_000_000,
    },
  },
];

for (
  const [builtIn, agent] of [
    ["fifo-centralized", "fifo_centralized.py"],
    ["fifo-percpu", "fifo_per_cpu.py"],
  ] as const
) {
  for (const { name, config } of CASES) {
    Deno.test({
      name: `examples/agents/${agent} gives exactly the run of built-in ${builtIn}: ${name}`,
      ignore: !PYTHON,
      async fn() {
        const policy = `exec:python3 ${AGENTS}${agent}`;
        await loadPolicySource(policy);
        const run = (p: string) => runExperiment({ ...DEFAULT_RUN_CONFIG, ...config, policy: p });
        const expected = run(builtIn);
        const actual = run(policy);
        assert.ok(expected.completed > 0 && expected.ghost !== null);
        assert.deepEqual(comparable(actual), comparable(expected));
        assert.equal(actual.config.policy, policy);
      },
    });
  }
}

Deno.test({
  name: "swap:exec:...@T hands the enclave to a Python agent as to the built-in it reproduces",
  ignore: !PYTHON,
  async fn() {
    const agent = `exec:python3 ${AGENTS}fifo_centralized.py`;
    await loadPolicySource(agent);
    const run = (to: string) =>
      runExperiment({
        ...DEFAULT_RUN_CONFIG,
        workload: "rocksdb",
        policy: "fifo-centralized",
        load: 20_000,
        durationNs: 200_000_000,
        warmupNs: 50_000_000,
        events: [{ kind: "swap", atNs: 100_000_000, policy: to }],
        windowNs: 10_000_000,
      });
    const swapped = run(agent);
    assert.equal(swapped.lifecycleEvents[0]?.policyAfter, agent);
    assert.deepEqual(comparable(swapped), comparable(run("fifo-centralized")));
  },
});
