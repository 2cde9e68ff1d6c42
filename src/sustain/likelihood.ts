/**
 * Exact (non-incremental) likelihood of a z-score SuStaIn model: the reference the incremental
 * tables are tested against, and what the model file's logLikelihood reports.
 *
 * log p(x_i) = log sum_s f_s sum_k exp(L_s[i,k]) computed by log-sum-exp per subject, so it never
 * underflows. pySuStaIn computes log(sum + 1e-250) on the plain sum instead: the two agree to
 * rounding for every subject whose likelihood is above ~1e-235 and differ only for subjects that
 * pySuStaIn floors at log(1e-250) = -575.6 (we return their true, lower, value).
 */
import { UserError } from '../common/errors.js';
import type { Thresholds, ZTable } from './types.js';
import { ZscoreModel, type ZData } from './zscore.js';

/** Per-subject log-likelihoods under a mixture, from full tables. */
export function subjectLogLikelihoodsPrepared(model: ZscoreModel, data: ZData, sequences: ArrayLike<number>[], fractions: ArrayLike<number>): Float64Array {
  const M = data.M;
  const S = model.nStages;
  const K = sequences.length;
  const tmpl = new Float64Array(S * model.nFeatures);
  const tables: Float64Array[] = [];
  for (let s = 0; s < K; s++) {
    const L = new Float64Array(M * S);
    model.template(Int32Array.from(sequences[s]!), tmpl);
    model.fillTable(data, tmpl, L);
    tables.push(L);
  }
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
  const B = data.biomarkers.length;
  for (let i = 0; i < data.subjects.length; i++) {
    let any = false;
    for (let b = 0; b < B; b++) if (!Number.isNaN(data.values[i * B + b]!)) any = true;
    if (!any) throw new UserError('the row has no biomarker values (every biomarker is missing)', { file, subject: data.subjects[i], line: i + 2 });
  }
}

/** Check that sequences are valid orderings of the events (each once, thresholds of a biomarker in order). */
export function checkSequences(model: ZscoreModel, sequences: ArrayLike<number>[]): void {
  const N = model.nEvents;
  for (const seq of sequences) {
    if (seq.length !== N) throw new UserError(`a sequence has ${seq.length} events, the model has ${N}`);
    const pos = new Int32Array(N).fill(-1);
    for (let p = 0; p < N; p++) {
      const e = seq[p]!;
      if (!Number.isInteger(e) || e < 0 || e >= N || pos[e] !== -1) throw new UserError(`a sequence is not an ordering of the ${N} events (event ${e} at position ${p})`);
      pos[e] = p;
    }
    const ev = model.events;
    for (let e = 1; e < N; e++) {
      if (ev.biomarker[e] === ev.biomarker[e - 1] && pos[e]! < pos[e - 1]!) {
        throw new UserError(`a sequence puts z = ${ev.z[e]} of biomarker ${ev.biomarker[e]} before z = ${ev.z[e - 1]}`);
      }
    }
  }
}

function checkFractions(fractions: readonly number[], K: number): void {
  if (fractions.length !== K) throw new UserError(`${fractions.length} fractions for ${K} subtypes`);
  let sum = 0;
  for (const f of fractions) {
    if (!(f >= 0) || !Number.isFinite(f)) throw new UserError(`fractions must be non-negative numbers, got ${f}`);
    sum += f;
  }
  if (Math.abs(sum - 1) > 1e-6) throw new UserError(`fractions must sum to 1, they sum to ${sum}`);
}

/** Per-subject log-likelihoods of `data` under sequences (event indices, see ModelFile.events) and fractions. */
export function subjectLogLikelihoods(data: ZTable, thresholds: Thresholds, sequences: number[][], fractions: number[]): Float64Array {
  const model = new ZscoreModel(thresholds);
  checkSequences(model, sequences);
  checkFractions(fractions, sequences.length);
  checkRows(data);
  const prepared = model.prepare(data.values, data.subjects.length);
  return subjectLogLikelihoodsPrepared(model, prepared, sequences, fractions);
}

/** Total log-likelihood of `data` under a z-score SuStaIn mixture. */
export function logLikelihood(data: ZTable, thresholds: Thresholds, sequences: number[][], fractions: number[]): number {
  const ll = subjectLogLikelihoods(data, thresholds, sequences, fractions);
  let t = 0;
  for (let i = 0; i < ll.length; i++) t += ll[i]!;
  return t;
}
