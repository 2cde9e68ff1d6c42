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

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

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
  private coefA = new Float64Array(0);
  private coefC = new Float64Array(0);

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
  }

  /** The piecewise-linear curves on the grid 0..N+1 (the simulator's noise-free values): out[g * B + b]. */
  points(seq: Int32Array, out: Float64Array): void {
    const B = this.nFeatures;
    for (let b = 0; b < B; b++) {
      this.curve(seq, b);
      for (let g = 0; g <= this.nEvents + 1; g++) out[g * B + b] = this.point[g]!;
    }
  }

  /** Fill this.point with biomarker b's curve for `seq` (pos must be current in posBuf). */
  private curve(seq: Int32Array, b: number): void {
    const N = this.nEvents;
    const ev = this.events;
    const pos = scratchPos(N);
    for (let p = 0; p < N; p++) pos[seq[p]!] = p;
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
    const N = this.nEvents;
    const B = this.nFeatures;
    const S = this.nStages;
    const ev = this.events;
    const point = this.point;
    const kp = this.knotPos;
    const kv = this.knotVal;
    // positions of events: scan once
    const pos = scratchPos(N);
    for (let p = 0; p < N; p++) pos[seq[p]!] = p;
    for (let b = 0; b < B; b++) {
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
    const { M, B, x, present, constant } = data;
    const S = this.nStages;
    for (let i = 0; i < M; i++) {
      const xo = i * B;
      const c = constant[i]!;
      for (let k = 0; k < S; k++) {
        const to = k * B;
        let acc = 0;
        for (let b = 0; b < B; b++) {
          const d = x[xo + b]! - template[to + b]!;
          acc += present[xo + b]! * d * d;
        }
        L[i * S + k] = c - 0.5 * acc;
      }
    }
  }

  stageDeltas(data: ZData, ch: TemplateChanges, out: Float64Array, stride = ch.nStages, columns: Int32Array | null = null): void {
    // The change of -0.5 (x - mu)^2 when mu goes o -> n is (n - o) x - 0.5 (n^2 - o^2): linear in x.
    // Changes are regrouped per biomarker into dense rows over the changed stages, so the inner loop
    // runs over contiguous stages (few biomarkers change per move, typically two).
    const { M, B, x, present } = data;
    const ns = ch.nStages;
    const nc = ch.n;
    const slot = this.featureSlot;
    slot.fill(-1);
    let nf = 0;
    const feats = this.changedFeatures;
    for (let q = 0; q < nc; q++) {
      const f = ch.feature[q]!;
      if (slot[f] === -1) {
        slot[f] = nf;
        feats[nf++] = f;
      }
    }
    const need = nf * ns;
    if (this.coefA.length < need) {
      this.coefA = new Float64Array(B * this.nStages);
      this.coefC = new Float64Array(B * this.nStages);
    }
    const A = this.coefA;
    const C = this.coefC;
    A.fill(0, 0, need);
    C.fill(0, 0, need);
    // each biomarker's changed stages form one run (its curve changes between two knots): loop only there
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
}

// Small module-level scratch buffers (grown on demand): the model is used by one thread at a time.
let posBuf = new Int32Array(0);
function scratchPos(n: number): Int32Array {
  if (posBuf.length < n) posBuf = new Int32Array(n);
  return posBuf;
}
