/**
 * Deterministic seeded random numbers, one independent stream per named
 * component (common random numbers): adding a stream never shifts the draws
 * of another, so every policy sees the same arrivals for a given seed.
 *
 * The generator is xoshiro128** (32-bit operations with `Math.imul`), seeded
 * by splitmix32 from an FNV-1a hash of the seed and the stream name.
 *
 * @module
 */

const TWO_POW_32 = 4_294_967_296;
const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * One deterministic stream of random numbers (xoshiro128**). Create streams
 * with {@linkcode RandomStreams.stream} rather than directly.
 *
 * @example
 * ```ts
 * import { RandomStreams } from "./random.ts";
 *
 * const rng = new RandomStreams(42).stream("arrivals");
 * const u = rng.next();
 * if (!(u >= 0 && u < 1)) throw new Error("out of range");
 * const again = new RandomStreams(42).stream("arrivals").next();
 * if (again !== u) throw new Error("not deterministic");
 * ```
 */
export class RandomStream {
  /** Name the stream was created with. */
  readonly name: string;
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  #spare = 0;
  #hasSpare = false;

  /** Creates the stream for `(seed, name)`; the seed must be a safe integer. */
  constructor(seed: number, name: string) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Invalid seed ${seed}: expected a safe integer`);
    }
    this.name = name;
    // FNV-1a over the 8 little-endian bytes of the seed, then the name's
    // UTF-16 code units (two bytes each).
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    let hash = FNV_OFFSET;
    for (let i = 0; i < 4; i++) hash = Math.imul(hash ^ ((low >>> (8 * i)) & 0xff), FNV_PRIME);
    for (let i = 0; i < 4; i++) hash = Math.imul(hash ^ ((high >>> (8 * i)) & 0xff), FNV_PRIME);
    for (let i = 0; i < name.length; i++) {
      const unit = name.charCodeAt(i);
      hash = Math.imul(hash ^ (unit & 0xff), FNV_PRIME);
      hash = Math.imul(hash ^ (unit >>> 8), FNV_PRIME);
    }
    // splitmix32 expands the 32-bit hash into the 128-bit state.
    let state = hash | 0;
    state = (state + 0x9e3779b9) | 0;
    this.#s0 = mix32(state);
    state = (state + 0x9e3779b9) | 0;
    this.#s1 = mix32(state);
    state = (state + 0x9e3779b9) | 0;
    this.#s2 = mix32(state);
    state = (state + 0x9e3779b9) | 0;
    this.#s3 = mix32(state);
    // xoshiro's only bad state is all zeros.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    let s2 = this.#s2;
    let s3 = this.#s3;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.#s1 = s1 ^ s2;
    this.#s0 = s0 ^ s3;
    this.#s2 = s2 ^ t;
    this.#s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /** A uniform integer in [0, n), without bias; `n` is an integer in [1, 2^32]. */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Invalid bound ${n}: expected an integer in [1, 2^32]`);
    }
    // Reject the top partial block of [0, 2^32) so each residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % n;
  }

  /** An exponentially distributed number with the given mean (>= 0). */
  exponential(mean: number): number {
    if (!(mean >= 0 && mean < Infinity)) {
      throw new RangeError(`Invalid mean ${mean}: expected a finite number >= 0`);
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    return -mean * Math.log(1 - this.next());
  }

  /** A standard normal number (Box–Muller; every other call uses the cached spare). */
  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.#spare = radius * Math.sin(angle);
    this.#hasSpare = true;
    return radius * Math.cos(angle);
  }
}

/**
 * The named random streams of one run. The same name always gives the same
 * stream object; different names give independent streams.
 *
 * @example
 * ```ts
 * import { RandomStreams } from "./random.ts";
 *
 * const streams = new RandomStreams(1);
 * const arrivals = streams.stream("arrivals");
 * if (streams.stream("arrivals") !== arrivals) throw new Error("not cached");
 * const service = streams.stream("service").exponential(20_000);
 * if (!(service >= 0)) throw new Error("negative");
 * ```
 */
export class RandomStreams {
  /** Seed the streams derive from. */
  readonly seed: number;
  #streams = new Map<string, RandomStream>();

  /** Creates the streams for a seed (a safe integer). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Invalid seed ${seed}: expected a safe integer`);
    }
    this.seed = seed;
  }

  /** The stream for `name`, created on first use. */
  stream(name: string): RandomStream {
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      stream = new RandomStream(this.seed, name);
      this.#streams.set(name, stream);
    }
    return stream;
  }
}

/** The splitmix32 / murmur3 finaliser: a bijective 32-bit mix, unsigned result. */
function mix32(value: number): number {
  let z = value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
