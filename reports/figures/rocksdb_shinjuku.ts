/**
 * Figure `rocksdb-shinjuku`: the paper's RocksDB experiment with dispersive
 * requests (99.5% Gets of 10 us, 0.5% Ranges of 5 ms): p99 latency against
 * throughput for CFS, ghOSt-Shinjuku and ghOSt's centralized FIFO, for all
 * requests and for Gets alone, with each policy's saturation point.
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
import { SEC } from "../../core/units.ts";

const NAME = "rocksdb-shinjuku";
const POLICIES = ["cfs", "shinjuku", "fifo-centralized"] as const;

function sweeps(context: FigureContext): Sweep[] {
  // Added policies sweep the centralized FIFO's loads.
  const added = (loads: readonly number[]) =>
    withPolicies(POLICIES, context).slice(POLICIES.length).map((policy) => ({ policy, loads }));
  if (context.suite !== "full") {
    return [
      { policy: "cfs", loads: [10_000, 30_000, 50_000, 60_000, 70_000, 80_000, 90_000, 110_000] },
      {
        policy: "shinjuku",
        loads: [
          10_000,
          30_000,
          50_000,
          60_000,
          70_000,
          80_000,
          90_000,
          100_000,
          110_000,
          120_000,
          130_000,
          150_000,
        ],
      },
      { policy: "fifo-centralized", loads: [10_000, 30_000, 50_000, 70_000, 90_000, 110_000] },
      ...added([10_000, 30_000, 50_000, 70_000, 90_000, 110_000]),
    ];
  }
  return [
    { policy: "cfs", loads: sweep(10_000, 120_000, 10_000) },
    { policy: "shinjuku", loads: sweep(10_000, 160_000, 10_000) },
    { policy: "fifo-centralized", loads: sweep(10_000, 120_000, 10_000) },
    ...added(sweep(10_000, 120_000, 10_000)),
  ];
}

/** The RocksDB figure with Shinjuku. */
export const ROCKSDB_SHINJUKU_FIGURE: FigureDefinition = {
  name: NAME,
  title: "RocksDB, dispersive requests: CFS vs ghOSt-Shinjuku",
  caption: "p99 latency against achieved throughput, 99.5% Gets (10 us) and 0.5% Ranges " +
    "(5 ms), on 8 CPUs: load generator, dispatcher or global agent, 6 worker CPUs. Solid: " +
    "all requests; dashed: Gets. Vertical rules: saturation (p99 reaches 1000 us).",
  points: (context) => sweepPoints(context, sweeps(context), {}),
  rows: (results: readonly PointResult[]) => sweepRows(results, NAME),
  chart(rows, context) {
    const policies = withPolicies(POLICIES, context);
    return latencyVsThroughput(rows as Row[], {
      title: "RocksDB: p99 latency vs throughput",
      subtitle: "Get 10 us, Range 5 ms (0.5%), paper8, paper costs",
      x: "throughput",
      y: "p99Us",
      series: "policy",
      dash: "type",
      order: "offeredLoad",
      seriesOrder: policies,
      seriesTitle: "Policy",
      dashTitle: "Requests",
      thresholdUs: SATURATION_US,
      saturation: saturations(rows, policies).flatMap((s) =>
        s.throughput === null ? [] : [{ series: s.policy, throughput: round(s.throughput, 0) }]
      ),
      width: 560,
    });
  },
  claims(rows: readonly Row[]): Claim[] {
    const [cfs, shinjuku] = saturations(rows, ["cfs", "shinjuku"]);
    const cfsSat = cfs!.throughput;
    const shinjukuSat = shinjuku!.throughput ?? shinjuku!.maxLoad;
    const claims: Claim[] = [{
      figure: NAME,
      claim:
        "shinjuku's saturation throughput is at least 2x that of cfs (reference runs: 2.6x-3.7x)",
      holds: cfsSat !== null && shinjukuSat >= 2 * cfsSat,
      evidence: {
        cfsSaturationRps: cfsSat === null ? null : round(cfsSat, 0),
        shinjukuSaturationRps: round(shinjukuSat, 0),
        shinjukuSaturated: shinjuku!.throughput === null ? "no (lower bound)" : "yes",
        ratio: cfsSat === null ? null : round(shinjukuSat / cfsSat, 2),
      },
    }];
    // The first offered load at which cfs's p99 reaches 1000 us (among the
    // loads both sweeps ran).
    const shinjukuLoads = new Set(
      rows.filter((r) => r.policy === "shinjuku").map((r) => r.offeredLoad),
    );
    const cfsAll = rows.filter((r) =>
      r.policy === "cfs" && r.type === "All" && shinjukuLoads.has(r.offeredLoad)
    );
    const saturated = cfsAll.find((r) => Number(r.p99Us) >= SATURATION_US);
    const load = saturated === undefined ? null : Number(saturated.offeredLoad);
    const getAt = (policy: string) =>
      rows.find((r) => r.policy === policy && r.type === "Get" && r.offeredLoad === load);
    const cfsGet = getAt("cfs");
    const shinjukuGet = getAt("shinjuku");
    const ratio = cfsGet && shinjukuGet ? Number(cfsGet.p99Us) / Number(shinjukuGet.p99Us) : null;
    claims.push({
      figure: NAME,
      claim: "at the load where cfs saturates, shinjuku's Get p99 is at least 10x lower",
      holds: ratio !== null && ratio >= 10,
      evidence: {
        loadRps: load,
        cfsGetP99Us: cfsGet ? Number(cfsGet.p99Us) : null,
        shinjukuGetP99Us: shinjukuGet ? Number(shinjukuGet.p99Us) : null,
        ratio: ratio === null ? null : round(ratio, 2),
      },
    });
    return claims;
  },
  settings: (context: FigureContext) => ({
    workload: "rocksdb (Get 10us, Range 5ms, ratio 0.005)",
    machine: "paper8",
    costs: "paper",
    durationS: ROCKSDB_DURATION[context.suite].durationNs / SEC,
    warmupS: ROCKSDB_DURATION[context.suite].warmupNs / SEC,
    workers: "cfs 6 pinned, shinjuku 200, fifo-centralized 11",
    loads: sweeps(context).map((s) => `${s.policy} ${s.loads[0]}..${s.loads.at(-1)}`).join("; "),
    seed: context.seed,
  }),
};
