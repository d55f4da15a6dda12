/**
 * `deno task fuzz` as a user runs it: it reaches the number of committed
 * transactions asked for, says how many transactions and invariant checks
 * it made, and exits 0; a bad setting exits 2.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fuzz } from "./fuzz.ts";
import { type ProcessOutput, ROOT, runDeno } from "./_process.ts";

function runFuzz(env: Record<string, string>): Promise<ProcessOutput> {
  return runDeno(["task", "-q", "fuzz"], { cwd: ROOT, env: { NO_COLOR: "1", ...env } });
}

Deno.test("deno task fuzz reports the transactions tried and the invariants checked", async () => {
  const run = await runFuzz({ GHOSTBENCH_FUZZ_TRANSACTIONS: "20000", GHOSTBENCH_FUZZ_SEED: "9" });
  assert.equal(run.code, 0, run.stderr);
  const match =
    /^fuzz: ([\d,]+) transactions tried, ([\d,]+) invariant checks, ([\d,]+) scenarios, seed 9, .*: no violation\n$/
      .exec(run.stdout);
  assert.ok(match !== null, run.stdout);
  const number = (text: string) => Number(text.replaceAll(",", ""));
  assert.ok(number(match[1]!) >= 20000);
  assert.ok(number(match[2]!) > number(match[3]!));
  assert.match(run.stderr, /GHOSTBENCH_FUZZ_SEED=9 repeats this run/);
});

Deno.test("deno task fuzz exits 2 on a bad setting", async () => {
  const run = await runFuzz({ GHOSTBENCH_FUZZ_TRANSACTIONS: "many" });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /GHOSTBENCH_FUZZ_TRANSACTIONS "many"/);
});

Deno.test("fuzz runs every property and is deterministic for a seed", () => {
  const a = fuzz({ transactions: 1, seed: 11, batch: 2 });
  const b = fuzz({ transactions: 1, seed: 11, batch: 2 });
  assert.equal(a.scenarios, 8, "four properties, two scenarios each");
  assert.deepEqual(a, b);
});
