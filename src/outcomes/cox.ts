/**
 * Cox proportional-hazards regression with Efron's handling of tied event times, fitted by
 * Newton-Raphson from beta = 0 with step halving, as R's survival::coxph. Columns are centred first
 * (the model ignores shifts; centring keeps exp() in range). No file access.
 */
import { cholesky, cholSolve, spdInverse } from './linalg.js';

export interface CoxInput {
  time: Float64Array;
  event: Uint8Array;
  /** covariate columns, each of length n (already free of collinear columns) */
  x: Float64Array[];
}

export interface CoxFit {
  coef: Float64Array;
  /** variance matrix (inverse information at the estimate), p x p row-major */
  vcov: Float64Array;
  se: Float64Array;
  loglik: number;
  /** log partial likelihood at beta = 0 */
  loglik0: number;
  iterations: number;
  converged: boolean;
  /** the column means used for centring */
  means: Float64Array;
}

interface Pass {
  loglik: number;
  u: Float64Array;
  info: Float64Array;
}

/** Row-major n x p copy of the centred columns, and the order of subjects by time. */
function prepare(inp: CoxInput): { n: number; p: number; xc: Float64Array; means: Float64Array; order: Int32Array } {
  const n = inp.time.length;
  const p = inp.x.length;
  const means = new Float64Array(p);
  const xc = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const c = inp.x[j]!;
    let m = 0;
    for (let i = 0; i < n; i++) m += c[i]!;
    means[j] = m / n;
    for (let i = 0; i < n; i++) xc[i * p + j] = c[i]! - means[j]!;
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => inp.time[a]! - inp.time[b]!);
  return { n, p, xc, means, order };
}

/** Log partial likelihood (Efron), score and information at beta; one pass from the latest time back. */
export function efronPass(
  time: Float64Array,
  event: Uint8Array,
  xc: Float64Array,
  p: number,
  order: Int32Array,
  beta: Float64Array,
  perTime?: (t: number, u: Float64Array, info: Float64Array) => void,
): Pass {
  const n = time.length;
  const u = new Float64Array(p);
  const info = new Float64Array(p * p);
  const s1 = new Float64Array(p);
  const s2 = new Float64Array(p * p);
  const d1 = new Float64Array(p);
  const d2 = new Float64Array(p * p);
  const a1 = new Float64Array(p);
  const uT = new Float64Array(p);
  const infoT = new Float64Array(p * p);
  let s0 = 0;
  let loglik = 0;
  let k = n - 1;
  while (k >= 0) {
    const t = time[order[k]!]!;
    let d0 = 0;
    let deaths = 0;
    d1.fill(0);
    d2.fill(0);
    uT.fill(0);
    infoT.fill(0);
    // Everyone with this time joins the risk set; the deaths among them are also summed apart.
    for (; k >= 0 && time[order[k]!]! === t; k--) {
      const i = order[k]!;
      let eta = 0;
      for (let j = 0; j < p; j++) eta += xc[i * p + j]! * beta[j]!;
      const r = Math.exp(eta);
      s0 += r;
      for (let j = 0; j < p; j++) {
        const xj = xc[i * p + j]!;
        s1[j]! += r * xj;
        for (let l = 0; l <= j; l++) s2[j * p + l]! += r * xj * xc[i * p + l]!;
      }
      if (event[i] === 1) {
        deaths++;
        d0 += r;
        loglik += eta;
        for (let j = 0; j < p; j++) {
          const xj = xc[i * p + j]!;
          uT[j]! += xj;
          d1[j]! += r * xj;
          for (let l = 0; l <= j; l++) d2[j * p + l]! += r * xj * xc[i * p + l]!;
        }
      }
    }
    // Efron: the r-th of d tied deaths sees the risk set less r/d of the dying subjects' weight.
    for (let r = 0; r < deaths; r++) {
      const f = r / deaths;
      const den = s0 - f * d0;
      loglik -= Math.log(den);
      for (let j = 0; j < p; j++) a1[j] = (s1[j]! - f * d1[j]!) / den;
      for (let j = 0; j < p; j++) {
        uT[j]! -= a1[j]!;
        for (let l = 0; l <= j; l++) infoT[j * p + l]! += (s2[j * p + l]! - f * d2[j * p + l]!) / den - a1[j]! * a1[l]!;
      }
    }
    if (deaths > 0) {
      for (let j = 0; j < p; j++) for (let l = 0; l < j; l++) infoT[l * p + j] = infoT[j * p + l]!;
      for (let j = 0; j < p * p; j++) info[j]! += infoT[j]!;
      for (let j = 0; j < p; j++) u[j]! += uT[j]!;
      perTime?.(t, uT, infoT);
    }
  }
  return { loglik, u, info };
}

/** Fit; `maxIter` Newton steps at most. Returns null when the information matrix is singular. */
export function fitCox(inp: CoxInput, maxIter = 60): CoxFit | null {
  const { n, p, xc, means, order } = prepare(inp);
  if (n === 0) return null;
  let beta = new Float64Array(p);
  let cur = efronPass(inp.time, inp.event, xc, p, order, beta);
  const loglik0 = cur.loglik;
  let converged = p === 0;
  let it = 0;
  for (; it < maxIter && !converged; it++) {
    const l = cholesky(cur.info, p);
    if (l === null) return null;
    const step = cholSolve(l, p, cur.u);
    let next = beta.map((b, j) => b + step[j]!);
    let trial = efronPass(inp.time, inp.event, xc, p, order, next);
    // Step halving when the likelihood falls (as coxph does).
    for (let h = 0; h < 30 && !(trial.loglik >= cur.loglik - 1e-12 * Math.abs(cur.loglik)); h++) {
      next = next.map((b, j) => (b + beta[j]!) / 2);
      trial = efronPass(inp.time, inp.event, xc, p, order, next);
    }
    const maxStep = next.reduce((m, b, j) => Math.max(m, Math.abs(b - beta[j]!) / Math.max(1, Math.abs(b))), 0);
    const dl = Math.abs(trial.loglik - cur.loglik);
    beta = next;
    cur = trial;
    if (maxStep < 1e-11 || (dl < 1e-13 * Math.max(1, Math.abs(cur.loglik)) && maxStep < 1e-8)) converged = true;
  }
  const vcov = spdInverse(cur.info, p);
  if (vcov === null) return null;
  const se = Float64Array.from({ length: p }, (_, j) => Math.sqrt(vcov[j * p + j]!));
  return { coef: beta, vcov, se, loglik: cur.loglik, loglik0, iterations: it, converged, means };
}

/** Centred row-major design and time order, for the proportional-hazards test. */
export { prepare as prepareCox };
