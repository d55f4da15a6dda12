/**
 * Validation of the EEVDF fair class (core/eevdf_class.ts) against closed
 * forms, like the CFS validation of validation_test.ts: with zero costs and
 * one CPU, one worker serving exponential service times is an M/M/1 queue
 * whatever the fair class picks, since only one thread wants the CPU.
 *
 * @module
 */

import { SEC } from "../core/units.ts";
import { mmcMeanResponse, mmcResponseQuantile } from "./_closed_forms.ts";
import { assertInInterval, percentileSlack, replicate } from "./_replication.ts";

Deno.test("eevdf with one worker on one CPU matches M/M/1 mean and p99", () => {
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
    fair: "eevdf",
  });
  const p99 = mmcResponseQuantile(0.99, lambda, mu, 1);
  assertInInterval(
    results.map((r) => r.latencyUs.all.mean),
    mmcMeanResponse(lambda, mu, 1),
    0,
    "E[T]",
  );
  assertInInterval(results.map((r) => r.latencyUs.all.p99), p99, percentileSlack(p99), "p99");
});

Deno.test("eevdf with a thread per request on one CPU matches the M/M/1 mean (processor sharing)", () => {
  // One thread per request: EEVDF shares the CPU among the requests in
  // slices. M/M/1 processor sharing has the same mean as FCFS: 1/(μ − λ).
  const lambda = 0.07;
  const mu = 0.1;
  const results = replicate({
    cpus: 1,
    load: 70_000,
    service: "exp:10us",
    durationNs: 8 * SEC,
    fair: "eevdf",
  });
  assertInInterval(
    results.map((r) => r.latencyUs.all.mean),
    mmcMeanResponse(lambda, mu, 1),
    0,
    "E[T]",
  );
});
