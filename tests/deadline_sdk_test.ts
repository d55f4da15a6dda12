/**
 * The deadline API from a user's side: a workload written in a file outside
 * the repository, importing nothing but the package's root module, attaches
 * a deadline to each request's thread (the `deadline` spawn option), counts
 * its misses with `DeadlineStats`, and has them reported by the run; the
 * built-in `edf` policy reads the deadlines and meets them where the
 * centralized FIFO does not.
 */

import assert from "node:assert/strict";
import { runDeno } from "./_process.ts";

const ROOT = new URL("../mod.ts", import.meta.url).href;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** The user's file: every millisecond a long request (400 us, due in 2 ms) and a short one (50 us, due in 100 us). */
const USER = `
import {
  DEFAULT_RUN_CONFIG,
  DeadlineStats,
  MS,
  registerWorkload,
  RequestStats,
  runExperiment,
  schedClassOf,
  type Thread,
  US,
} from "${ROOT}";

registerWorkload({
  name: "due",
  description: "a long and a short request every millisecond, each with a deadline",
  options: {},
  create(context) {
    const { engine, kernel } = context;
    const stats = new RequestStats({ types: ["long", "short"], warmupNs: context.warmupNs });
    const deadlines = new DeadlineStats({ warmupNs: context.warmupNs });
    let generated = 0;
    let finished = 0;
    const arrive = engine.register("due.arrival", (type) => {
      const arrival = engine.now;
      const [work, due] = type === 0 ? [400 * US, 2 * MS] : [50 * US, 100 * US];
      generated++;
      let start = -1;
      kernel.spawn({
        next(thread: Thread) {
          if (start < 0) {
            start = engine.now;
            thread.stepNs = work;
            return "compute";
          }
          finished++;
          stats.record(type, arrival, start, engine.now);
          deadlines.finished(arrival, arrival + due, engine.now);
          return "exit";
        },
      }, { name: "request", deadline: arrival + due, ...schedClassOf(context) });
      if (engine.now + MS < context.durationNs) engine.after(MS, arrive, type);
    });
    engine.at(0, arrive, 0);
    engine.at(100 * US, arrive, 1);
    return {
      stats,
      get generated() {
        return generated;
      },
      get finished() {
        return finished;
      },
      inFlight: () => generated - finished,
      deadlines: () => deadlines.summary(engine.now),
    };
  },
});
const missed: Record<string, number> = {};
for (const policy of ["edf", "fifo-centralized"]) {
  const result = runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "due",
    policy,
    cpus: 2,
    costs: "ideal",
    durationNs: 50 * MS,
    warmupNs: 0,
  });
  if (result.lost !== 0 || result.deadlines === undefined) throw new Error("deadlines not reported");
  missed[policy] = result.deadlines.missed;
  missed[policy + " jobs"] = result.deadlines.jobs;
}
console.log(JSON.stringify(missed));
`;

Deno.test("a workload outside the repository gives its threads deadlines that edf meets and the run reports", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench_deadline_sdk_" });
  try {
    await Deno.writeTextFile(`${dir}/due.ts`, USER);
    const check = await runDeno(["check", "--config", CONFIG, "due.ts"], { cwd: dir });
    assert.ok(check.success, `deno check failed:\n${check.stderr}`);
    const run = await runDeno(["run", "-A", "--config", CONFIG, "due.ts"], { cwd: dir });
    assert.ok(run.success, `deno run failed:\n${run.stderr}`);
    const missed = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    // 50 long and 50 short requests; the FIFO runs each short one behind a long one.
    assert.equal(missed["edf jobs"], 100);
    assert.equal(missed.edf, 0);
    assert.equal(missed["fifo-centralized"], 50);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
