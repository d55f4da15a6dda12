import assert from "node:assert/strict";
import { Thread, WaitQueue } from "./thread.ts";

function thread(id: number): Thread {
  return new Thread(id, { next: () => "exit" }, { name: `t${id}` }, 1);
}

Deno.test("WaitQueue.remove takes a waiter out from the end, the middle or nowhere", () => {
  const [a, b, c] = [thread(1), thread(2), thread(3)];
  const queue = new WaitQueue("q");
  queue.add(a);
  queue.add(b);
  queue.add(c);
  assert.equal(queue.remove(c), true);
  assert.equal(queue.remove(a), true);
  assert.equal(queue.remove(a), false);
  assert.equal(queue.size, 1);
  assert.equal(queue.shift(), b);
  assert.equal(queue.shift(), null);
});

Deno.test("WaitQueue.remove ignores a waiter already shifted out", () => {
  const a = thread(1);
  const queue = new WaitQueue("q");
  queue.add(a);
  assert.equal(queue.shift(), a);
  assert.equal(queue.remove(a), false);
  assert.equal(queue.size, 0);
  queue.add(a);
  assert.equal(queue.remove(a), true);
  assert.equal(queue.size, 0);
});
