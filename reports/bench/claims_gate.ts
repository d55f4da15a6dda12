/**
 * The claims as a gate, for CI: reads a bench report's `summary.json` (its
 * `claims`: `{ figure, claim, holds, evidence }`), prints one line per
 * claim, and exits 1 when a claim fails, so that a sweep whose results no
 * longer match the paper fails its job.
 *
 * ```sh
 * deno task claims [DIR] [--allow-failing TEXT]...
 * ```
 *
 * `DIR` is the report directory (default `out`). A failing claim whose text
 * contains one of the `--allow-failing` texts is a known divergence: it is
 * printed as `known` and does not fail the gate (the README says why each
 * is known). Exit codes: 0 every claim holds or is known to fail, 1 a claim
 * fails, 2 no readable summary or a bad option.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { InputError } from "../../core/errors.ts";
import { userPath } from "../cli/user_path.ts";

/** A claim as summary.json stores it. */
export interface ClaimVerdict {
  /** Figure that checks it. */
  figure: string;
  /** The claim. */
  claim: string;
  /** Whether it holds. */
  holds: boolean;
  /** The numbers behind the verdict. */
  evidence: Record<string, unknown>;
}

/** Options of {@link gateClaims}. */
export interface GateOptions {
  /** Texts of failing claims that do not fail the gate. @default none */
  allowFailing?: readonly string[];
}

/** The gate's verdict. */
export interface GateResult {
  /** One line per claim, then a summary line. */
  lines: string[];
  /** Whether every claim holds or is known to fail. */
  pass: boolean;
}

/**
 * Checks the claims of a summary.
 *
 * @example
 * ```ts
 * import { gateClaims } from "./claims_gate.ts";
 * const claims = [{ figure: "f", claim: "x is fast", holds: false, evidence: {} }];
 * if (gateClaims(claims).pass) throw new Error("a failing claim passed");
 * if (!gateClaims(claims, { allowFailing: ["fast"] }).pass) throw new Error("not allowed");
 * ```
 */
export function gateClaims(
  claims: readonly ClaimVerdict[],
  options: GateOptions = {},
): GateResult {
  const allowed = options.allowFailing ?? [];
  const lines: string[] = [];
  let failing = 0;
  let known = 0;
  for (const claim of claims) {
    const evidence = Object.entries(claim.evidence).map(([k, v]) => `${k} ${v}`).join(", ");
    if (claim.holds) {
      lines.push(`holds  ${claim.figure}: ${claim.claim}`);
    } else if (allowed.some((text) => claim.claim.includes(text))) {
      known++;
      lines.push(`known  ${claim.figure}: ${claim.claim} (${evidence})`);
    } else {
      failing++;
      lines.push(`FAILS  ${claim.figure}: ${claim.claim} (${evidence})`);
    }
  }
  const holding = claims.length - failing - known;
  lines.push(
    `claims: ${holding} hold, ${known} known to fail, ${failing} fail` +
      (claims.length === 0 ? " (no claims: nothing checked)" : ""),
  );
  return { lines, pass: failing === 0 && claims.length > 0 };
}

/**
 * Reads and checks the claims of `DIR/summary.json`.
 *
 * @throws {InputError} when the summary is missing or holds no claim list
 */
export function readClaims(dir: string): ClaimVerdict[] {
  const path = `${dir}/summary.json`;
  let summary: unknown;
  try {
    summary = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new InputError(`Cannot read "${path}": ${why}`);
  }
  const claims = (summary as { claims?: unknown } | null)?.claims;
  if (!Array.isArray(claims)) throw new InputError(`No claims in "${path}"`);
  for (const claim of claims) {
    const c = claim as Partial<ClaimVerdict> | null;
    if (
      typeof c?.figure !== "string" || typeof c.claim !== "string" ||
      typeof c.holds !== "boolean" || typeof c.evidence !== "object" || c.evidence === null
    ) {
      throw new InputError(`Bad claim in "${path}": ${JSON.stringify(claim)}`);
    }
  }
  return claims as ClaimVerdict[];
}

/** Runs the gate with command-line arguments; returns the exit code. */
export function main(args: readonly string[], write: (line: string) => void): number {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { "allow-failing": { type: "string", multiple: true } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 1) throw new InputError("Give one report directory");
    const dir = positionals[0];
    const result = gateClaims(readClaims(dir === undefined ? "out" : userPath(dir)), {
      allowFailing: values["allow-failing"] ?? [],
    });
    for (const line of result.lines) write(line);
    return result.pass ? 0 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    write(`claims: ${message}`);
    return 2;
  }
}

if (import.meta.main) {
  Deno.exit(main(Deno.args, (line) => console.log(line)));
}
