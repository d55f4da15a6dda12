/**
 * Formats a run summary as a readable table, the text twin of `--json`.
 *
 * @module
 */

import type { LatencySummary } from "../../core/metrics/request_stats.ts";
import { formatDuration } from "../../core/units.ts";
import { WORKLOADS } from "../../workloads/registry.ts";
import type { RunResult } from "../experiment/run_experiment.ts";
import { flagOf } from "./args.ts";

const COLUMNS = ["count", "mean", "p50", "p99", "p99.5", "p99.9", "max"] as const;

function row(label: string, s: LatencySummary): string[] {
  const f = (x: number) => s.count === 0 ? "-" : x >= 100 ? x.toFixed(0) : x.toFixed(2);
  return [label, String(s.count), f(s.mean), f(s.p50), f(s.p99), f(s.p99_5), f(s.p99_9), f(s.max)];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join("  ")
  ).join("\n");
}

/** The workload's options as `flag value`, the pool size resolved. */
function workloadOptions(result: RunResult): string[] {
  const c = result.config;
  const specs = Object.hasOwn(WORKLOADS, c.workload) ? WORKLOADS[c.workload]!.options : {};
  const options = {
    ...c.workloadOptions,
    ...(result.workers === null ? {} : { workers: result.workers }),
  };
  return Object.entries(options).map(([key, value]) =>
    `${flagOf(key)} ${
      specs[key]?.kind === "duration" && Number(value) > 0
        ? formatDuration(Number(value))
        : String(value)
    }`
  );
}

/**
 * Renders a run summary as text: configuration, request counts, latency per
 * type and stage in microseconds, CPU utilisation and engine speed.
 */
export function formatRunResult(result: RunResult): string {
  const c = result.config;
  const lines: string[] = [];
  const machine = c.machine ?? `flat${c.cpus}`;
  lines.push(
    `ghostbench run: policy ${c.policy}, workload ${c.workload}, machine ${machine} ` +
      `(${result.cpuUtilization.length} CPUs), costs ${c.costs}, ` +
      `${c.fair === undefined ? "" : `fair class ${c.fair}, `}seed ${c.seed}`,
  );
  const workload = [
    `load ${c.load} req/s`,
    ...workloadOptions(result),
    c.antagonists > 0 ? `${c.antagonists} antagonists` : "",
    `duration ${formatDuration(c.durationNs)} (warm-up ${formatDuration(c.warmupNs)})`,
  ].filter((part) => part !== "");
  lines.push(workload.join(", "));
  lines.push("");
  lines.push(
    `requests: ${result.completed} completed after warm-up, ${result.generated} generated, ` +
      `${result.inFlight} in flight, ${
        result.stranded > 0 ? `${result.stranded} stranded, ` : ""
      }` +
      `${result.failed > 0 ? `${result.failed} failed, ` : ""}` +
      `${result.lost} lost`,
  );
  lines.push(`throughput: ${result.throughputRps.toFixed(1)} req/s`);
  const deadlines = result.deadlines;
  if (deadlines !== undefined) {
    lines.push(
      `deadlines: ${deadlines.jobs} jobs after warm-up, ${deadlines.met} met, ` +
        `${deadlines.missed} missed (${(deadlines.missRatio * 100).toFixed(2)}%), ` +
        `worst lateness ${
          deadlines.maxLatenessUs === null ? "-" : `${deadlines.maxLatenessUs.toFixed(1)} us`
        }`,
    );
  }
  lines.push("");
  const stages: [string, Record<string, LatencySummary>][] = [
    ["total", result.latencyUs],
    ...(["ingress", "dispatch"] as const).filter((stage) =>
      (result.stagesUs[stage].all?.mean ?? 0) > 0
    ).map((stage) => [stage, result.stagesUs[stage]] as [string, Record<string, LatencySummary>]),
    ["queue", result.stagesUs.queue],
    ["service", result.stagesUs.service],
  ];
  const rows: string[][] = [["latency (us)", ...COLUMNS]];
  for (const [stage, summary] of stages) {
    for (const [type, s] of Object.entries(summary)) rows.push(row(`${stage} ${type}`, s));
  }
  lines.push(table(rows));
  lines.push("");
  const util = result.cpuUtilization;
  const mean = util.reduce((a, b) => a + b, 0) / Math.max(util.length, 1);
  lines.push(
    `CPU utilisation: mean ${(mean * 100).toFixed(1)}%  [${
      util.map((u) => (u * 100).toFixed(0)).join(" ")
    }]`,
  );
  for (const g of result.threadCpu) {
    lines.push(`  ${g.group}: ${g.threads} thread(s), ${(g.cpuUs / 1000).toFixed(1)} ms CPU`);
  }
  lines.push(`context switches: ${result.contextSwitches}`);
  const ghost = result.ghost;
  if (ghost !== null) {
    lines.push(
      `ghOSt (${ghost.model}): ${ghost.messages} messages, ${ghost.decisions} decisions, ` +
        `${ghost.failedCommits} failed commits, ${ghost.overflows} queue overflows, ` +
        `agents ${(ghost.agentCpuUs / 1000).toFixed(1)} ms CPU`,
    );
  }
  for (const event of result.lifecycleEvents) {
    if (event.status === "skipped") {
      lines.push(
        `event ${event.kind} at ${event.atUs / 1000} ms: skipped (${event.reason}), ` +
          `${event.inFlight} in flight, then ${event.policyAfter}`,
      );
      continue;
    }
    lines.push(
      `event ${event.kind} at ${event.atUs / 1000} ms: blackout ${
        event.blackoutUs === null ? "not over" : `${event.blackoutUs} us`
      }, ${event.inFlight} in flight, ${event.failed} failed, worst ${event.worstLatencyUs} us, ` +
        `recovered ${event.recoveryUs === null ? "never" : `after ${event.recoveryUs} us`}, ` +
        `then ${event.policyAfter}` + (event.error === null
          ? ""
          : ` (${event.cause === "policy error" ? "policy error: " : ""}${event.error})`),
    );
  }
  lines.push(
    `engine: ${result.events} events, ${(result.eventsPerSec / 1e6).toFixed(2)} M events/s`,
  );
  return lines.join("\n") + "\n";
}

/**
 * The warning a run that dropped ghOSt messages deserves, one line without
 * its newline: how many, which queues (and their size), how many requests
 * that stranded; null when no message was dropped.
 *
 * @example
 * ```ts
 * import { overflowWarning } from "./format_result.ts";
 * const warning = overflowWarning({
 *   stranded: 3,
 *   ghost: { overflows: 5, overflowQueues: [{ queue: 0, capacity: 4, overflows: 5 }] },
 * });
 * if (warning !== "5 ghOSt messages dropped: queue 0 (4 slots) full; 3 requests stranded") {
 *   throw new Error(String(warning));
 * }
 * ```
 */
export function overflowWarning(
  result: {
    stranded: number;
    ghost: Pick<NonNullable<RunResult["ghost"]>, "overflows" | "overflowQueues"> | null;
  },
): string | null {
  const ghost = result.ghost;
  if (ghost === null || ghost.overflows === 0) return null;
  const queues = ghost.overflowQueues.map((q) => `${q.queue} (${q.capacity} slots)`);
  const where = queues.length === 0
    ? "threads without a queue"
    : `${queues.length === 1 ? "queue" : "queues"} ${queues.join(", ")} full`;
  return `${ghost.overflows} ghOSt messages dropped: ${where}; ${result.stranded} requests stranded`;
}

/**
 * A warning when the run ended with a backlog: at least a tenth of the
 * requests generated (and 1000 or more) still in flight, so the offered load
 * exceeds what the CPUs served and latency and memory grow with the run's
 * length; null otherwise.
 *
 * @example
 * ```ts
 * import { backlogWarning } from "./format_result.ts";
 * if (backlogWarning({ inFlight: 53, generated: 169_814 }) !== null) throw new Error("stable");
 * if (backlogWarning({ inFlight: 40_000, generated: 100_000 }) === null) throw new Error("backlog");
 * ```
 */
export function backlogWarning(result: { inFlight: number; generated: number }): string | null {
  const { inFlight, generated } = result;
  if (inFlight < 1000 || inFlight < generated / 10) return null;
  return `${inFlight} of the ${generated} requests generated are still in flight: the load ` +
    "exceeds what the CPUs serve, so latency and memory grow with the run's length " +
    "(lower --load, or add CPUs)";
}
