/**
 * ghostbench: a deterministic emulator and benchmark harness for ghOSt-style
 * user-space delegated scheduling. Run as a program it is the `ghostbench`
 * command line (`deno task ghostbench --help`).
 *
 * The package re-exports its folders' modules:
 * - `core/mod.ts`: the engine, the machine, threads, the kernel (CFS and the
 *   ghost classes), the kernel side of ghOSt, the agent runtime and the
 *   metrics;
 * - `policies/mod.ts`: the policy SDK (`Policy`, `AgentContext`,
 *   `TaskTable`, `registerPolicy`) and the built-in policies by name;
 * - `workloads/mod.ts`: `WorkloadDefinition`, `registerWorkload` and the
 *   built-in workloads;
 * - `reports/experiment/mod.ts`: `runExperiment`, its configuration and
 *   results, the microbenchmarks and the trace recorder;
 * - `reports/cli/mod.ts`: `main`, the command line as a function.
 *
 * @example
 * ```ts
 * import { DEFAULT_RUN_CONFIG, runExperiment } from "./mod.ts";
 *
 * const result = runExperiment({
 *   ...DEFAULT_RUN_CONFIG,
 *   policy: "shinjuku",
 *   load: 10_000,
 *   durationNs: 20_000_000,
 *   warmupNs: 0,
 * });
 * if (result.lost !== 0 || result.completed === 0) throw new Error("requests lost");
 * ```
 *
 * @module
 */

export * from "./core/mod.ts";
export * from "./policies/mod.ts";
export * from "./workloads/mod.ts";
export * from "./reports/experiment/mod.ts";
export * from "./reports/cli/mod.ts";

import { main } from "./reports/cli/mod.ts";

if (import.meta.main) {
  // No top-level await: a policy file that `run --policy` imports may import
  // this module, which must then be done evaluating.
  main(Deno.args).then((code) => Deno.exit(code));
}
