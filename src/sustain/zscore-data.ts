/**
 * Subject data prepared for the z-score model: values with missing cells zeroed, presence flags,
 * per-subject constants, and the column-major copies and bounds the multiplicative update runs on.
 */
import type { ModelData } from './model.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** A log-likelihood range whose exp stays far above the update's underflow guard (exp(-600) ~ 1e-261). */
const SAFE_RANGE = 600;

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

/**
 * See ZData.safeQuad. Every expected value of biomarker b lies in [0, top[b]] (the largest of zmax
 * and its thresholds), so a subject's stage log-likelihoods span at most
 * sum_b (max - min over mu in [0, top_b] of (x - mu)^2) / 2.
 */
function safeQuads(M: number, B: number, x: Float64Array, present: Float64Array, top: Float64Array): Uint8Array {
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

/** Prepare row-major M x B values (NaN = missing) for a model with nStages stages; `top` as in safeQuads. */
export function prepareZData(values: Float64Array, M: number, B: number, nStages: number, top: Float64Array): ZData {
  if (values.length !== M * B) throw new Error(`data has ${values.length} values, expected ${M} x ${B}`);
  const x = new Float64Array(M * B);
  const present = new Float64Array(M * B);
  const constant = new Float64Array(M);
  const logPrior = Math.log(1 / nStages);
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
  return { M, B, x, present, constant, ...transpose(M, B, x, present), safeQuad: safeQuads(M, B, x, present, top) };
}

/** Rows of prepared data, in the given order. */
export function subsetZData(data: ZData, rows: ArrayLike<number>, top: Float64Array): ZData {
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
  return { M, B, x, present, constant, ...transpose(M, B, x, present), safeQuad: safeQuads(M, B, x, present, top) };
}
