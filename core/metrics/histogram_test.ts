import assert from "node:assert/strict";
import fc from "fast-check";
import { SEC } from "../units.ts";
import { Histogram } from "./histogram.ts";

const PROBABILITIES = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.995, 0.999, 0.9999, 1];

/** Integer latencies spread evenly over magnitudes from 1 ns to 10 s, plus some zeros. */
const latency = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  {
    weight: 20,
    arbitrary: fc.double({ min: 0, max: Math.log2(10 * SEC), noNaN: true }).map((x) =>
      Math.round(2 ** x)
    ),
  },
);

/** The exact value at rank ⌊n·p⌋ (clamped to n − 1) of the sorted values. */
function exactQuantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(Math.floor(sorted.length * p), sorted.length - 1)]!;
}

function histogramOf(values: readonly number[]): Histogram {
  const histogram = new Histogram();
  for (const value of values) histogram.record(value);
  return histogram;
}

function assertWithinBound(actual: number, exact: number, what: string): void {
  const error = Math.abs(actual - exact);
  assert.ok(
    error <= Histogram.RELATIVE_ERROR * exact,
    `${what}: got ${actual}, exact ${exact}, relative error ${error / exact}`,
  );
}

Deno.test("Histogram quantile stays within its relative error bound", () => {
  fc.assert(
    fc.property(
      fc.array(latency, { minLength: 1, maxLength: 3000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (values, randomP) => {
        const histogram = histogramOf(values);
        const sorted = [...values].sort((a, b) => a - b);
        for (const p of [...PROBABILITIES, randomP]) {
          assertWithinBound(histogram.quantile(p), exactQuantile(sorted, p), `p=${p}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("Histogram quantile error reaches nearly 1/256 at the edges of wide buckets", () => {
  // The bound is tight: a value at either edge of a bucket of width 2^(k−7)
  // starting at 2^k is reported at the bucket's midpoint, (2^(k−7) − 1) / 2
  // away, which tends to 1/256 of the value as k grows.
  let worst = 0;
  for (let k = 8; k <= 52; k++) {
    const width = 2 ** (k - 7);
    for (const value of [2 ** k, 2 ** k + width - 1]) {
      if (!Number.isSafeInteger(value)) continue;
      // Surround the value so that clamping to [min, max] cannot hide an error.
      const reported = histogramOf([0, value, Number.MAX_SAFE_INTEGER]).quantile(0.5);
      const error = Math.abs(reported - value) / value;
      assert.ok(error <= Histogram.RELATIVE_ERROR, `value ${value}: error ${error}`);
      worst = Math.max(worst, error);
    }
  }
  assert.ok(worst > 0.999 * (1 / 256), `worst error ${worst}`);
  assert.equal(Histogram.RELATIVE_ERROR, 1 / 256);
});

Deno.test("Histogram keeps every safe integer within the bound, up to 2^53 − 1", () => {
  const values: number[] = [];
  for (let k = 1; k <= 53; k++) {
    const power = 2 ** k;
    for (const delta of [-3, -2, -1, 0, 1, 2, 3]) values.push(power + delta);
    values.push(Math.floor(power * 1.37), Math.floor(power * 1.5) + 1, Math.floor(power * 1.99));
  }
  for (const value of values) {
    if (!Number.isSafeInteger(value) || value <= 0) continue;
    // Surround the value so that clamping to [min, max] cannot hide an error.
    const histogram = histogramOf([0, value, Number.MAX_SAFE_INTEGER]);
    assertWithinBound(histogram.quantile(0.5), value, `value ${value}`);
  }
});

Deno.test("Histogram stores values below 256 ns exactly", () => {
  const histogram = new Histogram();
  for (let value = 0; value < 256; value++) histogram.record(value);
  for (let rank = 0; rank < 256; rank++) {
    assert.equal(histogram.quantile(rank / 256), rank);
  }
});

Deno.test("Histogram count, mean, min and max are exact", () => {
  fc.assert(
    fc.property(fc.array(latency, { minLength: 1, maxLength: 2000 }), (values) => {
      const histogram = histogramOf(values);
      const sum = values.reduce((total, value) => total + BigInt(value), 0n);
      assert.equal(histogram.count, values.length);
      assert.equal(histogram.mean, Number(sum) / values.length);
      assert.equal(histogram.min, Math.min(...values));
      assert.equal(histogram.max, Math.max(...values));
      assert.equal(histogram.quantile(0), Math.min(...values));
      assert.equal(histogram.quantile(1), Math.max(...values));
    }),
  );
});

Deno.test("Histogram merge equals recording both", () => {
  fc.assert(
    fc.property(
      fc.array(latency, { maxLength: 1000 }),
      fc.array(latency, { maxLength: 1000 }),
      (left, right) => {
        const merged = histogramOf(left);
        const other = histogramOf(right);
        merged.merge(other);
        const both = histogramOf([...left, ...right]);
        assert.equal(merged.count, both.count);
        assert.ok(Object.is(merged.mean, both.mean) || merged.mean === both.mean);
        assert.ok(Object.is(merged.min, both.min));
        assert.ok(Object.is(merged.max, both.max));
        if (both.count > 0) {
          for (const p of PROBABILITIES) assert.equal(merged.quantile(p), both.quantile(p));
        }
        assert.deepEqual(merged.cdf(), both.cdf());
        assert.equal(other.count, right.length, "merge leaves the other histogram unchanged");
      },
    ),
  );
});

Deno.test("Histogram memory is fixed whatever is recorded", () => {
  const histogram = new Histogram();
  const before = histogram.byteLength;
  let state = 12345;
  for (let i = 0; i < 1_000_000; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    histogram.record(state * (i % 3 === 0 ? 1 : 1 << (i % 21)));
  }
  histogram.record(Number.MAX_SAFE_INTEGER);
  assert.equal(histogram.count, 1_000_001);
  assert.equal(histogram.byteLength, before);
  assert.ok(before < 64 * 1024, `${before} bytes`);
});

Deno.test("Histogram empty reports NaN statistics and an empty CDF", () => {
  const histogram = new Histogram();
  assert.equal(histogram.count, 0);
  assert.ok(Number.isNaN(histogram.mean));
  assert.ok(Number.isNaN(histogram.min));
  assert.ok(Number.isNaN(histogram.max));
  assert.ok(Number.isNaN(histogram.quantile(0.5)));
  assert.deepEqual(histogram.cdf(), []);
});

Deno.test("Histogram quantile rejects p outside [0, 1]", () => {
  const histogram = histogramOf([1, 2, 3]);
  for (const p of [-0.01, 1.01, NaN, Infinity]) {
    assert.throws(() => histogram.quantile(p), RangeError);
  }
});

Deno.test("Histogram record rejects negative, fractional and unsafe values", () => {
  const histogram = new Histogram();
  for (const value of [-1, 0.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => histogram.record(value), RangeError, `value ${value}`);
  }
  assert.equal(histogram.count, 0);
});

Deno.test("Histogram reset forgets every value", () => {
  const histogram = histogramOf([5, 50_000, 5 * SEC]);
  histogram.reset();
  assert.equal(histogram.count, 0);
  assert.ok(Number.isNaN(histogram.quantile(1)));
  histogram.record(7);
  assert.equal(histogram.min, 7);
  assert.equal(histogram.max, 7);
  assert.equal(histogram.mean, 7);
  assert.deepEqual(histogram.cdf(), [{ valueNs: 7, fraction: 1 }]);
});

Deno.test("Histogram cdf gives the exact fraction of values at or below each point", () => {
  fc.assert(
    fc.property(fc.array(latency, { minLength: 1, maxLength: 2000 }), (values) => {
      const histogram = histogramOf(values);
      const cdf = histogram.cdf();
      const sorted = [...values].sort((a, b) => a - b);
      let previous = { valueNs: -1, fraction: 0 };
      for (const point of cdf) {
        assert.ok(point.valueNs > previous.valueNs && point.fraction > previous.fraction);
        const atOrBelow = sorted.filter((value) => value <= point.valueNs).length;
        assert.equal(point.fraction, atOrBelow / values.length);
        previous = point;
      }
      assert.deepEqual(cdf.at(-1), { valueNs: histogram.max, fraction: 1 });
    }),
    { numRuns: 50 },
  );
});

Deno.test("Histogram cdf thins to at most the given number of points, keeping the last", () => {
  const histogram = new Histogram();
  for (let value = 0; value < 1000; value++) histogram.record(value * 1000);
  const full = histogram.cdf();
  for (const points of [1, 2, 7, 50, 100, full.length, full.length + 5]) {
    const thin = histogram.cdf(points);
    assert.ok(thin.length <= points && thin.length >= Math.min(points, full.length) / 2);
    assert.deepEqual(thin.at(-1), full.at(-1));
    for (const point of thin) assert.ok(full.some((p) => p.valueNs === point.valueNs));
  }
  assert.deepEqual(histogram.cdf(full.length), full);
  for (const points of [0, -1, 1.5, NaN]) {
    assert.throws(() => histogram.cdf(points), RangeError);
  }
});
