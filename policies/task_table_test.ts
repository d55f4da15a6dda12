import assert from "node:assert/strict";
import { MSG, TXN } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_ON_CPU, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { AgentContext } from "../core/policy.ts";
import { Topology } from "../core/topology.ts";
import { type Task, TaskTable } from "./task_table.ts";

/** A context over CPUs 0..2 of a four-CPU machine that does nothing. */
const ctx: AgentContext = {
  now: 0,
  cpu: 0,
  cpus: [0, 1, 2],
  topology: new Topology({ name: "four", coresPerLlc: 4 }),
  globalCpu: 0,
  status: () => undefined,
  cpuAvailable: () => true,
  open: () => {},
  commit: () => 0,
  outcome: () => TXN.OPEN,
  associate: () => true,
  ping: () => true,
  wakeAt: () => {},
  setPickHook: () => {},
  agentStatus: () => undefined,
};

/** A table whose hooks log what they were asked to do. */
function table() {
  const log: string[] = [];
  const tasks = new TaskTable<Task>("test", {
    create: (_ctx, msg) => ({ gtid: msg.gtid, state: "blocked", cpu: -1 }),
    enqueue: (_ctx, task, msg) => void log.push(`enqueue ${task.gtid} ${msg?.type ?? "failed"}`),
    dequeue: (_ctx, task) => void log.push(`dequeue ${task.gtid}`),
    adopt: (_ctx, task) => void log.push(`adopt ${task.gtid} ${task.cpu}`),
    vacate: (_ctx, task, cpu) => void log.push(`vacate ${task.gtid} ${cpu}`),
  });
  return { tasks, log };
}

const seq = new Map<number, number>();

function message(type: number, gtid: number, fields: Partial<Message> = {}): Message {
  const seqnum = (seq.get(gtid) ?? 0) + 1;
  seq.set(gtid, seqnum);
  return { type, gtid, seqnum, cpu: -1, runtime: 0, flags: 0, time: 0, aux: 0, ...fields };
}

const runnable = { flags: MSG_FLAG_RUNNABLE };

Deno.test("TaskTable queues a runnable new thread and keeps a blocked one blocked", () => {
  const { tasks, log } = table();
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 1, runnable));
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 2));
  assert.equal(tasks.get(1).state, "queued");
  assert.equal(tasks.get(2).state, "blocked");
  assert.deepEqual(log, [`enqueue 1 ${MSG.TASK_NEW}`]);
  assert.equal(tasks.size, 2);
  assert.throws(() => tasks.taskNew(ctx, message(MSG.TASK_NEW, 1)), /test: task 1 is known/);
});

Deno.test("TaskTable names the policy and the task in its errors", () => {
  const { tasks } = table();
  assert.throws(() => tasks.get(9), /^Error: test: unknown task 9$/);
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 3, runnable));
  assert.throws(
    () => tasks.taskRunnable(ctx, message(MSG.TASK_WAKEUP, 3)),
    /test: task 3 is queued, expected blocked/,
  );
  assert.throws(
    () => tasks.taskBlocked(ctx, message(MSG.TASK_BLOCKED, 3)),
    /test: task 3 is queued, expected onCpu/,
  );
  assert.throws(
    () => tasks.taskDead(ctx, message(MSG.TASK_DEAD, 3)),
    /test: task 3 is queued, expected blocked/,
  );
});

Deno.test("TaskTable adopts a thread found on a CPU, and refuses a second one there", () => {
  const { tasks, log } = table();
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 4, { flags: MSG_FLAG_ON_CPU, cpu: 2 }));
  assert.equal(tasks.get(4).state, "onCpu");
  assert.equal(tasks.holder(2), 4);
  assert.ok(!tasks.idle.has(2) && tasks.idle.has(1));
  assert.deepEqual(log, ["adopt 4 2"]);
  assert.throws(
    () => tasks.taskNew(ctx, message(MSG.TASK_NEW, 5, { flags: MSG_FLAG_ON_CPU, cpu: 2 })),
    /test: task 5 on CPU 2, which holds 4/,
  );
  assert.throws(
    () => tasks.taskNew(ctx, message(MSG.TASK_NEW, 6, { flags: MSG_FLAG_ON_CPU, cpu: 3 })),
    /test: task 6 on CPU 3, not an enclave CPU/,
  );
});

Deno.test("TaskTable frees a CPU when its thread leaves, not when a replaced one does", () => {
  const { tasks, log } = table();
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 1, runnable));
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 2, runnable));
  tasks.run(tasks.get(1), 1);
  // A commit of 2 replaces 1 on CPU 1: 1 runs until its TASK_PREEMPT.
  tasks.run(tasks.get(2), 1);
  assert.equal(tasks.holder(1), 2);
  assert.deepEqual([tasks.get(1).state, tasks.get(1).cpu], ["onCpu", -1]);
  log.length = 0;
  tasks.taskPreempted(ctx, message(MSG.TASK_PREEMPT, 1, { cpu: 1 }));
  assert.deepEqual(log, [`enqueue 1 ${MSG.TASK_PREEMPT}`]);
  assert.equal(tasks.holder(1), 2);
  tasks.taskBlocked(ctx, message(MSG.TASK_BLOCKED, 2, { cpu: 1 }));
  assert.deepEqual(log, [`enqueue 1 ${MSG.TASK_PREEMPT}`, "vacate 2 1"]);
  assert.equal(tasks.holder(1), -1);
  assert.ok(tasks.idle.has(1));
});

Deno.test("TaskTable puts a thread whose pending commit failed back in the run queue", () => {
  const { tasks, log } = table();
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 1, runnable));
  tasks.pend(tasks.get(1), 2);
  assert.deepEqual([tasks.get(1).state, tasks.holder(2), tasks.idle.has(2)], ["pending", 1, false]);
  log.length = 0;
  tasks.cancel(ctx, tasks.get(1));
  assert.deepEqual(log, ["vacate 1 2", "enqueue 1 failed"]);
  assert.deepEqual([tasks.get(1).state, tasks.get(1).cpu, tasks.holder(2)], ["queued", -1, -1]);
  assert.throws(() => tasks.cancel(ctx, tasks.get(1)), /task 1 is queued, expected pending/);
});

Deno.test("TaskTable forgets a departed thread from any state, out of the run queue or off its CPU", () => {
  const { tasks, log } = table();
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 1, runnable));
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 2, runnable));
  tasks.taskNew(ctx, message(MSG.TASK_NEW, 3));
  tasks.run(tasks.get(2), 1);
  log.length = 0;
  for (const gtid of [1, 2, 3]) tasks.taskDeparted(ctx, message(MSG.TASK_DEPARTED, gtid));
  assert.deepEqual(log, ["dequeue 1", "vacate 2 1"]);
  assert.equal(tasks.size, 0);
  assert.equal(tasks.holder(1), -1);
  assert.equal(tasks.find(2), undefined);
});

Deno.test("TaskTable holds only live threads: the dead are forgotten", () => {
  const { tasks } = table();
  for (let gtid = 100; gtid < 1100; gtid++) {
    tasks.taskNew(ctx, message(MSG.TASK_NEW, gtid, runnable));
    tasks.run(tasks.get(gtid), 1);
    tasks.taskBlocked(ctx, message(MSG.TASK_BLOCKED, gtid, { cpu: 1 }));
    tasks.taskDead(ctx, message(MSG.TASK_DEAD, gtid));
  }
  assert.equal(tasks.size, 0);
  assert.equal(tasks.holder(1), -1);
});
