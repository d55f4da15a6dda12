/**
 * The Web Worker that owns an external agent's process for its
 * {@link AgentChannel} (agent_channel.ts): it starts the process, writes
 * each request the emulation thread puts in the shared buffer to the
 * agent's stdin, reads one line of the agent's stdout back into the buffer,
 * and passes the agent's stderr through, prefixed, keeping its last lines
 * where the emulation thread can read them. Deno has no synchronous pipes;
 * this worker does the asynchronous part so that the emulation thread can
 * block (`Atomics.wait`) for each answer, with a wall-clock timeout.
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
  STATE_CLOSED,
  STATE_DRAINED,
  STATE_FAILED,
  STATE_IDLE,
  STATE_REPLY,
  STATE_REQUEST,
  TAIL_LINES,
} from "./_shared.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<AgentWorkerInit>) => void) | null;
  close(): void;
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

scope.onmessage = (event) => {
  scope.onmessage = null;
  run(event.data).catch((error) => {
    // A bug of this worker: reported as the agent's failure, never lost.
    fail(event.data, `agent worker failed: ${error instanceof Error ? error.message : error}`);
  });
};

let failed = false;

/** Reports a failure to the emulation thread (once) and stops answering. */
function fail(init: AgentWorkerInit, reason: string): void {
  if (failed) return;
  failed = true;
  const ctrl = new Int32Array(init.control);
  const data = new Uint8Array(init.data);
  const bytes = encoder.encode(reason);
  ensureCapacity(init.data, bytes.length);
  data.set(bytes);
  Atomics.store(ctrl, CTRL_LENGTH, bytes.length);
  if (Atomics.load(ctrl, CTRL_STATE) !== STATE_CLOSED) {
    Atomics.store(ctrl, CTRL_STATE, STATE_FAILED);
    Atomics.notify(ctrl, CTRL_STATE);
  }
}

/** Grows the shared data buffer to hold `bytes`. */
function ensureCapacity(buffer: SharedArrayBuffer, bytes: number): void {
  if (buffer.byteLength >= bytes) return;
  if (bytes > buffer.maxByteLength) {
    throw new RangeError(`A line of ${bytes} bytes exceeds the channel's ${buffer.maxByteLength}`);
  }
  buffer.grow(Math.min(buffer.maxByteLength, Math.max(bytes, buffer.byteLength * 2)));
}

async function run(init: AgentWorkerInit): Promise<void> {
  const ctrl = new Int32Array(init.control);
  const data = new Uint8Array(init.data);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(init.command, {
      args: [...init.args],
      cwd: init.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "command not found"
      : error instanceof Error
      ? error.message.split("\n")[0]
      : String(error);
    fail(init, `cannot start "${init.command}": ${why}`);
    await waitClosed(ctrl);
    finish(ctrl);
    return;
  }
  Atomics.store(ctrl, CTRL_PID, child.pid);
  const stderr = passStderr(child.stderr, init);
  const stdout = new LineReader(child.stdout);
  const stdin = child.stdin.getWriter();
  // The process's end, as a reason: read once the agent stops answering.
  const ended = (async () => {
    const status = await child.status;
    await stderr;
    return status.signal !== null
      ? `killed by ${status.signal}`
      : `exited with status ${status.code}`;
  })();
  Atomics.store(ctrl, CTRL_STATE, STATE_IDLE);
  Atomics.notify(ctrl, CTRL_STATE);
  for (;;) {
    const state = await nextRequest(ctrl);
    if (state === STATE_CLOSED) break;
    const request = data.slice(0, Atomics.load(ctrl, CTRL_LENGTH));
    let line: Uint8Array | null;
    try {
      await stdin.write(request);
      line = await stdout.readLine();
    } catch {
      line = null; // a broken pipe: the process is gone
    }
    if (line === null) {
      fail(init, await ended);
      break;
    }
    if (Atomics.load(ctrl, CTRL_STATE) === STATE_CLOSED) break;
    ensureCapacity(init.data, line.length);
    data.set(line);
    Atomics.store(ctrl, CTRL_LENGTH, line.length);
    Atomics.store(ctrl, CTRL_STATE, STATE_REPLY);
    Atomics.notify(ctrl, CTRL_STATE);
  }
  await waitClosed(ctrl);
  // The emulation thread killed the process: pass the rest of its stderr on.
  await Promise.race([stderr, new Promise((resolve) => setTimeout(resolve, 500))]);
  stdin.close().catch(() => {});
  finish(ctrl);
}

/** Waits until the emulation thread posts a request or closes the channel. */
async function nextRequest(ctrl: Int32Array): Promise<number> {
  for (;;) {
    const state = Atomics.load(ctrl, CTRL_STATE);
    if (state === STATE_REQUEST || state === STATE_CLOSED) return state;
    const wait = Atomics.waitAsync(ctrl, CTRL_STATE, state);
    if (wait.async) await wait.value;
  }
}

async function waitClosed(ctrl: Int32Array): Promise<void> {
  for (;;) {
    const state = Atomics.load(ctrl, CTRL_STATE);
    if (state === STATE_CLOSED) return;
    const wait = Atomics.waitAsync(ctrl, CTRL_STATE, state);
    if (wait.async) await wait.value;
  }
}

function finish(ctrl: Int32Array): void {
  Atomics.store(ctrl, CTRL_STATE, STATE_DRAINED);
  Atomics.notify(ctrl, CTRL_STATE);
  scope.close();
}

/**
 * Passes the agent's stderr to ours, each line prefixed, and keeps the last
 * lines in the shared tail buffer (a sequence lock: odd while writing).
 */
async function passStderr(stream: ReadableStream<Uint8Array>, init: AgentWorkerInit) {
  const ctrl = new Int32Array(init.control);
  const tail = new Uint8Array(init.tail);
  const lines: string[] = [];
  const reader = new LineReader(stream);
  for (;;) {
    let bytes: Uint8Array | null;
    try {
      bytes = await reader.readLine(true);
    } catch {
      break;
    }
    if (bytes === null) break;
    const line = decoder.decode(bytes).replace(/\r?\n$/, "");
    try {
      Deno.stderr.writeSync(encoder.encode(`${init.prefix}${line}\n`));
    } catch {
      // stderr closed: the tail is still kept
    }
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
    const text = encoder.encode(lines.join("\n"));
    const kept = text.subarray(Math.max(0, text.length - tail.length));
    Atomics.add(ctrl, CTRL_TAIL_SEQ, 1);
    tail.set(kept);
    Atomics.store(ctrl, CTRL_TAIL_LENGTH, kept.length);
    Atomics.add(ctrl, CTRL_TAIL_SEQ, 1);
  }
}

/** Reads a byte stream line by line. */
class LineReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /**
   * The next line without its newline (with it when `keepNewline`), or null
   * at the end of the stream. A last line without a newline is returned by
   * `keepNewline` readers only (stderr); stdout's must end with one.
   */
  async readLine(keepNewline = false): Promise<Uint8Array | null> {
    let scanned = 0; // bytes after #start known to hold no newline
    for (;;) {
      const from = this.#start + scanned;
      const newline = this.#buffer.subarray(from, this.#end).indexOf(10);
      if (newline >= 0) {
        const at = from + newline;
        const line = this.#buffer.slice(this.#start, keepNewline ? at + 1 : at);
        this.#start = at + 1;
        return line;
      }
      scanned = this.#end - this.#start;
      const { value, done } = await this.#reader.read();
      if (done) {
        if (keepNewline && this.#end > this.#start) {
          const rest = this.#buffer.slice(this.#start, this.#end);
          this.#start = this.#end;
          return rest;
        }
        return null;
      }
      this.#append(value);
    }
  }

  #append(chunk: Uint8Array): void {
    if (this.#start > 0 && this.#end + chunk.length > this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end + chunk.length > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#end + chunk.length));
      grown.set(this.#buffer.subarray(0, this.#end));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}
