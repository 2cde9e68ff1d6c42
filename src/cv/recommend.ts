import { mean, sd } from './cvic.js';

/**
 * The recommendation rule (one-standard-error rule on paired per-fold differences).
 *
 * Let best = the K with the highest mean held-out log-likelihood over folds. For every K, take the
 * per-fold differences d_f = LL_f(best) - LL_f(K) (paired: same held-out subjects), their mean and
 * standard error sd(d)/sqrt(F). Recommend the smallest K whose mean difference is at most one
 * standard error: a larger K is only preferred when its gain is larger than the fold-to-fold
 * noise of that gain. Plain smallest-CVIC has no such margin and over-splits when the gain of an
 * extra subtype is within noise.
 */
export interface Comparison {
  subtypes: number;
  /** mean over folds of LL_f(best) - LL_f(K); 0 for the best K */
  meanDifference: number;
  /** standard error of that mean */
  seDifference: number;
  withinOneSe: boolean;
}

export interface Recommendation {
  bestTestLogLikelihood: number;
  recommendedSubtypes: number;
  comparisons: Comparison[];
  rule: string;
}

/** perFold[k][f] = held-out log-likelihood of fold f for K = k+1; cvic[k] likewise. */
export function recommend(perFold: readonly (readonly number[])[], cvic: readonly number[]): Recommendation {
  const Kmax = perFold.length;
  const F = perFold[0]!.length;
  const means = perFold.map((x) => mean(x));
  let best = 0;
  for (let k = 1; k < Kmax; k++) if (means[k]! > means[best]!) best = k;
  const comparisons: Comparison[] = perFold.map((x, k) => {
    const d = x.map((v, f) => perFold[best]![f]! - v);
    const m = mean(d);
    const se = sd(d) / Math.sqrt(F);
    return { subtypes: k + 1, meanDifference: m, seDifference: se, withinOneSe: m <= se };
  });
  const rec = comparisons.find((c) => c.withinOneSe)!.subtypes;
  const cvicChoice = argmin(cvic) + 1;
  return { bestTestLogLikelihood: best + 1, recommendedSubtypes: rec, comparisons, rule: sentence(comparisons, best + 1, rec, cvicChoice, F) };
}

export function argmin(x: readonly number[]): number {
  let a = 0;
  for (let k = 1; k < x.length; k++) if (x[k]! < x[a]!) a = k;
  return a;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));

function sentence(c: Comparison[], best: number, rec: number, cvicChoice: number, F: number): string {
  const parts: string[] = [];
  parts.push(
    `Recommended ${rec} subtype${rec === 1 ? '' : 's'}: the smallest number whose held-out log-likelihood is within one standard error ` +
      `of the best (${best} subtype${best === 1 ? '' : 's'}), comparing the two fold by fold over ${F} folds.`,
  );
  if (rec !== best) {
    const r = c[rec - 1]!;
    parts.push(
      `${best} subtypes fit held-out subjects better by only ${fmt(r.meanDifference)} ± ${fmt(r.seDifference)} (mean ± SE per fold), within fold-to-fold noise.`,
    );
  }
  if (rec > 1) {
    const p = c[rec - 2]!;
    parts.push(`${rec - 1} subtype${rec - 1 === 1 ? ' is' : 's are'} worse than the best by ${fmt(p.meanDifference)} ± ${fmt(p.seDifference)}, more than one standard error.`);
  }
  if (cvicChoice !== rec) {
    parts.push(
      cvicChoice > rec
        ? `Smallest CVIC alone would pick ${cvicChoice}, but its gain over ${rec} is not larger than the noise between folds.`
        : `Smallest CVIC alone would pick ${cvicChoice}; the held-out log-likelihood per fold favours ${rec} by more than its noise.`,
    );
  } else parts.push(`Smallest CVIC agrees (${cvicChoice}).`);
  return parts.join(' ');
}
