/**
 * Subtyping and staging of subjects under a fitted model (pySuStaIn subtype_and_stage_individuals),
 * averaged over the kept posterior samples, plus per-sample subject log-likelihoods for CV.
 *
 * Each distinct (sequences, fractions) sample is scored once and weighted by its count. Models with
 * the StageRows capability (z-score, mixture) score blocks of subjects through every sample with
 * whole rows per sequence (staging-blocks.ts): thinned samples of several chains are all distinct
 * and differ at nearly every stage, so walking from one to the next saves little. Other models walk
 * the samples with the incremental tables (state.ts), as 'tables' forces.
 */
import { UserError } from '../common/errors.js';
import { eventKey } from './kind.js';
import { kindForMethod, specOfModel } from './kinds.js';
import type { ModelData, ProgressionModel } from './model.js';
import { MixtureTables } from './state.js';
import type { Assignment, EventLabel, PosteriorSamples, SustainFit, SustainModelFile, Thresholds, ZTable } from './types.js';
import { positionalVarianceOf, toNested } from './positional.js';
import { accumulateBlocked, sampleLogLikelihoodsBlocked } from './staging-blocks.js';

/** Refresh the tables from scratch after this many incremental sample changes. */
const REFRESH_EVERY = 200;

/** The thresholds of a z-score model file. */
export function modelThresholds(model: SustainModelFile): Thresholds {
  if (model.method !== 'sustain-zscore') throw new UserError(`a ${model.method} model has no z thresholds`);
  return { zvals: model.zvals, zmax: model.zmax };
}

/** A model file's fit (any kind's events). */
type AnyFit = SustainFit<EventLabel>;

/** The progression model of a model file. */
export function modelOf(model: SustainModelFile): ProgressionModel {
  return kindForMethod(model.method)!.create(specOfModel(model));
}

export function fitFor(model: SustainModelFile, subtypes?: number): AnyFit {
  if (model.fits.length === 0) throw new UserError('the model file has no fits');
  const K = subtypes ?? model.fits[model.fits.length - 1]!.subtypes;
  const fit = (model.fits as AnyFit[]).find((f) => f.subtypes === K);
  if (fit === undefined) throw new UserError(`the model has no ${K}-subtype fit (it has ${model.fits.map((f) => f.subtypes).join(', ')})`);
  return fit;
}

/** ML sequences of a fit as event indices. */
export function mlSequenceIndices(model: SustainModelFile, fit: AnyFit): number[][] {
  const idx = new Map((model.events as EventLabel[]).map((l, e) => [eventKey(l), e]));
  return fit.sequences.map((seq) =>
    seq.map((l) => {
      const e = idx.get(eventKey(l));
      if (e === undefined) throw new UserError(`the model's sequence names event ${typeof l === 'string' ? l : `[${l[0]}, ${l[1]}]`}, which is not in its event list`);
      return e;
    }),
  );
}

/** The engine's values of `data` for the model (its kind's encode: columns by the model's biomarker names). */
export function alignData(model: SustainModelFile, data: ZTable): Float64Array {
  return kindForMethod(model.method)!.encode(specOfModel(model), model.biomarkers, data);
}

export interface Distinct {
  sequences: number[][];
  fractions: number[];
  count: number;
  first: number;
}

/** Posterior samples of a fit, or its ML model when it has none. */
export function samplesOf(model: SustainModelFile, fit: AnyFit): PosteriorSamples {
  if (fit.samples.sequences.length > 0) return fit.samples;
  return { sequences: [mlSequenceIndices(model, fit)], fractions: [fit.fractions], logLikelihood: [fit.logLikelihood] };
}

export function distinctSamples(s: PosteriorSamples): { list: Distinct[]; of: Int32Array } {
  const map = new Map<string, number>();
  const list: Distinct[] = [];
  const of = new Int32Array(s.sequences.length);
  s.sequences.forEach((seqs, j) => {
    const key = JSON.stringify([seqs, s.fractions[j]]);
    let d = map.get(key);
    if (d === undefined) {
      d = list.length;
      map.set(key, d);
      list.push({ sequences: seqs, fractions: s.fractions[j]!, count: 0, first: j });
    }
    list[d]!.count++;
    of[j] = d;
  });
  return { list, of };
}

/**
 * Walk the distinct samples, keeping the tables at each one (incremental moves from sample to
 * sample). `tables` makes them (default: the cross-sectional mixture tables).
 */
export function walkSamples<T extends MixtureTables<ModelData>>(
  zm: ProgressionModel,
  data: ModelData,
  list: Distinct[],
  visit: (d: Distinct, index: number, mix: T) => void,
  tables: (seqs: Int32Array[]) => T = (seqs) => new MixtureTables(zm, data, seqs) as T,
): void {
  const mix = tables(list[0]!.sequences.map((s) => Int32Array.from(s)));
  const K = mix.K;
  const work = new Int32Array(zm.nEvents);
  list.forEach((d, j) => {
    if (j > 0) {
      if (j % REFRESH_EVERY === 0) mix.reset(d.sequences);
      else
        for (let s = 0; s < K; s++) {
          work.set(d.sequences[s]!);
          mix.setSequence(s, work);
        }
    }
    visit(d, j, mix);
  });
}

/**
 * Which table ml_stage is read from. Ours ('posterior'): the joint stage-and-subtype posterior,
 * fractions included, so it sums to prob_subtype over stages. pySuStaIn's subtype_and_stage_individuals
 * (models imported from it, settings.staging = 'pysustain'): the stage likelihoods normalised over
 * stages and subtypes without the fractions (it takes p_perm_k where it means the joint); ml_stage,
 * prob_ml_stage and prob_subtype_stage then match pySuStaIn's; prob_subtype and prob_stage are the same
 * either way.
 */
export function stagingRule(model: SustainModelFile): 'posterior' | 'pysustain' {
  return model.settings['staging'] === 'pysustain' ? 'pysustain' : 'posterior';
}

/** The per-sample sums of assignSubjects by the incremental tables (walkSamples): models without StageRows. */
function accumulateWalk(zm: ProgressionModel, data: ModelData, list: Distinct[], total: number, joint: Float64Array, stageJointOrNull: Float64Array | null): void {
  const M = data.M;
  const K = list[0]!.sequences.length;
  const S = zm.nStages;
  const py = stageJointOrNull !== null;
  const stageJoint = stageJointOrNull ?? joint;
  walkSamples(zm, data, list, (d, _j, mix) => {
    const w = d.count / total;
    const f = d.fractions;
    for (let i = 0; i < M; i++) {
      // the kept row totals (differences, resummed when they cancel; refreshed every REFRESH_EVERY samples)
      let q = 0;
      let q0 = 0;
      for (let s = 0; s < K; s++) q += f[s]! * mix.subs[s]!.T[i]!;
      if (py) for (let s = 0; s < K; s++) q0 += mix.subs[s]!.T[i]!;
      if (!(q > 0 && q < Infinity) || (py && !(q0 > 0 && q0 < Infinity))) {
        // This subject's shifted total under/overflowed: re-centre it.
        mix.rebaseSubject(i);
        q = 0;
        q0 = 0;
        for (let s = 0; s < K; s++) q += f[s]! * mix.subs[s]!.T[i]!;
        if (py) for (let s = 0; s < K; s++) q0 += mix.subs[s]!.T[i]!;
      }
      if (py) {
        const c = w / q0;
        for (let s = 0; s < K; s++) {
          const E = mix.subs[s]!.E;
          const o = (i * K + s) * S;
          const e0 = i * S;
          for (let k = 0; k < S; k++) stageJoint[o + k]! += c * E[e0 + k]!;
        }
      }
      const scale = w / q;
      for (let s = 0; s < K; s++) {
        const c = scale * f[s]!;
        if (c === 0) continue;
        const E = mix.subs[s]!.E;
        const o = (i * K + s) * S;
        const e0 = i * S;
        for (let k = 0; k < S; k++) joint[o + k]! += c * E[e0 + k]!;
      }
    }
  });
}

/**
 * Subtype and stage of each subject, averaged over the fit's posterior samples. `path`: 'tables'
 * forces the incremental tables even where the model offers whole rows (tests and bench compare them).
 */
export function assignSubjects(model: SustainModelFile, data: ZTable, subtypes?: number, path: 'auto' | 'tables' = 'auto'): Assignment {
  const fit = fitFor(model, subtypes);
  const K = fit.subtypes;
  const zm = modelOf(model);
  const M = data.subjects.length;
  const S = zm.nStages;
  const prepared = zm.prepare(alignData(model, data), M);
  const samples = samplesOf(model, fit);
  const { list } = distinctSamples(samples);
  const total = samples.sequences.length;
  // joint stage-and-subtype probabilities, accumulated as [(i * K + s) * S + k] (contiguous in k)
  const joint = new Float64Array(M * K * S);
  // pySuStaIn's table for ml_stage (without the fractions), when the model asks for it
  const py = stagingRule(model) === 'pysustain';
  const stageJoint = py ? new Float64Array(M * K * S) : joint;
  // the blocked path when the model offers whole rows (z-score), else the incremental tables
  if (path === 'tables' || !accumulateBlocked(zm, prepared, list, total, joint, py ? stageJoint : null)) accumulateWalk(zm, prepared, list, total, joint, py ? stageJoint : null);
  const probSubtype = new Float64Array(M * K);
  const probStage = new Float64Array(M * S);
  const probSubtypeStage = new Float64Array(M * S * K);
  const mlSubtype = new Int32Array(M);
  const probMlSubtype = new Float64Array(M);
  const mlStage = new Int32Array(M);
  const probMlStage = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    for (let s = 0; s < K; s++) {
      const o = (i * K + s) * S;
      let t = 0;
      for (let k = 0; k < S; k++) {
        const v = joint[o + k]!;
        t += v;
        probStage[i * S + k]! += v;
        probSubtypeStage[(i * S + k) * K + s] = stageJoint[o + k]!;
      }
      probSubtype[i * K + s] = t;
    }
    let bs = 0;
    for (let s = 1; s < K; s++) if (probSubtype[i * K + s]! > probSubtype[i * K + bs]!) bs = s;
    mlSubtype[i] = bs;
    probMlSubtype[i] = probSubtype[i * K + bs]!;
    const o = (i * K + bs) * S;
    let bk = 0;
    for (let k = 1; k < S; k++) if (stageJoint[o + k]! > stageJoint[o + bk]!) bk = k;
    mlStage[i] = bk;
    probMlStage[i] = stageJoint[o + bk]!;
  }
  return { subjects: [...data.subjects], subtypes: K, mlSubtype, probMlSubtype, mlStage, probMlStage, probSubtype, probStage, probSubtypeStage };
}

/**
 * Per-subject log-likelihood of `data` under each kept posterior sample of the K-subtype fit:
 * out[sample * M + i] (for CVIC: log of the mean over samples of the likelihood, per subject).
 */
export function sampleSubjectLogLikelihoods(model: SustainModelFile, subtypes: number, data: ZTable, path: 'auto' | 'tables' = 'auto'): Float64Array {
  const fit = fitFor(model, subtypes);
  const K = fit.subtypes;
  const zm = modelOf(model);
  const M = data.subjects.length;
  const prepared = zm.prepare(alignData(model, data), M);
  const samples = samplesOf(model, fit);
  const { list, of } = distinctSamples(samples);
  const n = samples.sequences.length;
  const out = new Float64Array(n * M);
  // by blocks when the model offers whole rows, else the incremental tables
  if (path === 'tables' || !sampleLogLikelihoodsBlocked(zm, prepared, list, out))
    walkSamples(zm, prepared, list, (d, _j, mix) => {
      const f = d.fractions;
      const o = d.first * M;
      for (let i = 0; i < M; i++) {
        let q = 0;
        for (let s = 0; s < K; s++) q += f[s]! * mix.subs[s]!.T[i]!;
        out[o + i] = q > 0 && q < Infinity ? mix.ref[i]! + Math.log(q) : mix.exactSubject(i, f, false);
      }
    });
  for (let j = 0; j < n; j++) {
    const first = list[of[j]!]!.first;
    if (first !== j) out.copyWithin(j * M, first * M, first * M + M);
  }
  return out;
}

/** [subtype][event][position]: fraction of the kept samples with that event at that position. */
export function positionalVariance(model: SustainModelFile, subtypes: number): number[][][] {
  const fit = fitFor(model, subtypes);
  const samples = samplesOf(model, fit);
  const N = model.events.length;
  return Array.from({ length: fit.subtypes }, (_, s) => toNested(positionalVarianceOf(samples, s, N), N));
}
