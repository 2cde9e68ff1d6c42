import { mean, sd } from './cvic.js';

/**
 * The recommendation rule: the smallest K whose held-out log-likelihood is not meaningfully worse
 * than the best K's.
 *
 * Let best = the K with the highest mean held-out log-likelihood over folds. For every K, take the
 * per-fold differences d_f = LL_f(best) - LL_f(K) (paired: the same held-out subjects), their mean
 * and standard error sd(d)/sqrt(F). K is "not meaningfully worse" when mean(d) <= margin, with
 * margin = max(SE, minGainPerSubject x mean held-out subjects per fold): the gain of a larger K must
 * exceed the fold-to-fold noise of that gain (the one-standard-error rule on paired differences)
 * and a minimum effect size (default 0.01 log-likelihood units per held-out subject, a 1 %
 * likelihood ratio), which keeps very large cohorts, where the SE becomes tiny, from splitting off
 * subtypes that only soak up small misfits of the model. Plain smallest-CVIC has no margin at all
 * and over-splits when the gain of an extra subtype is noise.
 */
export interface Comparison {
  subtypes: number;
  /** mean over folds of LL_f(best) - LL_f(K); 0 for the best K */
  meanDifference: number;
  /** standard error of that mean */
  seDifference: number;
  /** max(seDifference, minimum gain x held-out subjects per fold) */
  margin: number;
  /** meanDifference <= margin */
  notMeaningfullyWorse: boolean;
}

export interface Recommendation {
  bestTestLogLikelihood: number;
  recommendedSubtypes: number;
  comparisons: Comparison[];
  rule: string;
}

export interface RecommendOptions {
  /** log-likelihood units per held-out subject below which a gain is not meaningful */
  minGainPerSubject: number;
  /** mean number of held-out subjects per fold */
  testSubjectsPerFold: number;
}

export const RECOMMEND_DEFAULTS = { minGainPerSubject: 0.01 } as const;

/** perFold[k][f] = held-out log-likelihood of fold f for K = k+1; cvic[k] likewise. */
export function recommend(perFold: readonly (readonly number[])[], cvic: readonly number[], opts: RecommendOptions): Recommendation {
  const Kmax = perFold.length;
  const F = perFold[0]!.length;
  const means = perFold.map((x) => mean(x));
  let best = 0;
  for (let k = 1; k < Kmax; k++) if (means[k]! > means[best]!) best = k;
  const floor = opts.minGainPerSubject * opts.testSubjectsPerFold;
  const comparisons: Comparison[] = perFold.map((x, k) => {
    const d = x.map((v, f) => perFold[best]![f]! - v);
    const m = mean(d);
    const se = sd(d) / Math.sqrt(F);
    const margin = Math.max(se, floor);
    return { subtypes: k + 1, meanDifference: m, seDifference: se, margin, notMeaningfullyWorse: m <= margin };
  });
  const rec = comparisons.find((c) => c.notMeaningfullyWorse)!.subtypes;
  const cvicChoice = argmin(cvic) + 1;
  return { bestTestLogLikelihood: best + 1, recommendedSubtypes: rec, comparisons, rule: sentence(comparisons, best + 1, rec, cvicChoice, F, opts) };
}

export function argmin(x: readonly number[]): number {
  let a = 0;
  for (let k = 1; k < x.length; k++) if (x[k]! < x[a]!) a = k;
  return a;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(2));

function sentence(c: Comparison[], best: number, rec: number, cvicChoice: number, F: number, o: RecommendOptions): string {
  const parts: string[] = [];
  const plural = (k: number) => `${k} subtype${k === 1 ? '' : 's'}`;
  parts.push(
    `Recommended ${plural(rec)}: the smallest number whose held-out log-likelihood is not meaningfully worse than the best (${plural(best)}), ` +
      `comparing the two fold by fold over ${F} folds; "meaningfully worse" = by more than one standard error of the paired differences ` +
      `and by more than ${o.minGainPerSubject} per held-out subject (${fmt(o.minGainPerSubject * o.testSubjectsPerFold)} per fold).`,
  );
  if (rec !== best) {
    const r = c[rec - 1]!;
    parts.push(`${plural(best)} fit held-out subjects better by only ${fmt(r.meanDifference)} ± ${fmt(r.seDifference)} per fold (mean ± SE), within that margin.`);
  }
  if (rec > 1) {
    const p = c[rec - 2]!;
    parts.push(`${plural(rec - 1)} ${rec - 1 === 1 ? 'is' : 'are'} worse than the best by ${fmt(p.meanDifference)} ± ${fmt(p.seDifference)} per fold, beyond it.`);
  }
  if (cvicChoice !== rec) {
    parts.push(
      cvicChoice > rec
        ? `Smallest CVIC alone would pick ${cvicChoice}, but its gain over ${rec} is not larger than the noise between folds (or is negligible per subject).`
        : `Smallest CVIC alone would pick ${cvicChoice}; the per-fold held-out log-likelihood favours ${rec} by more than that margin.`,
    );
  } else parts.push(`Smallest CVIC agrees (${cvicChoice}).`);
  return parts.join(' ');
}
