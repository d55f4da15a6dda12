/**
 * How fast an external agent runs: the Python FIFO of
 * examples/agents/fifo_centralized.py against the built-in it reproduces.
 *
 * - `agent pass`: one bare pass (a `schedule` request with nothing to do,
 *   and its reply) through the channel to the Python process.
 * - `rocksdb`: 100 ms of virtual time of RocksDB at 40k req/s (Get 10 us,
 *   Range 5 ms) under the built-in `fifo-centralized` (the baseline) and
 *   under the Python agent; the bench's name gives the agent's passes
 *   (requests), so passes per second = passes / time per iteration.
 *
 * Without python3 the benches are skipped.
 *
 * Run: `deno bench -A policies/exec/exec_policy_bench.ts`
 *
 * @module
 */

import { DEFAULT_RUN_CONFIG, runExperiment } from "../../reports/experiment/run_experiment.ts";
import { registerPolicy } from "../registry.ts";
import { AgentChannel } from "./agent_channel.ts";
import { ExecPolicy } from "./exec_policy.ts";

const AGENT = new URL("../../examples/agents/fifo_centralized.py", import.meta.url).pathname;

function hasPython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const PYTHON = hasPython();

const instances: ExecPolicy[] = [];
registerPolicy({
  name: "bench-python-fifo",
  description: "examples/agents/fifo_centralized.py, counted",
  model: "centralized",
  create: () => {
    const policy = new ExecPolicy("python3", {
      args: [AGENT],
      name: "fifo-centralized-py",
      model: "centralized",
    });
    instances.push(policy);
    return policy;
  },
});

const ROCKSDB = {
  ...DEFAULT_RUN_CONFIG,
  workload: "rocksdb",
  load: 40_000,
  durationNs: 100_000_000,
  warmupNs: 10_000_000,
};

/** The Python agent's passes in one RocksDB run (the same in every run: it is deterministic). */
function passesPerRun(): number {
  if (!PYTHON) return 0;
  runExperiment({ ...ROCKSDB, policy: "bench-python-fifo" });
  return instances.reduce((sum, policy) => sum + policy.requests, 0);
}

const PASSES = passesPerRun();

if (PYTHON) {
  const channel = new AgentChannel("python3", { args: [AGENT] });
  channel.exchange('{"type":"hello","protocol":1}');
  channel.exchange(
    '{"type":"start","now":0,"cpu":0,"global_cpu":0,"model":"centralized",' +
      '"cpus":[0,1,2],"topology":[]}',
  );
  const pass = '{"type":"schedule","now":0,"cpu":0,"global_cpu":0,"available":[1,2]}';
  Deno.bench({
    name: "one pass to the Python agent and back",
    group: "agent pass",
    fn() {
      channel.exchange(pass);
    },
  });
  globalThis.addEventListener("unload", () => channel.close());
}

Deno.bench({
  name: "built-in fifo-centralized",
  group: "rocksdb 100 ms at 40k req/s",
  baseline: true,
  ignore: !PYTHON,
  fn() {
    runExperiment({ ...ROCKSDB, policy: "fifo-centralized" });
  },
});

Deno.bench({
  name: `Python fifo-centralized agent (${PASSES} passes)`,
  group: "rocksdb 100 ms at 40k req/s",
  ignore: !PYTHON,
  fn() {
    runExperiment({ ...ROCKSDB, policy: "bench-python-fifo" });
  },
});
