/**
 * Validation of the EEVDF fair class (core/eevdf_class.ts) against closed
 * forms, beside the CFS validation of validation_test.ts (which also runs
 * its one-worker M/M/1 check under EEVDF): with zero costs and one CPU, a
 * thread per request is M/M/1 processor sharing.
 *
 * @module
 */

import { SEC } from "../core/units.ts";
import { mmcMeanResponse } from "./_closed_forms.ts";
import { assertInInterval, replicate } from "./_replication.ts";

Deno.test("eevdf with a thread per request on one CPU matches the M/M/1 mean (processor sharing)", () => {
  // One thread per request: EEVDF shares the CPU among the requests in
  // slices. M/M/1 processor sharing has the same mean as FCFS: 1/(μ − λ).
  const lambda = 0.07;
  const mu = 0.1;
  const results = replicate({
    cpus: 1,
    load: 70_000,
    service: "exp:10us",
    durationNs: 8 * SEC,
    fair: "eevdf",
  });
  assertInInterval(
    results.map((r) => r.latencyUs.all.mean),
    mmcMeanResponse(lambda, mu, 1),
    0,
    "E[T]",
  );
});
