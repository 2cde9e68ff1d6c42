/**
 * Assignment accumulated block by block of subjects (for models with the StageRows capability,
 * model.ts): each block of BLOCK subjects goes through every posterior sample while its exp-rows,
 * totals and joint sums stay in the CPU cache, and the model fills the rows of each distinct
 * sequence without an exp per cell (e.g. zscore-stagerows.ts). The per-sample sums are
 * staging.ts's: joint[i, s, k] += w f_s E_s[i, k] / sum_t f_t T_t[i] (and pySuStaIn's table without
 * the fractions). Every subject's numbers depend only on its own row and the samples, in the same
 * order: the same result whatever the blocks or threads.
 */
import { padded, type ModelData, type ProgressionModel } from './model.js';
import { Arena } from './arena.js';

/** Subjects per block: a block's rows (K x stages x BLOCK) and sums stay in the L2 cache. */
export const BLOCK = 128;

/** A distinct posterior sample: its sequences, fractions and count (staging.ts's Distinct). */
interface Sample {
  sequences: number[][];
  fractions: number[];
  count: number;
}

/**
 * Add every sample's joint stage-and-subtype probabilities (weighted by count / total) into
 * joint[(i * K + s) * S + k], and pySuStaIn's (no fractions) into stageJoint when given. Returns
 * false (nothing added) when the model has no StageRows plan for these samples.
 */
export function accumulateBlocked<D extends ModelData>(zm: ProgressionModel<D>, data: D, list: readonly Sample[], total: number, joint: Float64Array, stageJoint: Float64Array | null): boolean {
  if (zm.stageRows === undefined || list.length === 0) return false;
  const K = list[0]!.sequences.length;
  const S = zm.nStages;
  const M = data.M;
  // distinct sequences over samples and subtypes, scored once per block
  const seqIndex = new Map<string, number>();
  const seqs: Int32Array[] = [];
  const which = new Int32Array(list.length * K);
  list.forEach((d, j) =>
    d.sequences.forEach((seq, s) => {
      const key = seq.join(',');
      let q = seqIndex.get(key);
      if (q === undefined) {
        q = seqs.length;
        seqIndex.set(key, q);
        seqs.push(Int32Array.from(seq));
      }
      which[j * K + s] = q;
    }),
  );
  const W = padded(BLOCK);
  const py = stageJoint !== null;
  // the rows, totals and sums live in the plan's WebAssembly memory (the kernels run on them)
  const bytes = K * (Arena.bytes(S * W, 8) + Arena.bytes(W, 8)) + (py ? 2 : 1) * Arena.bytes(K * S * W, 8) + Arena.bytes(K * W, 8) + 2 * Arena.bytes(W, 8) + Arena.bytes(W, 1);
  const plan = zm.stageRows.plan(data, seqs, BLOCK, bytes);
  if (plan === null) return false;
  const arena = plan.arena;
  const E = Array.from({ length: K }, () => arena.f64(S * W));
  const T = Array.from({ length: K }, () => arena.f64(W));
  const J = arena.f64(K * S * W);
  const J0 = py ? arena.f64(K * S * W) : null;
  const c = arena.f64(K * W);
  const c0 = arena.f64(W);
  const ref = arena.f64(W);
  const bad = arena.u8(W);
  const exact = new ExactRows(zm, data, seqs, K);
  const kernels = arena.kernels;
  for (let from = 0; from < M; from += BLOCK) {
    const to = Math.min(M, from + BLOCK);
    const n = to - from;
    const np = padded(n);
    for (let r = 0; r < n; r++) ref[r] = exact.reference(from + r, which.subarray(0, K));
    plan.block(from, to, ref);
    J.fill(0);
    J0?.fill(0);
    c.fill(0);
    c0.fill(0);
    list.forEach((d, j) => {
      const w = d.count / total;
      const f = d.fractions;
      bad.fill(0);
      for (let s = 0; s < K; s++) plan.rows(which[j * K + s]!, E[s]!, T[s]!, bad);
      for (let r = 0; r < n; r++) {
        let q = 0;
        let q0 = 0;
        for (let s = 0; s < K; s++) q += f[s]! * T[s]![r]!;
        if (J0) for (let s = 0; s < K; s++) q0 += T[s]![r]!;
        if (bad[r] === 1 || !(q > 0 && q < Infinity) || (J0 && !(q0 > 0 && q0 < Infinity))) {
          // this subject's chain left its accurate range: its rows exactly, centred on their own maximum
          exact.rows(from + r, which.subarray(j * K, j * K + K), E, T, r, np);
          q = 0;
          q0 = 0;
          for (let s = 0; s < K; s++) q += f[s]! * T[s]![r]!;
          if (J0) for (let s = 0; s < K; s++) q0 += T[s]![r]!;
        }
        for (let s = 0; s < K; s++) c[s * np + r] = (w * f[s]!) / q;
        if (J0) c0[r] = w / q0;
      }
      for (let s = 0; s < K; s++) {
        if (f[s] === 0) continue;
        kernels.accumulate(J.byteOffset + 8 * s * S * np, E[s]!.byteOffset, c.byteOffset + 8 * s * np, S, np);
      }
      if (J0) for (let s = 0; s < K; s++) kernels.accumulate(J0.byteOffset + 8 * s * S * np, E[s]!.byteOffset, c0.byteOffset, S, np);
    });
    for (let r = 0; r < n; r++) {
      const i = from + r;
      for (let s = 0; s < K; s++) {
        const o = (i * K + s) * S;
        for (let k = 0; k < S; k++) {
          joint[o + k] = J[(s * S + k) * np + r]!;
          if (J0) stageJoint![o + k] = J0[(s * S + k) * np + r]!;
        }
      }
    }
  }
  return true;
}

/** Exact rows of single subjects (from the templates, Math.exp): the reference and the fallback. */
class ExactRows<D extends ModelData> {
  private readonly tmpl: Float64Array;
  private readonly L: Float64Array;

  constructor(
    private readonly zm: ProgressionModel<D>,
    private readonly data: D,
    private readonly seqs: Int32Array[],
    private readonly K: number,
  ) {
    this.tmpl = new Float64Array(zm.nStages * zm.nFeatures);
    this.L = new Float64Array(K * zm.nStages);
  }

  private fill(i: number, qs: Int32Array): void {
    const S = this.zm.nStages;
    for (let s = 0; s < this.K; s++) {
      this.zm.template(this.seqs[qs[s]!]!, this.tmpl);
      this.zm.fillRow(this.data, this.tmpl, i, this.L, s * S);
    }
  }

  /** Subject i's largest stage log-likelihood under the sequences qs (one per subtype). */
  reference(i: number, qs: Int32Array): number {
    this.fill(i, qs);
    let mx = -Infinity;
    for (let q = 0; q < this.L.length; q++) if (this.L[q]! > mx) mx = this.L[q]!;
    return Number.isFinite(mx) ? mx : 0;
  }

  /** Subject i's exp-rows under the sequences qs into column r of E (blocks of n), relative to its best cell. */
  rows(i: number, qs: Int32Array, E: Float64Array[], T: Float64Array[], r: number, n: number): void {
    const S = this.zm.nStages;
    const L = this.L;
    this.fill(i, qs);
    let mx = -Infinity;
    for (let q = 0; q < L.length; q++) if (L[q]! > mx) mx = L[q]!;
    for (let s = 0; s < this.K; s++) {
      let t = 0;
      for (let k = 0; k < S; k++) {
        const e = Math.exp(L[s * S + k]! - mx);
        E[s]![k * n + r] = e;
        t += e;
      }
      T[s]![r] = t;
    }
  }
}
