import type { EventLabel, ModelSpec, SustainModelFile, ZTable } from '../sustain/types.js';
import { type FitProgress, assignSubjects, fitFor, fitSustain, mlSequenceIndices, positionalVariance, sampleSubjectLogLikelihoods } from '../sustain/index.js';
import { foldScore } from './cvic.js';
import { assignLongitudinal, sampleLongitudinalLogLikelihoods } from '../sustain/longitudinal/assign.js';
import { groupTable, visitCounts, type VisitLayout } from '../sustain/longitudinal/visits.js';

/**
 * One unit of cross-validation work, as plain data so it crosses to a worker thread: either a
 * fold (fit on the training subjects, score the held-out ones, assign everyone) or the full-data
 * part (fit on all subjects, or use a given model, and assign everyone).
 */
export interface EngineSettings {
  maxSubtypes: number;
  startpoints: number;
  mcmcIterations: number;
  /** Posterior samples kept per K; undefined = the engine's default. */
  samplesKept?: number;
  /** iterations of each MCMC tuning pass; undefined = the engine's default */
  mcmcTuneIterations?: number;
  /** MCMC chains per K; undefined = the engine's default */
  chains?: number;
  /** EM runs per polish round; undefined = the engine's default */
  polish?: number;
  /** repeats that stop a set of EM start points; undefined = the engine's default */
  earlyStop?: number;
  /** subjects EM start points are screened on; undefined = the engine's default */
  screen?: number;
}

export interface FoldTask {
  kind: 'fold';
  /** 1-based fold number */
  fold: number;
  data: ZTable;
  test: Int32Array;
  /** the model (kind + parameters) */
  spec: ModelSpec;
  engine: EngineSettings;
  seed: number;
  threads: number;
  /** longitudinal data (rows grouped by subject in time order, whole subjects per fold): its time column */
  time?: string;
}

export interface FullTask {
  kind: 'full';
  data: ZTable;
  spec: ModelSpec;
  engine: EngineSettings;
  seed: number;
  threads: number;
  /** A model fitted elsewhere (--model); when absent the full-data model is fitted here. */
  model?: SustainModelFile;
  /** recorded in the fitted model's training block, as `fit` records them */
  dataFile?: string;
  dataSha256?: string;
  /** longitudinal data: its time column */
  time?: string;
}

export type CvTask = FoldTask | FullTask;

export interface FoldKResult {
  subtypes: number;
  /** mean over posterior samples of the summed held-out log-likelihood */
  testLogLikelihood: number;
  /** sum over held-out subjects of log(mean over samples of the likelihood) (CVIC = -2 x its sum over folds) */
  logMeanLikelihood: number;
  samples: number;
  /** ML sequence of each subtype of the fold model, as event indices (into the model's events) */
  sequences: number[][];
  /** the fold model's positional variance, in its own subtype order: [subtype][event][position] */
  positionalVariance: number[][][];
  /** the fold model's ML subtype of every subject of the data (for stability) */
  assignment: number[];
}

export interface FoldResult {
  kind: 'fold';
  fold: number;
  testSubjects: number;
  events: EventLabel[];
  perK: FoldKResult[];
}

export interface FullResult {
  kind: 'full';
  events: EventLabel[];
  perK: { subtypes: number; sequences: number[][]; assignment: number[] }[];
  /** the fitted full-data model (absent when it was given) */
  model?: SustainModelFile;
}

export type CvTaskResult = FoldResult | FullResult;

/** Rows `idx` of a z table (carried columns too). */
export function subsetTable(data: ZTable, idx: ArrayLike<number>): ZTable {
  const B = data.biomarkers.length;
  const values = new Float64Array(idx.length * B);
  const subjects: string[] = new Array(idx.length);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    subjects[r] = data.subjects[i]!;
    values.set(data.values.subarray(i * B, (i + 1) * B), r * B);
  }
  const out: ZTable = { subjects, biomarkers: [...data.biomarkers], values };
  if (data.carried !== undefined) {
    out.carried = Object.fromEntries(Object.entries(data.carried).map(([k, col]) => [k, Array.from(idx, (i) => col[i]!)]));
  }
  return out;
}

export function complement(M: number, idx: ArrayLike<number>): Int32Array {
  const inTest = new Uint8Array(M);
  for (let r = 0; r < idx.length; r++) inTest[idx[r]!] = 1;
  const out: number[] = [];
  for (let i = 0; i < M; i++) if (inTest[i] === 0) out.push(i);
  return Int32Array.from(out);
}

/** ML sequences of the K-subtype fit as event indices. */
export function sequenceIndices(model: SustainModelFile, K: number): number[][] {
  return mlSequenceIndices(model, fitFor(model, K));
}

/** A fold's fit options: the engine settings given (absent ones stay the engine's defaults), with the task's threads and seed. */
function engineOptions(t: { engine: EngineSettings; seed: number; threads: number }): EngineSettings & { threads: number; seed: number } {
  const given = Object.fromEntries(Object.entries(t.engine).filter((e) => e[1] !== undefined)) as EngineSettings;
  return { ...given, threads: t.threads, seed: t.seed };
}

/** Progress of the fit inside a task; only usable in-process (functions do not cross threads). */
export type TaskProgress = (p: FitProgress) => void;

/** The visit layout of longitudinal data (already grouped: the order is the identity), or null. */
function layoutOf(data: ZTable, time: string | undefined): VisitLayout | null {
  return time === undefined ? null : groupTable(data, time).layout;
}

/** fitSustain's longitudinal option for a layout. */
function longitudinalOption(lay: VisitLayout | null, time: string | undefined) {
  return lay === null ? {} : { longitudinal: { visits: visitCounts(lay.start), timeColumn: time! } };
}

/** ML subtype of every row (a longitudinal subject's rows share theirs). */
function mlSubtypes(model: SustainModelFile, data: ZTable, K: number, lay: VisitLayout | null): number[] {
  return Array.from((lay === null ? assignSubjects(model, data, K) : assignLongitudinal(model, data, lay.start, lay.times, K)).mlSubtype);
}

export async function runFoldTask(t: FoldTask, onProgress?: TaskProgress): Promise<FoldResult> {
  const M = t.data.subjects.length;
  const train = subsetTable(t.data, complement(M, t.test));
  const test = subsetTable(t.data, t.test);
  const all = layoutOf(t.data, t.time);
  const testLay = layoutOf(test, t.time);
  const model = await fitSustain(train, t.spec, { ...engineOptions(t), ...longitudinalOption(layoutOf(train, t.time), t.time), ...(onProgress !== undefined ? { onProgress } : {}) });
  const perK: FoldKResult[] = [];
  // held-out units: subjects (all their visits together) when longitudinal
  const units = testLay === null ? test.subjects.length : testLay.subjects.length;
  for (let K = 1; K <= t.engine.maxSubtypes; K++) {
    const ll = testLay === null ? sampleSubjectLogLikelihoods(model, K, test) : sampleLongitudinalLogLikelihoods(model, K, test, testLay.start);
    const S = ll.length / units;
    const score = foldScore(ll, S, units);
    perK.push({
      subtypes: K,
      testLogLikelihood: score.testLogLikelihood,
      logMeanLikelihood: score.logMeanLikelihood,
      samples: S,
      sequences: sequenceIndices(model, K),
      positionalVariance: positionalVariance(model, K),
      assignment: mlSubtypes(model, t.data, K, all),
    });
  }
  // rows held out (visits when longitudinal): the folds' sum is checked against the data's rows
  return { kind: 'fold', fold: t.fold, testSubjects: t.test.length, events: model.events, perK };
}

export async function runFullTask(t: FullTask, onProgress?: TaskProgress): Promise<FullResult> {
  const extras = { ...(t.dataFile !== undefined ? { dataFile: t.dataFile } : {}), ...(t.dataSha256 !== undefined ? { dataSha256: t.dataSha256 } : {}) };
  const lay = layoutOf(t.data, t.time);
  const model = t.model ?? (await fitSustain(t.data, t.spec, { ...engineOptions(t), ...extras, ...longitudinalOption(lay, t.time), ...(onProgress !== undefined ? { onProgress } : {}) }));
  const perK: FullResult['perK'] = [];
  for (let K = 1; K <= t.engine.maxSubtypes; K++) {
    perK.push({ subtypes: K, sequences: sequenceIndices(model, K), assignment: mlSubtypes(model, t.data, K, lay) });
  }
  const out: FullResult = { kind: 'full', events: model.events, perK };
  if (t.model === undefined) out.model = model;
  return out;
}

export function runCvTask(t: CvTask, onProgress?: TaskProgress): Promise<CvTaskResult> {
  return t.kind === 'fold' ? runFoldTask(t, onProgress) : runFullTask(t, onProgress);
}
