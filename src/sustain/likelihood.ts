/**
 * Exact (non-incremental) likelihood of a SuStaIn model of any kind: the reference the incremental
 * tables are tested against, and what the model file's logLikelihood reports.
 *
 * log p(x_i) = log sum_s f_s sum_k exp(L_s[i,k]) computed by log-sum-exp per subject, so it never
 * underflows. pySuStaIn computes log(sum + 1e-250) on the plain sum instead: the two agree to
 * rounding for every subject whose likelihood is above ~1e-235 and differ only for subjects that
 * pySuStaIn floors at log(1e-250) = -575.6 (we return their true, lower, value).
 */
import { UserError } from '../common/errors.js';
import { kindOf, toSpec, type ModelSpec } from './kinds.js';
import type { ModelData, ProgressionModel } from './model.js';
import type { Thresholds, ZTable } from './types.js';
import { checkRows as checkValueRows } from './columns.js';
import { fractionsProblem, sequenceProblem } from './checks.js';

/** Each subtype's full subjects x stages log-likelihood table for its sequence (no incremental state). */
export function fullStageTables<D extends ModelData>(model: ProgressionModel<D>, data: D, sequences: ArrayLike<number>[]): Float64Array[] {
  const S = model.nStages;
  const tmpl = new Float64Array(S * model.nFeatures);
  return sequences.map((seq) => {
    const L = new Float64Array(data.M * S);
    model.template(Int32Array.from(seq), tmpl);
    model.fillTable(data, tmpl, L);
    return L;
  });
}

/** Per-subject log-likelihoods under a mixture, from full tables. */
export function subjectLogLikelihoodsPrepared<D extends ModelData>(model: ProgressionModel<D>, data: D, sequences: ArrayLike<number>[], fractions: ArrayLike<number>): Float64Array {
  const M = data.M;
  const S = model.nStages;
  const K = sequences.length;
  const tables = fullStageTables(model, data, sequences);
  const logf = Array.from({ length: K }, (_, s) => Math.log(fractions[s]!));
  const out = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let mx = -Infinity;
    for (let s = 0; s < K; s++) {
      if (logf[s] === -Infinity) continue;
      const L = tables[s]!;
      for (let k = 0; k < S; k++) mx = Math.max(mx, logf[s]! + L[i * S + k]!);
    }
    let acc = 0;
    for (let s = 0; s < K; s++) {
      if (logf[s] === -Infinity) continue;
      const L = tables[s]!;
      for (let k = 0; k < S; k++) acc += Math.exp(logf[s]! + L[i * S + k]! - mx);
    }
    out[i] = mx + Math.log(acc);
  }
  return out;
}

/** Check that every subject has at least one value; the error names the first empty row. */
export function checkRows(data: ZTable, file?: string): void {
  checkValueRows(data.subjects, data.biomarkers.length, data.values, file);
}

/**
 * Check that sequences are valid orderings of the model's events: each event once, and every event
 * where the model's order constraints allow it (e.g. a biomarker's z thresholds in order).
 */
export function checkSequences(model: ProgressionModel, sequences: ArrayLike<number>[]): void {
  for (const seq of sequences) {
    const problem = sequenceProblem(model, seq);
    if (problem !== null) throw new UserError(problem);
  }
}

/**
 * Per-subject log-likelihoods of `data` under sequences (event indices, see ModelFile.events) and
 * fractions, for the model `given` describes (a spec; bare thresholds are the z-score spec).
 */
export function subjectLogLikelihoods(data: ZTable, given: ModelSpec | Thresholds, sequences: number[][], fractions: number[]): Float64Array {
  const spec = toSpec(given);
  const kind = kindOf(spec);
  const model = kind.create(spec);
  checkSequences(model, sequences);
  const bad = fractionsProblem(fractions, sequences.length);
  if (bad !== null) throw new UserError(bad);
  const prepared = model.prepare(kind.encode(spec, kind.modelBiomarkers(spec, data.biomarkers), data), data.subjects.length);
  return subjectLogLikelihoodsPrepared(model, prepared, sequences, fractions);
}

/** Total log-likelihood of `data` under a SuStaIn mixture. */
export function logLikelihood(data: ZTable, given: ModelSpec | Thresholds, sequences: number[][], fractions: number[]): number {
  const ll = subjectLogLikelihoods(data, given, sequences, fractions);
  let t = 0;
  for (let i = 0; i < ll.length; i++) t += ll[i]!;
  return t;
}
