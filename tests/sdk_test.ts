/**
 * The policy SDK from a user's side: a LIFO policy written in a file
 * outside the repository, importing nothing but the package's root module,
 * type-checks under the package's strict settings, registers without casts
 * and runs an experiment.
 */

import assert from "node:assert/strict";
import { runDeno } from "./_process.ts";

const ROOT = new URL("../mod.ts", import.meta.url).href;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** The user's file: a LIFO policy and a run of it. */
const LIFO = `
import {
  type AgentContext,
  DEFAULT_RUN_CONFIG,
  type Message,
  type Policy,
  registerPolicy,
  runExperiment,
  type Task,
  TaskTable,
  TXN,
} from "${ROOT}";

/** Last in, first out: one global agent commits the newest waiting thread first. */
class Lifo implements Policy {
  readonly name = "lifo";
  readonly model = "centralized";
  /** Commits that completed. */
  placed = 0;
  readonly #stack: number[] = [];
  readonly #tasks = new TaskTable<Task>(this.name, {
    create: (_ctx, msg) => ({ gtid: msg.gtid, state: "blocked", cpu: -1 }),
    enqueue: (_ctx, task) => void this.#stack.push(task.gtid),
    dequeue: (_ctx, task) => void this.#stack.splice(this.#stack.indexOf(task.gtid), 1),
  });

  taskNew(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskNew(ctx, msg);
  }
  taskRunnable(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskRunnable(ctx, msg);
  }
  taskBlocked(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskBlocked(ctx, msg);
  }
  taskPreempted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskPreempted(ctx, msg);
  }
  taskYield(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskYield(ctx, msg);
  }
  taskDead(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDead(ctx, msg);
  }
  taskDeparted(ctx: AgentContext, msg: Message): void {
    this.#tasks.taskDeparted(ctx, msg);
  }
  schedule(ctx: AgentContext): void {
    const idle = this.#tasks.idle;
    for (let i = idle.size - 1; i >= 0 && this.#stack.length > 0; i--) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = this.#stack.pop()!;
      ctx.open(cpu, gtid);
      ctx.commit();
      if (ctx.outcome(cpu) !== TXN.COMPLETE) {
        this.#stack.push(gtid);
        continue;
      }
      this.#tasks.run(this.#tasks.get(gtid), cpu);
      this.placed++;
    }
  }
}

const policies: Lifo[] = [];
registerPolicy({
  name: "lifo",
  description: "newest waiting thread first",
  model: "centralized",
  create: () => {
    const policy = new Lifo();
    policies.push(policy);
    return policy;
  },
});
const result = runExperiment({
  ...DEFAULT_RUN_CONFIG,
  policy: "lifo",
  cpus: 4,
  load: 50_000,
  workloadOptions: { service: "exp:20us" },
  durationNs: 100_000_000,
  warmupNs: 10_000_000,
});
console.log(JSON.stringify({
  completed: result.completed,
  lost: result.lost,
  decisions: result.ghost?.decisions ?? 0,
  placed: policies.reduce((sum, p) => sum + p.placed, 0),
}));
`;

Deno.test("a LIFO policy written outside the repository with only the root module type-checks and runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_sdk_" });
  try {
    await Deno.writeTextFile(`${dir}/lifo.ts`, LIFO);
    // The package's config: its strict compiler options and its npm imports.
    const check = await runDeno(["check", "--config", CONFIG, "lifo.ts"], { cwd: dir });
    assert.ok(check.success, `deno check failed:\n${check.stderr}`);
    const run = await runDeno(["run", "-A", "--config", CONFIG, "lifo.ts"], { cwd: dir });
    assert.ok(run.success, `deno run failed:\n${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.lost, 0);
    // About 4500 requests in the 90 ms measured at 50 000 per second.
    assert.ok(result.completed > 4000 && result.completed < 5000, `completed ${result.completed}`);
    assert.ok(result.placed > 0 && result.placed === result.decisions, JSON.stringify(result));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a policy that leaves out taskDeparted does not type-check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_sdk_" });
  try {
    const partial = LIFO.replace(/ {2}taskDeparted\([^]*?\n {2}\}\n/, "");
    assert.notEqual(partial, LIFO);
    await Deno.writeTextFile(`${dir}/lifo.ts`, partial);
    const check = await runDeno(["check", "--config", CONFIG, "lifo.ts"], { cwd: dir });
    assert.equal(check.success, false);
    assert.match(check.stderr, /taskDeparted/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
