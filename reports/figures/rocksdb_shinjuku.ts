/**
 * Figure `rocksdb-shinjuku`: the reference's RocksDB experiment with
 * dispersive requests (experiments/scripts/shinjuku.py: 99.5% Gets of
 * 10 us, 0.5% Ranges of 5 ms, 8 CPUs): p99 latency against throughput for
 * CFS (run to completion), ghOSt-Shinjuku (30 us slices) and, for
 * contrast, ghOSt's centralized FIFO (no slices), for all requests and for
 * Gets alone, with each policy's saturation point. Waits as the reference
 * runs them: CFS workers spin, ghOSt workers wait on the PrioTable. The
 * sweeps pass the machine's capacity: 6 worker CPUs over a mean service of
 * 34.95 us, about 172k req/s.
 *
 * @module
 */

import { latencyVsThroughput, SATURATION_US } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import {
  PAPER_FIG6A_AT_CFS,
  PAPER_FIG6A_PREEMPTION,
  RUNS_INTERFERENCE,
  RUNS_SHINJUKU,
} from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { p99At, round, sweep, withPolicies } from "./figure.ts";
import {
  curveOf,
  REFERENCE_WAITS,
  ROCKSDB_DURATION,
  saturationMarks,
  saturations,
  type Sweep,
  sweepPoints,
  sweepRows,
} from "./_rocksdb_sweep.ts";
import { SEC } from "../../core/units.ts";

const NAME = "rocksdb-shinjuku";
const POLICIES = ["cfs", "shinjuku", "fifo-centralized"] as const;

/** Service capacity of the 6 worker CPUs: 6 / (0.995 x 10 us + 0.005 x 5 ms). */
const CAPACITY_RPS = 6 / (0.995 * 10e-6 + 0.005 * 5e-3);

/**
 * The series of the chart: the figure's policies, EEVDF beside CFS (unless
 * the whole bench runs EEVDF), then the policies the user adds.
 */
function seriesOf(context: FigureContext): string[] {
  const all = withPolicies(POLICIES, context);
  if (!eevdfBeside(context)) return all;
  return [...all.slice(0, POLICIES.length), "eevdf", ...all.slice(POLICIES.length)];
}

/**
 * Whether the figure runs the CFS policy under EEVDF too, as its own
 * series (the quick and full suites, when the bench does not run EEVDF
 * throughout).
 */
function eevdfBeside(context: FigureContext): boolean {
  return context.fair === undefined && context.suite !== "test";
}

function sweeps(context: FigureContext): Sweep[] {
  // Added policies sweep the centralized FIFO's loads.
  const added = (loads: readonly number[]) =>
    withPolicies(POLICIES, context).slice(POLICIES.length).map((policy) => ({ policy, loads }));
  // The CFS policy under Linux 6.6's EEVDF, on CFS's loads.
  const eevdf = (loads: readonly number[]): Sweep[] =>
    eevdfBeside(context) ? [{ policy: "cfs", fair: "eevdf", loads }] : [];
  if (context.suite !== "full") {
    const cfsLoads = [10_000, 30_000, 50_000, 60_000, 65_000, 70_000, 75_000, 80_000, 90_000];
    return [
      { policy: "cfs", loads: cfsLoads },
      {
        policy: "shinjuku",
        loads: [10_000, 50_000, 90_000, 110_000, 130_000, 145_000, 155_000, 165_000, 175_000],
      },
      { policy: "fifo-centralized", loads: [10_000, 30_000, 50_000, 70_000, 90_000] },
      ...added([10_000, 30_000, 50_000, 70_000, 90_000]),
      ...eevdf(cfsLoads),
    ];
  }
  const cfsLoads = [...sweep(10_000, 40_000, 10_000), ...sweep(45_000, 110_000, 5_000)];
  return [
    { policy: "cfs", loads: cfsLoads },
    {
      policy: "shinjuku",
      loads: [...sweep(10_000, 120_000, 10_000), ...sweep(125_000, 190_000, 5_000)],
    },
    { policy: "fifo-centralized", loads: sweep(10_000, 110_000, 5_000) },
    ...added(sweep(10_000, 110_000, 5_000)),
    ...eevdf(cfsLoads),
  ];
}

/** The RocksDB figure with Shinjuku. */
export const ROCKSDB_SHINJUKU_FIGURE: FigureDefinition = {
  name: NAME,
  title: "RocksDB, dispersive requests: CFS vs ghOSt-Shinjuku",
  caption: "p99 latency against achieved throughput, 99.5% Gets (10 us) and 0.5% Ranges " +
    "(5 ms), on 8 CPUs: load generator, dispatcher or global agent, 6 worker CPUs (capacity " +
    "about 172k req/s). Solid: all requests; dashed: Gets. Dotted verticals: each policy's " +
    "saturation, where p99 of all requests crosses 1 ms (interpolated between sweep points). " +
    "eevdf: the cfs set-up with Linux 6.6's EEVDF as the kernel's fair class (quick and full " +
    "suites).",
  points: (context) => sweepPoints(context, sweeps(context), { workloadOptions: REFERENCE_WAITS }),
  rows: (results: readonly PointResult[], context) =>
    sweepRows(results, NAME, { fairLabels: eevdfBeside(context) }),
  chart(rows, context) {
    const policies = seriesOf(context);
    return latencyVsThroughput(rows as Row[], {
      title: "RocksDB: p99 latency vs throughput",
      subtitle: "Get 10 us, Range 5 ms (0.5%), paper8, paper costs; cfs spins, ghOSt PrioTable",
      notes: [
        "Dotted verticals: saturation (p99 of all requests crosses 1 ms, interpolated); " +
        "dashed horizontal: 1 ms",
      ],
      x: "throughput",
      y: "p99Us",
      series: "policy",
      dash: "type",
      order: "offeredLoad",
      seriesOrder: policies,
      seriesTitle: "Policy",
      dashTitle: "Requests",
      threshold: SATURATION_US,
      thresholdLabel: "1 ms",
      saturation: saturationMarks(rows, policies),
      width: 560,
    });
  },
  claims(rows: readonly Row[]): Claim[] {
    const [cfs, shinjuku, fifo] = saturations(rows, POLICIES);
    const cfsSat = cfs!.throughput;
    const shinjukuSat = shinjuku!.throughput ?? shinjuku!.maxThroughput;
    const fifoSat = fifo!.throughput;
    // At CFS's saturation throughput, each policy's Get p99 (interpolated).
    const cfsGet = cfsSat === null ? null : p99At(curveOf(rows, "cfs", "Get"), cfsSat);
    const shinjukuGet = cfsSat === null ? null : p99At(curveOf(rows, "shinjuku", "Get"), cfsSat);
    const getRatio = cfsGet !== null && shinjukuGet !== null ? cfsGet / shinjukuGet : null;
    // And shinjuku's p99 of all requests there (cfs's is 1 ms by definition).
    const shinjukuAll = cfsSat === null ? null : p99At(curveOf(rows, "shinjuku"), cfsSat);
    return [
      {
        figure: NAME,
        claim: "shinjuku's saturation throughput is at least 2x that of cfs",
        kind: "emergent",
        source: RUNS_SHINJUKU,
        holds: cfsSat !== null && shinjukuSat >= 2 * cfsSat,
        evidence: {
          cfsSaturationRps: cfsSat === null ? null : round(cfsSat, 0),
          shinjukuSaturationRps: round(shinjukuSat, 0),
          shinjukuSaturated: shinjuku!.throughput === null ? "no (lower bound)" : "yes",
          ratio: cfsSat === null ? null : round(shinjukuSat / cfsSat, 2),
          capacityRps: round(CAPACITY_RPS, 0),
        },
      },
      {
        figure: NAME,
        claim: "at the throughput where cfs's p99 reaches 1 ms, shinjuku's p99 is at least 10x " +
          "lower",
        kind: "emergent",
        source: PAPER_FIG6A_AT_CFS,
        holds: shinjukuAll !== null && shinjukuAll * 10 <= SATURATION_US,
        evidence: {
          atThroughputRps: cfsSat === null ? null : round(cfsSat, 0),
          cfsP99Us: SATURATION_US,
          shinjukuP99Us: shinjukuAll === null ? null : round(shinjukuAll, 1),
          ratio: shinjukuAll === null ? null : round(SATURATION_US / shinjukuAll, 2),
        },
      },
      {
        figure: NAME,
        claim:
          "at cfs's saturation, shinjuku's Get p99 is at least 10x lower (ghostbench's own threshold)",
        kind: "emergent",
        source: RUNS_INTERFERENCE,
        holds: getRatio !== null && getRatio >= 10,
        evidence: {
          atThroughputRps: cfsSat === null ? null : round(cfsSat, 0),
          cfsGetP99Us: cfsGet === null ? null : round(cfsGet, 1),
          shinjukuGetP99Us: shinjukuGet === null ? null : round(shinjukuGet, 1),
          ratio: getRatio === null ? null : round(getRatio, 2),
        },
      },
      {
        figure: NAME,
        claim: "without preemption (fifo-centralized) ghOSt saturates earlier than with " +
          "shinjuku's slices",
        kind: "emergent",
        source: PAPER_FIG6A_PREEMPTION,
        holds: fifoSat !== null && fifoSat < shinjukuSat,
        evidence: {
          fifoSaturationRps: fifoSat === null ? null : round(fifoSat, 0),
          shinjukuSaturationRps: round(shinjukuSat, 0),
          earlierPct: fifoSat === null ? null : round((1 - fifoSat / shinjukuSat) * 100, 1),
        },
      },
    ];
  },
  settings: (context: FigureContext) => ({
    reference: "experiments/scripts/shinjuku.py",
    workload: "rocksdb (Get 10us, Range 5ms, ratio 0.005)",
    machine: "paper8",
    costs: "paper",
    durationS: ROCKSDB_DURATION[context.suite].durationNs / SEC,
    warmupS: ROCKSDB_DURATION[context.suite].warmupNs / SEC,
    workers: "cfs 6 pinned, shinjuku 200, fifo-centralized 11",
    cfsWait: "spin (reference default)",
    ghostWait: "prio-table (reference default)",
    slices: "shinjuku 30us, fifo-centralized none",
    loads: sweeps(context).map((s) =>
      `${s.fair === "eevdf" ? "eevdf" : s.policy} ${s.loads[0]}..${s.loads.at(-1)}`
    ).join("; "),
    seed: context.seed,
  }),
};
