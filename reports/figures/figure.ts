/**
 * What a figure is: the experiment (its points, per suite and seed), how its
 * rows become a chart, and the claims it checks. Figures are data; the bench
 * harness runs their points, then builds rows, charts and claims from the
 * results.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import type { FairClassName } from "../../core/kernel.ts";
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
  /**
   * The kernel's fair class in every run point (`bench --fair eevdf`): the
   * CFS baseline of each figure, and the fair class under every ghOSt
   * policy, becomes EEVDF. @default unset: CFS
   */
  fair?: FairClassName;
  /**
   * A cost profile file (`bench --costs FILE.json`, e.g. from `calibrate`)
   * in place of the `paper` profile in every run and microbenchmark point.
   * @default unset: each point's own profile
   */
  costs?: string;
}

/**
 * What the context changes in every figure, for the settings shown beside
 * it: the fair class and the cost profile file, when given.
 */
export function contextSettings(context: FigureContext): Record<string, string> {
  return {
    ...(context.fair === undefined ? {} : { fairClass: `${context.fair} (bench --fair)` }),
    ...(context.costs === undefined ? {} : { costs: `${context.costs} (bench --costs)` }),
  };
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
export type Row = Record<string, string | number | boolean | null>;

/**
 * Where a claim comes from: the paper (section, figure or table, page), the
 * reference experiment scripts (google/ghost-userspace experiments/scripts),
 * or the authors' runs of those scripts (reported outside the paper).
 */
export type ClaimSourceKind = "paper" | "reference-scripts" | "reference-runs";

/** The source of a claim and what it says. */
export interface ClaimSource {
  /** Which kind of source. */
  kind: ClaimSourceKind;
  /** Where exactly, e.g. `SOSP'21 §4.2, Fig. 6a, p.597`. */
  citation: string;
  /** What the source reports, with its numbers. */
  says: string;
}

/**
 * `emergent`: a result the emulation produces from its model (a saturation,
 * a tail, a share). `calibration`: a check that inputs given to the model
 * (the `paper` cost profile's numbers) come out end to end; it cannot tell
 * the model right from wrong and is counted apart.
 */
export type ClaimKind = "emergent" | "calibration";

/** A claim of a source, checked on the figure's data. */
export interface Claim {
  /** Figure name. */
  figure: string;
  /** The claim, in one sentence. */
  claim: string;
  /** Emergent result or calibration check. */
  kind: ClaimKind;
  /** Where it comes from. */
  source: ClaimSource;
  /** Whether it holds on these results. */
  holds: boolean;
  /** The numbers behind the verdict. */
  evidence: Record<string, number | string | null>;
}

/** How many claims of each kind hold. */
export interface ClaimTally {
  /** Emergent claims: holding, and in all. */
  emergent: { holds: number; total: number };
  /** Calibration checks: holding, and in all. */
  calibration: { holds: number; total: number };
}

/** Counts the claims that hold, emergent and calibration apart. */
export function tallyClaims(claims: readonly Pick<Claim, "kind" | "holds">[]): ClaimTally {
  const tally: ClaimTally = {
    emergent: { holds: 0, total: 0 },
    calibration: { holds: 0, total: 0 },
  };
  for (const claim of claims) {
    const slot = tally[claim.kind];
    slot.total++;
    if (claim.holds) slot.holds++;
  }
  return tally;
}

/** The tally in words: `5/8 emergent claims hold; 7/7 calibration checks pass`. */
export function formatTally(tally: ClaimTally): string {
  const { emergent, calibration } = tally;
  return `${emergent.holds}/${emergent.total} emergent claims hold; ` +
    `${calibration.holds}/${calibration.total} calibration checks pass`;
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
  /**
   * The chart of the rows (and of the points' results, for marks that are
   * not rows, such as a blackout's span).
   */
  chart(
    rows: readonly Row[],
    context: FigureContext,
    results: readonly PointResult[],
  ): TopLevelSpec;
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
  if (context.fair !== undefined && overrides.fair === undefined) config.fair = context.fair;
  if (context.costs !== undefined && overrides.costs === undefined) config.costs = context.costs;
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

/** One point of a latency-throughput curve. */
export interface CurvePoint {
  /** Achieved throughput, req/s. */
  throughput: number;
  /** p99 latency, µs (positive). */
  p99: number;
}

/**
 * Where a latency-throughput curve first crosses a p99 threshold: the
 * achieved throughput interpolated between the last point below and the
 * first at or above it, linear in throughput and in log p99; null when no
 * point reaches it (the sweep ends before saturation). A first point
 * already at or above the threshold gives its own throughput. Points must be
 * in increasing offered load.
 *
 * @example
 * ```ts
 * import { saturation } from "./figure.ts";
 * const at = saturation([{ throughput: 100, p99: 100 }, { throughput: 200, p99: 10_000 }], 1000);
 * if (at !== 150) throw new Error(`expected 150, got ${at}`);
 * ```
 */
export function saturation(points: readonly CurvePoint[], thresholdUs: number): number | null {
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.p99 < thresholdUs) continue;
    if (i === 0) return p.throughput;
    const q = points[i - 1]!;
    const t = (Math.log10(thresholdUs) - Math.log10(q.p99)) /
      (Math.log10(p.p99) - Math.log10(q.p99));
    return q.throughput + t * (p.throughput - q.throughput);
  }
  return null;
}

/**
 * A curve's p99 at an achieved throughput: interpolated linearly in
 * throughput and in log p99 on the first segment (in offered-load order)
 * whose ends bracket it; null when no segment does. Points must be in
 * increasing offered load.
 *
 * @example
 * ```ts
 * import { p99At } from "./figure.ts";
 * const p99 = p99At([{ throughput: 100, p99: 10 }, { throughput: 300, p99: 1000 }], 200);
 * if (Math.abs(p99! - 100) > 1e-9) throw new Error(`expected 100, got ${p99}`);
 * ```
 */
export function p99At(points: readonly CurvePoint[], throughput: number): number | null {
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.throughput === throughput) return p.p99;
    const q = points[i - 1];
    if (q === undefined) continue;
    const low = Math.min(q.throughput, p.throughput);
    const high = Math.max(q.throughput, p.throughput);
    if (throughput < low || throughput > high) continue;
    const t = (throughput - q.throughput) / (p.throughput - q.throughput);
    return 10 ** (Math.log10(q.p99) + t * (Math.log10(p.p99) - Math.log10(q.p99)));
  }
  return null;
}

/** Offered loads from `from` to `to` by `step`. */
export function sweep(from: number, to: number, step: number): number[] {
  const loads: number[] = [];
  for (let load = from; load <= to + 1e-9; load += step) loads.push(Math.round(load));
  return loads;
}
