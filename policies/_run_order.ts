/**
 * The CPUs that run a preemptive policy's threads, per class, in the order
 * their threads started there: the order in which their slices run out.
 * Each CPU is in at most one list (the class of the thread it runs now), so
 * the index never holds more entries than CPUs and its first entry is
 * always the oldest running thread of the class. Doubly linked lists over
 * CPU numbers in typed arrays, and a bitmap of the classes that hold a CPU
 * (so that a policy visits only those): no allocation per operation.
 *
 * @module
 */

import { ClassSet } from "./_class_set.ts";

/** CPUs by class, oldest start first. */
export class RunOrder {
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  /** Per CPU: the class whose list holds it, or -1. */
  readonly #classOf: Int32Array;
  readonly #head: Int32Array;
  readonly #tail: Int32Array;
  readonly #size: Int32Array;
  /** The classes whose list is not empty. */
  readonly #busy: ClassSet;

  /** Creates empty lists for `cpus` CPUs and `classes` classes. */
  constructor(cpus: number, classes = 1) {
    if (!(Number.isSafeInteger(cpus) && cpus >= 0)) {
      throw new RangeError(`Run order CPUs out of range: ${cpus}`);
    }
    if (!(Number.isSafeInteger(classes) && classes > 0)) {
      throw new RangeError(`Run order classes out of range: ${classes}`);
    }
    this.#next = new Int32Array(cpus).fill(-1);
    this.#prev = new Int32Array(cpus).fill(-1);
    this.#classOf = new Int32Array(cpus).fill(-1);
    this.#head = new Int32Array(classes).fill(-1);
    this.#tail = new Int32Array(classes).fill(-1);
    this.#size = new Int32Array(classes);
    this.#busy = new ClassSet(classes);
  }

  /** Number of CPUs in class `cls`. */
  size(cls: number): number {
    return this.#size[cls] ?? 0;
  }

  /** The class whose list holds `cpu`, or -1. */
  classOf(cpu: number): number {
    return this.#classOf[cpu] ?? -1;
  }

  /** The CPU whose thread of class `cls` started first, or -1. */
  first(cls: number): number {
    return this.#head[cls] ?? -1;
  }

  /**
   * The largest class below `limit` that holds a CPU, or -1: from
   * `classBelow(Infinity)` on, it visits the non-empty classes from the
   * largest number down.
   */
  classBelow(limit: number): number {
    return this.#busy.highestBelow(limit);
  }

  /** The CPU after `cpu` in its class (its thread started later), or -1. */
  after(cpu: number): number {
    return this.#next[cpu] ?? -1;
  }

  /** A thread of class `cls` starts on `cpu` now: the CPU goes last in that class. */
  start(cpu: number, cls: number): void {
    if (!(cls >= 0 && cls < this.#head.length)) {
      throw new RangeError(`Run order class out of range: ${cls}`);
    }
    this.stop(cpu);
    const tail = this.#tail[cls]!;
    this.#prev[cpu] = tail;
    this.#next[cpu] = -1;
    if (tail >= 0) this.#next[tail] = cpu;
    else this.#head[cls] = cpu;
    this.#tail[cls] = cpu;
    this.#classOf[cpu] = cls;
    this.#size[cls]!++;
    this.#busy.add(cls);
  }

  /** `cpu` runs none of the policy's threads any more: out of its list. */
  stop(cpu: number): void {
    if (!(cpu >= 0 && cpu < this.#classOf.length)) {
      throw new RangeError(`Run order CPU out of range: ${cpu}`);
    }
    const cls = this.#classOf[cpu]!;
    if (cls < 0) return;
    const prev = this.#prev[cpu]!;
    const next = this.#next[cpu]!;
    if (prev >= 0) this.#next[prev] = next;
    else this.#head[cls] = next;
    if (next >= 0) this.#prev[next] = prev;
    else this.#tail[cls] = prev;
    this.#prev[cpu] = -1;
    this.#next[cpu] = -1;
    this.#classOf[cpu] = -1;
    if (--this.#size[cls]! === 0) this.#busy.delete(cls);
  }
}
