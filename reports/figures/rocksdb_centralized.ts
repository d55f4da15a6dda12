/**
 * Figure `rocksdb-centralized`: RocksDB with Gets of 10 us plus an
 * exponential part (mean 1 us) and no Ranges: CFS against ghOSt's
 * centralized FIFO up to their saturation. The paper saw CFS reach 480k
 * req/s and ghOSt 460k: a global agent costs a CPU and each decision's
 * overhead, yet stays close.
 *
 * @module
 */

import { latencyVsThroughput, SATURATION_US } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, sweep, withPolicies } from "./figure.ts";
import {
  ROCKSDB_DURATION,
  saturations,
  type Sweep,
  sweepPoints,
  sweepRows,
} from "./_rocksdb_sweep.ts";
import { SEC, US } from "../../core/units.ts";

const NAME = "rocksdb-centralized";
const POLICIES = ["cfs", "fifo-centralized"] as const;

function sweeps(context: FigureContext): Sweep[] {
  const loads = context.suite !== "full"
    ? [100_000, 200_000, 300_000, 400_000, 450_000, 500_000, 550_000, 600_000]
    : sweep(50_000, 650_000, 25_000);
  return withPolicies(POLICIES, context).map((policy) => ({ policy, loads }));
}

/** The centralized RocksDB figure. */
export const ROCKSDB_CENTRALIZED_FIGURE: FigureDefinition = {
  name: NAME,
  title: "RocksDB, Get + Exp(1 us): CFS vs ghOSt centralized FIFO",
  caption: "p99 latency against achieved throughput for Gets of 10 us plus an exponential " +
    "part of mean 1 us (no Ranges), on 8 CPUs. The global agent takes the dispatcher's CPU.",
  points: (context) =>
    sweepPoints(context, sweeps(context), {
      workloadOptions: { getExpMeanNs: 1 * US, rangeRatio: 0 },
    }),
  rows: (results: readonly PointResult[]) =>
    sweepRows(results, NAME).filter((row) => row.type === "All"),
  chart(rows, context) {
    const policies = withPolicies(POLICIES, context);
    return latencyVsThroughput(rows as Row[], {
      title: "RocksDB Get + Exp(1 us): p99 latency vs throughput",
      subtitle: "no Ranges, paper8, paper costs",
      x: "throughput",
      y: "p99Us",
      series: "policy",
      order: "offeredLoad",
      seriesOrder: policies,
      seriesTitle: "Policy",
      thresholdUs: SATURATION_US,
      saturation: saturations(rows, policies).flatMap((s) =>
        s.throughput === null ? [] : [{ series: s.policy, throughput: round(s.throughput, 0) }]
      ),
      width: 560,
    });
  },
  claims(rows: readonly Row[]): Claim[] {
    const [cfs, ghost] = saturations(rows, POLICIES);
    const cfsSat = cfs!.throughput ?? cfs!.maxLoad;
    const ghostSat = ghost!.throughput ?? ghost!.maxLoad;
    return [{
      figure: NAME,
      claim: "the centralized FIFO saturates within 10% of cfs (paper: 460k vs 480k req/s)",
      // Both curves must reach saturation in the sweep for a verdict.
      holds: cfs!.throughput !== null && ghost!.throughput !== null && ghostSat >= 0.9 * cfsSat,
      evidence: {
        cfsSaturationRps: round(cfsSat, 0),
        cfsSaturated: cfs!.throughput === null ? "no (lower bound)" : "yes",
        ghostSaturationRps: round(ghostSat, 0),
        ghostSaturated: ghost!.throughput === null ? "no (lower bound)" : "yes",
        ratio: round(ghostSat / cfsSat, 3),
      },
    }];
  },
  settings: (context: FigureContext) => ({
    workload: "rocksdb (Get 10us + Exp 1us, no Range)",
    machine: "paper8",
    costs: "paper",
    durationS: ROCKSDB_DURATION[context.suite].durationNs / SEC,
    warmupS: ROCKSDB_DURATION[context.suite].warmupNs / SEC,
    loads: sweeps(context)[0]!.loads.join(" "),
    seed: context.seed,
  }),
};
