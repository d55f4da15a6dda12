/**
 * Measures what scheduling costs on the machine ghostbench runs on, with
 * real threads (Web Workers blocking in `Atomics.wait` and woken by
 * `Atomics.notify` on shared memory, which V8 implements with a mutex and a
 * condition variable over the futex system call):
 *
 * - cross-CPU round trip: two threads pinned to CPUs 0 and 1 hand a word
 *   back and forth; half a round trip is one wake-up of a thread on another
 *   CPU plus the switch to it;
 * - same-CPU round trip: both threads pinned to CPU 0; half a round trip is
 *   one wake-up plus a context switch between two threads of one CPU;
 * - idle wake-up: a thread sleeps on CPU 1 long enough for the CPU to go
 *   idle; another, spinning on CPU 0, wakes it and times until it runs.
 *
 * Threads are pinned with `taskset -p` on their Linux thread ids. Without
 * taskset (or with one CPU) the threads run where the host puts them, and
 * the result says so. Each figure includes the runtime's own overhead (V8's
 * wait and notify paths), as a real server written for it would pay.
 *
 * The measurements map onto the emulator's {@link CostProfile}:
 * `cfsContextSwitch` is half the same-CPU round trip, `ipi` the idle
 * wake-up less that switch; the fields the host cannot measure (the ghOSt
 * operations, system calls, migrations) keep the paper's values.
 *
 * @module
 */

import { type CostProfile, PAPER_COSTS } from "../../core/cost_profile.ts";
import {
  autogroupNice,
  type HostActivity,
  hostActivity,
  loadAverage,
  type Measured,
  pinThread,
  readCpuTimes,
  summarize,
  tightenTimerSlack,
} from "./_host.ts";
import { CONTROL, CONTROL_WORDS, type MeasureRequest, type MeasureRole } from "./measure_worker.ts";

/** Options of {@link measureHostCosts}. */
export interface MeasureOptions {
  /** Recorded round trips of each ping-pong. @default 20000 */
  roundTrips?: number;
  /** Recorded idle wake-ups. @default 2000 */
  wakeups?: number;
  /** Pause before each idle wake-up, so that the sleeper's CPU goes idle, µs. @default 200 */
  gapUs?: number;
}

/** The host's scheduling costs as measured, with the conditions of the measurement. */
export interface HostMeasurements {
  /** CPUs the runtime sees (`navigator.hardwareConcurrency`). */
  cpus: number;
  /** Kernel release. */
  kernel: string;
  /** Load averages (1, 5, 15 min) before measuring, or null when unknown. */
  loadAverage: [number, number, number] | null;
  /** Nice value of this process's autogroup (its share against other sessions), or null. */
  autogroupNice: number | null;
  /** Whether the threads could be pinned to CPUs. */
  pinned: boolean;
  /** Whether the timer slack could be set to 1 ns (else timed waits may end 50 µs late). */
  tightTimers: boolean;
  /** Round trip between threads on CPUs 0 and 1, ns. */
  crossCpuRoundTrip: Measured;
  /** Round trip between two threads both on CPU 0, ns. */
  sameCpuRoundTrip: Measured;
  /** From waking a thread asleep on an idle CPU to it running, ns. */
  idleWakeup: Measured;
  /** Steal and other processes' CPU use while measuring, or null when unknown. */
  activity: HostActivity | null;
  /** How the measurements were taken, one sentence each. */
  notes: string[];
}

/** A cost profile measured on the host, and which of its fields were measured. */
export interface HostCostProfile {
  /** The profile: measured fields, and the paper's values for the rest. */
  profile: CostProfile;
  /** Fields taken from the measurements. */
  measured: (keyof CostProfile)[];
}

/**
 * Measures the host's wake-up and context-switch costs with real threads.
 *
 * @example
 * ```ts
 * import { measureHostCosts } from "./measure.ts";
 * const host = await measureHostCosts({ roundTrips: 200, wakeups: 20, gapUs: 50 });
 * if (host.sameCpuRoundTrip.n !== 200 || !(host.idleWakeup.median > 0)) {
 *   throw new Error("nothing measured");
 * }
 * ```
 */
export async function measureHostCosts(options: MeasureOptions = {}): Promise<HostMeasurements> {
  const roundTrips = checkCount(options.roundTrips ?? 20_000, "round trips");
  const wakeups = checkCount(options.wakeups ?? 2_000, "wake-ups");
  const gapUs = options.gapUs ?? 200;
  if (!(gapUs >= 0 && gapUs <= 1e6)) {
    throw new RangeError(`Invalid gap ${gapUs} µs: expected 0 to 1000000`);
  }
  const cpus = navigator.hardwareConcurrency;
  const load = loadAverage();
  const tightTimers = tightenTimerSlack();
  const before = readCpuTimes();
  const cross = await runPair(["ping", "pong"], [[0], [1 % cpus]], roundTrips, gapUs);
  const same = await runPair(["ping", "pong"], [[0], [0]], roundTrips, gapUs);
  const idle = await runPair(["waker", "sleeper"], [[0], [1 % cpus]], wakeups, gapUs);
  const activity = hostActivity(before, readCpuTimes());
  const pinned = cross.pinned && same.pinned && idle.pinned;
  const notes = [
    "Threads are Deno Web Workers waiting in Atomics.wait and woken by Atomics.notify; times include V8's wait and notify paths.",
    pinned
      ? "Threads were pinned with taskset -p on their thread ids: CPUs 0 and 1 across, CPU 0 for the same-CPU test."
      : "Threads could not be pinned (no taskset, no permission or one CPU): the host placed them, so the cross-CPU and same-CPU figures are both approximations.",
    `The idle wake-up sleeps ${gapUs} µs before each wake-up; the waker spins until the sleeper runs, so one cache-line transfer back is included.`,
  ];
  if (!tightTimers) {
    notes.push("The timer slack stayed at its default: pauses may last up to 50 µs longer.");
  }
  return {
    cpus,
    kernel: Deno.osRelease(),
    loadAverage: load,
    autogroupNice: autogroupNice(),
    pinned,
    tightTimers,
    crossCpuRoundTrip: summarize(cross.samples),
    sameCpuRoundTrip: summarize(same.samples),
    idleWakeup: summarize(idle.samples),
    activity,
    notes,
  };
}

/**
 * Maps measurements onto a cost profile named `host`: `cfsContextSwitch`
 * is half the median same-CPU round trip (a wake-up plus a switch), `ipi`
 * the median idle wake-up less that; every other field is the paper's.
 *
 * @example
 * ```ts
 * import { hostCostProfile, type HostMeasurements } from "./measure.ts";
 * const m = { n: 1, median: 4000, p99: 5000, min: 3000, mean: 4100 };
 * const host = hostCostProfile({
 *   cpus: 2, kernel: "6.18", loadAverage: null, autogroupNice: 0, pinned: true, tightTimers: true,
 *   crossCpuRoundTrip: m, sameCpuRoundTrip: m, idleWakeup: { ...m, median: 30_000 },
 *   activity: null, notes: [],
 * } satisfies HostMeasurements);
 * if (host.profile.cfsContextSwitch !== 2000 || host.profile.ipi !== 28_000) throw new Error("map");
 * ```
 */
export function hostCostProfile(measurements: HostMeasurements): HostCostProfile {
  const contextSwitch = Math.round(measurements.sameCpuRoundTrip.median / 2);
  const ipi = Math.max(0, Math.round(measurements.idleWakeup.median - contextSwitch));
  return {
    profile: { ...PAPER_COSTS, name: "host", cfsContextSwitch: contextSwitch, ipi },
    measured: ["cfsContextSwitch", "ipi"],
  };
}

/**
 * The JSON text of a host profile, in the format `parseCostProfileJson`
 * reads: the name, every cost field in ns, and the list of measured fields.
 */
export function costProfileJson(host: HostCostProfile): string {
  return JSON.stringify({ ...host.profile, measured: host.measured }, null, 2) + "\n";
}

/** Runs two measurement workers pinned to the given CPUs; returns the recorded samples. */
async function runPair(
  roles: readonly [MeasureRole, MeasureRole],
  cpus: readonly [readonly number[], readonly number[]],
  count: number,
  gapUs: number,
): Promise<{ samples: Float64Array; pinned: boolean }> {
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  const samples = new SharedArrayBuffer(count * 8);
  const warmup = Math.min(1000, Math.ceil(count / 10));
  const workers = roles.map(() =>
    new Worker(new URL("./measure_worker.ts", import.meta.url).href, { type: "module" })
  );
  try {
    const started = workers.map((worker, i) => {
      const tid = Promise.withResolvers<number>();
      const done = Promise.withResolvers<void>();
      // A failure rejects both; whichever is not awaited yet must not be unhandled.
      done.promise.catch(() => {});
      worker.onmessage = (event: MessageEvent<{ tid?: number; done?: boolean }>) => {
        if (event.data.tid !== undefined) tid.resolve(event.data.tid);
        if (event.data.done === true) done.resolve();
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const error = new Error(`Measurement worker failed: ${event.message}`);
        tid.reject(error);
        done.reject(error);
      };
      const request: MeasureRequest = {
        role: roles[i]!,
        control,
        samples,
        warmup,
        gapMs: gapUs / 1000,
      };
      worker.postMessage(request);
      return { tid: tid.promise, done: done.promise };
    });
    const tids = await Promise.all(started.map((s) => s.tid));
    const pinned = navigator.hardwareConcurrency >= 2 &&
      (await Promise.all(tids.map((tid, i) => pinThread(tid, cpus[i]!)))).every(Boolean);
    const words = new Int32Array(control);
    Atomics.store(words, CONTROL.go, 1);
    Atomics.notify(words, CONTROL.go);
    await Promise.all(started.map((s) => s.done));
    return { samples: new Float64Array(samples), pinned };
  } finally {
    for (const worker of workers) worker.terminate();
  }
}

function checkCount(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 10_000_000) {
    throw new RangeError(`Invalid number of ${what} ${value}: expected an integer from 1`);
  }
  return value;
}
