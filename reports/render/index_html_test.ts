import assert from "node:assert/strict";
import { settingLabel } from "./index_html.ts";

Deno.test("settingLabel turns a setting's key into words with its unit", () => {
  assert.equal(settingLabel("durationS"), "duration (s)");
  assert.equal(settingLabel("eventAtS"), "event at (s)");
  assert.equal(settingLabel("warmupS"), "warm-up (s)");
  assert.equal(settingLabel("restartDelayMs"), "restart delay (ms)");
  assert.equal(settingLabel("threadsPerCpu"), "threads per CPU");
  assert.equal(settingLabel("cpus"), "CPUs");
  assert.equal(settingLabel("qps"), "QPS");
  assert.equal(settingLabel("loads"), "loads");
  assert.equal(settingLabel("S"), "s");
});
