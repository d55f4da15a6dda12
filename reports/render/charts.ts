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
  /**
   * Lines under the subtitle that explain the marks that are not data (a
   * threshold, saturation rules, a floor), so the picture reads on its own.
   * @default none
   */
  notes?: readonly string[];
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
  /** Field of achieved throughput, req/s (x axis; its domain is the data's). */
  x: FieldOf<Row>;
  /** Field of p99 latency (y axis, log scale; rows at or below 0 are left out). */
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
  /** d3-format of the y axis labels. @default "~s" */
  yFormat?: string;
  /** A latency drawn as a dashed horizontal rule, in the y field's unit. @default none */
  threshold?: number;
  /** Label printed on the threshold rule. @default the value */
  thresholdLabel?: string;
  /** Saturation points, one labelled vertical rule each. @default none */
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
  /** Legend title of the dash field. @default the dash field name */
  dashTitle?: string;
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

/** Options of {@link complementaryCdf}. */
export interface ComplementaryCdfOptions<Row> extends ChartFrameOptions {
  /** Field of latency, µs (x axis, log scale). */
  latency: FieldOf<Row>;
  /**
   * Field of the fraction of requests slower than that latency, as drawn
   * (y axis, log scale): positive, a zero tail already lifted to its floor.
   */
  slower: FieldOf<Row>;
  /** Field naming the series: one panel per value, the others in grey behind. */
  series: FieldOf<Row>;
  /**
   * Boolean field: the row is a zero tail drawn at its floor (1/N: no
   * request slower), marked by a triangle.
   */
  floor: FieldOf<Row>;
  /** Series values in panel and color order. @default order of first appearance */
  seriesOrder?: readonly string[];
  /** Panels per row. @default 4 */
  columns?: number;
  /** A fraction drawn as a dashed rule with a label, e.g. 0.01 for p99. @default none */
  quantileRule?: { slower: number; label: string };
  /** X axis title. @default "Latency (µs)" */
  xTitle?: string;
  /** Y axis title. @default "Fraction slower" */
  yTitle?: string;
}

/** A shaded span of time on one panel of a time series (e.g. a blackout). */
export interface TimeBand {
  /** Panel value it belongs to. */
  panel: string | number;
  /** Start, in the unit of the time field. */
  start: number;
  /** End, in the unit of the time field (clipped to the time domain). */
  end: number;
  /** Short label printed at the band's start on the upper plot. */
  label: string;
}

/** Options of {@link timeSeries}. */
export interface TimeSeriesOptions<Row> {
  /** Figure title. */
  title: string;
  /** Second title line. @default none */
  subtitle?: string;
  /** Lines under the subtitle that explain the marks that are not data. @default none */
  notes?: readonly string[];
  /** Field of time (x axis of both plots). */
  time: FieldOf<Row>;
  /** Field of throughput, req/s (left plot). */
  throughput: FieldOf<Row>;
  /** Field of p99 latency, µs (right plot, log scale); null breaks the line. */
  latency: FieldOf<Row>;
  /** Field naming the scenario: one row of two plots per value. */
  panel: FieldOf<Row>;
  /** Panel values, top to bottom. @default order of first appearance in the rows */
  panelOrder?: readonly (string | number)[];
  /** Time domain shared by every plot. */
  timeDomain: readonly [number, number];
  /** Shaded spans, e.g. each scenario's blackout. @default none */
  bands?: readonly TimeBand[];
  /** X axis title. @default "Time (ms)" */
  timeTitle?: string;
  /** Left y axis title. @default "Throughput (req/s)" */
  throughputTitle?: string;
  /** Right y axis title. @default "p99 latency (µs)" */
  latencyTitle?: string;
  /** Width of each plot, px. @default 360 */
  width?: number;
  /** Height of each plot, px. @default 110 */
  height?: number;
}

/** One column of a {@link textTable}. */
export interface TableColumn<Row> {
  /** Field shown. */
  field: FieldOf<Row>;
  /** Column header. */
  title: string;
  /** Width of the column, px. */
  width: number;
  /** Right-align (numbers). @default false */
  alignRight?: boolean;
  /** d3-format of a number column. @default the value as text */
  format?: string;
}

/** Options of {@link textTable}. */
export interface TextTableOptions<Row> {
  /** Table title. */
  title: string;
  /** Second title line. @default none */
  subtitle?: string;
  /** Lines under the subtitle. @default none */
  notes?: readonly string[];
  /** The columns, left to right. */
  columns: readonly TableColumn<Row>[];
  /** Height of one row, px. @default 22 */
  rowHeight?: number;
}

/** Options of {@link concatCharts}. */
export interface ConcatOptions {
  /** Figure title. */
  title: string;
  /** Second title line. @default none */
  subtitle?: string;
  /** Lines under the subtitle that explain the marks that are not data. @default none */
  notes?: readonly string[];
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
 * p99 latency (log y) against achieved throughput (x, req/s, domain from
 * the data): one colored line with points per series, optionally a dash
 * pattern by a second field, a dashed horizontal rule at a latency
 * threshold, and a labelled vertical rule at each series' saturation point.
 *
 * @example
 * ```ts
 * import { latencyVsThroughput, SATURATION_US } from "./charts.ts";
 * const spec = latencyVsThroughput([
 *   { policy: "cfs", rps: 1e5, p99Us: 80 },
 *   { policy: "cfs", rps: 2e5, p99Us: 4000 },
 * ], { title: "RocksDB", x: "rps", y: "p99Us", series: "policy", threshold: SATURATION_US });
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
  const color = colorDef(series, options.seriesTitle, options.seriesOrder);
  const layers: Layer[] = [{
    transform: [{ filter: { field: y, gt: 0 } }],
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: x,
        type: "quantitative",
        title: options.xTitle ?? "Achieved throughput (req/s)",
        scale: { zero: false },
        axis: { format: "~s" },
      },
      y: {
        field: y,
        type: "quantitative",
        title: options.yTitle ?? "p99 latency (µs)",
        scale: { type: "log" },
        axis: { format: options.yFormat ?? "~s" },
      },
      color,
      ...(options.dash === undefined
        ? {}
        : { strokeDash: dashDef(options.dash, options.dashTitle) }),
      order: { field: checkField(options.order ?? x), type: "quantitative" },
    },
  }];
  if (options.threshold !== undefined) {
    layers.push(
      ...thresholdLayers(options.threshold, options.thresholdLabel ?? String(options.threshold)),
    );
  }
  if (options.saturation !== undefined && options.saturation.length > 0) {
    const annotationColor = colorDef("series", options.seriesTitle ?? series, options.seriesOrder);
    const values = options.saturation.map((p, i) => ({
      series: p.series,
      throughput: p.throughput,
      label: `${p.series}: ${formatThousands(p.throughput)}`,
      slot: i,
    }));
    layers.push(
      {
        data: { values },
        mark: { type: "rule", strokeDash: [2, 3], strokeWidth: 1.5 },
        encoding: {
          x: { field: "throughput", type: "quantitative" },
          // Same color scale as the lines: a rule takes its series' color.
          color: annotationColor,
        },
      },
      {
        data: { values },
        // Beside its rule, on the side with room: left of a rule in the right third.
        mark: {
          type: "text",
          baseline: "top",
          fontSize: 10,
          align: { expr: `scale("x", datum.throughput) > width * 0.66 ? "right" : "left"` },
          dx: { expr: `scale("x", datum.throughput) > width * 0.66 ? -3 : 3` },
        },
        encoding: {
          x: { field: "throughput", type: "quantitative" },
          y: { value: { expr: "4 + 13 * datum.slot" } },
          text: { field: "label", type: "nominal" },
          color: annotationColor,
        },
      },
    );
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle, options.notes),
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
    title: titleParams(options.title, options.subtitle, options.notes),
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
      ...(options.dash === undefined
        ? {}
        : { strokeDash: dashDef(options.dash, options.dashTitle) }),
    },
    config: chartConfig(),
  };
}

/**
 * Bars grouped by category, one bar per group side by side (e.g. p99 per
 * query type per policy).
 *
 * @example
 * ```ts
 * import { groupedBars } from "./charts.ts";
 * const spec = groupedBars([
 *   { type: "A", policy: "cfs", p99Us: 700 },
 *   { type: "A", policy: "search", p99Us: 500 },
 * ], { title: "Search", category: "type", value: "p99Us", group: "policy",
 *   categoryTitle: "Query type", valueTitle: "p99 (µs)" });
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
    title: titleParams(options.title, options.subtitle, options.notes),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    data: { values: [...rows] },
    ...(logValue ? { transform: [{ filter: { field: value, gt: 0 } }] } : {}),
    layer: layers,
    config: chartConfig(),
  };
}

/**
 * Complementary CDFs (the fraction of requests slower than a latency) on
 * log axes, drawn as steps, not lines: between two recorded latencies the
 * fraction holds (no request had a latency in between). One small panel
 * per series, shared scales, the series in its color over the others in
 * grey; a zero tail (no request slower than the maximum) sits at its floor
 * and is marked by a triangle.
 *
 * @example
 * ```ts
 * import { complementaryCdf } from "./charts.ts";
 * const spec = complementaryCdf([
 *   { policy: "cfs", us: 10, slower: 0.5, floor: false },
 *   { policy: "cfs", us: 900, slower: 0.001, floor: true },
 * ], { title: "Tails", latency: "us", slower: "slower", series: "policy", floor: "floor" });
 * if (!("vconcat" in spec)) throw new Error("expected rows of panels");
 * ```
 */
export function complementaryCdf<Row extends object>(
  rows: readonly Row[],
  options: ComplementaryCdfOptions<Row>,
): TopLevelSpec {
  const latency = checkField(options.latency);
  const slower = checkField(options.slower);
  const series = checkField(options.series);
  const floor = checkField(options.floor);
  const order = options.seriesOrder ?? distinctValues(rows, options.series).map(String);
  const columns = options.columns ?? 4;
  const positive = rows.filter((row) =>
    Number(row[options.latency]) > 0 && Number(row[options.slower]) > 0
  );
  const latencies = positive.map((row) => Number(row[options.latency]));
  const fractions = positive.map((row) => Number(row[options.slower]));
  // From the power of ten below the data; room on the right for the last marker.
  const xDomain = [floorPowerOfTen(Math.min(...latencies)), Math.max(...latencies) * 1.25];
  const yDomain = [floorPowerOfTen(Math.min(...fractions)), 1];
  const color = colorDef(series, undefined, order);
  const panels: SubSpec[] = order.map((value, index) => {
    const firstColumn = index % columns === 0;
    const lastRow = index >= order.length - columns;
    const x = {
      field: latency,
      type: "quantitative",
      title: lastRow ? options.xTitle ?? "Latency (µs)" : null,
      scale: { type: "log", domain: xDomain, nice: false },
      axis: { values: powersOfTen(xDomain), format: "~s" },
    } as const;
    const y = {
      field: slower,
      type: "quantitative",
      title: firstColumn ? options.yTitle ?? "Fraction slower" : null,
      scale: { type: "log", domain: yDomain, nice: false },
      axis: { values: powersOfTen(yDomain), format: "~g" },
    } as const;
    const layers: Layer[] = [
      {
        transform: [{ filter: { not: { field: series, equal: value } } }],
        mark: { type: "line", interpolate: "step-after", color: "#cfcfcf", strokeWidth: 1 },
        encoding: { x, y, detail: { field: series, type: "nominal" } },
      },
      {
        transform: [{ filter: { field: series, equal: value } }],
        mark: { type: "line", interpolate: "step-after" },
        encoding: { x, y, color: { ...color, legend: null } },
      },
      {
        transform: [{
          filter: { and: [{ field: series, equal: value }, { field: floor, equal: true }] },
        }],
        mark: { type: "point", shape: "triangle-down", filled: true, size: 60 },
        encoding: { x, y, color: { ...color, legend: null } },
      },
    ];
    if (options.quantileRule !== undefined) {
      const rule = [{ slower: options.quantileRule.slower, label: options.quantileRule.label }];
      layers.push(
        {
          data: { values: rule },
          mark: { type: "rule", color: "#888888", strokeDash: [6, 4] },
          encoding: { y: { field: "slower", type: "quantitative" } },
        },
        {
          data: { values: rule },
          mark: {
            type: "text",
            align: "right",
            baseline: "bottom",
            dx: -3,
            dy: -2,
            x: "width",
            fontSize: 10,
            color: "#555555",
          },
          encoding: {
            y: { field: "slower", type: "quantitative" },
            text: { field: "label", type: "nominal" },
          },
        },
      );
    }
    return {
      title: { text: value, fontSize: 13 },
      width: options.width ?? 200,
      height: options.height ?? 150,
      layer: layers,
    } as SubSpec;
  });
  const gridRows: SubSpec[] = [];
  for (let i = 0; i < panels.length; i += columns) {
    gridRows.push({ hconcat: panels.slice(i, i + columns), spacing: 16 } as SubSpec);
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle, options.notes),
    data: { values: [...rows] },
    vconcat: gridRows,
    spacing: 16,
    config: chartConfig(),
  };
}

/**
 * Throughput and p99 latency against time, one row per scenario
 * (throughput left, latency right), every plot on the same time domain and
 * each measure on one scale across rows. Windows are drawn as steps; a
 * window with no latency (null) leaves a gap. Shaded bands mark spans such
 * as a blackout.
 *
 * @example
 * ```ts
 * import { timeSeries } from "./charts.ts";
 * const spec = timeSeries([
 *   { scenario: "agent crash", ms: 0, rps: 9e4, p99Us: 50 },
 *   { scenario: "agent crash", ms: 10, rps: 2e4, p99Us: null },
 * ], { title: "Disruption", time: "ms", throughput: "rps", latency: "p99Us",
 *   panel: "scenario", timeDomain: [0, 20],
 *   bands: [{ panel: "agent crash", start: 5, end: 8, label: "blackout" }] });
 * if (!("vconcat" in spec)) throw new Error("expected rows");
 * ```
 */
export function timeSeries<Row extends object>(
  rows: readonly Row[],
  options: TimeSeriesOptions<Row>,
): TopLevelSpec {
  checkField(options.panel);
  const panels = options.panelOrder ?? distinctValues(rows, options.panel);
  const throughputs = rows.map((row) => Number(row[options.throughput] ?? 0));
  const latencies = rows.map((row) => row[options.latency]).filter((v) =>
    typeof v === "number" && v > 0
  ) as number[];
  const domains = {
    time: [...options.timeDomain],
    throughput: [0, Math.max(1, ...throughputs)],
    latency: latencies.length === 0 ? [1, 10] : [Math.min(...latencies), Math.max(...latencies)],
  };
  const rowsSpec: SubSpec[] = panels.map((value, i) => ({
    hconcat: [
      timePlot(options, value, "throughput", domains, i === panels.length - 1),
      timePlot(options, value, "latency", domains, i === panels.length - 1),
    ],
    spacing: 28,
  } as SubSpec));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle, options.notes),
    data: { values: [...rows] },
    vconcat: rowsSpec,
    spacing: 10,
    config: chartConfig(),
  };
}

/**
 * A table drawn with text marks: one column per field, a header row, rows
 * in data order (e.g. the paper's microbenchmark table beside the emulated
 * costs).
 *
 * @example
 * ```ts
 * import { textTable } from "./charts.ts";
 * const spec = textTable([{ op: "commit", ns: 888 }], {
 *   title: "Costs",
 *   columns: [{ field: "op", title: "Operation", width: 120 },
 *     { field: "ns", title: "ns", width: 60, alignRight: true }],
 * });
 * if (!("hconcat" in spec)) throw new Error("expected columns");
 * ```
 */
export function textTable<Row extends object>(
  rows: readonly Row[],
  options: TextTableOptions<Row>,
): TopLevelSpec {
  const rowHeight = options.rowHeight ?? 22;
  const indexed = rows.map((row, i) => ({ ...row, tableRow: i }));
  const columns: SubSpec[] = options.columns.map((column) => {
    const field = checkField(column.field);
    const right = column.alignRight ?? false;
    return {
      width: column.width,
      height: rowHeight * rows.length,
      title: {
        text: column.title,
        fontSize: 12,
        fontWeight: "bold",
        anchor: right ? "end" : "start",
        orient: "top",
      },
      mark: {
        type: "text",
        align: right ? "right" : "left",
        baseline: "middle",
        fontSize: 12,
        x: right ? column.width : 0,
      },
      encoding: {
        y: { field: "tableRow", type: "ordinal", axis: null },
        text: {
          field,
          type: column.format === undefined ? "nominal" : "quantitative",
          ...(column.format === undefined ? {} : { format: column.format }),
        },
      },
    } as SubSpec;
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: titleParams(options.title, options.subtitle, options.notes),
    data: { values: indexed },
    hconcat: columns,
    spacing: 12,
    config: { ...chartConfig(), view: { stroke: null } },
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
  const title = titleParams(options.title, options.subtitle, options.notes);
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

/** Domains every time-series plot shares. */
interface TimeDomains {
  time: number[];
  throughput: number[];
  latency: number[];
}

function timePlot<Row extends object>(
  options: TimeSeriesOptions<Row>,
  panelValue: string | number,
  measure: "throughput" | "latency",
  domains: TimeDomains,
  last: boolean,
): SubSpec {
  const panel = checkField(options.panel);
  const time = checkField(options.time);
  const left = measure === "throughput";
  const y = checkField(left ? options.throughput : options.latency);
  const x = {
    field: time,
    type: "quantitative",
    title: last ? options.timeTitle ?? "Time (ms)" : null,
    scale: { domain: domains.time, nice: false },
    axis: last ? {} : { labels: false, title: null },
  } as const;
  const bands = (options.bands ?? []).filter((b) => b.panel === panelValue).map((b) => ({
    start: Math.max(b.start, domains.time[0]!),
    end: Math.min(b.end, domains.time[1]!),
    label: b.label,
  }));
  const layers: Layer[] = [];
  if (bands.length > 0) {
    layers.push({
      data: { values: bands },
      mark: { type: "rect", color: "#f2b8b5", opacity: 0.55 },
      encoding: {
        x: { field: "start", type: "quantitative" },
        x2: { field: "end" },
      },
    });
    if (left) {
      layers.push({
        data: { values: bands },
        mark: {
          type: "text",
          align: "left",
          baseline: "top",
          dx: 3,
          y: 3,
          fontSize: 10,
          color: "#8c1d18",
        },
        encoding: {
          x: { field: "start", type: "quantitative" },
          text: { field: "label", type: "nominal" },
        },
      });
    }
  }
  layers.push(
    {
      transform: [{ filter: { field: panel, equal: panelValue } }],
      // Nulls break the line: a window with no request is a gap, never a 0.
      mark: { type: "line", interpolate: "step-after", color: "#222222", strokeWidth: 1.5 },
      encoding: {
        x,
        y: {
          field: y,
          type: "quantitative",
          title: left
            ? options.throughputTitle ?? "Throughput (req/s)"
            : options.latencyTitle ?? "p99 latency (µs)",
          scale: left ? { domain: domains.throughput } : { type: "log", domain: domains.latency },
          axis: { format: "~s", tickCount: 4 },
        },
        order: { field: time, type: "quantitative" },
      },
    },
  );
  return {
    title: left ? { text: String(panelValue), fontSize: 13, anchor: "start" } : "",
    width: options.width ?? 360,
    height: options.height ?? 110,
    layer: layers,
  } as SubSpec;
}

function thresholdLayers(threshold: number, label: string): Layer[] {
  return [
    {
      data: { values: [{ threshold, label }] },
      mark: { type: "rule", color: "#888888", strokeDash: [6, 4] },
      encoding: { y: { field: "threshold", type: "quantitative" } },
    },
    {
      data: { values: [{ threshold, label }] },
      mark: {
        type: "text",
        align: "left",
        baseline: "bottom",
        dx: 4,
        dy: -2,
        x: 0,
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

/** The largest power of ten at or below a positive value. */
function floorPowerOfTen(value: number): number {
  return 10 ** Math.floor(Math.log10(value) + 1e-9);
}

/** The powers of ten within a positive domain, e.g. [10, 100, 1000] for [8, 5000]. */
function powersOfTen(domain: readonly number[]): number[] {
  const values: number[] = [];
  const low = Math.ceil(Math.log10(domain[0]!) - 1e-9);
  const high = Math.floor(Math.log10(domain[1]!) + 1e-9);
  for (let e = low; e <= high; e++) values.push(10 ** e);
  return values;
}

/** 70683 → "70.7k", 1200000 → "1.2M". */
function formatThousands(value: number): string {
  if (value >= 1e6) return `${Math.round(value / 1e5) / 10}M`;
  if (value >= 1e3) return `${Math.round(value / 1e2) / 10}k`;
  return String(Math.round(value));
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

function titleParams(
  text: string,
  subtitle: string | undefined,
  notes: readonly string[] | undefined,
): TitleParams {
  const lines = [...(subtitle === undefined ? [] : [subtitle]), ...(notes ?? [])];
  if (lines.length === 0) return { text };
  return { text, subtitle: lines.length === 1 ? lines[0]! : lines };
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
