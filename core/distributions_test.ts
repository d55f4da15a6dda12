import assert from "node:assert/strict";
import { type Distribution, parseDistribution } from "./distributions.ts";
import { InputError } from "./errors.ts";
import { RandomStreams } from "./random.ts";

const N = 200_000;

interface Summary {
  mean: number;
  min: number;
  max: number;
  allIntegers: boolean;
}

function summarize(distribution: Distribution, n = N, seed = 1): Summary {
  const rng = new RandomStreams(seed).stream("service");
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let allIntegers = true;
  for (let i = 0; i < n; i++) {
    const x = distribution.sample(rng);
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
    if (!Number.isInteger(x)) allIntegers = false;
  }
  return { mean: sum / n, min, max, allIntegers };
}

/** Asserts |sample mean - mean| < 5 standard errors (sd / sqrt(n)). */
function assertMeanWithin5StandardErrors(summary: Summary, mean: number, sd: number, n = N): void {
  const tolerance = 5 * sd / Math.sqrt(n);
  assert.ok(
    Math.abs(summary.mean - mean) < tolerance,
    `sample mean ${summary.mean} differs from ${mean} by more than ${tolerance}`,
  );
}

Deno.test("parseDistribution const always returns the value", () => {
  const distribution = parseDistribution("const:10us");
  assert.equal(distribution.spec, "const:10us");
  assert.deepEqual(distribution.types, ["request"]);
  assert.equal(distribution.mean, 10_000);
  const summary = summarize(distribution, 1_000);
  assert.equal(summary.min, 10_000);
  assert.equal(summary.max, 10_000);
  assert.equal(distribution.lastType, 0);
  assert.equal(parseDistribution("const:0ns").mean, 0);
});

Deno.test("parseDistribution exp has the requested mean", () => {
  const distribution = parseDistribution("exp:20us");
  assert.equal(distribution.mean, 20_000);
  const summary = summarize(distribution);
  assert.ok(summary.allIntegers && summary.min >= 0);
  // An exponential's standard deviation equals its mean.
  assertMeanWithin5StandardErrors(summary, 20_000, 20_000);
});

Deno.test("parseDistribution uniform stays in bounds with the midpoint as mean", () => {
  const distribution = parseDistribution("uniform:5us,15us");
  assert.equal(distribution.mean, 10_000);
  const summary = summarize(distribution);
  assert.ok(summary.allIntegers);
  assert.ok(summary.min >= 5_000 && summary.max <= 15_000);
  // Standard deviation of a uniform on [lo, hi] is (hi - lo) / sqrt(12).
  assertMeanWithin5StandardErrors(summary, 10_000, 10_000 / Math.sqrt(12));
  assert.equal(summarize(parseDistribution("uniform:3us,3us"), 100).max, 3_000);
});

Deno.test("parseDistribution lognormal takes the mean and the sigma of the underlying normal", () => {
  const mean = 20_000;
  const sigma = 1.5;
  const distribution = parseDistribution("lognormal:20us,1.5");
  assert.equal(distribution.mean, mean);
  const rng = new RandomStreams(1).stream("service");
  let sum = 0;
  let sumLog = 0;
  for (let i = 0; i < N; i++) {
    const x = distribution.sample(rng);
    assert.ok(Number.isInteger(x) && x >= 0);
    sum += x;
    sumLog += Math.log(Math.max(x, 0.5));
  }
  // ln(x) is normal with mu = ln(mean) - sigma^2 / 2 and sd sigma: 5 standard
  // errors (rounding to integer ns moves ln(x) by under 1e-3 here).
  const mu = Math.log(mean) - sigma * sigma / 2;
  assert.ok(Math.abs(sumLog / N - mu) < 5 * sigma / Math.sqrt(N) + 1e-3);
  // The mean itself: sd = mean * sqrt(exp(sigma^2) - 1); 5 standard errors.
  const sd = mean * Math.sqrt(Math.exp(sigma * sigma) - 1);
  assert.ok(Math.abs(sum / N - mean) < 5 * sd / Math.sqrt(N), `mean ${sum / N}`);
});

Deno.test("parseDistribution bimodal draws long requests with the given probability", () => {
  const p = 0.005;
  const distribution = parseDistribution("bimodal:10us,5ms,0.005");
  assert.deepEqual(distribution.types, ["short", "long"]);
  assert.equal(distribution.mean, (1 - p) * 10_000 + p * 5_000_000);
  const rng = new RandomStreams(1).stream("service");
  let longs = 0;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const x = distribution.sample(rng);
    sum += x;
    const type: string | undefined = distribution.types[distribution.lastType];
    if (type === "long") {
      assert.equal(x, 5_000_000);
      longs++;
    } else {
      assert.equal(type, "short");
      assert.equal(x, 10_000);
    }
  }
  // The long count is binomial(N, p): 5 standard deviations.
  assert.ok(Math.abs(longs - N * p) < 5 * Math.sqrt(N * p * (1 - p)), `${longs} long`);
  // The mean: sd = (long - short) * sqrt(p (1 - p)); 5 standard errors.
  const sd = (5_000_000 - 10_000) * Math.sqrt(p * (1 - p));
  assert.ok(Math.abs(sum / N - distribution.mean) < 5 * sd / Math.sqrt(N));
});

Deno.test("parseDistribution bimodal with probability 0 or 1 draws one mode", () => {
  assert.equal(summarize(parseDistribution("bimodal:1us,2us,0"), 1_000).max, 1_000);
  assert.equal(summarize(parseDistribution("bimodal:1us,2us,1"), 1_000).min, 2_000);
});

Deno.test("parseDistribution empirical samples uniformly among a CSV file's first column", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/service.csv`;
    Deno.writeTextFileSync(
      path,
      "latency_us,note\n10,bare number is microseconds\n20us,unit\n\n1ms,x\n30.5\n",
    );
    const distribution = parseDistribution(`empirical:${path}`);
    const values = [10_000, 20_000, 1_000_000, 30_500];
    assert.equal(distribution.mean, values.reduce((x, y) => x + y) / values.length);
    assert.deepEqual(distribution.types, ["request"]);
    const rng = new RandomStreams(1).stream("service");
    const counts = new Map<number, number>();
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const x = distribution.sample(rng);
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort((x, y) => x - y), [...values].sort((x, y) => x - y));
    // Each count is binomial(n, 1/4): 5 standard deviations.
    for (const count of counts.values()) {
      assert.ok(Math.abs(count - n / 4) < 5 * Math.sqrt(n * 0.25 * 0.75));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parseDistribution empirical reads through the readTextFile option", () => {
  const paths: string[] = [];
  const distribution = parseDistribution("empirical:virtual.csv", {
    readTextFile: (path) => {
      paths.push(path);
      return "5\n15\n";
    },
  });
  assert.deepEqual(paths, ["virtual.csv"]);
  assert.equal(distribution.mean, 10_000);
});

Deno.test("parseDistribution rejects every bad spec with an InputError", () => {
  const files: Record<string, string> = {
    "empty.csv": "",
    "header-only.csv": "latency_us\n",
    "bad-row.csv": "latency\n10\nabc\n",
    "negative.csv": "10\n-5\n",
    "negative-unit.csv": "10\n-5us\n",
  };
  const readTextFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Deno.errors.NotFound(`No such file: ${path}`);
    return text;
  };
  const bad: Array<[string, RegExp]> = [
    ["foo:1us", /Unknown distribution "foo:1us": expected const, exp, uniform/],
    ["exp", /Malformed distribution "exp": expected KIND:ARGS/],
    ["", /Malformed distribution/],
    ["const:", /expected const:VALUE/],
    ["const:1us,2us", /expected const:VALUE/],
    ["const:10", /Malformed const value "10"/],
    ["const:abc", /Malformed const value "abc"/],
    ["const:-5us", /Negative const value "-5us"/],
    ["exp:", /expected exp:MEAN/],
    ["exp:20xs", /Malformed exp mean "20xs"/],
    ["uniform:5us", /expected uniform:LO,HI/],
    ["uniform:5us,", /expected uniform:LO,HI/],
    ["uniform:15us,5us", /Invalid uniform bounds "15us,5us".*expected LO <= HI/],
    ["uniform:-1us,5us", /Negative uniform low bound/],
    ["lognormal:20us", /expected lognormal:MEAN,SIGMA/],
    ["lognormal:0us,1", /Invalid lognormal mean "0us"/],
    ["lognormal:20us,-1", /Invalid lognormal sigma "-1"/],
    ["lognormal:20us,wide", /Malformed lognormal sigma "wide"/],
    ["bimodal:10us,5ms", /expected bimodal:SHORT,LONG,P_LONG/],
    ["bimodal:10us,5ms,1.5", /Invalid bimodal probability "1.5".*\[0, 1\]/],
    ["bimodal:10us,5ms,-0.1", /Invalid bimodal probability "-0.1"/],
    ["bimodal:10us,5ms,often", /Malformed bimodal probability "often"/],
    ["bimodal:10us,5,0.1", /Malformed bimodal long value "5"/],
    ["empirical:", /expected empirical:FILE/],
    ["empirical:missing.csv", /Cannot read empirical distribution file "missing.csv"/],
    ["empirical:empty.csv", /Empty empirical distribution file "empty.csv"/],
    ["empirical:header-only.csv", /Empty empirical distribution file/],
    ["empirical:bad-row.csv", /Malformed value "abc" at bad-row.csv:3/],
    ["empirical:negative.csv", /Invalid value "-5" at negative.csv:2/],
    ["empirical:negative-unit.csv", /Invalid value "-5us" at negative-unit.csv:2/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(
      () => parseDistribution(spec, { readTextFile }),
      (error: unknown) => {
        assert.ok(error instanceof InputError, `${spec}: ${error}`);
        assert.match(error.message, message, spec);
        assert.ok(!error.message.includes("\n"), `${spec}: message has several lines`);
        return true;
      },
    );
  }
});

Deno.test("parseDistribution reports a missing real file as an InputError", () => {
  assert.throws(
    () => parseDistribution("empirical:/nonexistent/ghostbench/service.csv"),
    InputError,
  );
});
