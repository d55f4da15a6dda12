/**
 * Chart builders: pure functions from rows to a Vega-Lite `TopLevelSpec`.
 *
 * Each builder inlines its rows as `data: { values }`, sets an explicit size,
 * a title and axis titles with units, and the shared {@link chartConfig}
 * (fixed font family, white background), so the same rows give the same
 * JSON, key for key. Builders never render: `render.ts` does, and the spec
 * is written beside the picture as `.vl.json`.
 *
 * Field names are the rows' own keys, checked at compile time
 * (`keyof Row & string`). They must be plain names: Vega-Lite reads a dot or
 * a bracket as a path into a nested object, so such names are refused.
 *
 * @module
 */

import type { Config, TopLevelSpec } from "vega-lite";

/** Font family every chart uses; `render.ts` ships and loads this font. */
export const CHART_FONT = "DejaVu Sans";

/** Vega-Lite schema the specs declare, so an editor can reopen them. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Saturation threshold of the latency figures: p99 of 1 ms. */
export const SATURATION_US = 1000;

/** A field name of the row type `Row`. */
export type FieldOf<Row> = keyof Row & string;

/** Options every single-view builder takes. */
export interface ChartFrameOptions {
  /** Chart title. */
  title: string;
  /** Second title line, e.g. the settings in a few words. @default none */
  subtitle?: string;
  /** Width of the plot area, px. @default 480 */
  width?: number;
  /** Height of the plot area, px. @default 300 */
  height?: number;
}

/** A series' saturation point, marked by a vertical rule in its color. */
export interface SaturationPoint {
  /** Series value, as in the rows' series field. */
  series: string;
  /** Achieved throughput at saturation, req/s. */
  throughput: number;
}

/** Options of {@link latencyVsThroughput}. */
export interface LatencyThroughputOptions<Row> extends ChartFrameOptions {
  /** Field of achieved throughput, req/s (x axis). */
  x: FieldOf<Row>;
  /** Field of p99 latency, µs (y axis, log scale; rows at or below 0 are left out). */
  y: FieldOf<Row>;
  /** Field naming the series: one colored line per value (e.g. "shinjuku Get"). */
  series: FieldOf<Row>;
  /** Field drawn as the line's dash pattern (e.g. request type). @default none */
  dash?: FieldOf<Row>;
  /**
   * Field giving the order in which a series' points are joined (e.g. the
   * offered load, so a curve may bend back past saturation).
   * @default the x field
   */
  order?: FieldOf<Row>;
  /** Series values in legend and color order. @default sorted */
  seriesOrder?: readonly string[];
  /** Legend title of the series. @default the series field name */
  seriesTitle?: string;
  /** Legend title of the dash field. @default the dash field name */
  dashTitle?: string;
  /** X axis title. @default "Achieved throughput (req/s)" */
  xTitle?: string;
  /** Y axis title. @default "p99 latency (µs)" */
  yTitle?: string;
  /** Latency of a dashed horizontal rule, µs, e.g. {@link SATURATION_US}. @default none */
  thresholdUs?: number;
  /** Saturation points, one vertical rule each. @default none */
  saturation?: readonly SaturationPoint[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions<Row> extends ChartFrameOptions {
  /** Field of the x axis (quantitative). */
  x: FieldOf<Row>;
  /** Field of the y axis (quantitative). */
  y: FieldOf<Row>;
  /** Field naming the series: one colored line per value. */
  color: FieldOf<Row>;
  /** X axis title, with its unit. */
  xTitle: string;
  /** Y axis title, with its unit. */
  yTitle: string;
  /** Field drawn as the line's dash pattern. @default none */
  dash?: FieldOf<Row>;
  /** Legend title of the series. @default the color field name */
  colorTitle?: string;
  /** Series values in legend and color order. @default sorted */
  seriesOrder?: readonly string[];
  /** Log-scale x axis (rows at or below 0 are left out). @default false */
  logX?: boolean;
  /** Log-scale y axis (rows at or below 0 are left out). @default false */
  logY?: boolean;
  /** Fixed y domain, e.g. [0, 1] for a share. @default fitted to the data */
  yDomain?: readonly [number, number];
  /** Draw a point at each row. @default true */
  points?: boolean;
}

/** Options of {@link groupedBars}. */
export interface GroupedBarsOptions<Row> extends ChartFrameOptions {
  /** Field of the x axis categories (e.g. query type, operation). */
  category: FieldOf<Row>;
  /** Field of the bar length (quantitative). */
  value: FieldOf<Row>;
  /** Field of the bars side by side within a category (e.g. policy). */
  group: FieldOf<Row>;
  /** X axis title. */
  categoryTitle: string;
  /** Y axis title, with its unit. */
  valueTitle: string;
  /** Legend title. @default the group field name */
  groupTitle?: string;
  /** Category order on the x axis. @default order of first appearance in the rows */
  categoryOrder?: readonly string[];
  /** Group order within a category and in the legend. @default sorted */
  groupOrder?: readonly string[];
  /** Log-scale value axis (rows at or below 0 are left out). @default false */
  logValue?: boolean;
  /** Print each bar's value above it. @default false */
  labels?: boolean;
  /** d3-format of the printed values. @default ",.3~r" */
  labelFormat?: string;
}

/** Options of {@link latencyCdf}. */
export interface LatencyCdfOptions<Row> extends ChartFrameOptions {
  /** Field of latency, µs (x axis). */
  latency: FieldOf<Row>;
  /** Field of the cumulative fraction of requests at or below that latency, 0..1. */
  fraction: FieldOf<Row>;
  /** Field naming the series: one colored step line per value (e.g. policy). */
  series: FieldOf<Row>;
  /** Field drawn as the line's dash pattern. @default none */
  dash?: FieldOf<Row>;
  /** Series values in legend and color order. @default sorted */
  seriesOrder?: readonly string[];
  /** Legend title. @default the series field name */
  seriesTitle?: string;
  /** X axis title. @default "Latency (µs)" */
  xTitle?: string;
  /** Y axis title. @default "Fraction of requests" */
  yTitle?: string;
  /** Log-scale latency axis (rows at or below 0 are left out). @default true */
  logX?: boolean;
}

/** An event marked on every time-series panel, or on one. */
export interface TimeEvent {
  /** Time of the event, in the unit of the time field. */
  time: number;
  /** Short label printed beside the marker. */
  label: string;
  /** Panel value the event belongs to. @default every panel */
  panel?: string | number;
}

/** Options of {@link timeSeries}. */
export interface TimeSeriesOptions<Row> {
  /** Figure title. */
  title: string;
  /** Second title line. @default none */
  subtitle?: string;
  /** Field of time (x axis of both plots). */
  time: FieldOf<Row>;
  /** Field of throughput, req/s (upper plot). */
  throughput: FieldOf<Row>;
  /** Field of p99 latency, µs (lower plot). */
  latency: FieldOf<Row>;
  /** Field naming the scenario: one column of two plots per value. */
  panel: FieldOf<Row>;
  /** Field naming a series within a panel (e.g. policy). @default one black line */
  color?: FieldOf<Row>;
  /** Legend title. @default the color field name */
  colorTitle?: string;
  /** Series values in legend and color order. @default sorted */
  seriesOrder?: readonly string[];
  /** Panel values, left to right. @default order of first appearance in the rows */
  panelOrder?: readonly (string | number)[];
  /** Events marked by dashed vertical rules. @default none */
  events?: readonly TimeEvent[];
  /** X axis title. @default "Time (ms)" */
  timeTitle?: string;
  /** Upper y axis title. @default "Throughput (req/s)" */
  throughputTitle?: string;
  /** Lower y axis title. @default "p99 latency (µs)" */
  latencyTitle?: string;
  /** Log-scale latency axis (rows at or below 0 are left out there). @default true */
  logLatency?: boolean;
  /** Width of each plot, px. @default 320 */
  width?: number;
  /** Height of each plot, px. @default 140 */
  height?: number;
}

/** Options of {@link concatCharts}. */
export interface ConcatOptions {
  /** Figure title. */
  title: string;
  /** Second title line. @default none */
  subtitle?: string;
  /** Side by side or stacked. @default "horizontal" */
  direction?: "horizontal" | "vertical";
  /** Share one color scale and legend across the charts. @default true */
  shareColor?: boolean;
}

type HConcatSpec = Extract<TopLevelSpec, { hconcat: unknown }>;
type SubSpec = HConcatSpec["hconcat"][number];
type LayerSpec = Extract<TopLevelSpec, { layer: unknown }>;
type Layer = LayerSpec["layer"][number];
type Transform = NonNullable<LayerSpec["transform"]>[number];
type TitleParams = Exclude<NonNullable<LayerSpec["title"]>, string | string[]>;

const DEFAULT_WIDTH = 480;
const DEFAULT_HEIGHT = 300;

/**
 * The configuration every chart carries: fixed font family (so the SVG is
 * the same on every machine and the PNG renderer finds the font), white
 * background, and sizes of text.
 */
export function chartConfig(): Config {
  return {
    background: "white",
    font: CHART_FONT,
    padding: 8,
    axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e6e6e6" },
    legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
    title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: "#555555", anchor: "start" },
    view: { stroke: "#cccccc" },
    line: { strokeWidth: 2 },
    point: { size: 36, filled: true },
  };
}

/**
 * p99 latency (log y, µs) against achieved throughput (x, req/s): one
 * colored line with points per series, optionally a dash pattern by a
 * second field, a dashed horizontal rule at a latency threshold, and a
 * vertical rule at each series' saturation point.
 *
 * @example
 * ```ts
 * import { latencyVsThroughput, SATURATION_US } from "./charts.ts";
 * const spec = latencyVsThroughput([
 *   { policy: "cfs", rps: 1e5, p99Us: 80 },
 *   { policy: "cfs", rps: 2e5, p99Us: 4000 },
 * ], { title: "RocksDB", x: "rps", y: "p99Us", series: "policy", thresholdUs: SATURATION_US });
 * if (!("layer" in spec)) throw new Error("expected a layered spec");
 * ```
 */
export function latencyVsThroughput<Row extends object>(
  rows: readonly Row[],
  options: LatencyThroughputOptions<Row>,
): TopLevelSpec {
  const x = checkField(options.x);
  const y = checkField(options.y);
  const series = checkField(options.series);
  const layers: Layer[] = [{
    transform: [{ filter: { field: y, gt: 0 } }],
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: x,
        type: "quantitative",
        title: options.xTitle ?? "Achieved throughput (req/s)",
        axis: { format: "~s" },
      },
      y: {
        field: y,
        type: "quantitative",
        title: options.yTitle ?? "p99 latency (µs)",
        scale: { type: "log" },
        axis: { format: "~s" },
      },
      color: colorDef(series, options.seriesTitle, options.seriesOrder),
      ...(options.dash === undefined
        ? {}
        : { strokeDash: dashDef(options.dash, options.dashTitle) }),
      order: { field: checkField(options.order ?? x), type: "quantitative" },
    },
  }];
  if (options.thresholdUs !== undefined) {
    layers.push(...thresholdLayers(options.thresholdUs));
  }
  if (options.saturation !== undefined && options.saturation.length > 0) {
    layers.push({
      data: {
        values: options.saturation.map((p) => ({ series: p.series, throughput: p.throughput })),
      },
      mark: { type: "rule", strokeDash: [2, 3], strokeWidth: 1.5 },
      encoding: {
        x: { field: "throughput", type: "quantitative" },
        // Same scale as the lines: a rule takes its series' color.
        color: { field: "series", type: "nominal", title: options.seriesTitle ?? series },
      },
    });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    data: { values: [...rows] },
    layer: layers,
    config: chartConfig(),
  };
}

/**
 * A generic line chart: one colored line (with points) per series, e.g.
 * decisions per second against CPUs, or an antagonist's CPU share against
 * load.
 *
 * @example
 * ```ts
 * import { lineChart } from "./charts.ts";
 * const spec = lineChart([{ policy: "sol", cpus: 2, rate: 1e6 }], {
 *   title: "Scalability", x: "cpus", y: "rate", color: "policy",
 *   xTitle: "CPUs", yTitle: "Decisions (1/s)",
 * });
 * if (!("mark" in spec)) throw new Error("expected a single view");
 * ```
 */
export function lineChart<Row extends object>(
  rows: readonly Row[],
  options: LineChartOptions<Row>,
): TopLevelSpec {
  const x = checkField(options.x);
  const y = checkField(options.y);
  const color = checkField(options.color);
  const logX = options.logX ?? false;
  const logY = options.logY ?? false;
  const transform: Transform[] = [];
  if (logX) transform.push({ filter: { field: x, gt: 0 } });
  if (logY) transform.push({ filter: { field: y, gt: 0 } });
  const yScale = {
    ...(logY ? { type: "log" } as const : {}),
    ...(options.yDomain === undefined ? {} : { domain: [...options.yDomain] }),
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    data: { values: [...rows] },
    ...(transform.length === 0 ? {} : { transform }),
    mark: { type: "line", point: options.points ?? true },
    encoding: {
      x: {
        field: x,
        type: "quantitative",
        title: options.xTitle,
        ...(logX ? { scale: { type: "log" } } : {}),
      },
      y: {
        field: y,
        type: "quantitative",
        title: options.yTitle,
        ...(logY || options.yDomain !== undefined ? { scale: yScale } : {}),
      },
      color: colorDef(color, options.colorTitle, options.seriesOrder),
      ...(options.dash === undefined ? {} : { strokeDash: dashDef(options.dash, undefined) }),
    },
    config: chartConfig(),
  };
}

/**
 * Bars grouped by category, one bar per group side by side (e.g. p99 per
 * query type per policy, or measured against paper per operation).
 *
 * @example
 * ```ts
 * import { groupedBars } from "./charts.ts";
 * const spec = groupedBars([
 *   { op: "commit", source: "measured", ns: 700 },
 *   { op: "commit", source: "paper", ns: 725 },
 * ], { title: "Microbenchmarks", category: "op", value: "ns", group: "source",
 *   categoryTitle: "Operation", valueTitle: "Cost (ns)" });
 * if (!("layer" in spec)) throw new Error("expected a layered spec");
 * ```
 */
export function groupedBars<Row extends object>(
  rows: readonly Row[],
  options: GroupedBarsOptions<Row>,
): TopLevelSpec {
  const category = checkField(options.category);
  const value = checkField(options.value);
  const group = checkField(options.group);
  const logValue = options.logValue ?? false;
  const groupSort = options.groupOrder === undefined ? "ascending" : [...options.groupOrder];
  const encoding = {
    x: {
      field: category,
      type: "nominal",
      title: options.categoryTitle,
      sort: options.categoryOrder === undefined ? null : [...options.categoryOrder],
      axis: { labelAngle: 0 },
    },
    xOffset: { field: group, type: "nominal", sort: groupSort },
    y: {
      field: value,
      type: "quantitative",
      title: options.valueTitle,
      ...(logValue ? { scale: { type: "log" } as const } : {}),
    },
  } as const;
  const bars: Layer = {
    mark: { type: "bar" },
    encoding: { ...encoding, color: colorDef(group, options.groupTitle, options.groupOrder) },
  };
  const layers: Layer[] = [bars];
  if (options.labels ?? false) {
    layers.push({
      mark: { type: "text", baseline: "bottom", dy: -2, fontSize: 10 },
      encoding: {
        ...encoding,
        text: { field: value, type: "quantitative", format: options.labelFormat ?? ",.3~r" },
      },
    });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    data: { values: [...rows] },
    ...(logValue ? { transform: [{ filter: { field: value, gt: 0 } }] } : {}),
    layer: layers,
    config: chartConfig(),
  };
}

/**
 * Latency CDFs: one step line per series, latency (µs, log scale by
 * default) against the fraction of requests at or below it (0..1). Rows
 * hold the curve's points, already cumulative.
 *
 * @example
 * ```ts
 * import { latencyCdf } from "./charts.ts";
 * const spec = latencyCdf([
 *   { policy: "cfs", us: 10, frac: 0.5 },
 *   { policy: "cfs", us: 100, frac: 1 },
 * ], { title: "Latency CDF", latency: "us", fraction: "frac", series: "policy" });
 * if (!("mark" in spec)) throw new Error("expected a single view");
 * ```
 */
export function latencyCdf<Row extends object>(
  rows: readonly Row[],
  options: LatencyCdfOptions<Row>,
): TopLevelSpec {
  const latency = checkField(options.latency);
  const fraction = checkField(options.fraction);
  const series = checkField(options.series);
  const logX = options.logX ?? true;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    data: { values: [...rows] },
    ...(logX ? { transform: [{ filter: { field: latency, gt: 0 } }] } : {}),
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: {
        field: latency,
        type: "quantitative",
        title: options.xTitle ?? "Latency (µs)",
        ...(logX ? { scale: { type: "log" }, axis: { format: "~s" } } : {}),
      },
      y: {
        field: fraction,
        type: "quantitative",
        title: options.yTitle ?? "Fraction of requests",
        scale: { domain: [0, 1] },
      },
      color: colorDef(series, options.seriesTitle, options.seriesOrder),
      ...(options.dash === undefined ? {} : { strokeDash: dashDef(options.dash, undefined) }),
      order: { field: latency, type: "quantitative" },
    },
    config: chartConfig(),
  };
}

/**
 * Throughput and p99 latency against time, one column per scenario
 * (throughput above, latency below), with dashed vertical rules at events
 * such as a disruption's start and end.
 *
 * @example
 * ```ts
 * import { timeSeries } from "./charts.ts";
 * const spec = timeSeries([
 *   { scenario: "agent crash", ms: 0, rps: 9e4, p99Us: 50 },
 *   { scenario: "agent crash", ms: 10, rps: 2e4, p99Us: 900 },
 * ], { title: "Disruption", time: "ms", throughput: "rps", latency: "p99Us",
 *   panel: "scenario", events: [{ time: 5, label: "crash" }] });
 * if (!("hconcat" in spec)) throw new Error("expected columns");
 * ```
 */
export function timeSeries<Row extends object>(
  rows: readonly Row[],
  options: TimeSeriesOptions<Row>,
): TopLevelSpec {
  checkField(options.panel);
  const panels = options.panelOrder ?? distinctValues(rows, options.panel);
  const columns: SubSpec[] = panels.map((value) => ({
    title: { text: String(value), fontSize: 13 },
    vconcat: [
      timePlot(rows, options, value, "throughput"),
      timePlot(rows, options, value, "latency"),
    ],
    spacing: 6,
  }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle),
    hconcat: columns,
    spacing: 24,
    resolve: { scale: { color: "shared" }, legend: { color: "shared" } },
    config: chartConfig(),
  };
}

/**
 * Places charts from the builders side by side (or stacked) under one
 * title, e.g. a colocation figure's latency panel beside its CPU-share
 * panel.
 *
 * @example
 * ```ts
 * import { concatCharts, lineChart } from "./charts.ts";
 * const rows = [{ policy: "cfs", load: 0.5, share: 0.4 }];
 * const panel = lineChart(rows, { title: "Share", x: "load", y: "share",
 *   color: "policy", xTitle: "Load (fraction)", yTitle: "CPU share" });
 * const spec = concatCharts([panel, panel], { title: "Colocation" });
 * if (!("hconcat" in spec)) throw new Error("expected columns");
 * ```
 */
export function concatCharts(
  charts: readonly TopLevelSpec[],
  options: ConcatOptions,
): TopLevelSpec {
  const parts = charts.map(subSpec);
  const resolve = (options.shareColor ?? true)
    ? { scale: { color: "shared" }, legend: { color: "shared" } } as const
    : { scale: { color: "independent" }, legend: { color: "independent" } } as const;
  const title = titleParams(options.title, options.subtitle);
  if (options.direction === "vertical") {
    return {
      $schema: VEGA_LITE_SCHEMA,
      title,
      vconcat: parts,
      spacing: 24,
      resolve,
      config: chartConfig(),
    };
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    hconcat: parts,
    spacing: 24,
    resolve,
    config: chartConfig(),
  };
}

/** A builder's chart without its top-level-only properties, to nest in a concat. */
function subSpec(chart: TopLevelSpec): SubSpec {
  const { $schema: _schema, config: _config, ...rest } = chart;
  // A top-level spec less its top-level properties is a nestable spec; the
  // union of spec kinds is too wide for TypeScript to follow the rest.
  return rest as SubSpec;
}

function timePlot<Row extends object>(
  rows: readonly Row[],
  options: TimeSeriesOptions<Row>,
  panelValue: string | number,
  measure: "throughput" | "latency",
): SubSpec {
  const panel = checkField(options.panel);
  const time = checkField(options.time);
  const upper = measure === "throughput";
  const y = checkField(upper ? options.throughput : options.latency);
  const logY = !upper && (options.logLatency ?? true);
  const transform: Transform[] = [{ filter: { field: panel, equal: panelValue } }];
  if (logY) transform.push({ filter: { field: y, gt: 0 } });
  const layers: Layer[] = [{
    data: { values: [...rows] },
    transform,
    mark: { type: "line", ...(options.color === undefined ? { color: "#222222" } : {}) },
    encoding: {
      x: {
        field: time,
        type: "quantitative",
        title: upper ? null : options.timeTitle ?? "Time (ms)",
        axis: upper ? { labels: false, ticks: false } : {},
      },
      y: {
        field: y,
        type: "quantitative",
        title: upper
          ? options.throughputTitle ?? "Throughput (req/s)"
          : options.latencyTitle ?? "p99 latency (µs)",
        ...(logY ? { scale: { type: "log" } } : {}),
        axis: { format: "~s" },
      },
      ...(options.color === undefined
        ? {}
        : { color: colorDef(checkField(options.color), options.colorTitle, options.seriesOrder) }),
      order: { field: time, type: "quantitative" },
    },
  }];
  const events = (options.events ?? []).filter((e) =>
    e.panel === undefined || e.panel === panelValue
  );
  if (events.length > 0) {
    const values = events.map((e) => ({ time: e.time, label: e.label }));
    layers.push({
      data: { values },
      mark: { type: "rule", color: "#888888", strokeDash: [4, 3] },
      encoding: { x: { field: "time", type: "quantitative" } },
    });
    if (upper) {
      layers.push({
        data: { values },
        mark: { type: "text", align: "left", baseline: "top", dx: 3, y: 2, fontSize: 10 },
        encoding: {
          x: { field: "time", type: "quantitative" },
          text: { field: "label", type: "nominal" },
        },
      });
    }
  }
  return {
    width: options.width ?? 320,
    height: options.height ?? 140,
    layer: layers,
  };
}

function thresholdLayers(thresholdUs: number): Layer[] {
  const label = `${thresholdUs} µs`;
  return [
    {
      data: { values: [{ threshold: thresholdUs, label }] },
      mark: { type: "rule", color: "#888888", strokeDash: [6, 4] },
      encoding: { y: { field: "threshold", type: "quantitative" } },
    },
    {
      data: { values: [{ threshold: thresholdUs, label }] },
      mark: {
        type: "text",
        align: "right",
        baseline: "bottom",
        dx: -4,
        dy: -2,
        x: "width",
        fontSize: 10,
        color: "#555555",
      },
      encoding: {
        y: { field: "threshold", type: "quantitative" },
        text: { field: "label", type: "nominal" },
      },
    },
  ];
}

function colorDef(field: string, title: string | undefined, order: readonly string[] | undefined) {
  return {
    field,
    type: "nominal",
    title: title ?? field,
    ...(order === undefined ? {} : { scale: { domain: [...order] }, sort: [...order] }),
  } as const;
}

function dashDef(field: string, title: string | undefined) {
  return { field: checkField(field), type: "nominal", title: title ?? field } as const;
}

function titleParams(text: string, subtitle: string | undefined): TitleParams {
  return subtitle === undefined ? { text } : { text, subtitle };
}

function distinctValues<Row extends object>(rows: readonly Row[], field: FieldOf<Row>) {
  const seen: (string | number)[] = [];
  for (const row of rows) {
    const value: unknown = row[field];
    if (typeof value !== "string" && typeof value !== "number") {
      throw new TypeError(
        `Panel field "${field}" must hold strings or numbers: got ${typeof value}`,
      );
    }
    if (!seen.includes(value)) seen.push(value);
  }
  return seen;
}

function checkField(field: string): string {
  if (field === "" || /[.[\]\\]/.test(field)) {
    throw new TypeError(
      `Field name "${field}" is not a plain name: no dots, brackets or backslashes`,
    );
  }
  return field;
}
