/**
 * An agent taking a CPU where a ghOSt thread is latched but not yet running
 * displaces that thread (ghost-kernel's `pick_next_ghost_agent` calls
 * `ghost_latched_task_preempted`): the thread is unlatched and its agent
 * gets TASK_PREEMPT with was_latched, so the policy can place it again.
 * Before the fix the thread stayed latched for as long as the agent ran: a
 * spinning global agent that moved onto the CPU stranded it for good.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AgentProcess } from "../core/agent_process.ts";
import { hog, script } from "../core/behaviors.ts";
import { IDEAL_COSTS } from "../core/cost_profile.ts";
import { type AgentAttachment, Enclave } from "../core/enclave.ts";
import { Engine } from "../core/engine.ts";
import { MSG, MSG_NAMES } from "../core/ghost_abi.ts";
import { Kernel } from "../core/kernel.ts";
import { MSG_FLAG_BY_KERNEL, MSG_FLAG_WAS_LATCHED } from "../core/message_queue.ts";
import { Topology } from "../core/topology.ts";
import { MS, US } from "../core/units.ts";
import { FifoCentralized } from "../policies/fifo_centralized.ts";

/** A machine of four CPUs of one LLC, ideal costs, all in one enclave. */
function machine() {
  const engine = new Engine(1);
  const topology = new Topology({ name: "four", coresPerLlc: 4 });
  const kernel = new Kernel(engine, { topology, costs: IDEAL_COSTS });
  const enclave = new Enclave(kernel, { cpus: [0, 1, 2, 3] });
  return { engine, kernel, enclave };
}

/** An agent attachment that does nothing (the test commits by hand). */
const STUB: AgentAttachment = {
  poll() {},
  cpuAvailable() {},
  boost() {},
  destroyed() {},
};

Deno.test("an agent waking on a CPU with a latched thread displaces it: TASK_PREEMPT, was latched", () => {
  const { engine, kernel, enclave } = machine();
  const queue = enclave.createQueue();
  enclave.setDefaultQueue(queue);
  enclave.attach(STUB);
  const thread = kernel.spawn(hog(), { name: "t", schedClass: "ghost", ghost: enclave });
  // A remote commit from CPU 0 latches the thread on CPU 1; its IPI lands at 10 us.
  enclave.open(1, { gtid: thread.id, barrier: thread.barrier, agentCpu: 0, agentBarrier: -1 });
  enclave.commit([1], { syncGroup: true, readyAt: 10 * US });
  assert.equal(thread.latchedCpu, 1);
  while (queue.peek() !== null) queue.pop();
  // CPU 1's agent wakes (it spins) before the thread ran.
  const agent = kernel.spawn(hog(), {
    name: "agent1",
    schedClass: "agent",
    ghost: enclave,
    affinity: [1],
  });
  engine.run({ until: MS });
  assert.equal(kernel.cpus[1]!.curr, agent);
  assert.equal(thread.latchedCpu, -1, "unlatched");
  assert.equal(thread.state, "runnable");
  const msg = queue.peek();
  assert.ok(msg !== null, "a message");
  assert.equal(MSG_NAMES[msg.type], MSG_NAMES[MSG.TASK_PREEMPT]);
  assert.equal(msg.gtid, thread.id);
  assert.equal(msg.cpu, 1);
  assert.equal(
    msg.flags & (MSG_FLAG_WAS_LATCHED | MSG_FLAG_BY_KERNEL),
    MSG_FLAG_WAS_LATCHED | MSG_FLAG_BY_KERNEL,
  );
  kernel.checkInvariants();
});

Deno.test("a global agent moving onto a CPU where a thread is latched does not strand it (ideal costs)", () => {
  const { engine, kernel, enclave } = machine();
  const agents = new AgentProcess(kernel, enclave, new FifoCentralized());
  agents.start();
  // The new thread is committed to CPU 1 at time 0; in the same instant the
  // fair thread pinned to CPU 0 raises BOOST_PRIO there and the global agent
  // moves to CPU 1, the nearest available CPU, before the thread ran.
  const thread = kernel.spawn(script([{ compute: 50 * US }]), {
    name: "t",
    schedClass: "ghost",
    ghost: enclave,
  });
  const fair = kernel.spawn(script([{ compute: 50 * US }]), { name: "fair", affinity: [0] });
  engine.run({ until: MS });
  assert.equal(agents.stats.migrations, 1);
  assert.equal(agents.globalCpu, 1, "the global agent moved to CPU 1");
  assert.equal(fair.state, "dead");
  assert.equal(thread.state, "dead", `thread ${thread.state}, latched on ${thread.latchedCpu}`);
  assert.equal(thread.cpuTime, 50 * US);
  kernel.checkInvariants();
});
