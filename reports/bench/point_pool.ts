/**
 * Runs many points in parallel Web Workers, reusing cached outcomes. Each
 * finished point is written to the cache at once (atomically), so an
 * interrupted bench resumes where it stopped and a rerun with nothing
 * changed reads everything back. Results come back in point order whatever
 * the number of workers, so outputs do not depend on `jobs`. Points equal to
 * an earlier one (the same key) run once and share its outcome.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { InputError } from "../../core/errors.ts";
import { writeFileAtomic } from "../render/write_files.ts";
import {
  pointCost,
  pointKey,
  type PointOutcome,
  type PointSpec,
  sourceFingerprint,
  stableJson,
} from "./point.ts";
import type { PointRequest } from "./point_worker.ts";

/** Progress of {@link runPoints}, after each point. */
export interface PointProgress {
  /** Points done (cached or run). */
  done: number;
  /** All points. */
  total: number;
  /** Whether this point came from the cache, or shares an equal earlier point's outcome. */
  cached: boolean;
  /** Wall-clock seconds this point took to run (0 when cached). */
  seconds: number;
  /** This point's expected cost ({@link pointCost}; 0 when cached). */
  cost: number;
  /** The expected cost of the points still to run. */
  costLeft: number;
}

/** Options of {@link runPoints}. */
export interface RunPointsOptions {
  /** Parallel workers. @default navigator.hardwareConcurrency */
  jobs?: number;
  /** Directory of cached outcomes, or null for no cache. */
  cacheDir: string | null;
  /** Called after each point. @default none */
  onProgress?: (progress: PointProgress) => void;
  /** Content hashes of the policy sources the points run (see {@link pointKey}). @default none */
  sourceHashes?: Readonly<Record<string, string>>;
}

/** The outcome of every point, in order, plus how many came from the cache. */
export interface RunPointsResult {
  /** Outcomes, in the order of the specs. */
  outcomes: PointOutcome[];
  /** Cache keys, in the order of the specs. */
  keys: string[];
  /** How many were read from the cache (with the copies that share such a point's outcome). */
  cached: number;
  /** Cache entries that failed their check and were run again. */
  invalid: number;
}

/**
 * What reading a cache entry found: the outcome, nothing, or an entry that
 * fails its check (not JSON, not of the entry's shape, written under another
 * key, or changed since it was written).
 */
export type CacheRead =
  | { status: "hit"; outcome: PointOutcome }
  | { status: "missing" }
  | { status: "invalid"; reason: string };

/**
 * A cache entry as stored in `DIR/KEY.json`: its own key (so that an entry
 * copied under another name is not trusted) and a digest of the outcome (so
 * that a truncated or edited entry is not either).
 */
interface CacheEntry {
  key: string;
  digest: string;
  outcome: PointOutcome;
}

const POINT_KINDS: readonly string[] = ["run", "microbench", "scalability"];

/** The digest a cache entry stores for its outcome. */
function outcomeDigest(outcome: unknown): string {
  return createHash("sha256").update(stableJson(outcome)).digest("hex").slice(0, 32);
}

/** The text of the cache entry of `outcome` under `key`. */
export function cacheEntryText(key: string, outcome: PointOutcome): string {
  return JSON.stringify({ key, digest: outcomeDigest(outcome), outcome } satisfies CacheEntry);
}

/**
 * Reads and checks the cache entry `key` of `cacheDir`; `kind`, when given,
 * is the kind of point the entry must hold.
 *
 * @example
 * ```ts
 * import { readCacheEntry } from "./point_pool.ts";
 * const dir = await Deno.makeTempDir();
 * Deno.writeTextFileSync(`${dir}/abc.json`, "{}");
 * if (readCacheEntry(dir, "abc").status !== "invalid") throw new Error("trusted");
 * if (readCacheEntry(dir, "def").status !== "missing") throw new Error("found");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readCacheEntry(
  cacheDir: string,
  key: string,
  kind?: PointSpec["kind"],
): CacheRead {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${cacheDir}/${key}.json`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { status: "missing" };
    return { status: "invalid", reason: "unreadable" };
  }
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    return { status: "invalid", reason: "not JSON" };
  }
  const problem = entryProblem(entry, key, kind);
  if (problem !== null) return { status: "invalid", reason: problem };
  return { status: "hit", outcome: (entry as CacheEntry).outcome };
}

/** What is wrong with a parsed cache entry, or null. */
function entryProblem(entry: unknown, key: string, kind: string | undefined): string | null {
  if (!isRecord(entry)) return "not an object";
  if (entry.key !== key) return "written under another key";
  const outcome = entry.outcome;
  if (!isRecord(outcome)) return "no outcome";
  const result = outcome.result;
  if (!isRecord(result) || typeof result.kind !== "string" || !POINT_KINDS.includes(result.kind)) {
    return "no result";
  }
  if (kind !== undefined && result.kind !== kind) return `a ${result.kind} result`;
  const payload = result.kind === "run"
    ? isRecord(result.run)
    : result.kind === "microbench"
    ? Array.isArray(result.rows)
    : isRecord(result.row);
  if (!payload) return `a ${result.kind} result without its data`;
  for (const field of ["events", "seconds"]) {
    const value = outcome[field];
    if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
      return `a bad ${field} field`;
    }
  }
  if (entry.digest !== outcomeDigest(outcome)) return "changed since it was written";
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Creates the cache directory when missing.
 *
 * @throws {InputError} when it exists and is not a directory
 */
export function prepareCacheDir(cacheDir: string): void {
  let info: Deno.FileInfo | null = null;
  try {
    info = Deno.statSync(cacheDir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new InputError(`Cannot use the cache "${cacheDir}": ${firstLine(error)}`);
    }
  }
  if (info !== null && !info.isDirectory) {
    throw new InputError(
      `Cannot use the cache "${cacheDir}": it is not a directory (remove it and run again)`,
    );
  }
  if (info === null) Deno.mkdirSync(cacheDir, { recursive: true });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

/**
 * Runs the points (cached ones are read back, one equal to an earlier one shares its outcome)
 * and returns their outcomes in order.
 */
export async function runPoints(
  specs: readonly PointSpec[],
  options: RunPointsOptions,
): Promise<RunPointsResult> {
  const fingerprint = sourceFingerprint();
  const sourceHashes = options.sourceHashes ?? {};
  const keys = specs.map((spec) => pointKey(spec, fingerprint, { sourceHashes }));
  const outcomes: (PointOutcome | undefined)[] = new Array(specs.length);
  const todo: number[] = [];
  let done = 0;
  let cached = 0;
  let invalid = 0;
  if (options.cacheDir !== null) prepareCacheDir(options.cacheDir);
  const costs = specs.map(pointCost);
  let costLeft = costs.reduce((sum, cost) => sum + cost, 0);
  // A point equal to an earlier one (the same key: the same configuration and
  // code) runs once; the later ones share its outcome.
  const copiesOf = new Map<number, number[]>();
  const firstByKey = new Map<string, number>();
  for (let i = 0; i < specs.length; i++) {
    const first = firstByKey.get(keys[i]!);
    if (first === undefined) {
      firstByKey.set(keys[i]!, i);
      continue;
    }
    const copies = copiesOf.get(first);
    if (copies === undefined) copiesOf.set(first, [i]);
    else copies.push(i);
    costLeft -= costs[i]!;
  }
  // A point done without running (read from the cache, or sharing an outcome).
  const reportFree = () =>
    options.onProgress?.({
      done: ++done,
      total: specs.length,
      cached: true,
      seconds: 0,
      cost: 0,
      costLeft,
    });
  const shareOutcome = (index: number, outcome: PointOutcome) => {
    for (const copy of copiesOf.get(index) ?? []) {
      outcomes[copy] = outcome;
      reportFree();
    }
  };
  const cachedFirsts: number[] = [];
  for (let i = 0; i < specs.length; i++) {
    if (firstByKey.get(keys[i]!) !== i) continue;
    const read = options.cacheDir === null
      ? { status: "missing" as const }
      : readCacheEntry(options.cacheDir, keys[i]!, specs[i]!.kind);
    if (read.status === "hit") {
      outcomes[i] = read.outcome;
      cached++;
      cachedFirsts.push(i);
      costLeft -= costs[i]!;
    } else {
      if (read.status === "invalid") invalid++;
      todo.push(i);
    }
  }
  for (const i of cachedFirsts) {
    reportFree();
    // Its copies come from the cache too.
    cached += copiesOf.get(i)?.length ?? 0;
    shareOutcome(i, outcomes[i]!);
  }
  // Longest points first, so the pool drains evenly.
  todo.sort((a, b) => costs[b]! - costs[a]! || a - b);
  const jobs = Math.max(1, Math.min(options.jobs ?? navigator.hardwareConcurrency, todo.length));
  const workers: Worker[] = [];
  const writes: Promise<void>[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      if (todo.length === 0) {
        resolve();
        return;
      }
      let next = 0;
      let running = 0;
      const feed = (worker: Worker) => {
        if (next >= todo.length) {
          if (running === 0) resolve();
          return;
        }
        const index = todo[next++]!;
        running++;
        worker.postMessage({ index, spec: specs[index]! } satisfies PointRequest);
      };
      for (let w = 0; w < jobs; w++) {
        const worker = new Worker(new URL("./point_worker.ts", import.meta.url).href, {
          type: "module",
        });
        workers.push(worker);
        worker.onmessage = (
          event: MessageEvent<{ index: number; outcome?: PointOutcome; error?: string }>,
        ) => {
          running--;
          const { index, outcome, error } = event.data;
          if (outcome === undefined) {
            reject(new Error(`Point ${index} failed: ${error}`));
            return;
          }
          outcomes[index] = outcome;
          if (options.cacheDir !== null) {
            const write = writeFileAtomic(
              `${options.cacheDir}/${keys[index]}.json`,
              cacheEntryText(keys[index]!, outcome),
              { what: "cache entry" },
            );
            // A cache that cannot be written (a full disk) stops the run at once.
            write.catch(reject);
            writes.push(write);
          }
          costLeft -= costs[index]!;
          options.onProgress?.({
            done: ++done,
            total: specs.length,
            cached: false,
            seconds: outcome.seconds,
            cost: costs[index]!,
            costLeft,
          });
          shareOutcome(index, outcome);
          feed(worker);
        };
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(`A bench worker crashed: ${event.message}`));
        };
        feed(worker);
      }
    });
  } finally {
    for (const worker of workers) worker.terminate();
    await Promise.allSettled(writes);
  }
  await Promise.all(writes);
  return { outcomes: outcomes as PointOutcome[], keys, cached, invalid };
}
