/**
 * The z-score model's StageRows capability (model.ts): exp-rows E[i, k] = exp(L[i, k] - ref_i) of
 * many fixed sequences for a block of subjects, by a multiply chain along the stages instead of an
 * exp per cell.
 *
 * With mu_k the template row of stage k and D_k = mu_{k+1} - mu_k (per biomarker b),
 *   L_{k+1} - L_k = sum_b p_b D_bk x_b + c_k,   c_k = -sum_b p_b D_bk (mu_bk + mu_b,k+1) / 2
 * so E_{k+1} = E_k * G_k * exp(c_k) with G_k = prod_b exp(D_bk x_b). The curves are piecewise
 * linear on the grid and mu_k is the midpoint of grid points k and k+1, so D_bk is the mean of the
 * slopes of grid intervals k and k+1 of biomarker b: it changes only next to b's knots (two stages
 * per knot). G therefore moves from stage to stage by a few factors exp(D_new x) exp(-D_old x),
 * columns over the block's subjects computed once per block (the slopes, and so the factors, are
 * shared by most sequences). exp(c_k) does not depend on the subject beyond its missing values:
 * once per sequence for subjects with every value, once per sequence and missing-value pattern
 * for the others (kept for the first few patterns met, recomputed per block beyond them).
 * E_0 is a product of cached columns too (exp(x_b mu_b0)), times a per-subject base: no exp per cell.
 * The chain runs in WebAssembly (wasm/zkernel.ts stageChain). A cell that leaves [1e-280, 1e280]
 * (relative to ref) marks its subject bad: the chain loses precision there, so the caller computes
 * that subject exactly.
 */
import { padded, type StageRows, type StageRowsPlan } from './model.js';
import { Arena } from './arena.js';
import type { ZData } from './zscore-data.js';
import { fastExp } from './fastexp.js';
import { eventPositions, type EventTable } from './zscore-events.js';

/** Largest plan (sequences x stages x biomarkers numbers kept); bigger models use the incremental tables. */
const MAX_PLAN_VALUES = 32 * 1024 * 1024;
/** Missing-value patterns whose per-sequence constants are kept (each Q x S numbers). */
const KEPT_PATTERNS = 16;

/** What the plan needs of the z-score model. */
export interface ZscoreCurves {
  readonly nEvents: number;
  readonly nStages: number;
  readonly nFeatures: number;
  readonly events: EventTable;
  readonly thresholds: { zmax: readonly number[] };
  template(seq: Int32Array, out: Float64Array): void;
}

export class ZscoreStageRows implements StageRows<ZData> {
  constructor(private readonly model: ZscoreCurves) {}

  plan(data: ZData, sequences: readonly Int32Array[], maxBlock: number, extraBytes: number): StageRowsPlan | null {
    const { nStages: S, nFeatures: B } = this.model;
    if (sequences.length * S * B > MAX_PLAN_VALUES || S < 2) return null;
    return new ZscorePlan(this.model, data, sequences, padded(maxBlock), extraBytes);
  }
}

/** Interning of (biomarker, value) pairs and of (biomarker, old value, new value) ratios. */
class Keys {
  readonly valueFeature: number[] = [];
  readonly valueOf: number[] = [];
  readonly ratioNew: number[] = [];
  readonly ratioOld: number[] = [];
  private readonly values: Map<number, number>[];
  private readonly ratios = new Map<string, number>();

  constructor(B: number) {
    this.values = Array.from({ length: B }, () => new Map<number, number>());
  }

  value(b: number, v: number): number {
    let id = this.values[b]!.get(v);
    if (id === undefined) {
      id = this.valueOf.length;
      this.values[b]!.set(v, id);
      this.valueFeature.push(b);
      this.valueOf.push(v);
    }
    return id;
  }

  ratio(b: number, from: number, to: number): number {
    const o = this.value(b, from);
    const n = this.value(b, to);
    const key = `${o}:${n}`;
    let id = this.ratios.get(key);
    if (id === undefined) {
      id = this.ratioNew.length;
      this.ratios.set(key, id);
      this.ratioOld.push(o);
      this.ratioNew.push(n);
    }
    return id;
  }
}

class ZscorePlan implements StageRowsPlan {
  private readonly S: number;
  private readonly B: number;
  /** per sequence: value ids of (b, mu_b0) and of (b, D_b0) (B each): E_0 and G_0 are products of their columns */
  private readonly startIds: Int32Array;
  private readonly slopeIds: Int32Array;
  /** per sequence, stage-major (S x B): the log constants, -mu_b0^2 / 2 at k = 0, c_b,k-1 at k >= 1 */
  private readonly cLog: Float64Array;
  /** per sequence: exp of their sum over b (S), for subjects with every value */
  private readonly cFull: Float64Array;
  /** ratio ids applied to G before stage k (k = 1..N-1) of sequence q: changeAt[q * S + k] .. changeAt[q * S + k + 1] */
  private readonly changeAt: Int32Array;
  private readonly changeRatio: Int32Array;
  private readonly keys: Keys;
  readonly arena: Arena;
  // the block: n subjects from `from`, stride np (n padded to a multiple of 4)
  private from = 0;
  private n = 0;
  private np = 0;
  /** per subject of the block: exp(constant - sum_b x_b^2 / 2 - ref) */
  private readonly base: Float64Array;
  /** exp(v x) per value id (columns of np), and exp(-v x) */
  private readonly valE: Float64Array;
  private readonly valI: Float64Array;
  private readonly ratioCol: Float64Array;
  /** per subject of the block: its missing-value pattern (-1: every value present), ids over all blocks */
  private readonly pattern: Int32Array;
  private readonly patternIds = new Map<string, number>();
  private readonly patterns: Uint8Array[] = [];
  /** whether the block has a subject with a missing value */
  private blockMissing = false;
  /** per pattern id below KEPT_PATTERNS: exp(c_k) per sequence (Q x S), NaN where not computed yet */
  private readonly kept: Float64Array[] = [];
  /** scratch: one pattern's constants for one sequence */
  private readonly scratch: Float64Array;
  private readonly cPat: Float64Array;
  private readonly maxBlock: number;

  constructor(
    model: ZscoreCurves,
    private readonly data: ZData,
    sequences: readonly Int32Array[],
    maxBlock: number,
    extraBytes: number,
  ) {
    const S = model.nStages;
    const N = S - 1;
    const B = model.nFeatures;
    this.S = S;
    this.B = B;
    this.maxBlock = maxBlock;
    const Q = sequences.length;
    const keys = new Keys(B);
    this.keys = keys;
    const startIds = new Int32Array(Q * B);
    const slopeIds = new Int32Array(Q * B);
    this.cLog = new Float64Array(Q * S * B);
    const cFull = new Float64Array(Q * S);
    const changeAt = new Int32Array(Q * S + 1);
    const changes: number[] = [];
    const tmpl = new Float64Array(S * B);
    // D[k * B + b], k = 0..N-1
    const D = new Float64Array(N * B);
    const slope = new Float64Array(S);
    sequences.forEach((seq, q) => {
      model.template(seq, tmpl);
      const pos = eventPositions(seq, model.nEvents);
      for (let b = 0; b < B; b++) {
        gridSlopes(model, pos, b, slope);
        for (let k = 0; k < N; k++) D[k * B + b] = 0.5 * (slope[k]! + slope[k + 1]!);
        startIds[q * B + b] = keys.value(b, tmpl[b]!);
        slopeIds[q * B + b] = keys.value(b, D[b]!);
      }
      for (let k = 0; k < S; k++) {
        let c = 0;
        for (let b = 0; b < B; b++) {
          const v = k === 0 ? -0.5 * tmpl[b]! * tmpl[b]! : -0.5 * D[(k - 1) * B + b]! * (tmpl[(k - 1) * B + b]! + tmpl[k * B + b]!);
          this.cLog[(q * S + k) * B + b] = v;
          c += v;
        }
        cFull[q * S + k] = Math.exp(c);
      }
      changeAt[q * S] = changes.length;
      for (let k = 1; k < S; k++) {
        changeAt[q * S + k] = changes.length;
        if (k === N) continue;
        for (let b = 0; b < B; b++) {
          const o = D[(k - 1) * B + b]!;
          const v = D[k * B + b]!;
          if (o !== v) changes.push(keys.ratio(b, o, v));
        }
      }
    });
    changeAt[Q * S] = changes.length;
    const V = keys.valueOf.length;
    const R = keys.ratioNew.length;
    const f64 = (n: number) => Arena.bytes(n, 8);
    const i32 = (n: number) => Arena.bytes(n, 4);
    this.arena = new Arena(f64((V + R + 1 + S) * maxBlock) + f64(Q * S) + i32(Q * S + 1) + i32(changes.length) + 2 * i32(Q * B) + extraBytes);
    const arena = this.arena;
    this.changeAt = arena.i32(Q * S + 1);
    this.changeAt.set(changeAt);
    this.changeRatio = arena.i32(changes.length);
    this.changeRatio.set(changes);
    this.startIds = arena.i32(Q * B);
    this.startIds.set(startIds);
    this.slopeIds = arena.i32(Q * B);
    this.slopeIds.set(slopeIds);
    this.cFull = arena.f64(Q * S);
    this.cFull.set(cFull);
    this.valE = arena.f64(V * maxBlock);
    this.ratioCol = arena.f64(R * maxBlock);
    this.base = arena.f64(maxBlock);
    this.cPat = arena.f64(maxBlock * S);
    this.valI = new Float64Array(V * maxBlock);
    this.pattern = new Int32Array(maxBlock);
    this.scratch = new Float64Array(S);
  }

  block(from: number, to: number, ref: Float64Array): void {
    const n = to - from;
    if (n > this.maxBlock || n < 0) throw new Error(`block of ${n} subjects, plan made for ${this.maxBlock}`);
    this.from = from;
    this.n = n;
    const np = padded(n);
    this.np = np;
    const { M, B, x, xT, present, presentT, constant } = this.data;
    const { valueFeature, valueOf, ratioNew, ratioOld } = this.keys;
    // padding subjects: every factor 1 (their rows are finite and unused)
    for (let r = 0; r < np; r++) {
      if (r >= n) {
        this.base[r] = 1;
        continue;
      }
      const i = from + r;
      let ss = 0;
      for (let b = 0; b < B; b++) ss += present[i * B + b]! * x[i * B + b]! * x[i * B + b]!;
      this.base[r] = fastExp(constant[i]! - 0.5 * ss - ref[r]!);
    }
    for (let id = 0; id < valueOf.length; id++) {
      const v = valueOf[id]!;
      const xo = valueFeature[id]! * M + from;
      const o = id * np;
      for (let r = 0; r < n; r++) {
        const xv = xT[xo + r]!;
        this.valE[o + r] = fastExp(v * xv);
        this.valI[o + r] = fastExp(-v * xv);
      }
      for (let r = n; r < np; r++) this.valE[o + r] = this.valI[o + r] = 1;
    }
    for (let id = 0; id < ratioNew.length; id++) {
      const a = ratioNew[id]! * np;
      const b = ratioOld[id]! * np;
      const o = id * np;
      for (let r = 0; r < np; r++) this.ratioCol[o + r] = this.valE[a + r]! * this.valI[b + r]!;
    }
    // missing-value patterns of the block's subjects
    this.blockMissing = false;
    const p = new Uint8Array(B);
    for (let r = 0; r < n; r++) {
      let all = true;
      for (let b = 0; b < B; b++) {
        p[b] = presentT[b * M + from + r]!;
        if (p[b] === 0) all = false;
      }
      if (all) {
        this.pattern[r] = -1;
        continue;
      }
      this.blockMissing = true;
      const key = p.join('');
      let id = this.patternIds.get(key);
      if (id === undefined) {
        id = this.patterns.length;
        this.patternIds.set(key, id);
        this.patterns.push(Uint8Array.from(p));
      }
      this.pattern[r] = id;
    }
  }

  rows(q: number, E: Float64Array, T: Float64Array, bad: Uint8Array): void {
    const { S, B, np } = this;
    const cPat = this.patternConstants(q);
    // E_0 = base * prod_b exp(x_b mu_b0) * exp(c_0), G_0 = prod_b exp(x_b D_b0), then the chain (WebAssembly)
    this.arena.kernels.stageChain(
      E.byteOffset,
      T.byteOffset,
      np,
      S,
      B,
      this.base.byteOffset,
      this.valE.byteOffset,
      this.startIds.byteOffset + 4 * q * B,
      this.slopeIds.byteOffset + 4 * q * B,
      this.cFull.byteOffset + 8 * q * S,
      cPat === null ? 0 : cPat.byteOffset,
      this.changeAt.byteOffset + 4 * q * S,
      this.changeRatio.byteOffset,
      this.ratioCol.byteOffset,
      bad.byteOffset,
    );
  }

  /** exp(c_k) per subject of the block (stage-major, k = 0..S-1) for sequence q, or null when every subject has every value. */
  private patternConstants(q: number): Float64Array | null {
    if (!this.blockMissing) return null;
    const { S, n, np } = this;
    const out = this.cPat;
    for (let r = 0; r < np; r++) {
      const id = r < n ? this.pattern[r]! : -1;
      const c = id < 0 ? this.cFull.subarray(q * S, q * S + S) : this.constantsOf(id, q);
      for (let k = 0; k < S; k++) out[k * np + r] = c[k]!;
    }
    return out;
  }

  /** exp(c_k), k < S, of sequence q for the subjects with missing-value pattern id. */
  private constantsOf(id: number, q: number): Float64Array {
    const { S, B } = this;
    let kept = this.kept[id];
    if (kept === undefined && id < KEPT_PATTERNS) {
      kept = new Float64Array((this.cFull.length / S) * S).fill(NaN);
      this.kept[id] = kept;
    }
    if (kept !== undefined && !Number.isNaN(kept[q * S]!)) return kept.subarray(q * S, q * S + S);
    const out = kept === undefined ? this.scratch : kept.subarray(q * S, q * S + S);
    const p = this.patterns[id]!;
    for (let k = 0; k < S; k++) {
      let c = 0;
      const o = (q * S + k) * B;
      for (let b = 0; b < B; b++) if (p[b] === 1) c += this.cLog[o + b]!;
      out[k] = Math.exp(c);
    }
    return out;
  }
}

/**
 * slope[g] (g = 0..N) = slope of biomarker b's curve over grid interval [g, g + 1]: the curve runs
 * through (0, 0), (pos(e) + 1, z_e) for b's events and (N + 1, zmax) (as ZscoreModel's).
 */
function gridSlopes(model: ZscoreCurves, pos: Int32Array, b: number, slope: Float64Array): void {
  const ev = model.events;
  const N = model.nEvents;
  let g0 = 0;
  let v0 = 0;
  const m = ev.count[b]!;
  for (let j = 0; j <= m; j++) {
    const g1 = j < m ? pos[ev.first[b]! + j]! + 1 : N + 1;
    const v1 = j < m ? ev.z[ev.first[b]! + j]! : model.thresholds.zmax[b]!;
    const s = (v1 - v0) / (g1 - g0);
    for (let g = g0; g < g1; g++) slope[g] = s;
    g0 = g1;
    v0 = v1;
  }
}
