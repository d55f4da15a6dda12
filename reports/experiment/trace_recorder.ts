/**
 * `run --trace`: a Chrome trace-event JSON file of a run's first
 * milliseconds, which ui.perfetto.dev and chrome://tracing open, so that a
 * person can see what the scheduler did.
 *
 * Layout of the trace:
 * - process 1 "CPUs", one track per CPU (tid = CPU number, named "CPU n"):
 *   a complete slice (`X`) per interval a thread ran there, named by the
 *   thread, with the scheduling class as category (`fair`, `ghost`,
 *   `agent`) and args {gtid, group}; and an instant (`i`) per transaction
 *   commit that targeted the CPU, named "commit " + the outcome, args
 *   {gtid, cpu}.
 * - process 2 "queues", one track per ghOSt message queue (named "queue n",
 *   tid {@link QUEUE_TID_BASE} + n, since Perfetto keys threads by tid
 *   across processes): an instant per message produced, named by its type,
 *   args {gtid, queue, depth}; and a counter "queue n depth" (series
 *   `messages`) sampled at each message.
 *
 * Times are virtual: `ts` and `dur` are microseconds (fractions keep the
 * nanoseconds). Only events in [0, window) are kept; a slice that runs past
 * the window's end is clipped there, and nothing is stored past it, so
 * memory is bounded by the window. The output is deterministic: the same
 * run and seed give the same bytes.
 *
 * The kernel reports queue depth only when a message is produced, so the
 * counter shows the depth after each message, not the agents draining it.
 *
 * @module
 */

import { dirname } from "node:path";
import { InputError } from "../../core/errors.ts";
import { MSG_NAMES, TXN_NAMES } from "../../core/ghost_abi.ts";
import type { SchedClassName, Thread } from "../../core/thread.ts";
import type { Tracer } from "../../core/metrics/tracer.ts";
import { MS, SEC, US } from "../../core/units.ts";
import { ensureWritableDir, resolveOutputFile, writeFileAtomic } from "../render/write_files.ts";

/** Virtual time a trace covers when `--trace-window` is not given: 5 ms. */
export const DEFAULT_TRACE_WINDOW_NS = 5 * MS;

/**
 * Longest window `--trace-window` accepts: 1 s. A busy 8-CPU run writes
 * about 40 to 70 kB of trace per millisecond, and trace viewers slow down
 * past about 100 MB.
 */
export const MAX_TRACE_WINDOW_NS = 1 * SEC;

/** Where `run --trace` writes and what it covers. */
export interface TraceOutput {
  /** Path of the trace file. */
  path: string;
  /** Virtual time covered, from 0, ns. */
  windowNs: number;
}

/** Process id of the CPU tracks. */
export const CPU_PID = 1;

/** Process id of the message-queue tracks. */
export const QUEUE_PID = 2;

/**
 * Thread id of queue 0's track (queue n is this + n). Perfetto keys threads
 * by tid across processes, so queue tracks stay clear of CPU numbers.
 */
export const QUEUE_TID_BASE = 100_000;

/** One event of the Chrome trace-event format, as this module writes it. */
export interface TraceEvent {
  /** Slice, instant, counter or metadata name. */
  name: string;
  /** Category: the scheduling class of a slice, "message" or "commit". */
  cat?: string;
  /** Phase: complete slice, instant, counter or metadata. */
  ph: "X" | "i" | "C" | "M";
  /** Start, µs of virtual time (absent on metadata). */
  ts?: number;
  /** Duration of a complete slice, µs. */
  dur?: number;
  /** Process id: {@link CPU_PID} or {@link QUEUE_PID}. */
  pid: number;
  /** Thread id: the CPU number, or {@link QUEUE_TID_BASE} + the queue. */
  tid: number;
  /** Scope of an instant: the thread (track). */
  s?: "t";
  /** Arguments shown when the event is selected. */
  args: Record<string, string | number>;
}

/**
 * Records the scheduling events of a run's first `windowNs` nanoseconds
 * and writes them as Chrome trace-event JSON. Set it as `kernel.tracer`
 * before any thread starts (runExperiment's `tracer` option does).
 *
 * @example
 * ```ts
 * import { TraceRecorder } from "./trace_recorder.ts";
 * import { DEFAULT_RUN_CONFIG, runExperiment } from "./run_experiment.ts";
 * const tracer = new TraceRecorder(1_000_000);
 * runExperiment(
 *   { ...DEFAULT_RUN_CONFIG, policy: "shinjuku", cpus: 4, durationNs: 2_000_000, warmupNs: 0 },
 *   { tracer },
 * );
 * const trace = JSON.parse(tracer.toJson(2_000_000));
 * if (!trace.traceEvents.some((e: { cat?: string }) => e.cat === "agent")) throw new Error("no agent");
 * ```
 */
export class TraceRecorder implements Tracer {
  /** Virtual time covered, from 0, ns. */
  readonly windowNs: number;

  readonly #events: TraceEvent[] = [];
  /** Thread whose slice is open on each CPU, or null. */
  readonly #running: (Thread | null)[] = [];
  /** Start of the open slice on each CPU, ns. */
  readonly #since: number[] = [];
  /** Scheduling class of the thread when its open slice started. */
  readonly #class: SchedClassName[] = [];
  readonly #queues = new Set<number>();
  #cpus = 0;

  /**
   * Creates a recorder of the events in [0, windowNs).
   *
   * @throws {RangeError} when `windowNs` is not a positive integer
   */
  constructor(windowNs: number = DEFAULT_TRACE_WINDOW_NS) {
    if (!Number.isSafeInteger(windowNs) || windowNs <= 0) {
      throw new RangeError(
        `Trace window out of range: ${windowNs} ns (expected a positive integer)`,
      );
    }
    this.windowNs = windowNs;
  }

  /** Opens a slice for `thread` on `cpu` (a start at or past the window is ignored). */
  threadOn(cpu: number, thread: Thread, time: number): void {
    if (time >= this.windowNs) return;
    this.#seeCpu(cpu);
    const open = this.#running[cpu] ?? null;
    if (open !== null) {
      throw new Error(
        `Trace: thread ${thread.id} started on CPU ${cpu} at ${time} ns while thread ${open.id} runs there`,
      );
    }
    this.#running[cpu] = thread;
    this.#since[cpu] = time;
    this.#class[cpu] = thread.schedClass;
  }

  /**
   * Closes the slice of `thread` on `cpu`, clipped at the window's end. A
   * thread preempted before its context switch finished never ran: it
   * leaves no slice.
   */
  threadOff(cpu: number, thread: Thread, time: number): void {
    const open = this.#running[cpu] ?? null;
    if (open === null) return; // it started at or past the window's end
    if (open !== thread) {
      throw new Error(
        `Trace: thread ${thread.id} left CPU ${cpu} at ${time} ns where thread ${open.id} runs`,
      );
    }
    if (time >= this.#since[cpu]!) {
      this.#events.push(this.#slice(cpu, Math.min(time, this.windowNs)));
    }
    this.#running[cpu] = null;
  }

  /** Records a message instant on its queue's track and the queue's depth. */
  message(type: number, gtid: number, queue: number, depth: number, time: number): void {
    if (time >= this.windowNs) return;
    this.#queues.add(queue);
    const ts = time / US;
    const tid = QUEUE_TID_BASE + queue;
    this.#events.push({
      name: MSG_NAMES[type] ?? `MSG_${type}`,
      cat: "message",
      ph: "i",
      ts,
      pid: QUEUE_PID,
      tid,
      s: "t",
      args: { gtid, queue, depth },
    });
    this.#events.push({
      name: `queue ${queue} depth`,
      ph: "C",
      ts,
      pid: QUEUE_PID,
      tid,
      args: { messages: depth },
    });
  }

  /** Records the depth of a queue after an agent drained it. */
  queueDepth(queue: number, depth: number, time: number): void {
    if (time >= this.windowNs) return;
    this.#queues.add(queue);
    this.#events.push({
      name: `queue ${queue} depth`,
      ph: "C",
      ts: time / US,
      pid: QUEUE_PID,
      tid: QUEUE_TID_BASE + queue,
      args: { messages: depth },
    });
  }

  /** Records a commit instant on the target CPU's track. */
  commit(cpu: number, gtid: number, outcome: number, time: number): void {
    if (time >= this.windowNs) return;
    this.#seeCpu(cpu);
    this.#events.push({
      name: `commit ${TXN_NAMES[outcome] ?? outcome}`,
      cat: "commit",
      ph: "i",
      ts: time / US,
      pid: CPU_PID,
      tid: cpu,
      s: "t",
      args: { gtid, cpu },
    });
  }

  /**
   * Every event, metadata first, then by time (ties in the order they
   * happened). Slices still open end at `endNs` or the window's end,
   * whichever is first.
   *
   * @param endNs when the run ended, ns. @default the window's end
   */
  events(endNs: number = this.windowNs): TraceEvent[] {
    const end = Math.min(endNs, this.windowNs);
    const timed = [...this.#events];
    for (let cpu = 0; cpu < this.#cpus; cpu++) {
      if (this.#running[cpu] !== null && this.#since[cpu]! <= end) {
        timed.push(this.#slice(cpu, end));
      }
    }
    // Array.prototype.sort is stable: ties keep the order they happened in.
    timed.sort((a, b) => a.ts! - b.ts!);
    return [...this.#metadata(), ...timed];
  }

  /**
   * The trace as Chrome trace-event JSON, one event per line:
   * `{"traceEvents":[...],"displayTimeUnit":"ns"}`.
   *
   * @param endNs when the run ended, ns (see {@link TraceRecorder.events}).
   */
  toJson(endNs: number = this.windowNs): string {
    const lines = this.events(endNs).map((event) => JSON.stringify(event));
    return `{"traceEvents":[\n${lines.join(",\n")}\n],\n"displayTimeUnit":"ns"}\n`;
  }

  /** The open slice on `cpu`, ending at `end`. */
  #slice(cpu: number, end: number): TraceEvent {
    const thread = this.#running[cpu]!;
    const start = this.#since[cpu]!;
    return {
      name: thread.name,
      cat: this.#class[cpu]!,
      ph: "X",
      ts: start / US,
      dur: (end - start) / US,
      pid: CPU_PID,
      tid: cpu,
      args: { gtid: thread.id, group: thread.group },
    };
  }

  #seeCpu(cpu: number): void {
    if (cpu >= this.#cpus) {
      for (let i = this.#cpus; i <= cpu; i++) this.#running[i] = null;
      this.#cpus = cpu + 1;
    }
  }

  #metadata(): TraceEvent[] {
    const events: TraceEvent[] = [
      metadata("process_name", CPU_PID, 0, { name: "CPUs" }),
      metadata("process_sort_index", CPU_PID, 0, { sort_index: CPU_PID }),
    ];
    for (let cpu = 0; cpu < this.#cpus; cpu++) {
      events.push(metadata("thread_name", CPU_PID, cpu, { name: `CPU ${cpu}` }));
      events.push(metadata("thread_sort_index", CPU_PID, cpu, { sort_index: cpu }));
    }
    const queues = [...this.#queues].sort((a, b) => a - b);
    if (queues.length > 0) {
      const first = QUEUE_TID_BASE + queues[0]!;
      events.push(metadata("process_name", QUEUE_PID, first, { name: "queues" }));
      events.push(metadata("process_sort_index", QUEUE_PID, first, { sort_index: QUEUE_PID }));
    }
    for (const queue of queues) {
      const tid = QUEUE_TID_BASE + queue;
      events.push(metadata("thread_name", QUEUE_PID, tid, { name: `queue ${queue}` }));
      events.push(metadata("thread_sort_index", QUEUE_PID, tid, { sort_index: queue }));
    }
    return events;
  }
}

/**
 * Checks before a run that a trace can be written to `path`: its directory
 * must exist and be writable, and `path` must be a new file, a regular file
 * or a symbolic link to one (the trace is then written through the link).
 *
 * @throws {InputError} when the trace file cannot be written there
 *
 * @example
 * ```ts
 * import { checkTracePath } from "./trace_recorder.ts";
 * const dir = await Deno.makeTempDir();
 * await checkTracePath(`${dir}/run.trace.json`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkTracePath(path: string): Promise<void> {
  const target = await resolveOutputFile(path, { what: "trace" });
  const dir = dirname(target);
  try {
    await Deno.stat(dir);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `directory "${dir}" does not exist`
      : reason(error);
    throw new InputError(`Cannot write trace "${path}": ${why}`);
  }
  await ensureWritableDir(dir);
}

/**
 * Writes a trace (from {@link TraceRecorder.toJson}) to `path` atomically:
 * a reader never sees a half-written file. A symbolic link is written
 * through. Returns its size in bytes.
 *
 * @throws {InputError} when the file cannot be written
 *
 * @example
 * ```ts
 * import { TraceRecorder, writeTrace } from "./trace_recorder.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTrace(`${dir}/empty.json`, new TraceRecorder().toJson());
 * JSON.parse(Deno.readTextFileSync(`${dir}/empty.json`));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTrace(path: string, json: string): Promise<number> {
  const bytes = new TextEncoder().encode(json);
  try {
    await writeFileAtomic(path, bytes, { what: "trace" });
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`Cannot write trace "${path}": ${reason(error)}`);
  }
  return bytes.length;
}

function metadata(
  name: string,
  pid: number,
  tid: number,
  args: Record<string, string | number>,
): TraceEvent {
  return { name, ph: "M", pid, tid, args };
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
