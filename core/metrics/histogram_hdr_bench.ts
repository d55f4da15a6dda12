/**
 * Our histogram against hdr-histogram-js (the maintained TypeScript port of
 * HdrHistogram), for the choice the README states: record a million
 * latencies from 1 ns to 10 s, then read the p99. hdr-histogram-js is built
 * with 3 significant digits (0.1%, finer than our 1/256) and 2 (1%,
 * coarser), in JavaScript and in WebAssembly.
 *
 * @module
 */

import * as hdr from "hdr-histogram-js";
import { SEC } from "../units.ts";
import { Histogram } from "./histogram.ts";

const N = 1_000_000;

/** `N` integer latencies spread evenly over magnitudes from 1 ns to `maxNs` (fixed seed). */
function latencies(maxNs: number): Float64Array {
  const values = new Float64Array(N);
  const top = Math.log2(maxNs);
  let state = 0x9e3779b9;
  for (let i = 0; i < N; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[i] = Math.max(1, Math.round(2 ** (((state >>> 0) / 4294967296) * top)));
  }
  return values;
}

const values = latencies(10 * SEC);
const range = { lowestDiscernibleValue: 1, highestTrackableValue: 2 ** 53 - 1, autoResize: false };
const ours = new Histogram();
const hdr3 = hdr.build({ ...range, bitBucketSize: 64, numberOfSignificantValueDigits: 3 });
const hdr2 = hdr.build({ ...range, bitBucketSize: 64, numberOfSignificantValueDigits: 2 });
await hdr.initWebAssembly();
const wasm3 = hdr.build({ ...range, useWebAssembly: true, numberOfSignificantValueDigits: 3 });
let sink = 0;

Deno.bench("ours: record 1e6 + p99", { group: "record+p99", baseline: true }, () => {
  ours.reset();
  for (let i = 0; i < N; i++) ours.record(values[i]!);
  sink += ours.quantile(0.99);
});

for (
  const [name, histogram] of [
    ["hdr-histogram-js, 3 digits", hdr3],
    ["hdr-histogram-js, 2 digits", hdr2],
    ["hdr-histogram-js WebAssembly, 3 digits", wasm3],
  ] as const
) {
  Deno.bench(`${name}: record 1e6 + p99`, { group: "record+p99" }, () => {
    histogram.reset();
    for (let i = 0; i < N; i++) histogram.recordValue(values[i]!);
    sink += histogram.getValueAtPercentile(99);
  });
}

console.log(
  `memory: ours 47 KiB (6016 counts); hdr-histogram-js 3 digits ${
    Math.round(hdr3.estimatedFootprintInBytes / 1024)
  } KiB, 2 digits ${Math.round(hdr2.estimatedFootprintInBytes / 1024)} KiB`,
);

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
