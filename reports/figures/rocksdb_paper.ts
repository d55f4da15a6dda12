/**
 * Figure `rocksdb-paper`: the paper's Fig. 6a (SOSP'21 §4.2, pp.596–597).
 * RocksDB with the paper's request mix (a 6 us Get plus 4 us of processing
 * for 99.5% of requests, 10 ms for 0.5%) on one socket of a Xeon E5-2658
 * (24 CPUs: a load-generator core, a dispatcher or agent core, 20 worker
 * CPUs): p99 latency against throughput for the original Shinjuku (a data
 * plane: spinning dispatcher and workers, preemption at the 30 us slice),
 * ghOSt-Shinjuku (a global agent, 200 workers, 30 us slices) and
 * CFS-Shinjuku (run to completion), with each system's saturation. The
 * capacity of the 20 worker CPUs is 20 / 59.98 us, about 333k req/s.
 *
 * @module
 */

import { latencyVsThroughput, SATURATION_US } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { PAPER_FIG6A_PREEMPTION, PAPER_FIG6A_TAILS, PAPER_FIG6A_WITHIN } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { p99At, round, sweep, withPolicies } from "./figure.ts";
import { curveOf } from "./_rocksdb_sweep.ts";
import {
  PAPER_DURATION,
  PAPER_MACHINE,
  PAPER_WORKER_CPUS,
  SYSTEM_TITLES,
  systemPoints,
  systemRows,
  SYSTEMS,
  systemSaturation,
} from "./_rocksdb_paper.ts";
import { DATAPLANE_HANDOFF_NS, DATAPLANE_PREEMPT_NS } from "../../workloads/rocksdb.ts";
import { SEC } from "../../core/units.ts";

const NAME = "rocksdb-paper";

/** Mean service of the paper mix: 6 us + 0.995 x 4 us + 0.005 x 10 ms. */
const MEAN_SERVICE_S = 6e-6 + 0.995 * 4e-6 + 0.005 * 10e-3;

/** Service capacity of the worker CPUs, req/s. */
const CAPACITY_RPS = PAPER_WORKER_CPUS / MEAN_SERVICE_S;

/** The paper's "within 5%" (§4.2, p.597). */
const WITHIN = 0.05;

/** The paper's "about 30% earlier" (§4.2, p.597), read as 20% to 40%. */
const EARLIER = { min: 0.2, max: 0.4 } as const;

/** Each system's loads, by suite. */
function loads(context: FigureContext): Record<string, readonly number[]> {
  switch (context.suite) {
    case "test":
      return {
        "shinjuku-dataplane": [200_000, 345_000],
        shinjuku: [200_000, 330_000],
        cfs: [150_000, 260_000],
      };
    case "quick":
      return {
        "shinjuku-dataplane": [150_000, 300_000, 340_000, 380_000],
        shinjuku: [150_000, 280_000, 310_000, 340_000],
        cfs: [150_000, 220_000, 240_000, 260_000],
      };
    case "full":
      return {
        "shinjuku-dataplane": sweep(10_000, 350_000, 10_000),
        shinjuku: sweep(10_000, 340_000, 10_000),
        cfs: sweep(10_000, 270_000, 10_000),
      };
  }
}

/** The systems, then the policies the user adds (swept at ghOSt-Shinjuku's loads, as ghOSt). */
function systems(context: FigureContext): string[] {
  return withPolicies(SYSTEMS, context);
}

/** The paper's RocksDB figure. */
export const ROCKSDB_PAPER_FIGURE: FigureDefinition = {
  name: NAME,
  title: "RocksDB as in the paper: Shinjuku vs ghOSt-Shinjuku vs CFS-Shinjuku",
  caption: "p99 latency against achieved throughput on one socket of a Xeon E5-2658 (24 CPUs; " +
    "20 worker CPUs, capacity about 333k req/s), 99.5% of requests 6 + 4 us, 0.5% 6 us + " +
    "10 ms (the paper's Fig. 6a). Shinjuku: the original data plane, dedicated spinning " +
    "dispatcher and workers, preempted at 30 us; ghOSt-Shinjuku: a global agent, 200 workers, " +
    "30 us slices; CFS-Shinjuku: 20 pinned workers, run to completion. Solid: all requests; " +
    "dashed: the short ones. Dotted verticals: saturation, where the p99 of all requests " +
    "or the mean time in the system of the requests left unfinished (Little's law) reaches " +
    "1 ms: preemption keeps short requests fast while 10 ms ones pile up, so the p99 of " +
    "finished requests alone shows an overload late.",
  points: (context) => {
    const byLoad = loads(context);
    return systems(context).flatMap((system) =>
      systemPoints(context, system, byLoad[system] ?? byLoad.shinjuku!)
    );
  },
  rows: (results: readonly PointResult[]) => systemRows(results, NAME),
  chart(rows, context) {
    const order = systems(context);
    return latencyVsThroughput(rows as Row[], {
      title: "RocksDB (the paper's Fig. 6a): p99 latency vs throughput",
      subtitle: `${
        order.map((s) => SYSTEM_TITLES[s as keyof typeof SYSTEM_TITLES] ?? s)
          .join(", ")
      }; xeon-e5-2658, paper costs, data plane costs assumed`,
      notes: [
        "Dotted verticals: saturation (p99 of all requests, or the backlog's mean time in the " +
        "system by Little's law, crosses 1 ms; interpolated); dashed horizontal: 1 ms",
        "shinjuku-dataplane = the original Shinjuku",
      ],
      x: "throughput",
      y: "p99Us",
      series: "policy",
      dash: "type",
      order: "offeredLoad",
      seriesOrder: order,
      seriesTitle: "System",
      dashTitle: "Requests",
      threshold: SATURATION_US,
      thresholdLabel: "1 ms",
      saturation: order.flatMap((series) => {
        const at = systemSaturation(rows, series).throughput;
        return at === null ? [] : [{ series, throughput: round(at, 0) }];
      }),
      width: 560,
    });
  },
  claims(rows: readonly Row[]): Claim[] {
    const [dataplane, ghost, cfs] = SYSTEMS.map((system) => systemSaturation(rows, system));
    const satOf = (s: typeof dataplane) => s!.throughput ?? s!.maxThroughput;
    const dpSat = satOf(dataplane);
    const ghostSat = satOf(ghost);
    const cfsSat = cfs!.throughput;
    const gap = 1 - ghostSat / dpSat;
    const earlier = cfsSat === null ? null : 1 - cfsSat / ghostSat;
    // Tails at high load: at the highest ghOSt load still below 1 ms, both p99s.
    const ghostCurve = curveOf(rows, "shinjuku");
    const high = ghostCurve.filter((p) => p.p99 < SATURATION_US).at(-1) ?? null;
    const dpAtHigh = high === null
      ? null
      : p99At(curveOf(rows, "shinjuku-dataplane"), high.throughput);
    const bound = (s: typeof dataplane) => (s!.throughput === null ? "no (lower bound)" : "yes");
    return [
      {
        figure: NAME,
        claim: "ghOSt-Shinjuku saturates within 5% of the original Shinjuku",
        kind: "emergent",
        source: PAPER_FIG6A_WITHIN,
        holds: dataplane!.throughput !== null && gap <= WITHIN,
        evidence: {
          shinjukuDataplaneSaturationRps: round(dpSat, 0),
          dataplaneSaturated: bound(dataplane),
          ghostShinjukuSaturationRps: round(ghostSat, 0),
          ghostSaturated: bound(ghost),
          belowPct: round(gap * 100, 1),
          capacityRps: round(CAPACITY_RPS, 0),
          dataplaneCostsNs: `handoff ${DATAPLANE_HANDOFF_NS}, preempt ${DATAPLANE_PREEMPT_NS} ` +
            "(assumed)",
        },
      },
      {
        figure: NAME,
        claim: "CFS-Shinjuku saturates about 30% (20% to 40%) earlier than ghOSt-Shinjuku",
        kind: "emergent",
        source: PAPER_FIG6A_PREEMPTION,
        holds: earlier !== null && earlier >= EARLIER.min && earlier <= EARLIER.max,
        evidence: {
          cfsSaturationRps: cfsSat === null ? null : round(cfsSat, 0),
          ghostShinjukuSaturationRps: round(ghostSat, 0),
          earlierPct: earlier === null ? null : round(earlier * 100, 1),
          earlierThanDataplanePct: cfsSat === null ? null : round((1 - cfsSat / dpSat) * 100, 1),
        },
      },
      {
        figure: NAME,
        claim: "at high load ghOSt-Shinjuku's p99 is above the original Shinjuku's",
        kind: "emergent",
        source: PAPER_FIG6A_TAILS,
        holds: high !== null && dpAtHigh !== null && high.p99 > dpAtHigh,
        evidence: {
          atThroughputRps: high === null ? null : round(high.throughput, 0),
          ghostShinjukuP99Us: high === null ? null : round(high.p99, 1),
          shinjukuDataplaneP99Us: dpAtHigh === null ? null : round(dpAtHigh, 1),
        },
      },
    ];
  },
  settings: (context: FigureContext) => ({
    reference: "SOSP'21 §4.2, Fig. 6a, pp.596-597",
    workload: "rocksdb, mix paper (6 us Get + 4 us, or + 10 ms for 0.5%)",
    machine: PAPER_MACHINE,
    costs: "paper",
    durationS: PAPER_DURATION[context.suite].durationNs / SEC,
    warmupS: PAPER_DURATION[context.suite].warmupNs / SEC,
    shinjukuDataplane: `dedicated spinning dispatcher and 20 workers, slice 30us, handoff ` +
      `${DATAPLANE_HANDOFF_NS}ns and preemption ${DATAPLANE_PREEMPT_NS}ns (assumed)`,
    ghostShinjuku: "200 workers, PrioTable wait, slice 30us, global agent on the dispatcher core",
    cfsShinjuku: "dispatcher + 20 pinned workers, spin wait, run to completion",
    loads: Object.entries(loads(context)).map(([s, l]) => `${s} ${l[0]}..${l.at(-1)}`).join("; "),
    seed: context.seed,
  }),
};
