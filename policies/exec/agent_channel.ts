/**
 * A synchronous line channel to an agent in another process. The emulation
 * is synchronous (a policy callback returns before time moves on), but Deno
 * has no synchronous pipes: a small Web Worker owns the process and its
 * pipes, and each exchange goes through shared memory, the emulation thread
 * blocking in `Atomics.wait` until the reply line arrives or a wall-clock
 * timeout passes. Whatever goes wrong (the process cannot start, exits,
 * stays silent) is an {@link AgentError} carrying the last lines of the
 * agent's stderr, which the worker otherwise passes through, prefixed.
 *
 * @module
 */

import {
  type AgentWorkerInit,
  CTRL_LENGTH,
  CTRL_PID,
  CTRL_STATE,
  CTRL_TAIL_LENGTH,
  CTRL_TAIL_SEQ,
  CTRL_WORDS,
  STATE_CLOSED,
  STATE_DRAINED,
  STATE_FAILED,
  STATE_IDLE,
  STATE_REPLY,
  STATE_REQUEST,
  STATE_STARTING,
} from "./_shared.ts";

/** An external agent failed: it could not start, exited, stayed silent, or broke the protocol. */
export class AgentError extends Error {
  /** The last lines the agent wrote on stderr (empty if none). */
  readonly stderrTail: string;

  /** Creates the error: `message` is the cause, in one line. */
  constructor(message: string, stderrTail: string) {
    super(message);
    this.name = "AgentError";
    this.stderrTail = stderrTail;
  }
}

/** Options of {@link AgentChannel}. */
export interface AgentChannelOptions {
  /** The command's arguments. @default none */
  args?: readonly string[];
  /** Directory the process runs in. @default the working directory */
  cwd?: string;
  /** Wall-clock time to wait for each reply (and for the start), ms. @default 10000 */
  timeoutMs?: number;
  /** Prefix of each line of the agent's stderr passed through. @default "[agent] " */
  stderrPrefix?: string;
}

/** Bytes the channel starts with; it grows to at most {@link MAX_LINE_BYTES}. */
const INITIAL_BYTES = 64 * 1024;
/** The longest line either side may send. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;
/** Bytes of stderr tail kept. */
const TAIL_BYTES = 8 * 1024;
/** How long `close` waits for the worker to pass the rest of stderr on, ms. */
const DRAIN_MS = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A running agent process and the channel to it: `exchange` writes one line
 * to its stdin and returns the line it answers on stdout.
 *
 * @example
 * ```ts
 * import { AgentChannel } from "./agent_channel.ts";
 * const channel = new AgentChannel("sh", { args: ["-c", "while read line; do echo \"$line\"; done"] });
 * try {
 *   if (channel.exchange('{"ping":1}') !== '{"ping":1}') throw new Error("no echo");
 * } finally {
 *   channel.close();
 * }
 * ```
 */
export class AgentChannel {
  readonly #control: Int32Array;
  readonly #buffer: SharedArrayBuffer;
  readonly #data: Uint8Array;
  readonly #tail: Uint8Array;
  readonly #worker: Worker;
  readonly #timeoutMs: number;
  #closed = false;
  #failure: AgentError | null = null;

  /** Starts the agent process (in the background: the first exchange waits for it). */
  constructor(command: string, options: AgentChannelOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const control = new SharedArrayBuffer(CTRL_WORDS * 4);
    this.#control = new Int32Array(control);
    this.#buffer = new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: MAX_LINE_BYTES });
    this.#data = new Uint8Array(this.#buffer);
    const tail = new SharedArrayBuffer(TAIL_BYTES);
    this.#tail = new Uint8Array(tail);
    this.#worker = new Worker(new URL("./_agent_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const init: AgentWorkerInit = {
      command,
      args: options.args ?? [],
      cwd: options.cwd ?? Deno.cwd(),
      prefix: options.stderrPrefix ?? "[agent] ",
      control,
      data: this.#buffer,
      tail,
    };
    this.#worker.postMessage(init);
  }

  /** The agent process's id, or 0 before it started. */
  get pid(): number {
    return Atomics.load(this.#control, CTRL_PID);
  }

  /**
   * Sends one line (without its newline) and returns the agent's reply line.
   *
   * @throws {AgentError} when the agent cannot start, has exited, or does
   * not answer in time; the channel is then closed
   */
  exchange(line: string): string {
    if (this.#failure !== null) throw this.#failure;
    if (this.#closed) throw new Error("Agent channel is closed");
    const ctrl = this.#control;
    if (Atomics.load(ctrl, CTRL_STATE) === STATE_STARTING) {
      this.#await(STATE_STARTING, "did not start");
    }
    if (Atomics.load(ctrl, CTRL_STATE) === STATE_FAILED) throw this.#fail(this.#text());
    const bytes = line.length * 3 + 1;
    if (this.#buffer.byteLength < bytes) {
      if (bytes > MAX_LINE_BYTES) throw new RangeError(`Request of ${bytes} bytes is too long`);
      this.#buffer.grow(Math.min(MAX_LINE_BYTES, Math.max(bytes, this.#buffer.byteLength * 2)));
    }
    const { written } = encoder.encodeInto(line, this.#data);
    this.#data[written] = 10;
    Atomics.store(ctrl, CTRL_LENGTH, written + 1);
    Atomics.store(ctrl, CTRL_STATE, STATE_REQUEST);
    Atomics.notify(ctrl, CTRL_STATE);
    this.#await(STATE_REQUEST, "did not answer");
    const state = Atomics.load(ctrl, CTRL_STATE);
    const text = this.#text();
    if (state !== STATE_REPLY) throw this.#fail(text);
    Atomics.store(ctrl, CTRL_STATE, STATE_IDLE);
    return text;
  }

  /**
   * Kills the agent process (if it still runs) and stops the worker, after
   * it has passed the rest of the agent's stderr on. Safe to call twice.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const ctrl = this.#control;
    const pid = Atomics.load(ctrl, CTRL_PID);
    Atomics.store(ctrl, CTRL_STATE, STATE_CLOSED);
    Atomics.notify(ctrl, CTRL_STATE);
    if (pid > 0) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const deadline = performance.now() + DRAIN_MS;
    for (;;) {
      const state = Atomics.load(ctrl, CTRL_STATE);
      const left = deadline - performance.now();
      if (state === STATE_DRAINED || left <= 0) break;
      Atomics.wait(ctrl, CTRL_STATE, state, left);
    }
    this.#worker.terminate();
  }

  /** The last lines of the agent's stderr. */
  stderrTail(): string {
    const ctrl = this.#control;
    for (let attempt = 0; attempt < 100; attempt++) {
      const before = Atomics.load(ctrl, CTRL_TAIL_SEQ);
      if (before % 2 === 1) continue; // being written
      const text = decoder.decode(this.#tail.slice(0, Atomics.load(ctrl, CTRL_TAIL_LENGTH)));
      if (Atomics.load(ctrl, CTRL_TAIL_SEQ) === before) return text;
    }
    return "";
  }

  /** Waits while the state is `state`; a timeout fails the channel. */
  #await(state: number, what: string): void {
    const ctrl = this.#control;
    const deadline = performance.now() + this.#timeoutMs;
    while (Atomics.load(ctrl, CTRL_STATE) === state) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw this.#fail(`${what} within ${formatMs(this.#timeoutMs)} (wall clock)`);
      }
      Atomics.wait(ctrl, CTRL_STATE, state, left);
    }
  }

  #text(): string {
    return decoder.decode(this.#data.slice(0, Atomics.load(this.#control, CTRL_LENGTH)));
  }

  /** Closes the channel and returns the error that says why. */
  #fail(reason: string): AgentError {
    // Let the worker pass the last words of a dying agent on first.
    this.close();
    this.#failure = new AgentError(reason, this.stderrTail());
    return this.#failure;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
