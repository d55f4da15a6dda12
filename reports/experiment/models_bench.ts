/**
 * Short, in-process versions of the standard models ({@link PERF_MODELS}):
 * `deno task microbench` times one run of each (200 ms of virtual time, the
 * warm-up cut to a tenth), then prints what the timing means for users:
 * engine events per second, virtual seconds per wall second and the
 * process's peak resident memory so far. `deno task perf` measures the
 * full-length models, each in a fresh process.
 *
 * Run: `deno bench -A reports/experiment/models_bench.ts`
 *
 * @module
 */

import { parseRunArgs } from "../cli/run_args.ts";
import { MS } from "../../core/units.ts";
import { peakRssMb, PERF_MODELS } from "./perf_models.ts";
import { runExperiment } from "./run_experiment.ts";

const SHORT_NS = 200 * MS;

interface Tally {
  events: number;
  virtualNs: number;
  wallMs: number;
  peakRssMb: number;
}

const tallies = new Map<string, Tally>();

for (const model of PERF_MODELS) {
  const { config } = parseRunArgs(model.flags);
  const short = {
    ...config,
    durationNs: SHORT_NS,
    warmupNs: Math.min(config.warmupNs, SHORT_NS / 10),
  };
  const tally: Tally = { events: 0, virtualNs: 0, wallMs: 0, peakRssMb: 0 };
  tallies.set(model.name, tally);
  Deno.bench({
    name: model.name,
    group: "models",
    baseline: model === PERF_MODELS[0],
    n: 5,
    warmup: 1,
    fn() {
      const started = performance.now();
      const result = runExperiment(short);
      tally.wallMs += performance.now() - started;
      tally.events += result.events;
      tally.virtualNs += SHORT_NS;
      tally.peakRssMb = peakRssMb();
    },
  });
}

globalThis.addEventListener("unload", () => {
  const lines = ["model             events/s  virtual s/wall s  peak RSS MB (process so far)"];
  for (const [name, t] of tallies) {
    if (t.wallMs === 0) continue;
    const seconds = t.wallMs / 1000;
    lines.push(
      `${name.padEnd(16)} ${(t.events / seconds / 1e6).toFixed(2).padStart(7)}M ${
        (t.virtualNs / 1e9 / seconds).toFixed(2).padStart(17)
      } ${t.peakRssMb.toFixed(0).padStart(12)}`,
    );
  }
  console.log(lines.join("\n"));
});
