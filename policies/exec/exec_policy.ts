/**
 * `exec:COMMAND ARGS...`: a policy whose agent is another process, written
 * in any language, speaking the JSON Lines protocol of README.md over its
 * stdin and stdout. To the emulator it is a policy like the others: the
 * agent framework drains the queues and charges every cost from the cost
 * profile; this class hands each batch of messages and each schedule step
 * to the process, in one request, and carries out the calls the agent
 * answers with (transactions, queue association, pings, timers, status
 * words) on the agent's context, in order, at the time the framework would
 * make them for a TypeScript policy. The exchange is synchronous, so a seed
 * and an agent give the same results however fast the agent is.
 *
 * An agent that breaks the protocol, exits or stays silent past the
 * timeout throws here, which kills its agent process like an exception in a
 * TypeScript policy; the error carries the last lines of its stderr.
 *
 * @module
 */

import { TXN_NAMES } from "../../core/ghost_abi.ts";
import type { Message } from "../../core/message_queue.ts";
import type { AgentContext, Policy, PolicyModel } from "../../core/policy.ts";
import { AgentChannel, AgentError } from "./agent_channel.ts";
import {
  type AgentCall,
  type AgentHello,
  encodeMessage,
  parseBatch,
  parseHello,
  PROTOCOL_VERSION,
  ProtocolError,
} from "./protocol.ts";

/** Options of {@link ExecPolicy}. */
export interface ExecPolicyOptions {
  /** The command's arguments. @default none */
  args?: readonly string[];
  /** Directory the agent runs in. @default the working directory */
  cwd?: string;
  /** The agent's name (the stderr prefix, messages). */
  name: string;
  /** The agent arrangement it declared. */
  model: PolicyModel;
  /** Wall-clock time the agent may take to answer a request, ms. @default 10000 */
  timeoutMs?: number;
}

/** Batches one request may take before the agent must say it is done. */
const MAX_BATCHES = 100_000;

/**
 * A policy run by an external agent process (one process per agent process
 * of the emulator: an upgrade starts a new one).
 */
export class ExecPolicy implements Policy {
  /** The policy's name: `exec:` and the agent's name. */
  readonly name: string;
  /** The agent arrangement. */
  readonly model: PolicyModel;
  /** Requests sent to the agent (`start`, `messages`, `schedule`, `results`): its passes and round trips. */
  requests = 0;
  readonly #agentName: string;
  readonly #channel: AgentChannel;
  /** Messages read since the last request, as protocol text. */
  #batch: string[] = [];
  /** Gtids the agent was told of (TASK_NEW): the ones it may name. */
  readonly #known = new Set<number>();
  /** CPUs opened since the last commit, in order, with their gtid. */
  #opened: { cpu: number; gtid: number }[] = [];
  /** Results of the agent's last batch of a request, sent with the next request. */
  #results: unknown[] | null = null;
  #hello: AgentHello | null = null;
  #started = false;

  /** Starts the agent process; the first callback waits for it and greets it. */
  constructor(command: string, options: ExecPolicyOptions) {
    this.#agentName = options.name;
    this.name = `exec:${options.name}`;
    this.model = options.model;
    this.#channel = new AgentChannel(command, {
      args: options.args ?? [],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      timeoutMs: options.timeoutMs ?? 10_000,
      stderrPrefix: `[${options.name}] `,
    });
  }

  /** TASK_NEW. */
  taskNew(_ctx: AgentContext, msg: Message): void {
    this.#known.add(msg.gtid);
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_WAKEUP. */
  taskRunnable(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_BLOCKED. */
  taskBlocked(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_PREEMPT. */
  taskPreempted(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_YIELD. */
  taskYield(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_DEAD. */
  taskDead(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_DEPARTED. */
  taskDeparted(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_AFFINITY_CHANGED. */
  taskAffinityChanged(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** TASK_ON_CPU. */
  taskOnCpu(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** CPU_TICK. */
  cpuTick(_ctx: AgentContext, msg: Message): void {
    this.#batch.push(encodeMessage(msg));
  }

  /** Hands the batch just read to the agent (unless it takes them with the next schedule). */
  afterMessages(ctx: AgentContext): void {
    this.#opened = []; // a new round of the context: nothing open
    this.#ensureStarted(ctx);
    if (this.#batch.length === 0 || this.#hello!.deferMessages) return;
    this.#request(ctx, "messages");
  }

  /** Asks the agent to schedule. */
  schedule(ctx: AgentContext): void {
    this.#opened = [];
    this.#ensureStarted(ctx);
    this.#request(ctx, "schedule");
  }

  /** Kills the agent process. */
  close(): void {
    this.#channel.close();
  }

  /** Greets the agent and tells it the enclave, once. */
  #ensureStarted(ctx: AgentContext): void {
    if (this.#started) return;
    this.#started = true;
    const hello = this.#call(() => {
      const hello = parseHello(this.#channel.exchange(
        `{"type":"hello","protocol":${PROTOCOL_VERSION}}`,
      ));
      if (hello.model !== this.model) {
        throw new ProtocolError(
          `The agent said model ${hello.model}, but ${this.model} when it was loaded`,
        );
      }
      return hello;
    });
    this.#hello = hello;
    this.#request(ctx, "start");
  }

  /** One request and the agent's batches of calls until it is done. */
  #request(ctx: AgentContext, type: "start" | "messages" | "schedule"): void {
    let line = this.#requestLine(ctx, type);
    for (let batches = 0;; batches++) {
      if (batches === MAX_BATCHES) {
        throw this.#error(
          new ProtocolError(`No "done" after ${MAX_BATCHES} batches of one ${type} request`),
        );
      }
      this.requests++;
      const reply = this.#call(() => parseBatch(this.#channel.exchange(line)));
      const results = reply.calls.map((call) => this.#call(() => this.#execute(ctx, call)));
      if (reply.done) {
        this.#results = results.length > 0 ? results : null;
        return;
      }
      line = `{"type":"results","results":${JSON.stringify(results)}}`;
    }
  }

  #requestLine(ctx: AgentContext, type: "start" | "messages" | "schedule"): string {
    let line = `{"type":"${type}","now":${ctx.now},"cpu":${ctx.cpu},"global_cpu":${ctx.globalCpu}`;
    if (type === "start") {
      const cpus = ctx.topology.cpus.map((c) =>
        `{"cpu":${c.id},"core":${c.core},"llc":${c.llc},"numa":${c.numa},"socket":${c.socket}}`
      );
      line += `,"model":"${this.model}","cpus":[${ctx.cpus.join(",")}],"topology":[${
        cpus.join(",")
      }]`;
    }
    if (this.#results !== null) {
      line += `,"results":${JSON.stringify(this.#results)}`;
      this.#results = null;
    }
    if (this.#batch.length > 0 && type !== "start") {
      line += `,"messages":[${this.#batch.join(",")}]`;
      this.#batch = [];
    }
    if (type === "schedule") {
      const available: number[] = [];
      for (const cpu of ctx.cpus) if (ctx.cpuAvailable(cpu)) available.push(cpu);
      line += `,"available":[${available.join(",")}]`;
    }
    return line + "}";
  }

  /** Carries out one call on the context and returns its result. */
  #execute(ctx: AgentContext, call: AgentCall): unknown {
    switch (call.call) {
      case "open": {
        this.#checkCpu(ctx, call.cpu, call.call);
        if (call.gtid >= 0) this.#checkGtid(call.gtid, call.call);
        else if (call.gtid < -2) {
          throw new ProtocolError(
            `Bad gtid ${call.gtid} in call open: expected a thread, -1 (idle) or -2 (agent)`,
          );
        }
        ctx.open(call.cpu, call.gtid, call.barrier);
        const slot = this.#opened.findIndex((o) => o.cpu === call.cpu);
        if (slot >= 0) this.#opened.splice(slot, 1); // the newer one aborted it
        this.#opened.push({ cpu: call.cpu, gtid: call.gtid });
        return null;
      }
      case "commit": {
        const completed = ctx.commit(call.mode);
        const outcomes = this.#opened.map(({ cpu, gtid }) => ({
          cpu,
          gtid,
          outcome: TXN_NAMES[ctx.outcome(cpu)] ?? String(ctx.outcome(cpu)),
        }));
        this.#opened = [];
        return { completed, outcomes };
      }
      case "associate":
        this.#checkCpu(ctx, call.cpu, call.call);
        this.#checkGtid(call.gtid, call.call);
        return ctx.associate(call.gtid, call.cpu, call.barrier);
      case "ping":
        this.#checkCpu(ctx, call.cpu, call.call);
        return ctx.ping(call.cpu);
      case "wake_at":
        ctx.wakeAt(call.time);
        return null;
      case "status": {
        this.#checkGtid(call.gtid, call.call);
        const status = ctx.status(call.gtid);
        if (status === undefined) return null;
        return {
          gtid: status.id,
          barrier: status.barrier,
          state: status.state,
          runnable: status.state === "runnable" || status.state === "running",
          on_cpu: status.state === "running",
          cpu: status.cpu,
          latched_cpu: status.latchedCpu,
          runtime: status.cpuTime,
          nice: status.nice,
          deadline: status.deadline === Infinity ? null : status.deadline,
        };
      }
      case "agent_status": {
        this.#checkCpu(ctx, call.cpu, call.call);
        const status = ctx.agentStatus(call.cpu)!;
        return { barrier: status.barrier, boost_prio: status.boostPrio };
      }
      case "cpu_available":
        this.#checkCpu(ctx, call.cpu, call.call);
        return ctx.cpuAvailable(call.cpu);
    }
  }

  #checkCpu(ctx: AgentContext, cpu: number, call: string): void {
    if (!ctx.cpus.includes(cpu)) {
      throw new ProtocolError(
        `Bad cpu ${cpu} in call ${call}: not a CPU of the enclave (${ctx.cpus.join(", ")})`,
      );
    }
  }

  #checkGtid(gtid: number, call: string): void {
    if (!this.#known.has(gtid)) {
      throw new ProtocolError(`Bad gtid ${gtid} in call ${call}: no TASK_NEW announced it`);
    }
  }

  /** Runs `fn`; a protocol or channel error becomes the agent's crash. */
  #call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.#error(error);
    }
  }

  /** The error that kills the agent: its cause, named, with the agent's stderr tail. */
  #error(error: unknown): unknown {
    if (error instanceof AgentError || error instanceof ProtocolError) {
      this.#channel.close();
      return new AgentError(
        `agent ${this.#agentName}: ${error.message}`,
        error instanceof AgentError ? error.stderrTail : this.#channel.stderrTail(),
      );
    }
    return error;
  }
}
