/**
 * Figure `latency-cdf`: the latency distribution of RocksDB requests at one
 * load, for every policy.
 *
 * @module
 */

import { latencyCdf } from "../charts.ts";
import type { PointResult } from "../point.ts";
import { POLICIES } from "../../policies/registry.ts";
import type { FigureContext, FigureDefinition, Row } from "./figure.ts";
import { runOf, runSpec } from "./figure.ts";
import { ROCKSDB_DURATION } from "./_rocksdb_sweep.ts";
import { SEC } from "../../core/units.ts";

const NAME = "latency-cdf";
const LOAD = 40_000;
const CDF_POINTS = 240;

/** Every registered policy. */
function policies(): string[] {
  return Object.values(POLICIES).map((p) => p.name);
}

/** The latency CDF figure. */
export const LATENCY_CDF_FIGURE: FigureDefinition = {
  name: NAME,
  title: `RocksDB latency distribution at ${LOAD / 1000}k req/s, every policy`,
  caption: "Cumulative distribution of request latency (generated to finished), all requests, " +
    "at one load. The upper tail is where policies differ: Ranges block Gets without preemption.",
  points: (context) =>
    policies().map((policy) =>
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
      }));
    });
  },
  chart: (rows) =>
    latencyCdf(rows as Row[], {
      title: `RocksDB latency CDF at ${LOAD / 1000}k req/s`,
      subtitle: "all requests, paper8, paper costs",
      latency: "latencyUs",
      fraction: "fraction",
      series: "policy",
      seriesTitle: "Policy",
      width: 560,
    }),
  claims: () => [],
  settings: (context: FigureContext) => ({
    workload: "rocksdb (Get 10us, Range 5ms, ratio 0.005)",
    load: LOAD,
    machine: "paper8",
    costs: "paper",
    durationS: ROCKSDB_DURATION[context.suite].durationNs / SEC,
    policies: policies().join(", "),
    seed: context.seed,
  }),
};
