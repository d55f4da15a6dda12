/**
 * The `search` workload: the three query types of the ghOSt paper's Google
 * Search experiment (§4.4, Fig. 8, pp.598–600), meant for `--machine
 * rome2s-256` (the paper's 2 × AMD Rome, 256 CPUs, 32 CCXs) or, at reduced
 * scale, `rome2s` (64 CPUs, 8 CCXs).
 *
 * The paper describes the types only in words (p.599); ghostbench builds
 * each from that description:
 *
 * | type | paper (p.599) | here |
 * | --- | --- | --- |
 * | A | CPU- and memory-intensive, worker threads woken as needed | a pool of workers per CCX shard, woken per query, memory-bound work |
 * | B | little computation, reads the SSD, short-lived workers | a thread per query: compute, block on an SSD read, compute, exit |
 * | C | CPU-intensive, long-lived workers | a pool of workers per socket, compute-bound work |
 *
 * Every query's data lives on one shard: a CCX drawn uniformly at random
 * from the stream `search.placement`, and so on that CCX's socket. As in the
 * paper ("both CFS and ghOSt consider NUMA socket and CCX placement",
 * p.599), every worker's cpumask is its data's socket (the mask
 * `sched_setaffinity` sets, given at spawn) under every policy;
 * `--socket-affinity false` drops the masks (the ablation without NUMA
 * awareness). A's workers have their shard's CCX as their data's home
 * (`homeLlc`): away from it their memory-bound work runs slower by the
 * topology cost model (core/topology_costs.ts: 1.4× for fully memory-bound
 * work on another CCX of the socket, 2× on the other socket, themselves
 * assumptions). A B thread's home is the CCX it first runs on (the buffers
 * it fills before the SSD read); C's work is not slowed anywhere.
 *
 * Every constant below is an assumption (the paper gives no service time,
 * mix, memory intensity, SSD latency, pool size or nice value), chosen so
 * that the types differ as the paper says they do and none is fitted to
 * Fig. 8:
 *
 * | type | share | CPU work | memory intensity | blocking | workers | nice |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | A | 0.4 | 600 us | 0.5 (1.2× off its CCX, 1.5× off its socket) | none | 8 per CCX | 0 |
 * | B | 0.4 | 2 × 25 us | 0.3 (1.12× / 1.3×) | 200 us SSD read between | one per query | 0 |
 * | C | 0.2 | 1.5 ms | 0 | none | one per CPU of its socket | -5 |
 *
 * C's better nice value stands for the paper's remark that the policy
 * ignores nice values and that honouring them would help C (p.599); CFS
 * honours it. The mean CPU work per query at home is 0.4 × 600 + 0.4 × 50 +
 * 0.2 × 1500 = 560 us, so the machine saturates near `CPUs / 560 us`
 * queries/s ({@link searchCapacityQps}: 114k on rome2s, 457k on rome2s-256).
 * Arrivals are three independent Poisson streams from the engine (no
 * load-generator thread: the paper's generator runs on another host).
 *
 * @module
 */

import type { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import type { OptionSpec } from "../core/options.ts";
import type { Kernel } from "../core/kernel.ts";
import { type Action, type Behavior, type Thread, WaitQueue } from "../core/thread.ts";
import type { Topology } from "../core/topology.ts";
import { SEC, US } from "../core/units.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
  type WorkloadLayout,
} from "./workload.ts";

/**
 * How a query type is served: `woken` (a pool of workers per CCX shard,
 * woken per query), `ssd` (a short-lived thread per query that blocks on an
 * SSD read) or `long-lived` (a pool of workers per socket).
 */
export type SearchServing = "woken" | "ssd" | "long-lived";

/** One query type of the search workload. */
export interface SearchQueryType {
  /** Name in the reports. */
  readonly name: string;
  /** Share of the offered load (the shares are normalized to sum to 1). */
  readonly share: number;
  /** How it is served. */
  readonly serving: SearchServing;
  /** CPU work of a query at full speed (on its home CCX), ns; `ssd`: half before, half after the read. */
  readonly workNs: number;
  /** Memory intensity of the work, 0..1 (see core/topology_costs.ts). */
  readonly memoryIntensity: number;
  /** `ssd`: the SSD read the thread blocks on, ns. @default 0 */
  readonly ssdNs?: number;
  /** Nice value of its threads. */
  readonly nice: number;
}

/**
 * The default mix (assumptions, not paper figures: see the module comment):
 * A pooled and memory-bound, B short with an SSD read, C long-lived and
 * compute-bound.
 */
export const SEARCH_QUERY_TYPES: readonly SearchQueryType[] = [
  { name: "A", share: 0.4, serving: "woken", workNs: 600 * US, memoryIntensity: 0.5, nice: 0 },
  {
    name: "B",
    share: 0.4,
    serving: "ssd",
    workNs: 50 * US,
    ssdNs: 200 * US,
    memoryIntensity: 0.3,
    nice: 0,
  },
  {
    name: "C",
    share: 0.2,
    serving: "long-lived",
    workNs: 1500 * US,
    memoryIntensity: 0,
    nice: -5,
  },
];

/** Workers of a `woken` pool per CCX (an assumption: one per CPU of a Rome CCX). */
export const SEARCH_WORKERS_PER_CCX = 8;

/** Workers of a `long-lived` pool per CPU of its socket (an assumption). */
export const SEARCH_LONG_LIVED_PER_CPU = 1;

/** The options of the search workload. */
export const SEARCH_OPTIONS = {
  socketAffinity: {
    kind: "choice",
    choices: ["true", "false"],
    default: "true",
    help: "give every worker its data's socket as cpumask (false: the ablation without NUMA)",
  },
} as const satisfies Readonly<Record<string, OptionSpec>>;

/** Options of {@link searchWorkload}. */
export interface SearchOptions {
  /** The query types and their mix. @default SEARCH_QUERY_TYPES */
  types?: readonly SearchQueryType[];
}

/** The mean CPU work per query of a mix at full speed, ns. */
export function searchMeanWorkNs(types: readonly SearchQueryType[] = SEARCH_QUERY_TYPES): number {
  const total = types.reduce((sum, t) => sum + t.share, 0);
  return types.reduce((sum, t) => sum + t.share / total * t.workNs, 0);
}

/**
 * The queries/s that keep every CPU of a machine busy with the mix's work
 * at full speed: the saturation point if nothing ran away from its data.
 */
export function searchCapacityQps(
  topology: Topology,
  types: readonly SearchQueryType[] = SEARCH_QUERY_TYPES,
): number {
  return topology.size * SEC / searchMeanWorkNs(types);
}

/** One query in flight. */
class Query {
  /** Type index. */
  readonly type: number;
  /** Arrival time, ns. */
  readonly arrival: number;
  /** When it started running, ns, or -1. */
  start = -1;

  constructor(type: number, arrival: number) {
    this.type = type;
    this.arrival = arrival;
  }
}

/** A pool of workers sharing a queue of queries (a CCX shard's, or a socket's). */
class Pool {
  /** Queries waiting for a worker, oldest first. */
  readonly queue: Query[] = [];
  queueHead = 0;
  /** Idle workers, the most recently idle last. */
  readonly idle: Thread[] = [];
  /** Where idle workers sleep. */
  readonly waitQueue: WaitQueue;

  constructor(name: string) {
    this.waitQueue = new WaitQueue(name);
  }

  /** Queries waiting. */
  get waiting(): number {
    return this.queue.length - this.queueHead;
  }

  /** Takes the oldest waiting query, or null. */
  take(): Query | null {
    if (this.queueHead >= this.queue.length) return null;
    const query = this.queue[this.queueHead++]!;
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return query;
  }
}

/** Checks a query mix; throws InputError on the first bad entry. */
function validateTypes(types: readonly SearchQueryType[]): void {
  if (types.length === 0) throw new InputError("Workload search needs at least one query type");
  let total = 0;
  for (const t of types) {
    if (!(t.share >= 0) || !Number.isFinite(t.share)) {
      throw new InputError(`Bad share of query type ${t.name}: ${t.share} (expected >= 0)`);
    }
    if (t.serving !== "woken" && t.serving !== "ssd" && t.serving !== "long-lived") {
      throw new InputError(
        `Bad serving of query type ${t.name}: ${t.serving} (expected woken, ssd or long-lived)`,
      );
    }
    if (!Number.isSafeInteger(t.workNs) || t.workNs < 2) {
      throw new InputError(`Bad work of query type ${t.name}: ${t.workNs} ns (expected >= 2)`);
    }
    const ssd = t.ssdNs ?? 0;
    if (!Number.isSafeInteger(ssd) || ssd < 0) {
      throw new InputError(`Bad SSD read of query type ${t.name}: ${ssd} ns (expected >= 0)`);
    }
    if (!(t.memoryIntensity >= 0 && t.memoryIntensity <= 1)) {
      throw new InputError(
        `Bad memory intensity of query type ${t.name}: ${t.memoryIntensity} (expected 0..1)`,
      );
    }
    total += t.share;
  }
  if (!(total > 0)) throw new InputError("Workload search needs a query type with a share > 0");
}

/** The running search workload. */
class SearchWorkload implements Workload {
  readonly stats: RequestStats;
  generated = 0;
  finished = 0;
  /** Queries generated and not finished. */
  #open = 0;
  readonly #engine: Engine;
  readonly #kernel: Kernel;
  readonly #types: readonly SearchQueryType[];
  /** Per type: its pools (per CCX for `woken`, per socket for `long-lived`), or none. */
  readonly #pools: Pool[][];
  /** The spawn options every thread gets (its class). */
  readonly #schedClass: ReturnType<typeof schedClassOf>;
  /** Per socket: its CPUs as a cpumask, or null (no masks). */
  readonly #socketMasks: (readonly number[] | null)[];

  constructor(
    context: WorkloadContext,
    types: readonly SearchQueryType[],
    socketAffinity: boolean,
  ) {
    const { engine, kernel } = context;
    validateTypes(types);
    this.#engine = engine;
    this.#kernel = kernel;
    this.#types = types;
    this.stats = new RequestStats({ types: types.map((t) => t.name), warmupNs: context.warmupNs });
    this.#schedClass = schedClassOf(context);
    const topology = kernel.topology;
    this.#socketMasks = topology.sockets.map((cpus) => socketAffinity ? cpus : null);
    this.#pools = types.map((type) => this.#startPools(type));

    const placement = engine.random.stream("search.placement");
    const llcs = topology.llcs.length;
    const totalShare = types.reduce((sum, t) => sum + t.share, 0);
    const arrivals = types.map((t) => engine.random.stream(`search.arrivals.${t.name}`));
    const meanGaps = types.map((t) => SEC / (context.load * t.share / totalShare));

    const arrive = engine.register("search.arrival", (typeIndex) => {
      const now = engine.now;
      const query = new Query(typeIndex, now);
      const home = placement.below(llcs);
      this.generated++;
      this.#open++;
      this.#dispatch(query, home);
      const next = now +
        Math.max(1, Math.round(arrivals[typeIndex]!.exponential(meanGaps[typeIndex]!)));
      if (next < context.durationNs) engine.at(next, arrive, typeIndex);
    });
    for (let i = 0; i < types.length; i++) {
      if (types[i]!.share === 0) continue;
      const first = Math.max(1, Math.round(arrivals[i]!.exponential(meanGaps[i]!)));
      if (first < context.durationNs) engine.at(first, arrive, i);
    }
  }

  inFlight(): number {
    return this.#open;
  }

  stranded(lost: (thread: Thread) => boolean): number {
    const queries = new Set<Query>();
    for (const thread of this.#kernel.threads()) {
      const behavior = thread.behavior;
      if (!lost(thread)) continue;
      if (behavior instanceof QueryThread) queries.add(behavior.query);
      else if (behavior instanceof PoolWorker && behavior.query !== null) {
        queries.add(behavior.query);
      }
    }
    return queries.size;
  }

  /** Spawns the pools of a type: one per CCX (`woken`) or per socket (`long-lived`). */
  #startPools(type: SearchQueryType): Pool[] {
    if (type.serving === "ssd" || type.share === 0) return [];
    const topology = this.#kernel.topology;
    const perCcx = type.serving === "woken";
    const homes = perCcx ? topology.llcs : topology.sockets;
    return homes.map((cpus, home) => {
      const pool = new Pool(`search.${type.name}${home}`);
      const socket = topology.cpus[cpus[0]!]!.socket;
      const count = perCcx
        ? SEARCH_WORKERS_PER_CCX
        : Math.max(1, Math.round(cpus.length * SEARCH_LONG_LIVED_PER_CPU));
      for (let i = 0; i < count; i++) {
        const thread = this.#spawn(new PoolWorker(this, pool, type), type, socket);
        thread.memoryIntensity = type.memoryIntensity;
      }
      return pool;
    });
  }

  /** Spawns a thread of a type with its socket's mask. */
  #spawn(behavior: Behavior, type: SearchQueryType, socket: number): Thread {
    const mask = this.#socketMasks[socket]!;
    return this.#kernel.spawn(behavior, {
      name: `query${type.name}`,
      group: `search${type.name}`,
      nice: type.nice,
      ...(mask === null ? {} : { affinity: mask }),
      ...this.#schedClass,
    });
  }

  /** Hands a new query to its server: its shard's or socket's pool, or a thread of its own. */
  #dispatch(query: Query, homeLlc: number): void {
    const type = this.#types[query.type]!;
    const topology = this.#kernel.topology;
    const socket = topology.cpus[topology.llcs[homeLlc]![0]!]!.socket;
    if (type.serving === "ssd") {
      this.#spawn(new QueryThread(this, query, type), type, socket);
      return;
    }
    const pool = this.#pools[query.type]![type.serving === "woken" ? homeLlc : socket]!;
    pool.queue.push(query);
    const worker = pool.idle.pop();
    if (worker !== undefined) this.#kernel.wake(worker);
  }

  /** The CCX of `cpu` (-1 for none). */
  llcOf(cpu: number): number {
    return cpu < 0 ? -1 : this.#kernel.topology.cpus[cpu]!.llc;
  }

  /** A query's first instruction runs now. */
  started(query: Query): void {
    query.start = this.#engine.now;
  }

  /** A query is answered now. */
  done(query: Query): void {
    this.#open--;
    this.finished++;
    this.stats.record(query.type, query.arrival, query.start, this.#engine.now);
  }
}

/** A pooled worker: takes its pool's oldest query, computes it, answers; sleeps when none waits. */
class PoolWorker implements Behavior {
  /** The query it works on, or null. */
  query: Query | null = null;
  readonly #workload: SearchWorkload;
  readonly #pool: Pool;
  readonly #workNs: number;
  readonly #memoryBound: boolean;

  constructor(workload: SearchWorkload, pool: Pool, type: SearchQueryType) {
    this.#workload = workload;
    this.#pool = pool;
    this.#workNs = type.workNs;
    this.#memoryBound = type.memoryIntensity > 0;
  }

  next(thread: Thread): Action {
    if (this.query !== null) {
      this.#workload.done(this.query);
      this.query = null;
      // Its working set is now warm in this CPU's CCX: the next query runs at full speed there.
      if (this.#memoryBound) thread.homeLlc = this.#workload.llcOf(thread.cpu);
    }
    const query = this.#pool.take();
    if (query === null) {
      this.#pool.idle.push(thread);
      thread.waitOn = this.#pool.waitQueue;
      return "wait";
    }
    this.query = query;
    this.#workload.started(query);
    thread.stepNs = this.#workNs;
    return "compute";
  }
}

/** A B query's own thread: compute, read the SSD, compute, answer, exit. */
class QueryThread implements Behavior {
  /** The query. */
  readonly query: Query;
  readonly #workload: SearchWorkload;
  readonly #type: SearchQueryType;
  #step = 0;

  constructor(workload: SearchWorkload, query: Query, type: SearchQueryType) {
    this.#workload = workload;
    this.query = query;
    this.#type = type;
  }

  next(thread: Thread): Action {
    const type = this.#type;
    const first = Math.floor(type.workNs / 2);
    const step = this.#step++;
    if (step === 0) {
      this.#workload.started(this.query);
      // Its buffers fill the L3 of the CCX it starts on: that is its data's home.
      thread.homeLlc = this.#workload.llcOf(thread.cpu);
      thread.memoryIntensity = type.memoryIntensity;
      thread.stepNs = first;
      return "compute";
    }
    if (step === 1 && (type.ssdNs ?? 0) > 0) {
      thread.stepNs = type.ssdNs!;
      return "sleep";
    }
    if (step <= 2) {
      this.#step = 3;
      thread.stepNs = type.workNs - first;
      return "compute";
    }
    this.#workload.done(this.query);
    return "exit";
  }
}

/** CPU layout under ghOSt: the enclave spans every CPU; the global agent sits on CPU 0. */
function layout(topology: Topology): WorkloadLayout {
  return { enclaveCpus: topology.cpus.map((cpu) => cpu.id), globalCpu: 0 };
}

/**
 * The search workload with a given query mix (the registry's `search` uses
 * the defaults).
 *
 * @example
 * ```ts
 * import { Engine } from "../core/engine.ts";
 * import { Kernel } from "../core/kernel.ts";
 * import { IDEAL_COSTS } from "../core/cost_profile.ts";
 * import { resolveTopology } from "../core/topology.ts";
 * import { searchWorkload } from "./search.ts";
 *
 * const engine = new Engine(1);
 * const kernel = new Kernel(engine, { topology: resolveTopology({ preset: "rome2s" }), costs: IDEAL_COSTS });
 * const workload = searchWorkload().create({
 *   engine, kernel, enclave: null, policy: "cfs",
 *   load: 10_000, warmupNs: 0, durationNs: 10_000_000, latencyNice: 0,
 * }, { socketAffinity: "true" });
 * engine.run({ until: 20_000_000 });
 * if (workload.finished !== workload.generated || workload.inFlight() !== 0) throw new Error("lost");
 * ```
 */
export function searchWorkload(
  options: SearchOptions = {},
): WorkloadDefinition<typeof SEARCH_OPTIONS> {
  const types = options.types ?? SEARCH_QUERY_TYPES;
  validateTypes(types);
  return {
    name: "search",
    description: "Search queries A (pooled, memory-bound), B (SSD read), C (long-lived " +
      "workers); data on one CCX, socket cpumasks",
    options: SEARCH_OPTIONS,
    layout,
    create(context: WorkloadContext, values): Workload {
      return new SearchWorkload(context, types, values.socketAffinity !== "false");
    },
  };
}

/** The search workload definition, default mix. */
export const SEARCH: WorkloadDefinition<typeof SEARCH_OPTIONS> = searchWorkload();
