import assert from "node:assert/strict";
import { Timeline } from "./timeline.ts";

const MS = 1_000_000;

Deno.test("Timeline gives a window with no arrival no latency (null), never 0", () => {
  const timeline = new Timeline(1 * MS);
  timeline.record(0.5 * MS, 20_000);
  timeline.record(2.5 * MS, 40_000);
  const rows = timeline.rows(3 * MS);
  assert.equal(rows.length, 3);
  assert.ok(rows[0]!.p99Us !== null && Math.abs(rows[0]!.p99Us - 20) < 2);
  assert.equal(rows[1]!.p99Us, null);
  assert.equal(rows[1]!.p50Us, null);
  assert.equal(rows[1]!.throughputRps, 0, "no completion is a measured 0");
  assert.ok(rows[2]!.p99Us !== null && Math.abs(rows[2]!.p99Us - 40) < 4);
  assert.equal(rows[0]!.types, undefined, "no per-type percentiles unless types are named");
});

Deno.test("Timeline keeps each named type's percentiles apart", () => {
  const timeline = new Timeline(1 * MS, { types: ["get", "range"] });
  for (let i = 0; i < 99; i++) timeline.record(0.1 * MS + i, 10_000, 0);
  timeline.record(0.2 * MS, 5 * MS, 1);
  timeline.record(1.5 * MS, 12_000, 0);
  const [first, second] = timeline.rows(2 * MS);
  // 100 requests: the Range is the p99 of all, not of the Gets.
  assert.ok(first!.p99Us! > 4000, `all: ${first!.p99Us}`);
  assert.ok(Math.abs(first!.types!.get!.p99Us! - 10) < 1, `get: ${first!.types!.get!.p99Us}`);
  assert.ok(first!.types!.range!.p99Us! > 4000);
  assert.ok(second!.types!.get!.p99Us !== null);
  assert.equal(second!.types!.range!.p99Us, null, "no Range arrived in the second window");
  // The Range finishes after the rows end: 100 completions in them.
  assert.equal(first!.throughputRps + second!.throughputRps, 100 * 1000);
});
