/**
 * The one error class of our own: bad user input. The CLI turns it into a
 * one-line message and exit code 2; everything else is a bug and keeps its
 * stack trace.
 *
 * @module
 */

/**
 * A user-input error: an unknown name, a malformed value, an option out of
 * range. The message is one line, sentence case, no trailing period.
 *
 * @example
 * ```ts
 * import { InputError } from "./errors.ts";
 * const error = new InputError('Unknown policy "x": expected one of cfs');
 * if (!(error instanceof Error)) throw new Error("unreachable");
 * ```
 */
export class InputError extends Error {
  /** Creates an input error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}
