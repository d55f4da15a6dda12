/**
 * Figure `disruption`: what each agent lifecycle event costs a running
 * service. RocksDB under Shinjuku at a moderate load, one row per
 * scenario: in-place upgrade, crash with a supervisor restart, crash with
 * watchdog fallback to CFS, hot-swap (centralized FIFO to Shinjuku), and for
 * contrast a scheduler change that needs a reboot. Throughput and Get p99
 * per 0.5 ms window, zoomed around the event, the blackout shaded; a window
 * no Get arrived in is a gap (Ranges' 5 ms would hide the event); a table of
 * the per-event figures.
 *
 * @module
 */

import type { LifecycleEvent } from "../../core/agent_supervisor.ts";
import { timeSeries } from "../render/charts.ts";
import type { PointResult, PointSpec } from "../bench/point.ts";
import type { LifecycleSummary } from "../experiment/run_experiment.ts";
import { PAPER_UPGRADE, PAPER_WATCHDOG } from "./_sources.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, runOf, runSpec } from "./figure.ts";
import { REFERENCE_WAITS } from "./_rocksdb_sweep.ts";
import { CRASH_WATCHDOG_NS } from "../experiment/run_experiment.ts";
import { MS, SEC, US } from "../../core/units.ts";

const NAME = "disruption";
const LOAD = 40_000;
/** A supervisor (e.g. systemd) restarting a crashed agent: an assumption. */
const RESTART_DELAY_NS = 10 * MS;
const TICK_NS = 1 * MS;
/** Time-series window: fine enough to show a 1.1 ms blackout (about 20 requests each). */
const WINDOW_NS = 500 * US;
/** The span shown around the event, ms: a crash waits 50 ms for the watchdog. */
const ZOOM_MS = [-10, 70] as const;

const SETTINGS = {
  test: { durationNs: 700 * MS, eventNs: 400 * MS, rebootNs: 100 * MS },
  quick: { durationNs: 1 * SEC, eventNs: 400 * MS, rebootNs: 300 * MS },
  full: { durationNs: 4 * SEC, eventNs: 1 * SEC, rebootNs: 2 * SEC },
} as const;

interface Scenario {
  name: string;
  policy: string;
  event: (atNs: number) => LifecycleEvent;
  /** Restart a crashed agent after this delay, ns. @default no restart */
  restartDelayNs?: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: "upgrade", policy: "shinjuku", event: (atNs) => ({ kind: "upgrade", atNs }) },
  {
    name: "crash + restart",
    policy: "shinjuku",
    event: (atNs) => ({ kind: "crash", atNs }),
    restartDelayNs: RESTART_DELAY_NS,
  },
  { name: "crash → CFS", policy: "shinjuku", event: (atNs) => ({ kind: "crash", atNs }) },
  {
    name: "swap fifo → shinjuku",
    policy: "fifo-centralized",
    event: (atNs) => ({ kind: "swap", atNs, policy: "shinjuku" }),
  },
  { name: "reboot", policy: "shinjuku", event: (atNs) => ({ kind: "reboot", atNs }) },
];

/** The scenarios, then an upgrade of each policy the user adds (its new agent rediscovers the threads). */
function scenarios(context: FigureContext): Scenario[] {
  return [
    ...SCENARIOS,
    ...(context.policies ?? []).map((policy) => ({
      name: `upgrade ${policy}`,
      policy,
      event: (atNs: number): LifecycleEvent => ({ kind: "upgrade", atNs }),
    })),
  ];
}

function eventOf(result: PointResult): LifecycleSummary {
  const event = runOf(result, NAME).lifecycleEvents[0];
  if (event === undefined) throw new Error(`${NAME}: a run reported no lifecycle event`);
  return event;
}

/** The disruption figure. */
export const DISRUPTION_FIGURE: FigureDefinition = {
  name: NAME,
  title: "Agent upgrade, crash, hot-swap and reboot: the cost to a running service",
  caption: `RocksDB at ${LOAD / 1000}k req/s on paper8 (200 workers, PrioTable wait). Per ` +
    `${WINDOW_NS / US} us window, from ${-ZOOM_MS[0]} ms before the event to ${ZOOM_MS[1]} ms ` +
    "after: throughput (left, by completion) and Get p99 (right, by arrival; a gap: no Get " +
    "arrived). Shaded: the blackout. An upgrade or swap pauses scheduling for the new agent's " +
    "start-up and discovery, while workers already on a CPU keep taking requests; a crash " +
    "without restart waits for the watchdog; a reboot drops every request while down.",
  points(context): PointSpec[] {
    const s = SETTINGS[context.suite];
    return scenarios(context).map((scenario) =>
      runSpec(context, {
        workload: "rocksdb",
        machine: "paper8",
        policy: scenario.policy,
        load: LOAD,
        workloadOptions: { workers: 200, ...REFERENCE_WAITS },
        durationNs: s.durationNs,
        warmupNs: Math.min(200 * MS, s.eventNs / 2),
        events: [scenario.event(s.eventNs)],
        ...(scenario.restartDelayNs === undefined
          ? {}
          : { restartDelayNs: scenario.restartDelayNs }),
        rebootTimeNs: s.rebootNs,
        windowNs: WINDOW_NS,
      })
    );
  },
  rows(results: readonly PointResult[], context): Row[] {
    const eventMs = SETTINGS[context.suite].eventNs / MS;
    return results.flatMap((result, i) => {
      const run = runOf(result, NAME);
      return (run.timeSeries?.rows ?? []).flatMap((row) => {
        const tMs = round(row.tUs / 1000 - eventMs, 3);
        if (tMs < ZOOM_MS[0] || tMs >= ZOOM_MS[1]) return [];
        return [{
          scenario: scenarios(context)[i]!.name,
          tMs,
          throughputRps: row.throughputRps,
          // Null when no Get arrived in the window: a gap, not a 0.
          getP99Us: row.types?.get?.p99Us ?? null,
        }];
      });
    });
  },
  chart(rows, context, results) {
    const eventMs = SETTINGS[context.suite].eventNs / MS;
    return timeSeries(rows as Row[], {
      title: "Lifecycle events under load",
      subtitle: `RocksDB ${LOAD / 1000}k req/s, shinjuku (swap: fifo-centralized first), paper ` +
        `costs, ${WINDOW_NS / US} us windows, time from the event`,
      notes: [
        "Shaded: blackout (no agent can schedule, or the machine is down). Throughput by " +
        "completion, Get p99 by arrival; gaps: no Get arrived in the window.",
      ],
      time: "tMs",
      throughput: "throughputRps",
      latency: "getP99Us",
      latencyTitle: "Get p99 (µs)",
      timeTitle: "Time from the event (ms)",
      panel: "scenario",
      panelOrder: scenarios(context).map((sc) => sc.name),
      timeDomain: ZOOM_MS,
      bands: results.map((result, i) => {
        const e = eventOf(result);
        const start = e.blackoutStartUs / 1000 - eventMs;
        const lengthMs = e.blackoutUs === null ? null : e.blackoutUs / 1000;
        return {
          panel: scenarios(context)[i]!.name,
          start: round(start, 3),
          end: lengthMs === null ? ZOOM_MS[1] : round(start + lengthMs, 3),
          label: lengthMs === null ? "blackout (not over)" : `blackout ${formatMs(lengthMs)}`,
        };
      }),
      width: 380,
      height: 105,
    });
  },
  table(results, context) {
    return {
      title: "Per-event figures",
      rows: results.map((result, i) => {
        const e = eventOf(result);
        return {
          scenario: scenarios(context)[i]!.name,
          policyAfter: e.policyAfter,
          blackoutUs: e.blackoutUs,
          inFlight: e.inFlight,
          failed: e.failed,
          lost: e.lost,
          worstLatencyUs: e.worstLatencyUs,
          recoveryUs: e.recoveryUs,
        };
      }),
    };
  },
  claims: (_rows, _context, results) => disruptionClaims(results),
  settings: (context: FigureContext) => ({
    workload: "rocksdb (Get 10us, Range 5ms), 200 workers, PrioTable wait",
    windowUs: WINDOW_NS / US,
    shownMs: `${ZOOM_MS[0]}..${ZOOM_MS[1]} around the event`,
    load: LOAD,
    machine: "paper8",
    costs: "paper (agent start-up 1 ms, discovery 0.5 us/thread: assumptions)",
    eventAtS: SETTINGS[context.suite].eventNs / SEC,
    restartDelayMs: RESTART_DELAY_NS / MS,
    watchdogMs: CRASH_WATCHDOG_NS / MS,
    rebootMs: SETTINGS[context.suite].rebootNs / MS,
    seed: context.seed,
  }),
};

/** 1.1 → "1.1 ms", 300 → "300 ms". */
function formatMs(ms: number): string {
  return `${ms >= 10 ? Math.round(ms) : round(ms, 2)} ms`;
}

/** Claims on the per-event table (kept apart: they read the runs, not the plotted rows). */
export function disruptionClaims(results: readonly PointResult[]): Claim[] {
  const by = (name: string) => eventOf(results[SCENARIOS.findIndex((s) => s.name === name)]!);
  const upgrade = by("upgrade");
  const swap = by("swap fifo → shinjuku");
  const restart = by("crash + restart");
  const fallback = by("crash → CFS");
  const limitUs = (CRASH_WATCHDOG_NS + TICK_NS) / US;
  return [
    {
      figure: NAME,
      claim: "upgrade and swap lose no request",
      kind: "emergent",
      source: PAPER_UPGRADE,
      holds: upgrade.lost === 0 && swap.lost === 0 && upgrade.failed === 0 && swap.failed === 0,
      evidence: { upgradeLost: upgrade.lost, swapLost: swap.lost, crashRestartLost: restart.lost },
    },
    {
      figure: NAME,
      claim: "an upgrade's blackout is the assumed agent start-up plus thread discovery, " +
        "below 10 ms",
      kind: "calibration",
      source: PAPER_UPGRADE,
      holds: upgrade.blackoutUs !== null && upgrade.blackoutUs < 10_000,
      evidence: { upgradeBlackoutUs: upgrade.blackoutUs, swapBlackoutUs: swap.blackoutUs },
    },
    {
      figure: NAME,
      claim: "a crash with no restart ends with every thread under CFS within the watchdog " +
        "timeout plus one tick",
      kind: "emergent",
      source: PAPER_WATCHDOG,
      holds: fallback.policyAfter === "cfs" && fallback.blackoutUs !== null &&
        fallback.blackoutUs <= limitUs,
      evidence: {
        policyAfter: fallback.policyAfter,
        blackoutUs: fallback.blackoutUs,
        limitUs,
      },
    },
  ];
}
