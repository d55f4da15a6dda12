/**
 * Hold-model benchmark of the event queue: 1e5 pending events, and each hold
 * operation pops the earliest event and pushes one at its time plus an
 * exponential delay (integer ns, drawn before measuring). Each bench
 * iteration does 1e5 holds.
 *
 * Three contenders per group: a bare typed-array binary heap of Float64
 * times (the baseline: no payload, no tie-breaking), the `EventQueue` alone,
 * and the full engine path (`Engine.step` with a no-op handler, then
 * `Engine.after`).
 *
 * The first two groups differ only in how often times tie (the queue keeps
 * tied events in insertion order; the bare heap ignores ties):
 *
 * - `hold`: mean delay 1 ms, so about 0.1 events per ns near the head of
 *   the queue, the density of ~1,000 pending events with 10 us delays.
 * - `hold-dense-ties`: mean delay 10 us, about 10 events per ns: most
 *   comparisons near the head are ties.
 * - `hold-half-now`: 1,000 pending events, and every other hold pushes for
 *   the current time (delay 0), as a scheduler's wake-ups and reschedules
 *   do: the queue's FIFO takes those, the bare heap sifts them.
 * - `hold-ticks`: 128 pending events, and one hold in 32 pushes for the
 *   next 1 ms boundary, as a busy CPU's scheduler tick does: most pending
 *   events then share a few far instants, as on the 64-CPU Shinjuku model
 *   (about 60 ticks among 115 pending).
 *
 * Run: `deno bench -A core/event_queue_bench.ts`
 *
 * @module
 */

import { Engine } from "./engine.ts";
import { EventQueue } from "./event_queue.ts";
import { RandomStreams } from "./random.ts";
import { MS, US } from "./units.ts";

const DEFAULT_PENDING = 100_000;
const HOLDS_PER_ITERATION = 100_000;
const DELAY_COUNT = 1 << 16;
const DELAY_MASK = DELAY_COUNT - 1;

/** A bare binary min-heap of Float64 times: the baseline. */
class BareHeap {
  #times = new Float64Array(DEFAULT_PENDING + 1);
  #size = 0;

  push(time: number): void {
    const times = this.#times;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent]!;
      if (parentTime <= time) break;
      times[i] = parentTime;
      i = parent;
    }
    times[i] = time;
  }

  pop(): number {
    const times = this.#times;
    const top = times[0]!;
    const size = --this.#size;
    if (size === 0) return top;
    const time = times[size]!;
    const half = size >> 1;
    let i = 0;
    while (i < half) {
      let child = 2 * i + 1;
      let childTime = times[child]!;
      const right = child + 1;
      if (right < size) {
        const rightTime = times[right]!;
        if (rightTime < childTime) {
          child = right;
          childTime = rightTime;
        }
      }
      if (time <= childTime) break;
      times[i] = childTime;
      i = child;
    }
    times[i] = time;
    return top;
  }
}

/** A delay that stands for "at the next multiple of 1 ms" (a scheduler tick). */
const TICK = -1;

/** The time of a push `delay` after `now` ({@linkcode TICK}: the next 1 ms boundary). */
function timeAfter(now: number, delay: number): number {
  return delay === TICK ? (Math.floor(now / MS) + 1) * MS : now + delay;
}

function exponentialDelays(mean: number): Float64Array {
  const delays = new Float64Array(DELAY_COUNT);
  const rng = new RandomStreams(1).stream("delays");
  for (let i = 0; i < DELAY_COUNT; i++) delays[i] = Math.round(rng.exponential(mean));
  return delays;
}

function addGroup(group: string, meanDelay: number, options: GroupOptions = {}): void {
  const delays = exponentialDelays(meanDelay);
  if (options.halfNow) { for (let i = 0; i < DELAY_COUNT; i += 2) delays[i] = 0; }
  const tickEvery = options.tickEvery ?? 0;
  if (tickEvery > 0) { for (let i = 0; i < DELAY_COUNT; i += tickEvery) delays[i] = TICK; }
  const PENDING = options.pending ?? DEFAULT_PENDING;

  const bare = new BareHeap();
  let bareNext = 0;
  for (let i = 0; i < PENDING; i++) bare.push(timeAfter(0, delays[bareNext++ & DELAY_MASK]!));
  Deno.bench({
    name: `bare Float64 heap (${group})`,
    group,
    baseline: true,
    fn() {
      for (let i = 0; i < HOLDS_PER_ITERATION; i++) {
        const now = bare.pop();
        bare.push(timeAfter(now, delays[bareNext++ & DELAY_MASK]!));
      }
    },
  });

  const queue = new EventQueue();
  let queueNext = 0;
  for (let i = 0; i < PENDING; i++) {
    queue.push(timeAfter(0, delays[queueNext++ & DELAY_MASK]!), 0, i, 0);
  }
  Deno.bench({
    name: `EventQueue pop + push (${group})`,
    group,
    fn() {
      for (let i = 0; i < HOLDS_PER_ITERATION; i++) {
        queue.pop();
        const time = timeAfter(queue.time, delays[queueNext++ & DELAY_MASK]!);
        queue.push(time, queue.kind, queue.a, 0);
      }
    },
  });

  const engine = new Engine(1);
  const noop = engine.register("noop", () => {});
  let engineNext = 0;
  for (let i = 0; i < PENDING; i++) {
    engine.at(timeAfter(0, delays[engineNext++ & DELAY_MASK]!), noop, i);
  }
  Deno.bench({
    name: `Engine step + after (${group})`,
    group,
    fn() {
      for (let i = 0; i < HOLDS_PER_ITERATION; i++) {
        engine.step();
        engine.at(timeAfter(engine.now, delays[engineNext++ & DELAY_MASK]!), noop);
      }
    },
  });
}

/** How a group differs from the default hold model. */
interface GroupOptions {
  /** Pending events. @default 100_000 */
  pending?: number;
  /** Every other delay is 0. @default false */
  halfNow?: boolean;
  /** Every this many pushes, one is for the next 1 ms tick instead (0: none). @default 0 */
  tickEvery?: number;
}

addGroup("hold", 1 * MS);
addGroup("hold-dense-ties", 10 * US);
addGroup("hold-half-now", 10 * US, { pending: 1_000, halfNow: true });
addGroup("hold-ticks", 10 * US, { pending: 128, tickEvery: 32 });
