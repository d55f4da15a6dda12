/**
 * Figure `colocation`: RocksDB (dispersive requests) co-located with 7
 * spinning batch threads. Under CFS the latency-sensitive threads run at
 * nice -20 and the antagonist at +19; under ghOSt-Shinjuku the antagonist
 * gets the lowest QoS class. Left: RocksDB p99 against load, with and
 * without the antagonist; right: the antagonist's CPU share.
 *
 * @module
 */

import { concatCharts, lineChart } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, runOf, runSpec, sweep, withPolicies } from "./figure.ts";
import { ROCKSDB_DURATION } from "./_rocksdb_sweep.ts";
import { SEC } from "../../core/units.ts";

const NAME = "colocation";
const ANTAGONISTS = 7;
const POLICIES = ["cfs", "shinjuku"] as const;

function loads(context: FigureContext): number[] {
  return context.suite !== "full"
    ? [10_000, 30_000, 50_000, 70_000]
    : sweep(10_000, 100_000, 10_000);
}

/** The co-location figure. */
export const COLOCATION_FIGURE: FigureDefinition = {
  name: NAME,
  title: "RocksDB co-located with batch work: CFS (nice) vs ghOSt-Shinjuku (QoS)",
  caption: `RocksDB with and without ${ANTAGONISTS} spinning antagonist threads. Left: RocksDB ` +
    "p99 latency; right: the antagonist's total CPU share (CPUs' worth of time). Shinjuku " +
    "hands the antagonist the CPU time RocksDB leaves idle and preempts it when requests wait.",
  points: (context) =>
    withPolicies(POLICIES, context).flatMap((policy) =>
      [0, ANTAGONISTS].flatMap((antagonists) =>
        loads(context).map((load) =>
          runSpec(context, {
            workload: "rocksdb",
            machine: "paper8",
            policy,
            load,
            antagonists,
            ...ROCKSDB_DURATION[context.suite],
          })
        )
      )
    ),
  rows(results: readonly PointResult[]): Row[] {
    return results.map((result) => {
      const run = runOf(result, NAME);
      const antagonists = Number(run.config.antagonists);
      const policy = String(run.config.policy);
      return {
        policy,
        antagonists,
        series: `${policy}${antagonists > 0 ? " + antagonist" : ""}`,
        antagonist: antagonists > 0 ? "with" : "without",
        offeredLoad: Number(run.config.load),
        throughput: round(run.throughputRps, 1),
        p99Us: round(run.latencyUs.all!.p99),
        getP99Us: round(run.latencyUs.get!.p99),
        antagonistShare: run.antagonist === null ? null : round(run.antagonist.total, 4),
        lost: run.lost,
      };
    });
  },
  chart(rows) {
    const latency = lineChart(rows as Row[], {
      title: "RocksDB p99 latency",
      x: "offeredLoad",
      y: "p99Us",
      color: "series",
      dash: "antagonist",
      xTitle: "Offered load (req/s)",
      yTitle: "p99 latency (µs)",
      colorTitle: "Policy",
      logY: true,
      width: 400,
      height: 260,
    });
    const share = lineChart(rows.filter((r) => r.antagonistShare !== null) as Row[], {
      title: "Antagonist CPU share",
      x: "offeredLoad",
      y: "antagonistShare",
      color: "series",
      xTitle: "Offered load (req/s)",
      yTitle: "Antagonist CPU time / wall time (CPUs)",
      colorTitle: "Policy",
      width: 400,
      height: 260,
    });
    return concatCharts([latency, share], {
      title: "RocksDB co-located with a batch antagonist",
      subtitle: `${ANTAGONISTS} spinning threads; cfs: nice -20 vs +19; shinjuku: lowest QoS`,
    });
  },
  claims(rows: readonly Row[]): Claim[] {
    const shinjuku = rows.filter((r) => r.policy === "shinjuku");
    const withAnt = shinjuku.filter((r) => Number(r.antagonists) > 0);
    const shares = withAnt.map((r) => Number(r.antagonistShare));
    const falls = shares.length >= 2 &&
      shares.every((s, i) => i === 0 || s <= shares[i - 1]! + 0.02) &&
      shares[shares.length - 1]! < shares[0]!;
    let worst = 0;
    let worstLoad: number | null = null;
    for (const row of withAnt) {
      const alone = shinjuku.find((r) =>
        Number(r.antagonists) === 0 && r.offeredLoad === row.offeredLoad
      );
      if (alone === undefined || Number(alone.p99Us) >= 1000) continue; // past saturation
      const ratio = Number(row.p99Us) / Number(alone.p99Us);
      if (ratio > worst) {
        worst = ratio;
        worstLoad = Number(row.offeredLoad);
      }
    }
    return [
      {
        figure: NAME,
        claim:
          "under shinjuku the antagonist gets the CPU time RocksDB leaves idle: its share falls as load rises",
        holds: falls,
        evidence: { shares: shares.join(" "), loads: withAnt.map((r) => r.offeredLoad).join(" ") },
      },
      {
        figure: NAME,
        claim:
          "under shinjuku RocksDB's p99 with the antagonist stays within 2x of its p99 without",
        holds: worstLoad !== null && worst <= 2,
        evidence: { worstRatio: round(worst, 3), atLoadRps: worstLoad },
      },
    ];
  },
  settings: (context: FigureContext) => ({
    workload: "rocksdb (Get 10us, Range 5ms, ratio 0.005)",
    antagonists: ANTAGONISTS,
    machine: "paper8",
    costs: "paper",
    durationS: ROCKSDB_DURATION[context.suite].durationNs / SEC,
    loads: loads(context).join(" "),
    seed: context.seed,
  }),
};
