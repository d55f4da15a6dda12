/**
 * The workloads by name: the built-in ones, then those
 * {@link registerWorkload} added.
 *
 * @module
 */

import { InputError } from "../core/errors.ts";
import type { OptionSpecs } from "../core/options.ts";
import { ANTAGONIST } from "./antagonist.ts";
import { PERIODIC } from "./periodic.ts";
import { ROCKSDB } from "./rocksdb.ts";
import { SEARCH } from "./search.ts";
import { SNAP } from "./snap.ts";
import { SYNTHETIC } from "./synthetic.ts";
import type { WorkloadDefinition } from "./workload.ts";

const NAME = /^[a-z0-9][a-z0-9-]*$/;

const registry: Record<string, WorkloadDefinition> = {};

/** Every registered workload, by name: the built-in ones, then those `registerWorkload` added. */
export const WORKLOADS: Readonly<Record<string, WorkloadDefinition>> = registry;

/**
 * Adds a workload to {@link WORKLOADS}, so that runs (`runExperiment`, the
 * command line) can name it, and returns it frozen. Throws TypeError when
 * the name is not lower-case letters, digits and dashes (it goes on the
 * command line) or `create` is missing, and an Error when the name is taken.
 *
 * @example
 * ```ts
 * import {
 *   DEFAULT_RUN_CONFIG,
 *   MS,
 *   registerWorkload,
 *   RequestStats,
 *   runExperiment,
 *   schedClassOf,
 *   type Thread,
 * } from "../mod.ts";
 *
 * // A thread every millisecond that computes 100 µs: a request each.
 * registerWorkload({
 *   name: "ticks-example",
 *   description: "a 100 us request every millisecond",
 *   options: {},
 *   create(context) {
 *     const { engine, kernel } = context;
 *     const stats = new RequestStats({ types: ["tick"], warmupNs: context.warmupNs });
 *     const workload = { stats, generated: 0, finished: 0, inFlight: () => 0 };
 *     const arrive = engine.register("ticks.arrival", () => {
 *       const arrival = engine.now;
 *       workload.generated++;
 *       let start = -1;
 *       kernel.spawn({
 *         next(thread: Thread) {
 *           if (start < 0) {
 *             start = engine.now;
 *             thread.stepNs = 100_000;
 *             return "compute";
 *           }
 *           workload.finished++;
 *           stats.record(0, arrival, start, engine.now);
 *           return "exit";
 *         },
 *       }, { name: "tick", ...schedClassOf(context) });
 *       if (engine.now + MS < context.durationNs) engine.after(MS, arrive);
 *     });
 *     engine.at(MS, arrive);
 *     workload.inFlight = () => workload.generated - workload.finished;
 *     return workload;
 *   },
 * });
 * const result = runExperiment({
 *   ...DEFAULT_RUN_CONFIG,
 *   workload: "ticks-example",
 *   durationNs: 100 * MS,
 *   warmupNs: 10 * MS,
 * });
 * const p50 = result.latencyUs.all.p50; // 100 µs of work plus the kernel's costs
 * if (result.completed !== 90 || p50 < 100 || p50 > 110) {
 *   throw new Error(`${result.completed} requests, p50 ${p50} us`);
 * }
 * ```
 */
export function registerWorkload<S extends OptionSpecs>(
  definition: WorkloadDefinition<S>,
): WorkloadDefinition<S> {
  if (typeof definition.name !== "string" || !NAME.test(definition.name)) {
    throw new TypeError(
      `Bad workload name "${definition.name}": expected lower-case letters, digits and dashes`,
    );
  }
  if (typeof definition.create !== "function") {
    throw new TypeError(`Workload ${definition.name} has no create function`);
  }
  if (Object.hasOwn(registry, definition.name)) {
    throw new Error(`Workload "${definition.name}" is already registered`);
  }
  const frozen = Object.freeze({ ...definition });
  registry[frozen.name] = frozen as WorkloadDefinition;
  return frozen;
}

registerWorkload(SYNTHETIC);
registerWorkload(ROCKSDB);
registerWorkload(ANTAGONIST);
registerWorkload(SEARCH);
registerWorkload(PERIODIC);
registerWorkload(SNAP);

/** Looks up a workload; throws InputError naming the choices. */
export function resolveWorkload(name: string): WorkloadDefinition {
  const workload = Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
  if (workload === undefined) {
    throw new InputError(
      `Unknown workload "${name}": expected one of ${Object.keys(WORKLOADS).join(", ")}`,
    );
  }
  return workload;
}
