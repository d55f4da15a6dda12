/**
 * The wire protocol between the emulator and an agent in another process
 * (README.md beside this file documents it field by field): how kernel
 * messages are written, and how the agent's lines are read and checked.
 * Everything the agent writes is checked; anything out of place is a
 * {@link ProtocolError}, which kills the agent like an exception in a
 * TypeScript policy.
 *
 * @module
 */

import { MSG, MSG_NAMES } from "../../core/ghost_abi.ts";
import {
  type Message,
  MSG_FLAG_BY_KERNEL,
  MSG_FLAG_DEFERRABLE,
  MSG_FLAG_ON_CPU,
  MSG_FLAG_RUNNABLE,
  MSG_FLAG_WAS_CURRENT,
  MSG_FLAG_WAS_LATCHED,
} from "../../core/message_queue.ts";
import type { CommitMode, PolicyModel } from "../../core/policy.ts";

/** The protocol version this emulator speaks. */
export const PROTOCOL_VERSION = 1;

/** The agent broke the protocol: a malformed line, an unknown call, a bad value. */
export class ProtocolError extends Error {
  /** Creates the error; the message says what was wrong, in one line. */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** What an agent says of itself in its `hello`. */
export interface AgentHello {
  /** Its name, for messages and the stderr prefix. */
  name: string;
  /** Its agent arrangement. */
  model: PolicyModel;
  /** One line for `ghostbench list`. */
  description: string;
  /**
   * It makes no calls while it reads messages: each batch comes with the
   * next `schedule` request instead of a request of its own.
   */
  deferMessages: boolean;
}

/** One call of the agent, checked. */
export type AgentCall =
  | { call: "open"; cpu: number; gtid: number; barrier?: number }
  | { call: "commit"; mode: CommitMode }
  | { call: "associate"; gtid: number; cpu: number; barrier?: number }
  | { call: "ping"; cpu: number }
  | { call: "wake_at"; time: number }
  | { call: "status"; gtid: number }
  | { call: "agent_status"; cpu: number }
  | { call: "cpu_available"; cpu: number };

/** A batch of calls, and whether the agent is done with the request. */
export interface AgentBatch {
  /** The calls, in order. */
  calls: AgentCall[];
  /** Whether the agent is done (its results then come with the next request). */
  done: boolean;
}

/** Which fields each call takes: required, then optional. */
const CALL_FIELDS: Readonly<Record<AgentCall["call"], readonly [string[], string[]]>> = {
  open: [["cpu", "gtid"], ["barrier"]],
  commit: [[], ["mode"]],
  associate: [["gtid", "cpu"], ["barrier"]],
  ping: [["cpu"], []],
  wake_at: [["time"], []],
  status: [["gtid"], []],
  agent_status: [["cpu"], []],
  cpu_available: [["cpu"], []],
};

const COMMIT_MODES: readonly string[] = ["sync", "async", "sync-group"];

/**
 * A kernel message as the protocol writes it: its type by name, gtid,
 * seqnum, CPU, and its type's payload with flags as booleans.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./protocol.ts";
 * import { MSG } from "../../core/ghost_abi.ts";
 * const text = encodeMessage({
 *   type: MSG.TASK_BLOCKED, gtid: 7, seqnum: 3, cpu: 2, runtime: 1500, flags: 0, time: 0, aux: -1,
 * });
 * const message = JSON.parse(text);
 * if (message.type !== "TASK_BLOCKED" || message.runtime !== 1500) throw new Error("wrong");
 * ```
 */
export function encodeMessage(msg: Readonly<Message>): string {
  const head = `{"type":"${
    MSG_NAMES[msg.type] ?? msg.type
  }","gtid":${msg.gtid},"seqnum":${msg.seqnum},"cpu":${msg.cpu}`;
  const flag = (bit: number) => (msg.flags & bit) !== 0;
  switch (msg.type) {
    case MSG.TASK_NEW:
      return `${head},"runtime":${msg.runtime},"runnable":${flag(MSG_FLAG_RUNNABLE)},"on_cpu":${
        flag(MSG_FLAG_ON_CPU)
      },"nice":${msg.aux}}`;
    case MSG.TASK_WAKEUP:
      return `${head},"deferrable":${flag(MSG_FLAG_DEFERRABLE)},"waker_cpu":${msg.aux}}`;
    case MSG.TASK_PREEMPT:
      return `${head},"runtime":${msg.runtime},"was_latched":${
        flag(MSG_FLAG_WAS_LATCHED)
      },"by_kernel":${flag(MSG_FLAG_BY_KERNEL)}}`;
    case MSG.TASK_BLOCKED:
    case MSG.TASK_YIELD:
      return `${head},"runtime":${msg.runtime}}`;
    case MSG.TASK_DEPARTED:
      return `${head},"was_current":${flag(MSG_FLAG_WAS_CURRENT)}}`;
    default:
      return `${head}}`;
  }
}

/** Parses a line as a JSON object; a ProtocolError otherwise. */
function parseObject(line: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`Malformed ${what}: not JSON: ${excerpt(line)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(`Malformed ${what}: expected a JSON object: ${excerpt(line)}`);
  }
  return value as Record<string, unknown>;
}

/** The start of a long line, for messages. */
function excerpt(line: string): string {
  const text = line.length > 120 ? `${line.slice(0, 120)}...` : line;
  return JSON.stringify(text);
}

/** Throws unless `object` has only the given keys. */
function checkKeys(object: Record<string, unknown>, allowed: readonly string[], what: string) {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new ProtocolError(
        `Unknown field "${key}" in ${what}: expected ${allowed.join(", ") || "none"}`,
      );
    }
  }
}

/**
 * Reads the agent's `hello`: its protocol version (which must be ours), its
 * name and model.
 *
 * @example
 * ```ts
 * import { parseHello } from "./protocol.ts";
 * const hello = parseHello('{"type":"hello","protocol":1,"name":"fifo","model":"per-cpu"}');
 * if (hello.model !== "per-cpu" || hello.deferMessages) throw new Error("wrong");
 * ```
 */
export function parseHello(line: string): AgentHello {
  const hello = parseObject(line, "hello");
  if (hello.type !== "hello") {
    throw new ProtocolError(`Expected the agent's hello first, got ${excerpt(line)}`);
  }
  checkKeys(
    hello,
    ["type", "protocol", "name", "model", "description", "defer_messages"],
    "the hello",
  );
  if (hello.protocol !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `Protocol version mismatch: the agent speaks ${JSON.stringify(hello.protocol)}, ` +
        `the emulator ${PROTOCOL_VERSION}`,
    );
  }
  const name = hello.name ?? "agent";
  if (typeof name !== "string" || name === "" || name.length > 64 || /[\s]/.test(name)) {
    throw new ProtocolError(`Bad name ${JSON.stringify(name)} in the hello: expected a word`);
  }
  if (hello.model !== "per-cpu" && hello.model !== "centralized") {
    throw new ProtocolError(
      `Bad model ${JSON.stringify(hello.model)} in the hello: expected per-cpu or centralized`,
    );
  }
  const description = hello.description ?? `external agent ${name}`;
  if (typeof description !== "string") {
    throw new ProtocolError("Bad description in the hello: expected a string");
  }
  const defer = hello.defer_messages ?? false;
  if (typeof defer !== "boolean") {
    throw new ProtocolError("Bad defer_messages in the hello: expected true or false");
  }
  return { name, model: hello.model, description, deferMessages: defer };
}

/**
 * Reads one batch of the agent's calls, checking every field (whether a CPU
 * or gtid names something real is the caller's check).
 *
 * @example
 * ```ts
 * import { parseBatch } from "./protocol.ts";
 * const batch = parseBatch('{"calls":[{"call":"open","cpu":1,"gtid":9},{"call":"commit"}],"done":false}');
 * if (batch.calls.length !== 2 || batch.done) throw new Error("wrong");
 * ```
 */
export function parseBatch(line: string): AgentBatch {
  const batch = parseObject(line, "reply");
  checkKeys(batch, ["calls", "done"], "a reply");
  const calls = batch.calls ?? [];
  if (!Array.isArray(calls)) throw new ProtocolError("Bad calls in a reply: expected a list");
  const done = batch.done ?? true;
  if (typeof done !== "boolean") {
    throw new ProtocolError("Bad done in a reply: expected true or false");
  }
  return { calls: calls.map(checkCall), done };
}

function checkCall(value: unknown): AgentCall {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(`Bad call ${JSON.stringify(value)}: expected an object`);
  }
  const call = value as Record<string, unknown>;
  const name = call.call;
  if (typeof name !== "string" || !Object.hasOwn(CALL_FIELDS, name)) {
    throw new ProtocolError(
      `Unknown call ${JSON.stringify(name)}: expected one of ${
        Object.keys(CALL_FIELDS).join(", ")
      }`,
    );
  }
  const [required, optional] = CALL_FIELDS[name as AgentCall["call"]];
  checkKeys(call, ["call", ...required, ...optional], `call ${name}`);
  for (const key of required) {
    if (call[key] === undefined) throw new ProtocolError(`Call ${name} without ${key}`);
  }
  for (const key of ["cpu", "gtid", "barrier"]) {
    const v = call[key];
    if (v !== undefined && !Number.isSafeInteger(v)) {
      throw new ProtocolError(
        `Bad ${key} ${JSON.stringify(v)} in call ${name}: expected an integer`,
      );
    }
  }
  if (call.barrier !== undefined && (call.barrier as number) < 0) {
    throw new ProtocolError(`Bad barrier ${call.barrier} in call ${name}: expected 0 or more`);
  }
  if (name === "wake_at" && !(typeof call.time === "number" && Number.isFinite(call.time))) {
    throw new ProtocolError(`Bad time ${JSON.stringify(call.time)} in call wake_at`);
  }
  if (name === "commit") {
    const mode = call.mode ?? "sync";
    if (typeof mode !== "string" || !COMMIT_MODES.includes(mode)) {
      throw new ProtocolError(
        `Bad mode ${JSON.stringify(mode)} in call commit: expected ${COMMIT_MODES.join(", ")}`,
      );
    }
    return { call: "commit", mode: mode as CommitMode };
  }
  return call as AgentCall;
}
