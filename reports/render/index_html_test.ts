import assert from "node:assert/strict";
import { renderIndexHtml, type ReportFigure, settingLabel } from "./index_html.ts";

const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><g id="a"></g></svg>';

Deno.test("renderIndexHtml shows each claim's source and counts calibration checks apart", () => {
  const figures: ReportFigure[] = [{
    name: "microbench",
    title: "Microbenchmarks",
    caption: "Costs.",
    settings: {},
    svg: SVG,
    claims: [
      {
        claim: "local schedule composes",
        kind: "calibration",
        source: "paper: SOSP'21 §4.1, Table 3 line 3, p.596",
        holds: true,
        evidence: "888 ns",
      },
      {
        claim: "end to end composes",
        kind: "calibration",
        source: "paper: SOSP'21 §4.1, Table 3 line 6, p.596",
        holds: false,
        evidence: "1900 ns",
      },
    ],
  }, {
    name: "rocksdb",
    title: "RocksDB",
    caption: "Saturation.",
    settings: {},
    svg: SVG,
    claims: [{
      claim: "shinjuku saturates 2x later",
      source: "reference-runs: google/ghost-userspace issue #9",
      holds: true,
      evidence: "ratio 2.2",
    }],
  }];
  const html = renderIndexHtml({ suite: "quick", seed: 1, figures });
  assert.ok(html.includes("1 of 1 claim hold · 1 of 2 calibration checks pass"), "apart");
  assert.ok(html.includes("<th>source</th>"));
  assert.ok(html.includes("SOSP&#39;21 §4.1, Table 3 line 3, p.596"));
  assert.ok(html.includes("reference-runs: google/ghost-userspace issue #9"));
  assert.equal(html.split('<tr class="calibration">').length - 1, 2, "calibration rows marked");
  assert.equal(html.split('<span class="tag">calibration</span>').length - 1, 2);
});

Deno.test("settingLabel turns a setting's key into words with its unit", () => {
  assert.equal(settingLabel("durationS"), "duration (s)");
  assert.equal(settingLabel("eventAtS"), "event at (s)");
  assert.equal(settingLabel("warmupS"), "warm-up (s)");
  assert.equal(settingLabel("restartDelayMs"), "restart delay (ms)");
  assert.equal(settingLabel("threadsPerCpu"), "threads per CPU");
  assert.equal(settingLabel("cpus"), "CPUs");
  assert.equal(settingLabel("qps"), "QPS");
  assert.equal(settingLabel("loads"), "loads");
  assert.equal(settingLabel("S"), "s");
});
