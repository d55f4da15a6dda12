/**
 * What the kernel and the enclave report to a tracer (for `run --trace`):
 * threads going on and off CPUs, messages produced, commits made. A null
 * tracer costs one branch per event.
 *
 * @module
 */

import type { Thread } from "../thread.ts";

/** Receives scheduling events as they happen. Times are virtual ns. */
export interface Tracer {
  /** `thread` starts running on `cpu` at `time` (after any switch cost). */
  threadOn(cpu: number, thread: Thread, time: number): void;
  /** `thread` leaves `cpu` at `time`. */
  threadOff(cpu: number, thread: Thread, time: number): void;
  /** A message of `type` about `gtid` went into queue `queue`, now `depth` deep. */
  message(type: number, gtid: number, queue: number, depth: number, time: number): void;
  /** A transaction for `gtid` on `cpu` ended with `outcome`. */
  commit(cpu: number, gtid: number, outcome: number, time: number): void;
  /** An agent consumed messages: queue `queue` is now `depth` deep. */
  queueDepth(queue: number, depth: number, time: number): void;
}
