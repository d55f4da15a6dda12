/**
 * Figure `latency-cdf`: the latency distribution of RocksDB requests at one
 * load, for every policy.
 *
 * @module
 */

import { lineChart } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { POLICIES } from "../../policies/registry.ts";
import { policySourceKind } from "../../policies/sources.ts";
import type { FigureContext, FigureDefinition, Row } from "./figure.ts";
import { runOf, runSpec, withPolicies } from "./figure.ts";
import { ROCKSDB_DURATION } from "./_rocksdb_sweep.ts";
import { SEC } from "../../core/units.ts";

const NAME = "latency-cdf";
const LOAD = 40_000;
const CDF_POINTS = 240;

/** Every registered policy (but those loaded from a source), then those the user adds. */
function policies(context: FigureContext): string[] {
  const registered = Object.keys(POLICIES).filter((name) => policySourceKind(name) === null);
  return withPolicies(registered, context);
}

/** The latency CDF figure. */
export const LATENCY_CDF_FIGURE: FigureDefinition = {
  name: NAME,
  title: `RocksDB latency distribution at ${LOAD / 1000}k req/s, every policy`,
  caption: "Fraction of requests slower than a latency (1 − CDF, log scales), all requests, at " +
    "one load. The tail is where policies differ: without preemption Gets wait behind Ranges.",
  points: (context) =>
    policies(context).map((policy) =>
      runSpec(context, {
        workload: "rocksdb",
        machine: "paper8",
        policy,
        load: LOAD,
        ...ROCKSDB_DURATION[context.suite],
      }, CDF_POINTS)
    ),
  rows(results: readonly PointResult[]): Row[] {
    return results.flatMap((result) => {
      const run = runOf(result, NAME);
      return (run.cdfUs ?? []).map((point) => ({
        policy: String(run.config.policy),
        latencyUs: point.valueUs,
        fraction: point.fraction,
        slower: Math.round((1 - point.fraction) * 1e6) / 1e6,
      }));
    });
  },
  // The complementary CDF on log axes: the tail, where policies differ, is visible.
  chart: (rows) =>
    lineChart(rows.filter((row) => Number(row.slower) > 0) as Row[], {
      title: `RocksDB latency distribution at ${LOAD / 1000}k req/s`,
      subtitle: "fraction of requests slower than x (1 − CDF), paper8, paper costs",
      x: "latencyUs",
      y: "slower",
      color: "policy",
      xTitle: "Latency (µs)",
      yTitle: "Fraction of requests slower",
      colorTitle: "Policy",
      logX: true,
      logY: true,
      points: false,
      width: 560,
    }),
  claims: () => [],
  settings: (context: FigureContext) => ({
    workload: "rocksdb (Get 10us, Range 5ms, ratio 0.005)",
    load: LOAD,
    machine: "paper8",
    costs: "paper",
    durationS: ROCKSDB_DURATION[context.suite].durationNs / SEC,
    policies: policies(context).join(", "),
    seed: context.seed,
  }),
};
