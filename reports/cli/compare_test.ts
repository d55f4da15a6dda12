import assert from "node:assert/strict";
import { InputError } from "../../core/errors.ts";
import { compare, formatComparison, runCompare } from "./compare.ts";

function run(throughputRps: number, p50: number, p99: number, load = 1000) {
  return {
    config: { workload: "synthetic", load, durationNs: 2_000_000_000 },
    throughputRps,
    latencyUs: { all: { count: 10, p50, p99 } },
  };
}

/** A bench summary: one run point per load of a figure, and a claim. */
function summary(points: [number, number, number][], holds: boolean) {
  return {
    suite: "test",
    seed: 1,
    points: points.map(([load, rps, p99]) => ({
      figure: "sweep",
      spec: { kind: "run", config: { policy: "shinjuku", load } },
      result: { kind: "run", run: run(rps, 10, p99, load) },
    })),
    claims: [{ figure: "sweep", claim: "it saturates late", holds, evidence: {} }],
  };
}

Deno.test("compare gives each metric of two runs with its relative change", () => {
  const result = compare(run(1000, 10, 20), run(900, 10, 30));
  assert.equal(result.a.kind, "run");
  assert.deepEqual(result.points[0]!.metrics.map((m) => [m.metric, m.a, m.b, m.changePct]), [
    ["throughput", 1000, 900, -10],
    ["p50", 10, 10, 0],
    ["p99", 20, 30, 50],
  ]);
  assert.equal(result.regressions, 0, "no threshold, no regression");
  assert.deepEqual(result.configChanges, []);
});

Deno.test("compare flags a p99 up or a throughput down beyond --fail-above, not a p50", () => {
  const slower = compare(run(1000, 10, 20), run(1000, 30, 21), { failAbovePct: 10 });
  assert.equal(slower.regressions, 0, "p99 +5% and p50 +200% are below the gate");
  const worse = compare(run(1000, 10, 20), run(880, 10, 23), { failAbovePct: 10 });
  assert.deepEqual(worse.points[0]!.metrics.filter((m) => m.regression).map((m) => m.metric), [
    "throughput",
    "p99",
  ]);
  const better = compare(run(1000, 10, 20), run(1500, 10, 5), { failAbovePct: 10 });
  assert.equal(better.regressions, 0, "improvements are no regressions");
  const fromZero = compare(run(1000, 10, 0), run(1000, 10, 1), { failAbovePct: 10 });
  assert.equal(fromZero.points[0]!.metrics[2]!.changePct, null);
  assert.equal(fromZero.regressions, 1);
});

Deno.test("compare names the configuration keys two runs differ in", () => {
  const result = compare(run(1000, 10, 20, 1000), run(1000, 10, 20, 2000));
  assert.deepEqual(result.configChanges, ["load: 1000 -> 2000"]);
  assert.match(formatComparison(result), /configuration: load: 1000 -> 2000/);
});

Deno.test("compare matches the points of two reports by configuration and lists the rest", () => {
  const a = summary([[100, 100, 20], [200, 200, 40]], true);
  const b = summary([[200, 150, 80], [300, 300, 60]], false);
  const result = compare(a, b, { failAbovePct: 5 });
  assert.deepEqual(result.points.map((p) => [p.point, p.in]), [
    ["sweep load=100", "A"],
    ["sweep load=200", "both"],
    ["sweep load=300", "B"],
  ]);
  assert.equal(result.regressions, 2);
  assert.deepEqual(result.claims, [{
    figure: "sweep",
    claim: "it saturates late",
    a: true,
    b: false,
  }]);
  const text = formatComparison(result);
  assert.match(
    text,
    /sweep load=200\n {2}throughput \(req\/s\) +200\.0 +150\.0 +-25\.0% {2}regression/,
  );
  assert.match(text, /only in A: sweep load=100/);
  assert.match(text, /only in B: sweep load=300/);
  assert.match(text, /holds -> FAILS {2}sweep: it saturates late/);
  assert.match(text, /1 point\(s\) compared; 2 regression\(s\) above 5%/);
});

Deno.test("compare refuses a run against a report, and what is neither", () => {
  assert.throws(() => compare(run(1, 1, 1), summary([], true)), InputError);
  assert.throws(() => compare({ hello: 1 }, run(1, 1, 1)), /expected a 'run --json' output/);
});

Deno.test("runCompare exits 1 on a regression with --fail-above, 0 without one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench-compare-" });
  try {
    await Deno.writeTextFile(`${dir}/a.json`, JSON.stringify(run(1000, 10, 20)));
    await Deno.writeTextFile(`${dir}/b.json`, JSON.stringify(run(1000, 10, 30)));
    await Deno.mkdir(`${dir}/report`);
    await Deno.writeTextFile(`${dir}/report/summary.json`, JSON.stringify(summary([], true)));
    let text = "";
    const io = { out: (t: string) => text += t };
    assert.equal(await runCompare([`${dir}/a.json`, `${dir}/b.json`], io), 0);
    assert.match(text, /p99 \(us\) +20\.00 +30\.00 +\+50\.0%/);
    assert.equal(
      await runCompare([`${dir}/a.json`, `${dir}/b.json`, "--fail-above", "10%"], io),
      1,
    );
    assert.equal(await runCompare([`${dir}/a.json`, `${dir}/b.json`, "--fail-above", "60"], io), 0);
    text = "";
    assert.equal(await runCompare([`${dir}/report`, `${dir}/report`, "--json"], io), 0);
    assert.equal(JSON.parse(text).a.kind, "report");
    await assert.rejects(() => runCompare([`${dir}/a.json`], io), /needs two inputs/);
    await assert.rejects(
      () => runCompare([`${dir}/a.json`, `${dir}/report`], io),
      /Cannot compare/,
    );
    await assert.rejects(
      () => runCompare([`${dir}/a.json`, `${dir}/nope.json`], io),
      /no such file/,
    );
    await assert.rejects(
      () => runCompare([`${dir}/a.json`, `${dir}/b.json`, "--fail-above", "lots"], io),
      /Bad --fail-above "lots"/,
    );
    await assert.rejects(
      () => runCompare([`${dir}/a.json`, `${dir}/b.json`, "--fail-above=-1"], io),
      /Bad --fail-above "-1"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
