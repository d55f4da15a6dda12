/**
 * Service-time distributions parsed from command-line specs such as
 * `exp:20us` or `bimodal:10us,5ms,0.005`. Samples are integer nanoseconds.
 *
 * @module
 */

import { InputError } from "./errors.ts";
import type { RandomStream } from "./random.ts";
import { parseDuration, US } from "./units.ts";

/** A service-time distribution: draws integer nanoseconds from a random stream. */
export interface Distribution {
  /** The spec it was parsed from, e.g. `exp:20us`. */
  readonly spec: string;
  /** Request type names: `["short", "long"]` for bimodal, else `["request"]`. */
  readonly types: readonly string[];
  /** Exact mean in ns (for empirical: the mean of the file's values). */
  readonly mean: number;
  /** Draws one value: an integer number of nanoseconds, at least 0. */
  sample(rng: RandomStream): number;
  /** Index into `types` of the last sample's type. */
  readonly lastType: number;
}

/** Options for {@linkcode parseDistribution}. */
export interface DistributionOptions {
  /**
   * Reads the file of an `empirical:FILE` spec.
   *
   * @default {Deno.readTextFileSync}
   */
  readTextFile?: (path: string) => string;
}

const KINDS = "const, exp, uniform, lognormal, bimodal or empirical";
const SINGLE_TYPE: readonly string[] = Object.freeze(["request"]);
const BIMODAL_TYPES: readonly string[] = Object.freeze(["short", "long"]);
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parses a service-time distribution spec:
 *
 * - `const:10us` — always 10 us.
 * - `exp:20us` — exponential with mean 20 us.
 * - `uniform:5us,15us` — uniform between 5 us and 15 us.
 * - `lognormal:20us,1.5` — log-normal with MEAN 20 us (not median) and
 *   sigma 1.5 of the underlying normal, so mu = ln(mean) - sigma^2 / 2.
 * - `bimodal:10us,5ms,0.005` — 10 us ("short") or, with probability 0.005,
 *   5 ms ("long").
 * - `empirical:FILE.csv` — uniform among the first-column values of a CSV
 *   file. A non-numeric first row is a header and is skipped; a bare number
 *   is in microseconds, or a value carries a unit (`12us`, `3ms`).
 *
 * Durations take a unit (ns, us, ms, s). Samples are rounded to integer
 * nanoseconds. Bad input throws an {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { parseDistribution } from "./distributions.ts";
 * import { RandomStreams } from "./random.ts";
 *
 * const service = parseDistribution("bimodal:10us,5ms,0.5");
 * if (service.mean !== 2_505_000) throw new Error(`mean ${service.mean}`);
 * const rng = new RandomStreams(7).stream("service");
 * const ns = service.sample(rng);
 * const type = service.types[service.lastType];
 * if (!(ns === 10_000 && type === "short") && !(ns === 5_000_000 && type === "long")) {
 *   throw new Error(`${ns} ${type}`);
 * }
 * ```
 */
export function parseDistribution(spec: string, options: DistributionOptions = {}): Distribution {
  const colon = spec.indexOf(":");
  if (colon < 0) {
    throw new InputError(
      `Malformed distribution "${spec}": expected KIND:ARGS with KIND one of ${KINDS}, e.g. exp:20us`,
    );
  }
  const kind = spec.slice(0, colon).trim().toLowerCase();
  const rest = spec.slice(colon + 1);
  switch (kind) {
    case "const": {
      const [value] = splitArgs(spec, rest, "const:VALUE, e.g. const:10us", 1);
      return new ConstDistribution(spec, duration(spec, value!, "const value"));
    }
    case "exp": {
      const [mean] = splitArgs(spec, rest, "exp:MEAN, e.g. exp:20us", 1);
      const ns = duration(spec, mean!, "exp mean");
      if (!(ns > 0)) {
        throw new InputError(
          `Invalid exp mean "${mean!.trim()}" in "${spec}": expected a duration > 0`,
        );
      }
      return new ExpDistribution(spec, ns);
    }
    case "uniform": {
      const [lo, hi] = splitArgs(spec, rest, "uniform:LO,HI, e.g. uniform:5us,15us", 2);
      const low = duration(spec, lo!, "uniform low bound");
      const high = duration(spec, hi!, "uniform high bound");
      if (low > high) {
        throw new InputError(
          `Invalid uniform bounds "${rest.trim()}" in "${spec}": expected LO <= HI, e.g. uniform:5us,15us`,
        );
      }
      return new UniformDistribution(spec, low, high);
    }
    case "lognormal": {
      const [mean, sigma] = splitArgs(
        spec,
        rest,
        "lognormal:MEAN,SIGMA, e.g. lognormal:20us,1.5",
        2,
      );
      const meanNs = duration(spec, mean!, "lognormal mean");
      if (meanNs <= 0) {
        throw new InputError(
          `Invalid lognormal mean "${mean!.trim()}" in "${spec}": expected a duration > 0`,
        );
      }
      const sigmaValue = plainNumber(spec, sigma!, "lognormal sigma");
      if (sigmaValue < 0) {
        throw new InputError(
          `Invalid lognormal sigma "${sigma!.trim()}" in "${spec}": expected a number >= 0`,
        );
      }
      return new LognormalDistribution(spec, meanNs, sigmaValue);
    }
    case "bimodal": {
      const [short, long, p] = splitArgs(
        spec,
        rest,
        "bimodal:SHORT,LONG,P_LONG, e.g. bimodal:10us,5ms,0.005",
        3,
      );
      const shortNs = duration(spec, short!, "bimodal short value");
      const longNs = duration(spec, long!, "bimodal long value");
      const probability = plainNumber(spec, p!, "bimodal probability");
      if (!(probability >= 0 && probability <= 1)) {
        throw new InputError(
          `Invalid bimodal probability "${p!.trim()}" in "${spec}": expected a number in [0, 1]`,
        );
      }
      return new BimodalDistribution(spec, shortNs, longNs, probability);
    }
    case "empirical": {
      const path = rest.trim();
      if (path === "") {
        throw new InputError(
          `Malformed distribution "${spec}": expected empirical:FILE, e.g. empirical:service.csv`,
        );
      }
      const readTextFile = options.readTextFile ?? Deno.readTextFileSync;
      let text: string;
      try {
        text = readTextFile(path);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new InputError(
          `Cannot read empirical distribution file "${path}": ${firstLine(reason)}`,
        );
      }
      return new EmpiricalDistribution(spec, parseEmpirical(path, text));
    }
    default:
      throw new InputError(`Unknown distribution "${spec}": expected ${KINDS}`);
  }
}

class ConstDistribution implements Distribution {
  readonly types = SINGLE_TYPE;
  readonly lastType = 0;
  readonly mean: number;
  readonly spec: string;
  readonly #value: number;

  constructor(spec: string, value: number) {
    this.spec = spec;
    this.#value = value;
    this.mean = value;
  }

  sample(_rng: RandomStream): number {
    return this.#value;
  }
}

class ExpDistribution implements Distribution {
  readonly types = SINGLE_TYPE;
  readonly lastType = 0;
  readonly mean: number;
  readonly spec: string;

  constructor(spec: string, mean: number) {
    this.spec = spec;
    this.mean = mean;
  }

  sample(rng: RandomStream): number {
    return Math.round(rng.exponential(this.mean));
  }
}

class UniformDistribution implements Distribution {
  readonly types = SINGLE_TYPE;
  readonly lastType = 0;
  readonly mean: number;
  readonly spec: string;
  readonly #low: number;
  readonly #width: number;

  constructor(spec: string, low: number, high: number) {
    this.spec = spec;
    this.#low = low;
    this.#width = high - low;
    // Rounding a continuous uniform on [low, high) keeps the mean: the end
    // values each get half a unit of weight.
    this.mean = (low + high) / 2;
  }

  sample(rng: RandomStream): number {
    return Math.round(this.#low + rng.next() * this.#width);
  }
}

class LognormalDistribution implements Distribution {
  readonly types = SINGLE_TYPE;
  readonly lastType = 0;
  readonly mean: number;
  readonly spec: string;
  readonly #mu: number;
  readonly #sigma: number;

  constructor(spec: string, mean: number, sigma: number) {
    this.spec = spec;
    this.mean = mean;
    this.#sigma = sigma;
    // E[exp(N(mu, sigma^2))] = exp(mu + sigma^2 / 2), solved for mu.
    this.#mu = Math.log(mean) - (sigma * sigma) / 2;
  }

  sample(rng: RandomStream): number {
    return Math.round(Math.exp(this.#mu + this.#sigma * rng.normal()));
  }
}

class BimodalDistribution implements Distribution {
  readonly types = BIMODAL_TYPES;
  readonly mean: number;
  readonly spec: string;
  readonly #short: number;
  readonly #long: number;
  readonly #probability: number;
  #lastType = 0;

  constructor(spec: string, short: number, long: number, probability: number) {
    this.spec = spec;
    this.#short = short;
    this.#long = long;
    this.#probability = probability;
    this.mean = (1 - probability) * short + probability * long;
  }

  get lastType(): number {
    return this.#lastType;
  }

  sample(rng: RandomStream): number {
    if (rng.next() < this.#probability) {
      this.#lastType = 1;
      return this.#long;
    }
    this.#lastType = 0;
    return this.#short;
  }
}

class EmpiricalDistribution implements Distribution {
  readonly types = SINGLE_TYPE;
  readonly lastType = 0;
  readonly mean: number;
  readonly spec: string;
  readonly #values: Float64Array;

  constructor(spec: string, values: Float64Array) {
    this.spec = spec;
    this.#values = values;
    let sum = 0;
    for (const value of values) sum += value;
    this.mean = sum / values.length;
  }

  sample(rng: RandomStream): number {
    return this.#values[rng.below(this.#values.length)]!;
  }
}

/** Splits the arguments after `KIND:` and checks their count. */
function splitArgs(spec: string, rest: string, expected: string, count: number): string[] {
  const args = rest.split(",");
  if (args.length !== count || args.some((arg) => arg.trim() === "")) {
    throw new InputError(`Malformed distribution "${spec}": expected ${expected}`);
  }
  return args;
}

/** Parses a non-negative duration argument to integer ns. */
function duration(spec: string, text: string, what: string): number {
  const trimmed = text.trim();
  if (trimmed.startsWith("-")) {
    throw new InputError(
      `Negative ${what} "${trimmed}" in "${spec}": expected a duration >= 0, e.g. 10us`,
    );
  }
  try {
    return parseDuration(trimmed, what);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(
      `Malformed ${what} "${trimmed}" in "${spec}": expected a number with a unit (ns, us, ms, s), e.g. 10us`,
    );
  }
}

/** Parses a plain finite number argument. */
function plainNumber(spec: string, text: string, what: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!PLAIN_NUMBER.test(trimmed) || !Number.isFinite(value)) {
    throw new InputError(`Malformed ${what} "${trimmed}" in "${spec}": expected a number`);
  }
  return value;
}

/**
 * Reads one first-column cell of an empirical CSV as ns (rounded; negative
 * if the cell is). Returns null for a cell that is not a value, so the
 * first row can be a header.
 */
function empiricalValue(cell: string): number | null {
  if (PLAIN_NUMBER.test(cell)) return Math.round(Number(cell) * US) + 0;
  const sign = cell.startsWith("-") ? -1 : 1;
  const body = cell.replace(/^[+-]/, "");
  if (!/^[\d.]/.test(body)) return null;
  try {
    return sign * parseDuration(body) + 0;
  } catch {
    return null;
  }
}

function parseEmpirical(path: string, text: string): Float64Array {
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  let seenRow = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === "") continue;
    const cell = line.split(",")[0]!.trim().replace(/^"(.*)"$/, "$1").trim();
    const value = empiricalValue(cell);
    const isHeader = !seenRow;
    seenRow = true;
    if (value === null) {
      if (isHeader) continue;
      throw new InputError(
        `Malformed value "${cell}" at ${path}:${
          index + 1
        }: expected a number of microseconds or a duration like 12us`,
      );
    }
    if (!(value >= 0 && Number.isFinite(value))) {
      throw new InputError(
        `Invalid value "${cell}" at ${path}:${index + 1}: expected a duration >= 0`,
      );
    }
    values.push(value);
  }
  if (values.length === 0) {
    throw new InputError(
      `Empty empirical distribution file "${path}": expected at least one value in the first column`,
    );
  }
  return Float64Array.from(values);
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline < 0 ? text : text.slice(0, newline);
}
