/**
 * Host against emulation, side by side: runs the real-thread server
 * (`host_server.ts`) and the emulation of the same machine (`emulate.ts`:
 * the host's CPU count, the host-measured costs, the same requests) over a
 * sweep of loads, and measures how far the emulation's latency is from the
 * host's.
 *
 * Loads are fractions of the workers' nominal capacity (worker CPUs / mean
 * work). A run during which the hypervisor stole more than
 * {@link STEAL_LIMIT} of the CPU time, or other processes used more than
 * {@link FOREIGN_LIMIT} of it, is flagged: the host was not the machine the
 * emulation models, and the run is left out of the headline error.
 *
 * @module
 */

import type { TopLevelSpec } from "vega-lite";
import { type CostProfile, PAPER_COSTS } from "../../core/cost_profile.ts";
import type { FairClassName } from "../../core/kernel.ts";
import { SEC } from "../../core/units.ts";
import { concatCharts, lineChart } from "../render/charts.ts";
import { hostFairClass, kernelTickHz, round } from "./_host.ts";
import { DEFAULT_MIX, meanServiceNs, type ServerSummary } from "./_requests.ts";
import { emulateServer } from "./emulate.ts";
import { runHostServer, type ServerStructure } from "./host_server.ts";

/** Steal above this share of the CPU time flags a run. */
export const STEAL_LIMIT = 0.05;
/** Other processes' CPU use above this share of the CPU time flags a run. */
export const FOREIGN_LIMIT = 0.05;
/** The headline error covers loads up to this fraction of capacity. */
export const CLAIM_LOAD_LIMIT = 0.7;
/** Name (file stem) of the comparison figure. */
export const FIGURE_NAME = "host-vs-emulation";

/** Points of each latency CDF. */
const CDF_POINTS = 200;

/** Options of {@link compareHostAndEmulation}. */
export interface CompareOptions {
  /** Offered loads, as fractions of the workers' nominal capacity. */
  loads: readonly number[];
  /** Length of each run (real and virtual), ns. */
  durationNs: number;
  /** Seed of the requests (both sides serve the same ones). */
  seed: number;
  /** Costs measured on the host (see `measure.ts`). */
  costs: CostProfile;
  /** Busy-loop iterations per µs of work (see `calibrateBusyLoop`). */
  iterationsPerUs: number;
  /** CPUs of the host. @default navigator.hardwareConcurrency */
  cpus?: number;
  /** Whether threads can be pinned (dispatcher layout on 3+ CPUs). @default false */
  canPin?: boolean;
  /** Warm-up of each run, ns. @default a fifth of the duration, at most 200 ms */
  warmupNs?: number;
  /** Timer tick of the emulated kernel, Hz. @default the host kernel's CONFIG_HZ, else 1000 */
  tickHz?: number;
  /**
   * The emulated kernel's fair class. @default the host's: `eevdf` on Linux
   * 6.6 and later, else `cfs` (`hostFairClass`)
   */
  fair?: FairClassName;
  /** Called after each load with a one-line progress message. @default none */
  onProgress?: (line: string) => void;
}

/** One load of the sweep. Latencies in µs; errors in % of the host's value. */
export interface ComparePoint {
  /** Offered load, fraction of capacity. */
  loadFraction: number;
  /** Offered load, req/s. */
  offeredRps: number;
  /** The emulated kernel's fair class (the host's, unless told otherwise). */
  fairClass: FairClassName;
  /** Host: completed requests per second. */
  hostThroughputRps: number;
  /** Emulation (host costs): completed requests per second. */
  emuThroughputRps: number;
  /** Host median latency. */
  hostP50Us: number;
  /** Emulated median latency, host costs. */
  emuP50Us: number;
  /** Emulated median latency, paper costs. */
  paperP50Us: number;
  /** Relative error of the emulated median, %; null when the host completed nothing. */
  p50ErrorPct: number | null;
  /** Host p99 latency. */
  hostP99Us: number;
  /** Emulated p99 latency, host costs. */
  emuP99Us: number;
  /** Emulated p99 latency, paper costs. */
  paperP99Us: number;
  /** Relative error of the emulated p99, %; null when the host completed nothing. */
  p99ErrorPct: number | null;
  /** Host CPU steal during the run, % of CPU time (-1: unknown). */
  stealPct: number;
  /** Other processes' CPU use during the run, % of CPU time (-1: unknown). */
  foreignPct: number;
  /** Why the run is left out of the headline error; empty when it counts. */
  flagged: string;
}

/** Stage breakdown of one load, host against emulation (µs, medians and p99). */
export interface StageRow {
  /** Offered load, fraction of capacity. */
  loadFraction: number;
  /** `host`, `emulation` or `emulation (paper costs)`. */
  source: string;
  /** ingress, dispatch, queue, service or total. */
  stage: string;
  /** Median, µs. */
  p50Us: number;
  /** 99th percentile, µs. */
  p99Us: number;
}

/** The outcome of a comparison. */
export interface CompareResult {
  /** Structure of both servers. */
  structure: ServerStructure;
  /** CPUs of the host and of the emulated machine. */
  cpus: number;
  /** Worker threads. */
  workers: number;
  /** Whether the host threads were pinned. */
  pinned: boolean;
  /** Nominal capacity of the workers, req/s. */
  capacityRps: number;
  /** Duration of each run, ns. */
  durationNs: number;
  /** Warm-up of each run, ns. */
  warmupNs: number;
  /** Timer tick of the emulated kernel, Hz. */
  tickHz: number;
  /** The emulated kernel's fair class. */
  fairClass: FairClassName;
  /** The host kernel's release, or null when unknown. */
  kernelRelease: string | null;
  /** Seed. */
  seed: number;
  /** One row per load. */
  points: ComparePoint[];
  /** Stage breakdown per load and source. */
  stages: StageRow[];
  /** Latency CCDF at one load: fraction of requests slower than a latency, per source. */
  cdf: { source: string; latencyUs: number; slower: number }[];
  /** Load of the CDF, fraction of capacity. */
  cdfLoad: number;
  /** The headline: the largest p99 error of unflagged runs up to 70% load, %; null if none. */
  p99ErrorPct: number | null;
  /** The same over every run up to 70% load, flagged or not, %; null if none. */
  p99ErrorAllPct: number | null;
  /** The claim in one sentence. */
  claim: string;
  /** How to read the comparison, one sentence each. */
  notes: string[];
}

/**
 * Runs the sweep: for each load, the real server, then its emulation with
 * the host's costs and with the paper's.
 *
 * @example
 * ```ts ignore
 * import { compareHostAndEmulation } from "./compare.ts";
 * import { calibrateBusyLoop } from "./host_server.ts";
 * import { hostCostProfile, measureHostCosts } from "./measure.ts";
 * const host = hostCostProfile(await measureHostCosts());
 * const result = await compareHostAndEmulation({
 *   loads: [0.3, 0.5, 0.7], durationNs: 2e9, seed: 1, costs: host.profile,
 *   iterationsPerUs: await calibrateBusyLoop(),
 * });
 * console.log(result.claim);
 * ```
 */
export async function compareHostAndEmulation(options: CompareOptions): Promise<CompareResult> {
  const cpus = options.cpus ?? navigator.hardwareConcurrency;
  const dispatcher = cpus >= 3 && (options.canPin ?? false);
  const structure: ServerStructure = dispatcher ? "dispatcher" : "pool";
  const workers = dispatcher ? cpus - 2 : cpus;
  const mix = DEFAULT_MIX;
  const capacityRps = workers * SEC / meanServiceNs(mix);
  const durationNs = options.durationNs;
  const warmupNs = options.warmupNs ?? Math.min(200_000_000, Math.round(durationNs / 5));
  const hostHz = kernelTickHz();
  const tickHz = options.tickHz ?? hostHz ?? 1000;
  const host = hostFairClass();
  const fairClass = options.fair ?? host.fair;
  const cdfLoad = options.loads.reduce(
    (best, load) => Math.abs(load - 0.5) < Math.abs(best - 0.5) ? load : best,
    options.loads[0] ?? 0.5,
  );
  const points: ComparePoint[] = [];
  const stages: StageRow[] = [];
  const cdf: CompareResult["cdf"] = [];
  let pinned = dispatcher;
  for (const loadFraction of options.loads) {
    const load = Math.max(1, Math.round(loadFraction * capacityRps));
    const common = { workers, load, durationNs, warmupNs, seed: options.seed, mix };
    const cdfPoints = loadFraction === cdfLoad ? CDF_POINTS : 0;
    const host = await runHostServer({
      ...common,
      structure,
      pin: dispatcher,
      iterationsPerUs: options.iterationsPerUs,
      cdfPoints,
    });
    pinned &&= host.pinned;
    const emulate = (costs: CostProfile) =>
      emulateServer({ ...common, structure, cpus, costs, cdfPoints, tickHz, fair: fairClass });
    const emu = emulate(options.costs);
    const paper = emulate(PAPER_COSTS);
    const steal = host.activity?.steal ?? -1;
    const foreign = host.activity?.foreign ?? -1;
    const flags: string[] = [];
    if (steal > STEAL_LIMIT) flags.push(`steal ${pct(steal)}%`);
    if (foreign > FOREIGN_LIMIT) flags.push(`other processes ${pct(foreign)}%`);
    if (host.completed === 0) flags.push("no request completed");
    const point: ComparePoint = {
      loadFraction,
      offeredRps: load,
      fairClass,
      hostThroughputRps: round(host.throughputRps, 1),
      emuThroughputRps: round(emu.throughputRps, 1),
      hostP50Us: round(host.latencyUs.all.p50, 2),
      emuP50Us: round(emu.latencyUs.all.p50, 2),
      paperP50Us: round(paper.latencyUs.all.p50, 2),
      p50ErrorPct: relativeError(emu.latencyUs.all.p50, host.latencyUs.all.p50),
      hostP99Us: round(host.latencyUs.all.p99, 2),
      emuP99Us: round(emu.latencyUs.all.p99, 2),
      paperP99Us: round(paper.latencyUs.all.p99, 2),
      p99ErrorPct: relativeError(emu.latencyUs.all.p99, host.latencyUs.all.p99),
      stealPct: steal < 0 ? -1 : pct(steal),
      foreignPct: foreign < 0 ? -1 : pct(foreign),
      flagged: flags.join("; "),
    };
    points.push(point);
    const sources: [string, ServerSummary][] = [
      ["host", host],
      ["emulation", emu],
      ["emulation (paper costs)", paper],
    ];
    for (const [source, summary] of sources) {
      stages.push(...stageRows(loadFraction, source, summary));
      for (const p of summary.cdfUs) {
        cdf.push({ source, latencyUs: p.valueUs, slower: round(1 - p.fraction, 6) });
      }
    }
    options.onProgress?.(
      `load ${
        pct(loadFraction)
      }% (${load} req/s): p99 host ${point.hostP99Us} µs, emulation ${point.emuP99Us} µs (${point.p99ErrorPct}%)${
        point.flagged === "" ? "" : `, flagged: ${point.flagged}`
      }`,
    );
  }
  const claimed = points.filter((p) => p.loadFraction <= CLAIM_LOAD_LIMIT);
  const clean = claimed.filter((p) => p.flagged === "");
  const worst = (rows: ComparePoint[]) => {
    const errors = rows.flatMap((p) => p.p99ErrorPct === null ? [] : [Math.abs(p.p99ErrorPct)]);
    return errors.length === 0 ? null : Math.max(...errors);
  };
  const p99ErrorPct = worst(clean);
  const p99ErrorAllPct = worst(claimed);
  return {
    structure,
    cpus,
    workers,
    pinned,
    capacityRps: Math.round(capacityRps),
    durationNs,
    warmupNs,
    tickHz,
    fairClass,
    kernelRelease: host.release,
    seed: options.seed,
    points,
    stages,
    cdf,
    cdfLoad,
    p99ErrorPct,
    p99ErrorAllPct,
    claim: claimText(p99ErrorPct, p99ErrorAllPct, claimed.length - clean.length),
    notes: [
      fairNote(fairClass, host.fair, host.release),
      ...compareNotes(structure, cpus, workers, pinned),
      hostHz === tickHz
        ? `The emulated timer ticks at ${tickHz} Hz, the host kernel's CONFIG_HZ.`
        : `The emulated timer ticks at ${tickHz} Hz (the host kernel's CONFIG_HZ is ${
          hostHz ?? "unknown"
        }).`,
    ],
  };
}

/** The comparison figure: p50 and p99 against load, and the latency CCDF at one load. */
export function comparisonFigure(result: CompareResult): TopLevelSpec {
  const rows = result.points.flatMap((p) => [
    // A run where the host completed nothing has no latency to draw.
    ...(p.hostP50Us > 0
      ? [
        { source: "host", percentile: "p50", loadPct: pct(p.loadFraction), latencyUs: p.hostP50Us },
        { source: "host", percentile: "p99", loadPct: pct(p.loadFraction), latencyUs: p.hostP99Us },
      ]
      : []),
    { source: "emulation", percentile: "p50", loadPct: pct(p.loadFraction), latencyUs: p.emuP50Us },
    { source: "emulation", percentile: "p99", loadPct: pct(p.loadFraction), latencyUs: p.emuP99Us },
    {
      source: "emulation (paper costs)",
      percentile: "p99",
      loadPct: pct(p.loadFraction),
      latencyUs: p.paperP99Us,
    },
  ]);
  const order = ["host", "emulation", "emulation (paper costs)"];
  const flagged = result.points.filter((p) => p.flagged !== "").length;
  const latency = lineChart(rows, {
    title: "Latency against load",
    x: "loadPct",
    y: "latencyUs",
    color: "source",
    dash: "percentile",
    seriesOrder: order,
    colorTitle: "Source",
    xTitle: "Offered load (% of the workers' capacity)",
    yTitle: "Latency (µs)",
    logY: true,
    width: 420,
    height: 280,
  });
  const ccdf = lineChart(result.cdf.filter((row) => row.slower > 0), {
    title: `Latency distribution at ${pct(result.cdfLoad)}% load`,
    x: "latencyUs",
    y: "slower",
    color: "source",
    seriesOrder: order,
    colorTitle: "Source",
    xTitle: "Latency (µs)",
    yTitle: "Fraction of requests slower",
    logX: true,
    logY: true,
    points: false,
    width: 420,
    height: 280,
  });
  return concatCharts([latency, ccdf], {
    title: "Host against emulation: RocksDB-like server on real threads",
    subtitle: `${result.cpus} CPUs, ${result.structure} of ${result.workers} workers; ` +
      `emulation: ${result.fairClass}${
        result.kernelRelease === null ? "" : ` (host Linux ${result.kernelRelease})`
      }, host-measured costs` +
      (flagged === 0 ? "" : `; ${flagged} of ${result.points.length} host runs disturbed`),
  });
}

function stageRows(loadFraction: number, source: string, summary: ServerSummary): StageRow[] {
  const stages: [string, { p50: number; p99: number }][] = [
    ["ingress", summary.stagesUs.ingress.all],
    ["dispatch", summary.stagesUs.dispatch.all],
    ["queue", summary.stagesUs.queue.all],
    ["service", summary.stagesUs.service.all],
    ["total", summary.latencyUs.all],
  ];
  return stages.map(([stage, s]) => ({
    loadFraction,
    source,
    stage,
    p50Us: round(s.p50, 2),
    p99Us: round(s.p99, 2),
  }));
}

function claimText(clean: number | null, all: number | null, excluded: number): string {
  const limit = `${pct(CLAIM_LOAD_LIMIT)}%`;
  if (clean !== null) {
    const left = excluded === 0 ? "" : ` (${excluded} disturbed run(s) left out)`;
    return `The emulation predicts the host's p99 within ${clean}% at or below ${limit} load${left}`;
  }
  if (all === null) return `No load at or below ${limit} was run: no claim`;
  return `No undisturbed run at or below ${limit} load, so no claim; counting the disturbed runs, the emulation's p99 is off by up to ${all}%`;
}

function compareNotes(
  structure: ServerStructure,
  cpus: number,
  workers: number,
  pinned: boolean,
): string[] {
  const notes = [
    "Both sides serve the same requests (the rocksdb workload's draws for the seed): 10 µs Gets and 0.5% of 5 ms Ranges.",
    `Runs with steal above ${pct(STEAL_LIMIT)}% or other processes above ${
      pct(FOREIGN_LIMIT)
    }% of the CPU time are flagged and left out of the claim.`,
    "Errors are (emulation − host) / host, in %, with the host-measured cost profile.",
  ];
  if (structure === "pool") {
    notes.push(
      `The reference layout (load generator, dispatcher and workers on CPUs of their own) needs 3 CPUs; on ${cpus}, both sides run the pool structure: the load generator wakes one of ${workers} unpinned workers per request.`,
    );
  } else if (!pinned) {
    notes.push("The host threads could not be pinned: the host placed them.");
  }
  return notes;
}

/** Which fair class the emulation ran, and why. */
function fairNote(used: FairClassName, host: FairClassName, release: string | null): string {
  const kernel = release === null ? "an unknown kernel" : `Linux ${release}`;
  const hosts = `the host runs ${kernel}, so ${host === "eevdf" ? "EEVDF (6.6 and later)" : "CFS"}`;
  return used === host
    ? `The emulated kernel's fair class is ${used}: ${hosts}.`
    : `The emulated kernel's fair class is ${used}, as asked; ${hosts}.`;
}

function relativeError(emulated: number, host: number): number | null {
  return host > 0 ? round((emulated - host) / host * 100, 1) : null;
}

function pct(fraction: number): number {
  return round(fraction * 100, 1);
}
