import assert from "node:assert/strict";
import { InputError } from "../core/errors.ts";
import { resolveOptions } from "../core/options.ts";
import { RandomStreams } from "../core/random.ts";
import { MS, US } from "../core/units.ts";
import { DEFAULT_RUN_CONFIG, runExperiment } from "../reports/experiment/run_experiment.ts";
import {
  PERIODIC_OPTIONS,
  type PeriodicOptions,
  periodicTaskSet,
  utilizationOf,
} from "./periodic.ts";

function options(values: Partial<PeriodicOptions> = {}): PeriodicOptions {
  return resolveOptions(PERIODIC_OPTIONS, values);
}

Deno.test("periodicTaskSet draws periods in range and utilisations that sum to at most the target", () => {
  for (const seed of [1, 2, 3]) {
    for (const tasks of [1, 5, 50]) {
      for (const utilization of [0.3, 0.99, 1.5]) {
        const o = options({ tasks, utilization, periodMin: 2 * MS, periodMax: 20 * MS });
        const set = periodicTaskSet(new RandomStreams(seed), o);
        assert.equal(set.length, tasks);
        for (const task of set) {
          assert.ok(task.periodNs >= 2 * MS && task.periodNs <= 20 * MS, `period ${task.periodNs}`);
          assert.equal(task.periodNs % US, 0);
          assert.ok(Number.isInteger(task.computeNs) && task.computeNs >= 1);
        }
        const u = utilizationOf(set);
        // Rounding C down loses under 1 ns per task per period.
        assert.ok(u <= utilization && u > utilization - tasks * 1e-6, `U ${u} for ${utilization}`);
        assert.deepEqual(periodicTaskSet(new RandomStreams(seed), o), set, "same seed, same set");
      }
    }
  }
  const one = periodicTaskSet(new RandomStreams(1), options({ periodMin: MS, periodMax: MS }));
  assert.ok(one.every((task) => task.periodNs === MS));
  assert.throws(
    () => periodicTaskSet(new RandomStreams(1), options({ periodMin: 2 * MS, periodMax: MS })),
    InputError,
  );
});

Deno.test("periodic releases every job of every task and accounts for each one", () => {
  for (const policy of ["cfs", "edf", "fifo-centralized"]) {
    const result = runExperiment({
      ...DEFAULT_RUN_CONFIG,
      workload: "periodic",
      workloadOptions: { tasks: 4, utilization: 0.5, periodMin: MS, periodMax: 4 * MS },
      policy,
      cpus: 2,
      costs: "ideal",
      durationNs: 100 * MS,
      warmupNs: 10 * MS,
    });
    const set = periodicTaskSet(
      new RandomStreams(DEFAULT_RUN_CONFIG.seed),
      options({
        tasks: 4,
        utilization: 0.5,
        periodMin: MS,
        periodMax: 4 * MS,
      }),
    );
    // Jobs released at 0, T, 2T... before the end.
    const released = set.reduce((sum, t) => sum + Math.ceil(100 * MS / t.periodNs), 0);
    assert.equal(result.generated, released, policy);
    assert.equal(result.lost, 0, policy);
    const deadlines = result.deadlines!;
    assert.ok(deadlines !== undefined, `${policy}: no deadlines reported`);
    assert.equal(deadlines.met + deadlines.missed, deadlines.jobs);
    assert.ok(deadlines.jobs >= result.completed, `${policy}: ${deadlines.jobs} jobs`);
    assert.equal(deadlines.missed, 0, `${policy} misses at utilisation 0.5 on 2 CPUs`);
    const tasks = result.threadCpu.find((g) => g.group === "tasks")!;
    const expectedUs = 0.5 * 90 * MS / US;
    assert.ok(
      Math.abs(tasks.cpuUs - expectedUs) < 0.02 * expectedUs,
      `${policy}: ${tasks.cpuUs} us`,
    );
  }
});
