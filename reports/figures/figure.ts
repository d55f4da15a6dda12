/**
 * What a figure is: the experiment (its points, per suite and seed), how its
 * rows become a chart, and the claims it checks. Figures are data; the bench
 * harness runs their points, then builds rows, charts and claims from the
 * results.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import { DEFAULT_RUN_CONFIG, type RunConfig } from "../experiment/run_experiment.ts";
import type { PointResult, PointSpec } from "../bench/point.ts";

/**
 * The bench suites: `quick` (the default, a few minutes on 2 cores), `full`
 * (the reference experiments' sweeps and durations) and `test` (seconds: the
 * scale `deno task test` runs the pipeline at; its numbers are noisy).
 */
export type Suite = "quick" | "full" | "test";

/** What a figure's points depend on. */
export interface FigureContext {
  /** Suite (see {@link Suite}). */
  suite: Suite;
  /** Seed of every point. */
  seed: number;
  /**
   * Policies the user adds (`bench --policy`: policy files, `exec:` agents):
   * every figure that compares policies runs them too, see
   * {@link withPolicies}. @default none
   */
  policies?: readonly string[];
}

/**
 * A figure's policies followed by those the user adds (each once): the
 * figure's points, series order and colour scale take them all, so each
 * added policy gets its own colour and legend entry.
 *
 * @example
 * ```ts
 * import { withPolicies } from "./figure.ts";
 * const policies = withPolicies(["cfs", "shinjuku"], {
 *   suite: "test", seed: 1, policies: ["./lifo.ts", "cfs"],
 * });
 * if (policies.join(" ") !== "cfs shinjuku ./lifo.ts") throw new Error("wrong");
 * ```
 */
export function withPolicies(policies: readonly string[], context: FigureContext): string[] {
  const all = [...policies];
  for (const policy of context.policies ?? []) if (!all.includes(policy)) all.push(policy);
  return all;
}

/** One row of a figure's data (one CSV line). */
export type Row = Record<string, string | number | null>;

/** A claim of the paper, checked on the figure's data. */
export interface Claim {
  /** Figure name. */
  figure: string;
  /** The claim, in one sentence. */
  claim: string;
  /** Whether it holds on these results. */
  holds: boolean;
  /** The numbers behind the verdict. */
  evidence: Record<string, number | string | null>;
}

/** A figure of the bench suite. */
export interface FigureDefinition {
  /** File-name-safe name, e.g. `rocksdb-shinjuku`. */
  readonly name: string;
  /** Title shown above the chart and in index.html. */
  readonly title: string;
  /** One or two sentences: what the figure shows. */
  readonly caption: string;
  /** The points to run. */
  points(context: FigureContext): PointSpec[];
  /** The figure's rows, from the results of its points (same order). */
  rows(results: readonly PointResult[], context: FigureContext): Row[];
  /** The chart of the rows. */
  chart(rows: readonly Row[], context: FigureContext): TopLevelSpec;
  /** The claims checked on the rows (and, where needed, the points' results). */
  claims(rows: readonly Row[], context: FigureContext, results: readonly PointResult[]): Claim[];
  /** The settings shown beside the figure. */
  settings(context: FigureContext): Record<string, string | number>;
  /** An extra table (written as NAME.table.csv and shown on the page). @default none */
  table?(results: readonly PointResult[], context: FigureContext): { title: string; rows: Row[] };
}

/** A run point from the defaults and overrides. */
export function runSpec(
  context: FigureContext,
  overrides: Partial<RunConfig>,
  cdfPoints = 0,
): PointSpec {
  const config: RunConfig = { ...DEFAULT_RUN_CONFIG, seed: context.seed, ...overrides };
  return cdfPoints > 0 ? { kind: "run", config, cdfPoints } : { kind: "run", config };
}

/** The run result of a point result, or a thrown error naming the figure. */
export function runOf(result: PointResult, figure: string) {
  if (result.kind !== "run") throw new Error(`Figure ${figure} expected run results`);
  return result.run;
}

/** Rounds for data files: fewer digits, same text on every machine. */
export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Where a latency-throughput curve crosses a p99 threshold: the achieved
 * throughput interpolated between the last point below and the first at or
 * above it (linear in log p99), or null when no point reaches it.
 * Points must be in increasing offered load.
 */
export function saturation(
  points: readonly { throughput: number; p99: number }[],
  thresholdUs: number,
): number | null {
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.p99 < thresholdUs) continue;
    if (i === 0) return p.throughput;
    const q = points[i - 1]!;
    const t = (Math.log(thresholdUs) - Math.log(q.p99)) / (Math.log(p.p99) - Math.log(q.p99));
    return q.throughput + t * (p.throughput - q.throughput);
  }
  return null;
}

/** Offered loads from `from` to `to` by `step`. */
export function sweep(from: number, to: number, step: number): number[] {
  const loads: number[] = [];
  for (let load = from; load <= to + 1e-9; load += step) loads.push(Math.round(load));
  return loads;
}
