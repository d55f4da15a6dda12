/**
 * Closed forms of textbook queues (shared/reference/queueing.md) and the
 * batch-means confidence interval, for the validation tests of this folder.
 *
 * Every function is pure and unit-free: pass rates and times in any
 * consistent units (for example requests per microsecond and microseconds)
 * and read results in the same units. Notation: arrival rate λ, service rate
 * μ = 1/E[S], c servers, offered load a = λ/μ, utilization ρ = a/c < 1.
 * Every function throws a {@linkcode RangeError} for a parameter out of
 * range, including an unstable queue (ρ ≥ 1).
 *
 * @module
 */

/**
 * Erlang C: the probability that an arrival to an M/M/c queue waits,
 *
 *     C(c, a) = [aᶜ/c! · c/(c−a)] / [Σ_{k=0}^{c−1} aᵏ/k! + aᶜ/c! · c/(c−a)].
 *
 * Computed through the Erlang B recursion `B(0) = 1`,
 * `B(k) = a·B(k−1) / (k + a·B(k−1))` and `C = c·B / (c − a·(1 − B))`, which
 * needs no factorial and is stable for any number of servers.
 *
 * @param c Number of servers, an integer ≥ 1.
 * @param a Offered load λ/μ, in [0, c).
 * @returns The waiting probability, in [0, 1).
 * @throws {RangeError} if `c` is not a positive integer or `a` is not in [0, c).
 *
 * @example
 * ```ts
 * import { erlangC } from "./_closed_forms.ts";
 * // One server: an arrival waits with probability ρ.
 * if (Math.abs(erlangC(1, 0.7) - 0.7) > 1e-12) throw new Error("wrong");
 * ```
 */
export function erlangC(c: number, a: number): number {
  checkServers(c);
  if (!(a >= 0 && a < c)) {
    throw new RangeError(`Invalid offered load ${a}: expected a number in [0, c) with c = ${c}`);
  }
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return (c * b) / (c - a * (1 - b));
}

/**
 * Mean response time (wait + service) of an M/M/c FCFS queue:
 * `E[T] = C(c, a) / (cμ − λ) + 1/μ`.
 *
 * @param lambda Arrival rate λ > 0.
 * @param mu Service rate μ > 0 of one server.
 * @param c Number of servers, an integer ≥ 1, with λ < cμ.
 * @throws {RangeError} if a parameter is out of range or the queue is unstable.
 */
export function mmcMeanResponse(lambda: number, mu: number, c: number): number {
  checkMmc(lambda, mu, c);
  return erlangC(c, lambda / mu) / (c * mu - lambda) + 1 / mu;
}

/**
 * Tail of the response time of an M/M/c FCFS queue, `P(T > t)`. With
 * `θ = cμ − λ` the reference gives
 *
 *     P(T > t) = (1−C)·e^{−μt} + C·(θ·e^{−μt} − μ·e^{−θt}) / (θ − μ),
 *
 * and `C·e^{−μt}·(1 + μt)` for the last term when `θ = μ`. This function
 * evaluates the same expression in a form without cancellation near
 * `θ = μ`:
 *
 *     P(T > t) = e^{−μt} + C·μ·(e^{−μt} − e^{−θt}) / (θ − μ)
 *              = e^{−μt} + C·μ·t·e^{−min(μ,θ)·t}·g(|θ − μ|·t),
 *
 * where `g(x) = (1 − e^{−x}) / x` and `g(0) = 1`, so `θ = μ` is not a special
 * case and `θ` close to `μ` loses no precision.
 *
 * @param t Time ≥ 0 (`Infinity` gives 0).
 * @param lambda Arrival rate λ > 0.
 * @param mu Service rate μ > 0 of one server.
 * @param c Number of servers, an integer ≥ 1, with λ < cμ.
 * @returns The probability that a request's response time exceeds `t`.
 * @throws {RangeError} if a parameter is out of range or the queue is unstable.
 *
 * @example
 * ```ts
 * import { mmcResponseTail } from "./_closed_forms.ts";
 * // M/M/1: the response time is exponential with rate μ − λ.
 * const tail = mmcResponseTail(5, 0.7, 1, 1);
 * if (Math.abs(tail - Math.exp(-0.3 * 5)) > 1e-12) throw new Error("wrong");
 * ```
 */
export function mmcResponseTail(t: number, lambda: number, mu: number, c: number): number {
  checkMmc(lambda, mu, c);
  if (!(t >= 0)) throw new RangeError(`Invalid time ${t}: expected a number >= 0`);
  if (t === Infinity) return 0;
  const C = erlangC(c, lambda / mu);
  const theta = c * mu - lambda;
  const slower = Math.min(mu, theta);
  const x = Math.abs(theta - mu) * t;
  const g = x === 0 ? 1 : -Math.expm1(-x) / x;
  return Math.exp(-mu * t) + C * mu * t * Math.exp(-slower * t) * g;
}

/**
 * Quantile of the response time of an M/M/c FCFS queue: the `t` with
 * `P(T ≤ t) = p`, found by bisection on {@linkcode mmcResponseTail} (which
 * decreases strictly from 1 at t = 0). The bracket starts at `[0, 1/μ]` and
 * doubles until it holds the quantile; bisection then runs until the bracket
 * is narrower than 1e-13 of its upper end (about 45 halvings).
 *
 * @param p Probability in [0, 1); `p = 0` gives 0.
 * @param lambda Arrival rate λ > 0.
 * @param mu Service rate μ > 0 of one server.
 * @param c Number of servers, an integer ≥ 1, with λ < cμ.
 * @throws {RangeError} if `p` is not in [0, 1), another parameter is out of
 * range or the queue is unstable.
 */
export function mmcResponseQuantile(p: number, lambda: number, mu: number, c: number): number {
  checkMmc(lambda, mu, c);
  if (!(p >= 0 && p < 1)) {
    throw new RangeError(`Invalid probability ${p}: expected a number in [0, 1)`);
  }
  if (p === 0) return 0;
  const target = 1 - p;
  let low = 0;
  let high = 1 / mu;
  while (mmcResponseTail(high, lambda, mu, c) > target) {
    low = high;
    high *= 2;
  }
  while (high - low > 1e-13 * high) {
    const middle = (low + high) / 2;
    if (middle <= low || middle >= high) break;
    if (mmcResponseTail(middle, lambda, mu, c) > target) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/**
 * Mean response time of an M/G/1 FCFS queue (Pollaczek–Khinchine):
 * `E[T] = E[S] + λ·E[S²] / (2(1 − ρ))` with `ρ = λ·E[S]`.
 *
 * @param lambda Arrival rate λ > 0.
 * @param es Mean service time E[S] > 0, with λ·E[S] < 1.
 * @param es2 Second moment E[S²] ≥ E[S]².
 * @throws {RangeError} if a parameter is out of range or the queue is unstable.
 *
 * @example
 * ```ts
 * import { mg1MeanResponse } from "./_closed_forms.ts";
 * // M/M/1 (E[S²] = 2·E[S]²): E[T] = 1 / (μ − λ).
 * if (Math.abs(mg1MeanResponse(0.5, 1, 2) - 2) > 1e-12) throw new Error("wrong");
 * ```
 */
export function mg1MeanResponse(lambda: number, es: number, es2: number): number {
  const rho = checkMg1(lambda, es, es2);
  return es + (lambda * es2) / (2 * (1 - rho));
}

/**
 * Second moment of the wait (before service) of an M/G/1 FCFS queue
 * (Takács): `E[Wq²] = 2·E[Wq]² + λ·E[S³] / (3(1 − ρ))`, where
 * `E[Wq] = λ·E[S²] / (2(1 − ρ))`.
 *
 * @param lambda Arrival rate λ > 0.
 * @param es Mean service time E[S] > 0, with λ·E[S] < 1.
 * @param es2 Second moment E[S²] ≥ E[S]².
 * @param es3 Third moment E[S³] ≥ 0.
 * @throws {RangeError} if a parameter is out of range or the queue is unstable.
 */
export function mg1WaitSecondMoment(
  lambda: number,
  es: number,
  es2: number,
  es3: number,
): number {
  const rho = checkMg1(lambda, es, es2);
  if (!(es3 >= 0) || !Number.isFinite(es3)) {
    throw new RangeError(`Invalid third moment ${es3}: expected a finite number >= 0`);
  }
  const wait = (lambda * es2) / (2 * (1 - rho));
  return 2 * wait * wait + (lambda * es3) / (3 * (1 - rho));
}

/**
 * Mean response time of an M/G/1 processor-sharing queue,
 * `E[T] = E[S] / (1 − ρ)`: insensitive to the service distribution beyond
 * its mean.
 *
 * @param lambda Arrival rate λ > 0.
 * @param es Mean service time E[S] > 0, with λ·E[S] < 1.
 * @throws {RangeError} if a parameter is out of range or the queue is unstable.
 */
export function psMeanResponse(lambda: number, es: number): number {
  return es / (1 - checkLoad(lambda, es));
}

/**
 * Mean response time of a request of size `x` in an M/G/1 processor-sharing
 * queue, `E[T | S = x] = x / (1 − ρ)`: a short request is slowed by the same
 * factor 1/(1 − ρ) however long the others are.
 *
 * @param lambda Arrival rate λ > 0.
 * @param es Mean service time E[S] > 0, with λ·E[S] < 1.
 * @param x The request's service time, ≥ 0.
 * @throws {RangeError} if a parameter is out of range or the queue is unstable.
 */
export function psConditionalMean(lambda: number, es: number, x: number): number {
  const rho = checkLoad(lambda, es);
  if (!(x >= 0) || !Number.isFinite(x)) {
    throw new RangeError(`Invalid service time ${x}: expected a finite number >= 0`);
  }
  return x / (1 - rho);
}

/** A confidence interval `mean ± halfWidth`. */
export interface ConfidenceInterval {
  /** The grand mean: the mean of the batch means. */
  mean: number;
  /** Half the width of the ~99% two-sided interval. */
  halfWidth: number;
}

/**
 * The batch-means method: splits `values` (in order) into `batches`
 * contiguous batches of equal size, and returns the mean of the batch means
 * with the half-width of a two-sided 99% Student-t confidence interval,
 * `t(0.995, batches − 1) · s / √batches`, where `s` is the sample standard
 * deviation of the batch means (see {@linkcode studentT995}).
 *
 * When the length is not a multiple of `batches`, the leading remainder
 * (`values.length mod batches` values, the ones closest to the warm-up) is
 * dropped. For independent replications (one value per run, such as the
 * mean latency of each seed), pass `batches = values.length`: each value is
 * its own batch. The interval is valid when the batch means are nearly
 * independent and nearly normal, which long batches make true.
 *
 * @param values The observations, in the order they were produced.
 * @param batches Number of batches, an integer ≥ 2 and ≤ `values.length`.
 * @throws {RangeError} if `batches` is not an integer ≥ 2, there are fewer
 * values than batches, or a value is not finite.
 *
 * @example
 * ```ts
 * import { batchMeans } from "./_closed_forms.ts";
 * const { mean, halfWidth } = batchMeans([1, 2, 3, 4], 4);
 * // s = 1.2910, t(0.995, 3) = 5.841: 5.841 · 1.2910 / 2 = 3.770
 * if (mean !== 2.5 || Math.abs(halfWidth - 3.770) > 1e-3) throw new Error("wrong");
 * ```
 */
export function batchMeans(values: readonly number[], batches = 20): ConfidenceInterval {
  if (!Number.isInteger(batches) || batches < 2) {
    throw new RangeError(`Invalid batch count ${batches}: expected an integer >= 2`);
  }
  if (values.length < batches) {
    throw new RangeError(
      `Too few values for ${batches} batches: got ${values.length}, expected at least ${batches}`,
    );
  }
  const size = Math.floor(values.length / batches);
  const skip = values.length - size * batches;
  const means = new Float64Array(batches);
  for (let b = 0; b < batches; b++) {
    let sum = 0;
    for (let i = skip + b * size; i < skip + (b + 1) * size; i++) {
      const value = values[i]!;
      if (!Number.isFinite(value)) {
        throw new RangeError(`Invalid value ${value} at index ${i}: expected a finite number`);
      }
      sum += value;
    }
    means[b] = sum / size;
  }
  let total = 0;
  for (const m of means) total += m;
  const mean = total / batches;
  let squares = 0;
  for (const m of means) squares += (m - mean) * (m - mean);
  const sd = Math.sqrt(squares / (batches - 1));
  return { mean, halfWidth: (studentT995(batches - 1) * sd) / Math.sqrt(batches) };
}

/** The 0.995 quantiles of Student's t for 1 to 30 degrees of freedom (3 decimals). */
const T995: readonly number[] = [
  63.657,
  9.925,
  5.841,
  4.604,
  4.032,
  3.707,
  3.499,
  3.355,
  3.25,
  3.169,
  3.106,
  3.055,
  3.012,
  2.977,
  2.947,
  2.921,
  2.898,
  2.878,
  2.861,
  2.845,
  2.831,
  2.819,
  2.807,
  2.797,
  2.787,
  2.779,
  2.771,
  2.763,
  2.756,
  2.75,
];

/** The 0.995 quantile of the standard normal distribution. */
const Z995 = 2.5758293035489;

/**
 * The 0.995 quantile of Student's t distribution with `df` degrees of
 * freedom: the multiplier of a two-sided 99% confidence interval. From the
 * usual table (3 decimals) for 1 to 30 degrees of freedom; above 30, from
 * the Cornish–Fisher expansion of t in powers of 1/df around the normal
 * quantile z = 2.5758 (three correction terms, within 1e-3 of the exact
 * value for df > 30, e.g. 2.704 for 40, 2.660 for 60, 2.617 for 120).
 *
 * @param df Degrees of freedom, an integer ≥ 1.
 * @throws {RangeError} if `df` is not a positive integer.
 */
export function studentT995(df: number): number {
  if (!Number.isInteger(df) || df < 1) {
    throw new RangeError(`Invalid degrees of freedom ${df}: expected an integer >= 1`);
  }
  const tabulated = T995[df - 1];
  if (tabulated !== undefined) return tabulated;
  const z = Z995;
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  return z + g1 / df + g2 / (df * df) + g3 / (df * df * df);
}

function checkServers(c: number): void {
  if (!Number.isInteger(c) || c < 1) {
    throw new RangeError(`Invalid server count ${c}: expected an integer >= 1`);
  }
}

function checkMmc(lambda: number, mu: number, c: number): void {
  checkServers(c);
  if (!(lambda > 0) || !Number.isFinite(lambda)) {
    throw new RangeError(`Invalid arrival rate ${lambda}: expected a finite number > 0`);
  }
  if (!(mu > 0) || !Number.isFinite(mu)) {
    throw new RangeError(`Invalid service rate ${mu}: expected a finite number > 0`);
  }
  if (!(lambda < c * mu)) {
    throw new RangeError(
      `Unstable queue: λ = ${lambda} is not below cμ = ${c * mu} (expected ρ < 1)`,
    );
  }
}

/** Checks λ and E[S] and returns ρ = λ·E[S] < 1. */
function checkLoad(lambda: number, es: number): number {
  if (!(lambda > 0) || !Number.isFinite(lambda)) {
    throw new RangeError(`Invalid arrival rate ${lambda}: expected a finite number > 0`);
  }
  if (!(es > 0) || !Number.isFinite(es)) {
    throw new RangeError(`Invalid mean service time ${es}: expected a finite number > 0`);
  }
  const rho = lambda * es;
  if (!(rho < 1)) throw new RangeError(`Unstable queue: ρ = ${rho}, expected ρ < 1`);
  return rho;
}

/** Checks the M/G/1 parameters and returns ρ. */
function checkMg1(lambda: number, es: number, es2: number): number {
  const rho = checkLoad(lambda, es);
  // Allow a rounding error in E[S²] ≥ E[S]² (equality for constant service).
  if (!(es2 >= es * es * (1 - 1e-12)) || !Number.isFinite(es2)) {
    throw new RangeError(
      `Invalid second moment ${es2}: expected a finite number >= E[S]² = ${es * es}`,
    );
  }
  return rho;
}
