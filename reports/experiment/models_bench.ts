/**
 * Short, in-process versions of the standard models ({@link PERF_MODELS}):
 * `deno task microbench` times one run of each (200 ms of virtual time, the
 * warm-up cut to a tenth), then prints what the timing means for users:
 * engine events per second, virtual seconds per wall second, and the peak
 * resident memory of the same short run in a fresh process. `deno task perf` measures the
 * full-length models, each in a fresh process.
 *
 * Run: `deno bench -A reports/experiment/models_bench.ts`
 *
 * @module
 */

import { parseRunArgs } from "../cli/run_args.ts";
import { MS } from "../../core/units.ts";
import { PERF_MODELS } from "./perf_models.ts";
import { runExperiment } from "./run_experiment.ts";

const SHORT_NS = 200 * MS;

interface Tally {
  events: number;
  virtualNs: number;
  wallMs: number;
}

const tallies = new Map<string, Tally>();

for (const model of PERF_MODELS) {
  const { config } = parseRunArgs(model.flags);
  const short = {
    ...config,
    durationNs: SHORT_NS,
    warmupNs: Math.min(config.warmupNs, SHORT_NS / 10),
  };
  const tally: Tally = { events: 0, virtualNs: 0, wallMs: 0 };
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
    },
  });
}

globalThis.addEventListener("unload", () => {
  const lines = [
    "model             events/s  virtual s/wall s  peak RSS MB (a fresh process, same length)",
  ];
  for (const model of PERF_MODELS) {
    const t = tallies.get(model.name)!;
    if (t.wallMs === 0) continue;
    const seconds = t.wallMs / 1000;
    lines.push(
      `${model.name.padEnd(16)} ${(t.events / seconds / 1e6).toFixed(2).padStart(7)}M ${
        (t.virtualNs / 1e9 / seconds).toFixed(2).padStart(17)
      } ${freshPeakRssMb(model.name).toFixed(0).padStart(12)}`,
    );
  }
  console.log(lines.join("\n"));
});

/**
 * The peak memory of a model as a user's run sees it: this process holds
 * the bench runner (and its type checker), so a fresh one runs the model.
 */
function freshPeakRssMb(name: string): number {
  const output = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=4",
      new URL("./perf.ts", import.meta.url).pathname,
      "--child",
      name,
      "--duration",
      `${SHORT_NS}ns`,
    ],
    stdout: "piped",
  }).outputSync();
  if (!output.success) return NaN;
  return (JSON.parse(new TextDecoder().decode(output.stdout)) as { peakRssMb: number }).peakRssMb;
}
