import assert from "node:assert/strict";
import { MSG } from "../../core/ghost_abi.ts";
import {
  type Message,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
  MSG_FLAG_WAS_CURRENT,
} from "../../core/message_queue.ts";
import { encodeMessage, parseBatch, parseHello, ProtocolError } from "./protocol.ts";

function message(type: number, flags = 0): Message {
  return { type, gtid: 12, seqnum: 4, cpu: 3, runtime: 2500, flags, time: 99, aux: -7 };
}

Deno.test("encodeMessage writes each type's payload with its flags as booleans", () => {
  const created = JSON.parse(encodeMessage(message(MSG.TASK_NEW, MSG_FLAG_RUNNABLE)));
  assert.deepEqual(created, {
    type: "TASK_NEW",
    gtid: 12,
    seqnum: 4,
    cpu: 3,
    runtime: 2500,
    runnable: true,
    on_cpu: false,
    nice: -7,
  });
  assert.equal(JSON.parse(encodeMessage(message(MSG.TASK_NEW, MSG_FLAG_ON_CPU))).on_cpu, true);
  const preempt = JSON.parse(encodeMessage(message(MSG.TASK_PREEMPT, MSG_FLAG_BY_KERNEL)));
  assert.equal(preempt.by_kernel, true);
  assert.equal(preempt.was_latched, false);
  const wakeup = JSON.parse(encodeMessage(message(MSG.TASK_WAKEUP)));
  assert.deepEqual([wakeup.waker_cpu, wakeup.deferrable], [-7, false]);
  const departed = JSON.parse(encodeMessage(message(MSG.TASK_DEPARTED, MSG_FLAG_WAS_CURRENT)));
  assert.equal(departed.was_current, true);
  assert.deepEqual(Object.keys(JSON.parse(encodeMessage(message(MSG.TASK_DEAD)))), [
    "type",
    "gtid",
    "seqnum",
    "cpu",
  ]);
});

Deno.test("parseHello takes version 1 and a model, and names a version mismatch", () => {
  const hello = parseHello(
    '{"type":"hello","protocol":1,"name":"fifo","model":"centralized","defer_messages":true}',
  );
  assert.deepEqual([hello.name, hello.model, hello.deferMessages], ["fifo", "centralized", true]);
  assert.throws(
    () => parseHello('{"type":"hello","protocol":2,"model":"per-cpu"}'),
    /Protocol version mismatch: the agent speaks 2, the emulator 1/,
  );
  assert.throws(() => parseHello('{"type":"hello","protocol":1,"model":"hook"}'), /Bad model/);
  assert.throws(() => parseHello('{"calls":[]}'), /Expected the agent's hello first/);
  assert.throws(
    () => parseHello('{"type":"hello","protocol":1,"model":"per-cpu","color":"red"}'),
    /Unknown field "color"/,
  );
});

Deno.test("parseBatch reads calls and defaults, and rejects anything out of place", () => {
  const batch = parseBatch('{"calls":[{"call":"commit"},{"call":"ping","cpu":2}]}');
  assert.equal(batch.done, true);
  assert.deepEqual(batch.calls, [{ call: "commit", mode: "sync" }, { call: "ping", cpu: 2 }]);
  const bad: [string, RegExp][] = [
    ["garbage", /Malformed reply: not JSON/],
    ["[1,2]", /expected a JSON object/],
    ['{"calls":{}}', /Bad calls/],
    ['{"done":"yes"}', /Bad done/],
    ['{"calls":[{"call":"reboot"}]}', /Unknown call "reboot"/],
    ['{"calls":[{"call":"open","cpu":1}]}', /Call open without gtid/],
    ['{"calls":[{"call":"open","cpu":1.5,"gtid":3}]}', /Bad cpu 1.5 in call open/],
    ['{"calls":[{"call":"commit","mode":"later"}]}', /Bad mode "later"/],
    ['{"calls":[{"call":"ping","cpu":1,"gtid":4}]}', /Unknown field "gtid" in call ping/],
    ['{"calls":[{"call":"associate","gtid":4,"cpu":1,"barrier":-1}]}', /Bad barrier -1/],
    ['{"calls":[{"call":"wake_at","time":"soon"}]}', /Bad time "soon"/],
    ['{"calls":[],"done":true,"extra":1}', /Unknown field "extra" in a reply/],
  ];
  for (const [line, pattern] of bad) {
    assert.throws(() => parseBatch(line), (error: unknown) => {
      assert.ok(error instanceof ProtocolError, line);
      assert.match((error as Error).message, pattern);
      return true;
    });
  }
});
