/**
 * Figure `scalability`: the paper's Fig. 5. One global agent running `sol`
 * (a round-robin FIFO that fills every idle CPU in one group commit)
 * schedules threads that loop on sched_yield, five per worker CPU; worker
 * CPUs are added in the reference's sparse order, on a Skylake-like
 * (xeon2s, 112 CPUs) and a Haswell-like (haswell2s, 72 CPUs) machine. The
 * costs are the `paper-fig5` profile and the `fig5` topology costs: which
 * of their constants are fitted to Fig. 5, and so which claims are only
 * calibration checks, is said where they are defined and in each claim.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import { lineChart, VEGA_LITE_SCHEMA } from "../render/charts.ts";
import type { PointResult } from "../bench/point.ts";
import { scalabilityCpus } from "../experiment/agent_scalability.ts";
import { resolveTopology } from "../../core/topology.ts";
import { MS } from "../../core/units.ts";
import { PAPER_FIG5_DECLINE, PAPER_FIG5_DIP, PAPER_FIG5_PEAK } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";

/** The machines, with the paper's name for each. */
const MACHINES = [
  { preset: "xeon2s", label: "Skylake (xeon2s, 112 CPUs)" },
  { preset: "haswell2s", label: "Haswell (haswell2s, 72 CPUs)" },
] as const;
const WINDOW = { test: 1 * MS, quick: 4 * MS, full: 20 * MS } as const;
const POLICY = "sol";
const COSTS = "paper-fig5";
const TOPOLOGY_COSTS = "fig5";
/** The decline claim: the last point this far below the socket-full point, at least. */
const DECLINE = 0.1;

/** Where a machine's curve turns, in worker CPUs. */
interface Landmarks {
  /** The first count with the agent's SMT sibling among the workers. */
  dip: number;
  /** The count that fills the agent's socket. */
  socketFull: number;
  /** Every CPU but the first core's first hardware thread and the agent's. */
  last: number;
}

/** A machine's landmarks, from its topology and the sparse order. */
function landmarks(preset: string): Landmarks {
  const topology = resolveTopology({ preset });
  const agent = scalabilityCpus(topology, 1)[0]!;
  const last = topology.size - 2;
  const order = scalabilityCpus(topology, last);
  const sibling = topology.cpu(agent).siblings[0];
  const socket = topology.cpu(agent).socket;
  const lastLocal = order.findLastIndex((cpu) => topology.cpu(cpu).socket === socket);
  return { dip: sibling === undefined ? -1 : order.indexOf(sibling), socketFull: lastLocal, last };
}

/** The worker-CPU counts a suite measures on a machine. */
function workerCounts(preset: string, suite: FigureContext["suite"]): number[] {
  const { dip, socketFull, last } = landmarks(preset);
  if (suite === "full") return Array.from({ length: last }, (_, i) => i + 1);
  const counts = suite === "test" ? [1, dip - 1, dip, socketFull, last] : [
    1,
    2,
    4,
    8,
    16,
    dip - 1,
    dip,
    Math.round((dip + socketFull) / 2),
    socketFull,
    socketFull + 1,
    Math.round((socketFull + last) / 2),
    last,
  ];
  return [...new Set(counts)].filter((n) => n >= 1).sort((a, b) => a - b);
}

/** The label of a machine preset. */
function label(preset: string): string {
  return MACHINES.find((m) => m.preset === preset)?.label ?? preset;
}

/** The scalability figure. */
export const SCALABILITY_FIGURE: FigureDefinition = {
  name: "scalability",
  title: "Global-agent scalability (Fig. 5)",
  caption: "Scheduling decisions per second of one global agent (sol) as worker CPUs are " +
    "added in the reference's sparse order: one hardware thread per core of socket 0, then " +
    "their siblings (the agent's own sibling among the first), then socket 1; 5 yielding " +
    "threads per worker CPU. Below: the share of the agent's CPU spent working, apart from " +
    "spinning. The agent's costs, the worker side and the SMT factor are fitted to the " +
    "paper's Skylake line; the cross-socket factor is not.",
  points: (context) =>
    MACHINES.flatMap(({ preset }) =>
      workerCounts(preset, context.suite).map((workers) => ({
        kind: "scalability" as const,
        policy: POLICY,
        workers,
        machine: preset,
        windowNs: WINDOW[context.suite],
        costs: COSTS,
        topologyCosts: TOPOLOGY_COSTS,
      }))
    ),
  rows(results: readonly PointResult[]): Row[] {
    return results.map((result) => {
      if (result.kind !== "scalability") throw new Error("scalability: expected its rows");
      const r = result.row;
      return {
        machine: label(r.machine),
        workers: r.workers,
        decisionsPerSec: r.decisionsPerSec,
        agentWork: r.agentWork,
        agentUtilization: r.agentUtilization,
      };
    });
  },
  chart: (rows) => chart(rows),
  claims(rows: readonly Row[]): Claim[] {
    return MACHINES.flatMap(({ preset }) => machineClaims(preset, rows));
  },
  settings: (context: FigureContext) => ({
    machines: MACHINES.map((m) => m.preset).join(", "),
    policy: POLICY,
    costs: COSTS,
    topologyCosts: TOPOLOGY_COSTS,
    threadsPerCpu: 5,
    order: "sparse, CPU 0 left out, the agent on core 1",
    windowMs: WINDOW[context.suite] / MS,
    workers: MACHINES.map((m) => `${m.preset}: ${workerCounts(m.preset, context.suite).length}`)
      .join(", "),
  }),
};

/** The claims checked on one machine's line. */
function machineClaims(preset: string, rows: readonly Row[]): Claim[] {
  const name = label(preset).split(" ")[0]!;
  const series = rows.filter((r) => r.machine === label(preset));
  const rateAt = (workers: number): number | null => {
    const row = series.find((r) => Number(r.workers) === workers);
    return row === undefined ? null : Number(row.decisionsPerSec);
  };
  const { dip, socketFull, last } = landmarks(preset);
  const rates = series.map((r) => Number(r.decisionsPerSec));
  const peak = Math.max(...rates);
  const peakAt = Number(series[rates.indexOf(peak)]?.workers ?? -1);
  const before = rateAt(dip - 1);
  const at = rateAt(dip);
  const full = rateAt(socketFull);
  const end = rateAt(last);
  const pct = (from: number | null, to: number | null) =>
    from === null || to === null ? null : Math.round((to / from - 1) * 1000) / 10;
  return [
    {
      figure: "scalability",
      claim: `${name}: one agent peaks above 2M decisions/s (calibration: the agent's share ` +
        "of its costs is fitted to the Skylake peak)",
      kind: "calibration",
      source: PAPER_FIG5_PEAK,
      holds: peak > 2e6,
      evidence: { peakRate: peak, peakWorkers: peakAt },
    },
    {
      figure: "scalability",
      claim: `${name}: the rate drops where the agent first shares its core (${dip} workers; ` +
        "calibration: the SMT factor is fitted to the Skylake dip)",
      kind: "calibration",
      source: PAPER_FIG5_DIP,
      holds: before !== null && at !== null && at < before,
      evidence: { workers: dip, rateBefore: before, rateAt: at, changePct: pct(before, at) },
    },
    {
      figure: "scalability",
      claim: `${name}: the rate declines after the socket boundary (${socketFull} workers), ` +
        `at least ${DECLINE * 100}% by the last point (calibration: charging the cross-socket ` +
        "factor on deliveries too was chosen after seeing that commits and IPIs alone decline less)",
      kind: "calibration",
      source: PAPER_FIG5_DECLINE,
      holds: full !== null && end !== null && end <= (1 - DECLINE) * full,
      evidence: {
        socketFullWorkers: socketFull,
        rateSocketFull: full,
        lastWorkers: last,
        rateLast: end,
        changePct: pct(full, end),
      },
    },
  ];
}

/** Decisions per second above, the agent's working and busy shares below. */
function chart(rows: readonly Row[]): TopLevelSpec {
  const order = MACHINES.map((m) => m.label);
  const rate = lineChart(rows as Row[], {
    title: "Decisions per second",
    x: "workers",
    y: "decisionsPerSec",
    color: "machine",
    xTitle: "Worker CPUs",
    yTitle: "Scheduling decisions per second",
    colorTitle: "Machine",
    seriesOrder: order,
  });
  const agent = lineChart(
    [] as { machine: string; workers: number; share: number; time: string }[],
    {
      title: "The global agent's CPU",
      height: 140,
      x: "workers",
      y: "share",
      color: "machine",
      dash: "time",
      dashTitle: "Agent time",
      xTitle: "Worker CPUs",
      yTitle: "Share of the agent's CPU",
      colorTitle: "Machine",
      seriesOrder: order,
      yDomain: [0, 1],
    },
  );
  // Two views of the rows: each chart without its own data and top-level keys;
  // the lower one folds the two shares into one field, told apart by dash.
  const { $schema: _s, config, data, ...top } = rate as unknown as Record<string, unknown>;
  const { $schema: _t, config: _c, data: _d, ...bottom } = agent as unknown as Record<
    string,
    unknown
  >;
  const shares = [
    { fold: ["agentWork", "agentUtilization"], as: ["measure", "share"] },
    {
      calculate: "datum.measure === 'agentWork' ? 'working' : 'busy (+ spinning)'",
      as: "time",
    },
  ];
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: "Global-agent scalability (Fig. 5)",
      subtitle: "sol, 5 yielding threads per worker CPU, sparse CPU order, paper-fig5 costs",
    },
    data,
    vconcat: [top, { ...bottom, transform: shares }],
    config,
  } as unknown as TopLevelSpec;
}
