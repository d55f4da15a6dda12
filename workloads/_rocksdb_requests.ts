/**
 * The rocksdb workload's requests: the load generator's open-loop Poisson
 * arrivals and each request's type and service time, by request mix. Shared
 * by the rocksdb workload's Linux paths (CFS, ghOSt) and its data-plane
 * path (the original Shinjuku), so that every system sees the same requests
 * for a seed.
 *
 * @module
 */

import type { Action, Behavior, Thread } from "../core/thread.ts";
import { WaitQueue } from "../core/thread.ts";
import { MS, SEC, US } from "../core/units.ts";
import type { WorkloadContext } from "./workload.ts";

/** Request type: a Get (short). */
export const GET = 0;
/** Request type: a Range (long; the paper mix's 10 ms processing). */
export const RANGE = 1;

/** A Get of the reference experiments: 10 us of work. */
export const REFERENCE_GET_NS = 10 * US;

/** The paper mix (SOSP'21 §4.2, p.596): an in-memory RocksDB Get, about 6 us. */
export const PAPER_GET_NS = 6 * US;
/** The paper mix (SOSP'21 §4.2, p.596): synthetic processing of 99.5% of requests, 4 us. */
export const PAPER_SHORT_NS = 4 * US;
/** The paper mix (SOSP'21 §4.2, p.596): synthetic processing of 0.5% of requests, 10 ms. */
export const PAPER_LONG_NS = 10 * MS;

/** The request-mix settings the load generator reads. */
export interface MixOptions {
  /** `reference`: Get 10 us, Range `rangeDurationNs`; `paper`: Get 6 us + 4 us or 10 ms. */
  mix: "reference" | "paper";
  /** Mean of an exponential part added to each short request, ns (0: none). */
  getExpMeanNs: number;
  /** Duration of a Range under the reference mix, ns. */
  rangeDurationNs: number;
  /** Probability that a request is a Range (long). */
  rangeRatio: number;
}

/** Where the load generator's requests go. */
export interface RequestSink {
  /** A request generated at `arrival` (ns), of `service` ns, of `type` (GET or RANGE). */
  arrive(arrival: number, service: number, type: number): void;
  /** The requests due now are generated: pass them on. */
  handOff(): void;
}

/**
 * The load generator's behaviour: it sleeps until each arrival, generates
 * every request due (type from the `rocksdb.types` stream, exponential part
 * from `rocksdb.service`, gaps from `rocksdb.arrivals`), hands them on, and
 * waits for good once arrivals end.
 */
export function loadGenerator(
  context: WorkloadContext,
  options: MixOptions,
  sink: RequestSink,
): Behavior {
  const { engine } = context;
  const arrivals = engine.random.stream("rocksdb.arrivals");
  const kinds = engine.random.stream("rocksdb.types");
  const extra = engine.random.stream("rocksdb.service");
  const paper = options.mix === "paper";
  const shortNs = paper ? PAPER_GET_NS + PAPER_SHORT_NS : REFERENCE_GET_NS;
  const longNs = paper ? PAPER_GET_NS + PAPER_LONG_NS : options.rangeDurationNs;
  const meanGap = SEC / context.load;
  let nextArrival = Math.max(1, Math.round(arrivals.exponential(meanGap)));
  return {
    next: (thread: Thread): Action => {
      const now = engine.now;
      while (nextArrival <= now) {
        const range = kinds.next() < options.rangeRatio;
        let service = range ? longNs : shortNs;
        if (!range && options.getExpMeanNs > 0) {
          service += Math.round(extra.exponential(options.getExpMeanNs));
        }
        sink.arrive(nextArrival, service, range ? RANGE : GET);
        nextArrival += Math.max(1, Math.round(arrivals.exponential(meanGap)));
      }
      sink.handOff();
      if (nextArrival >= context.durationNs) {
        thread.waitOn = new WaitQueue("rocksdb.loadgen.done");
        return "wait";
      }
      thread.stepNs = nextArrival - now;
      return "sleep";
    },
  };
}
