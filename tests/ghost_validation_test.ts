/**
 * Validation of the ghOSt side of the emulator (enclave, message queues,
 * transactions, agents and the `fifo-centralized`, `shinjuku` and
 * `fifo-percpu` policies) against the closed forms of
 * shared/reference/queueing.md, with the `ideal` cost profile and one thread
 * per request (`workers: 0`), so that scheduling is free and the set-ups are
 * the textbook queues of the reference's table. A centralized policy gives
 * one CPU to its spinning global agent: c worker CPUs means c + 1 CPUs.
 *
 * Method, as in validation_test.ts: each set-up runs as independent
 * replications, one per seed (seeds 1 to 10), each a fraction of a virtual
 * second to two seconds after a 50 ms warm-up. The per-seed values are the
 * batch values of {@linkcode batchMeans}: the test asserts that the closed
 * form lies inside the 99% Student-t confidence interval of their mean (9
 * degrees of freedom, t = 3.250), widened for percentiles by the histogram's
 * relative error (1/256 of the value) and, for Shinjuku, by the computed
 * distance between round robin with a finite slice and processor sharing.
 * The seeds are fixed, so the tests are deterministic.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunResult } from "../reports/experiment/run_experiment.ts";
import { MS, SEC, US } from "../core/units.ts";
import { mg1MeanResponse, psConditionalMean, psMeanResponse } from "./_closed_forms.ts";
import {
  assertInInterval,
  assertMmc,
  percentileSlack,
  replicate as replicateRuns,
  type SyntheticSetup,
} from "./_replication.ts";

/**
 * Runs one set-up once per seed with free scheduling and one thread per
 * request, and checks that no request or message was lost and, for a
 * centralized policy, that the global agent never left CPU 0.
 */
function replicate(overrides: SyntheticSetup): RunResult[] {
  return replicateRuns({ workers: 0, ...overrides }, (result, seed) => {
    const ghost = result.ghost;
    assert.ok(ghost !== null, `seed ${seed}: no ghOSt counters`);
    assert.equal(ghost.overflows, 0, `seed ${seed}: ${ghost.overflows} messages dropped`);
    if (ghost.model === "centralized") {
      assert.equal(ghost.agentMigrations, 0, `seed ${seed}: the global agent moved`);
    }
  });
}

/**
 * Mean busy fraction of the CPUs that run requests in each run: every CPU
 * but CPU 0 under a centralized policy (its global agent spins there, busy
 * all the time), every CPU under a per-CPU one.
 */
function workerUtilization(results: RunResult[]): number[] {
  return results.map((r) => {
    const workers = r.ghost?.model === "centralized" ? r.cpuUtilization.slice(1) : r.cpuUtilization;
    return workers.reduce((sum, u) => sum + u, 0) / workers.length;
  });
}

/**
 * The root σ of the GI/M/1 queue fed by Erlang-c arrivals (E_c/M/1): the
 * smallest root in (0, 1) of `σ = A*(μ(1 − σ))`, where
 * `A*(s) = (λ/(λ + s))ᶜ` is the Laplace transform of the sum of c
 * exponential gaps of rate λ (every c-th arrival of a Poisson stream of rate
 * λ). The queue's response time is then exponential with rate `μ(1 − σ)`.
 *
 * Found by the iteration `σ ← A*(μ(1 − σ))` from σ = 0, which increases
 * monotonically to the smallest root because the right side is increasing
 * and convex in σ; the derivative at the root is below 1 when
 * ρ = λ/(cμ) < 1, so it converges geometrically.
 *
 * @param lambda Rate λ of the Poisson stream before the split.
 * @param mu Service rate μ of the queue's server.
 * @param c Every c-th arrival joins the queue, an integer ≥ 1, with λ < cμ.
 */
function erlangArrivalRoot(lambda: number, mu: number, c: number): number {
  if (!Number.isInteger(c) || c < 1) {
    throw new RangeError(`Invalid split ${c}: expected an integer >= 1`);
  }
  if (!(lambda > 0 && mu > 0 && lambda < c * mu)) {
    throw new RangeError(`Unstable queue: λ = ${lambda} is not in (0, cμ = ${c * mu})`);
  }
  let sigma = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const next = (lambda / (lambda + mu * (1 - sigma))) ** c;
    if (next - sigma <= 1e-15) return next;
    sigma = next;
  }
  throw new Error(`No convergence for λ = ${lambda}, μ = ${mu}, c = ${c}`);
}

Deno.test("erlangArrivalRoot gives ρ for Poisson arrivals and solves σ = A*(μ(1 − σ))", () => {
  // c = 1: M/M/1, σ = ρ.
  assert.ok(Math.abs(erlangArrivalRoot(0.07, 0.1, 1) - 0.7) < 1e-12);
  const sigma = erlangArrivalRoot(0.3, 0.1, 4);
  assert.ok(Math.abs(sigma - (0.3 / (0.3 + 0.1 * (1 - sigma))) ** 4) < 1e-14);
  assert.ok(sigma > 0 && sigma < 1);
  // Regular arrivals wait less than Poisson ones at the same load 0.75.
  assert.ok(sigma < 0.75);
});

Deno.test("fifo-centralized with four worker CPUs matches M/M/4 mean, p50 and p99", () => {
  // exp:10us at 300k req/s on 4 worker CPUs (5 CPUs with the agent's):
  // a = λ/μ = 3, ρ = 0.75. From the M/M/4 worked values of queueing.md
  // scaled by 10 us: E[T] = 15.094 us, p50 = 11.563 us, p99 = 60.063 us.
  const lambda = 0.3;
  const mu = 0.1;
  const results = replicate({
    policy: "fifo-centralized",
    cpus: 5,
    load: 300_000,
    service: "exp:10us",
    durationNs: SEC,
  });
  assertMmc(results, lambda, mu, 4, workerUtilization(results));
});

Deno.test("fifo-centralized with one worker CPU matches the Pollaczek–Khinchine mean of M/G/1", () => {
  // bimodal:5us,55us,0.1 — 5 us ("short") w.p. 0.9, 55 us ("long") w.p. 0.1:
  // E[S] = 10 us, E[S²] = 325 us². At λ = 0.07/us (ρ = 0.7) on 1 worker CPU
  // (2 CPUs): E[Wq] = λ·E[S²] / (2(1 − ρ)) = 37.917 us, E[T] = 47.917 us.
  const lambda = 0.07;
  const es = 10;
  const es2 = 0.9 * 5 ** 2 + 0.1 * 55 ** 2;
  const results = replicate({
    policy: "fifo-centralized",
    cpus: 2,
    load: 70_000,
    service: "bimodal:5us,55us,0.1",
    durationNs: 2 * SEC,
  });
  const meanResponse = mg1MeanResponse(lambda, es, es2);
  assertInInterval(results.map((r) => r.latencyUs.all.mean), meanResponse, 0, "E[T]");
  // FCFS: a request's wait does not depend on its own service time.
  const wait = meanResponse - es;
  for (const type of ["short", "long"]) {
    const waits = results.map((r) => r.stagesUs.queue[type]!.mean);
    assertInInterval(waits, wait, 0, `E[Wq] of ${type} requests`);
  }
  assertInInterval(workerUtilization(results), lambda * es, 0, "worker utilization");
});

Deno.test("shinjuku with a 500 ns slice on one worker CPU matches M/G/1 processor sharing", () => {
  // bimodal:5us,55us,0.1 at λ = 0.07/us (ρ = 0.7) on 1 worker CPU (2 CPUs).
  // Processor sharing: E[T] = E[S]/(1 − ρ) = 33.333 us, and
  // E[T | S = x] = x/(1 − ρ): 16.667 us for a short request, 183.333 us for
  // a long one.
  //
  // Shinjuku with a slice q is round robin, not processor sharing: arrivals
  // and preempted threads join the tail of one FIFO, and a thread that ran
  // alone for q or more is preempted as soon as another arrives. Over the
  // time two requests share the CPU each gets one quantum per round, so the
  // service one of them receives while a tagged request is present differs
  // from what equal sharing would give it by less than one quantum. The
  // tagged request's response time is its size plus the service the others
  // get during its stay, so it moves by at most q per request it shares the
  // CPU with, plus q for the quantum in progress when it arrives. Under PS a
  // request of size x finds E[N] = ρ/(1 − ρ) requests and sees λ·x/(1 − ρ)
  // arrive during its stay, so, to first order in q,
  //
  //     |E[T_RR | S = x] − x/(1 − ρ)| ≤ q·(1 + λ·x)/(1 − ρ),
  //
  // and q·(1 + ρ)/(1 − ρ) for the mean over all requests (the bound is
  // linear in x). With q = 0.5 us: 2.250 us for short requests, 8.083 us for
  // long ones, 2.833 us overall. That is the slack added to the confidence
  // interval. (First order: the requests found on arrival are those of the
  // round-robin queue, whose number and remaining work differ from PS's by
  // O(q) too. The measured distance is linear in q and about a sixth of the
  // bound: with the same seeds at q = 1, 0.5 and 0.25 us, extrapolated to
  // q = 0, it is −0.39 us for short requests, −0.95 us for long ones and
  // −0.44 us overall at q = 0.5 us.)
  const lambda = 0.07;
  const es = 10;
  const rho = lambda * es;
  const sliceUs = 0.5;
  const results = replicate({
    policy: "shinjuku",
    cpus: 2,
    load: 70_000,
    service: "bimodal:5us,55us,0.1",
    policyOptions: { sliceNs: sliceUs * US },
    durationNs: 500 * MS,
  });
  const roundRobinSlack = (x: number) => (sliceUs * (1 + lambda * x)) / (1 - rho);
  assertInInterval(
    results.map((r) => r.latencyUs.all.mean),
    psMeanResponse(lambda, es),
    roundRobinSlack(es),
    "E[T]",
  );
  for (const [type, x] of [["short", 5], ["long", 55]] as const) {
    assertInInterval(
      results.map((r) => r.latencyUs[type]!.mean),
      psConditionalMean(lambda, es, x),
      roundRobinSlack(x),
      `E[T | S = ${x} us] (${type})`,
    );
  }
  assertInInterval(workerUtilization(results), rho, 0, "worker utilization");
});

Deno.test("fifo-percpu on four CPUs matches four E4/M/1 queues: mean, p50 and p99", () => {
  // exp:10us at 300k req/s on 4 CPUs (the per-CPU agents share them and cost
  // nothing). Round-robin placement sends every 4th arrival to each CPU, so
  // each CPU is a FCFS queue with Erlang-4 interarrival times (4 gaps of rate
  // λ = 0.3/us, mean 13.333 us) and exponential service: E4/M/1 at ρ = 0.75.
  // GI/M/1: the response time is exponential with rate μ(1 − σ), σ the root
  // of σ = (λ/(λ + μ(1 − σ)))⁴ = 0.62231, so E[T] = 1/(μ(1 − σ)) = 26.476 us,
  // p50 = ln 2 · E[T] = 18.352 us and p99 = ln 100 · E[T] = 121.928 us
  // (M/M/4 with one shared queue would give 15.094 us).
  const lambda = 0.3;
  const mu = 0.1;
  const results = replicate({
    policy: "fifo-percpu",
    cpus: 4,
    load: 300_000,
    service: "exp:10us",
    durationNs: 500 * MS,
  });
  const meanResponse = 1 / (mu * (1 - erlangArrivalRoot(lambda, mu, 4)));
  const p50 = Math.LN2 * meanResponse;
  const p99 = Math.log(100) * meanResponse;
  assertInInterval(results.map((r) => r.latencyUs.all.mean), meanResponse, 0, "E[T]");
  assertInInterval(results.map((r) => r.latencyUs.all.p50), p50, percentileSlack(p50), "p50");
  assertInInterval(results.map((r) => r.latencyUs.all.p99), p99, percentileSlack(p99), "p99");
  // Every TASK_NEW wakes CPU 0's agent, which preempts the request running
  // there; with zero costs and the preempted thread back at the front of its
  // FIFO, that costs no time and does not reorder, so no request is sliced.
  assertInInterval(results.map((r) => r.stagesUs.service.all.mean), 1 / mu, 0, "E[S]");
  assertInInterval(workerUtilization(results), lambda / mu / 4, 0, "utilization");
});
