/**
 * Every figure draws only what happened: at the `test` scale, each figure's
 * points are run, and its chart is checked against its rows (the CSV) and
 * the runs. The chart's data are the rows; a latency distribution is drawn
 * as steps, never as lines through latencies no request had; a window with
 * no request is a gap (null), never a p99 of 0; every mark that is not a
 * row (a saturation rule, a blackout band) comes from the rows or the runs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type PointResult, runPoint, stableJson } from "../reports/bench/point.ts";
import { type FigureContext, type Row, saturation } from "../reports/figures/figure.ts";
import { FIGURES } from "../reports/figures/registry.ts";
import { SATURATION_US } from "../reports/render/charts.ts";
import type { TimelineRow } from "../core/metrics/timeline.ts";

const CONTEXT: FigureContext = { suite: "test", seed: 1 };

/** Every figure's results, each distinct point run once. */
function runAll(): Map<string, PointResult[]> {
  const done = new Map<string, PointResult>();
  const byFigure = new Map<string, PointResult[]>();
  for (const figure of FIGURES) {
    byFigure.set(
      figure.name,
      figure.points(CONTEXT).map((spec) => {
        const key = stableJson(spec);
        let result = done.get(key);
        if (result === undefined) {
          result = runPoint(spec).result;
          done.set(key, result);
        }
        return result;
      }),
    );
  }
  return byFigure;
}

/** Every `data.values` array of a spec: the top level's first, then the nested ones. */
function dataArrays(spec: unknown): { path: string; values: Record<string, unknown>[] }[] {
  const found: { path: string; values: Record<string, unknown>[] }[] = [];
  const walk = (node: unknown, path: string) => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      node.forEach((child, i) => walk(child, `${path}[${i}]`));
      return;
    }
    const object = node as Record<string, unknown>;
    const data = object.data as { values?: Record<string, unknown>[] } | undefined;
    if (data?.values !== undefined) found.push({ path, values: data.values });
    for (const [key, child] of Object.entries(object)) {
      if (key !== "data" && key !== "config") walk(child, `${path}.${key}`);
    }
  };
  walk(spec, "");
  return found;
}

/** Every mark definition of a spec (objects under a `mark` key, or mark names). */
function marks(spec: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(walk);
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      if (key === "mark") found.push(typeof child === "string" ? { type: child } : child as never);
      else if (key !== "data") walk(child);
    }
  };
  walk(spec);
  return found;
}

/** The rows a chart draws, without the helper index a table adds. */
function withoutTableIndex(values: Record<string, unknown>[]): Record<string, unknown>[] {
  return values.map(({ tableRow: _, ...row }) => row);
}

Deno.test({
  name: "every figure draws its rows and what its runs measured, nothing else",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const results = runAll();
    const figure = (name: string) => {
      const definition = FIGURES.find((f) => f.name === name)!;
      const points = results.get(name)!;
      const rows = definition.rows(points, CONTEXT);
      return { definition, points, rows, spec: definition.chart(rows, CONTEXT, points) };
    };

    await t.step("each chart draws rows of the figure (its CSV), not values of its own", () => {
      for (const definition of FIGURES) {
        const { rows, spec } = figure(definition.name);
        assert.ok(rows.length > 0, `${definition.name} has rows`);
        const keys = Object.keys(rows[0]!).sort().join(",");
        const text = new Set(rows.map((row) => stableJson(row)));
        const drawn = new Set<string>();
        for (const { path, values } of dataArrays(spec)) {
          const cells = withoutTableIndex(values);
          // Rows are the arrays whose objects have the rows' keys; others are annotations.
          if (Object.keys(cells[0] ?? {}).sort().join(",") !== keys) continue;
          for (const cell of cells) {
            const json = stableJson(cell);
            assert.ok(text.has(json), `${definition.name}${path}: ${json} is not a row`);
            drawn.add(json);
          }
        }
        assert.ok(drawn.size > 0, `${definition.name}: its rows are drawn`);
      }
    });

    await t.step("the latency distribution is drawn as steps, zero tails at their floor", () => {
      const { rows, spec } = figure("latency-cdf");
      const lines = marks(spec).filter((m) => m.type === "line");
      assert.ok(lines.length > 0);
      for (const line of lines) assert.equal(line.interpolate, "step-after", "no latency invented");
      const policies = new Set(rows.map((r) => r.policy));
      for (const policy of policies) {
        const curve = rows.filter((r) => r.policy === policy);
        for (let i = 1; i < curve.length; i++) {
          assert.ok(Number(curve[i]!.latencyUs) > Number(curve[i - 1]!.latencyUs), "in order");
          assert.ok(Number(curve[i]!.slower) <= Number(curve[i - 1]!.slower), "non-increasing");
        }
        const floors = curve.filter((r) => r.floor === true);
        assert.equal(floors.length, 1, `${policy}: the slowest request, marked`);
        const last = curve.at(-1)!;
        assert.equal(last.floor, true);
        assert.equal(last.slower, 0, "no request is slower than the slowest");
        assert.equal(last.slowerDrawn, 1 / Number(last.requests), "drawn at 1/N");
        for (const row of curve.slice(0, -1)) assert.equal(row.slowerDrawn, row.slower);
      }
    });

    await t.step("a time window with no request is a gap, not a p99 of 0", () => {
      const { rows, points, spec } = figure("disruption");
      assert.ok(rows.every((r) => r.getP99Us === null || Number(r.getP99Us) > 0));
      const gaps = rows.filter((r) => r.getP99Us === null);
      assert.ok(gaps.some((r) => r.scenario === "reboot"), "the reboot leaves gaps");
      // A gap is exactly a window in which no Get arrived. Scenarios come in point order.
      const scenarios = [...new Set(rows.map((r) => r.scenario))];
      assert.equal(scenarios.length, points.length);
      for (const [i, point] of points.entries()) {
        if (point.kind !== "run") throw new Error("run expected");
        const windows = point.run.timeSeries!.rows;
        const scenario = scenarios[i];
        const drawn = rows.filter((r) => r.scenario === scenario);
        assert.ok(drawn.length > 0, `scenario ${i} drawn`);
        for (const row of drawn) {
          const atMs: number = eventMs(point) + Number(row.tMs);
          const match: TimelineRow | undefined = windows.find((w) =>
            Math.abs(w.tUs / 1000 - atMs) < 1e-6
          );
          assert.ok(match !== undefined, `${scenario} ${row.tMs} ms is a window of the run`);
          assert.equal(row.getP99Us, match.types!.get!.p99Us);
          assert.equal(row.throughputRps, match.throughputRps);
        }
      }
      const bands = dataArrays(spec).filter((d) => "start" in (d.values[0] ?? {}));
      assert.ok(bands.length > 0, "blackouts are shaded");
      for (const band of bands) {
        for (const value of band.values) {
          assert.ok(Number(value.end) > Number(value.start), JSON.stringify(value));
        }
      }
    });

    await t.step("saturation marks lie where the rows' p99 crosses 1 ms", () => {
      for (const name of ["rocksdb-shinjuku", "rocksdb-centralized"]) {
        const { rows, spec } = figure(name);
        const marked = dataArrays(spec).filter((d) => "slot" in (d.values[0] ?? {}));
        assert.ok(marked.length > 0, `${name}: saturation is marked`);
        for (const { values } of marked) {
          for (const mark of values) {
            const curve = rows.filter((r) => r.policy === mark.series && r.type === "All")
              .sort((a, b) => Number(a.offeredLoad) - Number(b.offeredLoad))
              .map((r: Row) => ({
                throughput: Number(r.throughput),
                p99: Number(r.p99Us),
              }));
            const expected = saturation(curve, SATURATION_US);
            assert.ok(expected !== null, `${name}: ${mark.series} saturates`);
            assert.equal(mark.throughput, Math.round(expected));
          }
        }
      }
    });

    await t.step("every number drawn in a sweep is its run's measurement", () => {
      const { rows, points } = figure("rocksdb-shinjuku");
      for (const row of rows) {
        const run = points.map((p) => p.kind === "run" ? p.run : null).find((r) =>
          r !== null && r.config.policy === row.policy && r.config.load === row.offeredLoad
        );
        assert.ok(run, `${row.policy} at ${row.offeredLoad}`);
        const latency = row.type === "Get" ? run.latencyUs.get! : run.latencyUs.all!;
        assert.equal(row.p99Us, Math.round(latency.p99 * 1000) / 1000);
        assert.equal(row.throughput, Math.round(run.throughputRps * 10) / 10);
      }
    });
  },
});

/** The event time of a disruption run, ms. */
function eventMs(point: PointResult): number {
  if (point.kind !== "run") throw new Error("run expected");
  return point.run.lifecycleEvents[0]!.atUs / 1000;
}
