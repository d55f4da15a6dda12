import assert from "node:assert/strict";
import { parseRunArgs } from "../cli/run_args.ts";
import { formatMeasurements, perfMain } from "./perf.ts";
import { peakRssMb, PERF_MODELS, perfModel } from "./perf_models.ts";

Deno.test("PERF_MODELS are valid run command lines with distinct names", () => {
  assert.equal(new Set(PERF_MODELS.map((m) => m.name)).size, PERF_MODELS.length);
  for (const model of PERF_MODELS) {
    const { config } = parseRunArgs(model.flags);
    assert.ok(config.durationNs >= 1e9, `${model.name} runs at least a virtual second`);
  }
  assert.equal(parseRunArgs(perfModel("mm4").flags).config.policy, "fifo-centralized");
  assert.throws(() => perfModel("mm5"), RangeError);
});

Deno.test("peakRssMb reports a plausible size", () => {
  const mb = peakRssMb();
  assert.ok(mb > 1 && mb < 100_000, `${mb} MB`);
});

Deno.test("formatMeasurements prints one aligned row per model", () => {
  const text = formatMeasurements([{
    model: "mm4",
    events: 3_402_981,
    virtualSeconds: 2,
    wallSeconds: 1.25,
    eventsPerSec: 3_000_000,
    virtualPerWall: 1.6,
    peakRssMb: 74.4,
  }]);
  const [header, row] = text.split("\n");
  assert.match(header!, /^model\s+events\s+events\/s\s+virtual s\/wall s\s+wall s\s+peak RSS MB$/);
  assert.match(row!, /^mm4\s+3402981\s+3\.00M\s+1\.60\s+1\.25\s+74$/);
  assert.equal(header!.length, row!.length);
});

Deno.test("perfMain rejects unknown models and options with exit code 2", async () => {
  const errors: string[] = [];
  const error = console.error;
  console.error = (text: string) => void errors.push(text);
  try {
    assert.equal(await perfMain(["mm5"]), 2);
    assert.equal(await perfMain(["--repeat", "0"]), 2);
    assert.equal(await perfMain(["--fast"]), 2);
    assert.equal(await perfMain(["--duration", "5"]), 2);
  } finally {
    console.error = error;
  }
  assert.match(errors[0]!, /Unknown model "mm5"/);
  assert.match(errors[3]!, /Malformed duration "5"/);
  assert.equal(errors.length, 4);
});
