/**
 * pySuStaIn fits -> our model file: the kind-independent part (which MCMC samples, which subtype
 * order) and the z-score model's part (event numbering, thresholds, the ML log-likelihood).
 *
 * pySuStaIn stages subjects (subtype_and_stage_individuals) with N_samples = 1000 samples of the
 * chain at round(linspace(0, n_iterations - 1, 1000)), subtypes ordered by their mean fraction over
 * the whole chain, largest first (argsort(mean)[::-1]). Keeping those samples in that order makes
 * our `assign` reproduce pySuStaIn's per-subject results, subtype numbers included.
 */
import { kindOf, modelFileHead } from '../sustain/kinds.js';
import { subjectLogLikelihoods } from '../sustain/likelihood.js';
import type { Assignment, EventLabel, ModelSpec, PosteriorSamples, SustainFit, SustainModelFile, ZTable } from '../sustain/types.js';
import type { PysustainFit } from './pysustain-pickle.js';

/** pySuStaIn's N_samples in run_sustain_algorithm. */
export const PYSUSTAIN_SAMPLES = 1000;

/** Python's round(): halves to even (numpy.round does the same). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy's round(linspace(0, n - 1, count)) as integers, computed as numpy does (i * step, last = stop). */
export function pysustainSampleIndices(n: number, count: number): number[] {
  const stop = n - 1;
  if (count === 1) return [0];
  const step = stop / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? stop : roundHalfEven(i * step)));
}

/** Subtypes by mean MCMC fraction, largest first; ties as numpy's stable argsort reversed (later first). */
export function pysustainSubtypeOrder(fit: PysustainFit): number[] {
  const T = fit.iterations;
  const mean = Array.from({ length: fit.K }, (_, s) => {
    let t = 0;
    for (let j = 0; j < T; j++) t += fit.samplesF[s * T + j]!;
    return t / T;
  });
  const ascending = Array.from({ length: fit.K }, (_, s) => s).sort((a, b) => mean[a]! - mean[b]! || a - b);
  return ascending.reverse();
}

/** One fit in our terms, events translated, before the kind adds its own parts. */
export interface ImportedChain {
  K: number;
  /** order[s'] = pySuStaIn's subtype at our position s' */
  order: number[];
  mlSequences: number[][];
  mlFractions: number[];
  samples: PosteriorSamples;
  sampleIndices: number[];
}

/** ML model and chosen samples of one pySuStaIn fit; `event` maps pySuStaIn's event numbers to ours. */
export function importChain(fit: PysustainFit, event: ArrayLike<number>, count = PYSUSTAIN_SAMPLES): ImportedChain {
  const { K, N, iterations: T } = fit;
  const order = pysustainSubtypeOrder(fit);
  const idx = pysustainSampleIndices(T, count);
  const seqAt = (s: number, t: number) => Array.from({ length: N }, (_, p) => event[fit.samplesSequence[(s * N + p) * T + t]!]!);
  return {
    K,
    order,
    mlSequences: order.map((s) => fit.mlSequence[s]!.map((e) => event[e]!)),
    mlFractions: order.map((s) => fit.mlF[s]!),
    samples: {
      sequences: idx.map((t) => order.map((s) => seqAt(s, t))),
      fractions: idx.map((t) => order.map((s) => fit.samplesF[s * T + t]!)),
      logLikelihood: idx.map((t) => fit.samplesLikelihood[t]!),
    },
    sampleIndices: idx,
  };
}

export interface ImportSource {
  pickles: { file: string; sha256: string }[];
  dataFile: string;
  dataSha256: string;
  samples?: number;
}

/** Settings recorded in the model file: where it came from and how the samples were chosen. */
export function importSettings(fits: PysustainFit[], src: ImportSource): SustainModelFile['settings'] {
  const count = src.samples ?? PYSUSTAIN_SAMPLES;
  return {
    seed: 0,
    importedFrom: 'pySuStaIn',
    // ml_stage as pySuStaIn chooses it (see stagingRule in sustain/staging.ts)
    staging: 'pysustain',
    pickles: src.pickles,
    maxSubtypes: fits.length,
    mcmcIterations: fits[0]!.iterations,
    samplesKept: count,
    samplesChosen: `round(linspace(0, n_iterations - 1, ${count})), as pySuStaIn stages subjects`,
    subtypeOrder: 'by mean MCMC fraction, largest first, as pySuStaIn stages subjects',
  };
}

function chainDiagnostics(fit: PysustainFit, c: ImportedChain): Record<string, unknown> {
  return { importedFrom: fit.file, pysustainSubtype: c.order, mcmcIterations: fit.iterations, emFractions: c.mlFractions };
}

/**
 * The model file of a pySuStaIn run, for the model `spec` describes (z-score: ZscoreSustain's Z_vals
 * and Z_max; mixture: MixtureSustain on L_yes/L_no). `data` is the table pySuStaIn was fitted on, as
 * the kind reads it; `eventMap` takes pySuStaIn's event numbers to the kind's.
 */
export function importModel(fits: PysustainFit[], data: ZTable, spec: ModelSpec, eventMap: ArrayLike<number>, src: ImportSource): SustainModelFile {
  const kind = kindOf(spec);
  const biomarkers = kind.modelBiomarkers(spec, data.biomarkers);
  kind.check(spec, biomarkers);
  const events = kind.events(spec, biomarkers);
  const out: SustainFit<EventLabel>[] = fits.map((fit) => {
    const c = importChain(fit, eventMap, src.samples);
    const per = subjectLogLikelihoods(data, spec, c.mlSequences, c.mlFractions);
    let ll = 0;
    for (let i = 0; i < per.length; i++) ll += per[i]!;
    return {
      subtypes: c.K,
      sequences: c.mlSequences.map((s) => s.map((e) => events[e]!)),
      fractions: c.mlFractions,
      logLikelihood: ll,
      samples: c.samples,
      diagnostics: chainDiagnostics(fit, c),
    };
  });
  return {
    ...modelFileHead(spec, biomarkers, events),
    settings: importSettings(fits, src),
    training: { subjects: fits[0]!.subjects.M, dataFile: src.dataFile, dataSha256: src.dataSha256 },
    fits: out,
  } as unknown as SustainModelFile;
}

/** How our assignment of pySuStaIn's training subjects compares with what pySuStaIn saved. */
export interface Agreement {
  subjects: number;
  subtypeAgree: number;
  stageAgree: number;
  /** largest |difference| of prob_ml_subtype, prob_ml_stage, prob_subtype and prob_stage */
  maxProbDiff: number;
}

export function compareWithPickle(a: Assignment, fit: PysustainFit): Agreement {
  const p = fit.subjects;
  const K = fit.K;
  let sub = 0;
  let stage = 0;
  let diff = 0;
  for (let i = 0; i < p.M; i++) {
    if (a.mlSubtype[i] === p.mlSubtype[i]) sub++;
    if (a.mlStage[i] === p.mlStage[i]) stage++;
    diff = Math.max(diff, Math.abs(a.probMlSubtype[i]! - p.probMlSubtype[i]!), Math.abs(a.probMlStage[i]! - p.probMlStage[i]!));
    for (let s = 0; s < K; s++) diff = Math.max(diff, Math.abs(a.probSubtype[i * K + s]! - p.probSubtype[i * K + s]!));
    if (a.probStage) for (let k = 0; k <= fit.N; k++) diff = Math.max(diff, Math.abs(a.probStage[i * (fit.N + 1) + k]! - p.probStage[i * (fit.N + 1) + k]!));
  }
  return { subjects: p.M, subtypeAgree: sub, stageAgree: stage, maxProbDiff: diff };
}
