import assert from "node:assert/strict";
import { cfsTunables } from "./fair_class.ts";
import { MS } from "./units.ts";

Deno.test("cfsTunables scales by 1 + log2(min(cpus, 8))", () => {
  assert.equal(cfsTunables(1).latency, 6 * MS);
  assert.equal(cfsTunables(4).minGranularity, 3 * 750_000);
  assert.equal(cfsTunables(8).wakeupGranularity, 4 * MS);
  assert.equal(cfsTunables(64).latency, 24 * MS);
  assert.equal(cfsTunables(8).nrLatency, 8);
});
