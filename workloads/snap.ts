/**
 * The `snap` workload: Snap-like packet engines serving message streams, as
 * in the ghOSt paper's Snap experiment (SOSP'21 §4.3, Fig. 7, pp.597–598).
 * The network is not emulated: the model is when messages arrive at the
 * host and the CPU work the engines and the server threads do for each.
 *
 * A message's life: it arrives (the NIC); an engine processes it (receive
 * work), hands it to its stream's server thread, which handles it and
 * answers with a reply of the same size; an engine processes the reply
 * (transmit work) and the message is done. Its latency runs from arrival to
 * the end of the transmit work; the queue stage is the wait for an engine's
 * first look at it.
 *
 * Engines (after the paper's description of Snap, §4.3 p.597): the first
 * `pollers` engines (default 1) always poll (they spin on their CPU when
 * there is nothing to do); the others block when the queue is empty and are
 * woken one at a time on bursts, when the work queue holds at least `burst`
 * items per awake engine (with no poller, new work always wakes one when
 * none is awake). Engines share one FIFO of work items and take them one at
 * a time.
 *
 * Scheduling classes by policy: under `microquanta` the engines are
 * MicroQuanta threads (core/microquanta_class.ts); under a ghOSt policy they
 * join the enclave (nice 0, ahead of the antagonists' nice 19); under `cfs`
 * they stay in CFS. Server threads always run in CFS (§4.3: "client/server
 * threads run under CFS"). The quiet and loaded modes of Fig. 7 are the
 * run's `--antagonists 0` and `--antagonists 40`.
 *
 * Values and where they come from:
 *
 * | value | here | source |
 * |---|---|---|
 * | streams (client/server pairs) | 6 | paper §4.3, p.597 |
 * | small and large streams | 1 of 64 B, 5 of 64 kB | paper §4.3, p.597 |
 * | messages per stream | 10k/s (`--load 60000` for 6 streams) | paper §4.3, p.597 |
 * | replies | the request's size | paper §4.3, p.597 ("equal-size replies") |
 * | machine | one socket, 56 CPUs (`--cpus 56`: flat, no SMT modelled; the paper's are 28 cores x 2 HT) | paper §4.3, p.597 |
 * | loaded mode | 40 antagonist threads | paper §4.3, p.597 |
 * | server threads | CFS, one per stream | paper §4.3, p.597 |
 * | nice values | antagonists +19; servers and engines −20 under `cfs` and `microquanta` when loaded, else 0 (the runner's co-location rule) | assumption (not stated) |
 * | one engine always polls, more woken on bursts | `pollers` 1 | paper §4.3, p.597 |
 * | arrivals | Poisson per stream | assumption (not stated) |
 * | engines | 4 | assumption (not stated) |
 * | burst threshold | 2 queued items per awake engine | assumption |
 * | engine work per message and direction | 1 us + 100 ns/kB (64 kB: 7.4 us) | assumption (a copy at about 10 GB/s) |
 * | server work per message | 2 us + 50 ns/kB (64 kB: 5.2 us) | assumption |
 * | the network, the client host | not modelled | latencies are one host's share, below the paper's |
 *
 * @module
 */

import type { Engine } from "../core/engine.ts";
import type { Kernel } from "../core/kernel.ts";
import type { OptionSpecs, OptionValuesOf } from "../core/options.ts";
import { type Action, type Thread, WaitQueue } from "../core/thread.ts";
import { SEC, US } from "../core/units.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import { RequestQueue } from "./_request_queue.ts";
import {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
} from "./workload.ts";

/** The request types: the small and the large messages. */
export const SNAP_MESSAGE_TYPES = ["64B", "64kB"] as const;

/** The options of the snap workload. */
export const SNAP_OPTIONS = {
  smallStreams: {
    kind: "integer",
    default: 1,
    min: 0,
    max: 1000,
    help: "streams of small messages (paper: 1 of 64 B)",
  },
  largeStreams: {
    kind: "integer",
    default: 5,
    min: 0,
    max: 1000,
    help: "streams of large messages (paper: 5 of 64 kB); --load is split evenly over streams",
  },
  smallBytes: { kind: "integer", default: 64, min: 1, max: 1 << 30, help: "small message size" },
  largeBytes: {
    kind: "integer",
    default: 65_536,
    min: 1,
    max: 1 << 30,
    help: "large message size",
  },
  engines: {
    kind: "integer",
    default: 4,
    min: 1,
    max: 1000,
    help: "engine threads, pollers first (an assumption: the paper gives no count)",
  },
  pollers: {
    kind: "integer",
    default: 1,
    min: 0,
    max: 1000,
    help: "engines that always poll, spinning when idle (paper: at least one); the others " +
      "block and are woken on bursts; 0: every engine blocks and is woken on arrival",
  },
  burst: {
    kind: "integer",
    default: 2,
    min: 1,
    max: 1_000_000,
    help: "queued work items per awake engine that wake another engine (an assumption)",
  },
  engineBaseNs: {
    kind: "duration",
    default: 1 * US,
    help: "engine work per message and direction (an assumption)",
  },
  engineNsPerKb: {
    kind: "number",
    default: 100,
    min: 0,
    help: "engine work per kB of message, ns (an assumption: a copy at about 10 GB/s)",
  },
  serverBaseNs: {
    kind: "duration",
    default: 2 * US,
    help: "server thread work per message (an assumption)",
  },
  serverNsPerKb: {
    kind: "number",
    default: 50,
    min: 0,
    help: "server thread work per kB of message, ns (an assumption)",
  },
} as const satisfies OptionSpecs;

/** Resolved options of the snap workload. */
export type SnapOptions = OptionValuesOf<typeof SNAP_OPTIONS>;

/** Receive work (an engine), server work, transmit work (an engine). */
const RX = 0;
const TX = 1;

/** One engine thread's state. */
class EngineSlot {
  thread: Thread | null = null;
  /** Whether it holds a work item (from its start to its end). */
  busy = false;
  /** Whether it is awake: the poller always; another from its wake-up until it blocks. */
  awake = false;
  /** The poller spins on its CPU waiting for work. */
  polling = false;
  readonly waitQueue: WaitQueue;
  /** The item it holds: arrival, stream and phase, rx start. */
  arrival = 0;
  stream = 0;
  phase = RX;
  rxStart = 0;

  constructor(index: number) {
    this.waitQueue = new WaitQueue(`snap.engine${index}`);
  }
}

/** One stream's server thread and its queue of received messages. */
class ServerSlot {
  thread: Thread | null = null;
  busy = false;
  arrival = 0;
  rxStart = 0;
  readonly queue = new RequestQueue(64);
  readonly waitQueue: WaitQueue;

  constructor(index: number) {
    this.waitQueue = new WaitQueue(`snap.server${index}`);
  }
}

class SnapWorkload implements Workload {
  readonly stats: RequestStats;
  generated = 0;
  finished = 0;
  readonly workers: number;
  readonly #engine: Engine;
  readonly #kernel: Kernel;
  readonly #options: SnapOptions;
  /** Work items for the engines: arrival, work ns, stream * 2 + phase, rx start. */
  readonly #work = new RequestQueue();
  readonly #engines: EngineSlot[] = [];
  readonly #servers: ServerSlot[] = [];
  /** Per stream: its type (0 small, 1 large), engine work and server work, ns. */
  readonly #type: number[] = [];
  readonly #engineNs: number[] = [];
  readonly #serverNs: number[] = [];

  constructor(context: WorkloadContext, options: SnapOptions) {
    const { engine, kernel } = context;
    this.#engine = engine;
    this.#kernel = kernel;
    this.#options = options;
    this.stats = new RequestStats({ types: SNAP_MESSAGE_TYPES, warmupNs: context.warmupNs });
    const streams = options.smallStreams + options.largeStreams;
    if (streams === 0) throw new RangeError("Workload snap needs at least one stream");
    if (options.pollers > options.engines) {
      throw new RangeError(
        `Workload snap: ${options.pollers} pollers need as many engines, got ${options.engines}`,
      );
    }
    this.workers = options.engines;
    for (let s = 0; s < streams; s++) {
      const small = s < options.smallStreams;
      const kb = (small ? options.smallBytes : options.largeBytes) / 1024;
      this.#type.push(small ? 0 : 1);
      this.#engineNs.push(Math.round(options.engineBaseNs + kb * options.engineNsPerKb));
      this.#serverNs.push(Math.round(options.serverBaseNs + kb * options.serverNsPerKb));
    }

    const engineClass = context.policy === "microquanta"
      ? { schedClass: "microquanta" as const }
      : schedClassOf(context);
    for (let i = 0; i < options.engines; i++) {
      const slot = new EngineSlot(i);
      const poller = i < options.pollers;
      slot.awake = poller;
      slot.thread = kernel.spawn(this.#engineLoop(slot, poller), {
        name: `engine${i}`,
        group: "snap-engines",
        nice: context.enclave === null ? context.latencyNice : 0,
        ...engineClass,
      });
      this.#engines.push(slot);
    }
    for (let s = 0; s < streams; s++) {
      const slot = new ServerSlot(s);
      slot.thread = kernel.spawn(this.#serverLoop(slot, s), {
        name: `server${s}`,
        group: "snap-servers",
        nice: context.latencyNice,
      });
      this.#servers.push(slot);
    }

    // Arrivals: Poisson per stream, the run's load split evenly.
    const meanGap = SEC * streams / context.load;
    const arrivals = engine.random.stream("snap.arrivals");
    const next = new Float64Array(streams);
    const arrive = engine.register("snap.arrival", (stream) => {
      const now = engine.now;
      this.generated++;
      this.#work.push(now, this.#engineNs[stream]!, stream * 2 + RX, now);
      this.#kick();
      next[stream] = now + Math.max(1, Math.round(arrivals.exponential(meanGap)));
      if (next[stream]! < context.durationNs) engine.at(next[stream]!, arrive, stream);
    });
    for (let s = 0; s < streams; s++) {
      next[s] = Math.max(1, Math.round(arrivals.exponential(meanGap)));
      if (next[s]! < context.durationNs) engine.at(next[s]!, arrive, s);
    }
  }

  inFlight(): number {
    let held = this.#work.size;
    for (const slot of this.#engines) if (slot.busy) held++;
    for (const slot of this.#servers) held += slot.queue.size + (slot.busy ? 1 : 0);
    return held;
  }

  /**
   * New work for the engines: a poller waiting for work looks at once;
   * another engine wakes when the queue holds `burst` items per awake
   * engine.
   */
  #kick(): void {
    for (let i = 0; i < this.#options.pollers; i++) {
      const poller = this.#engines[i]!;
      if (!poller.polling) continue;
      poller.polling = false;
      this.#kernel.poke(poller.thread!);
      break;
    }
    let awake = 0;
    let sleeper: EngineSlot | null = null;
    for (const slot of this.#engines) {
      if (slot.awake) awake++;
      else if (sleeper === null) sleeper = slot;
    }
    if (sleeper !== null && this.#work.size >= this.#options.burst * awake) {
      sleeper.awake = true;
      this.#kernel.wake(sleeper.thread!);
    }
  }

  #engineLoop(slot: EngineSlot, poller: boolean) {
    return {
      next: (thread: Thread): Action => {
        const now = this.#engine.now;
        if (slot.busy) {
          slot.busy = false;
          this.#finishItem(slot, now);
        }
        const work = this.#work;
        if (work.shift()) {
          slot.busy = true;
          slot.arrival = work.arrival;
          slot.stream = work.type >> 1;
          slot.phase = work.type & 1;
          slot.rxStart = slot.phase === RX ? now : work.received;
          thread.stepNs = work.service;
          return "compute";
        }
        if (poller) {
          slot.polling = true;
          return "spin";
        }
        slot.awake = false;
        thread.waitOn = slot.waitQueue;
        return "wait";
      },
    };
  }

  /** An engine finished a work item: a received message goes to its server, a reply is done. */
  #finishItem(slot: EngineSlot, now: number): void {
    const stream = slot.stream;
    if (slot.phase === TX) {
      this.finished++;
      this.stats.record(this.#type[stream]!, slot.arrival, slot.rxStart, now);
      return;
    }
    const server = this.#servers[stream]!;
    server.queue.push(slot.arrival, this.#serverNs[stream]!, stream, slot.rxStart);
    if (!server.busy) this.#kernel.wake(server.thread!);
  }

  #serverLoop(slot: ServerSlot, stream: number) {
    return {
      next: (thread: Thread): Action => {
        if (slot.busy) {
          slot.busy = false;
          // The reply: transmit work for an engine.
          this.#work.push(slot.arrival, this.#engineNs[stream]!, stream * 2 + TX, slot.rxStart);
          this.#kick();
        }
        const queue = slot.queue;
        if (queue.shift()) {
          slot.busy = true;
          slot.arrival = queue.arrival;
          slot.rxStart = queue.received;
          thread.stepNs = queue.service;
          return "compute";
        }
        thread.waitOn = slot.waitQueue;
        return "wait";
      },
    };
  }
}

/** The snap workload definition. */
export const SNAP: WorkloadDefinition<typeof SNAP_OPTIONS> = {
  name: "snap",
  description: "Snap-like packet engines serving 64 B and 64 kB message streams to CFS server " +
    "threads; --policy microquanta or snap (ghOSt), --load 60000 --cpus 56 [--antagonists 40] " +
    "as in the paper",
  options: SNAP_OPTIONS,
  create(context: WorkloadContext, options: SnapOptions): Workload {
    return new SnapWorkload(context, options);
  },
};
