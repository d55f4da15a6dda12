/**
 * A policy file for the tests that fails on purpose: a LIFO (as in
 * examples/policies/lifo.ts) whose schedule step throws once it has placed
 * 100 threads.
 */

import {
  type AgentContext,
  definePolicy,
  type Policy,
  type Task,
  TaskTable,
  TXN,
} from "../../mod.ts";

class Failing implements Policy {
  readonly name = "failing";
  readonly model = "centralized";
  #placed = 0;
  readonly #stack: number[] = [];
  readonly #tasks = new TaskTable<Task>(this.name, {
    create: (_ctx, msg) => ({ gtid: msg.gtid, state: "blocked", cpu: -1 }),
    enqueue: (_ctx, task) => void this.#stack.push(task.gtid),
    dequeue: (_ctx, task) => void this.#stack.splice(this.#stack.indexOf(task.gtid), 1),
  });

  taskNew = this.#tasks.taskNew.bind(this.#tasks);
  taskRunnable = this.#tasks.taskRunnable.bind(this.#tasks);
  taskBlocked = this.#tasks.taskBlocked.bind(this.#tasks);
  taskPreempted = this.#tasks.taskPreempted.bind(this.#tasks);
  taskYield = this.#tasks.taskYield.bind(this.#tasks);
  taskDead = this.#tasks.taskDead.bind(this.#tasks);
  taskDeparted = this.#tasks.taskDeparted.bind(this.#tasks);

  schedule(ctx: AgentContext): void {
    if (this.#placed >= 100) throw new Error("schedule failed on purpose");
    const idle = this.#tasks.idle;
    for (let i = idle.size - 1; i >= 0 && this.#stack.length > 0; i--) {
      const cpu = idle.at(i);
      if (cpu === ctx.globalCpu || !ctx.cpuAvailable(cpu)) continue;
      const gtid = this.#stack.pop()!;
      ctx.open(cpu, gtid);
      ctx.commit();
      if (ctx.outcome(cpu) !== TXN.COMPLETE) {
        this.#stack.push(gtid);
        continue;
      }
      this.#tasks.run(this.#tasks.get(gtid), cpu);
      this.#placed++;
    }
  }
}

export default definePolicy({
  name: "failing",
  description: "throws in its schedule step after 100 threads (tests)",
  model: "centralized",
  create: () => new Failing(),
});
