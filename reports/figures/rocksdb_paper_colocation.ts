/**
 * Figure `rocksdb-paper-colocation`: the paper's Fig. 6b–c (SOSP'21 §4.2,
 * p.597), the companion of `rocksdb-paper`. The same RocksDB runs beside a
 * batch job of 20 spinning threads allowed on the 20 worker CPUs. Under the
 * original Shinjuku those CPUs belong to its data plane; under
 * ghOSt-Shinjuku the batch threads are in the enclave at the lowest QoS;
 * under CFS RocksDB runs at nice -20 and the batch at +19, its idle workers
 * sleeping on a futex. Left: RocksDB's p99 with the batch job (dashed:
 * without it); right: the batch job's share of the worker CPUs.
 *
 * @module
 */

import { concatCharts, SATURATION_US } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { colocationCharts } from "./_colocation_charts.ts";
import {
  PAPER_FIG6B_CFS,
  PAPER_FIG6B_TAIL,
  PAPER_FIG6BC_SHARE,
  PAPER_FIG6C_CFS,
  PAPER_FIG6C_SHINJUKU,
} from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, runOf, saturation, sweep } from "./figure.ts";
import {
  PAPER_DURATION,
  PAPER_MACHINE,
  PAPER_WORKER_CPUS,
  systemOf,
  systemPoints,
  SYSTEMS,
} from "./_rocksdb_paper.ts";
import { SEC } from "../../core/units.ts";

const NAME = "rocksdb-paper-colocation";
/** The batch job: one spinning thread per worker CPU. */
const BATCH_THREADS = PAPER_WORKER_CPUS;
/** The paper's Fig. 6c: ghOSt's share is at most about 0.2 of the CPUs below CFS's. */
const SHARE_GAP = 0.2;
/** The systems run without the batch job too (their tails with and without it). */
const ALONE = ["shinjuku", "cfs"] as const;

function loads(context: FigureContext): number[] {
  switch (context.suite) {
    case "test":
      return [10_000, 280_000];
    case "quick":
      return [10_000, 150_000, 280_000];
    case "full":
      return sweep(10_000, 330_000, 20_000);
  }
}

/** The co-location companion of `rocksdb-paper`. */
export const ROCKSDB_PAPER_COLOCATION_FIGURE: FigureDefinition = {
  name: NAME,
  title: "RocksDB as in the paper, beside a batch job: Shinjuku vs ghOSt vs CFS",
  caption: `RocksDB (the paper mix, on xeon-e5-2658) beside ${BATCH_THREADS} spinning batch ` +
    "threads on the 20 worker CPUs (the paper's Fig. 6b-c). Left: RocksDB p99 with the batch " +
    "job (dashed: without it); right: the batch job's share of the 20 worker CPUs. The " +
    "original Shinjuku's spinning data plane holds its CPUs; ghOSt-Shinjuku runs the batch " +
    "threads at the lowest QoS; CFS runs RocksDB at nice -20, the batch job at +19.",
  points: (context) => [
    ...SYSTEMS.flatMap((system) => systemPoints(context, system, loads(context), BATCH_THREADS)),
    ...ALONE.flatMap((system) => systemPoints(context, system, loads(context))),
  ],
  rows(results: readonly PointResult[]): Row[] {
    return results.map((result) => {
      const run = runOf(result, NAME);
      const system = systemOf(result, NAME);
      const antagonists = Number(run.config.antagonists);
      return {
        policy: system,
        antagonists,
        batch: antagonists > 0 ? "with" : "without",
        series: `${system}${antagonists > 0 ? " + batch" : ""}`,
        offeredLoad: Number(run.config.load),
        throughput: round(run.throughputRps, 1),
        p99Us: round(run.latencyUs.all!.p99),
        batchCpus: run.antagonist === null ? null : round(run.antagonist.total, 4),
        batchShare: run.antagonist === null
          ? null
          : round(run.antagonist.total / PAPER_WORKER_CPUS, 4),
        lost: run.lost,
      };
    });
  },
  chart(rows) {
    const charts = colocationCharts(rows, {
      workerCpus: PAPER_WORKER_CPUS,
      colorTitle: "System",
      seriesOrder: SYSTEMS,
    });
    return concatCharts(charts, {
      title: "RocksDB as in the paper, beside a batch job (Fig. 6b-c)",
      subtitle: `${BATCH_THREADS} spinning batch threads; shinjuku-dataplane = the original ` +
        "Shinjuku; shinjuku = ghOSt-Shinjuku (batch at the lowest QoS); cfs: nice -20 vs +19",
      notes: ["The original Shinjuku's data plane never leaves its CPUs: its batch share is 0"],
    });
  },
  claims(rows: readonly Row[]): Claim[] {
    const at = (system: string, batch: string) =>
      rows.filter((r) => r.policy === system && r.batch === batch)
        .sort((a, b) => Number(a.offeredLoad) - Number(b.offeredLoad));
    const shares = (system: string) => at(system, "with").map((r) => Number(r.batchShare));
    const dpShares = shares("shinjuku-dataplane");
    const ghostShares = shares("shinjuku");
    const ghostWith = at("shinjuku", "with");
    const cfsWith = at("cfs", "with");
    const falls = ghostShares.length >= 2 &&
      ghostShares.every((s, i) => i === 0 || s <= ghostShares[i - 1]! + 0.02) &&
      ghostShares[0]! >= 0.8 && ghostShares.at(-1)! < ghostShares[0]!;
    // ghOSt against CFS, at each load where ghOSt's RocksDB is below saturation.
    const gaps = ghostWith.filter((r) => Number(r.p99Us) < SATURATION_US).map((r) => {
      const cfs = cfsWith.find((c) => c.offeredLoad === r.offeredLoad);
      return cfs === undefined ? null : Number(cfs.batchShare) - Number(r.batchShare);
    }).filter((g): g is number => g !== null);
    const widest = gaps.length === 0 ? null : Math.max(...gaps.map(Math.abs));
    // ghOSt's tail with and without the batch job, below saturation.
    let worst = 0;
    let worstLoad: number | null = null;
    for (const row of ghostWith) {
      const alone = at("shinjuku", "without").find((r) => r.offeredLoad === row.offeredLoad);
      if (alone === undefined || Number(alone.p99Us) >= SATURATION_US) continue;
      const ratio = Number(row.p99Us) / Number(alone.p99Us);
      if (ratio > worst) {
        worst = ratio;
        worstLoad = Number(row.offeredLoad);
      }
    }
    // Where each p99 with the batch job crosses 1 ms, by offered load.
    const crossing = (system: string) =>
      saturation(
        at(system, "with").map((r) => ({
          throughput: Number(r.offeredLoad),
          p99: Number(r.p99Us),
        })),
        SATURATION_US,
      );
    const cfsCross = crossing("cfs");
    const ghostCross = crossing("shinjuku");
    return [
      {
        figure: NAME,
        claim: "the original Shinjuku gives the batch job no CPU at any load",
        kind: "emergent",
        source: PAPER_FIG6C_SHINJUKU,
        holds: dpShares.length > 0 && dpShares.every((s) => s === 0),
        evidence: {
          shares: dpShares.join(" "),
          loads: at("shinjuku-dataplane", "with").map((r) => r.offeredLoad).join(" "),
        },
      },
      {
        figure: NAME,
        claim: "under ghOSt-Shinjuku the batch share starts above 0.8 of the worker CPUs and " +
          "falls as load rises",
        kind: "emergent",
        source: PAPER_FIG6BC_SHARE,
        holds: falls,
        evidence: {
          shares: ghostShares.join(" "),
          loads: ghostWith.map((r) => r.offeredLoad).join(" "),
        },
      },
      {
        figure: NAME,
        claim: `ghOSt-Shinjuku's batch share is close to CFS's: never more than ${SHARE_GAP} ` +
          "of the worker CPUs apart below ghOSt's saturation",
        kind: "emergent",
        source: PAPER_FIG6C_CFS,
        holds: widest !== null && widest <= SHARE_GAP,
        evidence: {
          cfsMinusGhost: gaps.map((g) => round(g, 3)).join(" "),
          widestGap: widest === null ? null : round(widest, 3),
        },
      },
      {
        figure: NAME,
        claim: "ghOSt-Shinjuku keeps RocksDB's tail beside the batch job: p99 within 2x of its " +
          "p99 without, below saturation",
        kind: "emergent",
        source: PAPER_FIG6B_TAIL,
        holds: worstLoad !== null && worst <= 2,
        evidence: { worstRatio: round(worst, 3), atLoadRps: worstLoad },
      },
      {
        figure: NAME,
        claim: "beside the batch job, CFS's RocksDB p99 passes 1 ms at a lower load than " +
          "ghOSt-Shinjuku's",
        kind: "emergent",
        source: PAPER_FIG6B_CFS,
        holds: cfsCross !== null && (ghostCross === null || cfsCross < ghostCross),
        evidence: {
          cfsCrossingRps: cfsCross === null ? null : round(cfsCross, 0),
          ghostCrossingRps: ghostCross === null ? "not in the sweep" : round(ghostCross, 0),
        },
      },
    ];
  },
  settings: (context: FigureContext) => ({
    reference: "SOSP'21 §4.2, Fig. 6b-c, p.597",
    workload: "rocksdb, mix paper, as in rocksdb-paper",
    batch: `${BATCH_THREADS} spinning threads on the 20 worker CPUs`,
    shinjukuDataplane: "the data plane holds the worker CPUs (dedicated threads)",
    ghostShinjuku: "200 workers, PrioTable wait, slice 30us, batch at the lowest QoS",
    cfsShinjuku: "20 pinned workers, futex wait, RocksDB nice -20, batch nice +19",
    machine: PAPER_MACHINE,
    costs: "paper",
    durationS: PAPER_DURATION[context.suite].durationNs / SEC,
    warmupS: PAPER_DURATION[context.suite].warmupNs / SEC,
    loads: loads(context).join(" "),
    seed: context.seed,
  }),
};
