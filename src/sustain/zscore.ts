/**
 * The piecewise-linear z-score progression model (Young et al. 2018; pySuStaIn ZscoreSustain).
 *
 * Events are "biomarker b reaches threshold z". Numbered biomarker-major, thresholds ascending, so a
 * biomarker's events are consecutive numbers. For a sequence, each biomarker's expected z is the
 * piecewise-linear curve through (0, 0), (pos(e)+1, z_e) for its events, (N+1, zmax) on the grid
 * 0..N+1, and the value at model stage k (0..N) is the midpoint of grid points k and k+1. Noise sd 1.
 */
import type { Rng } from '../common/rng.js';
import type { Thresholds } from './types.js';
import type { ModelData, ProgressionModel, TemplateChanges } from './model.js';
import { fastExp } from './fastexp.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Bound on |d x| and |c| in the multiplicative update (exp(600) is far from overflow). */
const FACTOR_LIMIT = 600;
/** A run of stage changes counts as linear when it deviates from the line by at most this (rounding). */
const LINEAR_TOLERANCE = 2e-14;

export interface ZData extends ModelData {
  readonly M: number;
  readonly B: number;
  /** values with missing replaced by 0 */
  readonly x: Float64Array;
  /** 1 where present, 0 where missing */
  readonly present: Float64Array;
  /** per subject constant: log(1/(N+1)) - nPresent * log(sqrt(2 pi)) */
  readonly constant: Float64Array;
}

export interface EventTable {
  nEvents: number;
  biomarker: Int32Array;
  z: Float64Array;
  /** first event of each biomarker; events of b are first[b] .. first[b] + count[b] - 1 */
  first: Int32Array;
  count: Int32Array;
}

export function eventTable(t: Thresholds): EventTable {
  const B = t.zvals.length;
  const first = new Int32Array(B);
  const count = new Int32Array(B);
  let n = 0;
  for (let b = 0; b < B; b++) {
    first[b] = n;
    count[b] = t.zvals[b]!.length;
    n += count[b]!;
  }
  const biomarker = new Int32Array(n);
  const z = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < count[b]!; j++) {
      biomarker[first[b]! + j] = b;
      z[first[b]! + j] = t.zvals[b]![j]!;
    }
  }
  return { nEvents: n, biomarker, z, first, count };
}

export class ZscoreModel implements ProgressionModel<ZData> {
  readonly nEvents: number;
  readonly nStages: number;
  readonly nFeatures: number;
  readonly events: EventTable;
  private readonly zmax: Float64Array;
  private readonly point: Float64Array;
  private readonly knotPos: Int32Array;
  private readonly knotVal: Float64Array;
  private readonly featureSlot: Int32Array;
  private readonly changedFeatures: Int32Array;
  private readonly runStart: Int32Array;
  private readonly runEnd: Int32Array;
  private readonly runContiguous: Uint8Array;
  private readonly coefA: Float64Array;
  private readonly coefC: Float64Array;
  // the multiplicative update's pieces (prepareFactors)
  private readonly factC: Float64Array;
  private readonly pieceSlot: Int32Array;
  private readonly pieceFeature: Int32Array;
  private readonly pieceStart: Int32Array;
  private readonly pieceEnd: Int32Array;
  private readonly pieceD0: Float64Array;
  private readonly pieceBeta: Float64Array;
  private nPieces = 0;
  /** biomarkers changed by the prepared move (the first nChanged of changedFeatures) */
  private nChanged = 0;
  private nPieceStages = 0;
  private xLimit = Infinity;

  constructor(readonly thresholds: Thresholds) {
    this.events = eventTable(thresholds);
    this.nEvents = this.events.nEvents;
    this.nStages = this.nEvents + 1;
    this.nFeatures = thresholds.zvals.length;
    this.zmax = Float64Array.from(thresholds.zmax);
    this.point = new Float64Array(this.nEvents + 2);
    this.knotPos = new Int32Array(this.nEvents + 2);
    this.knotVal = new Float64Array(this.nEvents + 2);
    this.featureSlot = new Int32Array(this.nFeatures);
    this.changedFeatures = new Int32Array(this.nFeatures);
    this.runStart = new Int32Array(this.nFeatures);
    this.runEnd = new Int32Array(this.nFeatures);
    this.runContiguous = new Uint8Array(this.nFeatures);
    const cells = this.nFeatures * this.nStages;
    this.coefA = new Float64Array(cells);
    this.coefC = new Float64Array(cells);
    this.factC = new Float64Array(cells);
    this.pieceSlot = new Int32Array(cells);
    this.pieceFeature = new Int32Array(cells);
    this.pieceStart = new Int32Array(cells);
    this.pieceEnd = new Int32Array(cells);
    this.pieceD0 = new Float64Array(cells);
    this.pieceBeta = new Float64Array(cells);
  }

  /** The piecewise-linear curves on the grid 0..N+1 (the simulator's noise-free values): out[g * B + b]. */
  points(seq: Int32Array, out: Float64Array): void {
    const B = this.nFeatures;
    const pos = eventPositions(seq, this.nEvents);
    for (let b = 0; b < B; b++) {
      this.curve(pos, b);
      for (let g = 0; g <= this.nEvents + 1; g++) out[g * B + b] = this.point[g]!;
    }
  }

  /**
   * Fill this.point (grid 0..N+1) with biomarker b's piecewise-linear curve through its knots
   * (0, 0), (pos+1, z) for each of its events, (N+1, zmax). `pos[e]` is event e's position.
   */
  private curve(pos: Int32Array, b: number): void {
    const N = this.nEvents;
    const ev = this.events;
    const kp = this.knotPos;
    const kv = this.knotVal;
    const point = this.point;
    const m = ev.count[b]!;
    kp[0] = 0;
    kv[0] = 0;
    for (let j = 0; j < m; j++) {
      kp[j + 1] = pos[ev.first[b]! + j]! + 1;
      kv[j + 1] = ev.z[ev.first[b]! + j]!;
    }
    kp[m + 1] = N + 1;
    kv[m + 1] = this.zmax[b]!;
    for (let j = 0; j <= m; j++) {
      const g0 = kp[j]!;
      const g1 = kp[j + 1]!;
      const a = kv[j]!;
      const step = (kv[j + 1]! - a) / (g1 - g0);
      for (let t = 0; t <= g1 - g0; t++) point[g0 + t] = a + step * t;
    }
  }

  /** Stage-major expected values: out[k * B + b]. Arithmetic mirrors pySuStaIn's linspace so numbers agree. */
  template(seq: Int32Array, out: Float64Array): void {
    const B = this.nFeatures;
    const S = this.nStages;
    const point = this.point;
    const pos = eventPositions(seq, this.nEvents);
    for (let b = 0; b < B; b++) {
      this.curve(pos, b);
      for (let k = 0; k < S; k++) out[k * B + b] = 0.5 * point[k]! + 0.5 * point[k + 1]!;
    }
  }

  allowedRange(pos: Int32Array, e: number, out: Int32Array): void {
    const b = this.events.biomarker[e]!;
    const j = e - this.events.first[b]!;
    out[0] = j > 0 ? pos[e - 1]! + 1 : 0;
    out[1] = j < this.events.count[b]! - 1 ? pos[e + 1]! : this.nEvents;
  }

  /** pySuStaIn's initialiser: left to right, pick uniformly among each biomarker's lowest unused event. */
  randomSequence(rng: Rng): Int32Array {
    const B = this.nFeatures;
    const next = new Int32Array(B);
    const seq = new Int32Array(this.nEvents);
    const cand = new Int32Array(B);
    for (let p = 0; p < this.nEvents; p++) {
      let n = 0;
      for (let b = 0; b < B; b++) if (next[b]! < this.events.count[b]!) cand[n++] = b;
      const b = cand[rng.int(n)]!;
      seq[p] = this.events.first[b]! + next[b]!;
      next[b]!++;
    }
    return seq;
  }

  prepare(values: Float64Array, M: number): ZData {
    const B = this.nFeatures;
    if (values.length !== M * B) throw new Error(`data has ${values.length} values, expected ${M} x ${B}`);
    const x = new Float64Array(M * B);
    const present = new Float64Array(M * B);
    const constant = new Float64Array(M);
    const logPrior = Math.log(1 / this.nStages);
    for (let i = 0; i < M; i++) {
      let n = 0;
      for (let b = 0; b < B; b++) {
        const v = values[i * B + b]!;
        if (!Number.isNaN(v)) {
          x[i * B + b] = v;
          present[i * B + b] = 1;
          n++;
        }
      }
      constant[i] = logPrior - n * HALF_LOG_2PI;
    }
    return { M, B, x, present, constant };
  }

  subset(data: ZData, rows: ArrayLike<number>): ZData {
    const B = data.B;
    const M = rows.length;
    const x = new Float64Array(M * B);
    const present = new Float64Array(M * B);
    const constant = new Float64Array(M);
    for (let r = 0; r < M; r++) {
      const i = rows[r]!;
      x.set(data.x.subarray(i * B, i * B + B), r * B);
      present.set(data.present.subarray(i * B, i * B + B), r * B);
      constant[r] = data.constant[i]!;
    }
    return { M, B, x, present, constant };
  }

  fillTable(data: ZData, template: Float64Array, L: Float64Array): void {
    const S = this.nStages;
    for (let i = 0; i < data.M; i++) this.fillRow(data, template, i, L, i * S);
  }

  fillStages(data: ZData, template: Float64Array, i: number, stages: Int32Array, ns: number, out: Float64Array, offset: number): void {
    const { B, x, present, constant } = data;
    const xo = i * B;
    const c = constant[i]!;
    for (let j = 0; j < ns; j++) {
      const to = stages[j]! * B;
      let acc = 0;
      for (let b = 0; b < B; b++) {
        const d = x[xo + b]! - template[to + b]!;
        acc += present[xo + b]! * d * d;
      }
      out[offset + j] = c - 0.5 * acc;
    }
  }

  fillRow(data: ZData, template: Float64Array, i: number, out: Float64Array, offset: number): void {
    const { B, x, present, constant } = data;
    const S = this.nStages;
    const xo = i * B;
    const c = constant[i]!;
    for (let k = 0; k < S; k++) {
      const to = k * B;
      let acc = 0;
      for (let b = 0; b < B; b++) {
        const d = x[xo + b]! - template[to + b]!;
        acc += present[xo + b]! * d * d;
      }
      out[offset + k] = c - 0.5 * acc;
    }
  }

  stageDeltas(data: ZData, ch: TemplateChanges, out: Float64Array, stride = ch.nStages, columns: Int32Array | null = null): void {
    // The change of -0.5 (x - mu)^2 when mu goes o -> n is (n - o) x - 0.5 (n^2 - o^2): linear in x.
    // Changes are regrouped per biomarker into dense rows over the changed stages, so the inner loop
    // runs over contiguous stages (few biomarkers change per move, typically two).
    const { M, B, x, present } = data;
    const ns = ch.nStages;
    const nf = this.groupChanges(ch);
    const feats = this.changedFeatures;
    const A = this.coefA;
    const C = this.coefC;
    const jlo = this.runStart;
    const jhi = this.runEnd;
    // runs whose stages are consecutive in the table need no column lookup
    const contiguous = this.runContiguous;
    for (let g = 0; g < nf; g++) {
      const a = jlo[g]!;
      const b = jhi[g]!;
      contiguous[g] = columns !== null && b > a && columns[b - 1]! - columns[a]! === b - 1 - a ? 1 : 0;
    }
    for (let i = 0; i < M; i++) {
      const xo = i * B;
      const oo = i * stride;
      for (let g = 0; g < nf; g++) {
        const f = xo + feats[g]!;
        if (present[f] === 0) continue;
        const xv = x[f]!;
        const ro = g * ns;
        const a = jlo[g]!;
        const b = jhi[g]!;
        if (columns === null) for (let j = a; j < b; j++) out[oo + j] += A[ro + j]! * xv + C[ro + j]!;
        else if (contiguous[g] === 1) {
          const off = oo + columns[a]! - a;
          for (let j = a; j < b; j++) out[off + j] += A[ro + j]! * xv + C[ro + j]!;
        } else for (let j = a; j < b; j++) out[oo + columns[j]!] += A[ro + j]! * xv + C[ro + j]!;
      }
    }
  }

  /**
   * Multiplicative update (why: an exp per changed (subject, stage) dominated the EM walk). A cell's
   * log-likelihood changes by d x + c, with d = mu_new - mu_old and c = -(mu_new^2 - mu_old^2) / 2.
   * Over a run of consecutive stages where d is linear in k (d = d0 + beta m; the ramps are
   * piecewise linear), exp(d x) = exp(d0 x) * exp(beta x)^m: two exps per subject per piece, then
   * multiplies. exp(c) depends on the stage only and is computed once per move.
   */
  prepareFactors(ch: TemplateChanges, alternativeCost: number): boolean {
    const ns = ch.nStages;
    const nf = this.groupChanges(ch);
    this.nChanged = nf;
    const A = this.coefA;
    const C = this.coefC;
    const stages = ch.stages;
    let np = 0;
    let maxD = 0;
    for (let g = 0; g < nf; g++) {
      const ro = g * ns;
      const jhi = this.runEnd[g]!;
      for (let j = this.runStart[g]!; j < jhi; j++) {
        if (Math.abs(C[ro + j]!) > FACTOR_LIMIT) return false;
        this.factC[ro + j] = Math.exp(C[ro + j]!);
        maxD = Math.max(maxD, Math.abs(A[ro + j]!));
      }
      // split the run into linear pieces of consecutive stages
      let j = this.runStart[g]!;
      while (j < jhi) {
        const d0 = A[ro + j]!;
        let j1 = j + 1;
        let beta = 0;
        if (j1 < jhi && stages[j1] === stages[j]! + 1) {
          beta = A[ro + j1]! - d0;
          j1++;
          while (j1 < jhi && stages[j1] === stages[j1 - 1]! + 1 && Math.abs(A[ro + j1]! - (d0 + beta * (j1 - j))) <= LINEAR_TOLERANCE) j1++;
        }
        if (d0 !== 0 || beta !== 0) {
          this.pieceSlot[np] = g;
          this.pieceFeature[np] = this.changedFeatures[g]!;
          this.pieceStart[np] = j;
          this.pieceEnd[np] = j1;
          this.pieceD0[np] = d0;
          this.pieceBeta[np] = beta;
          np++;
        }
        j = j1;
      }
    }
    this.nPieces = np;
    this.nPieceStages = ns;
    if (alternativeCost < Infinity) {
      // rough per-subject cost, in multiply-adds (an exp ~ 12): a move of many events (MCMC) changes
      // many biomarkers, each split into several pieces, and one exp per stage may then be cheaper
      let exps = 0;
      let cells = 0;
      for (let p = 0; p < np; p++) {
        const len = this.pieceEnd[p]! - this.pieceStart[p]!;
        exps += len > 1 ? 2 : 1;
        cells += len;
      }
      if (12 * exps + 2 * cells > alternativeCost) return false;
    }
    // |d x| <= FACTOR_LIMIT keeps every partial product finite and non-zero
    this.xLimit = maxD > 0 ? FACTOR_LIMIT / maxD : Infinity;
    return true;
  }

  applyFactors(data: ZData, i: number, E: Float64Array, base: number, stages: Int32Array | null): boolean {
    const { B, x, present } = data;
    const xo = i * B;
    // (typed arrays in locals: the loop below runs for every subject of every candidate)
    const feature = this.pieceFeature;
    const start = this.pieceStart;
    const end = this.pieceEnd;
    const d0 = this.pieceD0;
    const beta = this.pieceBeta;
    const slot = this.pieceSlot;
    const fc = this.factC;
    const np = this.nPieces;
    const ns = this.nPieceStages;
    const lim = this.xLimit;
    const feats = this.changedFeatures;
    for (let g = 0; g < this.nChanged; g++) if (Math.abs(x[xo + feats[g]!]!) > lim) return false;
    for (let p = 0; p < np; p++) {
      const f = xo + feature[p]!;
      if (present[f] === 0) continue;
      const xv = x[f]!;
      const j0 = start[p]!;
      const j1 = end[p]!;
      let a = fastExp(d0[p]! * xv);
      const r = j1 - j0 > 1 ? fastExp(beta[p]! * xv) : 1;
      const co = slot[p]! * ns;
      // the piece's stages are consecutive: E index = off + j
      const off = stages === null ? base : base + stages[j0]! - j0;
      for (let j = j0; j < j1; j++) {
        E[off + j] *= a * fc[co + j]!;
        a *= r;
      }
    }
    return true;
  }

  /**
   * Regroup changed cells per biomarker into dense rows over the changed stages: coefA = d,
   * coefC = c, and each biomarker's run of stages [runStart, runEnd). Returns the number of biomarkers.
   */
  private groupChanges(ch: TemplateChanges): number {
    const ns = ch.nStages;
    const slot = this.featureSlot;
    slot.fill(-1);
    let nf = 0;
    const feats = this.changedFeatures;
    for (let q = 0; q < ch.n; q++) {
      const f = ch.feature[q]!;
      if (slot[f] === -1) {
        slot[f] = nf;
        feats[nf++] = f;
      }
    }
    const need = nf * ns;
    const A = this.coefA;
    const C = this.coefC;
    A.fill(0, 0, need);
    C.fill(0, 0, need);
    const jlo = this.runStart;
    const jhi = this.runEnd;
    jlo.fill(ns, 0, nf);
    jhi.fill(0, 0, nf);
    for (let j = 0; j < ns; j++) {
      for (let q = ch.stageStart[j]!; q < ch.stageStart[j + 1]!; q++) {
        const o = ch.oldValue[q]!;
        const n = ch.newValue[q]!;
        const g = slot[ch.feature[q]!]!;
        const r = g * ns + j;
        A[r] = n - o;
        C[r] = -0.5 * (n - o) * (n + o);
        if (j < jlo[g]!) jlo[g] = j;
        if (j + 1 > jhi[g]!) jhi[g] = j + 1;
      }
    }
    return nf;
  }
}

// Small module-level scratch buffers (grown on demand): the model is used by one thread at a time.
let posBuf = new Int32Array(0);

/** Position of every event in `seq` (a shared scratch buffer: valid until the next call). */
function eventPositions(seq: Int32Array, n: number): Int32Array {
  if (posBuf.length < n) posBuf = new Int32Array(n);
  const pos = posBuf;
  for (let p = 0; p < n; p++) pos[seq[p]!] = p;
  return pos;
}
