/**
 * Figure `scalability`: one global agent's scheduling decisions per second
 * against the number of CPUs it schedules, with five threads per CPU looping
 * on sched_yield (the paper's global-agent scalability experiment).
 *
 * @module
 */

import { lineChart } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { POLICIES } from "../../policies/registry.ts";
import { MS } from "../../core/units.ts";
import { PAPER_FIG5 } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";

const CPUS = {
  test: [2, 4, 8, 16, 32, 48, 64],
  quick: [2, 4, 8, 16, 32, 48, 64],
  full: [2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 56, 64],
} as const;
const WINDOW = { test: 2 * MS, quick: 10 * MS, full: 50 * MS } as const;

/** The centralized policies measured (sol when registered). */
function policies(): string[] {
  return ["sol", "shinjuku", "fifo-centralized"].filter((p) =>
    Object.hasOwn(POLICIES, p) && POLICIES[p]!.model === "centralized"
  );
}

/** The scalability figure. */
export const SCALABILITY_FIGURE: FigureDefinition = {
  name: "scalability",
  title: "Global-agent scalability",
  caption: "Scheduling decisions per second of one global agent as CPUs are added (xeon2s, " +
    "paper costs, 5 yielding threads per CPU). The rate rises while the agent has idle time, " +
    "then flattens where the one agent saturates. The policies cost the agent the same per " +
    "decision (one delivery, a share of a group commit), so their curves lie on one another.",
  points: (context) =>
    policies().flatMap((policy) =>
      CPUS[context.suite].map((cpus) => ({
        kind: "scalability" as const,
        policy,
        cpus,
        machine: "xeon2s",
        windowNs: WINDOW[context.suite],
      }))
    ),
  rows(results: readonly PointResult[]): Row[] {
    return results.map((result) => {
      if (result.kind !== "scalability") throw new Error("scalability: expected its rows");
      const r = result.row;
      return {
        policy: r.policy,
        cpus: r.cpus,
        decisionsPerSec: r.decisionsPerSec,
        agentUtilization: r.agentUtilization,
      };
    });
  },
  chart: (rows) =>
    lineChart(rows as Row[], {
      title: "Global-agent scalability",
      subtitle: "decisions/s of one global agent, 5 yielding threads per CPU, xeon2s",
      ...(coincide(rows)
        ? {
          notes: [
            "The policies' curves coincide (equal rates at every CPU count): each pays the " +
            "agent the same message and commit costs per decision",
          ],
        }
        : {}),
      x: "cpus",
      y: "decisionsPerSec",
      color: "policy",
      xTitle: "Enclave CPUs",
      yTitle: "Scheduling decisions per second",
      colorTitle: "Policy",
    }),
  claims(rows: readonly Row[]): Claim[] {
    return policies().map((policy) => {
      const series = rows.filter((r) => r.policy === policy);
      const rate = series.map((r) => Number(r.decisionsPerSec));
      const first = rate[0]!;
      const peak = Math.max(...rate);
      const last = rate[rate.length - 1]!;
      const previous = rate[rate.length - 2]!;
      const rises = peak >= 1.5 * first;
      const flattens = Math.abs(last - previous) / last <= 0.05;
      return {
        figure: "scalability",
        claim: `${policy}: one agent's decision rate rises with CPUs, then flattens`,
        kind: "emergent",
        source: PAPER_FIG5,
        holds: rises && flattens,
        evidence: {
          firstCpus: Number(series[0]!.cpus),
          firstRate: first,
          peakRate: peak,
          lastTwoChangePct: Math.round(Math.abs(last - previous) / last * 1000) / 10,
          lastAgentUtilization: Number(series[series.length - 1]!.agentUtilization),
        },
      };
    });
  },
  settings: (context: FigureContext) => ({
    machine: "xeon2s",
    costs: "paper",
    threadsPerCpu: 5,
    windowMs: WINDOW[context.suite] / MS,
    cpus: CPUS[context.suite].join(" "),
    policies: policies().join(", "),
  }),
};

/** Whether every policy has the same rate at every CPU count (one line hides the others). */
function coincide(rows: readonly Row[]): boolean {
  const byCpus = new Map<number, Set<number>>();
  for (const row of rows) {
    const rates = byCpus.get(Number(row.cpus)) ?? new Set<number>();
    rates.add(Number(row.decisionsPerSec));
    byCpus.set(Number(row.cpus), rates);
  }
  return new Set(rows.map((r) => r.policy)).size > 1 &&
    [...byCpus.values()].every((rates) => rates.size === 1);
}
