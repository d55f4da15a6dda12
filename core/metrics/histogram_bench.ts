import { SEC } from "../units.ts";
import { Histogram } from "./histogram.ts";

const N = 1_000_000;

/** `N` integer latencies spread evenly over magnitudes from 1 ns to 10 s (fixed seed). */
function latencies(maxNs: number): Float64Array {
  const values = new Float64Array(N);
  const top = Math.log2(maxNs);
  let state = 0x9e3779b9;
  for (let i = 0; i < N; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[i] = Math.round(2 ** (((state >>> 0) / 4294967296) * top));
  }
  return values;
}

const wide = latencies(10 * SEC);
const small = latencies(255);
const histogram = new Histogram();
const full = new Histogram();
for (let i = 0; i < N; i++) full.record(wide[i]!);
let sink = 0;

Deno.bench("sum 1e6 values (loop baseline)", { group: "histogram", baseline: true }, () => {
  let sum = 0;
  for (let i = 0; i < N; i++) sum += wide[i]!;
  sink += sum;
});

Deno.bench("record 1e6 values from 1 ns to 10 s", { group: "histogram" }, () => {
  histogram.reset();
  for (let i = 0; i < N; i++) histogram.record(wide[i]!);
});

Deno.bench("record 1e6 values below 256 ns (exact buckets)", { group: "histogram" }, () => {
  histogram.reset();
  for (let i = 0; i < N; i++) histogram.record(small[i]!);
});

Deno.bench("quantile p99 of 1e6 values", { group: "histogram-read" }, () => {
  sink += full.quantile(0.99);
});

Deno.bench("merge two histograms", { group: "histogram-read" }, () => {
  new Histogram().merge(full);
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
