/**
 * The `search` workload: batch queries of a search service on a machine with
 * several last-level-cache domains (meant for `--machine rome2s`, the ghOSt
 * paper's production Search experiment on a multi-socket AMD machine).
 *
 * Three query types, each an independent open-loop Poisson stream whose rate
 * is its share of `load` queries/s (the mix, {@link SEARCH_QUERY_TYPES}):
 *
 * | type | share | parts | work per part | memory intensity | nice |
 * | --- | --- | --- | --- | --- | --- |
 * | A: short, CPU-bound | 0.6 | 1 | 50 us | 0 | 0 |
 * | B: memory-heavy | 0.3 | 1 | 200 us | 0.8 | 0 |
 * | C: long, fans out | 0.1 | 8 | 1 ms | 0.3 | 5 |
 *
 * Each query's data lives in one LLC (CCX) drawn uniformly at random from
 * the stream `search.placement`; it is the `homeLlc` of every thread of the
 * query. Away from it the kernel slows the work down by the topology cost
 * model (core/topology_costs.ts): with the default factors a B part takes
 * 200 us at home, 264 us on another CCX of the same socket and 360 us on the
 * other socket; a C part 1 ms, 1.12 ms and 1.3 ms; A is never slowed.
 *
 * Every part of a query gets a thread of its own that computes its work and
 * exits (like `synthetic --workers 0`); all parts are spawned when the query
 * arrives. A query starts when its first part starts and finishes when its
 * last part finishes (the slowest part decides). C threads run at nice 5 and
 * A and B threads at nice 0, under every policy: a hint that A and B are
 * latency-sensitive that CFS turns into weights and a ghOSt policy may turn
 * into priorities.
 *
 * The constants are assumptions, not measurements (the paper gives none):
 * A stands for a cheap cached lookup, B for a scan of a posting list that
 * misses the L3 often, C for a query scattered over shards. The mean work
 * per query at home is 0.6 × 50 + 0.3 × 200 + 0.1 × 8 × 1000 = 890 us, 90%
 * of it in C, so the 64 CPUs of `rome2s` saturate near 70 000 queries/s
 * (less away from home). Arrivals come from the engine (no load-generator
 * thread), so they cost no CPU. It takes no options (one thread per part,
 * the mix fixed by {@link searchWorkload}).
 *
 * @module
 */

import type { Engine } from "../core/engine.ts";
import { InputError } from "../core/errors.ts";
import type { OptionSpec } from "../core/options.ts";
import type { Kernel } from "../core/kernel.ts";
import type { Action, Behavior, Thread } from "../core/thread.ts";
import type { Topology } from "../core/topology.ts";
import { MS, SEC, US } from "../core/units.ts";
import { RequestStats } from "../core/metrics/request_stats.ts";
import {
  schedClassOf,
  type Workload,
  type WorkloadContext,
  type WorkloadDefinition,
  type WorkloadLayout,
} from "./workload.ts";

/** One query type of the search workload. */
export interface SearchQueryType {
  /** Name in the reports. */
  readonly name: string;
  /** Share of the offered load (the shares are normalized to sum to 1). */
  readonly share: number;
  /** Threads the query fans out to; it finishes when the last one does. */
  readonly parts: number;
  /** Work of each part at full speed (on its home LLC), ns. */
  readonly workNs: number;
  /** Memory intensity of each part, 0..1 (see core/topology_costs.ts). */
  readonly memoryIntensity: number;
  /** Nice value of its threads. */
  readonly nice: number;
}

/** The default query mix: A (short, CPU-bound), B (memory-heavy), C (long, fans out). */
export const SEARCH_QUERY_TYPES: readonly SearchQueryType[] = [
  { name: "A", share: 0.6, parts: 1, workNs: 50 * US, memoryIntensity: 0, nice: 0 },
  { name: "B", share: 0.3, parts: 1, workNs: 200 * US, memoryIntensity: 0.8, nice: 0 },
  { name: "C", share: 0.1, parts: 8, workNs: 1 * MS, memoryIntensity: 0.3, nice: 5 },
];

/** The options of the search workload: none (one thread per part, the mix fixed). */
export const SEARCH_OPTIONS: Readonly<Record<never, OptionSpec>> = {};

/** Options of {@link searchWorkload}. */
export interface SearchOptions {
  /** The query types and their mix. @default SEARCH_QUERY_TYPES */
  types?: readonly SearchQueryType[];
}

/** One query in flight. */
class Query {
  /** Type index. */
  readonly type: number;
  /** Arrival time, ns. */
  readonly arrival: number;
  /** Parts not finished yet. */
  partsLeft: number;
  /** When its first part started, ns, or -1. */
  start = -1;

  constructor(type: number, arrival: number, parts: number) {
    this.type = type;
    this.arrival = arrival;
    this.partsLeft = parts;
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
    if (!Number.isInteger(t.parts) || t.parts < 1) {
      throw new InputError(`Bad parts of query type ${t.name}: ${t.parts} (expected >= 1)`);
    }
    if (!Number.isSafeInteger(t.workNs) || t.workNs < 1) {
      throw new InputError(`Bad work of query type ${t.name}: ${t.workNs} ns (expected >= 1)`);
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

  constructor(context: WorkloadContext, types: readonly SearchQueryType[]) {
    const { engine, kernel } = context;
    validateTypes(types);
    this.#engine = engine;
    this.#kernel = kernel;
    this.stats = new RequestStats({ types: types.map((t) => t.name), warmupNs: context.warmupNs });
    const placement = engine.random.stream("search.placement");
    const llcs = kernel.topology.llcs.length;
    const schedClass = schedClassOf(context);
    const totalShare = types.reduce((sum, t) => sum + t.share, 0);
    const arrivals = types.map((t) => engine.random.stream(`search.arrivals.${t.name}`));
    const meanGaps = types.map((t) => SEC / (context.load * t.share / totalShare));

    const arrive = engine.register("search.arrival", (typeIndex) => {
      const now = engine.now;
      const type = types[typeIndex]!;
      const query = new Query(typeIndex, now, type.parts);
      const home = placement.below(llcs);
      this.generated++;
      this.#open++;
      for (let part = 0; part < type.parts; part++) {
        const thread = kernel.spawn(this.#part(query, type.workNs), {
          name: `query${type.name}`,
          group: `search${type.name}`,
          nice: type.nice,
          ...schedClass,
        });
        // Set before any event runs: the policy reads them from the status word.
        thread.homeLlc = home;
        thread.memoryIntensity = type.memoryIntensity;
      }
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
      if (thread.behavior instanceof QueryPart && lost(thread)) queries.add(thread.behavior.query);
    }
    return queries.size;
  }

  /** One part of a query: compute its work, then exit; the last part records the query. */
  #part(query: Query, workNs: number): Behavior {
    let started = false;
    return new QueryPart(query, (thread: Thread): Action => {
      const now = this.#engine.now;
      if (!started) {
        started = true;
        if (query.start < 0) query.start = now;
        thread.stepNs = workNs;
        return "compute";
      }
      if (--query.partsLeft === 0) {
        this.#open--;
        this.finished++;
        this.stats.record(query.type, query.arrival, query.start, now);
      }
      return "exit";
    });
  }
}

/** The program of one part's thread, and the query it belongs to. */
class QueryPart implements Behavior {
  /** The query. */
  readonly query: Query;
  /** The program's next step. */
  readonly next: (thread: Thread) => Action;

  constructor(query: Query, next: (thread: Thread) => Action) {
    this.query = query;
    this.next = next;
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
 * }, {});
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
    description:
      "Search-like queries A (50 us), B (200 us, memory-bound), C (8 x 1 ms); data in one CCX",
    options: SEARCH_OPTIONS,
    layout,
    create(context: WorkloadContext): Workload {
      return new SearchWorkload(context, types);
    },
  };
}

/** The search workload definition, default mix. */
export const SEARCH: WorkloadDefinition<typeof SEARCH_OPTIONS> = searchWorkload();
