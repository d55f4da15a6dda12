import assert from "node:assert/strict";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { InputError } from "../../core/errors.ts";
import { groupedBars, lineChart } from "./charts.ts";
import { renderIndexHtml, type ReportFigure } from "./index_html.ts";
import { renderPng, renderSvg } from "./render.ts";
import { toCsv } from "./csv.ts";
import { ensureWritableDir, writeFileAtomic } from "./write_files.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const SPEC = lineChart(
  [1, 2, 4, 8].flatMap((cpus) => [
    { policy: "sol", cpus, rate: cpus * 1e6 },
    { policy: "shinjuku", cpus, rate: cpus * 5e5 },
  ]),
  {
    title: "Scalability",
    x: "cpus",
    y: "rate",
    color: "policy",
    xTitle: "CPUs",
    yTitle: "Decisions (1/s)",
  },
);

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const data = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: data.getUint32(16), height: data.getUint32(20) };
}

function svgSize(svg: string): { width: number; height: number } {
  const match = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  assert.ok(match !== null, "SVG has a width and a height");
  return { width: Number(match[1]), height: Number(match[2]) };
}

function pointChart(label: string): TopLevelSpec {
  return {
    data: { values: [{ name: label, v: 1 }] },
    mark: "point",
    encoding: {
      x: { field: "v", type: "quantitative" },
      y: { field: "name", type: "nominal" },
    },
    config: { font: "DejaVu Sans" },
  };
}

Deno.test("renderSvg gives byte-identical SVG for the same spec", async () => {
  const first = await renderSvg(SPEC);
  const second = await renderSvg(structuredClone(SPEC));
  assert.ok(first.startsWith("<svg") && first.includes("mark-line"));
  assert.equal(first, second);
});

Deno.test("renderSvg measures text with the bundled font, not a per-character guess", async () => {
  const wide = svgSize(await renderSvg(pointChart("WWWWWWWWWWWW"))).width;
  const narrow = svgSize(await renderSvg(pointChart("iiiiiiiiiiii"))).width;
  assert.ok(wide - narrow > 60, `"W" labels widen the chart: ${wide} vs ${narrow}`);
});

Deno.test("renderSvg throws on a Vega-Lite warning unless strict is off", async () => {
  const spec: TopLevelSpec = {
    data: { values: [{ a: 1, b: "x" }] },
    mark: "point",
    encoding: { x: { field: "a", type: "quantitative", scale: { type: "ordinal" } } },
  };
  await assert.rejects(() => renderSvg(spec), /does not work with "ordinal" scale/);
  assert.ok((await renderSvg(spec, { strict: false })).startsWith("<svg"));
});

Deno.test("renderPng gives a PNG of the requested size, byte-identical across runs", async () => {
  const svg = await renderSvg(SPEC);
  const size = svgSize(svg);
  const png = renderPng(svg, { width: 600 });
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  assert.deepEqual(pngSize(png), {
    width: 600,
    height: Math.round((size.height * 600) / size.width),
  });
  assert.deepEqual(renderPng(svg, { width: 600 }), png);
  assert.deepEqual(pngSize(renderPng(svg)), { width: 2 * size.width, height: 2 * size.height });
  assert.throws(() => renderPng(svg, { scale: 0 }), RangeError);
  assert.throws(() => renderPng(svg, { width: 10.5 }), RangeError);
});

Deno.test("renderPng draws text with the bundled font", () => {
  const frame = '<rect width="120" height="40" fill="white"/>';
  const text = '<text x="4" y="28" font-family="DejaVu Sans" font-size="20">Hello</text>';
  const svg = (body: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">${body}</svg>`;
  const blank = renderPng(svg(frame));
  assert.notDeepEqual(renderPng(svg(frame + text)), blank, "text changes the picture");
  const generic = text.replace("DejaVu Sans", "sans-serif");
  assert.notDeepEqual(renderPng(svg(frame + generic)), blank, "generic families map to it");
});

Deno.test("writeFileAtomic writes and replaces a file and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "figure.csv");
    await writeFileAtomic(path, "a,b\n1,2\n");
    await writeFileAtomic(path, "a,b\n3,4\n");
    await writeFileAtomic(join(dir, "figure.png"), new Uint8Array([1, 2, 3]));
    assert.equal(await Deno.readTextFile(path), "a,b\n3,4\n");
    assert.deepEqual(await Deno.readFile(join(dir, "figure.png")), new Uint8Array([1, 2, 3]));
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["figure.csv", "figure.png"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic fails in a missing directory and leaves the target untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => writeFileAtomic(join(dir, "missing", "x.csv"), "x"));
    const target = join(dir, "x.csv");
    await Deno.writeTextFile(target, "old");
    await Deno.mkdir(join(dir, "blocker.csv"));
    await assert.rejects(() => writeFileAtomic(join(dir, "blocker.csv"), "new"));
    assert.equal(await Deno.readTextFile(target), "old");
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["blocker.csv", "x.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("toCsv orders columns by first appearance and quotes as RFC 4180 says", () => {
  const rows = [
    { policy: "cfs", p99Us: 12.5, note: 'says "hi", twice' },
    { policy: "sol", p99Us: 3, extra: true, note: "line\nbreak" },
    { policy: "fifo", p99Us: null, note: undefined },
  ];
  assert.equal(
    toCsv(rows),
    'policy,p99Us,note,extra\ncfs,12.5,"says ""hi"", twice",\nsol,3,"line\nbreak",true\nfifo,,,\n',
  );
  assert.equal(
    toCsv(rows, { columns: ["note", "policy"], lineEnding: "\r\n" }).split("\r\n")[0],
    "note,policy",
  );
  assert.equal(toCsv([]), "\n");
  assert.equal(toCsv([{}, {}]), "\n\n\n");
  assert.equal(
    toCsv([{ a: "x\ry", b: false, c: -0, d: "" }, { a: "p\r\nq", b: 1e21 }], {
      lineEnding: "\r\n",
    }),
    'a,b,c,d\r\n"x\ry",false,0,\r\n"p\r\nq",1e+21,,\r\n',
  );
  assert.throws(() => toCsv([{ a: { nested: 1 } }]), TypeError);
});

Deno.test("ensureWritableDir creates missing directories", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "out", "figures");
    await ensureWritableDir(out);
    await ensureWritableDir(out);
    assert.ok((await Deno.stat(out)).isDirectory);
    const names = [];
    for await (const entry of Deno.readDir(out)) names.push(entry.name);
    assert.deepEqual(names, [], "the write probe is removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureWritableDir rejects a path under a regular file with a one-line InputError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "plain.txt");
    await Deno.writeTextFile(file, "not a directory");
    for (const path of [join(file, "out"), file]) {
      const error = await ensureWritableDir(path).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof InputError, `InputError for ${path}`);
      assert.ok(!error.message.includes("\n"), error.message);
      assert.ok(error.message.includes(path), error.message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderIndexHtml shows every figure inline with its settings, claims and links", async () => {
  const bars = groupedBars(
    [{ op: "commit", source: "measured", ns: 700 }, { op: "commit", source: "paper", ns: 725 }],
    {
      title: "Microbenchmarks",
      category: "op",
      value: "ns",
      group: "source",
      categoryTitle: "Operation",
      valueTitle: "Cost (ns)",
    },
  );
  const figures: ReportFigure[] = [
    {
      name: "scalability",
      title: "Global agent scalability",
      caption: "Decisions per second <by> enclave size.",
      settings: { cpus: "1..8", windowMs: 20 },
      svg: await renderSvg(SPEC),
      claims: [{ claim: "One agent scales", holds: true, evidence: "8M/s at 8 CPUs" }],
    },
    {
      name: "microbench",
      title: "Microbenchmarks & costs",
      caption: "Measured against the paper.",
      settings: { iterations: 1000 },
      svg: await renderSvg(bars),
      claims: [{ claim: "Commit costs < 1 µs", holds: false, evidence: "1.2 µs" }],
    },
  ];
  const html = renderIndexHtml({ suite: "quick", seed: 42, manifest: "manifest.json", figures });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.ok(!html.includes("<script") && !html.includes('rel="stylesheet"'));
  assert.equal(html.split("<svg").length - 1, 2);
  assert.ok(
    html.includes("Global agent scalability") && html.includes("Microbenchmarks &amp; costs"),
  );
  assert.ok(html.includes("&lt;by&gt;"), "captions are escaped");
  assert.ok(html.includes("quick") && html.includes("<strong>42</strong>"));
  assert.ok(html.includes("1 of 2 claims hold"));
  assert.ok(html.includes("✓") && html.includes("✗"));
  for (
    const file of ["scalability.vl.json", "scalability.csv", "scalability.png", "manifest.json"]
  ) {
    assert.ok(html.includes(`href="${file}"`), file);
  }
  assert.ok(html.includes("<td>window (ms)</td><td>20</td>"), "settings by label");
  assert.equal(
    renderIndexHtml({ suite: "quick", seed: 42, figures }),
    renderIndexHtml({ suite: "quick", seed: 42, figures }),
  );
});

Deno.test("renderIndexHtml scopes SVG ids per figure and rejects bad names", () => {
  const svg =
    '<svg><defs><clipPath id="clip1"></clipPath></defs><g clip-path="url(#clip1)"/></svg>';
  const figure = { title: "T", caption: "C", settings: {}, svg, claims: [] };
  const html = renderIndexHtml({
    suite: "s",
    seed: 1,
    figures: [{ ...figure, name: "a" }, { ...figure, name: "b" }],
  });
  assert.ok(html.includes('id="fig-a-clip1"') && html.includes("url(#fig-b-clip1)"));
  assert.ok(!html.includes('id="clip1"'));
  assert.throws(
    () => renderIndexHtml({ suite: "s", seed: 1, figures: [{ ...figure, name: "../x" }] }),
    TypeError,
  );
  assert.throws(
    () =>
      renderIndexHtml({
        suite: "s",
        seed: 1,
        figures: [{ ...figure, name: "a" }, { ...figure, name: "a" }],
      }),
    TypeError,
  );
  assert.throws(
    () => renderIndexHtml({ suite: "s", seed: 1, figures: [{ ...figure, name: "a", svg: "<p>" }] }),
    TypeError,
  );
});
