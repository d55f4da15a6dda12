import assert from "node:assert/strict";
import { MSG } from "./ghost_abi.ts";
import { type Message, MessageQueue, MSG_FLAG_BY_KERNEL } from "./message_queue.ts";

function message(type: number, seqnum: number): Message {
  return { type, gtid: 7, seqnum, cpu: 2, runtime: 10, flags: 0, time: 5, aux: -1 };
}

Deno.test("MessageQueue.produce copies the message, so a producer can reuse one object", () => {
  const queue = new MessageQueue(0, { capacity: 4 });
  const draft = message(MSG.TASK_PREEMPT, 1);
  draft.flags = MSG_FLAG_BY_KERNEL;
  assert.equal(queue.produce(draft), true);
  draft.type = MSG.TASK_WAKEUP;
  draft.seqnum = 2;
  draft.flags = 0;
  draft.aux = 3;
  assert.equal(queue.produce(draft), true);
  const first = queue.peek()!;
  assert.deepEqual({ ...first }, { ...message(MSG.TASK_PREEMPT, 1), flags: MSG_FLAG_BY_KERNEL });
  queue.pop();
  assert.deepEqual({ ...queue.peek()! }, { ...message(MSG.TASK_WAKEUP, 2), aux: 3 });
  queue.pop();
  assert.equal(queue.peek(), null);
});

Deno.test("MessageQueue drops and counts messages beyond its capacity, in order across the wrap", () => {
  const queue = new MessageQueue(0, { capacity: 2 });
  for (let seq = 1; seq <= 6; seq++) {
    queue.produce(message(MSG.TASK_BLOCKED, seq));
    if (seq % 2 === 0) {
      assert.equal(queue.produce(message(MSG.TASK_DEAD, 99)), false, "full");
      assert.equal(queue.peek()!.seqnum, seq - 1);
      queue.pop();
      assert.equal(queue.peek()!.seqnum, seq);
      queue.pop();
    }
  }
  assert.equal(queue.overflows, 3);
  assert.equal(queue.produced, 6);
  assert.throws(() => queue.pop(), Error, "empty");
});

Deno.test("MessageQueue rejects a capacity that is not a power of two up to 65536", () => {
  assert.throws(() => new MessageQueue(0, { capacity: 3 }), RangeError);
  assert.throws(() => new MessageQueue(0, { capacity: 131072 }), RangeError);
});

Deno.test("MessageQueue keeps messages in order while its ring grows to its capacity", () => {
  const queue = new MessageQueue(0, { capacity: 1024 });
  const draft = message(MSG.TASK_WAKEUP, 0);
  let produced = 0;
  let consumed = 0;
  // Produce two, consume one: the backlog grows through every ring size while wrapped.
  while (produced < 2046) {
    for (let i = 0; i < 2; i++) {
      draft.seqnum = ++produced;
      assert.equal(queue.produce(draft), true);
    }
    assert.equal(queue.peek()!.seqnum, ++consumed);
    queue.pop();
  }
  assert.equal(queue.size, 1023);
  draft.seqnum = ++produced;
  assert.equal(queue.produce(draft), true);
  assert.equal(queue.produce(draft), false); // full at its capacity
  assert.equal(queue.overflows, 1);
  while (queue.size > 0) {
    assert.equal(queue.peek()!.seqnum, ++consumed);
    queue.pop();
  }
  assert.equal(consumed, produced);
});
