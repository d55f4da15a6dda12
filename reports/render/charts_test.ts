import assert from "node:assert/strict";
import type { TopLevelSpec } from "vega-lite";
import {
  CHART_FONT,
  concatCharts,
  groupedBars,
  latencyCdf,
  latencyVsThroughput,
  lineChart,
  SATURATION_US,
  timeSeries,
} from "./charts.ts";
import { renderSvg } from "./render.ts";

const LATENCY_ROWS = ["cfs", "shinjuku"].flatMap((policy) =>
  ["Get", "Range"].flatMap((type) =>
    [1, 2, 3, 4, 5].map((i) => ({
      policy,
      type,
      offered: i * 20_000,
      rps: Math.min(i * 20_000, policy === "cfs" ? 60_000 : 90_000),
      p99Us: (type === "Get" ? 20 : 400) * i ** 3,
    }))
  )
);

const SCALABILITY_ROWS = [2, 4, 8, 16, 32].flatMap((cpus) => [
  { policy: "sol", cpus, decisionsPerSec: Math.min(cpus, 24) * 1e6 },
  { policy: "shinjuku", cpus, decisionsPerSec: Math.min(cpus, 12) * 1e6 },
]);

const CDF_ROWS = ["cfs", "shinjuku"].flatMap((policy) =>
  [5, 10, 50, 200, 900].map((us, i) => ({ policy, latencyUs: us, fraction: (i + 1) / 5 }))
);

const TIME_ROWS = ["agent crash", "upgrade"].flatMap((scenario) =>
  ["cfs", "shinjuku"].flatMap((policy) =>
    Array.from({ length: 10 }, (_, t) => ({
      scenario,
      policy,
      timeMs: t * 10,
      rps: t >= 4 && t < 6 ? 20_000 : 90_000,
      p99Us: t >= 4 && t < 6 ? 3000 : 60,
    }))
  )
);

/** Renders strictly (any Vega-Lite or Vega warning throws) and returns the SVG. */
async function svgOf(spec: TopLevelSpec): Promise<string> {
  const svg = await renderSvg(spec);
  assert.ok(svg.startsWith("<svg"), "an SVG document");
  assert.ok(svg.length > 1000, "a non-trivial SVG");
  assert.ok(svg.includes(`font-family="${CHART_FONT}"`), "the fixed font family");
  return svg;
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

Deno.test("latencyVsThroughput draws a line with points per series, a threshold and saturation rules", async () => {
  const spec = latencyVsThroughput(LATENCY_ROWS, {
    title: "RocksDB p99 & throughput",
    subtitle: "5 CPUs",
    x: "rps",
    y: "p99Us",
    series: "policy",
    dash: "type",
    order: "offered",
    thresholdUs: SATURATION_US,
    saturation: [{ series: "cfs", throughput: 60_000 }, { series: "shinjuku", throughput: 90_000 }],
  });
  const svg = await svgOf(spec);
  assert.ok(svg.includes("mark-line"));
  assert.ok(svg.includes("mark-symbol"));
  assert.equal(count(svg, "mark-rule role-mark"), 1 + 1, "threshold and saturation rule layers");
  assert.ok(svg.includes("RocksDB p99 &amp; throughput"));
  assert.ok(svg.includes("p99 latency (µs)"));
  assert.ok(svg.includes("Achieved throughput (req/s)"));
  assert.ok(svg.includes("1000 µs"));
  assert.ok("layer" in spec);
  const [lines] = spec.layer;
  assert.ok(lines !== undefined && "encoding" in lines);
  assert.deepEqual(lines.encoding?.y, {
    field: "p99Us",
    type: "quantitative",
    title: "p99 latency (µs)",
    scale: { type: "log" },
    axis: { format: "~s" },
  });
});

Deno.test("latencyVsThroughput without options adds no rules and keeps data only in data", async () => {
  const spec = latencyVsThroughput(LATENCY_ROWS, {
    title: "Plain",
    x: "rps",
    y: "p99Us",
    series: "policy",
  });
  const svg = await svgOf(spec);
  assert.equal(count(svg, "mark-rule role-mark"), 0);
  assert.ok("layer" in spec && spec.layer.length === 1);
  assert.deepEqual(spec.data, { values: LATENCY_ROWS });
});

Deno.test("lineChart draws one line per series with axis titles and optional scales", async () => {
  const spec = lineChart(SCALABILITY_ROWS, {
    title: "Global agent scalability",
    x: "cpus",
    y: "decisionsPerSec",
    color: "policy",
    xTitle: "Enclave CPUs",
    yTitle: "Decisions (1/s)",
    logY: true,
    yDomain: [1e5, 1e8],
    seriesOrder: ["sol", "shinjuku"],
  });
  const svg = await svgOf(spec);
  assert.equal(count(svg, 'aria-roledescription="line mark"'), 2);
  assert.ok(svg.includes("mark-symbol"));
  assert.ok(svg.includes("Global agent scalability"));
  assert.ok(svg.includes("Enclave CPUs") && svg.includes("Decisions (1/s)"));
  assert.ok("encoding" in spec);
  assert.deepEqual(spec.encoding?.y, {
    field: "decisionsPerSec",
    type: "quantitative",
    title: "Decisions (1/s)",
    scale: { type: "log", domain: [1e5, 1e8] },
  });
});

Deno.test("groupedBars draws one bar per category and group, with optional value labels", async () => {
  const rows = [
    { op: "commit", source: "measured", ns: 700 },
    { op: "commit", source: "paper", ns: 725 },
    { op: "message", source: "measured", ns: 250 },
    { op: "message", source: "paper", ns: 265 },
  ];
  const spec = groupedBars(rows, {
    title: "Microbenchmarks",
    category: "op",
    value: "ns",
    group: "source",
    categoryTitle: "Operation",
    valueTitle: "Cost (ns)",
    labels: true,
  });
  const svg = await svgOf(spec);
  assert.equal(count(svg, 'aria-roledescription="bar"'), 4);
  assert.ok(svg.includes(">725<"), "value label");
  assert.ok(svg.includes("Microbenchmarks") && svg.includes("Cost (ns)"));
});

Deno.test("latencyCdf draws a step line per series on a 0..1 axis", async () => {
  const spec = latencyCdf(CDF_ROWS, {
    title: "Latency CDF",
    latency: "latencyUs",
    fraction: "fraction",
    series: "policy",
  });
  const svg = await svgOf(spec);
  assert.equal(count(svg, 'aria-roledescription="line mark"'), 2);
  assert.ok(svg.includes("Latency (µs)") && svg.includes("Fraction of requests"));
  assert.ok("mark" in spec);
  assert.deepEqual(spec.mark, { type: "line", interpolate: "step-after" });
});

Deno.test("timeSeries draws a column per scenario with event markers", async () => {
  const spec = timeSeries(TIME_ROWS, {
    title: "Disruption",
    time: "timeMs",
    throughput: "rps",
    latency: "p99Us",
    panel: "scenario",
    color: "policy",
    events: [{ time: 40, label: "crash" }, { time: 60, label: "restart", panel: "upgrade" }],
  });
  const svg = await svgOf(spec);
  assert.ok(svg.includes("agent crash") && svg.includes("upgrade"));
  assert.equal(count(svg, ">crash<"), 2, "shared event on both panels");
  assert.equal(count(svg, ">restart<"), 1, "panel event on its panel only");
  assert.equal(
    count(svg, 'aria-roledescription="line mark"'),
    8,
    "2 panels × 2 plots × 2 policies",
  );
  assert.ok(svg.includes("Throughput (req/s)") && svg.includes("Time (ms)"));
  assert.ok("hconcat" in spec && spec.hconcat.length === 2);
});

Deno.test("timeSeries rejects panel values that are not strings or numbers", () => {
  assert.throws(
    () =>
      timeSeries([{ scenario: null, t: 0, rps: 1, p99Us: 1 }], {
        title: "Bad",
        time: "t",
        throughput: "rps",
        latency: "p99Us",
        panel: "scenario",
      }),
    TypeError,
  );
});

Deno.test("concatCharts nests builder charts without their top-level properties", async () => {
  const left = lineChart(SCALABILITY_ROWS, {
    title: "Left",
    x: "cpus",
    y: "decisionsPerSec",
    color: "policy",
    xTitle: "CPUs",
    yTitle: "Decisions (1/s)",
    width: 240,
  });
  const right = latencyCdf(CDF_ROWS, {
    title: "Right",
    latency: "latencyUs",
    fraction: "fraction",
    series: "policy",
    width: 240,
  });
  const spec = concatCharts([left, right], { title: "Side by side" });
  assert.ok("hconcat" in spec);
  for (const part of spec.hconcat) {
    assert.ok(!("$schema" in part) && !("config" in part));
  }
  const svg = await svgOf(spec);
  assert.ok(svg.includes("Side by side") && svg.includes("Left") && svg.includes("Right"));
  const stacked = concatCharts([left, right], { title: "Stacked", direction: "vertical" });
  assert.ok("vconcat" in stacked);
  await svgOf(stacked);
});

Deno.test("builders give the same JSON for the same rows", () => {
  const build = () =>
    JSON.stringify(latencyVsThroughput(LATENCY_ROWS, {
      title: "Same",
      x: "rps",
      y: "p99Us",
      series: "policy",
      thresholdUs: SATURATION_US,
    }));
  assert.equal(build(), build());
  const spec = JSON.parse(build());
  assert.deepEqual(Object.keys(spec), [
    "$schema",
    "title",
    "width",
    "height",
    "data",
    "layer",
    "config",
  ]);
});

Deno.test("builders reject field names Vega-Lite would read as paths", () => {
  const rows = [{ "a.b": 1, y: 2, s: "x" }];
  assert.throws(
    () => lineChart(rows, { title: "T", x: "a.b", y: "y", color: "s", xTitle: "X", yTitle: "Y" }),
    TypeError,
  );
});
