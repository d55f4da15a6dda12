/**
 * Shared by the validation tests: run a set-up once per seed (independent
 * replications) and compare a closed form with the confidence interval of
 * the per-seed means.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MS } from "../core/units.ts";
import { Histogram } from "../core/metrics/histogram.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";
import type { SyntheticOptions } from "../workloads/synthetic.ts";
import { batchMeans, mmcMeanResponse, mmcResponseQuantile } from "./_closed_forms.ts";

/** Independent replications per set-up. */
export const SEEDS = 10;

/** A synthetic set-up: fields of the run and options of the synthetic workload, side by side. */
export type SyntheticSetup = Partial<RunConfig> & Partial<SyntheticOptions>;

/**
 * Runs one set-up once per seed with free scheduling (`ideal` costs, one
 * synthetic workload), checks that no request was lost, and applies `check`
 * to each run.
 */
export function replicate(
  setup: SyntheticSetup,
  check?: (result: RunResult, seed: number) => void,
): RunResult[] {
  const { service, workers, ...overrides } = setup;
  const workloadOptions = {
    ...overrides.workloadOptions,
    ...(service === undefined ? {} : { service }),
    ...(workers === undefined ? {} : { workers }),
  };
  const results: RunResult[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = runExperiment({
      ...DEFAULT_RUN_CONFIG,
      policy: "cfs",
      workload: "synthetic",
      costs: "ideal",
      warmupNs: 50 * MS,
      ...overrides,
      workloadOptions,
      seed,
    });
    assert.equal(result.lost, 0, `seed ${seed}: ${result.lost} requests lost`);
    assert.ok(result.completed > 10_000, `seed ${seed}: only ${result.completed} requests`);
    check?.(result, seed);
    results.push(result);
  }
  return results;
}

/**
 * Asserts that `expected` lies in the 99% confidence interval of the mean of
 * the per-seed `values`, widened by `slack` (the histogram's error for a
 * percentile, a derived bound for an approximation, 0 for a mean).
 */
export function assertInInterval(
  values: number[],
  expected: number,
  slack: number,
  what: string,
): void {
  const { mean, halfWidth } = batchMeans(values, values.length);
  const tolerance = halfWidth + slack;
  assert.ok(
    Math.abs(mean - expected) <= tolerance,
    `${what}: measured ${mean.toFixed(3)} ± ${tolerance.toFixed(3)} (99% CI ± ${
      halfWidth.toFixed(3)
    }, slack ${slack.toFixed(3)}), closed form ${expected.toFixed(3)}`,
  );
}

/** The histogram's bound on a percentile's error, as an absolute error at `value`. */
export function percentileSlack(value: number): number {
  return Histogram.RELATIVE_ERROR * value;
}

/**
 * Asserts that runs of an FCFS c-server queue with exponential service
 * (no time slicing) match M/M/c: mean, p50 and p99 of the total latency,
 * the mean service time, and the busy fraction of the `c` serving CPUs
 * (`utilization`, one value per run).
 */
export function assertMmc(
  results: readonly RunResult[],
  lambda: number,
  mu: number,
  c: number,
  utilization: number[],
): void {
  const p50 = mmcResponseQuantile(0.5, lambda, mu, c);
  const p99 = mmcResponseQuantile(0.99, lambda, mu, c);
  assertInInterval(
    results.map((r) => r.latencyUs.all.mean),
    mmcMeanResponse(lambda, mu, c),
    0,
    "E[T]",
  );
  assertInInterval(results.map((r) => r.latencyUs.all.p50), p50, percentileSlack(p50), "p50");
  assertInInterval(results.map((r) => r.latencyUs.all.p99), p99, percentileSlack(p99), "p99");
  // No time slicing: a request runs its service time in one go.
  assertInInterval(results.map((r) => r.stagesUs.service.all.mean), 1 / mu, 0, "E[S]");
  assertInInterval(utilization, lambda / mu / c, 0, "utilization");
}
