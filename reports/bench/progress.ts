/**
 * The bench's progress display on stderr (a bar on a terminal, a line every
 * 5 % otherwise) and its estimate of the time left. The estimate weighs each
 * point by its expected cost (`pointCost` in point.ts) rather than counting
 * points: the pool starts the longest points first, so a plain average of
 * the first points' times would overestimate the rest several fold. Before
 * any point finishes the costs are read as seconds; then the speed
 * (seconds per unit of cost) is the one the finished points show.
 *
 * @module
 */

import type { PointProgress } from "./point_pool.ts";

/** Options of {@link progressDisplay}. */
export interface ProgressOptions {
  /** Label at the start of each line. @default "bench" */
  label?: string;
  /** Parallel workers. @default 1 */
  jobs?: number;
  /** Whether to draw a bar that redraws in place (a terminal). @default false */
  terminal?: boolean;
  /** The clock, in ms. @default performance.now */
  now?: () => number;
}

/** Estimates the seconds left of a run of points from the points finished so far. */
export class EtaEstimator {
  #ranSeconds = 0;
  #ranCost = 0;
  readonly #jobs: number;

  /** An estimator for `jobs` parallel workers. */
  constructor(jobs: number) {
    this.#jobs = Math.max(1, jobs);
  }

  /** Records a finished point: the seconds it took and its expected cost. */
  record(seconds: number, cost: number): void {
    this.#ranSeconds += seconds;
    this.#ranCost += cost;
  }

  /**
   * The seconds left for points of total expected cost `costLeft`.
   *
   * @example
   * ```ts
   * import { EtaEstimator } from "./progress.ts";
   * const eta = new EtaEstimator(2);
   * eta.record(30, 10); // this machine runs at 3 s per unit of cost
   * if (eta.secondsLeft(100) !== 150) throw new Error("expected 100 units * 3 s / 2 jobs");
   * ```
   */
  secondsLeft(costLeft: number): number {
    const speed = this.#ranCost > 0 ? this.#ranSeconds / this.#ranCost : 1;
    return Math.max(0, costLeft) * speed / this.#jobs;
  }
}

/**
 * A progress callback for `runPoints` (point_pool.ts) that writes lines,
 * or a bar, with `write`.
 *
 * @example
 * ```ts
 * import { progressDisplay } from "./progress.ts";
 * let text = "";
 * const show = progressDisplay((t) => text += t, { now: () => 0 });
 * show({ done: 1, total: 1, cached: false, seconds: 2, cost: 2, costLeft: 0 });
 * if (!text.startsWith("bench: 1/1 points done")) throw new Error(text);
 * ```
 */
export function progressDisplay(
  write: (text: string) => void,
  options: ProgressOptions = {},
): (progress: PointProgress) => void {
  const label = options.label ?? "bench";
  const now = options.now ?? (() => performance.now());
  const started = now();
  const eta = new EtaEstimator(options.jobs ?? 1);
  let lastLine = -1;
  return ({ done, total, cached, seconds, cost, costLeft }) => {
    if (!cached) eta.record(seconds, cost);
    const left = done === total ? "" : `, ETA ${formatSeconds(eta.secondsLeft(costLeft))}`;
    const elapsed = formatSeconds((now() - started) / 1000);
    if (options.terminal === true) {
      const width = 30;
      const filled = Math.round(width * done / Math.max(total, 1));
      write(
        `\r${label} [${"#".repeat(filled)}${
          " ".repeat(width - filled)
        }] ${done}/${total} points, ${elapsed}${left}\x1b[K`,
      );
      if (done === total) write("\n");
      return;
    }
    const step = Math.max(1, Math.floor(total / 20));
    if (done === total || done - lastLine >= step) {
      lastLine = done;
      write(`${label}: ${done}/${total} points done (${elapsed}${left})\n`);
    }
  };
}

/** Seconds as `42s` or `3m05s`. */
export function formatSeconds(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}
