/**
 * Validation of the emulator (engine, kernel with CFS, synthetic workload)
 * against the closed forms of shared/reference/queueing.md, with the `ideal`
 * cost profile so that scheduling is free and the set-ups are textbook
 * queues.
 *
 * Method: each set-up runs as independent replications, one per seed
 * (seeds 1 to 10), each a few virtual seconds after a 50 ms warm-up
 * (hundreds of times the relaxation time of these queues). The per-seed
 * values (mean, p50, p99, utilization) are the batch values of
 * {@linkcode batchMeans}: the test asserts that the closed form lies inside
 * the 99% Student-t confidence interval of their mean (9 degrees of freedom,
 * t = 3.250), widened for percentiles by the histogram's relative error
 * (1/256 of the value). The seeds are fixed, so the tests are deterministic.
 *
 * @module
 */

import type { RunResult } from "../reports/experiment/run_experiment.ts";
import { SEC } from "../core/units.ts";
import { mg1MeanResponse, mmcMeanResponse, mmcResponseQuantile } from "./_closed_forms.ts";
import { assertInInterval, assertMmc, percentileSlack, replicate } from "./_replication.ts";

/** Mean busy fraction of every CPU in each run. */
function utilization(results: RunResult[]): number[] {
  return results.map((r) =>
    r.cpuUtilization.reduce((sum, u) => sum + u, 0) / r.cpuUtilization.length
  );
}

for (const fair of ["cfs", "eevdf"] as const) {
  Deno.test(`${fair} with one worker on one CPU matches M/M/1 mean and p99`, () => {
    // exp:10us at 70k req/s: μ = 0.1/us, λ = 0.07/us, ρ = 0.7.
    // E[T] = 1/(μ − λ) = 33.333 us, p99 = ln(100)/(μ − λ) = 153.506 us.
    const lambda = 0.07;
    const mu = 0.1;
    const results = replicate({
      cpus: 1,
      workers: 1,
      load: 70_000,
      service: "exp:10us",
      durationNs: 8 * SEC,
      fair,
    });
    const p99 = mmcResponseQuantile(0.99, lambda, mu, 1);
    assertInInterval(
      results.map((r) => r.latencyUs.all.mean),
      mmcMeanResponse(lambda, mu, 1),
      0,
      "E[T]",
    );
    assertInInterval(results.map((r) => r.latencyUs.all.p99), p99, percentileSlack(p99), "p99");
    assertInInterval(utilization(results), lambda / mu, 0, "utilization");
  });
}

Deno.test("cfs with one worker on one CPU matches the Pollaczek–Khinchine mean of M/G/1", () => {
  // bimodal:5us,55us,0.1 — 5 us ("short") w.p. 0.9, 55 us ("long") w.p. 0.1:
  // E[S] = 0.9·5 + 0.1·55 = 10 us, E[S²] = 0.9·25 + 0.1·3025 = 325 us²
  // (squared coefficient of variation 2.25). At λ = 0.07/us (ρ = 0.7):
  // E[Wq] = λ·E[S²] / (2(1 − ρ)) = 37.917 us and E[T] = 47.917 us.
  const lambda = 0.07;
  const es = 10;
  const es2 = 0.9 * 5 ** 2 + 0.1 * 55 ** 2;
  const results = replicate({
    cpus: 1,
    workers: 1,
    load: 70_000,
    service: "bimodal:5us,55us,0.1",
    durationNs: 8 * SEC,
  });
  const meanResponse = mg1MeanResponse(lambda, es, es2);
  assertInInterval(results.map((r) => r.latencyUs.all.mean), meanResponse, 0, "E[T]");
  // FCFS: a request's wait does not depend on its own service time.
  const wait = meanResponse - es;
  for (const type of ["short", "long"]) {
    const waits = results.map((r) => r.stagesUs.queue[type]!.mean);
    assertInInterval(waits, wait, 0, `E[Wq] of ${type} requests`);
  }
});

Deno.test("cfs with four workers on four CPUs matches M/M/4 mean, p50 and p99", () => {
  // exp:10us at 300k req/s on 4 CPUs: a = λ/μ = 3, ρ = 0.75. From the
  // M/M/4 worked values of queueing.md scaled by 10 us: E[T] = 15.094 us,
  // p50 = 11.563 us, p99 = 60.063 us.
  const lambda = 0.3;
  const mu = 0.1;
  const results = replicate({
    cpus: 4,
    workers: 4,
    load: 300_000,
    service: "exp:10us",
    durationNs: 4 * SEC,
  });
  assertMmc(results, lambda, mu, 4, utilization(results));
});

Deno.test("cfs with one thread per request on four CPUs matches the M/M/4 mean by Little's law", () => {
  // With --workers 0 every arrival spawns a thread. Placement on an idle CPU
  // and idle balancing keep the four CPUs work-conserving, so with
  // exponential service the number in system is the M/M/4 birth-death chain
  // whatever the order of service, and E[T] = E[N]/λ is the M/M/4 mean.
  // The order is not FCFS (CFS places a new thread one slice, period/nr,
  // after min_vruntime, so a later arrival can pass an earlier one), so the
  // percentiles are not M/M/4's and are not checked.
  const lambda = 0.3;
  const mu = 0.1;
  const results = replicate({
    cpus: 4,
    workers: 0,
    load: 300_000,
    service: "exp:10us",
    durationNs: 2 * SEC,
  });
  assertInInterval(
    results.map((r) => r.latencyUs.all.mean),
    mmcMeanResponse(lambda, mu, 4),
    0,
    "E[T]",
  );
  assertInInterval(utilization(results), lambda / mu / 4, 0, "utilization");
});
