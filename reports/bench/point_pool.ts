/**
 * Runs many points in parallel Web Workers, reusing cached outcomes. Each
 * finished point is written to the cache at once (atomically), so an
 * interrupted bench resumes where it stopped and a rerun with nothing
 * changed reads everything back. Results come back in point order whatever
 * the number of workers, so outputs do not depend on `jobs`.
 *
 * @module
 */

import { writeFileAtomic } from "../render/write_files.ts";
import { pointKey, type PointOutcome, type PointSpec, sourceFingerprint } from "./point.ts";
import type { PointRequest } from "./point_worker.ts";

/** Options of {@link runPoints}. */
export interface RunPointsOptions {
  /** Parallel workers. @default navigator.hardwareConcurrency */
  jobs?: number;
  /** Directory of cached outcomes, or null for no cache. */
  cacheDir: string | null;
  /** Called after each point: done, total, cached or run. */
  onProgress?: (done: number, total: number, cached: boolean, seconds: number) => void;
}

/** The outcome of every point, in order, plus how many came from the cache. */
export interface RunPointsResult {
  /** Outcomes, in the order of the specs. */
  outcomes: PointOutcome[];
  /** Cache keys, in the order of the specs. */
  keys: string[];
  /** How many were read from the cache. */
  cached: number;
}

/** Reads a cached outcome, or null. */
export function readCached(cacheDir: string, key: string): PointOutcome | null {
  try {
    return JSON.parse(Deno.readTextFileSync(`${cacheDir}/${key}.json`)) as PointOutcome;
  } catch {
    return null;
  }
}

/** Runs the points (cached ones are read back) and returns their outcomes in order. */
export async function runPoints(
  specs: readonly PointSpec[],
  options: RunPointsOptions,
): Promise<RunPointsResult> {
  const fingerprint = sourceFingerprint();
  const keys = specs.map((spec) => pointKey(spec, fingerprint));
  const outcomes: (PointOutcome | undefined)[] = new Array(specs.length);
  const todo: number[] = [];
  let done = 0;
  let cached = 0;
  for (let i = 0; i < specs.length; i++) {
    const hit = options.cacheDir === null ? null : readCached(options.cacheDir, keys[i]!);
    if (hit !== null) {
      outcomes[i] = hit;
      cached++;
      options.onProgress?.(++done, specs.length, true, 0);
    } else {
      todo.push(i);
    }
  }
  if (options.cacheDir !== null) Deno.mkdirSync(options.cacheDir, { recursive: true });
  // Longest points first, so the pool drains evenly.
  todo.sort((a, b) => estimate(specs[b]!) - estimate(specs[a]!) || a - b);
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
            writes.push(
              writeFileAtomic(`${options.cacheDir}/${keys[index]}.json`, JSON.stringify(outcome)),
            );
          }
          options.onProgress?.(++done, specs.length, false, outcome.seconds);
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
  return { outcomes: outcomes as PointOutcome[], keys, cached };
}

/** A rough relative cost of a point, to start the longest first. */
function estimate(spec: PointSpec): number {
  switch (spec.kind) {
    case "run":
      return spec.config.durationNs / 1e9 * Math.max(1, spec.config.load / 10_000);
    case "microbench":
      return 1;
    case "scalability":
      return spec.cpus * spec.windowNs / 1e9 * 10;
  }
}
