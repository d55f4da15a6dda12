/**
 * A point: one unit of work of the bench harness (a run, a microbenchmark
 * table, a scalability measurement), its deterministic result, and the key
 * that caches it. Points are plain JSON so they cross Web Workers and files.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { resolveCostProfile } from "../../core/cost_profile.ts";
import { TOPOLOGY_COST_MODELS } from "../../core/topology_costs.ts";
import { POLICIES } from "../../policies/registry.ts";
import { type MicrobenchRow, runMicrobench } from "../experiment/paper_microbench.ts";
import { type RunConfig, runExperiment, type RunResult } from "../experiment/run_experiment.ts";
import { runScalability, type ScalabilityRow } from "../experiment/agent_scalability.ts";

/** What a point runs. */
export type PointSpec =
  | { kind: "run"; config: RunConfig; cdfPoints?: number; quantiles?: number[] }
  | { kind: "microbench"; costs: string; rounds: number }
  | {
    kind: "scalability";
    policy: string;
    /** Worker CPUs (the agent's CPU comes on top). */
    workers: number;
    machine: string;
    windowNs: number;
    /** Cost profile name. */
    costs: string;
    /** Topology cost model name (TOPOLOGY_COST_MODELS). */
    topologyCosts: string;
  };

/** A point's result: deterministic for its spec (no wall-clock fields). */
export type PointResult =
  | { kind: "run"; run: Omit<RunResult, "eventsPerSec"> }
  | { kind: "microbench"; rows: MicrobenchRow[] }
  | { kind: "scalability"; row: ScalabilityRow };

/** A finished point with its wall-clock cost (kept out of every data file). */
export interface PointOutcome {
  /** The result. */
  result: PointResult;
  /** Engine events processed (runs), or 0. */
  events: number;
  /** Wall-clock seconds it took. */
  seconds: number;
}

/** Runs a point. */
export function runPoint(spec: PointSpec): PointOutcome {
  const started = performance.now();
  let result: PointResult;
  let events = 0;
  switch (spec.kind) {
    case "run": {
      const { eventsPerSec: _, ...run } = runExperiment(spec.config, {
        cdfPoints: spec.cdfPoints ?? 0,
        ...(spec.quantiles === undefined ? {} : { quantiles: spec.quantiles }),
      });
      events = run.events;
      result = { kind: "run", run };
      break;
    }
    case "microbench":
      result = {
        kind: "microbench",
        rows: runMicrobench({ costs: resolveCostProfile(spec.costs), rounds: spec.rounds }),
      };
      break;
    case "scalability": {
      const topologyCosts = Object.hasOwn(TOPOLOGY_COST_MODELS, spec.topologyCosts)
        ? TOPOLOGY_COST_MODELS[spec.topologyCosts]
        : undefined;
      if (topologyCosts === undefined) {
        throw new RangeError(`Unknown topology cost model "${spec.topologyCosts}"`);
      }
      const [row] = runScalability({
        policy: spec.policy,
        workerCounts: [spec.workers],
        machine: spec.machine,
        windowNs: spec.windowNs,
        costs: resolveCostProfile(spec.costs),
        topologyCosts,
      });
      result = { kind: "scalability", row: row! };
      break;
    }
  }
  return { result, events, seconds: (performance.now() - started) / 1000 };
}

/**
 * Requests per second one global agent dispatches, at most, in the cost
 * estimate: past it a centralized policy saturates and a run's work stops
 * growing with the offered load (it even falls, as requests back up).
 */
const AGENT_SATURATION_LOAD = 300_000;

/**
 * A point's expected cost: about its wall-clock seconds on one core of a
 * 2020s laptop. Only ratios matter (the bench's ETA scales them by the
 * speed it observes): a run costs per request and per antagonist, about
 * twice as much under a ghOSt policy as under cfs (agents, messages,
 * commits), and a centralized policy's requests count only up to what one
 * agent dispatches; microbenchmarks and scalability windows are short.
 *
 * @example
 * ```ts
 * import { pointCost } from "./point.ts";
 * if (!(pointCost({ kind: "microbench", costs: "paper", rounds: 500 }) > 0)) throw new Error();
 * ```
 */
export function pointCost(spec: PointSpec): number {
  switch (spec.kind) {
    case "run": {
      const { config } = spec;
      const cfs = config.policy === "cfs";
      const model = Object.hasOwn(POLICIES, config.policy) ? POLICIES[config.policy]!.model : null;
      const load = model === "centralized"
        ? Math.min(config.load, AGENT_SATURATION_LOAD)
        : config.load;
      const seconds = config.durationNs / 1e9;
      const perRequest = cfs ? 1e-6 : 2e-6;
      const perAntagonist = cfs ? 1e-3 : 4e-2;
      return 0.01 + seconds * (load * perRequest + config.antagonists * perAntagonist);
    }
    case "microbench":
      return 0.02 * spec.rounds / 500;
    case "scalability":
      return 0.01 + 3e-4 * spec.workers * spec.windowNs / 1e7;
  }
}

/** JSON with object keys sorted, so equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]),
    );
  });
}

/** Options of {@link pointKey}. */
export interface PointKeyOptions {
  /**
   * Content hashes of the policy sources (policy files, `exec:` agents) by
   * name (`policySourceHash`), and of a cost profile file by path: a point
   * that runs one has it in its key.
   * @default none
   */
  sourceHashes?: Readonly<Record<string, string>>;
}

/**
 * The cache key of a point: a hash of the code fingerprint and the spec,
 * and of the content of every policy source the point runs.
 */
export function pointKey(
  spec: PointSpec,
  fingerprint: string,
  options: PointKeyOptions = {},
): string {
  const hash = createHash("sha256").update(fingerprint).update("\n").update(stableJson(spec));
  const hashes = options.sourceHashes ?? {};
  for (const policy of pointPolicies(spec)) {
    if (Object.hasOwn(hashes, policy)) hash.update(`\nsource ${policy} ${hashes[policy]}`);
  }
  // A cost profile file (bench --costs): its content, not only its name.
  const costs = spec.kind === "run"
    ? spec.config.costs
    : spec.kind === "microbench"
    ? spec.costs
    : "";
  if (costs.endsWith(".json") && Object.hasOwn(hashes, costs)) {
    hash.update(`\ncosts ${costs} ${hashes[costs]}`);
  }
  return hash.digest("hex").slice(0, 32);
}

/** The policies a point runs (a run's, and those its swap events start), each once. */
export function pointPolicies(spec: PointSpec): string[] {
  if (spec.kind === "microbench") return [];
  if (spec.kind === "scalability") return [spec.policy];
  const swaps = spec.config.events.flatMap((e) => e.policy === undefined ? [] : [e.policy]);
  return [...new Set([spec.config.policy, ...swaps])];
}

/**
 * A fingerprint of the emulator's source (every non-test .ts file below core/,
 * policies/, workloads/ and reports/): a cached point is reused only while the
 * code that computed it is unchanged.
 */
export function sourceFingerprint(): string {
  const root = new URL("../../", import.meta.url);
  const hash = createHash("sha256");
  for (
    const path of ["core", "policies", "workloads", "reports"].flatMap((d) => sourceFiles(root, d))
  ) {
    hash.update(`${path}\n`);
    hash.update(Deno.readFileSync(new URL(path, root)));
  }
  return hash.digest("hex");
}

/** Non-test `.ts` files below `dir` (relative to `root`), in a stable order. */
function sourceFiles(root: URL, dir: string): string[] {
  const files: string[] = [];
  const entries = [...Deno.readDirSync(new URL(`${dir}/`, root))]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...sourceFiles(root, path));
    else if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      files.push(path);
    }
  }
  return files;
}
