/**
 * Declared options: what a part of a run (a workload, a policy, the run
 * itself) accepts, each with its kind, default, bounds and one line of help.
 * The part owns its declaration; a front end (the command line, a JSON
 * configuration) reads values, and {@link resolveOptions} fills in the
 * defaults and checks every value in one place.
 *
 * Names here are configuration keys (`rangeRatio`, `getExpMeanNs`); how a
 * front end spells them (`--range-ratio`) is its business: the checks take a
 * `label` for their messages.
 *
 * @example
 * ```ts
 * import { type OptionSpecs, resolveOptions } from "./options.ts";
 * const SPECS = {
 *   workers: { kind: "integer", default: 4, min: 1, max: 64, help: "worker threads" },
 *   wait: { kind: "choice", choices: ["futex", "spin"], default: "futex", help: "how idle workers wait" },
 * } as const satisfies OptionSpecs;
 * const values = resolveOptions(SPECS, { wait: "spin" });
 * if (values.workers !== 4 || values.wait !== "spin") throw new Error("wrong");
 * ```
 *
 * @module
 */

import { parseDistribution } from "./distributions.ts";
import { InputError } from "./errors.ts";
import { formatDuration } from "./units.ts";

/** A duration, in integer nanoseconds. */
export interface DurationOption {
  /** Kind of value. */
  readonly kind: "duration";
  /** One line of help. */
  readonly help: string;
  /** Default, ns. @default none: the option may stay unset */
  readonly default?: number;
  /** Smallest value, ns. @default 0 */
  readonly min?: number;
  /** Largest value, ns. @default none */
  readonly max?: number;
}

/** A finite number. */
export interface NumberOption {
  /** Kind of value. */
  readonly kind: "number";
  /** One line of help. */
  readonly help: string;
  /** Default. @default none: the option may stay unset */
  readonly default?: number;
  /** Smallest value (see `minExclusive`). @default none */
  readonly min?: number;
  /** Whether `min` itself is excluded (`min: 0, minExclusive: true`: positive). @default false */
  readonly minExclusive?: boolean;
  /** Largest value. @default none */
  readonly max?: number;
}

/** An integer from `min` to `max`. */
export interface IntegerOption {
  /** Kind of value. */
  readonly kind: "integer";
  /** One line of help. */
  readonly help: string;
  /** Default. @default none: the option may stay unset */
  readonly default?: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
}

/** One of a list of names. */
export interface ChoiceOption {
  /** Kind of value. */
  readonly kind: "choice";
  /** One line of help. */
  readonly help: string;
  /** The names accepted. */
  readonly choices: readonly string[];
  /** Default. @default none: the option may stay unset */
  readonly default?: string;
  /**
   * What a value names, for messages: with it, a bad value reads
   * `Unknown policy "x": expected one of ...`; without it, `Bad LABEL "x": ...`.
   * @default none
   */
  readonly noun?: string;
}

/** A distribution spec such as `exp:20us` (see core/distributions.ts), kept as text. */
export interface DistributionOption {
  /** Kind of value. */
  readonly kind: "distribution";
  /** One line of help. */
  readonly help: string;
  /** Default spec. @default none: the option may stay unset */
  readonly default?: string;
}

/** A switch. */
export interface BooleanOption {
  /** Kind of value. */
  readonly kind: "boolean";
  /** One line of help. */
  readonly help: string;
  /** Default. @default none: the option may stay unset */
  readonly default?: boolean;
}

/** The declaration of one option. */
export type OptionSpec =
  | DurationOption
  | NumberOption
  | IntegerOption
  | ChoiceOption
  | DistributionOption
  | BooleanOption;

/** Declared options by configuration key, in the order help lists them. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The value of one option. */
export type OptionValue = number | string | boolean;

/** Option values by key, as a configuration holds them (unset options absent). */
export type OptionValues = Readonly<Record<string, OptionValue>>;

/** The type of the value of an option declared as `S`. */
export type OptionValueOf<S extends OptionSpec> = S extends ChoiceOption ? S["choices"][number]
  : S extends BooleanOption ? boolean
  : S extends DistributionOption ? string
  : number;

/**
 * Resolved values of declared options `S`: a value for every option with a
 * default, possibly `undefined` for the others.
 */
export type OptionValuesOf<S extends OptionSpecs> = {
  readonly [K in keyof S]: S[K] extends { readonly default: OptionValue } ? OptionValueOf<S[K]>
    : OptionValueOf<S[K]> | undefined;
};

/** Options of {@link checkOption}. */
export interface CheckOptionOptions {
  /** How messages name the option, e.g. `--range-ratio` or `rangeRatio`. */
  label: string;
  /** The text the value was read from, quoted in messages instead of the value. @default none */
  text?: string | undefined;
}

/**
 * Checks one value against its declaration and returns it; throws
 * InputError naming `label` and the value (or the text it came from).
 *
 * @example
 * ```ts
 * import { checkOption } from "./options.ts";
 * const spec = { kind: "integer", min: 1, max: 4096, help: "CPUs" } as const;
 * if (checkOption(spec, 4, { label: "cpus" }) !== 4) throw new Error("wrong");
 * try {
 *   checkOption(spec, 0, { label: "cpus", text: "0" });
 *   throw new Error("accepted");
 * } catch (error) {
 *   if (!String(error).includes('Bad cpus "0"')) throw error;
 * }
 * ```
 */
export function checkOption(
  spec: OptionSpec,
  value: unknown,
  options: CheckOptionOptions,
): OptionValue {
  const shown = `"${options.text ?? showValue(spec, value)}"`;
  const bad = () => new InputError(`Bad ${options.label} ${shown}: expected ${expected(spec)}`);
  switch (spec.kind) {
    case "duration":
      if (
        typeof value !== "number" || !Number.isSafeInteger(value) || value < (spec.min ?? 0) ||
        (spec.max !== undefined && value > spec.max)
      ) {
        throw bad();
      }
      return value;
    case "integer":
      if (
        typeof value !== "number" || !Number.isInteger(value) || value < spec.min ||
        value > spec.max
      ) {
        throw bad();
      }
      return value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value) || !inRange(spec, value)) {
        throw bad();
      }
      return value;
    case "choice":
      if (typeof value !== "string" || !spec.choices.includes(value)) {
        if (spec.noun === undefined) throw bad();
        const near = typeof value === "string" ? closest(value, spec.choices) : null;
        throw new InputError(
          `Unknown ${spec.noun} ${shown}: ${near === null ? "" : `did you mean ${near}? `}` +
            `expected one of ${spec.choices.join(", ")}`,
        );
      }
      return value;
    case "distribution":
      if (typeof value !== "string") throw bad();
      parseDistribution(value);
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw bad();
      return value;
  }
}

/** Options of {@link resolveOptions}. */
export interface ResolveOptionsOptions {
  /** Who declares the options, for messages, e.g. `workload rocksdb`. @default "options" */
  owner?: string;
  /** How messages name an option. @default the key itself */
  label?: (key: string) => string;
  /** The text each value was read from, by key (quoted in messages). @default none */
  texts?: Readonly<Record<string, string>>;
}

/**
 * Fills in the defaults of declared options and checks every given value;
 * throws InputError on a key that is not declared or a bad value. Options
 * with no default and no value stay `undefined`.
 */
export function resolveOptions<S extends OptionSpecs>(
  specs: S,
  given: Readonly<Record<string, unknown>> = {},
  options: ResolveOptionsOptions = {},
): OptionValuesOf<S> {
  const label = options.label ?? ((key: string) => key);
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(specs, key)) continue;
    const known = Object.keys(specs).map(label);
    throw new InputError(
      `Unknown option ${label(key)} of ${options.owner ?? "options"}: expected ${
        known.length === 0 ? "none" : `one of ${known.join(", ")}`
      }`,
    );
  }
  const values: Record<string, OptionValue> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const value = given[key] !== undefined && Object.hasOwn(given, key) ? given[key] : spec.default;
    if (value === undefined) continue;
    values[key] = checkOption(spec, value, { label: label(key), text: options.texts?.[key] });
  }
  return values as OptionValuesOf<S>;
}

/**
 * What a valid value of `spec` looks like, for messages and help: `an
 * integer from 1 to 4096`, `a positive duration`, `one of futex, spin`.
 */
export function expected(spec: OptionSpec): string {
  switch (spec.kind) {
    case "duration": {
      const min = spec.min ?? 0;
      if (spec.max !== undefined) {
        return `a duration from ${formatDuration(min)} to ${formatDuration(spec.max)}`;
      }
      if (min === 0) return "a non-negative duration";
      return min === 1 ? "a positive duration" : `a duration of at least ${formatDuration(min)}`;
    }
    case "integer":
      return `an integer from ${spec.min} to ${spec.max}`;
    case "number":
      if (spec.min !== undefined && spec.max !== undefined) {
        return `a number from ${spec.min} to ${spec.max}`;
      }
      if (spec.min !== undefined) {
        if (spec.min === 0) return spec.minExclusive ? "a positive number" : "a number >= 0";
        return `a number ${spec.minExclusive ? ">" : ">="} ${spec.min}`;
      }
      return spec.max === undefined ? "a number" : `a number <= ${spec.max}`;
    case "choice":
      return `one of ${spec.choices.join(", ")}`;
    case "distribution":
      return "a distribution such as exp:20us";
    case "boolean":
      return "true or false";
  }
}

/** A value as text: a duration with its unit, a string or number as is, anything else as JSON. */
export function showValue(spec: OptionSpec, value: unknown): string {
  if (spec.kind === "duration" && typeof value === "number" && Number.isSafeInteger(value)) {
    return formatDuration(value);
  }
  if (typeof value === "string" || typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

function inRange(spec: NumberOption, value: number): boolean {
  if (spec.min !== undefined) {
    if (spec.minExclusive ? !(value > spec.min) : !(value >= spec.min)) return false;
  }
  return spec.max === undefined || value <= spec.max;
}

/**
 * The candidate nearest `word` by edit distance, if near enough to be a
 * slip (at most a third of its length, and at least one edit), else null.
 *
 * @example
 * ```ts
 * import { closest } from "./options.ts";
 * if (closest("shinjukku", ["cfs", "shinjuku"]) !== "shinjuku") throw new Error("wrong");
 * if (closest("xyz", ["cfs", "shinjuku"]) !== null) throw new Error("wrong");
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
