/**
 * Exact (non-incremental) likelihood of the longitudinal model: the reference the incremental
 * tables are tested against, and what a longitudinal model file's logLikelihood reports.
 *
 * log p(subject j) = log sum_s f_s sum over non-decreasing paths k_1 <= ... <= k_V of
 *   prior(path) prod_v p(x_v | S_s, k_v), with prior(path) = 1 / C(S+V-1, V) (uniform over paths).
 * The tables hold log p(x_v | k) + log(1/S) per visit, hence pathPriorCorrection.
 */
import type { ModelData, ProgressionModel } from '../model.js';
import { forwardLog, logAddExp, pathPriorCorrection } from './paths.js';
import { fullStageTables } from '../likelihood.js';

/** Per-subject log-likelihoods; subject j's visits are rows start[j] .. start[j+1] - 1 of data. */
export function longitudinalLogLikelihoods<D extends ModelData>(
  model: ProgressionModel<D>,
  data: D,
  start: Int32Array,
  sequences: ArrayLike<number>[],
  fractions: ArrayLike<number>,
): Float64Array {
  const S = model.nStages;
  const K = sequences.length;
  const J = start.length - 1;
  const tables = fullStageTables(model, data, sequences);
  const acc = new Float64Array(S);
  const out = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    const V = start[j + 1]! - start[j]!;
    let t = -Infinity;
    for (let s = 0; s < K; s++) {
      const lf = Math.log(fractions[s]!);
      if (lf === -Infinity) continue;
      t = logAddExp(t, lf + forwardLog(tables[s]!, start[j]!, V, S, acc));
    }
    out[j] = t + pathPriorCorrection(S, V);
  }
  return out;
}
