/**
 * Figure `rocksdb-centralized`: the reference's centralized-queuing
 * experiment (experiments/scripts/centralized_queuing.py): Gets of 10 us
 * plus an exponential part (mean 1 us), no Ranges, on 8 CPUs; CFS's
 * dispatcher and 6 pinned workers (spinning, the reference's default)
 * against ghOSt's centralized FIFO with 11 workers (PrioTable wait), up to
 * and past saturation (6 worker CPUs over 11 us: about 545k req/s).
 *
 * The scripts sweep CFS to 480k and ghOSt to 460k req/s: where the authors
 * stopped sweeping, not a measured result (none is published).
 *
 * @module
 */

import { latencyVsThroughput } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { SCRIPTS_CENTRALIZED } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, sweep, withPolicies } from "./figure.ts";
import {
  GET_ONLY_DURATION,
  REFERENCE_WAITS,
  saturationMarks,
  saturations,
  type Sweep,
  sweepPoints,
  sweepRows,
} from "./_rocksdb_sweep.ts";
import { SEC, US } from "../../core/units.ts";

const NAME = "rocksdb-centralized";
const POLICIES = ["cfs", "fifo-centralized"] as const;

/** Service capacity of the 6 worker CPUs: 6 / 11 us. */
const CAPACITY_RPS = 6 / 11e-6;

function sweeps(context: FigureContext): Sweep[] {
  const loads = context.suite !== "full"
    ? [100_000, 300_000, 450_000, 500_000, 530_000, 545_000, 560_000]
    : [...sweep(50_000, 450_000, 50_000), ...sweep(470_000, 590_000, 10_000)];
  return withPolicies(POLICIES, context).map((policy) => ({ policy, loads }));
}

/** The centralized RocksDB figure. */
export const ROCKSDB_CENTRALIZED_FIGURE: FigureDefinition = {
  name: NAME,
  title: "RocksDB, Get + Exp(1 us): CFS vs ghOSt centralized FIFO",
  caption: "p99 latency against achieved throughput for Gets of 10 us plus an exponential " +
    "part of mean 1 us (no Ranges), on 8 CPUs (capacity about 545k req/s). CFS workers spin " +
    "while idle; ghOSt's global agent takes the dispatcher's CPU and its 11 workers wait on " +
    "the PrioTable. Dotted verticals: saturation (p99 crosses 1 ms, interpolated).",
  points: (context) =>
    sweepPoints(context, sweeps(context), {
      workloadOptions: { getExpMeanNs: 1 * US, rangeRatio: 0, ...REFERENCE_WAITS },
      ...GET_ONLY_DURATION[context.suite],
    }),
  rows: (results: readonly PointResult[]) =>
    sweepRows(results, NAME).filter((row) => row.type === "All").map((row) => ({
      ...row,
      p99Ms: round(Number(row.p99Us) / 1000, 6),
    })),
  chart(rows, context) {
    const policies = withPolicies(POLICIES, context);
    return latencyVsThroughput(rows as Row[], {
      title: "RocksDB Get + Exp(1 us): p99 latency vs throughput",
      subtitle: "no Ranges, paper8, paper costs; cfs workers spin, ghOSt PrioTable",
      notes: [
        "Dotted verticals: saturation (p99 crosses 1 ms, interpolated); dashed horizontal: 1 ms",
        "Past capacity (about 545k) both are plain queues of 6 servers: their points coincide",
      ],
      x: "throughput",
      y: "p99Ms",
      yTitle: "p99 latency (ms)",
      yFormat: "~g",
      series: "policy",
      order: "offeredLoad",
      seriesOrder: policies,
      seriesTitle: "Policy",
      threshold: 1,
      thresholdLabel: "1 ms",
      saturation: saturationMarks(rows, policies),
      width: 560,
    });
  },
  claims(rows: readonly Row[]): Claim[] {
    const [cfs, ghost] = saturations(rows, POLICIES);
    const cfsSat = cfs!.throughput ?? cfs!.maxThroughput;
    const ghostSat = ghost!.throughput ?? ghost!.maxThroughput;
    return [{
      figure: NAME,
      claim: "the centralized FIFO's global agent costs little: it saturates within 10% of cfs",
      kind: "emergent",
      source: SCRIPTS_CENTRALIZED,
      // Both curves must reach saturation in the sweep for a verdict.
      holds: cfs!.throughput !== null && ghost!.throughput !== null && ghostSat >= 0.9 * cfsSat,
      evidence: {
        cfsSaturationRps: round(cfsSat, 0),
        cfsSaturated: cfs!.throughput === null ? "no (lower bound)" : "yes",
        ghostSaturationRps: round(ghostSat, 0),
        ghostSaturated: ghost!.throughput === null ? "no (lower bound)" : "yes",
        ratio: round(ghostSat / cfsSat, 3),
        capacityRps: round(CAPACITY_RPS, 0),
      },
    }];
  },
  settings: (context: FigureContext) => ({
    reference: "experiments/scripts/centralized_queuing.py (its sweeps end at 480k and 460k)",
    workload: "rocksdb (Get 10us + Exp 1us, no Range)",
    machine: "paper8",
    costs: "paper",
    durationS: GET_ONLY_DURATION[context.suite].durationNs / SEC,
    warmupS: GET_ONLY_DURATION[context.suite].warmupNs / SEC,
    workers: "cfs 6 pinned, fifo-centralized 11",
    cfsWait: "spin (reference default)",
    ghostWait: "prio-table (reference default)",
    loads: sweeps(context)[0]!.loads.join(" "),
    seed: context.seed,
  }),
};
