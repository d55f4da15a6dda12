/**
 * Rounding for reports: the same digits on every machine.
 *
 * @module
 */

/** Rounds `value` to `digits` decimal places. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
