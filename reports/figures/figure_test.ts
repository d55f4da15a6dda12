import assert from "node:assert/strict";
import { formatTally, p99At, saturation, tallyClaims } from "./figure.ts";

Deno.test("saturation interpolates the 1 ms crossing in log p99 between sweep points", () => {
  const points = [{ throughput: 100, p99: 100 }, { throughput: 200, p99: 10_000 }];
  assert.equal(saturation(points, 1000), 150);
  // A quarter of the way up in log p99 is a quarter of the way in throughput.
  const quarter = [{ throughput: 100, p99: 100 }, { throughput: 500, p99: 1_000_000 }];
  assert.equal(saturation(quarter, 1000), 200);
});

Deno.test("saturation reads the first crossing, the first point, or none", () => {
  const curve = [
    { throughput: 10, p99: 20 },
    { throughput: 20, p99: 1000 },
    { throughput: 30, p99: 500 },
    { throughput: 40, p99: 5000 },
  ];
  assert.equal(saturation(curve, 1000), 20, "a point exactly at the threshold");
  assert.equal(saturation([{ throughput: 50, p99: 4000 }], 1000), 50, "saturated from the start");
  assert.equal(saturation([{ throughput: 50, p99: 40 }, { throughput: 60, p99: 90 }], 1000), null);
  assert.equal(saturation([], 1000), null);
});

Deno.test("p99At interpolates a curve in log p99 at a throughput it spans", () => {
  const curve = [
    { throughput: 100, p99: 10 },
    { throughput: 300, p99: 1000 },
    // Past saturation the achieved throughput bends back: the first segment wins.
    { throughput: 250, p99: 100_000 },
  ];
  assert.ok(Math.abs(p99At(curve, 200)! - 100) < 1e-9);
  assert.equal(p99At(curve, 300), 1000);
  assert.equal(p99At(curve, 50), null, "below the sweep");
  assert.equal(p99At(curve, 400), null, "beyond the sweep");
});

Deno.test("tallyClaims counts emergent claims and calibration checks apart", () => {
  const tally = tallyClaims([
    { kind: "emergent", holds: true },
    { kind: "emergent", holds: false },
    { kind: "calibration", holds: true },
  ]);
  assert.deepEqual(tally, {
    emergent: { holds: 1, total: 2 },
    calibration: { holds: 1, total: 1 },
  });
  assert.equal(formatTally(tally), "1/2 emergent claims hold; 1/1 calibration checks pass");
});
