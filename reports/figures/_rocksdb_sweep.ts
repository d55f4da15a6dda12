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
import {
  type CurvePoint,
  type FigureContext,
  round,
  type Row,
  runOf,
  runSpec,
  saturation,
} from "./figure.ts";
import type { FairClassName } from "../../core/kernel.ts";
import { MS, SEC } from "../../core/units.ts";

/** Durations by suite: the reference runs 15 s and discards the first 2 s. */
export const ROCKSDB_DURATION = {
  test: { durationNs: 1 * SEC, warmupNs: 200 * MS },
  quick: { durationNs: 5 * SEC, warmupNs: 1 * SEC },
  full: { durationNs: 15 * SEC, warmupNs: 2 * SEC },
} as const;

/**
 * Durations of runs without Ranges: their p99 settles in far fewer
 * requests, so the quick suite runs them shorter; the full suite keeps the
 * reference's 15 s.
 */
export const GET_ONLY_DURATION = {
  test: { durationNs: 1 * SEC, warmupNs: 200 * MS },
  quick: { durationNs: 1500 * MS, warmupNs: 500 * MS },
  full: { durationNs: 15 * SEC, warmupNs: 2 * SEC },
} as const;

/** One policy's sweep. */
export interface Sweep {
  /** Policy name. */
  policy: string;
  /** Offered loads, req/s, increasing. */
  loads: readonly number[];
  /** The kernel's fair class in these runs. @default the context's (CFS unless bench --fair) */
  fair?: FairClassName;
}

/**
 * The reference's default waits (experiments/scripts/options.py): CFS
 * workers spin, ghOSt workers wait on the PrioTable.
 */
export const REFERENCE_WAITS = { cfsWait: "spin", ghostWait: "prio-table" } as const;

/**
 * The run points of the sweeps, policy by policy, load by load: runs of
 * {@link ROCKSDB_DURATION} unless the overrides set other durations.
 */
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
        ...(sweep.fair === undefined ? {} : { fair: sweep.fair }),
      })
    )
  );
}

/** Options of {@link sweepRows}. */
export interface SweepRowsOptions {
  /**
   * Name the CFS-policy runs under EEVDF `eevdf` (a series beside `cfs`);
   * off when the whole bench runs EEVDF (`bench --fair eevdf`), where the
   * baseline keeps its name. @default false
   */
  fairLabels?: boolean;
}

/** Rows: one per policy, load and type (`All`, `Get`). */
export function sweepRows(
  results: readonly PointResult[],
  figure: string,
  options: SweepRowsOptions = {},
): Row[] {
  const rows: Row[] = [];
  for (const result of results) {
    const run = runOf(result, figure);
    const eevdf = options.fairLabels === true && run.config.policy === "cfs" &&
      run.config.fair === "eevdf";
    const policy = eevdf ? "eevdf" : String(run.config.policy);
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

/** A policy's curve of one request type (`All` or `Get`), in offered-load order. */
export function curveOf(rows: readonly Row[], policy: string, type = "All"): CurvePoint[] {
  return rows.filter((r) => r.policy === policy && r.type === type)
    .sort((a, b) => Number(a.offeredLoad) - Number(b.offeredLoad))
    .map((r) => ({ throughput: Number(r.throughput), p99: Number(r.p99Us) }));
}

/** A policy's saturation: where its p99 of all requests crosses 1 ms. */
export interface PolicySaturation {
  /** Policy name. */
  policy: string;
  /** Achieved throughput where p99 crosses 1 ms (interpolated), or null: not in the sweep. */
  throughput: number | null;
  /** Highest offered load of the sweep. */
  maxLoad: number;
  /** Highest achieved throughput of the sweep. */
  maxThroughput: number;
}

/** Each policy's saturation throughput (p99 of all requests crosses 1000 us), or null. */
export function saturations(rows: readonly Row[], policies: readonly string[]): PolicySaturation[] {
  return policies.map((policy) => {
    const points = curveOf(rows, policy);
    const loads = rows.filter((r) => r.policy === policy).map((r) => Number(r.offeredLoad));
    return {
      policy,
      throughput: saturation(points, SATURATION_US),
      maxLoad: Math.max(...loads),
      maxThroughput: Math.max(...points.map((p) => p.throughput)),
    };
  });
}

/** Saturation markers of a chart: the policies that saturate in their sweep. */
export function saturationMarks(
  rows: readonly Row[],
  policies: readonly string[],
): { series: string; throughput: number }[] {
  return saturations(rows, policies).flatMap((s) =>
    s.throughput === null ? [] : [{ series: s.policy, throughput: round(s.throughput, 0) }]
  );
}
