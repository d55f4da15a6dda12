import assert from "node:assert/strict";
import type { PointSpec } from "./point.ts";
import { type PointProgress, runPoints } from "./point_pool.ts";

function scalability(workers: number): PointSpec {
  return {
    kind: "scalability",
    policy: "sol",
    workers,
    machine: "haswell2s",
    windowNs: 1_000_000,
    costs: "paper-fig5",
    topologyCosts: "fig5",
  };
}

Deno.test("runPoints runs a point equal to an earlier one once and shares its outcome", async () => {
  const specs = [scalability(2), scalability(3), scalability(2), scalability(2)];
  const progress: PointProgress[] = [];
  const { outcomes, keys, cached } = await runPoints(specs, {
    jobs: 2,
    cacheDir: null,
    onProgress: (p) => progress.push(p),
  });
  assert.deepEqual(keys[0], keys[2]);
  assert.deepEqual(keys[0], keys[3]);
  assert.notEqual(keys[0], keys[1]);
  assert.deepEqual(cached, 0);
  assert.deepEqual(progress.filter((p) => !p.cached).length, 2, "two distinct points ran");
  assert.deepEqual(progress.map((p) => p.done), [1, 2, 3, 4]);
  assert.ok(Math.abs(progress.at(-1)!.costLeft) < 1e-9);
  assert.equal(outcomes[2], outcomes[0]);
  assert.equal(outcomes[3], outcomes[0]);
  assert.notEqual(outcomes[1], outcomes[0]);
});

Deno.test("runPoints counts the copies of a cached point as cached", async () => {
  const cacheDir = await Deno.makeTempDir();
  try {
    const specs = [scalability(2), scalability(2), scalability(3)];
    const first = await runPoints(specs, { jobs: 1, cacheDir });
    assert.equal(first.cached, 0);
    assert.equal([...Deno.readDirSync(cacheDir)].length, 2, "one entry per distinct point");
    const progress: PointProgress[] = [];
    const second = await runPoints(specs, {
      jobs: 1,
      cacheDir,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(second.cached, 3);
    assert.ok(progress.every((p) => p.cached));
    assert.deepEqual(second.outcomes.map((o) => o.result), first.outcomes.map((o) => o.result));
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
