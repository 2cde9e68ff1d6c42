/**
 * Assignment (and the per-sample subject log-likelihoods of CV) block by block of subjects, for
 * models with the StageRows capability (model.ts): each block of BLOCK subjects goes through every
 * posterior sample while its exp-rows, totals and sums stay in the CPU cache, and the model fills
 * the rows of each distinct sequence without an exp per cell (zscore-stagerows.ts,
 * mixture-stagerows.ts). The per-sample sums are staging.ts's: joint[i, s, k] += w f_s E_s[i, k] /
 * sum_t f_t T_t[i] (and pySuStaIn's table without the fractions); log p(x_i) = scale_i +
 * log(sum_s f_s T_s[i]). Every subject's numbers depend only on its own row and the samples, in the
 * same order: the same result whatever the blocks or threads.
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

/** One sample's rows for a block of subjects, as the walk hands them over. */
interface BlockSample {
  /** first subject, subjects, stride of the rows (padded) */
  from: number;
  n: number;
  np: number;
  /** per subtype: E[k * np + r] and the row totals T[r], relative to the subject's scale */
  E: Float64Array[];
  T: Float64Array[];
  /** per subject: q = sum_s f_s T_s, q0 = sum_s T_s (both in (0, inf)), and the log of its rows' scale */
  q: Float64Array;
  q0: Float64Array;
  scale: Float64Array;
}

/**
 * Every distinct sample's rows for blocks of BLOCK subjects (the model's StageRows plan; a subject
 * whose rows left their accurate range, or whose totals did, recomputed exactly on its own scale).
 * `extra` bytes of the plan's arena are left for the caller, who allocates from `arena` in onStart.
 * Returns false (nothing called) when the model has no StageRows plan for these samples.
 */
function walkBlocks<D extends ModelData, X extends Sample>(
  zm: ProgressionModel<D>,
  data: D,
  list: readonly X[],
  extra: (K: number, S: number, W: number) => number,
  on: { start(arena: Arena, K: number, S: number, W: number): void; block?(from: number, n: number, np: number): void; sample(d: X, b: BlockSample): void; end?(b: BlockSample): void },
): boolean {
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
  // the rows live in the plan's WebAssembly memory (the kernels run on them)
  const bytes = K * (Arena.bytes(S * W, 8) + Arena.bytes(W, 8)) + 4 * Arena.bytes(W, 8) + Arena.bytes(W, 1) + extra(K, S, W);
  const plan = zm.stageRows.plan(data, seqs, BLOCK, bytes);
  if (plan === null) return false;
  const arena = plan.arena;
  const b: BlockSample = {
    from: 0,
    n: 0,
    np: 0,
    E: Array.from({ length: K }, () => arena.f64(S * W)),
    T: Array.from({ length: K }, () => arena.f64(W)),
    q: arena.f64(W),
    q0: arena.f64(W),
    scale: arena.f64(W),
  };
  const ref = arena.f64(W);
  const bad = arena.u8(W);
  on.start(arena, K, S, W);
  const exact = new ExactRows(zm, data, seqs, K);
  const { E, T, q, q0, scale } = b;
  for (let from = 0; from < M; from += BLOCK) {
    const to = Math.min(M, from + BLOCK);
    const n = to - from;
    b.from = from;
    b.n = n;
    b.np = padded(n);
    for (let r = 0; r < n; r++) ref[r] = exact.reference(from + r, which.subarray(0, K));
    plan.block(from, to, ref);
    on.block?.(from, n, b.np);
    list.forEach((d, j) => {
      const f = d.fractions;
      bad.fill(0);
      for (let s = 0; s < K; s++) plan.rows(which[j * K + s]!, E[s]!, T[s]!, bad);
      for (let r = 0; r < n; r++) {
        let a = 0;
        let a0 = 0;
        for (let s = 0; s < K; s++) a += f[s]! * T[s]![r]!;
        for (let s = 0; s < K; s++) a0 += T[s]![r]!;
        scale[r] = ref[r]!;
        if (bad[r] === 1 || !(a > 0 && a < Infinity) || !(a0 > 0 && a0 < Infinity)) {
          // this subject's chain left its accurate range: its rows exactly, centred on their own maximum
          scale[r] = exact.rows(from + r, which.subarray(j * K, j * K + K), E, T, r, b.np);
          a = 0;
          a0 = 0;
          for (let s = 0; s < K; s++) a += f[s]! * T[s]![r]!;
          for (let s = 0; s < K; s++) a0 += T[s]![r]!;
        }
        q[r] = a;
        q0[r] = a0;
      }
      on.sample(d, b);
    });
    on.end?.(b);
  }
  return true;
}

/**
 * Add every sample's joint stage-and-subtype probabilities (weighted by count / total) into
 * joint[(i * K + s) * S + k], and pySuStaIn's (no fractions) into stageJoint when given. Returns
 * false (nothing added) when the model has no StageRows plan for these samples.
 */
export function accumulateBlocked<D extends ModelData>(
  zm: ProgressionModel<D>,
  data: D,
  list: readonly Sample[],
  total: number,
  joint: Float64Array,
  stageJoint: Float64Array | null,
): boolean {
  const py = stageJoint !== null;
  let J: Float64Array = new Float64Array(0);
  let J0: Float64Array | null = null;
  let c: Float64Array = J;
  let c0: Float64Array = J;
  let kernels: Arena['kernels'];
  let K = 0;
  let S = 0;
  return walkBlocks(zm, data, list, (K, S, W) => (py ? 2 : 1) * Arena.bytes(K * S * W, 8) + Arena.bytes(K * W, 8) + Arena.bytes(W, 8), {
    start(arena, k, s, W) {
      K = k;
      S = s;
      J = arena.f64(K * S * W);
      J0 = py ? arena.f64(K * S * W) : null;
      c = arena.f64(K * W);
      c0 = arena.f64(W);
      kernels = arena.kernels;
    },
    block() {
      J.fill(0);
      J0?.fill(0);
      c.fill(0);
      c0.fill(0);
    },
    sample(d, { n, np, E, q, q0 }) {
      const w = d.count / total;
      const f = d.fractions;
      for (let r = 0; r < n; r++) {
        for (let s = 0; s < K; s++) c[s * np + r] = (w * f[s]!) / q[r]!;
        c0[r] = w / q0[r]!;
      }
      for (let s = 0; s < K; s++) {
        if (f[s] === 0) continue;
        kernels.accumulate(J.byteOffset + 8 * s * S * np, E[s]!.byteOffset, c.byteOffset + 8 * s * np, S, np);
      }
      if (J0) for (let s = 0; s < K; s++) kernels.accumulate(J0.byteOffset + 8 * s * S * np, E[s]!.byteOffset, c0.byteOffset, S, np);
    },
    end({ from, n, np }) {
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
    },
  });
}

/**
 * Per-subject log-likelihood under every distinct sample: out[first * M + i] for each sample's first
 * index (staging.ts's sampleSubjectLogLikelihoods). False when the model has no StageRows plan.
 */
export function sampleLogLikelihoodsBlocked<D extends ModelData>(zm: ProgressionModel<D>, data: D, list: readonly (Sample & { first: number })[], out: Float64Array): boolean {
  const M = data.M;
  return walkBlocks(zm, data, list, () => 0, {
    start() {},
    sample(d, { from, n, q, scale }) {
      const o = d.first * M + from;
      for (let r = 0; r < n; r++) out[o + r] = scale[r]! + Math.log(q[r]!);
    },
  });
}

/** Exact rows of single subjects (from the templates, Math.exp): the reference and the fallback. */
class ExactRows<D extends ModelData> {
  private readonly L: Float64Array;
  /** templates of the sequences used so far (the first sample's, and the fallbacks') */
  private readonly tmpls = new Map<number, Float64Array>();

  constructor(
    private readonly zm: ProgressionModel<D>,
    private readonly data: D,
    private readonly seqs: Int32Array[],
    private readonly K: number,
  ) {
    this.L = new Float64Array(K * zm.nStages);
  }

  private fill(i: number, qs: Int32Array): void {
    const S = this.zm.nStages;
    for (let s = 0; s < this.K; s++) {
      const q = qs[s]!;
      let t = this.tmpls.get(q);
      if (t === undefined) {
        t = new Float64Array(S * this.zm.nFeatures);
        this.zm.template(this.seqs[q]!, t);
        this.tmpls.set(q, t);
      }
      this.zm.fillRow(this.data, t, i, this.L, s * S);
    }
  }

  /** Subject i's largest stage log-likelihood under the sequences qs (one per subtype). */
  reference(i: number, qs: Int32Array): number {
    this.fill(i, qs);
    let mx = -Infinity;
    for (let q = 0; q < this.L.length; q++) if (this.L[q]! > mx) mx = this.L[q]!;
    return Number.isFinite(mx) ? mx : 0;
  }

  /** Subject i's exp-rows under the sequences qs into column r of E (blocks of n), relative to its best cell, which it returns. */
  rows(i: number, qs: Int32Array, E: Float64Array[], T: Float64Array[], r: number, n: number): number {
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
    return mx;
  }
}
