/**
 * Shared by the RocksDB figures: a load sweep per policy, its rows (p99 of
 * all requests and of Gets against achieved throughput) and each policy's
 * saturation point.
 *
 * @module
 */

import { SATURATION_US } from "../render/charts.ts";
import type { PointResult, PointSpec } from "../bench/point.ts";
import type { RunConfig } from "../experiment/run_experiment.ts";
import { type FigureContext, round, type Row, runOf, runSpec, saturation } from "./figure.ts";
import { MS, SEC } from "../../core/units.ts";

/** Durations by suite: the reference runs 15 s and discards the first 2 s. */
export const ROCKSDB_DURATION = {
  test: { durationNs: 1 * SEC, warmupNs: 200 * MS },
  quick: { durationNs: 5 * SEC, warmupNs: 1 * SEC },
  full: { durationNs: 15 * SEC, warmupNs: 2 * SEC },
} as const;

/** One policy's sweep. */
export interface Sweep {
  /** Policy name. */
  policy: string;
  /** Offered loads, req/s, increasing. */
  loads: readonly number[];
}

/** The run points of the sweeps, policy by policy, load by load. */
export function sweepPoints(
  context: FigureContext,
  sweeps: readonly Sweep[],
  overrides: Partial<RunConfig>,
): PointSpec[] {
  return sweeps.flatMap((sweep) =>
    sweep.loads.map((load) =>
      runSpec(context, {
        workload: "rocksdb",
        machine: "paper8",
        policy: sweep.policy,
        load,
        ...ROCKSDB_DURATION[context.suite],
        ...overrides,
      })
    )
  );
}

/** Rows: one per policy, load and type (`All`, `Get`). */
export function sweepRows(results: readonly PointResult[], figure: string): Row[] {
  const rows: Row[] = [];
  for (const result of results) {
    const run = runOf(result, figure);
    const policy = String(run.config.policy);
    for (const [type, key] of [["All", "all"], ["Get", "get"]] as const) {
      const latency = run.latencyUs[key]!;
      rows.push({
        policy,
        type,
        series: `${policy} ${type}`,
        offeredLoad: Number(run.config.load),
        throughput: round(run.throughputRps, 1),
        p50Us: round(latency.p50),
        p99Us: round(latency.p99),
        p999Us: round(latency.p99_9),
        count: latency.count,
        lost: run.lost,
      });
    }
  }
  return rows;
}

/** Each policy's saturation throughput (p99 of all requests >= 1000 us), or null. */
export function saturations(rows: readonly Row[], policies: readonly string[]) {
  return policies.map((policy) => {
    const points = rows.filter((r) => r.policy === policy && r.type === "All").map((r) => ({
      throughput: Number(r.throughput),
      p99: Number(r.p99Us),
      load: Number(r.offeredLoad),
    }));
    return {
      policy,
      throughput: saturation(points, SATURATION_US),
      maxLoad: Math.max(...points.map((p) => p.load)),
    };
  });
}
