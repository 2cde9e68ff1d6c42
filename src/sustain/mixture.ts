/**
 * The event-based model with mixture-modelled likelihoods (Fonteijn et al. 2012; Young et al. 2014;
 * pySuStaIn MixtureSustain). One event per biomarker ("becomes abnormal"); a subtype is a
 * permutation of the biomarkers; with L_yes / L_no the likelihoods of a subject's value under the
 * abnormal / normal component,
 *   p(x_i | stage k) = 1/(N+1) prod_{events before k} L_yes[i,b] prod_{others} L_no[i,b].
 * In logs: L[i,k] = log(1/(N+1)) + sum_b log L_no[i,b] + sum_{b occurred by k} d[i,b], with
 * d = log L_yes - log L_no. The template is 0/1 (has b's event occurred at stage k), so a changed
 * cell changes the table by +-d[i,b]. Moving one event shifts the stages between its old and new
 * place by one, times exp(-+d) of the event (the tables' event shift: no exp per cell); other changes
 * (e.g. staging's jumps between samples) are multiplicative (mixture-factors.ts) or by exp.
 * A missing value drops out of the product (L_yes = L_no = 1, d = 0).
 */
import type { Rng } from '../common/rng.js';
import type { EventShift, ModelData, ProgressionModel, StageRows, TemplateChanges } from './model.js';
import { MixtureFactors, mixtureShift, SAFE_RANGE, type MixFactorData } from './mixture-factors.js';
import { mixtureStageRows } from './mixture-stagerows.js';

/**
 * Likelihoods below this are raised to it (a zero density would give -Infinity and NaN in the
 * table updates); 1e-300 is far below any likelihood a stage can matter by.
 */
export const MIN_LIKELIHOOD = 1e-300;

export interface MixData extends ModelData, MixFactorData {
  readonly M: number;
  readonly B: number;
  /** d[i * B + b] = log L_yes - log L_no (0 where missing) */
  readonly d: Float64Array;
  /** per subject: log(1/(N+1)) + sum_b log L_no[i,b] */
  readonly constant: Float64Array;
}

export class MixtureModel implements ProgressionModel<MixData> {
  readonly nEvents: number;
  readonly nStages: number;
  readonly nFeatures: number;
  readonly multiplicative: MixtureFactors;
  readonly shift: EventShift<MixData> = mixtureShift;
  readonly stageRows: StageRows<MixData> = mixtureStageRows;
  /** scratch: the order a template encodes (orderOf) */
  private readonly order: Int32Array;

  constructor(readonly nBiomarkers: number) {
    this.nEvents = nBiomarkers;
    this.nStages = nBiomarkers + 1;
    this.nFeatures = nBiomarkers;
    this.multiplicative = new MixtureFactors(this.nStages);
    this.order = new Int32Array(nBiomarkers);
  }

  /** out[k * B + b] = 1 when biomarker b's event comes before stage k (its position < k), else 0. */
  template(seq: Int32Array, out: Float64Array): void {
    const B = this.nFeatures;
    out.fill(0, 0, this.nStages * B);
    for (let p = 0; p < B; p++) {
      const b = seq[p]!;
      for (let k = p + 1; k < this.nStages; k++) out[k * B + b] = 1;
    }
  }

  /** No order constraints: any insertion index of the sequence without e. */
  allowedRange(_pos: Int32Array, _e: number, out: Int32Array): void {
    out[0] = 0;
    out[1] = this.nEvents;
  }

  randomSequence(rng: Rng): Int32Array {
    return rng.permutation(this.nEvents);
  }

  /**
   * values: row-major M x 2B, per subject the B likelihoods L_yes then the B likelihoods L_no
   * (NaN = missing: both must be missing together, as the kind's encode guarantees).
   */
  prepare(values: Float64Array, M: number): MixData {
    const B = this.nFeatures;
    if (values.length !== M * 2 * B) throw new Error(`data has ${values.length} values, expected ${M} x ${2 * B}`);
    const d = new Float64Array(M * B);
    const constant = new Float64Array(M);
    const logPrior = Math.log(1 / this.nStages);
    for (let i = 0; i < M; i++) {
      let c = logPrior;
      for (let b = 0; b < B; b++) {
        const yes = values[i * 2 * B + b]!;
        const no = values[i * 2 * B + B + b]!;
        if (Number.isNaN(yes) || Number.isNaN(no)) continue;
        const ly = Math.log(Math.max(yes, MIN_LIKELIHOOD));
        const ln = Math.log(Math.max(no, MIN_LIKELIHOOD));
        c += ln;
        d[i * B + b] = ly - ln;
      }
      constant[i] = c;
    }
    return withFactors(M, B, d, constant);
  }

  subset(data: MixData, rows: ArrayLike<number>): MixData {
    const B = data.B;
    const M = rows.length;
    const d = new Float64Array(M * B);
    const constant = new Float64Array(M);
    for (let r = 0; r < M; r++) {
      const i = rows[r]!;
      d.set(data.d.subarray(i * B, i * B + B), r * B);
      constant[r] = data.constant[i]!;
    }
    return withFactors(M, B, d, constant);
  }

  /**
   * The biomarker order a template encodes into `order` (order[k - 1]: the biomarker whose cell turns
   * to 1 at stage k): true when the template is a sequence's (stage 0 all 0, one cell turning 0 -> 1
   * per stage), so a stage's log-likelihood is the one before plus one d.
   */
  private orderOf(template: Float64Array, order: Int32Array): boolean {
    const B = this.nFeatures;
    for (let b = 0; b < B; b++) if (template[b] !== 0) return false;
    for (let k = 1; k < this.nStages; k++) {
      let found = -1;
      for (let b = 0; b < B; b++) {
        const was = template[(k - 1) * B + b]!;
        const now = template[k * B + b]!;
        if (was === now) continue;
        if (found >= 0 || was !== 0 || now !== 1) return false;
        found = b;
      }
      if (found < 0) return false;
      order[k - 1] = found;
    }
    return true;
  }

  /**
   * Stage log-likelihoods of subject i at stages 0..upTo (or at the listed ones) by running sums along
   * the order (one add per stage; fillTable, fillRow and fillStages give the same numbers); for a
   * template that is not a sequence's, by a sum over the biomarkers per stage.
   */
  private fillSubject(data: MixData, template: Float64Array, sequence: boolean, i: number, stages: Int32Array | null, ns: number, out: Float64Array, offset: number): void {
    const { B, d, constant } = data;
    const c = constant[i]!;
    const xo = i * B;
    if (sequence) {
      const order = this.order;
      let acc = 0;
      if (stages === null) {
        out[offset] = c + acc;
        for (let k = 1; k < ns; k++) {
          acc += d[xo + order[k - 1]!]!;
          out[offset + k] = c + acc;
        }
        return;
      }
      // stages ascending (TemplateChanges); a stage below the last restarts the sum
      let at = 0;
      for (let j = 0; j < ns; j++) {
        const k = stages[j]!;
        if (k < at) {
          acc = 0;
          at = 0;
        }
        for (; at < k; at++) acc += d[xo + order[at]!]!;
        out[offset + j] = c + acc;
      }
      return;
    }
    for (let j = 0; j < ns; j++) {
      const to = (stages === null ? j : stages[j]!) * B;
      let acc = 0;
      for (let b = 0; b < B; b++) acc += template[to + b]! * d[xo + b]!;
      out[offset + j] = c + acc;
    }
  }

  fillTable(data: MixData, template: Float64Array, L: Float64Array): void {
    const S = this.nStages;
    const sequence = this.orderOf(template, this.order);
    for (let i = 0; i < data.M; i++) this.fillSubject(data, template, sequence, i, null, S, L, i * S);
  }

  fillRow(data: MixData, template: Float64Array, i: number, out: Float64Array, offset: number): void {
    this.fillSubject(data, template, this.orderOf(template, this.order), i, null, this.nStages, out, offset);
  }

  fillStages(data: MixData, template: Float64Array, i: number, stages: Int32Array, ns: number, out: Float64Array, offset: number): void {
    this.fillSubject(data, template, this.orderOf(template, this.order), i, stages, ns, out, offset);
  }

  stageDeltas(data: MixData, ch: TemplateChanges, out: Float64Array, stride = ch.nStages, columns: Int32Array | null = null): void {
    const { M, B, d } = data;
    const ns = ch.nStages;
    for (let i = 0; i < M; i++) {
      const xo = i * B;
      const oo = i * stride;
      for (let j = 0; j < ns; j++) {
        let acc = 0;
        for (let q = ch.stageStart[j]!; q < ch.stageStart[j + 1]!; q++) acc += (ch.newValue[q]! - ch.oldValue[q]!) * d[xo + ch.feature[q]!]!;
        out[oo + (columns === null ? j : columns[j]!)]! += acc;
      }
    }
  }
}

/** Prepared data with what the multiplicative update reads (exp(+-d), the safe subjects). */
function withFactors(M: number, B: number, d: Float64Array, constant: Float64Array): MixData {
  const expD = new Float64Array(M * B);
  const expMinusD = new Float64Array(M * B);
  const expDByEvent = new Float64Array(M * B);
  const expMinusDByEvent = new Float64Array(M * B);
  const safe = new Uint8Array(M);
  for (let i = 0; i < M; i++) {
    let span = 0;
    for (let b = 0; b < B; b++) {
      const v = d[i * B + b]!;
      expD[i * B + b] = expDByEvent[b * M + i] = Math.exp(v);
      expMinusD[i * B + b] = expMinusDByEvent[b * M + i] = Math.exp(-v);
      span += Math.abs(v);
    }
    safe[i] = span < SAFE_RANGE ? 1 : 0;
  }
  return { M, B, d, constant, expD, expMinusD, expDByEvent, expMinusDByEvent, safe };
}
