/**
 * A min-heap of thread ids keyed by deadline, equal deadlines in insertion
 * order (first in, first out), with removal of any member: the run queue of
 * an earliest-deadline-first policy. Each member's position is indexed, so
 * that a push, a pop and a removal cost O(log n).
 *
 * @module
 */

/** Thread ids by earliest deadline, then earliest insertion. */
export class DeadlineHeap {
  readonly #gtids: number[] = [];
  readonly #deadlines: number[] = [];
  readonly #seqs: number[] = [];
  readonly #position = new Map<number, number>();
  #seq = 0;

  /** Number of members. */
  get size(): number {
    return this.#gtids.length;
  }

  /** Whether `gtid` is a member. */
  has(gtid: number): boolean {
    return this.#position.has(gtid);
  }

  /** The earliest deadline, or Infinity when empty. */
  get minDeadline(): number {
    return this.#deadlines[0] ?? Infinity;
  }

  /** Adds `gtid` with `deadline` (ns; Infinity: none, after every deadline). */
  push(gtid: number, deadline: number): void {
    if (this.#position.has(gtid)) throw new RangeError(`Thread ${gtid} is already queued`);
    if (Number.isNaN(deadline)) throw new RangeError(`Invalid deadline of thread ${gtid}: NaN`);
    const at = this.#gtids.length;
    this.#gtids.push(gtid);
    this.#deadlines.push(deadline);
    this.#seqs.push(this.#seq++);
    this.#position.set(gtid, at);
    this.#up(at);
  }

  /** Removes and returns the member with the earliest deadline; throws when empty. */
  pop(): number {
    const gtid = this.#gtids[0];
    if (gtid === undefined) throw new RangeError("Pop from an empty deadline heap");
    this.#removeAt(0);
    return gtid;
  }

  /** Removes `gtid`; false if it is not a member. */
  remove(gtid: number): boolean {
    const at = this.#position.get(gtid);
    if (at === undefined) return false;
    this.#removeAt(at);
    return true;
  }

  #removeAt(at: number): void {
    const last = this.#gtids.length - 1;
    this.#position.delete(this.#gtids[at]!);
    if (at !== last) {
      this.#move(last, at);
      this.#dropLast();
      if (!this.#up(at)) this.#down(at);
    } else {
      this.#dropLast();
    }
  }

  #dropLast(): void {
    this.#gtids.pop();
    this.#deadlines.pop();
    this.#seqs.pop();
  }

  /** Whether the member at `i` goes before the one at `j`. */
  #before(i: number, j: number): boolean {
    const a = this.#deadlines[i]!;
    const b = this.#deadlines[j]!;
    return a < b || (a === b && this.#seqs[i]! < this.#seqs[j]!);
  }

  /** Copies the member at `from` into slot `to`. */
  #move(from: number, to: number): void {
    const gtid = this.#gtids[from]!;
    this.#gtids[to] = gtid;
    this.#deadlines[to] = this.#deadlines[from]!;
    this.#seqs[to] = this.#seqs[from]!;
    this.#position.set(gtid, to);
  }

  #swap(i: number, j: number): void {
    const gtid = this.#gtids[i]!;
    const deadline = this.#deadlines[i]!;
    const seq = this.#seqs[i]!;
    this.#move(j, i);
    this.#gtids[j] = gtid;
    this.#deadlines[j] = deadline;
    this.#seqs[j] = seq;
    this.#position.set(gtid, j);
  }

  /** Sifts the member at `at` up; whether it moved. */
  #up(at: number): boolean {
    let i = at;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
    return i !== at;
  }

  #down(at: number): void {
    const n = this.#gtids.length;
    let i = at;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.#before(right, left) ? right : left;
      if (!this.#before(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }
}
