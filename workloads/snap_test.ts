import assert from "node:assert/strict";
import { Histogram } from "../core/metrics/histogram.ts";
import { MS, US } from "../core/units.ts";
import {
  DEFAULT_RUN_CONFIG,
  type RunConfig,
  runExperiment,
  type RunResult,
} from "../reports/experiment/run_experiment.ts";

function run(overrides: Partial<RunConfig> = {}): RunResult {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    workload: "snap",
    cpus: 8,
    load: 60_000,
    durationNs: 100 * MS,
    warmupNs: 20 * MS,
    ...overrides,
  });
}

function groupCpuUs(result: RunResult, group: string): number {
  return result.threadCpu.find((g) => g.group === group)?.cpuUs ?? 0;
}

Deno.test("snap serves every message under cfs, microquanta and the snap policy, quiet and loaded", () => {
  for (const policy of ["cfs", "microquanta", "snap"]) {
    for (const antagonists of [0, 6]) {
      const result = run({ policy, antagonists });
      assert.equal(result.lost, 0, `${policy} ${antagonists}`);
      assert.ok(result.inFlight <= 10, `${policy}: ${result.inFlight} in flight`);
      // 1 of 6 streams is small: about a sixth of the messages.
      const small = result.latencyUs["64B"]!.count;
      const large = result.latencyUs["64kB"]!.count;
      assert.ok(small > 0.12 * (small + large) && small < 0.22 * (small + large));
      assert.ok(result.completed > 0.9 * 60_000 * 0.08, `${policy}: ${result.completed}`);
    }
  }
});

Deno.test("snap's unloaded message takes receive, server and transmit work, nothing more", () => {
  // A light load: most messages never wait, so the median is the closed form
  // 2 x engine work + server work; with ideal costs exactly, with the paper's
  // under the ghOSt policy (the agent's commits and switches) a few us more.
  for (const policy of ["cfs", "microquanta", "snap"]) {
    const costs = policy === "snap" ? "paper" : "ideal";
    const slack = policy === "snap" ? 5 : 0;
    const result = run({ policy, costs, load: 2_000, durationNs: 300 * MS });
    const engine = (bytes: number) => 1 * US + (bytes / 1024) * 100;
    const server = (bytes: number) => 2 * US + (bytes / 1024) * 50;
    for (const [type, bytes] of [["64B", 64], ["64kB", 65_536]] as const) {
      const expected = (2 * engine(bytes) + server(bytes)) / US;
      const p50 = result.latencyUs[type]!.p50;
      assert.ok(
        p50 >= expected * (1 - Histogram.RELATIVE_ERROR) - 0.001 &&
          p50 <= (expected + slack) * (1 + Histogram.RELATIVE_ERROR) + 0.001,
        `${policy} ${type}: p50 ${p50} vs ${expected} us`,
      );
    }
  }
});

Deno.test("snap's polling engine under microquanta holds exactly 0.9 ms of each 1 ms", () => {
  // One engine, which always polls: CFS lets it spin the whole window,
  // MicroQuanta throttles it 0.1 ms in each period.
  const options = { engines: 1 };
  const windowUs = 80 * MS / US;
  const load = 10_000;
  const cfs = run({ policy: "cfs", costs: "ideal", load, workloadOptions: options });
  assert.equal(groupCpuUs(cfs, "snap-engines"), windowUs);
  const mq = run({ policy: "microquanta", costs: "ideal", load, workloadOptions: options });
  assert.equal(groupCpuUs(mq, "snap-engines"), 0.9 * windowUs);
  // Messages caught by a blackout wait it out: the tail passes 100 us under
  // MicroQuanta only.
  assert.ok(mq.latencyUs.all.max >= 100, `microquanta max ${mq.latencyUs.all.max}`);
  assert.ok(cfs.latencyUs.all.max < 100, `cfs max ${cfs.latencyUs.all.max}`);
});

Deno.test("snap reads its stream and size options", () => {
  const result = run({
    workloadOptions: { smallStreams: 0, largeStreams: 2, largeBytes: 8192 },
    load: 10_000,
  });
  assert.equal(result.latencyUs["64B"]!.count, 0);
  assert.ok(result.latencyUs["64kB"]!.count > 600);
  assert.equal(result.lost, 0);
  assert.throws(
    () => run({ workloadOptions: { smallStreams: 0, largeStreams: 0 } }),
    RangeError,
  );
});

Deno.test("snap with no poller runs its engines only for their work", () => {
  // Every engine blocks when idle: with ideal costs the engines' CPU time is
  // their receive and transmit work, 2 x (1 us + 100 ns/kB) per message.
  const result = run({ policy: "cfs", costs: "ideal", workloadOptions: { pollers: 0 } });
  const small = result.latencyUs["64B"]!.count;
  const large = result.latencyUs["64kB"]!.count;
  const expectedUs = (small * 2 * (1000 + 6.25) + large * 2 * (1000 + 6400)) / US;
  const engines = groupCpuUs(result, "snap-engines");
  // Messages that straddle the warm-up or the end shift it by a few.
  assert.ok(Math.abs(engines - expectedUs) < 0.01 * expectedUs, `${engines} vs ${expectedUs}`);
  assert.equal(result.lost, 0);
  assert.throws(() => run({ workloadOptions: { engines: 2, pollers: 3 } }), RangeError);
});
