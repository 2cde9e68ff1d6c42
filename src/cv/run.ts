import { readdirSync, existsSync } from 'node:fs';
import { groupTable } from '../sustain/longitudinal/visits.js';
import { UserError } from '../common/errors.js';
import { Rng } from '../common/rng.js';
import { runTasks } from '../common/pool.js';
import { toolVersion } from '../common/version.js';
import { createProgress } from '../io/progress.js';
import { FIT_DEFAULTS } from '../sustain/index.js';
import { kindOf, specOfModel, toSpec, type ModelSpec } from '../sustain/kinds.js';
import type { SustainModelFile, Thresholds, ZTable } from '../sustain/types.js';
import { combineFolds } from './combine.js';
import { RECOMMEND_DEFAULTS } from './recommend.js';
import type { EngineSettings, FoldResult, FullResult } from './fold.js';
import runAndSave, { type WorkerTask } from './fold-worker.js';
import { foldIndices, makeFolds } from './folds.js';
import { describeDiff, makeSettings, settingsDiff, type CvSettings } from './settings.js';
import { partFile, readPart, writeCvOutputs, type PartFile } from './store.js';
import type { CvResult } from './types.js';

/**
 * `ms-subtype cv` as a library call: make the folds, run the missing folds and the full-data part
 * on worker threads (each writes its part file when done), then combine the part files into
 * cv.json and cv.csv. Parts already in the directory with the same settings are reused.
 */
export interface CvOptions {
  folds: number;
  maxSubtypes: number;
  startpoints: number;
  mcmcIterations: number;
  /** posterior samples kept per K; undefined = the engine's default */
  samplesKept?: number;
  /** iterations of each MCMC tuning pass; undefined = the engine's default */
  mcmcTuneIterations?: number;
  /** MCMC chains per K of every fit; undefined = the engine's default for the full-data model, CV_DEFAULTS.foldChains for the folds */
  chains?: number;
  /** EM runs per round polishing each K's optimum (fit --polish); undefined = the engine's default */
  polish?: number;
  /** repeats that stop a set of EM start points (fit --early-stop); undefined = the engine's default */
  earlyStop?: number;
  /** subjects EM start points are screened on in cohorts of at least twice as many (fit --screen; 0: off); undefined = the engine's default */
  screen?: number;
  seed: number;
  /** name of a carried column of the z table to stratify the folds on */
  stratify?: string;
  /** longitudinal data (session and this time column): folds hold out whole subjects, never single visits */
  time?: string;
  /** worker threads */
  jobs: number;
  /** a full-data model fitted elsewhere (--model), with the sha256 of its file */
  model?: { model: SustainModelFile; sha256: string; file: string };
  /** run only this part (--fold i, 1-based, or 'full') and do not combine */
  part?: number | 'full';
  /** the data file and its sha256, recorded in full-model.json as `fit` records them */
  dataFile?: string;
  dataSha256?: string;
  /** the recommendation's minimum meaningful gain per held-out subject (default 0.01) */
  minGainPerSubject?: number;
  quiet?: boolean;
  /**
   * Redo part files made with other settings instead of refusing them (for `run`, which owns its
   * CV folder); parts made with these settings are still reused, so an interrupted run continues.
   */
  replaceStale?: boolean;
}

/** Fit settings default to `fit`'s, so the full-data model is the one `ms-subtype fit` gives. */
export const CV_DEFAULTS = {
  folds: 10,
  maxSubtypes: FIT_DEFAULTS.maxSubtypes,
  startpoints: FIT_DEFAULTS.startpoints,
  // Not fit's 1e5: CV makes folds x K fits and only scores held-out subjects averaged over the
  // samples, which a 1e4-iteration chain already does well (the run config's cv.mcmc is the same).
  mcmcIterations: 10_000,
  // One chain per K for each fold's fit (the full-data model keeps fit's 4): a fold is scored by its
  // held-out likelihood averaged over the posterior samples, which one chain gives as well as four
  // (bench/cv-mcmc.ts: the same choice of K, fold scores as close to a 1e5-iteration chain's, at a
  // quarter of the MCMC; docs/cv.md "How much MCMC a fold needs"). Chains are for convergence
  // diagnostics, which CV does not report.
  foldChains: 1,
  seed: 1,
} as const;

export interface CvRunSummary {
  settings: CvSettings;
  partsRun: number;
  partsReused: number;
  /** set when all parts were present and combined */
  result?: CvResult;
  files: string[];
}

/** The worker module beside this file: .ts when running from the sources (tests, tsx), .js when built. */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./fold-worker.${ext}`, import.meta.url);
}

/** Fold f's fitting seed: an independent stream per fold, so folds run in any order or place give the same numbers. */
export function foldSeed(seed: number, fold: number): number {
  return Rng.fromSeed(seed).stream(fold).nextSeed();
}

/** Cross-validation of the model `given` describes (a spec; bare thresholds are the z-score spec). */
export async function runCrossValidation(input: ZTable, given: ModelSpec | Thresholds, dir: string, opts: CvOptions): Promise<CvRunSummary> {
  const spec = toSpec(given);
  // longitudinal: rows grouped by subject in time order; folds are dealt over subjects
  const grouped = opts.time === undefined ? null : groupTable(input, opts.time);
  const data = grouped === null ? input : grouped.table;
  const start = grouped === null ? null : grouped.layout.start;
  checkOptions(data, opts, start === null ? data.subjects.length : start.length - 1);
  const labels = strataLabels(data, opts.stratify);
  // Stream 0 of the seed makes the folds; stream f (1-based) seeds fold f; the full-data model
  // uses the seed itself, so it is the model `ms-subtype fit` gives with the same settings.
  const foldOf = start === null ? makeFolds(data.subjects.length, opts.folds, Rng.fromSeed(opts.seed).stream(0), labels) : subjectFolds(start, opts.folds, opts.seed, labels);
  const foldChains = opts.chains ?? CV_DEFAULTS.foldChains;
  const settings = makeSettings(
    {
      seed: opts.seed,
      folds: opts.folds,
      maxSubtypes: opts.maxSubtypes,
      startpoints: opts.startpoints,
      mcmcIterations: opts.mcmcIterations,
      samplesKept: opts.samplesKept ?? null,
      mcmcTuneIterations: opts.mcmcTuneIterations ?? null,
      chains: opts.chains ?? null,
      foldChains,
      stratify: opts.stratify ?? null,
      ...(opts.time !== undefined ? { time: opts.time } : {}),
      // always the value the fits use: a part made under another default (or before the setting existed) then differs
      polish: opts.polish ?? FIT_DEFAULTS.polish,
      earlyStop: opts.earlyStop ?? FIT_DEFAULTS.earlyStop,
      screen: opts.screen ?? FIT_DEFAULTS.screen,
      fullModel: opts.model === undefined ? 'fitted' : `given:${opts.model.sha256}`,
      toolVersion: toolVersion(),
    },
    data,
    spec,
    foldOf,
  );
  if (opts.model !== undefined) checkGivenModel(opts.model, data, spec, opts.maxSubtypes);

  const wanted: (number | 'full')[] = opts.part !== undefined ? [opts.part] : ['full', ...Array.from({ length: opts.folds }, (_, f) => f + 1)];
  if (typeof opts.part === 'number' && (opts.part < 1 || opts.part > opts.folds)) {
    throw new UserError(`--fold ${opts.part} is out of range: folds are numbered 1 to ${opts.folds}`, { field: 'fold' });
  }
  const engine: EngineSettings = {
    maxSubtypes: opts.maxSubtypes,
    startpoints: opts.startpoints,
    mcmcIterations: opts.mcmcIterations,
    ...(opts.samplesKept !== undefined ? { samplesKept: opts.samplesKept } : {}),
    ...(opts.mcmcTuneIterations !== undefined ? { mcmcTuneIterations: opts.mcmcTuneIterations } : {}),
    ...(opts.chains !== undefined ? { chains: opts.chains } : {}),
    ...(opts.polish !== undefined ? { polish: opts.polish } : {}),
    ...(opts.earlyStop !== undefined ? { earlyStop: opts.earlyStop } : {}),
    ...(opts.screen !== undefined ? { screen: opts.screen } : {}),
  };
  const missing: (number | 'full')[] = [];
  let reused = 0;
  for (const part of wanted) {
    const existing = readPart(partFile(dir, part));
    if (existing === undefined || (opts.replaceStale === true && settingsDiff(existing.settings, settings).length > 0)) missing.push(part);
    else {
      refuseMix(partFile(dir, part), existing.settings, settings, 'the settings of this run');
      reused++;
    }
  }
  const threads = Math.max(1, Math.min(opts.jobs, missing.length));
  // One task alone (e.g. --fold i) gets the threads for its own start points; several share them as tasks.
  const inner = missing.length === 1 ? opts.jobs : 1;
  const tasks: WorkerTask[] = missing.map((part) =>
    part === 'full'
      ? {
          kind: 'full',
          data,
          spec,
          engine,
          seed: opts.seed,
          threads: inner,
          ...(opts.model !== undefined ? { model: opts.model.model } : {}),
          ...(opts.dataFile !== undefined ? { dataFile: opts.dataFile } : {}),
          ...(opts.dataSha256 !== undefined ? { dataSha256: opts.dataSha256 } : {}),
          ...(opts.time !== undefined ? { time: opts.time } : {}),
          write: { dir, settings },
        }
      : {
          kind: 'fold',
          fold: part,
          data,
          test: foldIndices(foldOf, part - 1).test,
          spec,
          engine: { ...engine, chains: foldChains },
          seed: foldSeed(opts.seed, part),
          threads: inner,
          ...(opts.time !== undefined ? { time: opts.time } : {}),
          write: { dir, settings },
        },
  );
  const progress = createProgress({ label: 'cv parts', total: tasks.length, quiet: opts.quiet });
  const name = (t: WorkerTask) => (t.kind === 'full' ? 'full-data model' : `fold ${t.fold}`);
  try {
    if (threads === 1) {
      // In-process, one after the other: the bar can also follow each fit's phases.
      for (const t of tasks) {
        await runAndSave(t, (p) => progress.info(`${name(t)}: ${p.phase}, K=${p.subtypes} (${p.done}/${p.total})`));
        progress.tick(1, `${name(t)} done`);
      }
    } else {
      await runTasks(workerUrl(), tasks, { threads, onDone: (_i, t) => progress.tick(1, `${name(t)} done`) });
    }
  } finally {
    progress.stop();
  }
  const files = wanted.map((p) => partFile(dir, p));
  const summary: CvRunSummary = { settings, partsRun: tasks.length, partsReused: reused, files };
  if (opts.part === undefined) {
    summary.result = combineDirectory(dir, opts.minGainPerSubject);
    summary.files.push(...Object.values(writeCvOutputs(dir, summary.result)));
  }
  return summary;
}

/**
 * Join DIR/fold-full.json and DIR/fold-1..F.json into the CV result (the caller writes it).
 * Refuses missing folds, folds of another run, and any mix of settings.
 */
export function combineDirectory(dir: string, minGainPerSubject: number = RECOMMEND_DEFAULTS.minGainPerSubject): CvResult {
  if (!existsSync(dir)) throw new UserError('directory not found', { file: dir });
  const fullFile = partFile(dir, 'full');
  const full = readPart(fullFile);
  if (full === undefined || full.result.kind !== 'full') {
    throw new UserError('the full-data part is missing: run `ms-subtype cv ... --fold full` with the same settings first', { file: fullFile });
  }
  const settings = full.settings;
  const folds: FoldResult[] = [];
  const absent: number[] = [];
  for (let f = 1; f <= settings.folds; f++) {
    const file = partFile(dir, f);
    const p = readPart(file);
    if (p === undefined) {
      absent.push(f);
      continue;
    }
    refuseMix(file, p.settings, settings, fullFile);
    if (p.result.kind !== 'fold' || p.result.fold !== f) throw new UserError(`holds fold ${(p.result as FoldResult).fold ?? 'full'}, expected fold ${f}`, { file });
    checkShape(file, p.result, settings);
    folds.push(p.result);
  }
  if (absent.length > 0) {
    throw new UserError(`fold${absent.length > 1 ? 's' : ''} ${absent.join(', ')} of ${settings.folds} missing: run them with --fold i first`, { file: dir });
  }
  checkShape(fullFile, full.result, settings);
  const held = folds.reduce((s, f) => s + f.testSubjects, 0);
  if (held !== settings.subjects) throw new UserError(`the folds hold out ${held} subjects in all, the data has ${settings.subjects}`, { file: dir });
  // Stray fold files (e.g. fold-12.json from a run with more folds) mean a mix of runs.
  for (const name of readdirSync(dir)) {
    const m = /^fold-(\d+)\.json$/.exec(name);
    if (m !== null && (Number(m[1]) < 1 || Number(m[1]) > settings.folds)) {
      throw new UserError(`this directory is for ${settings.folds} folds; ${name} comes from another run (remove it)`, { file: dir });
    }
  }
  if (!(minGainPerSubject >= 0)) throw new UserError(`the minimum gain must be a number >= 0, got ${minGainPerSubject}`, { field: 'min-gain' });
  return combineFolds(settings, folds, full.result as FullResult, minGainPerSubject);
}

/** A part must have every K and an assignment of every subject (a hand-edited or truncated file may not). */
function checkShape(file: string, r: FoldResult | FullResult, s: CvSettings): void {
  if (r.perK.length !== s.maxSubtypes || r.perK.some((k, i) => k.subtypes !== i + 1)) {
    throw new UserError(`has results for K = ${r.perK.map((k) => k.subtypes).join(', ')}, expected 1 to ${s.maxSubtypes}`, { file, field: 'result.perK' });
  }
  for (const k of r.perK) {
    if (k.assignment.length !== s.subjects) throw new UserError(`assigns ${k.assignment.length} subjects for K=${k.subtypes}, the data has ${s.subjects}`, { file, field: 'result.perK' });
    if (k.sequences.length !== k.subtypes) throw new UserError(`has ${k.sequences.length} sequences for K=${k.subtypes}`, { file, field: 'result.perK' });
  }
}

function refuseMix(file: string, found: PartFile['settings'], expected: CvSettings, against: string): void {
  const diff = settingsDiff(found, expected);
  if (diff.length > 0) {
    throw new UserError(
      `was made with different settings from ${against} (${describeDiff(found, expected, diff)}); refusing to mix them: use another output directory or remove the old files`,
      { file },
    );
  }
}

/** Folds of longitudinal data: dealt over subjects (labels of their first rows), every visit of a subject in its subject's fold. */
export function subjectFolds(start: Int32Array, folds: number, seed: number, labels: readonly string[] | undefined): Int32Array {
  const J = start.length - 1;
  const ofSubject = makeFolds(J, folds, Rng.fromSeed(seed).stream(0), labels === undefined ? undefined : Array.from({ length: J }, (_, j) => labels[start[j]!]!));
  const out = new Int32Array(start[J]!);
  for (let j = 0; j < J; j++) out.fill(ofSubject[j]!, start[j]!, start[j + 1]!);
  return out;
}

function checkOptions(data: ZTable, o: CvOptions, subjects: number): void {
  const intAtLeast = (v: number, min: number, name: string) => {
    if (!Number.isInteger(v) || v < min) throw new UserError(`${name} must be an integer of at least ${min}, got ${v}`, { field: name });
  };
  intAtLeast(o.folds, 2, 'folds');
  intAtLeast(o.maxSubtypes, 1, 'max-subtypes');
  intAtLeast(o.startpoints, 1, 'startpoints');
  intAtLeast(o.mcmcIterations, 0, 'mcmc');
  intAtLeast(o.jobs, 1, 'jobs');
  if (!Number.isInteger(o.seed)) throw new UserError(`seed must be an integer, got ${o.seed}`, { field: 'seed' });
  const M = subjects;
  if (M < o.folds) throw new UserError(`${o.folds} folds need at least ${o.folds} subjects, the data has ${M}`);
  const perTrain = M - Math.ceil(M / o.folds);
  if (perTrain < 2 * o.maxSubtypes) {
    throw new UserError(`too few subjects (${M}) for ${o.maxSubtypes} subtypes with ${o.folds} folds: each training set has only ${perTrain}`);
  }
}

function strataLabels(data: ZTable, column: string | undefined): string[] | undefined {
  if (column === undefined) return undefined;
  const col = data.carried?.[column];
  if (col === undefined) {
    const have = Object.keys(data.carried ?? {});
    throw new UserError(`no column "${column}" to stratify on${have.length > 0 ? ` (columns carried from the data: ${have.join(', ')})` : ''}`, { field: 'stratify' });
  }
  return col;
}

function checkGivenModel(given: NonNullable<CvOptions['model']>, data: ZTable, spec: ModelSpec, maxSubtypes: number): void {
  const m = given.model;
  const place = { file: given.file };
  const kind = kindOf(spec);
  if ((m.method as string) === 'kmeans') throw new UserError(`is a ${String(m.method)} model; cross-validation needs a SuStaIn model`, place);
  if (m.method !== kind.method) throw new UserError(`is a ${m.method} model; cross-validation was asked for a ${kind.title} model (${kind.method})`, place);
  if (JSON.stringify(m.biomarkers) !== JSON.stringify(data.biomarkers)) {
    throw new UserError(`its biomarkers (${m.biomarkers.join(', ')}) are not the data's (${data.biomarkers.join(', ')})`, place);
  }
  if (JSON.stringify(kind.fields(specOfModel(m))) !== JSON.stringify(kind.fields(spec))) {
    const what = spec.kind === 'zscore' ? 'its z thresholds (zvals/zmax)' : `its ${kind.title} model parameters`;
    throw new UserError(`${what} differ from the ones given for cross-validation`, place);
  }
  if (m.fits.length < maxSubtypes) throw new UserError(`it has fits up to ${m.fits.length} subtypes, cross-validation asks for ${maxSubtypes}`, place);
}
