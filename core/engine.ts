/**
 * The discrete-event engine: virtual time in integer nanoseconds, the event
 * queue and the named random streams.
 *
 * @module
 */

import { EventQueue } from "./event_queue.ts";
import { RandomStreams } from "./random.ts";

/**
 * Handles one event. `a` and `b` are the numbers it was scheduled with;
 * callers cancel events by putting a generation counter in them and ignoring
 * stale ones.
 */
export type EventHandler = (a: number, b: number) => void;

/** Options of an {@linkcode Engine}. */
export interface EngineOptions {
  /**
   * Safety cap: more events than this at one instant of virtual time is a
   * livelock (events rescheduling each other with no delay), and the engine
   * throws instead of spinning. The quick suite's runs stay below 256.
   *
   * @default {1_000_000}
   */
  maxEventsPerInstant?: number;
}

/** Options for {@linkcode Engine.run}. */
export interface RunOptions {
  /**
   * Process events at times <= `until` (ns), then set the clock to `until`.
   * Without it, run until no event is pending.
   *
   * @default {undefined}
   */
  until?: number;
  /**
   * Safety cap: return after processing this many events in this call,
   * leaving the clock at the last event's time.
   *
   * @default {Infinity}
   */
  maxEvents?: number;
}

/**
 * Owns virtual time (integer nanoseconds), the pending events and the random
 * streams. Components register a handler per kind of event, schedule events
 * with {@linkcode Engine.at} or {@linkcode Engine.after}, and the engine
 * calls the handlers in (time, insertion) order.
 *
 * @example
 * ```ts
 * import { Engine } from "./mod.ts";
 *
 * const engine = new Engine(1);
 * const seen: string[] = [];
 * const tick = engine.register("tick", (a) => {
 *   seen.push(`${engine.now}:${a}`);
 *   if (a < 3) engine.after(1_000, tick, a + 1);
 * });
 * engine.at(500, tick, 1);
 * engine.run({ until: 10_000 });
 * if (seen.join() !== "500:1,1500:2,2500:3") throw new Error(seen.join());
 * if (engine.now !== 10_000) throw new Error("clock not advanced");
 * ```
 */
export class Engine {
  /** The named random streams of this run. */
  readonly random: RandomStreams;
  #queue = new EventQueue();
  #handlers: EventHandler[] = [];
  #names: string[] = [];
  #now = 0;
  #events = 0;
  #stopped = false;
  readonly #maxPerInstant: number;
  /** The instant whose events `#instantEvents` counts. */
  #instant = -1;
  #instantEvents = 0;
  /**
   * Times of cancelled events not counted yet: a cancelled event counts as
   * processed once the clock reaches its time, as if it had popped and done
   * nothing, so that cancelling changes no count.
   */
  #phantoms = new Float64Array(64);
  #phantomCount = 0;

  /** Creates an engine at time 0 whose random streams derive from `seed`. */
  constructor(seed: number, options: EngineOptions = {}) {
    this.random = new RandomStreams(seed);
    const max = options.maxEventsPerInstant ?? 1_000_000;
    if (!(Number.isInteger(max) && max > 0)) {
      throw new RangeError(`Invalid maxEventsPerInstant ${max}: expected an integer > 0`);
    }
    this.#maxPerInstant = max;
  }

  /** Current virtual time in nanoseconds. */
  get now(): number {
    return this.#now;
  }

  /**
   * Number of events processed so far, cancelled ones included once the
   * clock has reached their time.
   */
  get events(): number {
    this.#countPhantoms(this.#now);
    return this.#events;
  }

  /** Number of pending events (cancelled ones excluded). */
  get pending(): number {
    return this.#queue.size;
  }

  /** Registers a handler and returns the kind id to schedule it with. */
  register(name: string, handler: EventHandler): number {
    if (typeof handler !== "function") {
      throw new TypeError(`Invalid handler for event "${name}": expected a function`);
    }
    this.#handlers.push(handler);
    this.#names.push(name);
    return this.#handlers.length - 1;
  }

  /** Name a kind id was registered with (for messages). */
  kindName(kind: number): string {
    const name = this.#names[kind];
    if (name === undefined) throw new RangeError(`Unknown event kind ${kind}`);
    return name;
  }

  /**
   * Schedules event `kind` at absolute time `time` (an integer >= now) and
   * returns a handle for {@linkcode Engine.cancel} (-1 for an event at the
   * current time, which cannot be cancelled). Throws a RangeError for an
   * event in the past, a time that is not a finite integer, or an
   * unregistered kind.
   */
  at(time: number, kind: number, a = 0, b = 0): number {
    if (
      !(time >= this.#now && Number.isInteger(time) && (kind >>> 0) === kind &&
        kind < this.#handlers.length)
    ) {
      this.#reject(time, kind);
    }
    return this.#queue.push(time, kind, a, b);
  }

  /**
   * Schedules event `kind` `delay` ns from now (`delay` an integer >= 0);
   * returns a handle as {@linkcode Engine.at} does.
   */
  after(delay: number, kind: number, a = 0, b = 0): number {
    // One combined check on the hot path; the slow path says what is wrong.
    if (
      !(delay >= 0 && Number.isInteger(delay) && (kind >>> 0) === kind &&
        kind < this.#handlers.length)
    ) {
      this.#reject(this.#now + delay, kind);
    }
    return this.#queue.push(this.#now + delay, kind, a, b);
  }

  /**
   * Cancels a pending event by the handle {@linkcode Engine.at} returned:
   * its handler will not run. It still counts in {@linkcode Engine.events}
   * once the clock reaches its time, as a handler that ignores a stale event
   * would (so a model that cancels what it would otherwise ignore counts
   * the same events, with a smaller queue). Returns false when the handle
   * names no pending event.
   */
  cancel(handle: number): boolean {
    const queue = this.#queue;
    if (!queue.remove(handle)) return false;
    if (this.#phantomCount === this.#phantoms.length) {
      // Those the clock has passed count now; only future ones take room.
      this.#countPhantoms(this.#now);
      if (2 * this.#phantomCount >= this.#phantoms.length) {
        const grown = new Float64Array(2 * this.#phantoms.length);
        grown.set(this.#phantoms);
        this.#phantoms = grown;
      }
    }
    this.#phantoms[this.#phantomCount++] = queue.removedTime;
    return true;
  }

  /** Counts the cancelled events at or before `time` as processed. */
  #countPhantoms(time: number): void {
    const phantoms = this.#phantoms;
    let kept = 0;
    for (let i = 0; i < this.#phantomCount; i++) {
      const phantom = phantoms[i]!;
      if (phantom <= time) this.#events++;
      else phantoms[kept++] = phantom;
    }
    this.#phantomCount = kept;
  }

  #reject(time: number, kind: number): never {
    if (!((kind >>> 0) === kind && kind < this.#handlers.length)) {
      throw new RangeError(`Unknown event kind ${kind}: register a handler first`);
    }
    throw new RangeError(
      `Invalid time ${time} for event ${
        this.#describe(kind)
      }: expected an integer >= now (${this.#now})`,
    );
  }

  /** Processes the next event (advances the clock, calls its handler); false if none is pending. */
  step(): boolean {
    const queue = this.#queue;
    if (!queue.pop()) return false;
    this.#now = queue.time;
    this.#countInstant(queue.kind);
    this.#events++;
    this.#handlers[queue.kind]!(queue.a, queue.b);
    return true;
  }

  /**
   * Processes events in order while the next one is at or before
   * `options.until` (or until none is pending), then sets the clock to
   * `until` if given. Returns early, without moving the clock to `until`,
   * after {@linkcode Engine.stop} or when `maxEvents` is reached.
   */
  run(options: RunOptions = {}): void {
    const until = options.until ?? Infinity;
    const maxEvents = options.maxEvents ?? Infinity;
    if (options.until !== undefined && !(Number.isInteger(until) && until >= this.#now)) {
      throw new RangeError(`Invalid until ${until}: expected an integer >= now (${this.#now})`);
    }
    if (!(maxEvents >= 0)) {
      throw new RangeError(`Invalid maxEvents ${maxEvents}: expected a number >= 0`);
    }
    const queue = this.#queue;
    const handlers = this.#handlers;
    this.#stopped = false;
    let count = 0;
    for (;;) {
      if (count >= maxEvents) {
        if (queue.peekTime() <= until) return;
        break;
      }
      if (!queue.popUntil(until)) break;
      this.#now = queue.time;
      this.#countInstant(queue.kind);
      this.#events++;
      count++;
      handlers[queue.kind]!(queue.a, queue.b);
      if (this.#stopped) {
        this.#stopped = false;
        return;
      }
    }
    if (options.until !== undefined) {
      this.#now = until;
      this.#countPhantoms(until);
      return;
    }
    // Drained: the cancelled events left would have popped last.
    for (let i = 0; i < this.#phantomCount; i++) {
      if (this.#phantoms[i]! > this.#now) this.#now = this.#phantoms[i]!;
    }
    this.#countPhantoms(this.#now);
  }

  /** Makes {@linkcode Engine.run} return after the event being processed. */
  stop(): void {
    this.#stopped = true;
  }

  /** Counts an event at the current instant; throws past the cap (a livelock). */
  #countInstant(kind: number): void {
    if (this.#now !== this.#instant) {
      this.#instant = this.#now;
      this.#instantEvents = 0;
    }
    if (++this.#instantEvents > this.#maxPerInstant) {
      throw new Error(
        `Livelock: more than ${this.#maxPerInstant} events at ${this.#now} ns, the last ${
          this.#describe(kind)
        } (raise maxEventsPerInstant if this is legitimate)`,
      );
    }
  }

  #describe(kind: number): string {
    const name = this.#names[kind];
    return name === undefined ? String(kind) : `"${name}"`;
  }
}
