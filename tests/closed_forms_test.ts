import assert from "node:assert/strict";
import {
  batchMeans,
  erlangC,
  mg1MeanResponse,
  mg1WaitSecondMoment,
  mmcMeanResponse,
  mmcResponseQuantile,
  mmcResponseTail,
  psConditionalMean,
  psMeanResponse,
  studentT995,
} from "./_closed_forms.ts";

/**
 * Asserts that `actual` rounds to a figure quoted in queueing.md: it must lie
 * within half a unit of the quoted figure's last digit (0.00005 for
 * "1.1563"), so a wrong formula cannot pass.
 */
function assertQuoted(actual: number, quoted: string, what: string): void {
  const dot = quoted.indexOf(".");
  const decimals = dot < 0 ? 0 : quoted.length - dot - 1;
  const halfUnit = 0.5 * 10 ** -decimals;
  assert.ok(
    Math.abs(actual - Number(quoted)) <= halfUnit * (1 + 1e-9),
    `${what}: ${actual} does not round to ${quoted}`,
  );
}

function assertClose(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what}: ${actual} vs ${expected} (relative tolerance ${relative})`,
  );
}

/** Erlang C straight from its definition with factorials (small c only). */
function erlangCByDefinition(c: number, a: number): number {
  let factorial = 1;
  let sum = 0;
  for (let k = 0; k < c; k++) {
    if (k > 0) factorial *= k;
    sum += a ** k / factorial;
  }
  factorial *= c;
  const top = (a ** c / factorial) * (c / (c - a));
  return top / (sum + top);
}

/** The reference's P(T > t) for θ ≠ μ, evaluated as written. */
function tailAsWritten(t: number, lambda: number, mu: number, c: number): number {
  const C = erlangCByDefinition(c, lambda / mu);
  const theta = c * mu - lambda;
  return (1 - C) * Math.exp(-mu * t) +
    (C * (theta * Math.exp(-mu * t) - mu * Math.exp(-theta * t))) / (theta - mu);
}

Deno.test("M/M/4 with λ=3, μ=1 matches the worked C, E[T], p50 and p99 of queueing.md", () => {
  assertQuoted(erlangC(4, 3), "0.5094", "C");
  assertQuoted(mmcMeanResponse(3, 1, 4), "1.5094", "E[T]");
  assertQuoted(mmcResponseQuantile(0.5, 3, 1, 4), "1.1563", "p50");
  assertQuoted(mmcResponseQuantile(0.99, 3, 1, 4), "6.0063", "p99");
});

Deno.test("M/M/8 with λ=6, μ=1 matches the worked C, E[T], p50 and p99 of queueing.md", () => {
  assertQuoted(erlangC(8, 6), "0.3570", "C");
  assertQuoted(mmcMeanResponse(6, 1, 8), "1.1785", "E[T]");
  assertQuoted(mmcResponseQuantile(0.5, 6, 1, 8), "0.8833", "p50");
  assertQuoted(mmcResponseQuantile(0.99, 6, 1, 8), "4.9085", "p99");
});

Deno.test("M/M/c formulas scale with the time unit", () => {
  // The same M/M/4 in microseconds: mean service 10 us, 0.3 requests/us.
  assertQuoted(mmcMeanResponse(0.3, 0.1, 4), "15.094", "E[T] in us");
  assertQuoted(mmcResponseQuantile(0.99, 0.3, 0.1, 4), "60.063", "p99 in us");
});

Deno.test("erlangC agrees with the factorial definition and is ρ for one server", () => {
  for (const [c, a] of [[1, 0.3], [2, 1.5], [4, 3], [5, 0.1], [8, 6], [12, 11.5]] as const) {
    assertClose(erlangC(c, a), erlangCByDefinition(c, a), 1e-12, `C(${c}, ${a})`);
  }
  assertClose(erlangC(1, 0.7), 0.7, 1e-15, "C(1, 0.7)");
  assert.equal(erlangC(3, 0), 0);
  // Many servers: no factorial overflow, and C stays a probability.
  const large = erlangC(500, 490);
  assert.ok(large > 0 && large < 1, `C(500, 490) = ${large}`);
});

Deno.test("mmcResponseTail is the exponential tail of M/M/1 and its quantile inverts it", () => {
  const lambda = 0.7;
  const mu = 1;
  for (const t of [0, 0.5, 3.3, 10, 40]) {
    assertClose(mmcResponseTail(t, lambda, mu, 1), Math.exp(-(mu - lambda) * t), 1e-12, `t=${t}`);
  }
  for (const p of [0.1, 0.5, 0.9, 0.99, 0.999]) {
    const exact = Math.log(1 / (1 - p)) / (mu - lambda);
    assertClose(mmcResponseQuantile(p, lambda, mu, 1), exact, 1e-11, `p=${p}`);
    assertClose(1 - mmcResponseTail(mmcResponseQuantile(p, 6, 1, 8), 6, 1, 8), p, 1e-11, "M/M/8");
  }
  assert.equal(mmcResponseQuantile(0, lambda, mu, 1), 0);
  assert.equal(mmcResponseTail(Infinity, lambda, mu, 1), 0);
});

Deno.test("mmcResponseTail matches the reference formula off θ = μ and its limit at θ = μ", () => {
  // M/M/8 with λ=6: θ = 2 ≠ μ = 1.
  for (const t of [0, 0.2, 1, 2.5, 7]) {
    assertClose(mmcResponseTail(t, 6, 1, 8), tailAsWritten(t, 6, 1, 8), 1e-12, `M/M/8 t=${t}`);
  }
  // θ > μ is not the only case: M/M/2 with λ=1.5 has θ = 0.5 < μ.
  for (const t of [0.2, 1, 9]) {
    assertClose(mmcResponseTail(t, 1.5, 1, 2), tailAsWritten(t, 1.5, 1, 2), 1e-12, `θ<μ t=${t}`);
  }
  // θ = μ exactly (M/M/4, λ=3 and M/M/2, λ=1): (1−C)·e^{−μt} + C·e^{−μt}·(1 + μt).
  for (const [lambda, c] of [[3, 4], [1, 2]] as const) {
    const C = erlangC(c, lambda);
    for (const t of [0, 0.7, 3, 12]) {
      const limit = (1 - C) * Math.exp(-t) + C * Math.exp(-t) * (1 + t);
      assertClose(mmcResponseTail(t, lambda, 1, c), limit, 1e-12, `θ=μ c=${c} t=${t}`);
    }
  }
  // Continuous across θ = μ.
  const at = mmcResponseTail(3, 1, 1, 2);
  assertClose(mmcResponseTail(3, 1 + 1e-9, 1, 2), at, 1e-8, "θ just below μ");
  assertClose(mmcResponseTail(3, 1 - 1e-9, 1, 2), at, 1e-8, "θ just above μ");
});

Deno.test("The RocksDB mix on one CPU matches every figure of the queueing.md table", () => {
  const table = [
    { long: 5000, es: "34.95", es2: "125099.5", scv: "101.4", capacityK: "28.6" },
    { long: 10000, es: "59.95", es2: "500099.5", scv: "138.1", capacityK: "16.7" },
  ];
  const figures = [
    { fcfs: "996.5", ps: "53.7", psGet: "15.4" },
    { fcfs: "6303", ps: "149.7", psGet: "25.0" },
  ];
  const lambda = 10_000 / 1e6; // 10k req/s in requests per microsecond
  table.forEach((row, i) => {
    const what = `R = ${row.long} us`;
    const es = 0.995 * 10 + 0.005 * row.long;
    const es2 = 0.995 * 10 ** 2 + 0.005 * row.long ** 2;
    assertQuoted(es, row.es, `${what} E[S]`);
    assertQuoted(es2, row.es2, `${what} E[S²]`);
    assertQuoted(es2 / (es * es) - 1, row.scv, `${what} squared coefficient of variation`);
    assertQuoted(1e6 / es / 1000, row.capacityK, `${what} capacity (k req/s)`);
    assertQuoted(mg1MeanResponse(lambda, es, es2), figures[i]!.fcfs, `${what} FCFS E[T]`);
    assertQuoted(psMeanResponse(lambda, es), figures[i]!.ps, `${what} PS E[T]`);
    assertQuoted(psConditionalMean(lambda, es, 10), figures[i]!.psGet, `${what} PS E[T | Get]`);
  });
});

Deno.test("Pollaczek–Khinchine and Takács reduce to M/M/1 and M/D/1", () => {
  const lambda = 0.06;
  const es = 10;
  const rho = lambda * es;
  // M/M/1: E[S^k] = k!·E[S]^k; E[T] = 1/(μ−λ); P(Wq > t) = ρ·e^{−(μ−λ)t}, so E[Wq²] = 2ρ/(μ−λ)².
  const gap = 1 / es - lambda;
  assertClose(mg1MeanResponse(lambda, es, 2 * es ** 2), 1 / gap, 1e-12, "M/M/1 E[T]");
  assertClose(
    mg1WaitSecondMoment(lambda, es, 2 * es ** 2, 6 * es ** 3),
    (2 * rho) / gap ** 2,
    1e-12,
    "M/M/1 E[Wq²]",
  );
  // M/D/1: E[Wq] = ρ·E[S] / (2(1−ρ)), half the M/M/1 wait.
  assertClose(
    mg1MeanResponse(lambda, es, es ** 2),
    es + (rho * es) / (2 * (1 - rho)),
    1e-12,
    "M/D/1",
  );
  // Processor sharing is insensitive: E[T] = E[T | S = E[S]].
  assertClose(psMeanResponse(lambda, es), psConditionalMean(lambda, es, es), 1e-15, "PS");
});

Deno.test("Closed forms reject unstable queues and parameters out of range", () => {
  assert.throws(() => erlangC(4, 4), RangeError);
  assert.throws(() => erlangC(0, 0.5), RangeError);
  assert.throws(() => erlangC(2.5, 1), RangeError);
  assert.throws(() => mmcMeanResponse(4, 1, 4), RangeError);
  assert.throws(() => mmcResponseTail(-1, 3, 1, 4), RangeError);
  assert.throws(() => mmcResponseQuantile(1, 3, 1, 4), RangeError);
  assert.throws(() => mg1MeanResponse(0.1, 10, 50), RangeError); // E[S²] < E[S]²
  assert.throws(() => mg1MeanResponse(0.1, 10, 200), RangeError); // ρ = 1
  assert.throws(() => mg1WaitSecondMoment(0.05, 10, 200, -1), RangeError);
  assert.throws(() => psMeanResponse(0, 10), RangeError);
  assert.throws(() => psConditionalMean(0.05, 10, -1), RangeError);
});

Deno.test("studentT995 gives the 99% two-sided t multiplier from the table and beyond it", () => {
  assert.equal(studentT995(1), 63.657);
  assert.equal(studentT995(9), 3.25);
  assert.equal(studentT995(19), 2.861);
  // Exact values: 2.744 (31), 2.704 (40), 2.660 (60), 2.617 (120), 2.581 (1000).
  for (const [df, exact] of [[31, 2.744], [40, 2.704], [60, 2.66], [120, 2.617], [1000, 2.581]]) {
    assert.ok(Math.abs(studentT995(df!) - exact!) <= 1e-3, `df=${df}: ${studentT995(df!)}`);
  }
  assert.throws(() => studentT995(0), RangeError);
});

Deno.test("batchMeans averages contiguous batches and drops the leading remainder", () => {
  // Independent replications: each value is a batch.
  const one = batchMeans([1, 2, 3, 4], 4);
  assert.equal(one.mean, 2.5);
  assertClose(one.halfWidth, (5.841 * Math.sqrt(5 / 3)) / 2, 1e-12, "half-width");
  // 11 values in 5 batches of 2: the first value is dropped.
  const two = batchMeans([1000, 1, 3, 2, 4, 3, 5, 4, 6, 5, 7], 5);
  assert.equal(two.mean, 4); // batch means 2, 3, 4, 5, 6
  assertClose(two.halfWidth, (4.604 * Math.sqrt(2.5)) / Math.sqrt(5), 1e-12, "remainder");
  // Equal batch means: an interval of width 0.
  assert.deepEqual(batchMeans([5, 5, 5, 5, 5, 5], 3), { mean: 5, halfWidth: 0 });
  // The default is 20 batches.
  const ramp = Array.from({ length: 40 }, (_, i) => i);
  assert.equal(batchMeans(ramp).mean, 19.5);
  assert.throws(() => batchMeans([1, 2, 3], 4), RangeError);
  assert.throws(() => batchMeans([1, 2, 3], 1), RangeError);
  assert.throws(() => batchMeans([1, NaN, 3], 3), RangeError);
});
