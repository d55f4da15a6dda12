/**
 * The README's EDF table: the share of deadlines missed by periodic task
 * sets (10 tasks, periods 1-10 ms, implicit deadlines, 1 s runs, seeds 1-5)
 * under `edf`, `edf --preempt never`, `fifo-centralized`, `shinjuku` (one
 * worker CPU beside the global agent) and `cfs` (one CPU), at a sweep of
 * utilisations, with zero costs and with the paper's costs. Prints a
 * Markdown table. An argument sets the number of tasks (default 10).
 *
 * ```sh
 * deno run -A reports/experiment/edf_misses.ts [TASKS]
 * ```
 *
 * @module
 */

import { SEC } from "../../core/units.ts";
import { DEFAULT_RUN_CONFIG, runExperiment } from "./run_experiment.ts";

const UTILIZATIONS = [0.7, 0.9, 0.95, 0.97, 0.99, 1.0, 1.05, 1.2];
const SEEDS = [1, 2, 3, 4, 5];
const TASKS = Number(Deno.args[0] ?? 10);

/** Rows: label, policy, its options, and the cost profiles it runs under. */
const ROWS: readonly [string, string, Record<string, string>, readonly string[]][] = [
  ["`edf`", "edf", {}, ["ideal", "paper"]],
  ["`edf --preempt never`", "edf", { preempt: "never" }, ["ideal"]],
  ["`fifo-centralized`", "fifo-centralized", {}, ["ideal", "paper"]],
  ["`shinjuku` (30 µs)", "shinjuku", {}, ["ideal"]],
  ["`cfs` (1 CPU)", "cfs", {}, ["ideal"]],
];

/** The share of deadlines missed over the seeds, as the table prints it. */
function missed(policy: string, policyOptions: Record<string, string>, costs: string, u: number) {
  let misses = 0;
  let jobs = 0;
  for (const seed of SEEDS) {
    const result = runExperiment({
      ...DEFAULT_RUN_CONFIG,
      workload: "periodic",
      policy,
      policyOptions,
      workloadOptions: { tasks: TASKS, utilization: u },
      cpus: policy === "cfs" ? 1 : 2,
      costs,
      seed,
      durationNs: SEC,
      warmupNs: 0,
    });
    if (result.lost !== 0) throw new Error(`${policy} lost ${result.lost} jobs`);
    misses += result.deadlines!.missed;
    jobs += result.deadlines!.jobs;
  }
  return misses === 0 ? "0%" : `${(100 * misses / jobs).toFixed(2)}%`;
}

if (import.meta.main) {
  if (!(Number.isInteger(TASKS) && TASKS > 0)) {
    console.error(`edf_misses: Bad task count "${Deno.args[0]}": expected a positive integer`);
    Deno.exit(2);
  }
  console.log(`| costs | policy | ${UTILIZATIONS.map((u) => `U ${u}`).join(" | ")} |`);
  console.log(`| --- | --- | ${UTILIZATIONS.map(() => "---:").join(" | ")} |`);
  for (const costs of ["ideal", "paper"]) {
    for (const [label, policy, options, profiles] of ROWS) {
      if (!profiles.includes(costs)) continue;
      const cells = UTILIZATIONS.map((u) => missed(policy, options, costs, u));
      console.log(`| ${costs} | ${label} | ${cells.join(" | ")} |`);
    }
  }
}
