/**
 * `ghostbench compare A B`: two runs (`run --json` outputs) or two bench
 * reports (directories holding `summary.json`, or that file), point by
 * point: throughput, p50 and p99 with their relative change, and the
 * claims whose verdict changed. With `--fail-above PCT` a p99 up or a
 * throughput down by more than PCT percent is a regression and the command
 * exits 1, for CI.
 *
 * Points of two reports are matched by figure and configuration; a point
 * only one side has is listed as such. Microbenchmark rows compare their
 * cost (ns), scalability points their decisions per second.
 *
 * @module
 */

import { InputError } from "../../core/errors.ts";
import { checkOption, type OptionSpec } from "../../core/options.ts";
import { formatDuration } from "../../core/units.ts";
import { flagOf, numberFromText, parseFlags, shorten } from "./args.ts";
import { userPath } from "./user_path.ts";

/** Help text of `compare`. */
export const COMPARE_HELP = `Usage: deno task ghostbench compare A B [--fail-above PCT] [--json]

Compares two runs ('run --json' outputs) or two bench reports (directories
holding summary.json, or the files): for every point both hold, throughput,
p50 and p99 with the relative change from A to B; then the claims whose
verdict changed. Relative paths are read from the directory you ran it in.

Options:
  --fail-above PCT    exit 1 when a point's p99 rises or its throughput falls
                      by more than PCT percent (e.g. 5), for CI
  --json              print the comparison as one JSON object
  -h, --help          show this text`;

/** One side of a comparison: where it was read from and what it holds. */
export interface CompareSide {
  /** The path given. */
  path: string;
  /** A single run, or a bench report. */
  kind: "run" | "report";
  /** Points it holds (a run: 1). */
  points: number;
}

/** The metrics a point may have. */
export type MetricName = "throughput" | "p50" | "p99" | "cost";

/** One metric of a point on both sides. */
export interface MetricChange {
  /** Which metric. */
  metric: MetricName;
  /** Its unit: `req/s`, `decisions/s`, `us`, `ns`. */
  unit: string;
  /** Value in A. */
  a: number;
  /** Value in B. */
  b: number;
  /** (B - A) / A in percent; null when A is 0 and B is not. */
  changePct: number | null;
  /** Whether the change is a regression beyond `--fail-above` (false without it). */
  regression: boolean;
}

/** One point of a comparison. */
export interface PointChange {
  /** The point: its figure and the settings that tell it from the figure's other points. */
  point: string;
  /** Whether both sides hold it. */
  in: "both" | "A" | "B";
  /** Its metrics (both sides only). */
  metrics: MetricChange[];
}

/** A claim on both sides. */
export interface ClaimChange {
  /** The figure. */
  figure: string;
  /** The claim. */
  claim: string;
  /** Whether it holds in A; null: A does not check it. */
  a: boolean | null;
  /** Whether it holds in B; null: B does not check it. */
  b: boolean | null;
}

/** The result of {@link compare}. */
export interface Comparison {
  /** Side A. */
  a: CompareSide;
  /** Side B. */
  b: CompareSide;
  /** Configuration keys whose values differ between two runs (`load: 40000 -> 50000`). */
  configChanges: string[];
  /** Every point, in A's order, then those only in B. */
  points: PointChange[];
  /** Every claim, in A's order, then those only in B. */
  claims: ClaimChange[];
  /** The `--fail-above` threshold, percent, or null. */
  failAbovePct: number | null;
  /** Metrics flagged as regressions. */
  regressions: number;
}

/** Options of {@link compare}. */
export interface CompareOptions {
  /** A p99 up or a throughput down by more than this, percent, is a regression. @default none */
  failAbovePct?: number;
  /** How the sides are named in the comparison. @default "A" and "B" */
  paths?: readonly [string, string];
}

/** The metrics of one point, by name, with units. */
type Metrics = Partial<Record<MetricName, { value: number; unit: string }>>;

/** A point as read from a side: its figure, its settings, its metrics. */
interface SidePoint {
  figure: string;
  /** Settings that identify it, flattened to text. */
  settings: Record<string, string>;
  metrics: Metrics;
}

/** What a side holds, read from its JSON. */
interface SideData {
  kind: "run" | "report";
  points: SidePoint[];
  claims: { figure: string; claim: string; holds: boolean }[];
  /** A run's configuration, flattened (runs only). */
  config: Record<string, string>;
}

/** Metrics, in display order, and which way is worse. */
const METRICS: readonly { name: MetricName; worse: "up" | "down"; gate: boolean }[] = [
  { name: "throughput", worse: "down", gate: true },
  { name: "p50", worse: "up", gate: false },
  { name: "p99", worse: "up", gate: true },
  { name: "cost", worse: "up", gate: false },
];

/**
 * Compares two parsed JSON values, each a `run --json` output or a bench
 * `summary.json`; throws InputError when one is neither, or when they are
 * not of the same kind.
 *
 * @example
 * ```ts
 * import { compare } from "./compare.ts";
 * const run = (rps: number, p99: number) => ({
 *   config: { load: 1000 },
 *   throughputRps: rps,
 *   latencyUs: { all: { p50: 10, p99 } },
 * });
 * const result = compare(run(1000, 20), run(1000, 25), { failAbovePct: 10 });
 * const p99 = result.points[0]!.metrics.find((m) => m.metric === "p99")!;
 * if (p99.changePct !== 25 || !p99.regression || result.regressions !== 1) {
 *   throw new Error("wrong");
 * }
 * ```
 */
export function compare(a: unknown, b: unknown, options: CompareOptions = {}): Comparison {
  const [pathA, pathB] = options.paths ?? ["A", "B"];
  const sideA = readSide(a, pathA);
  const sideB = readSide(b, pathB);
  if (sideA.kind !== sideB.kind) {
    throw new InputError(
      `Cannot compare a ${sideA.kind} (${pathA}) with a ${sideB.kind} (${pathB}): ` +
        "expected two runs or two reports",
    );
  }
  const failAbove = options.failAbovePct ?? null;
  const labels = labelPoints([...sideA.points, ...sideB.points]);
  const labelOf = (point: SidePoint) => labels.get(point) ?? point.figure;
  const keyed = (side: SideData) => new Map(side.points.map((p) => [pointKey(p), p]));
  const mapA = keyed(sideA);
  const mapB = keyed(sideB);
  const points: PointChange[] = [];
  for (const [key, point] of mapA) {
    const other = mapB.get(key);
    points.push({
      point: labelOf(point),
      in: other === undefined ? "A" : "both",
      metrics: other === undefined ? [] : metricChanges(point.metrics, other.metrics, failAbove),
    });
  }
  for (const [key, point] of mapB) {
    if (!mapA.has(key)) points.push({ point: labelOf(point), in: "B", metrics: [] });
  }
  return {
    a: { path: pathA, kind: sideA.kind, points: sideA.points.length },
    b: { path: pathB, kind: sideB.kind, points: sideB.points.length },
    configChanges: configChanges(sideA.config, sideB.config),
    points,
    claims: claimChanges(sideA.claims, sideB.claims),
    failAbovePct: failAbove,
    regressions: points.reduce(
      (n, p) => n + p.metrics.filter((m) => m.regression).length,
      0,
    ),
  };
}

function metricChanges(a: Metrics, b: Metrics, failAbove: number | null): MetricChange[] {
  const changes: MetricChange[] = [];
  for (const { name, worse, gate } of METRICS) {
    const x = a[name];
    const y = b[name];
    if (x === undefined || y === undefined) continue;
    const changePct = x.value === 0
      ? (y.value === 0 ? 0 : null)
      : round((y.value - x.value) / x.value * 100);
    // From 0 to anything is an unbounded change, in the direction of B.
    const change = changePct ?? (y.value > x.value ? Infinity : -Infinity);
    const regression = gate && failAbove !== null &&
      (worse === "up" ? change > failAbove : change < -failAbove);
    changes.push({ metric: name, unit: x.unit, a: x.value, b: y.value, changePct, regression });
  }
  return changes;
}

function claimChanges(
  a: SideData["claims"],
  b: SideData["claims"],
): ClaimChange[] {
  const key = (c: { figure: string; claim: string }) => `${c.figure}\n${c.claim}`;
  const inB = new Map(b.map((c) => [key(c), c.holds]));
  const inA = new Set(a.map(key));
  return [
    ...a.map((c) => ({ figure: c.figure, claim: c.claim, a: c.holds, b: inB.get(key(c)) ?? null })),
    ...b.filter((c) => !inA.has(key(c))).map((c) => ({
      figure: c.figure,
      claim: c.claim,
      a: null,
      b: c.holds,
    })),
  ];
}

function configChanges(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => a[k] !== b[k]).map((k) =>
    `${k}: ${a[k] ?? "(unset)"} -> ${b[k] ?? "(unset)"}`
  );
}

// ---- reading a side --------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readSide(value: unknown, path: string): SideData {
  if (isObject(value) && Array.isArray(value.points) && Array.isArray(value.claims)) {
    return readReport(value.points, value.claims, path);
  }
  if (isObject(value) && isObject(value.config) && isObject(value.latencyUs)) {
    return {
      kind: "run",
      points: [{ figure: "run", settings: {}, metrics: runMetrics(value, path) }],
      claims: [],
      config: flatten(value.config),
    };
  }
  throw new InputError(
    `Bad input "${path}": expected a 'run --json' output or a bench summary.json`,
  );
}

function readReport(points: unknown[], claims: unknown[], path: string): SideData {
  const bad = (what: string) => new InputError(`Bad summary "${path}": ${what}`);
  const read: SidePoint[] = [];
  for (const point of points) {
    if (!isObject(point) || typeof point.figure !== "string" || !isObject(point.result)) {
      throw bad("expected points with a figure and a result");
    }
    const figure = point.figure;
    const spec = isObject(point.spec) ? point.spec : {};
    const result = point.result;
    if (result.kind === "run" && isObject(result.run)) {
      const config = isObject(spec.config) ? spec.config : {};
      read.push({ figure, settings: flatten(config), metrics: runMetrics(result.run, path) });
    } else if (result.kind === "scalability" && isObject(result.row)) {
      const { kind: _, ...settings } = spec;
      const rate = result.row.decisionsPerSec;
      read.push({
        figure,
        settings: flatten(settings),
        metrics: typeof rate === "number"
          ? { throughput: { value: rate, unit: "decisions/s" } }
          : {},
      });
    } else if (result.kind === "microbench" && Array.isArray(result.rows)) {
      const { kind: _, rounds: __, ...settings } = spec;
      for (const row of result.rows) {
        if (!isObject(row) || typeof row.operation !== "string") throw bad("a bad microbench row");
        const cost = row.measuredNs;
        read.push({
          figure,
          settings: { ...flatten(settings), operation: row.operation },
          metrics: typeof cost === "number" ? { cost: { value: cost, unit: "ns" } } : {},
        });
      }
    } else {
      throw bad(`a point of figure ${figure} has an unknown result`);
    }
  }
  const readClaims = claims.map((claim) => {
    if (
      !isObject(claim) || typeof claim.figure !== "string" || typeof claim.claim !== "string" ||
      typeof claim.holds !== "boolean"
    ) {
      throw bad("expected claims with a figure, a claim and whether it holds");
    }
    return { figure: claim.figure, claim: claim.claim, holds: claim.holds };
  });
  return { kind: "report", points: read, claims: readClaims, config: {} };
}

/** A run's throughput, p50 and p99 (all request types). */
function runMetrics(run: Record<string, unknown>, path: string): Metrics {
  const latency = isObject(run.latencyUs) ? run.latencyUs : {};
  const all = isObject(latency.all) ? latency.all : {};
  const { throughputRps } = run;
  if (typeof throughputRps !== "number" || typeof all.p50 !== "number") {
    throw new InputError(`Bad run in "${path}": expected throughputRps and latencyUs.all`);
  }
  const metrics: Metrics = {
    throughput: { value: throughputRps, unit: "req/s" },
    p50: { value: all.p50, unit: "us" },
  };
  if (typeof all.p99 === "number") metrics.p99 = { value: all.p99, unit: "us" };
  return metrics;
}

/** A configuration as `key: text` pairs: nested options by their own key, times with units. */
function flatten(config: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "events" && Array.isArray(value)) {
      flat.events = value.map(eventText).join(" ");
    } else if (isObject(value)) {
      for (const [inner, v] of Object.entries(value)) flat[inner] = valueText(inner, v);
    } else {
      flat[key] = valueText(key, value);
    }
  }
  return flat;
}

function valueText(key: string, value: unknown): string {
  if (key.endsWith("Ns") && typeof value === "number" && Number.isSafeInteger(value)) {
    return formatDuration(value);
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

function eventText(event: unknown): string {
  if (!isObject(event) || typeof event.atNs !== "number") return JSON.stringify(event);
  const kind = event.kind === "swap" ? `swap:${event.policy}` : String(event.kind);
  return `${kind}@${formatDuration(event.atNs)}`;
}

/** What identifies a point: its figure and every setting. */
function pointKey(point: SidePoint): string {
  const keys = Object.keys(point.settings).sort();
  return `${point.figure}\n${keys.map((k) => `${k}=${point.settings[k]}`).join("\n")}`;
}

/**
 * Names each point by its figure and the settings that vary among the
 * figure's points (on either side), as flags name them:
 * `disruption policy=shinjuku events=crash@1s restart-delay=10ms`.
 */
function labelPoints(points: readonly SidePoint[]): Map<SidePoint, string> {
  const labels = new Map<SidePoint, string>();
  const byFigure = new Map<string, SidePoint[]>();
  for (const point of points) {
    const list = byFigure.get(point.figure) ?? [];
    list.push(point);
    byFigure.set(point.figure, list);
  }
  for (const [figure, list] of byFigure) {
    const keys = [...new Set(list.flatMap((p) => Object.keys(p.settings)))];
    const varying = keys.filter((k) => new Set(list.map((p) => p.settings[k])).size > 1);
    for (const point of list) {
      const parts = varying.filter((k) => point.settings[k] !== undefined).map((k) =>
        k === "operation" ? point.settings[k] : `${flagOf(k)}=${point.settings[k]}`
      );
      labels.set(point, [figure, ...parts].join(" "));
    }
  }
  return labels;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

// ---- the command -----------------------------------------------------------

const FAIL_ABOVE: OptionSpec = {
  kind: "number",
  min: 0,
  max: 1e6,
  help: "regression threshold, percent",
};

/** Where `compare` writes. */
export interface CompareIo {
  /** Writes to standard output. */
  out: (text: string) => void;
}

/**
 * Runs `compare A B [--fail-above PCT] [--json]`; returns the exit code: 0,
 * or 1 when `--fail-above` found a regression.
 *
 * @throws {InputError} on bad arguments, a file that cannot be read or is
 * not a run or a report, or a run compared with a report
 */
export async function runCompare(args: readonly string[], io: CompareIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    "fail-above": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, { positionals: true });
  if (values.help) {
    io.out(COMPARE_HELP + "\n");
    return 0;
  }
  if (positionals.length !== 2) {
    throw new InputError(
      `compare needs two inputs, A and B: got ${positionals.length} (${
        positionals.map((p) => `"${shorten(p)}"`).join(", ") || "none"
      })`,
    );
  }
  const text = values["fail-above"];
  let failAbovePct: number | undefined;
  if (text !== undefined) {
    const value = numberFromText(text.replace(/%$/, ""));
    if (Number.isNaN(value)) {
      throw new InputError(`Bad --fail-above "${shorten(text)}": expected a percentage, e.g. 5`);
    }
    failAbovePct = checkOption(FAIL_ABOVE, value, { label: "--fail-above", text }) as number;
  }
  // One after the other: when both are bad, the message names A.
  const a = await readInput(positionals[0]!);
  const b = await readInput(positionals[1]!);
  const comparison = compare(a, b, {
    ...(failAbovePct === undefined ? {} : { failAbovePct }),
    paths: [positionals[0]!, positionals[1]!],
  });
  io.out(values.json ? JSON.stringify(comparison, null, 2) + "\n" : formatComparison(comparison));
  return comparison.regressions > 0 ? 1 : 0;
}

/** Reads a run's JSON, a summary.json, or the summary.json of a report directory. */
async function readInput(given: string): Promise<unknown> {
  let path = userPath(given);
  let text: string;
  try {
    if ((await Deno.stat(path)).isDirectory) path = `${path}/summary.json`;
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message.split("\n")[0]
      : String(error);
    throw new InputError(`Cannot read "${shorten(given)}": ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `Bad input "${shorten(given)}": not JSON (${error instanceof Error ? error.message : error})`,
    );
  }
}

// ---- text output -------------------------------------------------------------

function formatValue(value: number, unit: string): string {
  if (unit === "us") return value >= 100 ? value.toFixed(0) : value.toFixed(2);
  if (unit === "ns") return value.toFixed(0);
  return value.toFixed(1);
}

function formatChange(change: MetricChange): string {
  if (change.changePct === null) return change.b > change.a ? "+inf%" : "-inf%";
  const sign = change.changePct > 0 ? "+" : "";
  return `${sign}${change.changePct.toFixed(1)}%`;
}

function verdict(holds: boolean | null): string {
  return holds === null ? "absent" : holds ? "holds" : "FAILS";
}

/**
 * Renders a comparison as text: each point's label, then a row per metric
 * (A, B, change, a mark on regressions); the points one side lacks; the
 * claims whose verdict changed; and a last line that sums it up.
 */
export function formatComparison(c: Comparison): string {
  const lines = [
    `ghostbench compare: A ${c.a.path} (${c.a.kind}, ${c.a.points} points) vs ` +
    `B ${c.b.path} (${c.b.kind}, ${c.b.points} points)`,
  ];
  if (c.configChanges.length > 0) lines.push(`configuration: ${c.configChanges.join(", ")}`);
  lines.push("");
  const rows: string[][] = [["point, metric", "A", "B", "change", ""]];
  /** Index in `rows` before which a point's label goes. */
  const labels = new Map<number, string>();
  for (const point of c.points) {
    if (point.in !== "both") continue;
    labels.set(rows.length, point.point);
    for (const m of point.metrics) {
      rows.push([
        `  ${m.metric} (${m.unit})`,
        formatValue(m.a, m.unit),
        formatValue(m.b, m.unit),
        formatChange(m),
        m.regression ? "regression" : "",
      ]);
    }
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  rows.forEach((row, i) => {
    const label = labels.get(i);
    if (label !== undefined) lines.push(label);
    const cells = row.map((cell, col) =>
      col >= 1 && col <= 3 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)
    );
    lines.push(cells.join("  ").trimEnd());
  });
  const only = (side: "A" | "B") => c.points.filter((p) => p.in === side).map((p) => p.point);
  for (const side of ["A", "B"] as const) {
    const names = only(side);
    if (names.length > 0) lines.push("", `only in ${side}: ${names.join("; ")}`);
  }
  const changed = c.claims.filter((claim) => claim.a !== claim.b);
  if (c.claims.length > 0) {
    const held = (side: "a" | "b") => c.claims.filter((claim) => claim[side] === true).length;
    const total = (side: "a" | "b") => c.claims.filter((claim) => claim[side] !== null).length;
    lines.push(
      "",
      `claims: ${held("a")}/${total("a")} hold in A, ${held("b")}/${total("b")} in B; ` +
        `${changed.length} changed`,
    );
    for (const claim of changed) {
      lines.push(`  ${verdict(claim.a)} -> ${verdict(claim.b)}  ${claim.figure}: ${claim.claim}`);
    }
  }
  const both = c.points.filter((p) => p.in === "both").length;
  lines.push(
    "",
    `${both} point(s) compared` +
      (c.failAbovePct === null ? "" : `; ${c.regressions} regression(s) above ${c.failAbovePct}% ` +
        "(p99 up or throughput down)"),
  );
  return lines.join("\n") + "\n";
}
