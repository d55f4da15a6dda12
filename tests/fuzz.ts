/**
 * `deno task fuzz`: the ghOSt property tests' random scenarios
 * (tests/_fuzz_scenarios.ts) at scale. It runs the four properties in turn,
 * in batches of 20 scenarios with fresh seeds (each at least once), until the enclaves have committed at least
 * `GHOSTBENCH_FUZZ_TRANSACTIONS` transactions (default 1,000,000), then
 * prints how many transactions it tried and how many invariant checks it
 * made. On the first violation it prints fast-check's report (the seed, the
 * shrunk counterexample and how to replay it) and exits 1.
 *
 * ```sh
 * deno task fuzz
 * GHOSTBENCH_FUZZ_TRANSACTIONS=10000000 GHOSTBENCH_FUZZ_SEED=42 deno task fuzz
 * ```
 *
 * Environment:
 * - `GHOSTBENCH_FUZZ_TRANSACTIONS`: committed transactions to reach
 *   (default 1000000);
 * - `GHOSTBENCH_FUZZ_SEED`: the first seed (default: drawn from the clock,
 *   and printed, so that a run can be repeated).
 *
 * @module
 */

import fc from "fast-check";
import {
  agentScenario,
  type FuzzStats,
  newFuzzStats,
  runAgents,
  runDirect,
  scenario,
} from "./_fuzz_scenarios.ts";

/** Options of {@link fuzz}. */
export interface FuzzOptions {
  /** Committed transactions to reach. @default 1_000_000 */
  transactions?: number;
  /** The first fast-check seed; batch i uses seed + i. @default 1 */
  seed?: number;
  /** Scenarios per batch (one property per batch). @default 20 */
  batch?: number;
  /** Called after each batch. @default none */
  onBatch?: (stats: Readonly<FuzzStats>) => void;
}

/**
 * Runs the properties until `transactions` committed transactions; returns
 * what was tried and checked.
 *
 * @throws {Error} fast-check's report of the first violation
 *
 * @example
 * ```ts
 * import { fuzz } from "./fuzz.ts";
 * const stats = fuzz({ transactions: 1000, seed: 3 });
 * if (stats.transactions < 1000 || stats.checks === 0) throw new Error("too few");
 * ```
 */
export function fuzz(options: FuzzOptions = {}): FuzzStats {
  const target = options.transactions ?? 1_000_000;
  const seed = options.seed ?? 1;
  const batch = options.batch ?? 20;
  const stats = newFuzzStats();
  // Every property runs at least once, however small the target.
  for (let round = 0; round < 4 || stats.transactions < target; round++) {
    const params = { seed: (seed + round) >>> 0, numRuns: batch };
    switch (round % 4) {
      case 0:
        fc.assert(
          fc.property(scenario, (plan) => runDirect(plan, { sameThreadTwice: false, stats })),
          params,
        );
        break;
      case 1:
        fc.assert(
          fc.property(scenario, (plan) => runDirect(plan, { sameThreadTwice: true, stats })),
          params,
        );
        break;
      case 2:
        fc.assert(
          fc.property(agentScenario, (plan) => runAgents(plan, { sameThreadTwice: false, stats })),
          params,
        );
        break;
      case 3:
        fc.assert(
          fc.property(agentScenario, (plan) => runAgents(plan, { sameThreadTwice: true, stats })),
          params,
        );
        break;
    }
    options.onBatch?.(stats);
  }
  return stats;
}

function envInteger(name: string, fallback: number): number {
  const text = Deno.env.get(name);
  if (text === undefined || text === "") return fallback;
  const value = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`fuzz: Bad ${name} "${text}": expected a non-negative integer`);
    Deno.exit(2);
  }
  return value;
}

if (import.meta.main) {
  const transactions = envInteger("GHOSTBENCH_FUZZ_TRANSACTIONS", 1_000_000);
  const seed = envInteger("GHOSTBENCH_FUZZ_SEED", Date.now() % 0x7fffffff);
  const format = (n: number) => n.toLocaleString("en-US");
  const started = performance.now();
  let shown = started;
  console.error(
    `fuzz: seed ${seed}, until ${format(transactions)} committed transactions ` +
      `(GHOSTBENCH_FUZZ_SEED=${seed} repeats this run)`,
  );
  let stats: FuzzStats;
  try {
    stats = fuzz({
      transactions,
      seed,
      onBatch: (s) => {
        const now = performance.now();
        if (now - shown < 5000) return;
        shown = now;
        console.error(
          `fuzz: ${format(s.transactions)} transactions, ${format(s.checks)} checks, ` +
            `${format(s.scenarios)} scenarios (${Math.round((now - started) / 1000)}s)`,
        );
      },
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.log(`fuzz: VIOLATION found (seed ${seed}); see the report above`);
    Deno.exit(1);
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  console.log(
    `fuzz: ${format(stats.transactions)} transactions tried, ${format(stats.checks)} invariant ` +
      `checks, ${format(stats.scenarios)} scenarios, seed ${seed}, ${seconds}s: no violation`,
  );
}
