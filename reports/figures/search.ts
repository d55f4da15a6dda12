/**
 * Figure `search`: Search-like batch queries on a 2-socket machine with
 * 4-core CCXs (`rome2s`): p99 latency per query type and achieved QPS for
 * CFS, the NUMA- and CCX-aware `search` ghOSt policy, and the centralized
 * FIFO. Type B's memory-heavy work runs slower away from the CCX holding its
 * data, so placement decides its tail.
 *
 * @module
 */

import { concatCharts, groupedBars, lineChart } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { PAPER_FIG8 } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, runOf, runSpec, withPolicies } from "./figure.ts";
import { MS, SEC } from "../../core/units.ts";

const NAME = "search";
const POLICIES = ["cfs", "search", "fifo-centralized"] as const;
const TYPES = ["A", "B", "C"] as const;

const SETTINGS = {
  test: { qps: [20_000, 30_000, 40_000], durationNs: 300 * MS, warmupNs: 50 * MS },
  quick: { qps: [20_000, 30_000, 40_000], durationNs: 1 * SEC, warmupNs: 100 * MS },
  full: {
    qps: [10_000, 20_000, 30_000, 40_000, 50_000],
    durationNs: 5 * SEC,
    warmupNs: 500 * MS,
  },
} as const;

/** The QPS level the bar chart shows: the middle of the sweep. */
function shownQps(context: FigureContext): number {
  const qps = SETTINGS[context.suite].qps;
  return qps[Math.floor(qps.length / 2)]!;
}

/** The search figure. */
export const SEARCH_FIGURE: FigureDefinition = {
  name: NAME,
  title: "Search-like queries on rome2s: CFS vs the CCX-aware ghOSt policy",
  caption: "Query types A (50 us, CPU-bound), B (200 us, memory-heavy: 1.32x slower off its " +
    "CCX, 1.8x off its socket) and C (8 parts of 1 ms). Left: p99 per type at one QPS; " +
    "right: type B's p99 against QPS.",
  points: (context) =>
    withPolicies(POLICIES, context).flatMap((policy) =>
      SETTINGS[context.suite].qps.map((load) =>
        runSpec(context, {
          workload: "search",
          machine: "rome2s",
          policy,
          load,
          durationNs: SETTINGS[context.suite].durationNs,
          warmupNs: SETTINGS[context.suite].warmupNs,
        })
      )
    ),
  rows(results: readonly PointResult[]): Row[] {
    return results.flatMap((result) => {
      const run = runOf(result, NAME);
      return TYPES.map((type) => ({
        policy: String(run.config.policy),
        type,
        offeredQps: Number(run.config.load),
        achievedQps: round(run.throughputRps, 1),
        p50Us: round(run.latencyUs[type]!.p50),
        p99Us: round(run.latencyUs[type]!.p99),
        count: run.latencyUs[type]!.count,
        lost: run.lost,
      }));
    });
  },
  chart(rows, context) {
    const qps = shownQps(context);
    const bars = groupedBars(rows.filter((r) => r.offeredQps === qps) as Row[], {
      title: `p99 latency per query type at ${qps / 1000}k QPS`,
      category: "type",
      value: "p99Us",
      group: "policy",
      categoryTitle: "Query type",
      valueTitle: "p99 latency (µs)",
      groupTitle: "Policy",
      groupOrder: withPolicies(POLICIES, context),

      width: 330,
      height: 260,
    });
    const b = lineChart(rows.filter((r) => r.type === "B") as Row[], {
      title: "Type B p99 latency vs load",
      x: "achievedQps",
      y: "p99Us",
      color: "policy",
      xTitle: "Achieved QPS",
      yTitle: "p99 latency of B (µs)",
      colorTitle: "Policy",
      seriesOrder: withPolicies(POLICIES, context),
      width: 330,
      height: 260,
    });
    return concatCharts([bars, b], {
      title: "Search-like queries on rome2s (64 CPUs, 8 CCXs)",
      subtitle: "paper costs; B's data lives in one CCX",
    });
  },
  claims(rows: readonly Row[], context: FigureContext): Claim[] {
    const levels = SETTINGS[context.suite].qps;
    const pairs = levels.map((qps) => {
      const at = (policy: string) =>
        rows.find((r) => r.policy === policy && r.type === "B" && r.offeredQps === qps)!;
      return { qps, cfs: Number(at("cfs").p99Us), search: Number(at("search").p99Us) };
    });
    return [{
      figure: NAME,
      claim: "the search policy lowers type B's p99 against cfs at equal QPS",
      kind: "emergent",
      source: PAPER_FIG8,
      holds: pairs.every((p) => p.search < p.cfs),
      evidence: Object.fromEntries(
        pairs.map((p) => [`at${p.qps / 1000}k`, `${p.search} vs ${p.cfs} us`]),
      ),
    }];
  },
  settings: (context: FigureContext) => ({
    workload: "search (A 60% 50us, B 30% 200us mem 0.8, C 10% 8x1ms)",
    machine: "rome2s",
    costs: "paper",
    qps: SETTINGS[context.suite].qps.join(" "),
    durationS: SETTINGS[context.suite].durationNs / SEC,
    warmupS: SETTINGS[context.suite].warmupNs / SEC,
    seed: context.seed,
  }),
};
