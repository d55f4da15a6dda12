/**
 * Figure `microbench`: the paper's microbenchmark table, measured inside the
 * emulation with the `paper` cost profile, beside the paper's figures.
 *
 * @module
 */

import { groupedBars } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round } from "./figure.ts";

const ROUNDS = { test: 50, quick: 500, full: 2000 } as const;

/** Short axis labels of the operations. */
const SHORT: Readonly<Record<string, string>> = {
  "message delivery, local agent": "deliver (local)",
  "message delivery, global agent": "deliver (global)",
  "local schedule": "local commit",
  "remote schedule, agent side": "remote: agent",
  "remote schedule, target side": "remote: target",
  "remote schedule, end to end": "remote: end to end",
  "group remote schedule of 10, agent side": "group of 10: agent",
};

/** The microbenchmark figure. */
export const MICROBENCH_FIGURE: FigureDefinition = {
  name: "microbench",
  title: "ghOSt microbenchmarks: emulated vs paper",
  caption: "Each operation measured from event timestamps inside the emulation (paper cost " +
    "profile), beside the paper's figure: the costs compose (end to end = agent side + IPI + " +
    "target side; a group of 10 = one remote commit + 9 per-transaction costs).",
  points: (context) => [{ kind: "microbench", costs: "paper", rounds: ROUNDS[context.suite] }],
  rows(results: readonly PointResult[]): Row[] {
    const result = results[0];
    if (result?.kind !== "microbench") throw new Error("microbench: expected its table");
    return result.rows.flatMap((r) => {
      const short = SHORT[r.operation] ?? r.operation;
      return [
        {
          operation: r.operation,
          short,
          source: "emulated",
          ns: round(r.measuredNs, 1),
          samples: r.samples,
        },
        { operation: r.operation, short, source: "paper", ns: r.paperNs, samples: null },
      ];
    });
  },
  chart: (rows) =>
    groupedBars(rows as Row[], {
      title: "ghOSt microbenchmarks",
      subtitle: "emulated (paper cost profile) vs the paper's table",
      category: "short",
      value: "ns",
      group: "source",
      categoryTitle: "Operation",
      valueTitle: "Cost (ns)",
      groupTitle: "Source",
      groupOrder: ["emulated", "paper"],
      labels: true,
      labelFormat: ",.0f",
      width: 780,
    }),
  claims(rows: readonly Row[]): Claim[] {
    const claims: Claim[] = [];
    for (const row of rows) {
      if (row.source !== "emulated") continue;
      const paper = rows.find((r) => r.operation === row.operation && r.source === "paper")!;
      const error = Math.abs(Number(row.ns) - Number(paper.ns)) / Number(paper.ns);
      claims.push({
        figure: "microbench",
        claim: `${row.operation}: emulated cost within 5% of the paper's`,
        holds: error <= 0.05,
        evidence: {
          emulatedNs: Number(row.ns),
          paperNs: Number(paper.ns),
          errorPct: round(error * 100, 2),
        },
      });
    }
    return claims;
  },
  settings: (context: FigureContext) => ({
    costs: "paper",
    rounds: ROUNDS[context.suite],
    machines: "1 CPU (local), 2 CPUs (remote), 11 CPUs (group of 10)",
  }),
};
