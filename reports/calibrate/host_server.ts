/**
 * A RocksDB-like server on real threads, under the host kernel's fair
 * class: the structure of the emulated `rocksdb` workload (see
 * workloads/rocksdb.ts) with Web Workers for threads.
 *
 * - A load generator makes open-loop Poisson arrivals (the same requests the
 *   emulated workload draws for the seed: 10 µs Gets, 0.5% of 5 ms Ranges by
 *   default), sleeping until each is due.
 * - Structure `dispatcher` (the reference layout under CFS, for hosts with 3
 *   CPUs or more): a dispatcher receives the requests and hands each to an
 *   idle worker, which sleeps on a futex of its own until then; pinned, the
 *   load generator runs on CPU 0, the dispatcher spins on CPU 1 and worker
 *   `i` runs on CPU `2 + i`.
 * - Structure `pool` (for smaller hosts, where the reference layout does not
 *   fit): the load generator receives the requests itself into a shared
 *   FIFO and wakes one sleeping worker per request, as the emulated workload
 *   does under ghOSt; nothing is pinned.
 * - A worker serves a request with a busy loop calibrated in iterations per
 *   µs, so a preempted request takes longer, as real work does.
 *
 * Every request carries the five timestamps of the reference experiments
 * (generated, received, assigned, started, finished), taken with each
 * thread's `performance.now()` against a common epoch; the host's CPU steal
 * and other processes' CPU use during the run are read from `/proc/stat`.
 *
 * @module
 */

import { RequestStats } from "../../core/metrics/request_stats.ts";
import { MS } from "../../core/units.ts";
import {
  type CpuTimes,
  type HostActivity,
  hostActivity,
  loadAverage,
  pinThread,
  readCpuTimes,
  tightenTimerSlack,
} from "./_host.ts";
import {
  DEFAULT_MIX,
  REQUEST_TYPES,
  type RequestMix,
  requestSchedule,
  type ServerSummary,
  summarizeStats,
} from "./_requests.ts";
import {
  IDLE,
  SERVER_WORD,
  type ServerBuffers,
  type ServerRequest,
  type ServerRole,
} from "./host_server_worker.ts";

/** How the server passes requests to workers. */
export type ServerStructure = "pool" | "dispatcher";

/** Options of {@link runHostServer}. */
export interface HostServerOptions {
  /** Pool or dispatcher (see the module doc). @default "pool" */
  structure?: ServerStructure;
  /** Worker threads. */
  workers: number;
  /** Offered load, requests/s. */
  load: number;
  /** Length of the run, ns. */
  durationNs: number;
  /** Requests arriving before this are not recorded, ns. */
  warmupNs: number;
  /** Seed of the arrivals and the request mix. */
  seed: number;
  /** Busy-loop iterations per µs of work, from {@link calibrateBusyLoop}. */
  iterationsPerUs: number;
  /** The request mix. @default DEFAULT_MIX */
  mix?: RequestMix;
  /**
   * Pin the threads (dispatcher structure): load generator on CPU 0,
   * dispatcher on CPU 1, worker `i` on CPU `2 + i`. @default false
   */
  pin?: boolean;
  /** The dispatcher spins, as the reference's does, rather than sleeping. @default the value of pin */
  dispatcherSpins?: boolean;
  /** Points of the latency CDF to report (0: none). @default 0 */
  cdfPoints?: number;
}

/** What a run of the real server reports. Latencies in µs. */
export interface HostServerResult extends ServerSummary {
  /** Requests generated. */
  generated: number;
  /** Requests generated that had not finished by the end of the run. */
  unfinished: number;
  /** Steal, other processes' and our own CPU use during the run, or null when unknown. */
  activity: HostActivity | null;
  /** Load averages (1, 5, 15 min) at the end of the run, or null when unknown. */
  loadAverage: [number, number, number] | null;
  /** Whether the threads were pinned as asked. */
  pinned: boolean;
  /** Timestamps raised to the previous stage's, because two threads' clocks disagreed. */
  clockFixes: number;
}

/** Lead time between the go signal and time zero, so every thread is waiting, ms. */
const START_LEAD_MS = 30;
/** How long stopped threads may take to finish their request, ms. */
const STOP_TIMEOUT_MS = 30_000;
/** Most requests one run may hold. */
const MAX_REQUESTS = 20_000_000;

/**
 * Measures how many busy-loop iterations a worker thread runs per µs of
 * CPU time (the best of repeated timings, the least disturbed by others).
 */
export async function calibrateBusyLoop(): Promise<number> {
  const [thread] = startThreads([{ role: "calibrate", index: 0 }], null, {
    structure: "pool",
    workers: 0,
    dispatcherSpins: false,
    durationNs: 0,
    warmupIterations: 2_000_000,
  });
  try {
    const message = await thread!.first;
    const rate = message.iterationsPerUs;
    if (rate === undefined || !(rate > 0) || !Number.isFinite(rate)) {
      throw new Error(`Busy-loop calibration failed: got ${rate} iterations/µs`);
    }
    return rate;
  } finally {
    thread!.worker.terminate();
  }
}

/**
 * Runs the real server for `durationNs` at an offered load and summarizes
 * the requests that arrived after the warm-up and finished before the end.
 *
 * @example
 * ```ts ignore
 * import { calibrateBusyLoop, runHostServer } from "./host_server.ts";
 * const result = await runHostServer({
 *   workers: 2, load: 5_000, durationNs: 200_000_000, warmupNs: 50_000_000, seed: 1,
 *   iterationsPerUs: await calibrateBusyLoop(),
 * });
 * console.log(result.throughputRps, result.latencyUs.all.p99);
 * ```
 */
export async function runHostServer(options: HostServerOptions): Promise<HostServerResult> {
  const structure = options.structure ?? "pool";
  const pin = options.pin ?? false;
  const workers = options.workers;
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new RangeError(`Invalid worker count ${workers}: expected 1 to 256`);
  }
  if (!(options.iterationsPerUs > 0)) {
    throw new RangeError(`Invalid busy-loop speed ${options.iterationsPerUs}: expected > 0`);
  }
  const cpus = navigator.hardwareConcurrency;
  if (pin && (structure !== "dispatcher" || cpus < workers + 2)) {
    throw new RangeError(
      `Cannot pin a ${structure} server of ${workers} workers on ${cpus} CPUs: pinning needs the dispatcher structure and workers + 2 CPUs`,
    );
  }
  const schedule = requestSchedule(options.seed, {
    load: options.load,
    durationNs: options.durationNs,
    mix: options.mix ?? DEFAULT_MIX,
  });
  const count = schedule.arrival.length;
  if (count > MAX_REQUESTS) {
    throw new RangeError(`Too many requests (${count}): at most ${MAX_REQUESTS} per run`);
  }
  tightenTimerSlack();
  const buffers = allocate(count, workers);
  new Float64Array(buffers.arrival).set(schedule.arrival);
  const work = new Float64Array(buffers.work);
  for (let i = 0; i < count; i++) {
    work[i] = Math.round(schedule.service[i]! / 1000 * options.iterationsPerUs);
  }
  const control = new Int32Array(buffers.control);
  for (let w = 0; w < workers; w++) control[SERVER_WORD.slots + w] = IDLE;

  const roles: { role: ServerRole; index: number; cpu: number }[] = [
    { role: "loadgen", index: 0, cpu: 0 },
  ];
  if (structure === "dispatcher") roles.push({ role: "dispatcher", index: 0, cpu: 1 });
  for (let w = 0; w < workers; w++) roles.push({ role: "worker", index: w, cpu: 2 + w });
  const threads = startThreads(roles, buffers, {
    structure,
    workers,
    dispatcherSpins: options.dispatcherSpins ?? pin,
    durationNs: options.durationNs,
    warmupIterations: Math.round(20 * 1000 * options.iterationsPerUs),
  });
  try {
    const ready = await Promise.all(threads.map((t) => t.first));
    let pinned = false;
    if (pin) {
      const results = await Promise.all(
        ready.map((message, i) => pinThread(message.tid ?? -1, [roles[i]!.cpu])),
      );
      pinned = results.every(Boolean);
    }
    const epochMs = performance.timeOrigin + performance.now() + START_LEAD_MS;
    new Float64Array(buffers.epoch)[0] = epochMs;
    const before = readCpuTimes();
    Atomics.store(control, SERVER_WORD.go, 1);
    Atomics.notify(control, SERVER_WORD.go);
    const endMs = epochMs + options.durationNs / MS;
    await sleepUntil(endMs);
    const after: CpuTimes | null = readCpuTimes();
    Atomics.store(control, SERVER_WORD.stop, 1);
    Atomics.add(control, SERVER_WORD.kick, 1);
    for (const word of [SERVER_WORD.tail, SERVER_WORD.kick, SERVER_WORD.sleep]) {
      Atomics.notify(control, word);
    }
    await withTimeout(Promise.all(threads.map((t) => t.done)), STOP_TIMEOUT_MS);
    return collect(buffers, schedule.type, options, {
      activity: hostActivity(before, after),
      pinned,
    });
  } finally {
    for (const thread of threads) thread.worker.terminate();
  }
}

/** Builds the statistics from the shared timestamps. */
function collect(
  buffers: ServerBuffers,
  types: Int32Array,
  options: HostServerOptions,
  extra: { activity: HostActivity | null; pinned: boolean },
): HostServerResult {
  const arrival = new Float64Array(buffers.arrival);
  const received = new Float64Array(buffers.received);
  const assigned = new Float64Array(buffers.assigned);
  const started = new Float64Array(buffers.started);
  const finished = new Float64Array(buffers.finished);
  const stats = new RequestStats({ types: REQUEST_TYPES, warmupNs: options.warmupNs });
  let unfinished = 0;
  let clockFixes = 0;
  for (let i = 0; i < arrival.length; i++) {
    const end = finished[i]!;
    if (end === 0 || end > options.durationNs) {
      unfinished++;
      continue;
    }
    // Each stage starts no earlier than the one before: across threads, the
    // clocks may disagree by a fraction of a microsecond.
    const t0 = arrival[i]!;
    const t1 = Math.max(received[i]!, t0);
    const t2 = Math.max(assigned[i]!, t1);
    const t3 = Math.max(started[i]!, t2);
    const t4 = Math.max(end, t3);
    if (t1 !== received[i] || t2 !== assigned[i] || t3 !== started[i] || t4 !== end) {
      clockFixes++;
    }
    stats.record(types[i]!, t0, t3, t4, t1, t2);
  }
  return {
    ...summarizeStats(stats, { ...options, cdfPoints: options.cdfPoints ?? 0 }),
    generated: arrival.length,
    unfinished,
    activity: extra.activity,
    loadAverage: loadAverage(),
    pinned: extra.pinned,
    clockFixes,
  };
}

function allocate(count: number, workers: number): ServerBuffers {
  const f64 = () => new SharedArrayBuffer(Math.max(1, count) * 8);
  return {
    control: new SharedArrayBuffer((SERVER_WORD.slots + workers) * 4),
    epoch: new SharedArrayBuffer(8),
    arrival: f64(),
    work: f64(),
    received: f64(),
    assigned: f64(),
    started: f64(),
    finished: f64(),
  };
}

/** A started server thread: its first message (ready or result) and its end. */
interface StartedThread {
  worker: Worker;
  first: Promise<{ tid?: number; iterationsPerUs?: number }>;
  done: Promise<void>;
}

function startThreads(
  roles: readonly { role: ServerRole; index: number }[],
  buffers: ServerBuffers | null,
  common: Omit<ServerRequest, "role" | "index" | "buffers">,
): StartedThread[] {
  return roles.map(({ role, index }) => {
    const worker = new Worker(new URL("./host_server_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const first = Promise.withResolvers<{ tid?: number; iterationsPerUs?: number }>();
    const done = Promise.withResolvers<void>();
    // A failure rejects both; whichever is not awaited yet must not be unhandled.
    first.promise.catch(() => {});
    done.promise.catch(() => {});
    worker.onmessage = (event: MessageEvent<{ tid?: number; done?: boolean }>) => {
      if (event.data.done === true) done.resolve();
      else first.resolve(event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const error = new Error(`Server thread ${role} ${index} failed: ${event.message}`);
      first.reject(error);
      done.reject(error);
    };
    const request: ServerRequest = { ...common, role, index, buffers };
    worker.postMessage(request);
    return { worker, first: first.promise, done: done.promise };
  });
}

/** Resolves at a time on the `timeOrigin + now()` scale, ms. */
async function sleepUntil(targetMs: number): Promise<void> {
  for (;;) {
    const left = targetMs - (performance.timeOrigin + performance.now());
    if (left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 50)));
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Server threads did not stop within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
