/**
 * A ghOSt message queue: a bounded ring of kernel-to-agent messages in typed
 * arrays. The capacity is a power of two of at most 65536 slots; the ring
 * starts at 64 slots and doubles as its backlog needs, so that memory
 * follows the deepest backlog, not the capacity. A full ring
 * drops the message and counts an overflow, which the run reports (the real
 * library aborts: an overflow must never pass silently). It models
 * ghost-kernel's `ghost_queue` ring of `ghost_msg` headers and payloads,
 * written by `_produce` in kernel/sched/ghost.c.
 *
 * @module
 */

import { MSG_NAMES } from "./ghost_abi.ts";

/** Message flag: the thread was runnable (TASK_NEW). */
export const MSG_FLAG_RUNNABLE = 1;
/** Message flag: the wakeup may be deferred (TASK_WAKEUP). */
export const MSG_FLAG_DEFERRABLE = 2;
/** Message flag: the thread was latched, not yet running (TASK_PREEMPT). */
export const MSG_FLAG_WAS_LATCHED = 4;
/** Message flag: the thread was running when it departed (TASK_DEPARTED). */
export const MSG_FLAG_WAS_CURRENT = 8;
/** Message flag: a higher class preempted it, not the agent (TASK_PREEMPT). */
export const MSG_FLAG_BY_KERNEL = 16;
/**
 * Message flag: the thread runs on (or is latched to) CPU `msg.cpu` right
 * now. Set on the TASK_NEW an agent synthesizes when it discovers the
 * threads of a live enclave (upgrade, restart, hot-swap): the policy records
 * it as on that CPU instead of queueing it.
 */
export const MSG_FLAG_ON_CPU = 32;

/** Slots a queue allocates at first; it doubles them as its backlog needs, up to its capacity. */
const INITIAL_SLOTS = 64;

/** One message as read from a queue. A queue reuses one object for reads. */
export interface Message {
  /** Message type (see MSG). */
  type: number;
  /** Thread id for task messages, else -1. */
  gtid: number;
  /** Sequence number: the task barrier (task messages) or agent barrier (CPU messages). */
  seqnum: number;
  /** CPU the message is about (where it ran, or the CPU of a CPU message), or -1. */
  cpu: number;
  /** Thread runtime in ns (task messages). */
  runtime: number;
  /** Flags (MSG_FLAG_*). */
  flags: number;
  /** Virtual time the kernel produced it, ns. */
  time: number;
  /** Extra field: waker CPU (TASK_WAKEUP), nice (TASK_NEW), else -1. */
  aux: number;
}

/** Options of a message queue. */
export interface MessageQueueOptions {
  /** Number of slots, a power of two up to 65536. @default 65536 */
  capacity?: number;
}

/** A bounded ring of messages. */
export class MessageQueue {
  /** Queue id within its enclave. */
  readonly id: number;
  /** Ring size. */
  readonly capacity: number;
  /** Messages dropped because the ring was full. */
  overflows = 0;
  /** Messages ever produced into the queue (dropped ones excluded). */
  produced = 0;
  /** CPUs whose agents are woken on every new message (CONFIG_QUEUE_WAKEUP); empty: polled. */
  wakeupCpus: number[] = [];
  /** Called after a message is produced (the enclave wakes or pokes the agent). */
  onProduce: ((queue: MessageQueue) => void) | null = null;

  // The ring as allocated so far: it starts small and doubles when full, up
  // to `capacity`, so that memory follows the deepest backlog, not the bound.
  #mask: number;
  #type: Int8Array;
  #gtid: Float64Array;
  #seq: Float64Array;
  #cpu: Int32Array;
  #runtime: Float64Array;
  #flags: Int32Array;
  #time: Float64Array;
  #aux: Int32Array;
  #head = 0;
  #tail = 0;
  readonly #view: Message = {
    type: 0,
    gtid: -1,
    seqnum: 0,
    cpu: -1,
    runtime: 0,
    flags: 0,
    time: 0,
    aux: -1,
  };

  /**
   * Creates an empty queue.
   *
   * @example
   * ```ts
   * import { type Message, MessageQueue } from "./message_queue.ts";
   * import { MSG } from "./ghost_abi.ts";
   * const queue = new MessageQueue(0, { capacity: 2 });
   * const message: Message = {
   *   type: MSG.TASK_NEW, gtid: 7, seqnum: 1, cpu: -1, runtime: 0, flags: 0, time: 0, aux: 0,
   * };
   * queue.produce(message);
   * message.type = MSG.TASK_BLOCKED;
   * message.seqnum = 2;
   * queue.produce(message);
   * message.type = MSG.TASK_WAKEUP;
   * message.seqnum = 3;
   * queue.produce(message); // full: dropped
   * if (queue.overflows !== 1 || queue.peek()!.type !== MSG.TASK_NEW) throw new Error("wrong");
   * ```
   */
  constructor(id: number, options: MessageQueueOptions = {}) {
    const capacity = options.capacity ?? 65536;
    if (
      !Number.isInteger(capacity) || capacity < 1 || capacity > 65536 ||
      (capacity & (capacity - 1)) !== 0
    ) {
      throw new RangeError(`Queue capacity must be a power of two up to 65536: got ${capacity}`);
    }
    this.id = id;
    this.capacity = capacity;
    const size = Math.min(capacity, INITIAL_SLOTS);
    this.#mask = size - 1;
    this.#type = new Int8Array(size);
    this.#gtid = new Float64Array(size);
    this.#seq = new Float64Array(size);
    this.#cpu = new Int32Array(size);
    this.#runtime = new Float64Array(size);
    this.#flags = new Int32Array(size);
    this.#time = new Float64Array(size);
    this.#aux = new Int32Array(size);
  }

  /** Number of unread messages. */
  get size(): number {
    return this.#tail - this.#head;
  }

  /**
   * Appends a copy of a message; returns false (and counts an overflow)
   * when the ring is full. The caller may reuse the object.
   */
  produce(message: Readonly<Message>): boolean {
    const size = this.#tail - this.#head;
    if (size > this.#mask) {
      if (size >= this.capacity) {
        this.overflows++;
        return false;
      }
      this.#grow();
    }
    const slot = this.#tail & this.#mask;
    this.#type[slot] = message.type;
    this.#gtid[slot] = message.gtid;
    this.#seq[slot] = message.seqnum;
    this.#cpu[slot] = message.cpu;
    this.#runtime[slot] = message.runtime;
    this.#flags[slot] = message.flags;
    this.#time[slot] = message.time;
    this.#aux[slot] = message.aux;
    this.#tail++;
    this.produced++;
    this.onProduce?.(this);
    return true;
  }

  /** The oldest unread message, or null. The returned object is reused. */
  peek(): Message | null {
    if (this.#tail === this.#head) return null;
    const slot = this.#head & this.#mask;
    const view = this.#view;
    view.type = this.#type[slot]!;
    view.gtid = this.#gtid[slot]!;
    view.seqnum = this.#seq[slot]!;
    view.cpu = this.#cpu[slot]!;
    view.runtime = this.#runtime[slot]!;
    view.flags = this.#flags[slot]!;
    view.time = this.#time[slot]!;
    view.aux = this.#aux[slot]!;
    return view;
  }

  /** The CPU of the i-th unread message (0: the oldest), or -1 past the last. */
  cpuAt(i: number): number {
    if (i < 0 || i >= this.#tail - this.#head) return -1;
    return this.#cpu[(this.#head + i) & this.#mask]!;
  }

  /** Consumes the oldest message. */
  pop(): void {
    if (this.#tail === this.#head) throw new Error(`Pop from empty message queue ${this.id}`);
    this.#head++;
  }

  /** Doubles the allocated ring (it is full), unrolling it to start at slot 0. */
  #grow(): void {
    const old = this.#mask + 1;
    const head = this.#head;
    const mask = this.#mask;
    const unroll = <A extends Int8Array | Int32Array | Float64Array>(from: A, to: A): A => {
      for (let i = 0; i < old; i++) to[i] = from[(head + i) & mask]!;
      return to;
    };
    this.#type = unroll(this.#type, new Int8Array(2 * old));
    this.#gtid = unroll(this.#gtid, new Float64Array(2 * old));
    this.#seq = unroll(this.#seq, new Float64Array(2 * old));
    this.#cpu = unroll(this.#cpu, new Int32Array(2 * old));
    this.#runtime = unroll(this.#runtime, new Float64Array(2 * old));
    this.#flags = unroll(this.#flags, new Int32Array(2 * old));
    this.#time = unroll(this.#time, new Float64Array(2 * old));
    this.#aux = unroll(this.#aux, new Int32Array(2 * old));
    this.#head = 0;
    this.#tail = old;
    this.#mask = 2 * old - 1;
  }

  /** A readable form of a message, for errors. */
  static describe(message: Message): string {
    return `${
      MSG_NAMES[message.type] ?? message.type
    }(gtid ${message.gtid}, seq ${message.seqnum})`;
  }
}
