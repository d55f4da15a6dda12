/**
 * Ready-made thread behaviours: a CPU hog, a periodic sleeper, and a fixed
 * script of steps. Workloads write their own for request handling.
 *
 * @module
 */

import type { Action, Behavior, Thread, WaitQueue } from "./thread.ts";

/** One step of a {@link script}. */
export type ScriptStep =
  | { readonly compute: number }
  | { readonly sleep: number }
  | { readonly wait: WaitQueue }
  | { readonly yield: true };

/**
 * A thread that computes forever, in chunks of `chunkNs` (default 1 s) so
 * that its remaining work stays small.
 *
 * @example
 * ```ts
 * import { hog } from "./behaviors.ts";
 * const behavior = hog();
 * if (typeof behavior.next !== "function") throw new Error("wrong");
 * ```
 */
export function hog(chunkNs = 1_000_000_000): Behavior {
  return {
    next(thread: Thread): Action {
      thread.stepNs = chunkNs;
      return "compute";
    },
  };
}

/**
 * A thread that alternates sleeping `sleepNs` and computing `computeNs`,
 * starting with the sleep. `onRun`, when given, is called each time it starts
 * computing (to measure wake-up latency).
 */
export function periodic(
  computeNs: number,
  sleepNs: number,
  onRun?: (thread: Thread) => void,
): Behavior {
  let sleeping = false;
  return {
    next(thread: Thread): Action {
      sleeping = !sleeping;
      if (sleeping) {
        thread.stepNs = sleepNs;
        return "sleep";
      }
      onRun?.(thread);
      thread.stepNs = computeNs;
      return "compute";
    },
  };
}

/** A thread that runs the given steps once, then exits (or loops when `loop`). */
export function script(steps: readonly ScriptStep[], loop = false): Behavior {
  let index = 0;
  return {
    next(thread: Thread): Action {
      if (index >= steps.length) {
        if (!loop || steps.length === 0) return "exit";
        index = 0;
      }
      const step = steps[index++]!;
      if ("compute" in step) {
        thread.stepNs = step.compute;
        return "compute";
      }
      if ("sleep" in step) {
        thread.stepNs = step.sleep;
        return "sleep";
      }
      if ("wait" in step) {
        thread.waitOn = step.wait;
        return "wait";
      }
      return "yield";
    },
  };
}
