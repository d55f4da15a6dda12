/**
 * A FIFO of pending requests in typed arrays (arrival time, service time,
 * type), growing by doubling: no allocation per request.
 *
 * @module
 */

/** A FIFO ring of requests. */
export class RequestQueue {
  #arrival: Float64Array;
  #service: Float64Array;
  #type: Int32Array;
  #received: Float64Array;
  #head = 0;
  #size = 0;
  /** Arrival time of the request last shifted, ns. */
  arrival = 0;
  /** Service time of the request last shifted, ns. */
  service = 0;
  /** Type index of the request last shifted. */
  type = 0;
  /** When the server received the request last shifted, ns. */
  received = 0;

  /** Creates an empty queue. */
  constructor(capacity = 1024) {
    this.#arrival = new Float64Array(capacity);
    this.#service = new Float64Array(capacity);
    this.#type = new Int32Array(capacity);
    this.#received = new Float64Array(capacity);
  }

  /** Number of queued requests. */
  get size(): number {
    return this.#size;
  }

  /** Appends a request (received, by default, on arrival). */
  push(arrival: number, service: number, type: number, received: number = arrival): void {
    if (this.#size === this.#arrival.length) this.#grow();
    const slot = (this.#head + this.#size) % this.#arrival.length;
    this.#arrival[slot] = arrival;
    this.#service[slot] = service;
    this.#type[slot] = type;
    this.#received[slot] = received;
    this.#size++;
  }

  /** Drops every queued request; returns how many there were. */
  clear(): number {
    const dropped = this.#size;
    this.#head = 0;
    this.#size = 0;
    return dropped;
  }

  /** Removes the oldest request into `arrival`, `service`, `type`; false if empty. */
  shift(): boolean {
    if (this.#size === 0) return false;
    const slot = this.#head;
    this.arrival = this.#arrival[slot]!;
    this.service = this.#service[slot]!;
    this.type = this.#type[slot]!;
    this.received = this.#received[slot]!;
    this.#head = (slot + 1) % this.#arrival.length;
    this.#size--;
    return true;
  }

  #grow(): void {
    const capacity = this.#arrival.length * 2;
    const arrival = new Float64Array(capacity);
    const service = new Float64Array(capacity);
    const type = new Int32Array(capacity);
    const received = new Float64Array(capacity);
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) % this.#arrival.length;
      arrival[i] = this.#arrival[slot]!;
      service[i] = this.#service[slot]!;
      type[i] = this.#type[slot]!;
      received[i] = this.#received[slot]!;
    }
    this.#arrival = arrival;
    this.#service = service;
    this.#type = type;
    this.#received = received;
    this.#head = 0;
  }
}
