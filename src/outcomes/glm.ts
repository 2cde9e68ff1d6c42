/**
 * Log-link count regression with a log(exposure) offset: Poisson by iteratively reweighted least
 * squares (as R's glm), and the negative binomial (as MASS::glm.nb: IRLS for the coefficients
 * alternating with the maximum-likelihood theta). Columns must be free of collinearity; the first
 * column is normally the intercept. No file access.
 */
import { cholesky, cholSolve, spdInverse } from './linalg.js';
import { digamma, gammaln, trigamma } from './dist.js';

export interface GlmInput {
  y: Float64Array;
  offset: Float64Array;
  /** design columns (intercept included by the caller) */
  x: Float64Array[];
}

export interface GlmFit {
  coef: Float64Array;
  se: Float64Array;
  vcov: Float64Array;
  deviance: number;
  loglik: number;
  iterations: number;
  converged: boolean;
  /** negative binomial only */
  theta?: number;
  thetaSe?: number;
}

/** IRLS for a log link with variance mu + mu^2/theta (theta = Infinity: Poisson). Null when X'WX is singular. */
function irls(
  inp: GlmInput,
  theta: number,
  start: Float64Array | null,
  maxIter = 100,
): { coef: Float64Array; mu: Float64Array; xwx: Float64Array; iterations: number; converged: boolean } | null {
  const n = inp.y.length;
  const p = inp.x.length;
  const mu = new Float64Array(n);
  const eta = new Float64Array(n);
  if (start === null) {
    for (let i = 0; i < n; i++) {
      mu[i] = inp.y[i]! + 0.1;
      eta[i] = Math.log(mu[i]!);
    }
  } else {
    for (let i = 0; i < n; i++) {
      let e = inp.offset[i]!;
      for (let j = 0; j < p; j++) e += inp.x[j]![i]! * start[j]!;
      eta[i] = e;
      mu[i] = Math.exp(e);
    }
  }
  let coef: Float64Array = new Float64Array(p);
  let devOld = deviance(inp.y, mu, theta);
  const xwx = new Float64Array(p * p);
  const xwz = new Float64Array(p);
  let it = 0;
  let converged = false;
  for (; it < maxIter; it++) {
    xwx.fill(0);
    xwz.fill(0);
    for (let i = 0; i < n; i++) {
      const m = mu[i]!;
      const w = Number.isFinite(theta) ? m / (1 + m / theta) : m;
      const z = eta[i]! - inp.offset[i]! + (inp.y[i]! - m) / m;
      for (let j = 0; j < p; j++) {
        const xj = inp.x[j]![i]!;
        xwz[j]! += w * xj * z;
        for (let l = 0; l <= j; l++) xwx[j * p + l]! += w * xj * inp.x[l]![i]!;
      }
    }
    for (let j = 0; j < p; j++) for (let l = 0; l < j; l++) xwx[l * p + j] = xwx[j * p + l]!;
    const l = cholesky(xwx, p);
    if (l === null) return null;
    coef = cholSolve(l, p, xwz);
    for (let i = 0; i < n; i++) {
      let e = inp.offset[i]!;
      for (let j = 0; j < p; j++) e += inp.x[j]![i]! * coef[j]!;
      eta[i] = e;
      mu[i] = Math.exp(e);
    }
    const dev = deviance(inp.y, mu, theta);
    if (Math.abs(dev - devOld) / (Math.abs(dev) + 0.1) < 1e-13) {
      converged = true;
      it++;
      break;
    }
    devOld = dev;
  }
  // The variance is evaluated at the final mu (R reuses the last iteration's weights; at convergence they agree).
  xwx.fill(0);
  for (let i = 0; i < n; i++) {
    const m = mu[i]!;
    const w = Number.isFinite(theta) ? m / (1 + m / theta) : m;
    for (let j = 0; j < p; j++) for (let l = 0; l < p; l++) xwx[j * p + l]! += w * inp.x[j]![i]! * inp.x[l]![i]!;
  }
  return { coef, mu, xwx, iterations: it, converged };
}

function deviance(y: Float64Array, mu: Float64Array, theta: number): number {
  let d = 0;
  for (let i = 0; i < y.length; i++) {
    const yi = y[i]!;
    const m = mu[i]!;
    if (Number.isFinite(theta)) d += 2 * ((yi > 0 ? yi * Math.log(yi / m) : 0) - (yi + theta) * Math.log((1 + yi / theta) / (1 + m / theta)));
    else d += 2 * ((yi > 0 ? yi * Math.log(yi / m) : 0) - (yi - m));
  }
  return d;
}

function poissonLoglik(y: Float64Array, mu: Float64Array): number {
  let l = 0;
  for (let i = 0; i < y.length; i++) l += y[i]! * Math.log(mu[i]!) - mu[i]! - gammaln(y[i]! + 1);
  return l;
}

function nbLoglik(y: Float64Array, mu: Float64Array, theta: number): number {
  let l = 0;
  for (let i = 0; i < y.length; i++) {
    const yi = y[i]!;
    const m = mu[i]!;
    l += gammaln(theta + yi) - gammaln(theta) - gammaln(yi + 1) + theta * Math.log(theta) + (yi > 0 ? yi * Math.log(m) : 0) - (theta + yi) * Math.log(theta + m);
  }
  return l;
}

function finish(inp: GlmInput, r: NonNullable<ReturnType<typeof irls>>, theta: number): GlmFit | null {
  const p = inp.x.length;
  const vcov = spdInverse(r.xwx, p);
  if (vcov === null) return null;
  return {
    coef: r.coef,
    vcov,
    se: Float64Array.from({ length: p }, (_, j) => Math.sqrt(vcov[j * p + j]!)),
    deviance: deviance(inp.y, r.mu, theta),
    loglik: Number.isFinite(theta) ? nbLoglik(inp.y, r.mu, theta) : poissonLoglik(inp.y, r.mu),
    iterations: r.iterations,
    converged: r.converged,
  };
}

export function fitPoisson(inp: GlmInput): GlmFit | null {
  const r = irls(inp, Infinity, null);
  return r === null ? null : finish(inp, r, Infinity);
}

/** Maximum-likelihood theta given the means (Newton on the profile score, as MASS::theta.ml). */
export function thetaMl(y: Float64Array, mu: Float64Array, start?: number): { theta: number; se: number; converged: boolean } {
  const n = y.length;
  let t: number;
  if (start !== undefined) t = start;
  else {
    // The moment estimate glm.nb starts from.
    let s = 0;
    for (let i = 0; i < n; i++) s += (y[i]! / mu[i]! - 1) ** 2;
    t = n / s;
  }
  let converged = false;
  for (let it = 0; it < 200; it++) {
    let score = 0;
    let info = 0;
    for (let i = 0; i < n; i++) {
      const yi = y[i]!;
      const m = mu[i]!;
      score += digamma(t + yi) - digamma(t) + Math.log(t) + 1 - Math.log(t + m) - (yi + t) / (m + t);
      info += -trigamma(t + yi) + trigamma(t) - 1 / t + 2 / (m + t) - (yi + t) / (m + t) ** 2;
    }
    let next = t + score / info;
    if (!(next > 0)) next = t / 2;
    const step = Math.abs(next - t);
    t = next;
    if (step < 1e-12 * Math.max(1, t)) {
      converged = true;
      break;
    }
    if (t > 1e10) break;
  }
  let info = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    const m = mu[i]!;
    info += -trigamma(t + yi) + trigamma(t) - 1 / t + 2 / (m + t) - (yi + t) / (m + t) ** 2;
  }
  return { theta: t, se: 1 / Math.sqrt(info), converged };
}

/** Negative binomial: Poisson start, then theta and coefficients in turn until both settle. */
export function fitNegBin(inp: GlmInput): (GlmFit & { theta: number; thetaSe: number }) | null {
  let r = irls(inp, Infinity, null);
  if (r === null) return null;
  let th = thetaMl(inp.y, r.mu);
  let converged = false;
  let it = 0;
  for (; it < 100; it++) {
    if (!th.converged || th.theta > 1e8) return null;
    const next = irls(inp, th.theta, r.coef);
    if (next === null) return null;
    r = next;
    const th2 = thetaMl(inp.y, r.mu, th.theta);
    const moved = Math.abs(th2.theta - th.theta) / th.theta;
    th = th2;
    if (moved < 1e-12) {
      converged = true;
      break;
    }
  }
  if (!th.converged || th.theta > 1e8) return null;
  const f = finish(inp, irls(inp, th.theta, r.coef) ?? r, th.theta);
  if (f === null) return null;
  return { ...f, converged: converged && f.converged, theta: th.theta, thetaSe: th.se };
}
