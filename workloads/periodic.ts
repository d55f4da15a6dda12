/**
 * The `periodic` workload: a set of periodic real-time tasks, one thread
 * each. Task i releases a job every `T_i` (the first at time 0, all tasks
 * together: the worst case), each job computes `C_i` and must finish by the
 * next release (implicit deadline `D_i = T_i`). The thread writes the
 * deadline of the job it works on in `thread.deadline` (the minimal deadline
 * API: a policy reads it from the task's status), before it is woken for a
 * new job or, when it finishes a job with the next already released, before
 * it yields so that the agent can decide again. Every job is a request
 * (arrival: its release); a job finished after its deadline, or unfinished
 * at the end of the run with its deadline passed, is a miss (`deadlines()`,
 * reported by `run`).
 *
 * The task set comes from the options and the seed: periods log-uniform
 * between `periodMin` and `periodMax` (whole microseconds, stream
 * `periodic.periods`), utilisations split by UUniFast (Bini and Buttazzo,
 * 2005; stream `periodic.shares`) to sum to `utilization`, each `C_i`
 * rounded down to a nanosecond, so the set's utilisation never exceeds the
 * option. On one CPU, a set with utilisation at most 1 is feasible, and
 * preemptive EDF meets every deadline of it. The run's `load` is ignored.
 *
 * @module
 */

import type { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import { DeadlineStats, type DeadlineSummary } from "../core/metrics/deadline_stats.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import type { OptionSpecs, OptionValuesOf } from "../core/options.ts";
import type { RandomStreams } from "../core/random.ts";
import { type Action, type Behavior, type Thread, WaitQueue } from "../core/thread.ts";
import { formatDuration, MS, US } from "../core/units.ts";
import {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
} from "./workload.ts";

/** The options of the periodic workload. */
export const PERIODIC_OPTIONS = {
  tasks: {
    kind: "integer",
    default: 5,
    min: 1,
    max: 10_000,
    help: "periodic tasks, a thread each",
  },
  utilization: {
    kind: "number",
    default: 0.9,
    min: 0,
    minExclusive: true,
    max: 1_000,
    help: "total utilisation of the task set (sum of C/T); at most 1 is feasible on one CPU",
  },
  periodMin: {
    kind: "duration",
    default: 1 * MS,
    min: 1 * US,
    help: "shortest period (and relative deadline)",
  },
  periodMax: {
    kind: "duration",
    default: 10 * MS,
    min: 1 * US,
    help: "longest period (and relative deadline)",
  },
} as const satisfies OptionSpecs;

/** Resolved options of the periodic workload. */
export type PeriodicOptions = OptionValuesOf<typeof PERIODIC_OPTIONS>;

/** One periodic task: a job of `computeNs` every `periodNs`, due by the next release. */
export interface PeriodicTask {
  /** Period and relative deadline, ns. */
  readonly periodNs: number;
  /** Computation per job, ns. */
  readonly computeNs: number;
}

/**
 * The task set of the options and the random streams (see the module doc):
 * the same for every policy at a seed. Throws InputError when `periodMin`
 * exceeds `periodMax`.
 */
export function periodicTaskSet(random: RandomStreams, options: PeriodicOptions): PeriodicTask[] {
  const { tasks, utilization, periodMin, periodMax } = options;
  if (periodMin > periodMax) {
    throw new InputError(
      `Bad periods of workload periodic: --period-min ${formatDuration(periodMin)} ` +
        `exceeds --period-max ${formatDuration(periodMax)}`,
    );
  }
  const periods = random.stream("periodic.periods");
  const shares = random.stream("periodic.shares");
  const logMin = Math.log(periodMin);
  const logMax = Math.log(periodMax);
  const set: PeriodicTask[] = [];
  let left = utilization;
  for (let i = 0; i < tasks; i++) {
    // UUniFast: the remaining utilisation shrinks by a Beta(n - i, 1) factor.
    const rest = i === tasks - 1 ? 0 : left * shares.next() ** (1 / (tasks - 1 - i));
    const share = left - rest;
    left = rest;
    const drawn = Math.exp(logMin + periods.next() * (logMax - logMin));
    const periodNs = Math.min(periodMax, Math.max(periodMin, Math.round(drawn / US) * US));
    set.push({ periodNs, computeNs: Math.max(1, Math.floor(share * periodNs)) });
  }
  return set;
}

/** The utilisation of a task set: the sum of C/T. */
export function utilizationOf(set: readonly PeriodicTask[]): number {
  return set.reduce((sum, task) => sum + task.computeNs / task.periodNs, 0);
}

/** A task's thread and where its jobs stand. */
interface TaskState {
  readonly task: PeriodicTask;
  readonly waiters: WaitQueue;
  thread: Thread | null;
  /** Jobs released so far. */
  released: number;
  /** Index of the job the thread works on or takes next (the jobs before it are done). */
  current: number;
  /** When the current job first ran, or -1 before it has. */
  start: number;
  /** Whether the thread waits for a release. */
  idle: boolean;
}

/** The running periodic workload. */
class PeriodicWorkload implements Workload {
  readonly stats: RequestStats;
  generated = 0;
  finished = 0;
  readonly #deadlines: DeadlineStats;
  readonly #tasks: TaskState[];
  readonly #engine: Engine;

  constructor(context: WorkloadContext, options: PeriodicOptions) {
    const { engine, kernel } = context;
    this.#engine = engine;
    this.stats = new RequestStats({ types: ["job"], warmupNs: context.warmupNs });
    this.#deadlines = new DeadlineStats({ warmupNs: context.warmupNs });
    const set = periodicTaskSet(engine.random, options);
    this.#tasks = set.map((task, i) => ({
      task,
      waiters: new WaitQueue(`periodic.task${i}`),
      thread: null,
      released: 0,
      current: 0,
      start: -1,
      idle: false,
    }));
    const release = engine.register("periodic.release", (index) => {
      const state = this.#tasks[index]!;
      this.#release(state);
      if (state.idle) {
        state.idle = false;
        state.thread!.deadline = this.#deadlineOf(state, state.current);
        kernel.wakeOne(state.waiters, -1);
      }
      const next = state.released * state.task.periodNs;
      if (next < context.durationNs) engine.at(next, release, index);
    });
    const schedClass = schedClassOf(context);
    this.#tasks.forEach((state, i) => {
      // Job 0 is released at time 0, when the thread starts.
      this.#release(state);
      state.thread = kernel.spawn(this.#behavior(state), {
        name: `task${i}`,
        group: "tasks",
        deadline: this.#deadlineOf(state, 0),
        ...schedClass,
      });
      if (state.task.periodNs < context.durationNs) engine.at(state.task.periodNs, release, i);
    });
  }

  #release(state: TaskState): void {
    state.released++;
    this.generated++;
  }

  #deadlineOf(state: TaskState, job: number): number {
    return (job + 1) * state.task.periodNs;
  }

  /**
   * A task's thread: takes its jobs in release order, writing each one's
   * deadline on itself before it runs it (yielding first when it moved the
   * deadline while on the CPU), and waits when none is released.
   */
  #behavior(state: TaskState): Behavior {
    return {
      next: (thread: Thread): Action => {
        const now = this.#engine.now;
        const period = state.task.periodNs;
        if (state.start >= 0) {
          const release = state.current * period;
          const deadline = release + period;
          this.finished++;
          this.stats.record(0, release, state.start, now);
          this.#deadlines.finished(release, deadline, now);
          state.current++;
          state.start = -1;
        }
        if (state.current >= state.released) {
          state.idle = true;
          thread.waitOn = state.waiters;
          return "wait";
        }
        const deadline = this.#deadlineOf(state, state.current);
        if (thread.deadline !== deadline) {
          thread.deadline = deadline;
          return "yield";
        }
        state.start = now;
        thread.stepNs = state.task.computeNs;
        return "compute";
      },
    };
  }

  inFlight(): number {
    let count = 0;
    for (const state of this.#tasks) count += state.released - state.current;
    return count;
  }

  deadlines(): DeadlineSummary {
    const pending: { release: number; deadline: number }[] = [];
    for (const state of this.#tasks) {
      for (let job = state.current; job < state.released; job++) {
        pending.push({
          release: job * state.task.periodNs,
          deadline: this.#deadlineOf(state, job),
        });
      }
    }
    return this.#deadlines.summary(this.#engine.now, pending);
  }
}

/** The periodic workload definition. */
export const PERIODIC: WorkloadDefinition<typeof PERIODIC_OPTIONS> = {
  name: "periodic",
  description:
    "periodic real-time tasks (UUniFast utilisations, implicit deadlines); counts deadline misses",
  options: PERIODIC_OPTIONS,
  create(context: WorkloadContext, options: PeriodicOptions): Workload {
    return new PeriodicWorkload(context, options);
  },
};
