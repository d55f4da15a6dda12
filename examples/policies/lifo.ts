/**
 * `lifo`: last in, first out. One global agent keeps the runnable threads
 * on a stack and commits the newest to each idle CPU.
 *
 * It works well when the newest work is the most urgent and most of it is
 * short: a burst is served while its data is warm, and nothing waits behind
 * an old thread. It works badly under sustained load: a thread that missed
 * its turn sinks under newer ones and may starve (so the tail latency is
 * terrible), there is no time slice, and the global agent costs a CPU.
 *
 * Run it, or add it to the figures that compare policies:
 *
 *     deno task ghostbench run --policy ./examples/policies/lifo.ts --workload rocksdb
 *     deno task bench --suite test --only rocksdb-shinjuku --policy ./examples/policies/lifo.ts
 *
 * @module
 */

import {
  type AgentContext,
  definePolicy,
  type Policy,
  type Task,
  TaskTable,
  TXN,
} from "../../mod.ts";

class Lifo implements Policy {
  readonly name = "lifo";
  readonly model = "centralized";
  /** Runnable threads, newest last. */
  readonly #stack: number[] = [];
  /** Per-thread state (blocked, queued, on a CPU) and which CPU holds which thread. */
  readonly #tasks = new TaskTable<Task>(this.name, {
    create: (_ctx, msg) => ({ gtid: msg.gtid, state: "blocked", cpu: -1 }),
    enqueue: (_ctx, task) => void this.#stack.push(task.gtid),
    dequeue: (_ctx, task) => void this.#stack.splice(this.#stack.indexOf(task.gtid), 1),
  });

  // Every message moves one thread between states; the table checks and records it.
  taskNew = this.#tasks.taskNew.bind(this.#tasks);
  taskRunnable = this.#tasks.taskRunnable.bind(this.#tasks);
  taskBlocked = this.#tasks.taskBlocked.bind(this.#tasks);
  taskPreempted = this.#tasks.taskPreempted.bind(this.#tasks);
  taskYield = this.#tasks.taskYield.bind(this.#tasks);
  taskDead = this.#tasks.taskDead.bind(this.#tasks);
  taskDeparted = this.#tasks.taskDeparted.bind(this.#tasks);

  /** Gives each idle CPU (not the agent's own) the newest runnable thread. */
  schedule(ctx: AgentContext): void {
    const idle = this.#tasks.idle;
    for (let i = idle.size - 1; i >= 0 && this.#stack.length > 0; i--) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = this.#stack.pop()!;
      ctx.open(cpu, gtid);
      ctx.commit();
      // A failed commit is a value: the thread waits for the next pass.
      if (ctx.outcome(cpu) === TXN.COMPLETE) this.#tasks.run(this.#tasks.get(gtid), cpu);
      else this.#stack.push(gtid);
    }
  }
}

export default definePolicy({
  name: "lifo",
  description: "newest runnable thread first, one global agent (examples/policies/lifo.ts)",
  model: "centralized",
  create: () => new Lifo(),
});
