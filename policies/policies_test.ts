import assert from "node:assert/strict";
import { MS, SEC } from "../core/units.ts";
import { DEFAULT_RUN_CONFIG, runExperiment } from "../reports/experiment/run_experiment.ts";
import { POLICIES } from "./registry.ts";

const LOAD = 60_000;
const DURATION = 300 * MS;
const WARMUP = 30 * MS;

function run(policy: string, costs: string) {
  return runExperiment({
    ...DEFAULT_RUN_CONFIG,
    policy,
    cpus: 4,
    load: LOAD,
    workloadOptions: { service: "exp:20us" },
    durationNs: DURATION,
    warmupNs: WARMUP,
    costs,
  });
}

for (const policy of ["sol", "biff", "ghost-cfs"]) {
  for (const costs of ["paper", "ideal"]) {
    Deno.test(`${policy} serves a moderate synthetic load on 4 CPUs with ${costs} costs`, () => {
      assert.ok(Object.hasOwn(POLICIES, policy), `${policy} is not registered`);
      const result = run(policy, costs);
      assert.equal(result.lost, 0);
      assert.ok(result.inFlight <= 10, `${result.inFlight} requests in flight at the end`);
      const expected = LOAD * (DURATION - WARMUP) / SEC;
      assert.ok(
        Math.abs(result.completed - expected) <= 0.05 * expected,
        `completed ${result.completed}, expected about ${expected}`,
      );
      const total = result.latencyUs.all;
      const service = result.stagesUs.service.all;
      assert.ok(service.mean > 15 && service.mean < 30, `mean service ${service.mean} us`);
      assert.ok(total.mean >= service.mean, `mean latency ${total.mean} < service ${service.mean}`);
      assert.ok(total.mean < 100, `mean latency ${total.mean} us at load 0.3 to 0.4`);
      assert.ok(result.ghost !== null);
      assert.equal(result.ghost.overflows, 0);
    });
  }
}

Deno.test("sol makes one decision per request thread", () => {
  for (const costs of ["paper", "ideal"]) {
    const result = run("sol", costs);
    const ghost = result.ghost!;
    assert.equal(ghost.failedCommits, 0);
    // Every thread is committed once; the ones not started yet are in flight.
    assert.ok(
      ghost.decisions <= result.generated && ghost.decisions >= result.generated - result.inFlight,
      `${ghost.decisions} decisions for ${result.generated} requests`,
    );
    assert.ok(ghost.decisions >= result.completed);
  }
});

Deno.test("biff schedules only through the pick hook", () => {
  for (const costs of ["paper", "ideal"]) {
    const ghost = run("biff", costs).ghost!;
    assert.equal(ghost.decisions, 0);
    assert.equal(ghost.failedCommits, 0);
    assert.ok(ghost.messages > 0);
  }
});
