/**
 * Figure `latency-cdf`: the latency distribution of RocksDB requests at one
 * load, for every policy, as the fraction of requests slower than a
 * latency (1 − CDF) on log axes: one small panel per policy, the others in
 * grey behind it, drawn as steps (between two recorded latencies no
 * request had a latency in between). The slowest request leaves a zero
 * tail, which a log axis cannot show: it is drawn at 1/N (N requests) and
 * marked.
 *
 * @module
 */

import { complementaryCdf } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { POLICIES } from "../../policies/registry.ts";
import { policySourceKind } from "../../policies/sources.ts";
import { PAPER_FIG6A_FLAT } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, runOf, runSpec, withPolicies } from "./figure.ts";
import { REFERENCE_WAITS, ROCKSDB_DURATION } from "./_rocksdb_sweep.ts";
import { SEC } from "../../core/units.ts";

const NAME = "latency-cdf";
const LOAD = 40_000;
const CDF_POINTS = 240;
/** The paper's flat part of Fig. 6a: p99 of about 50 us or less below saturation. */
const FLAT_P99_US = 50;

/**
 * Policies the figure leaves out: `edf` orders threads by the deadlines the
 * application writes, and RocksDB writes none, so it would draw the
 * centralized FIFO's panel again.
 */
const NOT_SHOWN: readonly string[] = ["edf"];

/**
 * Every registered policy (but those loaded from a source, those written
 * for another workload, and {@link NOT_SHOWN}), then those the user adds.
 */
function policies(context: FigureContext): string[] {
  const registered = Object.keys(POLICIES).filter((name) =>
    policySourceKind(name) === null && POLICIES[name]!.workload === undefined &&
    !NOT_SHOWN.includes(name)
  );
  return withPolicies(registered, context);
}

/** The latency CDF figure. */
export const LATENCY_CDF_FIGURE: FigureDefinition = {
  name: NAME,
  title: `RocksDB latency distribution at ${LOAD / 1000}k req/s, every policy`,
  caption: "Fraction of requests slower than a latency (1 − CDF, log scales), all requests, at " +
    "one load, one panel per policy (the others in grey). Steps: between two recorded " +
    "latencies the fraction holds. ▼: the slowest request, drawn at 1/N since no request is " +
    "slower. Dashed: 1% (p99).",
  points: (context) =>
    policies(context).map((policy) =>
      runSpec(context, {
        workload: "rocksdb",
        machine: "paper8",
        policy,
        load: LOAD,
        workloadOptions: REFERENCE_WAITS,
        ...ROCKSDB_DURATION[context.suite],
      }, CDF_POINTS)
    ),
  rows(results: readonly PointResult[]): Row[] {
    return results.flatMap((result) => {
      const run = runOf(result, NAME);
      const requests = run.latencyUs.all!.count;
      return (run.cdfUs ?? []).map((point) => {
        const slower = round(1 - point.fraction, 6);
        const floor = slower === 0;
        return {
          policy: String(run.config.policy),
          latencyUs: point.valueUs,
          fraction: point.fraction,
          slower,
          requests,
          // A zero tail sits at 1/N on the log axis, marked as such.
          slowerDrawn: floor ? 1 / requests : slower,
          floor,
        };
      });
    });
  },
  chart: (rows, context) =>
    complementaryCdf(rows as Row[], {
      title: `RocksDB latency distribution at ${LOAD / 1000}k req/s`,
      subtitle: "fraction of requests slower than x (1 − CDF), Get 10 us + Range 5 ms (0.5%), " +
        "paper8, paper costs",
      notes: [
        "Steps: no request had a latency between two steps. ▼ the slowest request, drawn at " +
        "1/N (no request is slower). Dashed: 1% (p99). Grey: the other policies.",
      ],
      latency: "latencyUs",
      slower: "slowerDrawn",
      series: "policy",
      floor: "floor",
      seriesOrder: policies(context),
      columns: 4,
      quantileRule: { slower: 0.01, label: "p99" },
      width: 210,
      height: 150,
    }),
  claims(_rows, context, results): Claim[] {
    // The paper's policies: one the user adds (bench --policy) is shown, not judged.
    const added = context.policies ?? [];
    const p99 = results.map((result) => {
      const run = runOf(result, NAME);
      return { policy: String(run.config.policy), p99Us: run.latencyUs.all!.p99 };
    }).filter((p) => !added.includes(p.policy));
    const worst = p99.reduce((a, b) => (b.p99Us > a.p99Us ? b : a));
    return [{
      figure: NAME,
      claim: `well below saturation (${LOAD / 1000}k req/s) every policy's p99 is at most ` +
        `${FLAT_P99_US} us`,
      kind: "emergent",
      source: PAPER_FIG6A_FLAT,
      holds: worst.p99Us <= FLAT_P99_US,
      evidence: {
        worstPolicy: worst.policy,
        worstP99Us: round(worst.p99Us, 1),
        p99Us: p99.map((p) => `${p.policy} ${round(p.p99Us, 1)}`).join(", "),
      },
    }];
  },
  settings: (context: FigureContext) => ({
    workload: "rocksdb (Get 10us, Range 5ms, ratio 0.005)",
    load: LOAD,
    machine: "paper8",
    costs: "paper",
    durationS: ROCKSDB_DURATION[context.suite].durationNs / SEC,
    cfsWait: "spin",
    ghostWait: "prio-table",
    policies: policies(context).join(", "),
    seed: context.seed,
  }),
};
