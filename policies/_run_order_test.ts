import assert from "node:assert/strict";
import { RunOrder } from "./_run_order.ts";

/** The CPUs of class `cls`, first to last. */
function list(order: RunOrder, cls: number): number[] {
  const cpus: number[] = [];
  for (let cpu = order.first(cls); cpu >= 0; cpu = order.after(cpu)) cpus.push(cpu);
  assert.equal(cpus.length, order.size(cls));
  return cpus;
}

Deno.test("RunOrder keeps each class's CPUs in the order their threads started", () => {
  const order = new RunOrder(6, 3);
  for (const [cpu, cls] of [[1, 0], [2, 2], [3, 0], [4, 0], [5, 2]]) order.start(cpu!, cls!);
  assert.deepEqual(list(order, 0), [1, 3, 4]);
  assert.deepEqual(list(order, 1), []);
  assert.deepEqual(list(order, 2), [2, 5]);
  // A CPU that starts a new thread moves last, into the new thread's class.
  order.start(1, 0);
  order.start(3, 2);
  assert.deepEqual(list(order, 0), [4, 1]);
  assert.deepEqual(list(order, 2), [2, 5, 3]);
  assert.equal(order.classOf(3), 2);
});

Deno.test("RunOrder holds each CPU at most once, however often it starts and stops", () => {
  const order = new RunOrder(4, 2);
  for (let i = 0; i < 1000; i++) order.start(i % 4, i % 3 === 0 ? 1 : 0);
  assert.equal(order.size(0) + order.size(1), 4);
  order.stop(2);
  order.stop(2);
  assert.equal(order.classOf(2), -1);
  assert.equal(order.size(0) + order.size(1), 3);
  for (const cpu of [0, 1, 3]) order.stop(cpu);
  assert.deepEqual([list(order, 0), list(order, 1)], [[], []]);
});

Deno.test("RunOrder rejects a CPU or class out of range", () => {
  const order = new RunOrder(2, 1);
  assert.throws(() => order.start(0, 1), RangeError);
  assert.throws(() => order.stop(2), RangeError);
  assert.throws(() => new RunOrder(-1), RangeError);
});

Deno.test("RunOrder visits the classes that hold a CPU, largest first", () => {
  const order = new RunOrder(4, 40);
  order.start(0, 39);
  order.start(1, 20);
  order.start(2, 20);
  const visited = (): number[] => {
    const classes: number[] = [];
    for (let cls = order.classBelow(Infinity); cls >= 0; cls = order.classBelow(cls)) {
      classes.push(cls);
    }
    return classes;
  };
  assert.deepEqual(visited(), [39, 20]);
  order.stop(1);
  assert.deepEqual(visited(), [39, 20]);
  order.stop(2);
  order.start(3, 0);
  assert.deepEqual(visited(), [39, 0]);
});
