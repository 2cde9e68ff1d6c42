/**
 * The piecewise-linear z-score progression model (Young et al. 2018; pySuStaIn ZscoreSustain).
 *
 * Events are "biomarker b reaches threshold z" (zscore-events.ts). For a sequence, each biomarker's
 * expected z is the piecewise-linear curve through (0, 0), (pos(e)+1, z_e) for its events,
 * (N+1, zmax) on the grid 0..N+1, and the value at model stage k (0..N) is the midpoint of grid
 * points k and k+1. Noise sd 1. Prepared data: zscore-data.ts; the multiplicative update:
 * zscore-factors.ts; the kind (spec, model-file part): zscore-kind.ts.
 */
import type { Rng } from '../common/rng.js';
import type { Thresholds } from './types.js';
import type { ProgressionModel, TemplateChanges } from './model.js';
import { ChangeGroups } from './zscore-changes.js';
import { prepareZData, subsetZData, type ZData } from './zscore-data.js';
import { eventPositions, eventTable, type EventTable } from './zscore-events.js';
import { ZscoreFactors } from './zscore-factors.js';
import { ZscoreStageRows } from './zscore-stagerows.js';

export { eventTable, type EventTable } from './zscore-events.js';
export type { ZData } from './zscore-data.js';

export class ZscoreModel implements ProgressionModel<ZData> {
  readonly nEvents: number;
  readonly nStages: number;
  readonly nFeatures: number;
  readonly events: EventTable;
  readonly multiplicative: ZscoreFactors;
  readonly stageRows: ZscoreStageRows = new ZscoreStageRows(this);
  private readonly zmax: Float64Array;
  /** per biomarker, the largest expected value of any stage (the largest of zmax, its thresholds and 0) */
  private readonly top: Float64Array;
  private readonly point: Float64Array;
  private readonly knotPos: Int32Array;
  private readonly knotVal: Float64Array;
  private readonly groups: ChangeGroups;
  private readonly runContiguous: Uint8Array;

  constructor(readonly thresholds: Thresholds) {
    this.events = eventTable(thresholds);
    this.nEvents = this.events.nEvents;
    this.nStages = this.nEvents + 1;
    this.nFeatures = thresholds.zvals.length;
    this.zmax = Float64Array.from(thresholds.zmax);
    this.top = new Float64Array(this.nFeatures);
    for (let b = 0; b < this.nFeatures; b++) {
      let t = Math.max(0, this.zmax[b]!);
      for (let j = 0; j < this.events.count[b]!; j++) t = Math.max(t, this.events.z[this.events.first[b]! + j]!);
      this.top[b] = t;
    }
    this.point = new Float64Array(this.nEvents + 2);
    this.knotPos = new Int32Array(this.nEvents + 2);
    this.knotVal = new Float64Array(this.nEvents + 2);
    this.groups = new ChangeGroups(this.nFeatures, this.nStages);
    this.runContiguous = new Uint8Array(this.nFeatures);
    this.multiplicative = new ZscoreFactors(this.nFeatures, this.nStages, this.groups);
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
    return prepareZData(values, M, this.nFeatures, this.nStages, this.top);
  }

  subset(data: ZData, rows: ArrayLike<number>): ZData {
    return subsetZData(data, rows, this.top);
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
    const groups = this.groups;
    const nf = groups.group(ch);
    const feats = groups.features;
    const A = groups.coefA;
    const C = groups.coefC;
    const jlo = groups.runStart;
    const jhi = groups.runEnd;
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
        if (columns === null) for (let j = a; j < b; j++) out[oo + j]! += A[ro + j]! * xv + C[ro + j]!;
        else if (contiguous[g] === 1) {
          const off = oo + columns[a]! - a;
          for (let j = a; j < b; j++) out[off + j]! += A[ro + j]! * xv + C[ro + j]!;
        } else for (let j = a; j < b; j++) out[oo + columns[j]!]! += A[ro + j]! * xv + C[ro + j]!;
      }
    }
  }
}
