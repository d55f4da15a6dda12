/**
 * Figure `disruption`: what each agent lifecycle event costs a running
 * service. RocksDB under Shinjuku at a moderate load, one panel per
 * scenario: in-place upgrade, crash with a supervisor restart, crash with
 * watchdog fallback to CFS, hot-swap (centralized FIFO to Shinjuku), and for
 * contrast a scheduler change that needs a reboot. Throughput and p99 per
 * window against time, the event marked; a table of the per-event figures.
 *
 * @module
 */

import type { LifecycleEvent } from "../../core/agent_supervisor.ts";
import { timeSeries } from "../render/charts.ts";
import type { PointResult, PointSpec } from "../bench/point.ts";
import type { LifecycleSummary } from "../experiment/run_experiment.ts";
import type { Claim, FigureContext, FigureDefinition, Row } from "./figure.ts";
import { round, runOf, runSpec } from "./figure.ts";
import { CRASH_WATCHDOG_NS } from "../experiment/run_experiment.ts";
import { MS, SEC, US } from "../../core/units.ts";

const NAME = "disruption";
const LOAD = 40_000;
/** A supervisor (e.g. systemd) restarting a crashed agent: an assumption. */
const RESTART_DELAY_NS = 10 * MS;
const TICK_NS = 1 * MS;
/** Time-series window: long enough for a stable p99 of a 0.5%-Range mix. */
const WINDOW_NS = 10 * MS;

const SETTINGS = {
  test: { durationNs: 700 * MS, eventNs: 400 * MS, rebootNs: 100 * MS, before: 100, after: 250 },
  quick: { durationNs: 2 * SEC, eventNs: 1 * SEC, rebootNs: 300 * MS, before: 200, after: 600 },
  full: { durationNs: 15 * SEC, eventNs: 5 * SEC, rebootNs: 2 * SEC, before: 500, after: 2500 },
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
  caption: `RocksDB at ${LOAD / 1000}k req/s on paper8 (200 workers). Throughput (top) and p99 ` +
    "of requests by arrival window (bottom) around the event (dashed). An upgrade or swap " +
    "pauses scheduling for the new agent's start-up and discovery; a crash without restart " +
    "waits for the watchdog; a reboot drops every request for its duration.",
  points(context): PointSpec[] {
    const s = SETTINGS[context.suite];
    return scenarios(context).map((scenario) =>
      runSpec(context, {
        workload: "rocksdb",
        machine: "paper8",
        policy: scenario.policy,
        load: LOAD,
        workloadOptions: { workers: 200 },
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
    const s = SETTINGS[context.suite];
    const from = s.eventNs / MS - s.before;
    const to = s.eventNs / MS + s.after;
    return results.flatMap((result, i) => {
      const run = runOf(result, NAME);
      return (run.timeSeries?.rows ?? [])
        .filter((row) => row.tUs / 1000 >= from && row.tUs / 1000 < to)
        .map((row) => ({
          scenario: scenarios(context)[i]!.name,
          tMs: round(row.tUs / 1000, 3),
          throughputRps: row.throughputRps,
          p99Us: row.p99Us,
        }));
    });
  },
  chart(rows, context) {
    return timeSeries(rows as Row[], {
      title: "Lifecycle events under load",
      subtitle: `RocksDB ${LOAD / 1000}k req/s, shinjuku, paper costs, ${
        WINDOW_NS / MS
      } ms windows`,
      time: "tMs",
      throughput: "throughputRps",
      latency: "p99Us",
      panel: "scenario",
      panelOrder: scenarios(context).map((s) => s.name),
      events: [{ time: SETTINGS[context.suite].eventNs / MS, label: "event" }],
      width: 220,
      height: 130,
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
    workload: "rocksdb (Get 10us, Range 5ms), 200 workers",
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
      holds: upgrade.lost === 0 && swap.lost === 0 && upgrade.failed === 0 && swap.failed === 0,
      evidence: { upgradeLost: upgrade.lost, swapLost: swap.lost, crashRestartLost: restart.lost },
    },
    {
      figure: NAME,
      claim: "an upgrade's blackout is below 10 ms with the default costs",
      holds: upgrade.blackoutUs !== null && upgrade.blackoutUs < 10_000,
      evidence: { upgradeBlackoutUs: upgrade.blackoutUs, swapBlackoutUs: swap.blackoutUs },
    },
    {
      figure: NAME,
      claim: "a crash with no restart ends with every thread under CFS within the watchdog " +
        "timeout plus one tick",
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
