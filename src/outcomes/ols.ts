/** Ordinary least squares with t-based intervals (R's lm + confint): the score-vs-stage regression. */
import { pTTwoSided, qT } from './dist.js';
import { cholesky, cholSolve, spdInverse } from './linalg.js';

export interface OlsTerm {
  term: string;
  coef: number;
  se: number;
  ciLow: number;
  ciHigh: number;
  p: number;
}

export interface OlsFit {
  terms: OlsTerm[];
  n: number;
  df: number;
  sigma: number;
  r2: number;
}

/** `x` holds the design columns, intercept first; names match. Null when singular or no residual df. */
export function fitOls(y: Float64Array, x: Float64Array[], names: string[]): OlsFit | null {
  const n = y.length;
  const p = x.length;
  if (n - p < 1) return null;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    for (let l = 0; l <= j; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[j]![i]! * x[l]![i]!;
      xtx[j * p + l] = s;
      xtx[l * p + j] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += x[j]![i]! * y[i]!;
    xty[j] = s;
  }
  const l = cholesky(xtx, p);
  const inv = spdInverse(xtx, p);
  if (l === null || inv === null) return null;
  const b = cholSolve(l, p, xty);
  let rss = 0;
  let my = 0;
  for (let i = 0; i < n; i++) my += y[i]! / n;
  let tss = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let j = 0; j < p; j++) f += x[j]![i]! * b[j]!;
    rss += (y[i]! - f) ** 2;
    tss += (y[i]! - my) ** 2;
  }
  const df = n - p;
  const s2 = rss / df;
  const q = qT(0.975, df);
  const terms = names.map((term, j) => {
    const se = Math.sqrt(s2 * inv[j * p + j]!);
    return { term, coef: b[j]!, se, ciLow: b[j]! - q * se, ciHigh: b[j]! + q * se, p: pTTwoSided(b[j]! / se, df) };
  });
  return { terms, n, df, sigma: Math.sqrt(s2), r2: tss > 0 ? 1 - rss / tss : NaN };
}
