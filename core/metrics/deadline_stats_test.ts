import assert from "node:assert/strict";
import { DeadlineStats } from "./deadline_stats.ts";

Deno.test("DeadlineStats counts met and missed jobs after the warm-up, and the worst lateness", () => {
  const stats = new DeadlineStats({ warmupNs: 1_000 });
  stats.finished(500, 600, 9_000); // released in the warm-up: not counted
  stats.finished(1_000, 2_000, 2_000); // finished at its deadline: met
  stats.finished(2_000, 3_000, 3_001); // 1 ns late
  stats.finished(3_000, 4_000, 3_500); // 500 ns early
  const summary = stats.summary(10_000, [
    { release: 4_000, deadline: 5_000 }, // unfinished, 5 us late at the end: the worst
    { release: 9_000, deadline: 11_000 }, // deadline still ahead: not counted
    { release: 0, deadline: 1_000 }, // released in the warm-up
  ]);
  assert.deepEqual(summary, {
    jobs: 4,
    met: 2,
    missed: 2,
    missRatio: 0.5,
    maxLatenessUs: 5,
  });
});

Deno.test("DeadlineStats reports no lateness without jobs, and negative lateness when all are early", () => {
  const stats = new DeadlineStats();
  assert.deepEqual(stats.summary(100), {
    jobs: 0,
    met: 0,
    missed: 0,
    missRatio: 0,
    maxLatenessUs: null,
  });
  stats.finished(0, 10_000, 4_000);
  stats.finished(0, 10_000, 7_000);
  assert.equal(stats.summary(20_000).maxLatenessUs, -3);
});
