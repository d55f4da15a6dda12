/**
 * Web Worker entry of the host cost measurements (`measure.ts`): one side of
 * a futex ping-pong, or the waker or the sleeper of the idle wake-up test.
 * The worker posts its OS thread id, blocks until the main thread has
 * pinned it and says go, runs, and posts `done`.
 *
 * @module
 */

import { currentThreadId } from "./_host.ts";

/** What a measurement worker does. */
export type MeasureRole = "ping" | "pong" | "waker" | "sleeper";

/** Indices into the shared control words. */
export const CONTROL = {
  /** Set to 1 (and notified) by the main thread to start. */
  go: 0,
  /** The futex word the two sides hand back and forth. */
  word: 1,
  /** The sleeper's "I am awake" flag, which the waker spins on. */
  awake: 2,
  /** A word nobody notifies: a timed wait on it is a sleep. */
  sleep: 3,
} as const;

/** Number of control words. */
export const CONTROL_WORDS = 4;

/** The message that starts a measurement worker. */
export interface MeasureRequest {
  /** Its side of the test. */
  role: MeasureRole;
  /** Shared control words (Int32). */
  control: SharedArrayBuffer;
  /** Where the recording side writes its samples, ns (Float64). */
  samples: SharedArrayBuffer;
  /** Iterations not recorded first (JIT warm-up). */
  warmup: number;
  /** The waker's pause before each wake-up, so that the sleeper's CPU goes idle, ms. */
  gapMs: number;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<MeasureRequest>) => void) | null;
  postMessage(message: unknown): void;
};

// Only as a worker's entry: measure.ts imports this module's constants, and
// so does any worker that imports the package (a bench point running a
// policy file), whose messages are not measurements.
if (import.meta.main) {
  scope.onmessage = (event) => {
    const request = event.data;
    const control = new Int32Array(request.control);
    const samples = new Float64Array(request.samples);
    scope.postMessage({ tid: currentThreadId() });
    while (Atomics.load(control, CONTROL.go) === 0) Atomics.wait(control, CONTROL.go, 0);
    const rounds = request.warmup + samples.length;
    switch (request.role) {
      case "ping":
        ping(control, samples, request.warmup, rounds);
        break;
      case "pong":
        pong(control, rounds);
        break;
      case "waker":
        waker(control, samples, request, rounds);
        break;
      case "sleeper":
        sleeper(control, rounds);
        break;
    }
    scope.postMessage({ done: true });
  };
}

/** Hands the word to the other side and sleeps until it is handed back: one round trip each. */
function ping(control: Int32Array, samples: Float64Array, warmup: number, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    Atomics.store(control, CONTROL.word, 1);
    Atomics.notify(control, CONTROL.word, 1);
    while (Atomics.load(control, CONTROL.word) !== 0) Atomics.wait(control, CONTROL.word, 1);
    const end = performance.now();
    if (i >= warmup) samples[i - warmup] = (end - start) * 1e6;
  }
}

/** Sleeps until handed the word, hands it back. */
function pong(control: Int32Array, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    while (Atomics.load(control, CONTROL.word) !== 1) Atomics.wait(control, CONTROL.word, 0);
    Atomics.store(control, CONTROL.word, 0);
    Atomics.notify(control, CONTROL.word, 1);
  }
}

/**
 * Pauses (the sleeper's CPU goes idle), wakes the sleeper and spins until it
 * says it runs: the time from the wake-up call to the sleeper running, plus
 * one cache-line transfer back.
 */
function waker(
  control: Int32Array,
  samples: Float64Array,
  request: MeasureRequest,
  rounds: number,
): void {
  for (let i = 0; i < rounds; i++) {
    Atomics.wait(control, CONTROL.sleep, 0, request.gapMs);
    const start = performance.now();
    Atomics.store(control, CONTROL.word, 1);
    Atomics.notify(control, CONTROL.word, 1);
    while (Atomics.load(control, CONTROL.awake) === 0) {
      // Spin: the waker's own CPU stays busy, so only the sleeper's wakes up.
    }
    const end = performance.now();
    Atomics.store(control, CONTROL.awake, 0);
    if (i >= request.warmup) samples[i - request.warmup] = (end - start) * 1e6;
  }
}

/** Sleeps until woken, says so, and sleeps again. */
function sleeper(control: Int32Array, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    while (Atomics.load(control, CONTROL.word) !== 1) Atomics.wait(control, CONTROL.word, 0);
    Atomics.store(control, CONTROL.word, 0);
    Atomics.store(control, CONTROL.awake, 1);
  }
}
