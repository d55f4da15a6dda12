/**
 * Web Worker entry of the real-thread server (`host_server.ts`): one thread
 * of it, by role. The load generator publishes requests when their arrival
 * time comes; the dispatcher (structure `dispatcher`) receives them and hands
 * each to an idle worker; workers serve requests with a calibrated busy
 * loop. Every thread writes its timestamps straight into shared arrays.
 *
 * A thread posts `{ tid }` when it has started (and warmed up its busy
 * loop), blocks until the main thread says go, runs until told to stop, and
 * posts `{ done }`. The `calibrate` role measures the busy loop's speed.
 *
 * @module
 */

import { currentThreadId } from "./_host.ts";

/** A thread's part in the server. */
export type ServerRole = "loadgen" | "dispatcher" | "worker" | "calibrate";

/** Indices into the shared control words (Int32). */
export const SERVER_WORD = {
  /** Set to 1 (and notified) by the main thread to start. */
  go: 0,
  /** Set to 1 (and notified) by the main thread to stop. */
  stop: 1,
  /** Requests published by the load generator (futex word of pool workers). */
  tail: 2,
  /** Pool: next request to take. */
  head: 3,
  /** Dispatcher: bumped (and notified) when there is something for it to do. */
  kick: 4,
  /** Requests finished. */
  finished: 5,
  /** A word nobody notifies: a timed wait on it is a sleep. */
  sleep: 6,
  /** Dispatcher: first worker slot; a slot holds -1 (idle), a request index, or -2 (exit). */
  slots: 8,
} as const;

/** Slot value of an idle worker. */
export const IDLE = -1;
/** Slot value telling a worker to exit. */
export const EXIT = -2;

/** Shared arrays of the server: inputs (arrival, work) and timestamps (ns since the epoch). */
export interface ServerBuffers {
  /** Int32 control words: {@link SERVER_WORD}, then one slot per worker. */
  control: SharedArrayBuffer;
  /** Float64 [epoch]: the run's time zero, ms on the `timeOrigin + now()` scale. */
  epoch: SharedArrayBuffer;
  /** Float64 arrival time per request, ns, ascending. */
  arrival: SharedArrayBuffer;
  /** Float64 busy-loop iterations per request. */
  work: SharedArrayBuffer;
  /** Float64 when the server received it, ns. */
  received: SharedArrayBuffer;
  /** Float64 when it was handed to a worker, ns. */
  assigned: SharedArrayBuffer;
  /** Float64 when a worker started it, ns. */
  started: SharedArrayBuffer;
  /** Float64 when it finished, ns (0: not finished). */
  finished: SharedArrayBuffer;
}

/** The message that starts a server thread. */
export interface ServerRequest {
  /** Its role. */
  role: ServerRole;
  /** Worker number (workers only). */
  index: number;
  /** Number of workers. */
  workers: number;
  /** The shared arrays (not used by `calibrate`). */
  buffers: ServerBuffers | null;
  /** Pool (workers take from the shared queue) or dispatcher. */
  structure: "pool" | "dispatcher";
  /** Whether the dispatcher spins (else it sleeps on a futex). */
  dispatcherSpins: boolean;
  /** End of the run, ns since the epoch. */
  durationNs: number;
  /** Busy-loop iterations of the warm-up (JIT), e.g. 20 ms worth. */
  warmupIterations: number;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ServerRequest>) => void) | null;
  postMessage(message: unknown): void;
};

/** Keeps the busy loop's result observable, so that it is not optimized away. */
let sink = 0;

// Only as a worker's entry: host_server.ts imports this module's constants,
// and so does any worker that imports the package (a bench point running a
// policy file), whose messages are not for this server.
if (import.meta.main) {
  scope.onmessage = (event) => {
    const request = event.data;
    if (request.role === "calibrate") {
      scope.postMessage({ iterationsPerUs: calibrate(request.warmupIterations) });
      return;
    }
    const views = new Views(request.buffers!);
    const control = views.control;
    if (request.role !== "loadgen" && request.role !== "dispatcher") {
      sink ^= spin(request.warmupIterations);
    }
    scope.postMessage({ tid: currentThreadId() });
    while (Atomics.load(control, SERVER_WORD.go) === 0) Atomics.wait(control, SERVER_WORD.go, 0);
    const clock = new Clock(views.epoch[0]!);
    switch (request.role) {
      case "loadgen":
        loadGenerator(views, clock, request);
        break;
      case "dispatcher":
        dispatcher(views, clock, request);
        break;
      case "worker":
        if (request.structure === "pool") poolWorker(views, clock);
        else dispatchedWorker(views, clock, request.index);
        break;
    }
    scope.postMessage({ done: true, sink });
  };
}

/** Typed views of the shared arrays, made once per thread. */
class Views {
  readonly control: Int32Array;
  /** [time zero, ms]: written by the main thread just before go. */
  readonly epoch: Float64Array;
  readonly arrival: Float64Array;
  readonly work: Float64Array;
  readonly received: Float64Array;
  readonly assigned: Float64Array;
  readonly started: Float64Array;
  readonly finished: Float64Array;
  constructor(buffers: ServerBuffers) {
    this.control = new Int32Array(buffers.control);
    this.epoch = new Float64Array(buffers.epoch);
    this.arrival = new Float64Array(buffers.arrival);
    this.work = new Float64Array(buffers.work);
    this.received = new Float64Array(buffers.received);
    this.assigned = new Float64Array(buffers.assigned);
    this.started = new Float64Array(buffers.started);
    this.finished = new Float64Array(buffers.finished);
  }
}

/** Nanoseconds since the run's epoch, from this thread's performance clock. */
class Clock {
  readonly #offsetMs: number;
  constructor(epochMs: number) {
    this.#offsetMs = performance.timeOrigin - epochMs;
  }
  now(): number {
    return Math.round((this.#offsetMs + performance.now()) * 1e6);
  }
}

/**
 * The busy loop that stands for a request's work: a linear congruential
 * generator, `iterations` steps. Real work in that it only progresses while
 * the thread holds a CPU.
 */
function spin(iterations: number): number {
  let x = 1;
  for (let k = 0; k < iterations; k++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
  return x;
}

/** Busy-loop iterations per µs: the best of repeated timings (least disturbed). */
function calibrate(warmupIterations: number): number {
  sink ^= spin(warmupIterations);
  const iterations = Math.max(10_000, Math.round(warmupIterations / 20));
  let best = Infinity;
  for (let trial = 0; trial < 40; trial++) {
    const start = performance.now();
    sink ^= spin(iterations);
    const ms = performance.now() - start;
    if (ms > 0 && ms < best) best = ms;
  }
  return iterations / (best * 1000);
}

/**
 * Publishes each request when its arrival time comes, sleeping until then;
 * a late wake-up publishes every request due at once (their arrival times
 * stay as drawn). Pool: received now, and one waiting worker woken per
 * request. Dispatcher: the dispatcher is told.
 */
function loadGenerator(views: Views, clock: Clock, request: ServerRequest): void {
  const { control, arrival, received } = views;
  const count = arrival.length;
  const pool = request.structure === "pool";
  let next = 0;
  while (next < count && Atomics.load(control, SERVER_WORD.stop) === 0) {
    const now = clock.now();
    const due = arrival[next]!;
    if (due > now) {
      const waitNs = due - now;
      // Below a microsecond a timed wait overshoots: spin instead.
      if (waitNs > 1000) Atomics.wait(control, SERVER_WORD.sleep, 0, waitNs / 1e6);
      continue;
    }
    const first = next;
    while (next < count && arrival[next]! <= now) {
      if (pool) received[next] = now;
      next++;
    }
    Atomics.store(control, SERVER_WORD.tail, next);
    if (pool) {
      Atomics.notify(control, SERVER_WORD.tail, next - first);
    } else {
      Atomics.add(control, SERVER_WORD.kick, 1);
      if (!request.dispatcherSpins) Atomics.notify(control, SERVER_WORD.kick, 1);
    }
  }
}

/**
 * Receives what the load generator published and hands the oldest received
 * request to an idle worker (the lowest-numbered), one each, until none is
 * idle; then spins or sleeps until something changes.
 */
function dispatcher(views: Views, clock: Clock, request: ServerRequest): void {
  const { control, received, assigned } = views;
  const workers = request.workers;
  let receivedCount = 0;
  let assignedCount = 0;
  for (;;) {
    const kick = Atomics.load(control, SERVER_WORD.kick);
    if (Atomics.load(control, SERVER_WORD.stop) !== 0) break;
    let progress = false;
    const tail = Atomics.load(control, SERVER_WORD.tail);
    if (receivedCount < tail) {
      const now = clock.now();
      for (; receivedCount < tail; receivedCount++) received[receivedCount] = now;
      progress = true;
    }
    for (let w = 0; w < workers && assignedCount < receivedCount; w++) {
      const slot = SERVER_WORD.slots + w;
      if (Atomics.load(control, slot) !== IDLE) continue;
      assigned[assignedCount] = clock.now();
      Atomics.store(control, slot, assignedCount);
      Atomics.notify(control, slot, 1);
      assignedCount++;
      progress = true;
    }
    if (!progress && !request.dispatcherSpins) Atomics.wait(control, SERVER_WORD.kick, kick);
  }
  for (let w = 0; w < workers; w++) {
    const slot = SERVER_WORD.slots + w;
    // A busy worker exits when it finishes (it sees stop); an idle one now.
    if (Atomics.compareExchange(control, slot, IDLE, EXIT) === IDLE) {
      Atomics.notify(control, slot, 1);
    }
  }
}

/** Pool worker: takes the oldest published request, serves it; sleeps while there is none. */
function poolWorker(views: Views, clock: Clock): void {
  const { control, assigned } = views;
  const count = assigned.length;
  for (;;) {
    if (Atomics.load(control, SERVER_WORD.stop) !== 0) return;
    const tail = Atomics.load(control, SERVER_WORD.tail);
    const head = Atomics.load(control, SERVER_WORD.head);
    if (head < tail) {
      if (Atomics.compareExchange(control, SERVER_WORD.head, head, head + 1) !== head) continue;
      const now = clock.now();
      assigned[head] = now;
      serve(views, clock, head, now);
      continue;
    }
    if (head >= count) return;
    Atomics.wait(control, SERVER_WORD.tail, tail);
  }
}

/** Dispatched worker: sleeps on its slot until handed a request, serves it, says it is idle. */
function dispatchedWorker(views: Views, clock: Clock, index: number): void {
  const control = views.control;
  const slot = SERVER_WORD.slots + index;
  for (;;) {
    const value = Atomics.load(control, slot);
    if (value === EXIT) return;
    if (value === IDLE) {
      Atomics.wait(control, slot, IDLE);
      continue;
    }
    serve(views, clock, value, clock.now());
    if (Atomics.load(control, SERVER_WORD.stop) !== 0) {
      Atomics.store(control, slot, EXIT);
      return;
    }
    Atomics.store(control, slot, IDLE);
    Atomics.add(control, SERVER_WORD.kick, 1);
    Atomics.notify(control, SERVER_WORD.kick, 1);
  }
}

/** Runs a request's work and records its start and finish. */
function serve(views: Views, clock: Clock, index: number, start: number): void {
  views.started[index] = start;
  sink ^= spin(views.work[index]!);
  views.finished[index] = Math.max(start, clock.now());
  Atomics.add(views.control, SERVER_WORD.finished, 1);
}
