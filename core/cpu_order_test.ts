import assert from "node:assert/strict";
import { sparseCpuOrder } from "./cpu_order.ts";
import { Topology } from "./topology.ts";

const TWO_SOCKETS = new Topology({ name: "small", sockets: 2, coresPerLlc: 3, smt: 2 });

Deno.test("sparseCpuOrder takes one thread per core of socket 0, then the siblings, then socket 1", () => {
  // Cores 0-2 (CPUs 0-5) on socket 0, cores 3-5 (CPUs 6-11) on socket 1; siblings adjacent.
  assert.deepEqual(sparseCpuOrder(TWO_SOCKETS), [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11]);
});

Deno.test("sparseCpuOrder leaves out the skipped CPUs and keeps the rest in order", () => {
  assert.deepEqual(sparseCpuOrder(TWO_SOCKETS, { skip: [0] }), [2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11]);
});

Deno.test("sparseCpuOrder is id order on a machine without SMT", () => {
  const flat = new Topology({ name: "flat", sockets: 2, coresPerLlc: 3 });
  assert.deepEqual(sparseCpuOrder(flat), [0, 1, 2, 3, 4, 5]);
});

Deno.test("sparseCpuOrder rejects a skipped CPU the machine does not have", () => {
  assert.throws(() => sparseCpuOrder(TWO_SOCKETS, { skip: [12] }), RangeError);
});
