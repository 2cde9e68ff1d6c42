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
import { Arena } from './arena.js';
import { ExpCache } from './expcache.js';
import { fastExp } from './fastexp.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Bound on |d x| and |c| in the multiplicative update (exp(600) is far from overflow). */
const FACTOR_LIMIT = 600;
/** A run of stage changes counts as linear when it deviates from the line by at most this (rounding). */
const LINEAR_TOLERANCE = 2e-14;
/** Cells below this (relative to the subject's reference) are recomputed exactly, not multiplied. */
const TINY = 1e-280;
/** A log-likelihood range whose exp stays far above TINY (exp(-600) ~ 1e-261). */
const SAFE_RANGE = 600;
const CONSTANT = 0;
const ANCHORED = 1;
const GENERAL = 2;

export interface ZData extends ModelData {
  readonly M: number;
  readonly B: number;
  /** values with missing replaced by 0 */
  readonly x: Float64Array;
  /** 1 where present, 0 where missing */
  readonly present: Float64Array;
  /** per subject constant: log(1/(N+1)) - nPresent * log(sqrt(2 pi)) */
  readonly constant: Float64Array;
  /** x and present column-major (B x M): the multiplicative update runs over subjects per biomarker */
  readonly xT: Float64Array;
  readonly presentT: Uint8Array;
  /** per biomarker: max |x| over subjects that have it, and whether every subject has it */
  readonly maxAbs: Float64Array;
  readonly allPresent: Uint8Array;
  /**
   * per block of four subjects (i >> 2): 1 when every stage log-likelihood of each of the four lies
   * within SAFE_RANGE of every other, whatever the sequence: their E cells can never come near
   * underflow, so the multiplicative update needs no check for it
   */
  readonly safeQuad: Uint8Array;
}

/** The model's scratch in a table set's arena: cached exp columns, the pieces' exp(c), safeQuad. */
interface ArenaState {
  cache: ExpCache;
  fc: Float64Array;
  safe: Uint8Array;
}

/** Column-major copies of row-major x / present. */
function transpose(M: number, B: number, x: Float64Array, present: Float64Array): { xT: Float64Array; presentT: Uint8Array; maxAbs: Float64Array; allPresent: Uint8Array } {
  const xT = new Float64Array(M * B);
  const presentT = new Uint8Array(M * B);
  const maxAbs = new Float64Array(B);
  const allPresent = new Uint8Array(B).fill(1);
  for (let i = 0; i < M; i++) {
    for (let b = 0; b < B; b++) {
      xT[b * M + i] = x[i * B + b]!;
      presentT[b * M + i] = present[i * B + b]!;
      if (present[i * B + b] === 0) allPresent[b] = 0;
      else maxAbs[b] = Math.max(maxAbs[b]!, Math.abs(x[i * B + b]!));
    }
  }
  return { xT, presentT, maxAbs, allPresent };
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
  // the multiplicative update's pieces (prepareFactors): piece p multiplies the cells of biomarker
  // pieceFeature[p] at stages pieceK0[p], pieceK0[p] + pieceDir[p], ... (pieceLen[p] of them) by
  // a_m * fc[pieceCell[p] + m], where a_0 = exp(pieceAlpha[p] x) and a_{m+1} = a_m * r, with
  // r = exp(pieceRho[p] x) (mode GENERAL), a_0^2 (ANCHORED) or 1 (CONSTANT).
  private readonly pieceFeature: Int32Array;
  private readonly pieceK0: Int32Array;
  private readonly pieceLen: Int32Array;
  private readonly pieceDir: Int32Array;
  private readonly pieceMode: Uint8Array;
  private readonly pieceAlpha: Float64Array;
  private readonly pieceRho: Float64Array;
  private readonly pieceCell: Int32Array;
  /** exp(c) per piece cell, in the order the pieces visit them */
  private readonly fc: Float64Array;
  /** scratch of the piece segmentation */
  private readonly segBest: Float64Array;
  private readonly segChoice: Int32Array;
  private nPieces = 0;
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
    this.pieceFeature = new Int32Array(cells);
    this.pieceK0 = new Int32Array(cells);
    this.pieceLen = new Int32Array(cells);
    this.pieceDir = new Int32Array(cells);
    this.pieceMode = new Uint8Array(cells);
    this.pieceAlpha = new Float64Array(cells);
    this.pieceRho = new Float64Array(cells);
    this.pieceCell = new Int32Array(cells);
    this.fc = new Float64Array(cells);
    this.segBest = new Float64Array(this.nStages + 1);
    this.segChoice = new Int32Array(this.nStages + 1);
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
    return { M, B, x, present, constant, ...transpose(M, B, x, present), safeQuad: this.safeQuads(M, x, present) };
  }

  /**
   * See ZData.safeQuad. Every expected value lies in [0, top_b] (top_b = the largest of zmax and the
   * thresholds), so a subject's stage log-likelihoods span at most
   * sum_b (max - min over mu in [0, top_b] of (x - mu)^2) / 2.
   */
  private safeQuads(M: number, x: Float64Array, present: Float64Array): Uint8Array {
    const B = this.nFeatures;
    const top = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      let t = Math.max(0, this.zmax[b]!);
      for (let j = 0; j < this.events.count[b]!; j++) t = Math.max(t, this.events.z[this.events.first[b]! + j]!);
      top[b] = t;
    }
    const out = new Uint8Array(Math.ceil(M / 4)).fill(1);
    for (let i = 0; i < M; i++) {
      let span = 0;
      for (let b = 0; b < B; b++) {
        if (present[i * B + b] === 0) continue;
        const v = x[i * B + b]!;
        const far = Math.max(v * v, (v - top[b]!) * (v - top[b]!));
        const near = v < 0 ? v * v : v > top[b]! ? (v - top[b]!) * (v - top[b]!) : 0;
        span += 0.5 * (far - near);
      }
      if (!(span < SAFE_RANGE)) out[i >> 2] = 0;
    }
    return out;
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
    return { M, B, x, present, constant, ...transpose(M, B, x, present), safeQuad: this.safeQuads(M, x, present) };
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
   * log-likelihood changes by d x + c, with d = mu_new - mu_old and c = -(mu_new^2 - mu_old^2) / 2;
   * exp(c) depends on the stage only and is computed once per move. The ramps are piecewise linear,
   * so over a run of consecutive stages d is linear in the stage: exp(d x) is a geometric sequence,
   * one or two exps per subject per piece, then multiplies. A ramp stretched or squeezed by a moved
   * knot changes by a line through zero half a stage beyond its fixed end ("anchored"): walking away
   * from that end, the first factor is exp(beta x / 2) and the ratio its square, so one exp.
   */
  prepareFactors(ch: TemplateChanges, alternativeCost: number): boolean {
    const ns = ch.nStages;
    const nf = this.groupChanges(ch);
    const A = this.coefA;
    const C = this.coefC;
    const stages = ch.stages;
    const feats = this.changedFeatures;
    let np = 0;
    let nc = 0;
    let maxD = 0;
    const tol = LINEAR_TOLERANCE;
    const best = this.segBest;
    const choice = this.segChoice;
    for (let g = 0; g < nf; g++) {
      const ro = g * ns;
      const jhi = this.runEnd[g]!;
      let u = this.runStart[g]!;
      while (u < jhi) {
        if (A[ro + u] === 0) {
          // this biomarker did not change at this stage (another one did)
          u++;
          continue;
        }
        // a segment [u, v) of consecutive changed stages, cut into linear pieces: fewest pieces (each
        // costs a pass over the subjects), then fewest GENERAL ones (a second cached column each)
        let v = u + 1;
        while (v < jhi && stages[v] === stages[v - 1]! + 1 && A[ro + v] !== 0) v++;
        best[v] = 0;
        for (let j = v - 1; j >= u; j--) {
          const d0 = A[ro + j]!;
          best[j] = 1 + best[j + 1]!;
          choice[j] = j + 1;
          if (j + 1 === v) continue;
          const beta = A[ro + j + 1]! - d0;
          const flat = Math.abs(beta) <= tol;
          const forward = Math.abs(d0 - 0.5 * beta) <= tol;
          for (let e = j + 2; e <= v; e++) {
            if (e > j + 2 && Math.abs(A[ro + e - 1]! - (d0 + beta * (e - 1 - j))) > tol) break;
            const general = !flat && !forward && Math.abs(A[ro + e - 1]! + 0.5 * beta) > tol;
            const c = 1 + (general ? 0.25 : 0) + best[e]!;
            if (c < best[j]!) {
              best[j] = c;
              choice[j] = e;
            }
          }
        }
        for (let j = u; j < v; ) {
          const end = choice[j]!;
          const len = end - j;
          const d0 = A[ro + j]!;
          const beta = len > 1 ? A[ro + j + 1]! - d0 : 0;
          let mode = GENERAL;
          let dir = 1;
          let alpha = d0;
          if (len === 1 || Math.abs(beta) <= tol) {
            mode = CONSTANT;
          } else if (Math.abs(d0 - 0.5 * beta) <= tol) {
            mode = ANCHORED;
            alpha = 0.5 * beta;
          } else if (Math.abs(A[ro + end - 1]! + 0.5 * beta) <= tol) {
            mode = ANCHORED;
            alpha = -0.5 * beta;
            dir = -1;
          }
          for (let q = j; q < end; q++) {
            if (Math.abs(C[ro + q]!) > FACTOR_LIMIT) return false;
            maxD = Math.max(maxD, Math.abs(A[ro + q]!));
          }
          const first = dir === 1 ? j : end - 1;
          this.pieceFeature[np] = feats[g]!;
          this.pieceK0[np] = stages[first]!;
          this.pieceLen[np] = len;
          this.pieceDir[np] = dir;
          this.pieceMode[np] = mode;
          this.pieceAlpha[np] = alpha;
          this.pieceRho[np] = beta;
          this.pieceCell[np] = nc;
          for (let m = 0; m < len; m++) this.fc[nc + m] = C[ro + first + dir * m]!;
          nc += len;
          np++;
          j = end;
        }
        u = v;
      }
    }
    this.nPieces = np;
    // rough per-subject cost in multiply-adds (an exp ~ 12): a piece is a pass of the WebAssembly
    // kernel (~4, plus an exp when its column is not cached), a cell one multiply; the exp path costs
    // an exp per changed stage plus the log-likelihood deltas. Measured: the factors win even for the
    // large moves between thinned posterior samples, where most columns miss the cache (assignment
    // 1.7x faster than by the exp path).
    if (alternativeCost < Infinity && 4 * np + nc > alternativeCost) return false;
    for (let q = 0; q < nc; q++) this.fc[q] = Math.exp(this.fc[q]!);
    // |d x| <= FACTOR_LIMIT keeps every partial product finite and non-zero
    this.xLimit = maxD > 0 ? FACTOR_LIMIT / maxD : Infinity;
    return true;
  }

  /**
   * Apply the prepared pieces to every subject's row of E (row i at i * stride, indexed by stage),
   * piece by piece over all subjects. Sets bad[i] = 1 where a factor could overflow or a changed cell
   * was below TINY (an underflowed cell cannot be brought back by multiplying); those rows are left
   * in an unspecified state for the caller to recompute exactly.
   */
  applyFactorsAll(data: ZData, E: Float64Array, stride: number, bad: Uint8Array, arena: Arena): void {
    const { M, xT, presentT } = data;
    const lim = this.xLimit;
    const fc = this.fc;
    const ws = this.arenaState(data, arena);
    const cv = ws.cache.values;
    const kernels = arena.kernels;
    const quads = M >> 2;
    // the exp(c) factors where the kernel reads them
    let nc = 0;
    for (let p = 0; p < this.nPieces; p++) nc += this.pieceLen[p]!;
    ws.fc.set(fc.subarray(0, nc));
    for (let p = 0; p < this.nPieces; p++) {
      const f = this.pieceFeature[p]!;
      const fo = f * M;
      const k0 = this.pieceK0[p]!;
      const len = this.pieceLen[p]!;
      const dir = this.pieceDir[p]!;
      const alpha = this.pieceAlpha[p]!;
      const rho = this.pieceRho[p]!;
      const co = this.pieceCell[p]!;
      const mode = this.pieceMode[p]!;
      let i = 0;
      if (data.allPresent[f] === 1 && data.maxAbs[f]! <= lim) {
        // every subject has this biomarker within the overflow bound: the WebAssembly kernel, four
        // subjects at a time (each subject's factors are a chain of dependent multiplies, so
        // interleaving independent chains keeps the multiplier busy), with cached exps
        const ca = ws.cache.column(f, alpha);
        const cr = mode === GENERAL ? ws.cache.column(f, rho, ca) : ca;
        kernels.piece(E.byteOffset, stride, quads, cv.byteOffset + 8 * ca, cv.byteOffset + 8 * cr, mode, k0, len, dir, ws.fc.byteOffset + 8 * co, ws.safe.byteOffset, bad.byteOffset);
        i = 4 * quads;
      }
      // the rest (and biomarkers some subjects lack), one subject at a time, with the same arithmetic
      for (; i < M; i++) {
        if (presentT[fo + i] === 0) continue;
        const xv = xT[fo + i]!;
        if (!(Math.abs(xv) <= lim)) {
          bad[i] = 1;
          continue;
        }
        let a = fastExp(alpha * xv);
        const r = ratio(mode, a, rho, xv);
        let k = i * stride + k0;
        let low = 0;
        for (let m = 0; m < len; m++) {
          const o = E[k]!;
          low |= +(o < TINY);
          E[k] = o * a * fc[co + m]!;
          a *= r;
          k += dir;
        }
        bad[i] |= low;
      }
    }
  }

  arenaBytes(data: ZData): number {
    return Arena.bytes(ExpCache.slotsFor(data.M) * data.M, 8) + Arena.bytes(this.nFeatures * this.nStages, 8) + Arena.bytes(data.safeQuad.length, 1);
  }

  private arenaState(data: ZData, arena: Arena): ArenaState {
    let ws = arena.modelState as ArenaState | undefined;
    if (ws === undefined) {
      const safe = arena.u8(data.safeQuad.length);
      safe.set(data.safeQuad);
      ws = { cache: new ExpCache(data.M, data.B, data.xT, arena.f64(ExpCache.slotsFor(data.M) * data.M)), fc: arena.f64(this.nFeatures * this.nStages), safe };
      arena.modelState = ws;
    }
    return ws;
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

/** The ratio of consecutive factors of a piece (see prepareFactors). */
function ratio(mode: number, a: number, rho: number, x: number): number {
  return mode === ANCHORED ? a * a : mode === GENERAL ? fastExp(rho * x) : 1;
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
