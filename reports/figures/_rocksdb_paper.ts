/**
 * Shared by the paper's RocksDB figures (`rocksdb-paper` and
 * `rocksdb-paper-colocation`, SOSP'21 §4.2, Fig. 6, pp.596–597): the three
 * systems on the paper's machine with the paper's request mix, their run
 * points and rows.
 *
 * @module
 */

import type { PointResult, PointSpec } from "../bench/point.ts";
import type { RunConfig } from "../experiment/run_experiment.ts";
import type { FigureContext, Row, Suite } from "./figure.ts";
import { round, runOf, runSpec, saturation } from "./figure.ts";
import { SATURATION_US } from "../render/charts.ts";
import { sweepRows } from "./_rocksdb_sweep.ts";
import { MS, SEC } from "../../core/units.ts";

/** The paper's machine: one socket of a Xeon E5-2658 (12 cores, 24 CPUs). */
export const PAPER_MACHINE = "xeon-e5-2658";

/** Worker CPUs on it: 24 less the load generator's core and the dispatcher's (or agent's). */
export const PAPER_WORKER_CPUS = 20;

/** The systems of Fig. 6, in legend order. */
export const SYSTEMS = ["shinjuku-dataplane", "shinjuku", "cfs"] as const;

/** A system of Fig. 6. */
export type System = (typeof SYSTEMS)[number];

/** Legend names: the paper's. */
export const SYSTEM_TITLES: Readonly<Record<System, string>> = {
  "shinjuku-dataplane": "Shinjuku (data plane)",
  shinjuku: "ghOSt-Shinjuku",
  cfs: "CFS-Shinjuku",
};

/**
 * Durations by suite. The paper gives none for Fig. 6: the full suite runs
 * 5 s and discards the first second; the quick suite 600 ms (its
 * saturation points sit higher: a backlog of 10 ms requests shows in the
 * p99 later than in a 5 s run); the test suite a few hundred ms.
 */
export const PAPER_DURATION: Readonly<Record<Suite, { durationNs: number; warmupNs: number }>> = {
  test: { durationNs: 250 * MS, warmupNs: 50 * MS },
  quick: { durationNs: 600 * MS, warmupNs: 100 * MS },
  full: { durationNs: 5 * SEC, warmupNs: 1 * SEC },
};

/**
 * A system's run: the rocksdb workload with the paper mix on the paper's
 * machine. Shinjuku: the data plane (`dataplane: shinjuku` under cfs);
 * ghOSt-Shinjuku: 200 workers on the PrioTable, 30 us slices; CFS-Shinjuku:
 * one pinned worker per worker CPU, run to completion, spinning while idle
 * (futex waits when co-located, so that the batch job can run).
 */
export function systemConfig(system: string, colocated: boolean): Partial<RunConfig> {
  const base = { workload: "rocksdb", machine: PAPER_MACHINE };
  switch (system) {
    case "shinjuku-dataplane":
      return {
        ...base,
        policy: "cfs",
        workloadOptions: { mix: "paper", dataplane: "shinjuku" },
      };
    case "cfs":
      return {
        ...base,
        policy: "cfs",
        workloadOptions: {
          mix: "paper",
          workers: PAPER_WORKER_CPUS,
          cfsWait: colocated ? "futex" : "spin",
        },
      };
    default:
      return {
        ...base,
        policy: system,
        workloadOptions: { mix: "paper", ghostWait: "prio-table" },
      };
  }
}

/** The run points of a system's sweep, with `antagonists` batch threads. */
export function systemPoints(
  context: FigureContext,
  system: string,
  loads: readonly number[],
  antagonists = 0,
): PointSpec[] {
  return loads.map((load) =>
    runSpec(context, {
      ...systemConfig(system, antagonists > 0),
      load,
      antagonists,
      ...PAPER_DURATION[context.suite],
    })
  );
}

/** The system a run stands for: its policy, or `shinjuku-dataplane` for the data plane. */
export function systemOf(result: PointResult, figure: string): string {
  const run = runOf(result, figure);
  return run.config.workloadOptions.dataplane === "shinjuku"
    ? "shinjuku-dataplane"
    : String(run.config.policy);
}

/**
 * Rows of latency sweeps (see `sweepRows`), the `policy` column naming the
 * system, with the backlog the run leaves: `inFlight` requests unfinished
 * at its end, and `backlogUs`, the mean time in the system they imply by
 * Little's law (in flight / offered load). Finished requests alone hide an
 * overload that piles up 10 ms requests while short ones stay fast.
 */
export function systemRows(results: readonly PointResult[], figure: string): Row[] {
  return results.flatMap((result) => {
    const system = systemOf(result, figure);
    const run = runOf(result, figure);
    const inFlight = run.inFlight + run.stranded;
    const backlogUs = round(inFlight / Number(run.config.load) * 1e6, 1);
    return sweepRows([result], figure).map((row) => ({
      ...row,
      policy: system,
      series: `${system} ${row.type}`,
      inFlight,
      backlogUs,
    }));
  });
}

/**
 * A system's saturation: where its curve of all requests first reaches
 * 1 ms, either as the p99 of finished requests or as the backlog's mean
 * time in the system (`backlogUs`), interpolated like `saturation`; null
 * when neither does within the sweep.
 */
export function systemSaturation(rows: readonly Row[], system: string): {
  throughput: number | null;
  maxThroughput: number;
} {
  const points = rows.filter((r) => r.policy === system && r.type === "All")
    .sort((a, b) => Number(a.offeredLoad) - Number(b.offeredLoad))
    .map((r) => ({
      throughput: Number(r.throughput),
      p99: Math.max(Number(r.p99Us), Number(r.backlogUs), Number.MIN_VALUE),
    }));
  return {
    throughput: saturation(points, SATURATION_US),
    maxThroughput: Math.max(...points.map((p) => p.throughput)),
  };
}
