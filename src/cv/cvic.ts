/**
 * Out-of-sample scores of one fold's K-subtype model, from the per-subject log-likelihoods of the
 * held-out subjects under each kept posterior sample (`ll[s*M + i]`, S samples x M subjects):
 *  - testLogLikelihood = mean over samples of sum over subjects of ll (pySuStaIn's loglike_matrix);
 *  - logMeanLikelihood = sum over subjects of log(mean over samples of exp(ll)), evaluated as a
 *    log-sum-exp with a per-subject maximum so very unlikely subjects do not underflow. CVIC is
 *    -2 times this summed over all folds (pySuStaIn's CVIC, without its 1e-250 floor).
 */
export interface FoldScore {
  testLogLikelihood: number;
  logMeanLikelihood: number;
}

export function foldScore(ll: Float64Array, samples: number, subjects: number): FoldScore {
  if (ll.length !== samples * subjects) throw new Error(`foldScore: ${ll.length} values for ${samples} samples x ${subjects} subjects`);
  if (samples < 1) throw new Error('foldScore: no posterior samples');
  let sumAll = 0;
  for (let k = 0; k < ll.length; k++) sumAll += ll[k]!;
  let logMean = 0;
  const logS = Math.log(samples);
  for (let i = 0; i < subjects; i++) {
    let max = -Infinity;
    for (let s = 0; s < samples; s++) max = Math.max(max, ll[s * subjects + i]!);
    if (max === -Infinity) {
      logMean += -Infinity;
      continue;
    }
    let acc = 0;
    for (let s = 0; s < samples; s++) acc += Math.exp(ll[s * subjects + i]! - max);
    logMean += max + Math.log(acc) - logS;
  }
  return { testLogLikelihood: sumAll / samples, logMeanLikelihood: logMean };
}

/** CVIC from the folds' logMeanLikelihood of one K. */
export function cvicFromFolds(logMeanPerFold: readonly number[]): number {
  return -2 * logMeanPerFold.reduce((s, v) => s + v, 0);
}

export function mean(x: readonly number[]): number {
  return x.reduce((s, v) => s + v, 0) / x.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function sd(x: readonly number[]): number {
  if (x.length < 2) return 0;
  const m = mean(x);
  return Math.sqrt(x.reduce((s, v) => s + (v - m) * (v - m), 0) / (x.length - 1));
}
