/**
 * Distribution functions for p-values and intervals, from the stdlib packages (well-kept, tested
 * against R); only trigamma is ours (stdlib has no separate package for it).
 */
import chisqCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import fCdf from '@stdlib/stats-base-dists-f-cdf';
import gammaln from '@stdlib/math-base-special-gammaln';
import digamma from '@stdlib/math-base-special-digamma';

export { gammaln, digamma };

/** P(X^2_df >= x) */
export function pChisqUpper(x: number, df: number): number {
  if (!(x > 0)) return 1;
  return 1 - chisqCdf(x, df);
}

/** Two-sided normal p-value of a z statistic. */
export function pNormTwoSided(z: number): number {
  return 2 * normalCdf(-Math.abs(z), 0, 1);
}

export function qNorm(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** Two-sided t p-value; df = Infinity falls back to the normal. */
export function pTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(df)) return pNormTwoSided(t);
  return 2 * tCdf(-Math.abs(t), df);
}

export function qT(p: number, df: number): number {
  return Number.isFinite(df) ? tQuantile(p, df) : qNorm(p);
}

/** P(F_{d1,d2} >= x) */
export function pFUpper(x: number, d1: number, d2: number): number {
  if (!(x > 0)) return 1;
  return 1 - fCdf(x, d1, d2);
}

/** psi'(x) for x > 0: recurrence up to 8, then the asymptotic series (error < 1e-13). */
export function trigamma(x: number): number {
  let acc = 0;
  while (x < 8) {
    acc += 1 / (x * x);
    x += 1;
  }
  const x2 = 1 / (x * x);
  return acc + 1 / x + x2 / 2 + (1 / x) * x2 * (1 / 6 - x2 * (1 / 30 - x2 * (1 / 42 - x2 * (1 / 30 - (x2 * 5) / 66))));
}
