/**
 * ghostbench's own speed and memory, as a user sees them: runs each
 * standard model ({@link PERF_MODELS}) once as a fresh `ghostbench run`
 * process and prints its events per second, virtual seconds per wall second
 * (startup included) and peak resident memory.
 *
 * ```sh
 * deno task perf [MODEL]... [--repeat N] [--duration TIME] [--json]
 * ```
 *
 * `MODEL` names models (default: all of them); `--repeat N` runs each N
 * times and keeps the fastest (the peak memory is the largest);
 * `--duration TIME` runs every model that long instead (its warm-up cut to
 * a tenth), e.g. `60s` to check that memory stays flat. Exit codes: 0 done,
 * 2 a bad option or model name.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { InputError } from "../../core/errors.ts";
import { parseDuration } from "../../core/units.ts";
import { peakRssMb, PERF_MODELS, type PerfModel, perfModel } from "./perf_models.ts";

/** What one run of a model measured. */
export interface PerfMeasurement {
  /** The model's name. */
  model: string;
  /** Engine events. */
  events: number;
  /** Virtual time run, s. */
  virtualSeconds: number;
  /** Wall-clock time of the whole process, startup included, s. */
  wallSeconds: number;
  /** Engine events per wall-clock second of the run itself (startup excluded). */
  eventsPerSec: number;
  /** Virtual seconds per wall-clock second, startup included. */
  virtualPerWall: number;
  /** Peak resident memory of the process, MB. */
  peakRssMb: number;
}

/** What the child process reports. */
interface ChildReport {
  events: number;
  virtualSeconds: number;
  eventsPerSec: number;
  peakRssMb: number;
}

/** Runs a model as `ghostbench run` in this process (the child side); returns its report. */
async function runChild(model: PerfModel, duration: string | undefined): Promise<ChildReport> {
  const { main } = await import("../../mod.ts");
  let out = "";
  let err = "";
  const flags = [...model.flags, ...durationFlags(duration), "--json"];
  const code = await main(["run", ...flags], {
    out: (text) => out += text,
    err: (text) => err += text,
    errIsTerminal: false,
  });
  if (code !== 0) throw new Error(`Model ${model.name} failed (exit ${code}): ${err.trim()}`);
  const result = JSON.parse(out) as {
    events: number;
    eventsPerSec: number;
    config: { durationNs: number };
  };
  return {
    events: result.events,
    virtualSeconds: result.config.durationNs / 1e9,
    eventsPerSec: result.eventsPerSec,
    peakRssMb: peakRssMb(),
  };
}

/** Options of {@link measureModel}. */
export interface MeasureOptions {
  /** Run this long instead of the model's duration (a `--duration` value). @default the model's */
  duration?: string;
}

/** The flags that run a model `duration` long, warm-up a tenth of it; none without one. */
function durationFlags(duration: string | undefined): string[] {
  if (duration === undefined) return [];
  const ns = parseDuration(duration);
  return ["--duration", duration, "--warmup", `${Math.floor(ns / 10)}ns`];
}

/** Runs a model in a fresh process and measures it. */
export async function measureModel(
  model: PerfModel,
  options: MeasureOptions = {},
): Promise<PerfMeasurement> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    // The flags of `deno task ghostbench` (deno.json), so that this measures what it runs.
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=4",
      new URL(import.meta.url).pathname,
      "--child",
      model.name,
      ...(options.duration === undefined ? [] : ["--duration", options.duration]),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallSeconds = (performance.now() - started) / 1000;
  if (!output.success) {
    throw new Error(
      `Model ${model.name} failed: ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
  const report = JSON.parse(new TextDecoder().decode(output.stdout)) as ChildReport;
  return {
    model: model.name,
    events: report.events,
    virtualSeconds: report.virtualSeconds,
    wallSeconds,
    eventsPerSec: report.eventsPerSec,
    virtualPerWall: report.virtualSeconds / wallSeconds,
    peakRssMb: report.peakRssMb,
  };
}

/** The table `deno task perf` prints. */
export function formatMeasurements(rows: readonly PerfMeasurement[]): string {
  const header = ["model", "events", "events/s", "virtual s/wall s", "wall s", "peak RSS MB"];
  const cells = rows.map((r) => [
    r.model,
    String(r.events),
    (r.eventsPerSec / 1e6).toFixed(2) + "M",
    r.virtualPerWall.toFixed(2),
    r.wallSeconds.toFixed(2),
    r.peakRssMb.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    c.map((text, i) => i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!)).join("  ");
  return [line(header), ...cells.map(line)].join("\n");
}

/** The `deno task perf` command; returns the exit code. */
export async function perfMain(args: readonly string[]): Promise<number> {
  try {
    const { values, positionals } = parseOptions(args);
    if (values.child !== undefined) {
      console.log(JSON.stringify(await runChild(perfModel(values.child), values.duration)));
      return 0;
    }
    const repeat = Number(values.repeat ?? 1);
    if (!(Number.isInteger(repeat) && repeat >= 1)) {
      throw new InputError(`Bad --repeat "${values.repeat}": expected an integer >= 1`);
    }
    const models = positionals.length === 0 ? PERF_MODELS : positionals.map(modelOf);
    durationFlags(values.duration); // a bad duration fails here, not in a child
    const options = values.duration === undefined ? {} : { duration: values.duration };
    const rows: PerfMeasurement[] = [];
    for (const model of models) {
      const runs: PerfMeasurement[] = [];
      for (let i = 0; i < repeat; i++) runs.push(await measureModel(model, options));
      // The fastest run, with the largest peak memory of all.
      const fastest = runs.reduce((a, b) => b.wallSeconds < a.wallSeconds ? b : a);
      rows.push({ ...fastest, peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)) });
      if (!values.json) console.error(`perf: ${model.name} done`);
    }
    console.log(values.json ? JSON.stringify(rows, null, 2) : formatMeasurements(rows));
    return 0;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.error(`perf: ${error.message}`);
    return 2;
  }
}

function parseOptions(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        child: { type: "string" },
        repeat: { type: "string" },
        duration: { type: "string" },
        json: { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    throw new InputError(message.replace(/\.$/, ""));
  }
}

function modelOf(name: string): PerfModel {
  try {
    return perfModel(name);
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error));
  }
}

if (import.meta.main) {
  Deno.exit(await perfMain(Deno.args));
}
