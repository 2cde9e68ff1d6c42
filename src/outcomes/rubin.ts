/**
 * Rubin's rules: estimates from several imputations (here: draws of each patient's subtype from
 * its posterior probabilities) pooled into one, with the between-draw spread added to the variance
 * so an uncertain subtype widens the interval.
 */
import { pTTwoSided, qT } from './dist.js';
import type { Estimate } from './models.js';

export interface PooledEstimate extends Estimate {
  /** degrees of freedom of the t reference (Rubin 1987); Infinity when the draws agree exactly */
  dfRubin: number;
  /** fraction of the variance due to the subtype's uncertainty */
  fmi: number;
}

/** Pool one term's coefficient and standard error over M draws. */
export function poolRubin(term: string, coefs: readonly number[], ses: readonly number[]): PooledEstimate {
  const m = coefs.length;
  const qbar = coefs.reduce((a, b) => a + b, 0) / m;
  const ubar = ses.reduce((a, s) => a + s * s, 0) / m;
  const b = m > 1 ? coefs.reduce((a, q) => a + (q - qbar) ** 2, 0) / (m - 1) : 0;
  const t = ubar + (1 + 1 / m) * b;
  const r = ((1 + 1 / m) * b) / ubar;
  const df = b > 0 ? (m - 1) * (1 + 1 / r) ** 2 : Infinity;
  const se = Math.sqrt(t);
  const q = qT(0.975, df);
  return {
    term,
    coef: qbar,
    se,
    ratio: Math.exp(qbar),
    ciLow: Math.exp(qbar - q * se),
    ciHigh: Math.exp(qbar + q * se),
    p: pTTwoSided(qbar / se, df),
    dfRubin: df,
    fmi: t > 0 ? ((1 + 1 / m) * b) / t : 0,
  };
}

/** Pool per term over draws; a term missing from any draw (not estimable there) is left out and named. */
export function poolDraws(draws: readonly Estimate[][]): { pooled: PooledEstimate[]; notPooled: string[] } {
  const names = [...new Set(draws.flatMap((d) => d.map((e) => e.term)))];
  const pooled: PooledEstimate[] = [];
  const notPooled: string[] = [];
  for (const nm of names) {
    const per = draws.map((d) => d.find((e) => e.term === nm));
    if (per.some((e) => e === undefined)) notPooled.push(nm);
    else
      pooled.push(
        poolRubin(
          nm,
          per.map((e) => e!.coef),
          per.map((e) => e!.se),
        ),
      );
  }
  return { pooled, notPooled };
}
