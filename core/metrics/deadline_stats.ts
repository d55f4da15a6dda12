/**
 * Deadline accounting for work that carries deadlines (a periodic task's
 * jobs, a request with a service-level target): of the jobs released after
 * the warm-up, how many finished by their deadline, how many missed it, and
 * how late the worst one was. A job unfinished at the end of the run whose
 * deadline passed counts as missed; one whose deadline is still ahead is
 * not counted.
 *
 * @module
 */

/** Deadline results of a run. */
export interface DeadlineSummary {
  /**
   * Jobs released after the warm-up that finished, or whose deadline passed
   * unfinished before the end of the run (those still pending with a
   * deadline ahead are not counted).
   */
  jobs: number;
  /** Of those, jobs finished at or before their deadline. */
  met: number;
  /** Of those, jobs finished after their deadline or not finished at the end. */
  missed: number;
  /** `missed / jobs` (0 without jobs). */
  missRatio: number;
  /**
   * Worst lateness of a counted job, µs: its finish (or, unfinished, the end
   * of the run) minus its deadline; negative when every job finished early;
   * null without jobs.
   */
  maxLatenessUs: number | null;
}

/** Options of {@link DeadlineStats}. */
export interface DeadlineStatsOptions {
  /** Jobs released before this time are not counted, ns. @default 0 */
  warmupNs?: number;
}

/**
 * Counts met and missed deadlines.
 *
 * @example
 * ```ts
 * import { DeadlineStats } from "./deadline_stats.ts";
 *
 * const stats = new DeadlineStats();
 * stats.finished(0, 1_000, 900); // release, deadline, finish: met
 * stats.finished(1_000, 2_000, 2_500); // missed by 500 ns
 * const summary = stats.summary(3_000, [{ release: 2_000, deadline: 2_800 }]);
 * if (summary.jobs !== 3 || summary.missed !== 2 || summary.maxLatenessUs !== 0.5) {
 *   throw new Error(JSON.stringify(summary));
 * }
 * ```
 */
export class DeadlineStats {
  readonly #warmupNs: number;
  #jobs = 0;
  #met = 0;
  #maxLateness = -Infinity;

  /** Creates empty counts. */
  constructor(options: DeadlineStatsOptions = {}) {
    this.#warmupNs = options.warmupNs ?? 0;
  }

  /** Records a job released at `release` with `deadline` that finished at `finish`, ns. */
  finished(release: number, deadline: number, finish: number): void {
    if (release < this.#warmupNs) return;
    this.#jobs++;
    if (finish <= deadline) this.#met++;
    if (finish - deadline > this.#maxLateness) this.#maxLateness = finish - deadline;
  }

  /**
   * The summary at `end` (ns), counting the jobs still unfinished (`pending`)
   * whose deadline passed by then as missed.
   */
  summary(
    end: number,
    pending: Iterable<{ readonly release: number; readonly deadline: number }> = [],
  ): DeadlineSummary {
    let jobs = this.#jobs;
    let maxLateness = this.#maxLateness;
    for (const job of pending) {
      if (job.release < this.#warmupNs || job.deadline > end) continue;
      jobs++;
      if (end - job.deadline > maxLateness) maxLateness = end - job.deadline;
    }
    const missed = jobs - this.#met;
    return {
      jobs,
      met: this.#met,
      missed,
      missRatio: jobs === 0 ? 0 : missed / jobs,
      maxLatenessUs: jobs === 0 ? null : maxLateness / 1_000,
    };
  }
}
