/**
 * A failing policy is loud: policy code that throws, a pick hook that names
 * no thread, and external agents that print garbage, exit or stay silent
 * each end as a reported agent crash; the enclave's default watchdog then
 * moves every thread to CFS, the run completes with nothing lost, and `run`
 * prints the failure (its stack, or the agent's stderr) and exits with 3.
 */

import assert from "node:assert/strict";
import { EXIT_POLICY_FAILED } from "../reports/cli/cli.ts";
import { runMain } from "../reports/cli/_testing.ts";
import {
  type AgentContext,
  DEFAULT_RUN_CONFIG,
  type Policy,
  registerPolicy,
  runExperiment,
  type RunResult,
  type Task,
  TaskTable,
} from "../mod.ts";

const ROOT = new URL("../", import.meta.url);
const AGENT = new URL("_agents/misbehaving_agent.ts", import.meta.url).pathname;
const FAILING_FILE = new URL("_policies/failing_policy.ts", import.meta.url).pathname;

/** A run short enough for a test: 4 CPUs, a thread per request. */
const SHORT = { ...DEFAULT_RUN_CONFIG, cpus: 4, durationNs: 200_000_000, warmupNs: 10_000_000 };

/** A LIFO whose schedule step or pick hook fails once it has placed `after` threads. */
class Failing implements Policy {
  readonly name: string;
  readonly model = "centralized";
  readonly #fail: "schedule" | "hook";
  #placed = 0;
  readonly #stack: number[] = [];
  readonly #tasks = new TaskTable<Task>("failing", {
    create: (_ctx, msg) => ({ gtid: msg.gtid, state: "blocked", cpu: -1 }),
    enqueue: (_ctx, task) => void this.#stack.push(task.gtid),
    dequeue: (_ctx, task) => void this.#stack.splice(this.#stack.indexOf(task.gtid), 1),
  });

  constructor(fail: "schedule" | "hook") {
    this.#fail = fail;
    this.name = `failing-${fail}`;
  }

  taskNew(ctx: AgentContext, msg: Parameters<Policy["taskNew"]>[1]): void {
    if (this.#fail === "hook" && this.#placed === 0) {
      ctx.setPickHook(() => (this.#placed >= 50 ? 987654321 : -1));
    }
    this.#tasks.taskNew(ctx, msg);
  }
  taskRunnable = this.#tasks.taskRunnable.bind(this.#tasks);
  taskBlocked = this.#tasks.taskBlocked.bind(this.#tasks);
  taskPreempted = this.#tasks.taskPreempted.bind(this.#tasks);
  taskYield = this.#tasks.taskYield.bind(this.#tasks);
  taskDead = this.#tasks.taskDead.bind(this.#tasks);
  taskDeparted = this.#tasks.taskDeparted.bind(this.#tasks);

  schedule(ctx: AgentContext): void {
    if (this.#fail === "schedule" && this.#placed >= 50) throw new Error("boom on purpose");
    const idle = this.#tasks.idle;
    for (let i = idle.size - 1; i >= 0 && this.#stack.length > 0; i--) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = this.#stack.pop()!;
      ctx.open(cpu, gtid);
      if (ctx.commit() === 1) {
        this.#tasks.run(this.#tasks.get(gtid), cpu);
        this.#placed++;
      } else this.#stack.push(gtid);
    }
  }
}

for (const fail of ["schedule", "hook"] as const) {
  registerPolicy({
    name: `failing-${fail}`,
    description: "fails on purpose",
    model: "centralized",
    create: () => new Failing(fail),
  });
}

/** Checks a run whose policy crashed on its own: reported, fell back to CFS, nothing lost. */
function assertFellBack(result: RunResult, error: RegExp): void {
  assert.equal(result.lost, 0);
  const [crash, ...rest] = result.lifecycleEvents;
  assert.equal(rest.length, 0);
  assert.equal(crash?.cause, "policy error");
  assert.match(crash?.error ?? "", error);
  assert.equal(crash?.policyAfter, "cfs");
  // The default watchdog: 50 ms, checked every 1 ms tick.
  assert.ok(crash!.blackoutUs !== null && crash!.blackoutUs <= 51_000, `${crash!.blackoutUs}`);
  // Under CFS, nearly every request of the measured window completed.
  assert.ok(result.inFlight < 20, `in flight ${result.inFlight}`);
  assert.ok(result.completed > 0.9 * (result.generated - result.inFlight) * 0.95);
}

Deno.test("policy code that throws crashes its agent; the default watchdog moves threads to CFS", () => {
  const errors: unknown[] = [];
  const result = runExperiment({ ...SHORT, policy: "failing-schedule" }, {
    onPolicyError: (error) => errors.push(error),
  });
  assertFellBack(result, /^boom on purpose$/);
  assert.equal(errors.length, 1);
  assert.match((errors[0] as Error).stack ?? "", /Failing\.schedule/);
});

Deno.test("a pick hook that names no thread is a policy error, not an emulator error", () => {
  const result = runExperiment({ ...SHORT, policy: "failing-hook" });
  assertFellBack(result, /Pick hook chose task 987654321, not a thread of the enclave/);
});

Deno.test("the default watchdog waits for a crash: a live agent may keep threads waiting", () => {
  const result = runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "rocksdb",
    policy: "fifo-centralized",
    load: 550_000,
    durationNs: 400_000_000,
    warmupNs: 100_000_000,
    workloadOptions: { getExpMeanNs: 1_000, rangeRatio: 0 },
  });
  // Past saturation the FIFO starves the workers it has no CPU for, for good.
  assert.equal(result.lifecycleEvents.length, 0);
  assert.ok(result.ghost !== null && result.ghost.agentCpuUs > 0);
});

Deno.test("--watchdog 0 turns the default watchdog off: a failed policy's threads stay stranded", () => {
  const result = runExperiment({ ...SHORT, policy: "failing-schedule", watchdogNs: 0 });
  assert.equal(result.lost, 0);
  assert.equal(result.lifecycleEvents[0]?.blackoutUs, null);
  assert.ok(result.inFlight > 1000);
});

/** Runs the CLI in this process. */
const RUN = ["run", "--cpus", "4", "--duration", "200ms", "--warmup", "10ms", "--json"];

Deno.test("run prints a policy file's failure with its stack and exits with 3", async () => {
  const { code, stdout, stderr } = await runMain([...RUN, "--policy", FAILING_FILE]);
  assert.equal(code, EXIT_POLICY_FAILED);
  const result = JSON.parse(stdout) as RunResult;
  assert.equal(result.lost, 0);
  assert.equal(result.lifecycleEvents[0]?.policyAfter, "cfs");
  assert.match(stderr, /^ghostbench: policy .*failing_policy\.ts failed at [\d.]+ms; the watchdog/);
  assert.match(stderr, /Error: schedule failed on purpose\n +at Failing\.schedule \(file:/);
});

for (
  const [mode, what, cause] of [
    ["garbage", "prints garbage", /Malformed reply: not JSON: "this is not JSON"/],
    ["exit", "exits", /exited with status 7/],
    ["hang", "never answers", /did not answer within 1s \(wall clock\)/],
  ] as const
) {
  Deno.test(`an external agent that ${what} is a reported crash within the timeout`, async () => {
    const started = performance.now();
    const policy = `exec:${Deno.execPath()} run ${AGENT} ${mode} 3`;
    const { code, stdout, stderr } = await runMain([
      ...RUN,
      "--policy",
      policy,
      "--agent-timeout",
      "1s",
    ]);
    assert.equal(code, EXIT_POLICY_FAILED, stderr);
    const result = JSON.parse(stdout) as RunResult;
    assert.equal(result.lost, 0);
    const crash = result.lifecycleEvents[0]!;
    assert.equal(crash.cause, "policy error");
    assert.match(crash.error ?? "", cause);
    assert.equal(crash.policyAfter, "cfs");
    assert.ok(result.inFlight < 20);
    // The cause, then the agent's last words on stderr.
    assert.match(stderr, cause);
    assert.match(stderr, /its last lines on stderr:\n +request 1: start\n +request 2: schedule/);
    assert.ok(performance.now() - started < 30_000);
  });
}

Deno.test("an agent that speaks another protocol version is one line of bad input", async () => {
  const { code, stderr } = await runMain([
    ...RUN,
    "--policy",
    `exec:${Deno.execPath()} run ${AGENT} version 1`,
  ]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^ghostbench: Cannot load policy .*Protocol version mismatch: the agent speaks 2, the emulator 1\n$/,
  );
});

Deno.test("the policy files of the tests are where the tests look", () => {
  assert.ok(Deno.statSync(new URL("tests/_policies/failing_policy.ts", ROOT)).isFile);
});
