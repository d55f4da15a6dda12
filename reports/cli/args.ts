/**
 * Reading a command line: the one flag parser every command uses (`run`,
 * `list`, `bench`, `merge`), and the bridge from declared options
 * (core/options.ts) to flags: a flag's name, its value read from text, its
 * line of help.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { InputError } from "../../core/errors.ts";
import { closest, expected, type OptionSpec, type OptionValue } from "../../core/options.ts";
import { formatDuration, parseDuration } from "../../core/units.ts";

/**
 * Exit status of `run` and `bench` when a policy failed (an exception, a
 * crashed agent) without an injected `--event`: the run completed, its
 * threads fell back to CFS or a restarted agent.
 */
export const EXIT_POLICY_FAILED = 3;

/** One flag a command accepts. */
export interface FlagSpec {
  /** A value (`--out DIR`) or a switch (`--json`). */
  readonly type: "string" | "boolean";
  /** A one-letter alias (`-h`). @default none */
  readonly short?: string;
  /** Whether it may repeat (its values in order). @default false */
  readonly multiple?: boolean;
}

/** The flags of a command, by long name (without `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/**
 * The value of a flag declared as `F`: a switch, a list of values, or a
 * value (any of them for flags not declared literally).
 */
export type FlagValue<F extends FlagSpec> = F extends { readonly type: "boolean" } ? boolean
  : F extends { readonly multiple: true } ? string[]
  : F extends { readonly type: "string" } ? string
  : string | boolean | string[];

/** Parsed flags: a value for each flag given. */
export type FlagValues<F extends FlagSpecs> = { [K in keyof F]?: FlagValue<F[K]> };

/** Options of {@link parseFlags}. */
export interface ParseFlagsOptions {
  /** Whether arguments that are not flags are accepted. @default false */
  positionals?: boolean;
}

/**
 * Parses a command's arguments strictly: an unknown flag, a missing value,
 * a value given to a switch or (unless allowed) a positional argument is an
 * InputError naming it. A negative number after a flag that takes a value
 * is that flag's value (`--load -5`), so that the value's own check names it.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * const { values } = parseFlags(["--load", "-5", "--json"], {
 *   load: { type: "string" },
 *   json: { type: "boolean" },
 * });
 * if (values.load !== "-5" || values.json !== true) throw new Error("wrong");
 * ```
 */
export function parseFlags<F extends FlagSpecs>(
  args: readonly string[],
  flags: F,
  options: ParseFlagsOptions = {},
): { values: FlagValues<F>; positionals: string[] } {
  const glued: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : "";
    if (
      next !== undefined && /^-\d/.test(next) && Object.hasOwn(flags, name) &&
      flags[name]!.type === "string"
    ) {
      glued.push(`${arg}=${next}`);
      i++;
    } else {
      glued.push(arg);
    }
  }
  try {
    const parsed = parseArgs({
      args: glued,
      options: flags as Record<string, FlagSpec>,
      strict: true,
      allowPositionals: options.positionals ?? false,
    });
    return { values: parsed.values as FlagValues<F>, positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    const unknown = /^Unknown option '--([^']*)'/.exec(message);
    const near = unknown === null ? null : closest(unknown[1]!, Object.keys(flags));
    throw new InputError(
      shorten(message.replace(/\.$/, ""), 160) + (near === null ? "" : `: did you mean --${near}?`),
    );
  }
}

/**
 * The flag of a configuration key: kebab case, without the `Ns` of a
 * duration (`rangeDurationNs` → `range-duration`, `tickHz` → `tick-hz`).
 */
export function flagOf(key: string): string {
  return key.replace(/Ns$/, "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Reads a declared option's value from the text given to its flag `label`:
 * a duration with its unit, a number (`_` separators allowed), a name as is.
 * Only the syntax is checked here; the range is the configuration's check.
 */
export function valueFromText(spec: OptionSpec, text: string, label: string): OptionValue {
  switch (spec.kind) {
    case "duration":
      return parseDuration(text, label);
    case "number":
    case "integer": {
      const value = numberFromText(text);
      if (Number.isNaN(value)) {
        throw new InputError(`Bad ${label} "${shorten(text)}": expected ${expected(spec)}`);
      }
      return value;
    }
    case "boolean":
      return text !== "false";
    case "choice":
    case "distribution":
      return text;
  }
}

/** Multipliers of the suffixes a number may carry, as the figures print loads (`10k`, `1.5M`). */
const SUFFIX: Readonly<Record<string, number>> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

/**
 * A decimal number (digits, `_` separators, a fraction, an exponent, one
 * suffix k, M or G), or NaN: no hexadecimal, octal or binary forms.
 */
export function numberFromText(text: string): number {
  const match = /^\s*([+-]?(?:\d[\d_]*)?(?:\.\d+)?(?:e[+-]?\d+)?)([kKMG]?)\s*$/.exec(text);
  if (match === null || !/\d/.test(match[1]!)) return NaN;
  return Number(match[1]!.replace(/_/g, "")) * (SUFFIX[match[2]!] ?? 1);
}

/** A text as messages quote it: at most `max` characters (default 60). */
export function shorten(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Where help text wraps. */
const HELP_WIDTH = 80;
/** Column where an option's description starts. */
const HELP_COLUMN = 22;

/** The placeholder of a declared option's value in help, e.g. `TIME`. */
export function metavarOf(spec: OptionSpec): string {
  switch (spec.kind) {
    case "duration":
      return "TIME";
    case "number":
      return "X";
    case "integer":
      return "N";
    case "choice":
      return spec.noun === undefined ? spec.choices.join("|") : "NAME";
    case "distribution":
      return "DIST";
    case "boolean":
      return "";
  }
}

/** A declared option's line(s) of help: flag, placeholder, help and default. */
export function optionHelp(flag: string, spec: OptionSpec): string {
  const shown = spec.default === undefined
    ? ""
    : ` (default ${
      spec.kind === "duration" && spec.default > 0
        ? formatDuration(spec.default)
        : String(spec.default)
    })`;
  const metavar = metavarOf(spec);
  return helpEntry(`--${flag}${metavar === "" ? "" : ` ${metavar}`}`, spec.help + shown);
}

/**
 * One entry of a help list: `name` indented by 2, `text` from column 22,
 * wrapped at 80 columns (a long name puts the text on the next line).
 */
export function helpEntry(name: string, text: string): string {
  const indent = " ".repeat(HELP_COLUMN);
  const lines: string[] = [];
  let line = `  ${name}`;
  if (line.length >= HELP_COLUMN - 1) {
    lines.push(line);
    line = indent;
  } else {
    line = line.padEnd(HELP_COLUMN);
  }
  let empty = true;
  for (const word of text.split(" ")) {
    if (!empty && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines.join("\n");
}
