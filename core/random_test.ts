import assert from "node:assert/strict";
import { RandomStream, RandomStreams } from "./random.ts";

/** The first four draws of seed 1, stream "pinned". */
const PINNED = [4057879990, 1116469879, 752366703, 4240345303];

function draws(stream: RandomStream, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(stream.nextUint32());
  return out;
}

Deno.test("RandomStreams gives the same sequence for the same seed and name, whatever else draws", () => {
  const first = new RandomStreams(12345).stream("arrivals");
  const expected = draws(first, 1_000);
  // The same stream again, its draws interleaved with those of other streams
  // of the same seed and of another instance with the same seed and name.
  const streams = new RandomStreams(12345);
  const arrivals = streams.stream("arrivals");
  const noise = [streams.stream("service"), new RandomStreams(12345).stream("arrivals")];
  const got: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    got.push(arrivals.nextUint32());
    for (const other of noise) other.below(1 + i);
  }
  assert.deepEqual(got, expected);
});

Deno.test("RandomStream derived draws keep no state outside their stream", () => {
  // next, normal, exponential and below, called on two streams of the same
  // seed and name in turn, give each what it gives alone: no draw (a cached
  // normal, say) leaks from one stream to the other.
  const ops = [
    (s: RandomStream) => s.next(),
    (s: RandomStream) => s.normal(),
    (s: RandomStream) => s.exponential(3),
    (s: RandomStream) => s.below(10),
  ];
  const alone = new RandomStreams(7).stream("service");
  const expected: number[] = [];
  for (let i = 0; i < 400; i++) expected.push(ops[i % 4]!(alone));
  const a = new RandomStreams(7).stream("service");
  const b = new RandomStreams(7).stream("service");
  const gotA: number[] = [];
  const gotB: number[] = [];
  for (let i = 0; i < 400; i++) {
    gotA.push(ops[i % 4]!(a));
    gotB.push(ops[i % 4]!(b));
  }
  assert.deepEqual(gotA, expected);
  assert.deepEqual(gotB, expected);
});

Deno.test("RandomStreams gives different sequences for different names and seeds", () => {
  const streams = new RandomStreams(1);
  const arrivals = draws(streams.stream("arrivals"), 50);
  assert.notDeepEqual(arrivals, draws(streams.stream("service"), 50));
  assert.notDeepEqual(arrivals, draws(streams.stream("arrivalt"), 50));
  assert.notDeepEqual(arrivals, draws(new RandomStreams(2).stream("arrivals"), 50));
  // Seeds that differ only above bit 32 still differ.
  assert.notDeepEqual(
    draws(new RandomStreams(1).stream("x"), 50),
    draws(new RandomStreams(1 + 2 ** 32).stream("x"), 50),
  );
});

Deno.test("RandomStreams returns the same stream object for the same name", () => {
  const streams = new RandomStreams(3);
  assert.equal(streams.stream("a"), streams.stream("a"));
  assert.notEqual(streams.stream("a"), streams.stream("b"));
  assert.equal(streams.stream("a").name, "a");
});

Deno.test("RandomStreams creating another stream does not change an existing stream's draws", () => {
  const alone = new RandomStreams(99);
  const expected = draws(alone.stream("arrivals"), 200);

  const crowded = new RandomStreams(99);
  const arrivals = crowded.stream("arrivals");
  const got = draws(arrivals, 100);
  const placement = crowded.stream("placement");
  draws(placement, 500);
  got.push(...draws(arrivals, 100));
  assert.deepEqual(got, expected);
});

Deno.test("RandomStream next is uniform in [0, 1) with a mean of 1/2", () => {
  const rng = new RandomStreams(5).stream("uniform");
  const n = 100_000;
  let sum = 0;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    // The low bits are random too: u * 2^53 is an integer of any parity.
    if ((u * 2 ** 53) % 2 === 1) odd++;
  }
  // Standard error of the mean is sqrt(1/12 / n); allow 5 of them.
  assert.ok(Math.abs(sum / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
  // Odd 53-bit integers about half the time (binomial, 5 standard errors).
  assert.ok(Math.abs(odd / n - 0.5) < 5 * Math.sqrt(0.25 / n));
});

Deno.test("RandomStream nextUint32 returns integers in [0, 2^32)", () => {
  const rng = new RandomStreams(5).stream("bits");
  let highBit = 0;
  const n = 10_000;
  for (let i = 0; i < n; i++) {
    const x = rng.nextUint32();
    assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
    if (x >= 2 ** 31) highBit++;
  }
  assert.ok(Math.abs(highBit / n - 0.5) < 5 * Math.sqrt(0.25 / n));
});

Deno.test("RandomStream below returns each integer in [0, n) equally often", () => {
  const rng = new RandomStreams(11).stream("below");
  const n = 7;
  const draws = 70_000;
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < draws; i++) {
    const k = rng.below(n);
    assert.ok(Number.isInteger(k) && k >= 0 && k < n);
    counts[k]!++;
  }
  // Each count is binomial(draws, 1/n); allow 5 standard deviations.
  const expected = draws / n;
  const sd = Math.sqrt(draws * (1 / n) * (1 - 1 / n));
  for (const count of counts) assert.ok(Math.abs(count - expected) < 5 * sd, `${counts}`);
  assert.equal(rng.below(1), 0);
  assert.ok(rng.below(2 ** 32) < 2 ** 32);
  assert.throws(() => rng.below(0), RangeError);
  assert.throws(() => rng.below(2.5), RangeError);
  assert.throws(() => rng.below(2 ** 32 + 1), RangeError);
});

Deno.test("RandomStream exponential has the requested mean", () => {
  const rng = new RandomStreams(13).stream("exp");
  const n = 100_000;
  const mean = 20;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.exponential(mean);
    assert.ok(x >= 0 && Number.isFinite(x));
    sum += x;
  }
  // The standard deviation of an exponential equals its mean; 5 standard errors.
  assert.ok(Math.abs(sum / n - mean) < 5 * mean / Math.sqrt(n));
  assert.throws(() => rng.exponential(-1), RangeError);
  assert.throws(() => rng.exponential(Number.NaN), RangeError);
});

Deno.test("RandomStream normal has mean 0 and variance 1", () => {
  const rng = new RandomStreams(17).stream("normal");
  const n = 100_000;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    sum += x;
    sumSquares += x * x;
  }
  const mean = sum / n;
  const variance = sumSquares / n - mean * mean;
  // Standard error of the mean is 1/sqrt(n); of the variance, sqrt(2/n).
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n));
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n));
});

Deno.test("RandomStreams rejects a seed that is not a safe integer", () => {
  assert.throws(() => new RandomStreams(1.5), RangeError);
  assert.throws(() => new RandomStreams(2 ** 53), RangeError);
  assert.throws(() => new RandomStream(Number.NaN, "x"), RangeError);
});

/**
 * An independent reference of the documented pipeline, in BigInt arithmetic:
 * FNV-1a over the seed's 8 little-endian bytes and the name's UTF-16 code
 * units (low byte first), splitmix32 for the four state words, then
 * xoshiro128**.
 */
function referenceUint32(seed: number, name: string, count: number): number[] {
  const M = 0xffffffffn;
  const mul = (x: bigint, y: bigint) => (x * y) & M;
  let hash = 0x811c9dc5n;
  const seedBits = BigInt.asUintN(64, BigInt(seed));
  const bytes: bigint[] = [];
  for (let i = 0n; i < 8n; i++) bytes.push((seedBits >> (8n * i)) & 0xffn);
  for (const unit of name) {
    const code = BigInt(unit.charCodeAt(0));
    bytes.push(code & 0xffn, code >> 8n);
  }
  for (const byte of bytes) hash = mul(hash ^ byte, 0x01000193n);
  let state = hash;
  const s: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    state = (state + 0x9e3779b9n) & M;
    let z = state;
    z = mul(z ^ (z >> 16n), 0x85ebca6bn);
    z = mul(z ^ (z >> 13n), 0xc2b2ae35n);
    s.push(z ^ (z >> 16n));
  }
  return referenceXoshiro(s as [bigint, bigint, bigint, bigint], count);
}

/** xoshiro128** from a given state, in BigInt arithmetic. */
function referenceXoshiro(state: [bigint, bigint, bigint, bigint], count: number): number[] {
  const M = 0xffffffffn;
  const mul = (x: bigint, y: bigint) => (x * y) & M;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  let [s0, s1, s2, s3] = state;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number(mul(rotl(mul(s1, 5n), 7n), 9n)));
    const t = (s1 << 9n) & M;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11n);
  }
  return out;
}

Deno.test("RandomStream reference xoshiro128** gives the hand-computed first outputs", () => {
  // From state (1, 2, 3, 4): rotl(2 * 5, 7) * 9 = 11520; the update makes
  // s1 = 0, so the second output is 0.
  assert.deepEqual(referenceXoshiro([1n, 2n, 3n, 4n], 2), [11520, 0]);
});

Deno.test("RandomStream matches a BigInt reference of FNV-1a, splitmix32 and xoshiro128**", () => {
  for (
    const [seed, name] of [[1, "pinned"], [0, ""], [2 ** 40 + 7, "service times"], [
      -5,
      "é→",
    ]] as const
  ) {
    assert.deepEqual(
      draws(new RandomStreams(seed).stream(name), 100),
      referenceUint32(seed, name, 100),
    );
  }
});

Deno.test("RandomStream draws are pinned for seed 1 (guards against accidental changes)", () => {
  assert.deepEqual(draws(new RandomStreams(1).stream("pinned"), 4), PINNED);
});
