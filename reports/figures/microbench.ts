/**
 * Figure `microbench`: the paper's microbenchmark table (Table 3, §4.1,
 * p.596), measured inside the emulation with the `paper` cost profile,
 * drawn as the paper prints it: a table of operation, paper, emulated.
 *
 * The profile's inputs are the paper's numbers, so the two columns agree by
 * construction: the rows check that the costs compose end to end (an
 * operation is measured from event timestamps, through message queues,
 * commits and IPIs), not that the model is right. Its claims are
 * calibration checks, counted apart from the emergent claims.
 *
 * @module
 */

import { textTable } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { paperTable3 } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round } from "./figure.ts";

const ROUNDS = { test: 50, quick: 500, full: 2000 } as const;

/** Table 3's line of each measured operation. */
const TABLE3_LINE: Readonly<Record<string, number>> = {
  "message delivery, local agent": 1,
  "message delivery, global agent": 2,
  "local schedule": 3,
  "remote schedule, agent side": 4,
  "remote schedule, target side": 5,
  "remote schedule, end to end": 6,
  "group remote schedule of 10, agent side": 7,
};

/** The microbenchmark figure. */
export const MICROBENCH_FIGURE: FigureDefinition = {
  name: "microbench",
  title: "ghOSt microbenchmarks: paper vs emulated (calibration)",
  caption: "Each operation measured from event timestamps inside the emulation with the " +
    "cost profile (paper, unless bench --costs names another), beside the paper's Table 3. The profile's inputs are the paper's " +
    "numbers, so this checks that the costs compose end to end (end to end = agent side + " +
    "IPI + target side; a group of 10 = one remote commit + 9 per-transaction costs), not " +
    "that the model is right.",
  points: (context) => [
    { kind: "microbench", costs: context.costs ?? "paper", rounds: ROUNDS[context.suite] },
  ],
  rows(results: readonly PointResult[]): Row[] {
    const result = results[0];
    if (result?.kind !== "microbench") throw new Error("microbench: expected its table");
    const line = (operation: string) => TABLE3_LINE[operation] ?? Number.MAX_SAFE_INTEGER;
    const inOrder = [...result.rows].sort((a, b) => line(a.operation) - line(b.operation));
    return inOrder.map((r) => ({
      line: TABLE3_LINE[r.operation] ?? null,
      operation: r.operation,
      paperNs: r.paperNs,
      emulatedNs: round(r.measuredNs, 1),
      differencePct: round((r.measuredNs - r.paperNs) / r.paperNs * 100, 2),
      samples: r.samples,
    }));
  },
  chart: (rows) =>
    textTable(rows as Row[], {
      title: "ghOSt microbenchmarks (calibration)",
      subtitle:
        "paper: SOSP'21 Table 3, p.596; emulated: measured with the cost profile in the settings",
      notes: ["The profile's inputs are the paper's numbers: agreement shows the costs compose"],
      columns: [
        { field: "line", title: "#", width: 20, alignRight: true },
        { field: "operation", title: "Operation", width: 290 },
        { field: "paperNs", title: "Paper (ns)", width: 80, alignRight: true, format: ",.0f" },
        {
          field: "emulatedNs",
          title: "Emulated (ns)",
          width: 100,
          alignRight: true,
          format: ",.1f",
        },
        { field: "differencePct", title: "Diff. (%)", width: 70, alignRight: true, format: "+.2f" },
        { field: "samples", title: "Samples", width: 70, alignRight: true, format: ",.0f" },
      ],
    }),
  claims(rows: readonly Row[]): Claim[] {
    return rows.map((row) => {
      const operation = String(row.operation);
      const paper = Number(row.paperNs);
      const error = Math.abs(Number(row.emulatedNs) - paper) / paper;
      return {
        figure: "microbench",
        claim: `${operation}: the emulated cost composes to within 5% of the paper's`,
        kind: "calibration",
        source: paperTable3(Number(row.line), operation, paper),
        holds: error <= 0.05,
        evidence: {
          emulatedNs: Number(row.emulatedNs),
          paperNs: paper,
          errorPct: round(error * 100, 2),
        },
      };
    });
  },
  settings: (context: FigureContext) => ({
    costs: "paper (the profile's inputs are Table 3's numbers)",
    rounds: ROUNDS[context.suite],
    machines: "1 CPU (local), 2 CPUs (remote), 11 CPUs (group of 10)",
  }),
};
