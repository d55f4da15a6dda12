import assert from "node:assert/strict";
import { MSG, TXN, type TxnOutcome } from "../core/ghost_abi.ts";
import { type Message, MSG_FLAG_RUNNABLE } from "../core/message_queue.ts";
import type { AgentContext, CommitMode } from "../core/policy.ts";
import { Topology } from "../core/topology.ts";
import { departureTests } from "./_testing.ts";
import { Sol } from "./sol.ts";

departureTests("sol", () => new Sol());

/** A context that records transactions and fails commits on chosen CPUs. */
function recordingContext(fail: Set<number>) {
  const outcomes = new Map<number, TxnOutcome>();
  const opened: [number, number][] = [];
  const commits: CommitMode[] = [];
  let pending: [number, number][] = [];
  const ctx: AgentContext = {
    now: 0,
    cpu: 0,
    cpus: [0, 1, 2],
    topology: new Topology({ name: "three", coresPerLlc: 3 }),
    globalCpu: 0,
    status: () => undefined,
    cpuAvailable: () => true,
    open(cpu, gtid) {
      opened.push([cpu, gtid]);
      pending.push([cpu, gtid]);
    },
    commit(mode: CommitMode = "sync") {
      commits.push(mode);
      let completed = 0;
      for (const [cpu] of pending) {
        const outcome = fail.has(cpu) ? TXN.CPU_UNAVAIL : TXN.COMPLETE;
        outcomes.set(cpu, outcome);
        if (outcome === TXN.COMPLETE) completed++;
      }
      pending = [];
      return completed;
    },
    outcome: (cpu) => outcomes.get(cpu) ?? TXN.OPEN,
    associate: () => true,
    ping: () => true,
    wakeAt: () => {},
    setPickHook: () => {},
    agentStatus: () => undefined,
  };
  return { ctx, opened, commits };
}

function message(type: number, gtid: number, seqnum: number, cpu = -1, flags = 0): Message {
  return { type, gtid, seqnum, cpu, runtime: 0, flags, time: 0, aux: 0 };
}

Deno.test("Sol commits asynchronously and requeues a failed commit on its next pass", () => {
  const fail = new Set([2]);
  const { ctx, opened, commits } = recordingContext(fail);
  const sol = new Sol();
  sol.taskNew(ctx, message(MSG.TASK_NEW, 10, 1, -1, MSG_FLAG_RUNNABLE));
  sol.taskNew(ctx, message(MSG.TASK_NEW, 11, 1, -1, MSG_FLAG_RUNNABLE));
  sol.schedule(ctx);
  // One async group for both idle CPUs; never the global agent's CPU.
  assert.deepEqual(opened, [[2, 10], [1, 11]]);
  assert.deepEqual(commits, ["async"]);
  fail.clear();
  opened.length = 0;
  sol.schedule(ctx);
  // The failure is read now: task 10 goes back in front and onto the idle CPU 2.
  assert.deepEqual(opened, [[2, 10]]);
  // A message about a task whose outcome is unread settles it first.
  sol.taskBlocked(ctx, message(MSG.TASK_BLOCKED, 10, 2, 2));
  sol.taskDead(ctx, message(MSG.TASK_DEAD, 10, 3, 2));
  sol.taskBlocked(ctx, message(MSG.TASK_BLOCKED, 11, 2, 1));
  opened.length = 0;
  sol.schedule(ctx);
  assert.deepEqual(opened, []);
});
