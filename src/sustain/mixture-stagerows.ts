/**
 * The mixture model's StageRows capability (model.ts): its stages differ by one event each, so a
 * subject's exp-row under a sequence is E_0 = exp(constant - ref) and E_k = E_{k-1} exp(d_i(e)) for
 * the event e at position k - 1 (mixture.ts: d = log L_yes - log L_no): one multiply per cell, with
 * the exp(d) columns the prepared data already holds (expDByEvent). The chain runs in WebAssembly
 * (wasm/zkernel.ts eventChain); a subject whose cells leave [1e-280, 1e280] relative to its
 * reference is marked bad, for the caller to compute exactly.
 */
import { Arena } from './arena.js';
import { padded, type StageRows, type StageRowsPlan } from './model.js';
import type { MixData } from './mixture.js';

/** Largest plan (sequences x events) worth making. */
const MAX_PLAN_EVENTS = 32 * 1024 * 1024;

export const mixtureStageRows: StageRows<MixData> = {
  plan(data: MixData, sequences: readonly Int32Array[], maxBlock: number, extraBytes: number): StageRowsPlan | null {
    const N = data.B;
    if (sequences.length * N > MAX_PLAN_EVENTS || N < 1) return null;
    return new MixturePlan(data, sequences, padded(maxBlock), extraBytes);
  },
};

class MixturePlan implements StageRowsPlan {
  readonly arena: Arena;
  private readonly order: Int32Array;
  private readonly cols: Float64Array;
  private readonly base: Float64Array;
  private np = 0;

  constructor(
    private readonly data: MixData,
    sequences: readonly Int32Array[],
    private readonly maxBlock: number,
    extraBytes: number,
  ) {
    const N = data.B;
    const Q = sequences.length;
    this.arena = new Arena(Arena.bytes(Q * N, 4) + Arena.bytes((N + 1) * maxBlock, 8) + extraBytes);
    this.order = this.arena.i32(Q * N);
    sequences.forEach((seq, q) => this.order.set(seq.subarray(0, N), q * N));
    this.cols = this.arena.f64(N * maxBlock);
    this.base = this.arena.f64(maxBlock);
  }

  block(from: number, to: number, ref: Float64Array): void {
    const n = to - from;
    if (n > this.maxBlock || n < 0) throw new Error(`block of ${n} subjects, plan made for ${this.maxBlock}`);
    const np = padded(n);
    this.np = np;
    const { M, B, constant, expDByEvent } = this.data;
    for (let r = 0; r < np; r++) this.base[r] = r < n ? Math.exp(constant[from + r]! - ref[r]!) : 1;
    for (let e = 0; e < B; e++) {
      const o = e * np;
      this.cols.set(expDByEvent.subarray(e * M + from, e * M + to), o);
      for (let r = n; r < np; r++) this.cols[o + r] = 1;
    }
  }

  rows(q: number, E: Float64Array, T: Float64Array, bad: Uint8Array): void {
    const N = this.data.B;
    this.arena.kernels.eventChain(E.byteOffset, T.byteOffset, this.np, N + 1, this.base.byteOffset, this.cols.byteOffset, this.order.byteOffset + 4 * q * N, bad.byteOffset);
  }
}
