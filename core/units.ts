/**
 * Time units. Virtual time is an integer count of nanoseconds everywhere in
 * the emulation; these helpers parse and print it.
 *
 * @module
 */

import { InputError } from "./errors.ts";

/** Nanoseconds in one microsecond. */
export const US = 1_000;
/** Nanoseconds in one millisecond. */
export const MS = 1_000_000;
/** Nanoseconds in one second. */
export const SEC = 1_000_000_000;

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: US,
  "µs": US,
  ms: MS,
  s: SEC,
};

const DURATION = /^\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(ns|us|µs|ms|s)\s*$/i;

/**
 * Parses a duration such as `10us`, `1.5ms`, `2s` or `250ns` into integer
 * nanoseconds (rounded to the nearest nanosecond).
 *
 * @example
 * ```ts
 * import { parseDuration } from "./units.ts";
 * if (parseDuration("1.5ms") !== 1_500_000) throw new Error("wrong");
 * ```
 */
export function parseDuration(text: string, what = "duration"): number {
  if (/^\s*0+(?:\.0*)?\s*$/.test(text)) return 0; // zero needs no unit
  const match = DURATION.exec(text);
  if (match === null) {
    throw new InputError(
      `Malformed ${what} "${text}": expected a number with a unit (ns, us, ms, s), e.g. 10us`,
    );
  }
  const value = Number(match[1]);
  const unit = UNIT_NS[match[2]!.toLowerCase()] ?? UNIT_NS[match[2]!]!;
  const ns = Math.round(value * unit);
  if (!Number.isFinite(ns)) {
    throw new InputError(`Malformed ${what} "${text}": the value is not finite`);
  }
  return ns;
}

/** Nanoseconds to microseconds as a float (for reports). */
export function toUs(ns: number): number {
  return ns / US;
}

/**
 * Formats nanoseconds with the largest unit that keeps it readable:
 * `1.5ms`, `30us`, `2s`.
 */
export function formatDuration(ns: number): string {
  if (ns >= SEC && ns % (SEC / 1000) === 0) return `${ns / SEC}s`;
  if (ns >= MS) return `${+(ns / MS).toFixed(3)}ms`;
  if (ns >= US) return `${+(ns / US).toFixed(3)}us`;
  return `${ns}ns`;
}
