import assert from "node:assert/strict";
import { EtaEstimator, formatSeconds, progressDisplay } from "./progress.ts";

/**
 * A pool of `jobs` workers running points longest first, each taking `speed`
 * seconds per unit of cost (give or take 20 %): the ETA after each point,
 * and the time really left then.
 */
function simulate(costs: number[], jobs: number, speed: number): { eta: number; left: number }[] {
  const order = [...costs].sort((a, b) => b - a);
  const freeAt = new Array<number>(jobs).fill(0);
  const ends: { end: number; cost: number; seconds: number }[] = [];
  order.forEach((cost, i) => {
    const worker = freeAt.indexOf(Math.min(...freeAt));
    const seconds = cost * speed * (1 + 0.2 * Math.sin(i * 7.3));
    freeAt[worker] = freeAt[worker]! + seconds;
    ends.push({ end: freeAt[worker]!, cost, seconds });
  });
  ends.sort((a, b) => a.end - b.end);
  const total = ends.at(-1)!.end;
  const estimator = new EtaEstimator(jobs);
  let costLeft = costs.reduce((s, c) => s + c, 0);
  return ends.map(({ end, cost, seconds }) => {
    estimator.record(seconds, cost);
    costLeft -= cost;
    return { eta: estimator.secondsLeft(costLeft), left: total - end };
  });
}

Deno.test("the ETA is near the time left from the first point on, though the longest run first", () => {
  // A sweep like the quick suite's: a few long points, many short ones.
  const costs = [
    ...Array.from({ length: 8 }, (_, i) => 0.5 * (i + 1)),
    ...Array.from({ length: 40 }, (_, i) => 0.1 + 0.02 * i),
    ...Array.from({ length: 30 }, () => 0.02),
  ];
  for (const speed of [0.25, 1, 4]) {
    const steps = simulate(costs, 2, speed);
    for (const { eta, left } of steps.slice(0, steps.length / 2)) {
      assert.ok(
        Math.abs(eta - left) <= 0.35 * left + 0.5,
        `speed ${speed}: ETA ${eta.toFixed(1)} s, really ${left.toFixed(1)} s`,
      );
    }
  }
});

Deno.test("progressDisplay writes lines with the ETA, and a bar on a terminal", () => {
  let text = "";
  let now = 0;
  const show = progressDisplay((t) => text += t, { jobs: 1, now: () => now });
  now = 2000;
  show({ done: 1, total: 2, cached: false, seconds: 2, cost: 2, costLeft: 2 });
  now = 4000;
  show({ done: 2, total: 2, cached: false, seconds: 2, cost: 2, costLeft: 0 });
  assert.equal(text, "bench: 1/2 points done (2s, ETA 2s)\nbench: 2/2 points done (4s)\n");
  text = "";
  const bar = progressDisplay((t) => text += t, { terminal: true, now: () => 0 });
  bar({ done: 1, total: 1, cached: true, seconds: 0, cost: 0, costLeft: 0 });
  assert.equal(text, `\rbench [${"#".repeat(30)}] 1/1 points, 0s\x1b[K\n`);
});

Deno.test("formatSeconds rounds before it splits minutes", () => {
  assert.equal(formatSeconds(59.6), "1m00s");
  assert.equal(formatSeconds(125), "2m05s");
  assert.equal(formatSeconds(3.4), "3s");
});
