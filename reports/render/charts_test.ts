import assert from "node:assert/strict";
import type { TopLevelSpec } from "vega-lite";
import {
  CHART_FONT,
  complementaryCdf,
  concatCharts,
  groupedBars,
  latencyVsThroughput,
  lineChart,
  SATURATION_US,
  textTable,
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

const CDF_ROWS = ["cfs", "shinjuku", "sol"].flatMap((policy) =>
  [5, 10, 50, 200, 900].map((us, i) => ({
    policy,
    latencyUs: us,
    slower: i === 4 ? 0.001 : 1 - (i + 1) / 5,
    floor: i === 4,
  }))
);

const TIME_ROWS = ["agent crash", "upgrade"].flatMap((scenario) =>
  Array.from({ length: 10 }, (_, t) => ({
    scenario,
    timeMs: t * 10,
    rps: t >= 4 && t < 6 ? 20_000 : 90_000,
    // An empty window has no latency: a gap, never a 0.
    p99Us: t === 5 ? null : t === 4 ? 3000 : 60,
  }))
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
    threshold: SATURATION_US,
    thresholdLabel: "1 ms",
    notes: ["Dotted verticals: saturation"],
    saturation: [{ series: "cfs", throughput: 60_000 }, { series: "shinjuku", throughput: 90_000 }],
  });
  const svg = await svgOf(spec);
  assert.ok(svg.includes("mark-line"));
  assert.ok(svg.includes("mark-symbol"));
  assert.equal(count(svg, "mark-rule role-mark"), 1 + 1, "threshold and saturation rule layers");
  assert.ok(svg.includes("RocksDB p99 &amp; throughput"));
  assert.ok(svg.includes("p99 latency (µs)"));
  assert.ok(svg.includes("Achieved throughput (req/s)"));
  assert.ok(svg.includes("1 ms"), "the threshold's label");
  assert.ok(svg.includes(">cfs: 60k<") && svg.includes(">shinjuku: 90k<"), "saturation labels");
  assert.ok(svg.includes("Dotted verticals: saturation"), "the notes explain the marks");
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
  const x = lines.encoding?.x;
  assert.ok(x !== undefined && "scale" in x);
  assert.deepEqual(x.scale, { zero: false }, "x domain from the data");
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

Deno.test("complementaryCdf draws steps, one panel per series, zero tails marked", async () => {
  const spec = complementaryCdf(CDF_ROWS, {
    title: "Latency tails",
    latency: "latencyUs",
    slower: "slower",
    series: "policy",
    floor: "floor",
    columns: 2,
    quantileRule: { slower: 0.01, label: "p99" },
  });
  const svg = await svgOf(spec);
  // Each of 3 panels: the other 2 series in grey and its own.
  assert.equal(count(svg, 'aria-roledescription="line mark"'), 3 * 3);
  assert.ok(svg.includes(">cfs<") && svg.includes(">shinjuku<") && svg.includes(">sol<"));
  assert.ok(svg.includes(">p99<"));
  assert.ok("vconcat" in spec && spec.vconcat.length === 2, "2 rows of at most 2 panels");
  const json = JSON.stringify(spec);
  assert.ok(!json.includes('"interpolate":"linear"'));
  assert.equal(count(json, '"interpolate":"step-after"'), 2 * 3, "every line is drawn as steps");
  assert.equal(count(json, '"shape":"triangle-down"'), 3, "a floor marker per panel");
});

Deno.test("timeSeries draws a row per scenario, shared domains, bands and gaps", async () => {
  const spec = timeSeries(TIME_ROWS, {
    title: "Disruption",
    time: "timeMs",
    throughput: "rps",
    latency: "p99Us",
    panel: "scenario",
    timeDomain: [0, 90],
    bands: [{ panel: "agent crash", start: 40, end: 60, label: "blackout 20 ms" }],
  });
  const svg = await svgOf(spec);
  assert.ok(svg.includes("agent crash") && svg.includes("upgrade"));
  assert.equal(count(svg, ">blackout 20 ms<"), 1, "the band's label on its panel only");
  assert.equal(count(svg, 'aria-roledescription="line mark"'), 2 * 2, "2 rows × 2 plots");
  assert.ok(svg.includes("Throughput (req/s)") && svg.includes("Time (ms)"));
  assert.ok("vconcat" in spec && spec.vconcat.length === 2);
  const json = JSON.stringify(spec);
  assert.ok(!json.includes('"gt":0'), "no filter joins the line across an empty window");
  // Every plot has the same domains.
  const domains = [...json.matchAll(/"domain":(\[[^\]]*\])/g)].map((m) => m[1]);
  assert.deepEqual(new Set(domains), new Set(["[0,90]", "[0,90000]", "[60,3000]"]));
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
        timeDomain: [0, 1],
      }),
    TypeError,
  );
});

Deno.test("textTable draws a header and a row of cells per row", async () => {
  const spec = textTable([
    { op: "local schedule", paper: 888, emulated: 888 },
    { op: "remote schedule", paper: 1772, emulated: 1771.5 },
  ], {
    title: "Costs",
    columns: [
      { field: "op", title: "Operation", width: 140 },
      { field: "paper", title: "Paper (ns)", width: 80, alignRight: true, format: ",.0f" },
      { field: "emulated", title: "Emulated (ns)", width: 90, alignRight: true, format: ",.1f" },
    ],
  });
  const svg = await svgOf(spec);
  assert.ok(svg.includes(">Operation<") && svg.includes(">Emulated (ns)<"));
  assert.ok(svg.includes(">remote schedule<") && svg.includes(">1,772<"));
  assert.ok(svg.includes(">1,771.5<"));
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
  const right = lineChart(SCALABILITY_ROWS, {
    title: "Right",
    x: "cpus",
    y: "decisionsPerSec",
    color: "policy",
    xTitle: "CPUs",
    yTitle: "Decisions (1/s)",
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
      threshold: SATURATION_US,
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
