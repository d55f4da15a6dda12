import assert from "node:assert/strict";
import { MS, US } from "../units.ts";
import { Histogram } from "./histogram.ts";
import { type LatencySummary, RequestStats } from "./request_stats.ts";

const EMPTY: LatencySummary = { count: 0, mean: 0, p50: 0, p99: 0, p99_5: 0, p99_9: 0, max: 0 };

Deno.test("RequestStats ignores requests that arrived before the warm-up", () => {
  const stats = new RequestStats({ types: ["short"], warmupNs: 10 * MS });
  stats.record(0, 0, 20 * MS, 30 * MS); // finishes after the warm-up, arrived before
  stats.record(0, 10 * MS - 1, 10 * MS, 11 * MS);
  assert.equal(stats.completed, 0);
  stats.record(0, 10 * MS, 10 * MS, 11 * MS); // arrives exactly at the end of the warm-up
  assert.equal(stats.completed, 1);
  assert.equal(stats.summary().all.count, 1);
  assert.equal(stats.summary().all.max, 1000);
});

Deno.test("RequestStats records every request without a warm-up", () => {
  const stats = new RequestStats({ types: ["a"] });
  assert.equal(stats.warmupNs, 0);
  stats.record(0, 0, 0, 0);
  assert.equal(stats.completed, 1);
  assert.equal(stats.histogram(0, "total").max, 0);
});

Deno.test("RequestStats splits a request into queue, service and total stages", () => {
  const stats = new RequestStats({ types: ["only"] });
  stats.record(0, 1_000, 4_000, 9_000);
  for (const type of [0, "all"] as const) {
    assert.equal(stats.histogram(type, "queue").max, 3_000);
    assert.equal(stats.histogram(type, "service").max, 5_000);
    assert.equal(stats.histogram(type, "total").max, 8_000);
  }
  assert.equal(stats.histogram(0), stats.histogram(0, "total"));
  assert.equal(stats.summary("queue").only!.mean, 3);
  assert.equal(stats.summary("service").only!.mean, 5);
  assert.equal(stats.summary("total").only!.mean, 8);
  assert.deepEqual(stats.summary(), stats.summary("total"));
});

Deno.test("RequestStats keeps each type apart and merges them in all", () => {
  const stats = new RequestStats({ types: ["short", "long"] });
  for (let i = 0; i < 90; i++) stats.record(0, i * MS, i * MS, i * MS + 2 * US);
  for (let i = 0; i < 10; i++) stats.record(1, i * MS, i * MS + US, i * MS + 501 * US);
  const total = stats.summary("total");
  assert.deepEqual(Object.keys(total), ["all", "short", "long"]);
  assert.equal(total.short!.count, 90);
  assert.equal(total.long!.count, 10);
  assert.equal(total.all.count, 100);
  assert.equal(stats.completed, 100);
  assert.equal(total.short!.max, 2);
  assert.equal(total.long!.p50, 501);
  assert.equal(total.all.mean, (90 * 2 + 10 * 501) / 100);
  assert.ok(Math.abs(total.all.p50 - 2) <= 2 * Histogram.RELATIVE_ERROR, `${total.all.p50}`);
  assert.equal(total.all.p99, 501);
  assert.equal(total.all.max, 501);
  const queue = stats.summary("queue");
  assert.equal(queue.short!.max, 0);
  assert.equal(queue.long!.max, 1);
  assert.equal(queue.all.mean, 0.1);
});

Deno.test("RequestStats summary reports microseconds within the histogram error", () => {
  const stats = new RequestStats({ types: ["t"] });
  const totals: number[] = [];
  for (let i = 1; i <= 10_000; i++) {
    const total = i * 1_337; // ns
    totals.push(total);
    stats.record(0, 0, 0, total);
  }
  const summary = stats.summary().t!;
  const exact = (p: number) => totals[Math.min(Math.floor(totals.length * p), totals.length - 1)]!;
  assert.equal(summary.count, 10_000);
  assert.equal(summary.mean, (1_337 * 10_001) / 2 / US);
  assert.equal(summary.max, 13_370);
  const cases: [number, number][] = [
    [summary.p50, 0.5],
    [summary.p99, 0.99],
    [summary.p99_5, 0.995],
    [summary.p99_9, 0.999],
  ];
  for (const [actualUs, p] of cases) {
    const exactUs = exact(p) / US;
    assert.ok(
      Math.abs(actualUs - exactUs) <= Histogram.RELATIVE_ERROR * exactUs,
      `p=${p}: ${actualUs} µs, exact ${exactUs} µs`,
    );
  }
});

Deno.test("RequestStats summary includes types with no request as zeros", () => {
  const stats = new RequestStats({ types: ["seen", "unseen"] });
  assert.deepEqual(stats.summary("service"), { all: EMPTY, seen: EMPTY, unseen: EMPTY });
  stats.record(0, 0, 1_000, 3_000);
  const summary = stats.summary("service");
  assert.deepEqual(summary.unseen, EMPTY);
  assert.deepEqual(summary.seen, { count: 1, mean: 2, p50: 2, p99: 2, p99_5: 2, p99_9: 2, max: 2 });
});

Deno.test("RequestStats record throws on inconsistent timestamps", () => {
  const stats = new RequestStats({ types: ["a"], warmupNs: 1_000 });
  const bad: [number, number, number][] = [
    [2_000, 1_999, 3_000], // start before arrival
    [2_000, 3_000, 2_999], // finish before start
    [2_000, 1_000, 500], // both
    [100, 50, 200], // during the warm-up: still a bug
    [2_000, NaN, 3_000],
    [2_000, 2_500.5, 3_000], // not integer nanoseconds
    [2_000, 2_500, Infinity],
  ];
  for (const [arrival, start, finish] of bad) {
    assert.throws(() => stats.record(0, arrival, start, finish), RangeError);
  }
  assert.equal(stats.completed, 0);
  assert.equal(stats.histogram("all", "queue").count, 0);
});

Deno.test("RequestStats rejects an unknown type index or stage", () => {
  const stats = new RequestStats({ types: ["a", "b"] });
  for (const type of [-1, 2, 0.5, NaN]) {
    assert.throws(() => stats.record(type, 0, 0, 1), RangeError);
    assert.throws(() => stats.histogram(type, "total"), RangeError);
  }
  // @ts-expect-error: an unknown stage from untyped code
  assert.throws(() => stats.summary("wait"), RangeError);
  // @ts-expect-error: an unknown stage from untyped code
  assert.throws(() => stats.histogram(0, "wait"), RangeError);
});

Deno.test("RequestStats constructor rejects bad type names and warm-ups", () => {
  for (const types of [[], ["a", "a"], ["all"], [""]]) {
    assert.throws(() => new RequestStats({ types }), RangeError, JSON.stringify(types));
  }
  for (const warmupNs of [-1, 0.5, NaN, Infinity]) {
    assert.throws(() => new RequestStats({ types: ["a"], warmupNs }), RangeError);
  }
  const types = ["x", "y"];
  const stats = new RequestStats({ types });
  types.push("z");
  assert.deepEqual(stats.types, ["x", "y"], "keeps its own copy of the names");
});
