import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
type JumpableRandomGenerator = ReturnType<typeof xoroshiro128plus>;

/**
 * The one seeded random source of the project (never Math.random). xoroshiro128+ from pure-rand,
 * with jump() to give independent streams: stream i of a seed is the generator jumped i+1 times,
 * so work split over threads draws exactly what one thread would have drawn for the same unit.
 */
export class Rng {
  private g: JumpableRandomGenerator;
  private spareNormal = NaN;

  private constructor(g: JumpableRandomGenerator) {
    this.g = g;
  }

  static fromSeed(seed: number): Rng {
    if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    // pure-rand takes a 32-bit seed; fold larger seeds so 2^32+1 and 1 differ.
    const folded = (seed | 0) ^ Math.floor(seed / 4294967296);
    return new Rng(xoroshiro128plus(folded));
  }

  /** Independent child stream `index` (0-based) of this generator's current state; this one is unchanged. */
  stream(index: number): Rng {
    const c = this.g.clone();
    for (let i = 0; i <= index; i++) c.jump();
    return new Rng(c);
  }

  /** `count` independent child streams, derived deterministically from the current state. */
  streams(count: number): Rng[] {
    const out: Rng[] = [];
    const c = this.g.clone();
    for (let i = 0; i < count; i++) {
      c.jump();
      out.push(new Rng(c.clone()));
    }
    return out;
  }

  /** A new seed drawn from this stream (for handing to a worker as plain data). */
  nextSeed(): number {
    return this.g.next() >>> 0;
  }

  /** Plain-data state, so a worker can continue exactly this stream (a cached normal deviate, when there is one, as a fifth number). */
  state(): number[] {
    const s = [...this.g.getState()];
    return Number.isNaN(this.spareNormal) ? s : [...s, this.spareNormal];
  }

  static fromState(state: readonly number[]): Rng {
    const r = new Rng(xoroshiro128plusFromState(state.slice(0, 4)));
    if (state.length > 4) r.spareNormal = state[4]!;
    return r;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = (this.g.next() >>> 0) >>> 5; // 27 bits
    const lo = (this.g.next() >>> 0) >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal deviate (Marsaglia polar method, pairs cached). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * m;
    return u * m;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates), into `out` when given (no allocation in hot loops). */
  permutation(n: number, out?: Int32Array): Int32Array {
    const p = out ?? new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
