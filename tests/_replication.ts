/**
 * Shared by the validation tests: run a set-up once per seed (independent
 * replications) and compare a closed form with the confidence interval of
 * the per-seed means.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MS } from "../core/units.ts";
import { Histogram } from "../reports/histogram.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/run_experiment.ts";
import { batchMeans } from "./_closed_forms.ts";

/** Independent replications per set-up. */
export const SEEDS = 10;

/**
 * Runs one set-up once per seed with free scheduling (`ideal` costs, one
 * synthetic workload), checks that no request was lost, and applies `check`
 * to each run.
 */
export function replicate(
  overrides: Partial<RunConfig>,
  check?: (result: RunResult, seed: number) => void,
): RunResult[] {
  const results: RunResult[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = runExperiment({
      ...DEFAULT_RUN_CONFIG,
      policy: "cfs",
      workload: "synthetic",
      costs: "ideal",
      warmupNs: 50 * MS,
      ...overrides,
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
