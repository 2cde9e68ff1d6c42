/**
 * The pickles pySuStaIn's `run_sustain_algorithm` writes, one per number of subtypes
 * (`<dataset>_subtype<K-1>.pickle`): a dict of float64 numpy arrays. This module checks one is that
 * and nothing else, and gives its contents typed: the MCMC chain, the EM maximum and the per-subject
 * results pySuStaIn computed when it wrote the file.
 */
import { UserError } from '../common/errors.js';
import { isNdArray, readPickle, type NdArray } from '../io/pickle.js';

/** One pySuStaIn fit, as read from its pickle. Events are in pySuStaIn's numbering. */
export interface PysustainFit {
  file: string;
  /** number of subtypes */
  K: number;
  /** number of events (stages - 1) */
  N: number;
  /** MCMC iterations kept in the file */
  iterations: number;
  /** samples_sequence, [s][e][t] at (s * N + e) * iterations + t */
  samplesSequence: Float64Array;
  /** samples_f, [s][t] at s * iterations + t */
  samplesF: Float64Array;
  /** samples_likelihood, one per iteration */
  samplesLikelihood: Float64Array;
  /** ml_sequence_EM, K x N */
  mlSequence: number[][];
  /** ml_f_EM */
  mlF: number[];
  /** pySuStaIn's staging of its training subjects (subtypes in its staging order) */
  subjects: {
    M: number;
    mlSubtype: Float64Array;
    probMlSubtype: Float64Array;
    mlStage: Float64Array;
    probMlStage: Float64Array;
    /** M x K */
    probSubtype: Float64Array;
    /** M x (N + 1) */
    probStage: Float64Array;
  };
}

const REQUIRED = ['samples_sequence', 'samples_f', 'samples_likelihood', 'ml_sequence_EM', 'ml_f_EM'] as const;
const PER_SUBJECT = ['ml_subtype', 'prob_ml_subtype', 'ml_stage', 'prob_ml_stage', 'prob_subtype', 'prob_stage'] as const;

function kindHint(d: Map<unknown, unknown>): string {
  // cross_validate_sustain_model writes fold pickles with the test-set likelihoods instead
  if (d.has('mean_likelihood_subj_test')) return ' (this is a cross-validation fold pickle; import the pickles run_sustain_algorithm writes)';
  return '';
}

/** Check and type one pickle's contents. */
export function pysustainFitFrom(raw: unknown, file: string): PysustainFit {
  if (!(raw instanceof Map))
    throw new UserError(`not a pySuStaIn results pickle: it holds a ${Array.isArray(raw) ? 'list or tuple' : raw === null ? 'None' : typeof raw}, not a dict`, { file });
  const arr = (key: string, dims: number): NdArray => {
    const v = raw.get(key);
    if (v === undefined) throw new UserError(`not a pySuStaIn results pickle: no "${key}"${kindHint(raw)}`, { file, field: key });
    if (!isNdArray(v)) throw new UserError('expected a numpy array', { file, field: key });
    if (v.shape.length !== dims) throw new UserError(`expected a ${dims}-dimensional array, got shape (${v.shape.join(', ')})`, { file, field: key });
    return v;
  };
  for (const k of REQUIRED) arr(k, k === 'samples_sequence' ? 3 : k === 'ml_f_EM' ? 1 : 2);
  const seq = arr('samples_sequence', 3);
  const [K, N, T] = seq.shape as [number, number, number];
  const shapeIs = (a: NdArray, want: number[], key: string) => {
    if (a.shape.length !== want.length || a.shape.some((d, i) => d !== want[i])) {
      throw new UserError(`shape (${a.shape.join(', ')}) does not match samples_sequence's (expected (${want.join(', ')}))`, { file, field: key });
    }
  };
  if (K < 1 || N < 1 || T < 1) throw new UserError(`empty MCMC chain, shape (${seq.shape.join(', ')})`, { file, field: 'samples_sequence' });
  const f = arr('samples_f', 2);
  shapeIs(f, [K, T], 'samples_f');
  const lik = arr('samples_likelihood', 2);
  shapeIs(lik, [T, 1], 'samples_likelihood');
  const mlS = arr('ml_sequence_EM', 2);
  shapeIs(mlS, [K, N], 'ml_sequence_EM');
  const mlF = arr('ml_f_EM', 1);
  shapeIs(mlF, [K], 'ml_f_EM');
  const perKey = (key: (typeof PER_SUBJECT)[number]) => arr(key, 2);
  const mlSub = perKey('ml_subtype');
  const M = mlSub.shape[0]!;
  for (const k of PER_SUBJECT) shapeIs(perKey(k), [M, k === 'prob_subtype' ? K : k === 'prob_stage' ? N + 1 : 1], k);

  const checkPermutation = (get: (e: number) => number, field: string) => {
    const seen = new Uint8Array(N);
    for (let e = 0; e < N; e++) {
      const v = get(e);
      if (!Number.isInteger(v) || v < 0 || v >= N || seen[v]) throw new UserError(`a sequence is not an ordering of events 0..${N - 1}`, { file, field });
      seen[v] = 1;
    }
  };
  for (let s = 0; s < K; s++) {
    checkPermutation((e) => mlS.data[s * N + e]!, 'ml_sequence_EM');
    for (let t = 0; t < T; t++) checkPermutation((e) => seq.data[(s * N + e) * T + t]!, 'samples_sequence');
  }
  for (let t = 0; t < T; t++) {
    let sum = 0;
    for (let s = 0; s < K; s++) {
      const v = f.data[s * T + t]!;
      if (!(v >= 0)) throw new UserError(`fraction ${v} at MCMC iteration ${t}`, { file, field: 'samples_f' });
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-6) throw new UserError(`fractions of MCMC iteration ${t} sum to ${sum}, not 1`, { file, field: 'samples_f' });
  }
  return {
    file,
    K,
    N,
    iterations: T,
    samplesSequence: seq.data,
    samplesF: f.data,
    samplesLikelihood: lik.data,
    mlSequence: Array.from({ length: K }, (_, s) => Array.from(mlS.data.subarray(s * N, s * N + N))),
    mlF: Array.from(mlF.data),
    subjects: {
      M,
      mlSubtype: mlSub.data,
      probMlSubtype: perKey('prob_ml_subtype').data,
      mlStage: perKey('ml_stage').data,
      probMlStage: perKey('prob_ml_stage').data,
      probSubtype: perKey('prob_subtype').data,
      probStage: perKey('prob_stage').data,
    },
  };
}

export function readPysustainPickle(file: string): PysustainFit {
  return pysustainFitFrom(readPickle(file), file);
}

/**
 * The pickles of one run, sorted by number of subtypes. Our model file holds K = 1..Kmax, so the
 * set must have each K once with none missing, and one event count.
 */
export function readPysustainRun(files: string[]): PysustainFit[] {
  if (files.length === 0) throw new UserError('no pickle files given');
  const fits = files.map(readPysustainPickle).sort((a, b) => a.K - b.K);
  fits.forEach((f, q) => {
    if (f.K !== q + 1) {
      const dup = fits.find((g) => g !== f && g.K === f.K);
      throw new UserError(
        dup
          ? `this pickle and ${dup.file} both hold ${f.K}-subtype fits`
          : `the pickles hold K = ${fits.map((g) => g.K).join(', ')} subtypes; the model file needs every K from 1 (pass the ${q + 1}-subtype pickle, <dataset>_subtype${q}.pickle)`,
        { file: f.file },
      );
    }
    if (f.N !== fits[0]!.N) throw new UserError(`this pickle has ${f.N} events, ${fits[0]!.file} has ${fits[0]!.N}: not one run`, { file: f.file });
    if (f.subjects.M !== fits[0]!.subjects.M) throw new UserError(`this pickle staged ${f.subjects.M} subjects, ${fits[0]!.file} ${fits[0]!.subjects.M}: not one run`, { file: f.file });
  });
  return fits;
}
