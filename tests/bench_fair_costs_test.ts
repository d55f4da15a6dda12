/**
 * `bench --fair` and `bench --costs`: the flags reach every point, a cost
 * profile file's content (not only its name) keys the cache, and bad values
 * are one-line input errors. Runs `ghostbench bench` as a process, at the
 * smallest scale (the microbenchmark figure, or bad input).
 *
 * @module
 */

import assert from "node:assert/strict";
import { PAPER_COSTS } from "../core/cost_profile.ts";
import { runSpec } from "../reports/figures/figure.ts";
import { sweepPoints, sweepRows } from "../reports/figures/_rocksdb_sweep.ts";
import { ROCKSDB_SHINJUKU_FIGURE } from "../reports/figures/rocksdb_shinjuku.ts";
import type { PointResult } from "../reports/bench/point.ts";
import { ghostbench, type ProcessOutput } from "./_process.ts";

function bench(args: string[]): Promise<ProcessOutput> {
  return ghostbench("bench", args);
}

Deno.test("runSpec puts the context's fair class and cost profile in every run point", () => {
  const plain = runSpec({ suite: "test", seed: 1 }, { policy: "cfs" });
  assert.ok(
    plain.kind === "run" && plain.config.fair === undefined && plain.config.costs === "paper",
  );
  const eevdf = runSpec({ suite: "test", seed: 1, fair: "eevdf", costs: "/x/host.json" }, {
    policy: "shinjuku",
  });
  assert.ok(eevdf.kind === "run");
  assert.equal(eevdf.config.fair, "eevdf");
  assert.equal(eevdf.config.costs, "/x/host.json");
});

Deno.test("The RocksDB figure runs an EEVDF series beside CFS, unless the whole bench runs EEVDF", () => {
  const fairs = (context: Parameters<typeof ROCKSDB_SHINJUKU_FIGURE.points>[0]) =>
    ROCKSDB_SHINJUKU_FIGURE.points(context).map((p) => p.kind === "run" ? p.config.fair : "-");
  const quick = fairs({ suite: "quick", seed: 1 });
  assert.equal(quick.filter((f) => f === "eevdf").length, 9, "CFS's 9 loads under EEVDF");
  const all = fairs({ suite: "quick", seed: 1, fair: "eevdf" });
  assert.ok(all.every((f) => f === "eevdf"), "every point under EEVDF, no extra series");
  assert.equal(all.length, quick.length - 9);
  assert.ok(fairs({ suite: "test", seed: 1 }).every((f) => f === undefined));
});

Deno.test("sweepRows names the CFS policy under EEVDF eevdf only when asked", () => {
  const [spec] = sweepPoints({ suite: "test", seed: 1, fair: "eevdf" }, [
    { policy: "cfs", loads: [1000] },
  ], {});
  assert.ok(spec?.kind === "run");
  const latency = { p50: 1, p99: 2, p99_9: 3, count: 4 };
  const result = {
    kind: "run",
    run: {
      config: spec.config,
      throughputRps: 1000,
      latencyUs: { all: latency, get: latency },
      lost: 0,
    },
  } as unknown as PointResult;
  assert.equal(sweepRows([result], "f")[0]!.policy, "cfs");
  assert.equal(sweepRows([result], "f", { fairLabels: true })[0]!.policy, "eevdf");
});

Deno.test("bench rejects a bad --fair or --costs with one line and exit 2", async () => {
  const root = await Deno.makeTempDir({ prefix: "ghostbench-fair-" });
  try {
    Deno.writeTextFileSync(`${root}/bad.json`, "{}");
    const cases: [string[], RegExp][] = [
      [["--fair", "bfs"], /Unknown fair class "bfs"/],
      [["--costs", "nope"], /Unknown cost profile "nope" for --costs/],
      [["--costs", `${root}/bad.json`], /bad\.json/],
      [["--costs", `${root}/missing.json`], /missing\.json/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await bench([...args, "--suite", "test", "--out", `${root}/out`]);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, /^ghostbench: [^\n]+\n$/, stderr);
      assert.match(stderr, message);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench --costs FILE runs the microbenchmark with the file's costs, keyed by its content", async () => {
  const root = await Deno.makeTempDir({ prefix: "ghostbench-costs-" });
  try {
    const file = `${root}/host.json`;
    const write = (localSchedule: number) =>
      Deno.writeTextFileSync(file, JSON.stringify({ ...PAPER_COSTS, name: "host", localSchedule }));
    const emulated = () => {
      const csv = Deno.readTextFileSync(`${root}/out/microbench.csv`);
      const line = csv.split("\n").find((l) => l.includes("local schedule"))!;
      return Number(line.split(",")[3]);
    };
    const args = [
      "--suite",
      "test",
      "--only",
      "microbench",
      "--costs",
      file,
      "--out",
      `${root}/out`,
    ];
    write(2000);
    const first = await bench(args);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(emulated(), 2000, "the file's local schedule cost");
    const settings = Deno.readTextFileSync(`${root}/out/index.html`);
    assert.ok(settings.includes("host.json (bench --costs)"), "the settings name the file");
    write(3000); // same name, new content: the cached point is stale
    const second = await bench(args);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(emulated(), 3000);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench --shard carries --fair and --costs to merge, which refuses mixed shards", async () => {
  const root = await Deno.makeTempDir({ prefix: "ghostbench-shard-costs-" });
  try {
    const file = `${root}/host.json`;
    Deno.writeTextFileSync(
      file,
      JSON.stringify({ ...PAPER_COSTS, name: "host", localSchedule: 2500 }),
    );
    const common = ["--suite", "test", "--only", "microbench", "--fair", "eevdf", "--costs", file];
    for (const index of [1, 2]) {
      const run = await bench([...common, "--shard", `${index}/2`, "--out", `${root}/s${index}`]);
      assert.equal(run.code, 0, run.stderr);
    }
    const merged = await ghostbench("merge", [`${root}/s1`, `${root}/s2`, "--out", `${root}/m`]);
    assert.equal(merged.code, 0, merged.stderr);
    const csv = Deno.readTextFileSync(`${root}/m/microbench.csv`);
    assert.match(csv, /local schedule,888,2500,/);
    const html = Deno.readTextFileSync(`${root}/m/index.html`);
    assert.ok(html.includes("eevdf (bench --fair)") && html.includes("host.json (bench --costs)"));
    // A second shard 2 run without --fair: not the same run.
    const other = await bench([
      ...common.slice(0, 4),
      "--costs",
      file,
      "--shard",
      "2/2",
      "--out",
      `${root}/s3`,
    ]);
    assert.equal(other.code, 0, other.stderr);
    const mixed = await ghostbench("merge", [`${root}/s1`, `${root}/s3`, "--out", `${root}/x`]);
    assert.equal(mixed.code, 2, mixed.stderr);
    assert.match(mixed.stderr, /Shards of different runs/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
