/**
 * What lifecycle events cost a run: the run's side of each event (requests
 * in flight, reboots), the supervisor's records turned into per-event
 * summaries (blackout, requests failed, worst latency, recovery), and the
 * time series reported beside them.
 *
 * @module
 */

import type { AgentSupervisor, LifecycleEvent } from "../../core/agent_supervisor.ts";
import type { Engine } from "../../core/engine.ts";
import type { Timeline, TimelineRow } from "../../core/metrics/timeline.ts";
import { MS, US } from "../../core/units.ts";
import type { Workload } from "../../workloads/workload.ts";
import { round } from "./_round.ts";

/** Sliding span in which recovery is judged. */
const RECOVERY_SPAN_NS = 10 * MS;
/** Span before an event that gives its baseline p99. */
const BASELINE_SPAN_NS = 100 * MS;

/** What one lifecycle event cost the service. */
export interface LifecycleSummary {
  /** upgrade, crash, swap or reboot. */
  kind: string;
  /** When, µs. */
  atUs: number;
  /** Injected by the run, or a crash of policy code. */
  cause: string;
  /**
   * `applied`, or `skipped` when the event could not take effect (a crash
   * with no agent running, any agent event after the watchdog fell back to
   * CFS); a skipped event has no blackout of its own.
   */
  status: "applied" | "skipped";
  /** Why a skipped event could not take effect; null when applied. */
  reason: string | null;
  /** Error message of a crash, if any. */
  error: string | null;
  /** The scheduler after it (a policy, or cfs after the watchdog). */
  policyAfter: string;
  /** Start of the time with no agent able to schedule (or the machine down), µs. */
  blackoutStartUs: number;
  /** Time with no agent able to schedule (or the machine down), µs; null: not over by the end. */
  blackoutUs: number | null;
  /** Requests in flight at the event. */
  inFlight: number;
  /**
   * Requests failed by the event: a reboot's, from it until the next reboot
   * (in flight at it, or arriving while down); 0 for agent events.
   */
  failed: number;
  /** Requests lost over the whole run (neither finished, in flight, nor failed): must be 0. */
  lost: number;
  /** Worst latency of a request finishing between the event and recovery, µs. */
  worstLatencyUs: number;
  /**
   * Time from the event until the p99 over a 10 ms span (of requests by
   * arrival) is back within 10% of its value over the 100 ms before, µs, at
   * the time-series window's resolution; null: it never is.
   */
  recoveryUs: number | null;
}

/** The throughput and latency per window reported with lifecycle events. */
export interface TimeSeries {
  /** Window, µs. */
  windowUs: number;
  /** One row per window. */
  rows: TimelineRow[];
}

/** Options of the {@link LifecycleObserver} constructor. */
export interface ObserveLifecycleOptions {
  /** The events, in time order. */
  events: readonly LifecycleEvent[];
  /** How long a reboot keeps the machine down, ns. */
  rebootTimeNs: number;
}

/** What the run knew at the end, for {@link LifecycleObserver.summaries}. */
export interface RunEnd {
  /** The run's time series, or null. */
  timeline: Timeline | null;
  /** Requests lost over the whole run. */
  lost: number;
  /** The run's virtual duration, ns. */
  durationNs: number;
}

/** The run's side of one event, sampled when it happened. */
interface Sample {
  event: LifecycleEvent;
  atNs: number;
  inFlight: number;
  /** Requests failed before the event. */
  failedBefore: number;
  /** The supervisor's number for an agent event, or -1 (reboot). */
  agentEvent: number;
}

/** One event's span and counts: what {@link summarize} turns into a summary. */
interface EventSpan {
  kind: string;
  atNs: number;
  /** Start of the blackout, ns. */
  startNs: number;
  /** End of the blackout, ns; -1: not over by the end. */
  endNs: number;
  cause: string;
  status: "applied" | "skipped";
  reason: string | null;
  error: string | null;
  policyAfter: string;
  inFlight: number;
  failed: number;
}

/**
 * Watches a run's lifecycle events: samples the requests in flight at each
 * one, reboots the workload, hands agent events to the supervisor, and in
 * the end summarizes what each cost.
 */
export class LifecycleObserver {
  readonly #workload: Workload;
  readonly #supervisor: AgentSupervisor | null;
  readonly #rebootTimeNs: number;
  readonly #samples: Sample[] = [];

  /**
   * Schedules the events on the engine. Call it before anything else acts on
   * the same instants: the run samples before the supervisor acts.
   */
  constructor(
    engine: Engine,
    run: { workload: Workload; supervisor: AgentSupervisor | null },
    options: ObserveLifecycleOptions,
  ) {
    this.#workload = run.workload;
    this.#supervisor = run.supervisor;
    this.#rebootTimeNs = options.rebootTimeNs;
    const events = options.events;
    const agentEvents: number[] = [];
    const kind = engine.register("run.lifecycle", (index) => {
      const event = events[index]!;
      this.#samples.push({
        event,
        atNs: engine.now,
        inFlight: this.#workload.inFlight(),
        failedBefore: this.#workload.failed ?? 0,
        agentEvent: agentEvents[index]!,
      });
      if (event.kind === "reboot") this.#workload.reboot!(engine.now + this.#rebootTimeNs);
    });
    // Sample before the supervisor acts on the same instant: schedule first.
    events.forEach((event, index) => engine.at(event.atNs, kind, index));
    for (const event of events) {
      agentEvents.push(event.kind === "reboot" ? -1 : this.#supervisor!.schedule(event));
    }
  }

  /**
   * The summary of every event, in time order: each event given once (a
   * skipped one with its reason), and every crash of policy code.
   */
  summaries(end: RunEnd): LifecycleSummary[] {
    const result: LifecycleSummary[] = [];
    const failedNow = this.#workload.failed ?? 0;
    this.#samples.forEach((sample, i) => {
      const counts = { inFlight: sample.inFlight, failed: 0 };
      if (sample.event.kind === "reboot") {
        // Only reboots fail requests: this one's run until the next reboot.
        const next = this.#samples.find((s, j) => j > i && s.event.kind === "reboot");
        counts.failed = (next?.failedBefore ?? failedNow) - sample.failedBefore;
        result.push(summarize({
          kind: "reboot",
          atNs: sample.atNs,
          startNs: sample.atNs,
          endNs: sample.atNs + this.#rebootTimeNs,
          cause: "injected",
          status: "applied",
          reason: null,
          error: null,
          policyAfter: "(unchanged)",
          ...counts,
        }, end));
        return;
      }
      const record = this.#supervisor!.eventRecord(sample.agentEvent);
      if (record === null) throw new Error(`No record of the ${sample.event.kind} event`);
      result.push(summarize({ ...spanOf(record), kind: sample.event.kind, ...counts }, end));
    });
    for (const record of this.#supervisor?.records ?? []) {
      if (record.cause !== "policy error") continue;
      result.push(summarize({ ...spanOf(record), kind: "crash", inFlight: 0, failed: 0 }, end));
    }
    // Stable: events at one instant keep their order.
    return result.sort((a, b) => a.atUs - b.atUs);
  }
}

/** The time series of a run with lifecycle events, or undefined without. */
export function timeSeriesOf(
  timeline: Timeline | null,
  durationNs: number,
): TimeSeries | undefined {
  if (timeline === null) return undefined;
  return { windowUs: timeline.windowNs / US, rows: timeline.rows(durationNs) };
}

function spanOf(record: AgentSupervisor["records"][number]) {
  return {
    atNs: record.atNs,
    startNs: record.blackoutStartNs,
    endNs: record.blackoutEndNs,
    cause: record.cause,
    status: record.status,
    reason: record.reason,
    error: record.error,
    policyAfter: record.policyAfter,
  };
}

function summarize(span: EventSpan, end: RunEnd): LifecycleSummary {
  const { worstLatencyUs, recoveryUs } = end.timeline === null
    ? { worstLatencyUs: 0, recoveryUs: null }
    : recovery(end.timeline, span.atNs, end.durationNs);
  return {
    kind: span.kind,
    atUs: span.atNs / US,
    cause: span.cause,
    status: span.status,
    reason: span.reason,
    error: span.error,
    policyAfter: span.policyAfter,
    blackoutStartUs: round(span.startNs / US, 3),
    blackoutUs: span.endNs < 0 ? null : round((span.endNs - span.startNs) / US, 3),
    inFlight: span.inFlight,
    failed: span.failed,
    lost: end.lost,
    worstLatencyUs,
    recoveryUs,
  };
}

/**
 * When the p99 is back after an event at `atNs` (see
 * {@link LifecycleSummary.recoveryUs}) and the worst latency until then.
 */
function recovery(
  timeline: Timeline,
  atNs: number,
  durationNs: number,
): { worstLatencyUs: number; recoveryUs: number | null } {
  const w = timeline.windowNs;
  const recoverySpan = Math.max(1, Math.ceil(RECOVERY_SPAN_NS / w));
  const baselineSpan = Math.max(1, Math.ceil(BASELINE_SPAN_NS / w));
  const first = Math.floor(atNs / w);
  const last = Math.floor(durationNs / w);
  const baseline = timeline.quantile(first - baselineSpan, first, 0.99);
  let recovered = last;
  let recoveryUs: number | null = null;
  if (baseline > 0) {
    for (let start = first; start + recoverySpan <= last; start++) {
      if (timeline.arrivals(start) === 0) continue; // no request got through yet
      const p99 = timeline.quantile(start, start + recoverySpan, 0.99);
      if (p99 > 0 && p99 <= 1.1 * baseline) {
        recovered = start;
        recoveryUs = round(Math.max(0, start * w - atNs) / US, 3);
        break;
      }
    }
  }
  const worst = timeline.max(first, Math.max(first + 1, recovered + recoverySpan));
  return { worstLatencyUs: round(worst / US, 3), recoveryUs };
}
