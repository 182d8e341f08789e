// CPython's `random.Random`, ported from the algorithm: the MT19937 Mersenne Twister (Matsumoto & Nishimura),
// seeded from an int through init_by_array as CPython does, plus getrandbits, _randbelow, random, shuffle and
// sample with both of sample's code paths. The leaderboard's document order and few-shot draws depend on it.
import { InvalidArgumentError } from "../common/index.js";

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** A pseudo-random generator that produces exactly the stream of CPython's `random.Random`. */
export class PythonRandom {
  private readonly state = new Uint32Array(N);
  private index = N + 1;

  /** Seeds like `random.Random(seed)` for an int seed (negative seeds use their absolute value, as CPython does). */
  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  /** Re-seeds like `random.seed(int)`: the int's 32-bit words, least significant first, go through init_by_array. */
  seed(seed: number | bigint): void {
    if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
      throw new InvalidArgumentError(`expected an integer seed but got ${seed}`);
    }
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.state;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] as number;
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.state;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] as number;
      const mixed = (mt[i] as number) ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1664525);
      mt[i] = (mixed + (key[j] as number) + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] as number;
      const mixed = (mt[i] as number) ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1566083941);
      mt[i] = (mixed - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1] as number;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** Regenerates the whole state block (the "twist"). */
  private twist(): void {
    const mt = this.state;
    for (let kk = 0; kk < N; kk++) {
      const y = ((mt[kk] as number) & UPPER_MASK) | ((mt[(kk + 1) % N] as number) & LOWER_MASK);
      mt[kk] = ((mt[(kk + M) % N] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
    }
    this.index = 0;
  }

  /** The next 32-bit output (CPython's genrand_uint32), tempered. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.random()`: a float in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  /** `random.getrandbits(k)` for k in 0..32, as a number. */
  getrandbits32(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 32) throw new InvalidArgumentError(`expected 0 <= k <= 32 bits but got ${k}`);
    if (k === 0) return 0;
    return this.nextUint32() >>> (32 - k);
  }

  /** `random.getrandbits(k)` for any k >= 0: 32-bit words least significant first, the last one shifted right. */
  getrandbits(k: number): bigint {
    if (!Number.isInteger(k) || k < 0) throw new InvalidArgumentError(`expected a non-negative bit count but got ${k}`);
    if (k <= 32) return BigInt(this.getrandbits32(k));
    let result = 0n;
    let shift = 0n;
    for (let remaining = k; remaining > 0; remaining -= 32) {
      let word = this.nextUint32();
      if (remaining < 32) word >>>= 32 - remaining;
      result |= BigInt(word) << shift;
      shift += 32n;
    }
    return result;
  }

  /** `random._randbelow(n)` (the getrandbits variant): k = bit length of n; redraw k bits until below n. n >= 1. */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer bound but got ${n}`);
    const k = bitLength(n);
    if (k <= 32) {
      let r = this.getrandbits32(k);
      while (r >= n) r = this.getrandbits32(k);
      return r;
    }
    const bound = BigInt(n);
    let r = this.getrandbits(k);
    while (r >= bound) r = this.getrandbits(k);
    return Number(r);
  }

  /** `random.shuffle(x)` in place: for i from n-1 down to 1, swap x[i] with x[randbelow(i + 1)]. */
  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i >= 1; i--) {
      const j = this.randbelow(i + 1);
      const held = items[i] as T;
      items[i] = items[j] as T;
      items[j] = held;
    }
  }

  /** `random.sample(population, k)`, choosing the pool path or the set path exactly as CPython does. */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    if (!Number.isInteger(k) || k < 0 || k > n) {
      throw new InvalidArgumentError(`expected a sample size between 0 and ${n} but got ${k}`, {
        hint: "the few-shot pool is smaller than the number of shots: lower --num-fewshot or give a larger train split",
      });
    }
    const result: T[] = [];
    if (n <= sampleSetSize(k)) {
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result.push(pool[j] as T);
        pool[j] = pool[n - i - 1] as T;
      }
      return result;
    }
    const selected = new Set<number>();
    for (let i = 0; i < k; i++) {
      let j = this.randbelow(n);
      while (selected.has(j)) j = this.randbelow(n);
      selected.add(j);
      result.push(population[j] as T);
    }
    return result;
  }
}

/** CPython's threshold between sample's two paths: 21, plus 4 ** ceil(log4(3k)) when k > 5. */
export function sampleSetSize(k: number): number {
  let setsize = 21;
  if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
  return setsize;
}

/** Which of CPython's sample code paths `sample(pool of n, k)` takes. */
export function samplePath(n: number, k: number): "pool" | "set" {
  return n <= sampleSetSize(k) ? "pool" : "set";
}

/** Python's int.bit_length() for a non-negative safe integer. */
export function bitLength(n: number): number {
  let bits = 0;
  let value = n;
  while (value >= 4294967296) {
    value = Math.floor(value / 4294967296);
    bits += 32;
  }
  return bits + (value === 0 ? 0 : 32 - Math.clz32(value));
}
