/**
 * The z-score model's multiplicative update (its MultiplicativeUpdate capability): instead of an exp
 * per changed (subject, stage), the exp-table is multiplied by exp(change of L), evaluated per linear
 * piece of the change with one or two exps per subject per piece (a WebAssembly kernel for the
 * common case; see prepareFactors).
 */
import type { MultiplicativeUpdate, TemplateChanges } from './model.js';
import { Arena } from './arena.js';
import { ExpCache } from './expcache.js';
import { fastExp } from './fastexp.js';
import type { ChangeGroups } from './zscore-changes.js';
import type { ZData } from './zscore-data.js';

/** Bound on |d x| and |c| in the multiplicative update (exp(600) is far from overflow). */
const FACTOR_LIMIT = 600;
/** A run of stage changes counts as linear when it deviates from the line by at most this (rounding). */
const LINEAR_TOLERANCE = 2e-14;
/**
 * Cells below this (relative to the subject's reference) have lost their digits: they are tracked by
 * their log-likelihood in L instead (see applyFactorsAll).
 */
const TINY = 1e-280;
const NEGLIGIBLE = Math.log(TINY);
const CONSTANT = 0;
const ANCHORED = 1;
const GENERAL = 2;

/** The update's scratch in a table set's arena: cached exp columns, the pieces' exp(c), d and c, safeQuad, x by biomarker. */
interface ArenaState {
  cache: ExpCache;
  fc: Float64Array;
  fd: Float64Array;
  fcr: Float64Array;
  safe: Uint8Array;
  xT: Float64Array;
}

export class ZscoreFactors implements MultiplicativeUpdate<ZData> {
  // piece p multiplies the cells of biomarker pieceFeature[p] at stages pieceK0[p], pieceK0[p] +
  // pieceDir[p], ... (pieceLen[p] of them) by a_m * fc[pieceCell[p] + m], where a_0 =
  // exp(pieceAlpha[p] x) and a_{m+1} = a_m * r, with r = exp(pieceRho[p] x) (mode GENERAL), a_0^2
  // (ANCHORED) or 1 (CONSTANT).
  private readonly pieceFeature: Int32Array;
  private readonly pieceK0: Int32Array;
  private readonly pieceLen: Int32Array;
  private readonly pieceDir: Int32Array;
  private readonly pieceMode: Uint8Array;
  private readonly pieceAlpha: Float64Array;
  private readonly pieceRho: Float64Array;
  private readonly pieceCell: Int32Array;
  /** exp(c) per piece cell, in the order the pieces visit them; d and c themselves (for cells tracked by their log) */
  private readonly fc: Float64Array;
  private readonly fd: Float64Array;
  private readonly fcr: Float64Array;
  /** scratch of the piece segmentation */
  private readonly segBest: Float64Array;
  private readonly segChoice: Int32Array;
  private readonly cells: number;
  private nPieces = 0;
  private xLimit = Infinity;

  /** `groups` is shared with the model (its exact deltas group changes the same way). */
  constructor(
    nFeatures: number,
    nStages: number,
    private readonly groups: ChangeGroups,
  ) {
    const cells = nFeatures * nStages;
    this.cells = cells;
    this.pieceFeature = new Int32Array(cells);
    this.pieceK0 = new Int32Array(cells);
    this.pieceLen = new Int32Array(cells);
    this.pieceDir = new Int32Array(cells);
    this.pieceMode = new Uint8Array(cells);
    this.pieceAlpha = new Float64Array(cells);
    this.pieceRho = new Float64Array(cells);
    this.pieceCell = new Int32Array(cells);
    this.fc = new Float64Array(cells);
    this.fd = new Float64Array(cells);
    this.fcr = new Float64Array(cells);
    this.segBest = new Float64Array(nStages + 1);
    this.segChoice = new Int32Array(nStages + 1);
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
    const groups = this.groups;
    const nf = groups.group(ch);
    const A = groups.coefA;
    const C = groups.coefC;
    const stages = ch.stages;
    const feats = groups.features;
    let np = 0;
    let nc = 0;
    let maxD = 0;
    const tol = LINEAR_TOLERANCE;
    const best = this.segBest;
    const choice = this.segChoice;
    for (let g = 0; g < nf; g++) {
      const ro = g * ns;
      const jhi = groups.runEnd[g]!;
      let u = groups.runStart[g]!;
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
        for (let j = u; j < v;) {
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
          for (let m = 0; m < len; m++) {
            this.fc[nc + m] = C[ro + first + dir * m]!;
            this.fd[nc + m] = A[ro + first + dir * m]!;
          }
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
    this.fcr.set(this.fc.subarray(0, nc));
    for (let q = 0; q < nc; q++) this.fc[q] = Math.exp(this.fc[q]!);
    // |d x| <= FACTOR_LIMIT keeps every partial product finite and non-zero
    this.xLimit = maxD > 0 ? FACTOR_LIMIT / maxD : Infinity;
    return true;
  }

  /**
   * Apply the prepared pieces to every subject's row of E (row i at i * stride, indexed by stage),
   * piece by piece over all subjects. A cell below TINY (relative to the subject's reference ref[i])
   * has lost its digits to underflow: it is tracked by its log-likelihood in L instead (same layout
   * as E), which must be current at such cells, and which this keeps current: a tracked cell's L moves
   * by d x + c and the cell returns to E once above NEGLIGIBLE; a cell falling below TINY gets its L
   * from its old value. (Why: with many events, most cells of a subject's row are far below its best
   * stage; recomputing such rows from the template cost O(stages x biomarkers) each.) Sets bad[i] = 1
   * where a factor could overflow; those rows are left in an unspecified state for the caller to
   * recompute exactly.
   */
  applyFactorsAll(data: ZData, E: Float64Array, stride: number, bad: Uint8Array, arena: Arena, L: Float64Array, ref: Float64Array): void {
    const { M, xT, presentT } = data;
    const lim = this.xLimit;
    const fc = this.fc;
    const fd = this.fd;
    const fcr = this.fcr;
    const ws = this.arenaState(data, arena);
    const cv = ws.cache.values;
    const kernels = arena.kernels;
    const quads = M >> 2;
    // the pieces' factors where the kernel reads them
    let nc = 0;
    for (let p = 0; p < this.nPieces; p++) nc += this.pieceLen[p]!;
    ws.fc.set(fc.subarray(0, nc));
    ws.fd.set(fd.subarray(0, nc));
    ws.fcr.set(fcr.subarray(0, nc));
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
        const cell = 8 * co;
        kernels.piece(
          E.byteOffset,
          stride,
          quads,
          cv.byteOffset + 8 * ca,
          cv.byteOffset + 8 * cr,
          mode,
          k0,
          len,
          dir,
          ws.fc.byteOffset + cell,
          ws.safe.byteOffset,
          L.byteOffset,
          ref.byteOffset,
          ws.xT.byteOffset + 8 * fo,
          ws.fd.byteOffset + cell,
          ws.fcr.byteOffset + cell,
        );
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
        const rf = ref[i]!;
        for (let m = 0; m < len; m++) {
          const o = E[k]!;
          const dl = fd[co + m]! * xv + fcr[co + m]!;
          if (o < TINY) {
            const l = L[k]! + dl;
            L[k] = l;
            const d = l - rf;
            E[k] = d < NEGLIGIBLE ? 0 : Math.exp(d);
          } else {
            const n = o * a * fc[co + m]!;
            if (n < TINY) L[k] = rf + Math.log(o) + dl;
            E[k] = n;
          }
          a *= r;
          k += dir;
        }
      }
    }
  }

  /** Whether some subject's cells can fall below TINY (the tables must then keep L current at such cells). */
  tracksLogs(data: ZData): boolean {
    return data.safeQuad.includes(0);
  }

  arenaBytes(data: ZData): number {
    return Arena.bytes(ExpCache.slotsFor(data.M) * data.M, 8) + 3 * Arena.bytes(this.cells, 8) + Arena.bytes(data.safeQuad.length, 1) + Arena.bytes(data.M * data.B, 8);
  }

  private arenaState(data: ZData, arena: Arena): ArenaState {
    let ws = arena.modelState as ArenaState | undefined;
    if (ws === undefined) {
      const safe = arena.u8(data.safeQuad.length);
      safe.set(data.safeQuad);
      const xT = arena.f64(data.M * data.B);
      xT.set(data.xT);
      ws = {
        cache: new ExpCache(data.M, data.B, data.xT, arena.f64(ExpCache.slotsFor(data.M) * data.M)),
        fc: arena.f64(this.cells),
        fd: arena.f64(this.cells),
        fcr: arena.f64(this.cells),
        safe,
        xT,
      };
      arena.modelState = ws;
    }
    return ws;
  }
}

/** The ratio of consecutive factors of a piece (see prepareFactors). */
function ratio(mode: number, a: number, rho: number, x: number): number {
  return mode === ANCHORED ? a * a : mode === GENERAL ? fastExp(rho * x) : 1;
}
