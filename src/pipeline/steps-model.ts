import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { sha256File } from '../io/hash.js';
import { readSubjects, writeSubjects, type SubjectsProvenance } from '../io/subjects.js';
import { exceedanceMessage, zExceedance, type Exceedance } from '../normalise/exceedance.js';
import { fitSustain, assignSubjects, makeThresholds, thresholdWarnings } from '../sustain/index.js';
import type { Assignment, ModelSpec, SustainModelFile, Thresholds, ZTable } from '../sustain/types.js';
import { fitMixtures } from '../sustain/mixture-fit.js';
import { modelConvergenceWarnings } from '../sustain/chains.js';
import { runCrossValidation, fitKmeansModel, assignKmeans } from '../cv/index.js';
import { readCvResult } from '../cv/store.js';
import { readSustainModel, writeModelFile } from '../io/modelfile.js';
import { writeReport } from '../report/index.js';
import { createProgress } from '../io/progress.js';
import type { Step, StepContext } from './runner.js';
import { LAYOUT } from './layout.js';
import { readZTable } from '../io/ztable.js';
import { readLongitudinal, type LongitudinalRead } from '../io/visits.js';
import { assignLongitudinal } from '../sustain/longitudinal/assign.js';
import { longitudinalColumns } from '../sustain/longitudinal/columns.js';
import { visitCounts } from '../sustain/longitudinal/visits.js';
import { formatAgreement, readTruth, truthAgreement, type TruthAgreement } from './truth.js';

/** Steps 3 to 8: SuStaIn fit, cross-validation, k-means baseline, assignments, report, truth check. */

const zFile = (ctx: StepContext) => join(ctx.out, LAYOUT.z);

function trainingTable(ctx: StepContext): ZTable {
  return readTraining(ctx).table;
}

/** The training rows; with fit.time (longitudinal) grouped by subject in time order, with their layout. */
function readTraining(ctx: StepContext): { table: ZTable; lon: LongitudinalRead | null } {
  const opts = { ...(ctx.cfg.fit.biomarkers !== null ? { biomarkers: ctx.cfg.fit.biomarkers } : {}), includeControls: ctx.cfg.fit.includeControls };
  const time = ctx.cfg.fit.time;
  if (time === null) return { table: readZTable(zFile(ctx), opts).table, lon: null };
  const lon = readLongitudinal(zFile(ctx), time, opts);
  return { table: lon.table, lon };
}

/**
 * Assign `data` (longitudinal when `lon` is given): the assignment and the subject table's carried
 * columns (the data's, plus the longitudinal per-visit columns).
 */
function assignFor(model: SustainModelFile, data: ZTable, k: number, lon: LongitudinalRead | null): { a: Assignment; carried: Record<string, string[]> } {
  const cross = assignSubjects(model, data, k);
  if (lon === null) return { a: cross, carried: data.carried ?? {} };
  const a = assignLongitudinal(model, data, lon.layout.start, lon.layout.times, k);
  return { a, carried: { ...(data.carried ?? {}), ...longitudinalColumns(a, lon, lon.timeColumn, cross) } };
}

function thresholdsFor(ctx: StepContext, data: ZTable): Thresholds {
  const f = ctx.cfg.fit;
  const t = makeThresholds(data.biomarkers, f.zvals, f.zmax, f.thresholds, 'config: fit.thresholds');
  for (const w of thresholdWarnings(t, data.biomarkers)) process.stderr.write(w + '\n');
  return t;
}

/**
 * The model spec of fit.kind: the z-score model with the thresholds, or the mixture model whose
 * per-biomarker mixtures are fitted on every row of the z table (the controls start the normal
 * component; z-scores are larger when abnormal, so "higher" is abnormal).
 */
function specFor(ctx: StepContext, data: ZTable): ModelSpec {
  const f = ctx.cfg.fit;
  if (f.kind === 'zscore') return { kind: 'zscore', ...thresholdsFor(ctx, data) };
  const all = readZTable(zFile(ctx), { biomarkers: data.biomarkers, includeControls: true }).table;
  const flag = all.carried?.['is_control'] ?? [];
  const isControl = Uint8Array.from(all.subjects, (_, i) => (['1', 'true', 'yes'].includes((flag[i] ?? '').trim().toLowerCase()) ? 1 : 0));
  const mixtures = fitMixtures(
    all.biomarkers,
    all.values,
    isControl,
    f.mixture,
    all.biomarkers.map(() => 'higher'),
  );
  return { kind: 'mixture', nBiomarkers: all.biomarkers.length, input: 'raw', mixtures };
}

function readModel(ctx: StepContext): SustainModelFile {
  return readSustainModel(join(ctx.out, LAYOUT.model));
}

/** The number of subtypes the assignments and report use: fit.subtypes, else CV's recommendation, else the largest fitted. */
export function chosenSubtypes(ctx: StepContext): { k: number; why: string } {
  if (ctx.cfg.fit.subtypes !== null) return { k: ctx.cfg.fit.subtypes, why: 'fit.subtypes in the config' };
  const cvPath = join(ctx.out, LAYOUT.cv);
  if (ctx.cfg.cv.enabled && existsSync(cvPath)) {
    const cv = readCvResult(cvPath);
    return { k: cv.recommendedSubtypes, why: 'recommended by cross-validation' };
  }
  return { k: ctx.cfg.fit.maxSubtypes, why: 'fit.maxSubtypes (cross-validation off)' };
}

/** The sidecar's record of where an assignment came from (paths relative to the output folder). */
function provenance(ctx: StepContext, method: SubjectsProvenance['method'], model: string, zAboveZmax: Exceedance | null = null): SubjectsProvenance {
  return { method, model: { file: model, sha256: sha256File(join(ctx.out, model)) }, data: { file: LAYOUT.z, sha256: sha256File(zFile(ctx)) }, zAboveZmax };
}

/** Everything of `fit` that changes the model (fit.subtypes only picks which K is used later). */
function fitSettings(ctx: StepContext) {
  const { subtypes: _unused, kind, mixture, polish, earlyStop, screen, ...f } = ctx.cfg.fit;
  // the kind keys only when they change the model (z-score runs keep their settings hash); hashed
  // under the kind's old key name, so a mixture run made before fit.model became fit.kind resumes;
  // polish, earlyStop and screen only when set (runs made before the keys existed keep their hash)
  return {
    ...f,
    seed: ctx.cfg.seed,
    ...(kind !== 'zscore' ? { model: kind, mixture } : {}),
    ...(polish !== null ? { polish } : {}),
    ...(earlyStop !== null ? { earlyStop } : {}),
    ...(screen !== null ? { screen } : {}),
  };
}

/** Engine settings fit and cv both take from fit.*, left to the engine's defaults unless the config names them. */
function sharedEngineExtras(ctx: StepContext): { samplesKept?: number; chains?: number; polish?: number; earlyStop?: number; screen?: number } {
  const f = ctx.cfg.fit;
  return {
    ...(f.samples !== null ? { samplesKept: f.samples } : {}),
    ...(f.chains !== null ? { chains: f.chains } : {}),
    ...(f.polish !== null ? { polish: f.polish } : {}),
    ...(f.earlyStop !== null ? { earlyStop: f.earlyStop } : {}),
    ...(f.screen !== null ? { screen: f.screen } : {}),
  };
}

/** fit's engine settings: the shared ones and its tuning (cv tunes by cv.tune). */
function engineExtras(ctx: StepContext): ReturnType<typeof sharedEngineExtras> & { mcmcTunePasses?: number; mcmcTuneIterations?: number } {
  const f = ctx.cfg.fit;
  return {
    ...(f.tunePasses !== null ? { mcmcTunePasses: f.tunePasses } : {}),
    ...(f.tune !== null ? { mcmcTuneIterations: f.tune } : {}),
    ...sharedEngineExtras(ctx),
  };
}

export const fitStep: Step = {
  name: 'fit',
  enabled: () => true,
  outputs: () => [LAYOUT.model, LAYOUT.modelSubjects],
  dependsOn: (ctx) => ({ settings: fitSettings(ctx), files: [zFile(ctx)] }),
  async run(ctx) {
    const { table: data, lon } = readTraining(ctx);
    if (data.subjects.length < 2) throw new UserError(`only ${data.subjects.length} patient(s) to fit`, { file: zFile(ctx) });
    const spec = specFor(ctx, data);
    const f = ctx.cfg.fit;
    const bar = createProgress({ label: 'fit', total: 1, quiet: ctx.quiet });
    const model = await fitSustain(data, spec, {
      maxSubtypes: f.maxSubtypes,
      startpoints: f.startpoints,
      mcmcIterations: f.mcmc,
      ...engineExtras(ctx),
      threads: ctx.jobs,
      seed: ctx.cfg.seed,
      dataFile: LAYOUT.z,
      dataSha256: sha256File(zFile(ctx)),
      ...(lon !== null ? { longitudinal: { visits: visitCounts(lon.layout.start), timeColumn: lon.timeColumn } } : {}),
      onProgress: (p) => {
        bar.set(
          p.done,
          p.total,
          `${p.phase}${p.mcmcIterations ? ` ${p.mcmcIterations.done.toLocaleString('en-US')}/${p.mcmcIterations.total.toLocaleString('en-US')} iterations` : ''}, K=${p.subtypes}, best log-likelihood ${p.bestLogLik.toFixed(1)}`,
        );
      },
    }).finally(() => bar.stop());
    writeModelFile(join(ctx.out, LAYOUT.model), model);
    const K = f.maxSubtypes;
    // z-scores above zmax matter to the z-score model only
    const above = spec.kind === 'zscore' ? zExceedance(data.values, data.biomarkers, spec.zmax) : null;
    const fitted = assignFor(model, data, K, lon);
    writeSubjects(join(ctx.out, LAYOUT.modelSubjects), fitted.a, fitted.carried, provenance(ctx, model.method, LAYOUT.model, above));
    const warning = above === null ? null : exceedanceMessage(above);
    const lls = model.fits.map((x: { subtypes: number; logLikelihood: number }) => `K=${x.subtypes}: ${x.logLikelihood.toFixed(1)}`).join(', ');
    // as `fit` does (the report shows the same as a banner)
    if (!ctx.quiet) for (const w of modelConvergenceWarnings(model)) process.stderr.write(`warning: ${w}\n`);
    return `SuStaIn${f.kind === 'zscore' ? '' : ` (${f.kind} model)`} fitted on ${data.subjects.length} subjects, ${data.biomarkers.length} biomarkers (log-likelihood ${lls})${warning !== null ? `; warning: ${warning}` : ''}`;
  },
};

export const cvStep: Step = {
  name: 'cv',
  enabled: (ctx) => ctx.cfg.cv.enabled,
  outputs: () => [LAYOUT.cv],
  dependsOn: (ctx) => ({ settings: { fit: fitSettings(ctx), cv: ctx.cfg.cv }, files: [zFile(ctx), join(ctx.out, LAYOUT.model)] }),
  async run(ctx) {
    const data = trainingTable(ctx);
    const spec = specFor(ctx, data);
    const dir = join(ctx.out, LAYOUT.cvDir);
    const c = ctx.cfg.cv;
    // Finished folds of an interrupted run with these settings are reused (replaceStale redoes
    // those of other settings); folds beyond this run's number would be a mix: remove them.
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) {
        const m = /^fold-(\d+)\.json$/.exec(f);
        if (m !== null && Number(m[1]) > c.folds) rmSync(join(dir, f), { force: true });
      }
    }
    const modelPath = join(ctx.out, LAYOUT.model);
    const tuneIterations = c.tune ?? ctx.cfg.fit.tune;
    const tuning = tuneIterations !== null ? { mcmcTuneIterations: tuneIterations } : {};
    const r = await runCrossValidation(data, spec, dir, {
      folds: c.folds,
      maxSubtypes: ctx.cfg.fit.maxSubtypes,
      startpoints: c.startpoints ?? ctx.cfg.fit.startpoints,
      mcmcIterations: c.mcmc ?? ctx.cfg.fit.mcmc,
      seed: ctx.cfg.seed,
      jobs: ctx.jobs,
      quiet: ctx.quiet,
      replaceStale: true,
      model: { model: readModel(ctx), sha256: sha256File(modelPath), file: modelPath },
      ...tuning,
      ...sharedEngineExtras(ctx),
      ...(c.stratify !== null ? { stratify: c.stratify } : {}),
      ...(ctx.cfg.fit.time !== null ? { time: ctx.cfg.fit.time } : {}),
    });
    if (!r.result) throw new Error('cross-validation did not combine its folds');
    const table = r.result.table.map((row) => `K=${row.subtypes} CVIC ${row.cvic.toFixed(1)}`).join(', ');
    const reused = r.partsReused > 0 ? ` (${r.partsReused} finished part(s) of an interrupted run reused)` : '';
    return `${c.folds}-fold CV: ${table}; recommends ${r.result.recommendedSubtypes} subtype(s)${reused}`;
  },
};

export const kmeansStep: Step = {
  name: 'kmeans',
  enabled: (ctx) => ctx.cfg.kmeans.enabled,
  outputs: () => [LAYOUT.kmeans, LAYOUT.kmeansSubjects],
  // Depends on the chosen K, not on cv.json itself: other CV settings with the same answer keep it.
  dependsOn: (ctx) => ({ settings: { fit: fitSettings(ctx), kmeans: ctx.cfg.kmeans }, files: [zFile(ctx)], extra: { k: chosenSubtypes(ctx).k } }),
  async run(ctx) {
    const data = trainingTable(ctx);
    const model = fitKmeansModel(data, { maxSubtypes: ctx.cfg.fit.maxSubtypes, seed: ctx.cfg.seed, restarts: ctx.cfg.kmeans.restarts });
    writeModelFile(join(ctx.out, LAYOUT.kmeans), model);
    // The clusters at the same K as the SuStaIn assignments, for a side-by-side comparison.
    const { k } = chosenSubtypes(ctx);
    writeSubjects(join(ctx.out, LAYOUT.kmeansSubjects), assignKmeans(model, data, k), data.carried, provenance(ctx, model.method, LAYOUT.kmeans));
    return `k-means for 1..${ctx.cfg.fit.maxSubtypes} clusters (silhouette ${model.fits.map((f) => (f.subtypes === 1 ? '-' : f.silhouette.toFixed(2))).join(', ')})`;
  },
};

export const assignStep: Step = {
  name: 'assign',
  enabled: () => true,
  outputs: () => [LAYOUT.assign],
  dependsOn: (ctx) => ({ settings: null, files: [zFile(ctx), join(ctx.out, LAYOUT.model)], extra: { k: chosenSubtypes(ctx).k } }),
  async run(ctx) {
    const { k, why } = chosenSubtypes(ctx);
    const model = readModel(ctx);
    // Everyone, controls included: their stages show how many healthy people look abnormal.
    const opts = { biomarkers: model.biomarkers, includeControls: true };
    const time = ctx.cfg.fit.time;
    const lon = time === null ? null : readLongitudinal(zFile(ctx), time, opts);
    const all = lon === null ? readZTable(zFile(ctx), opts).table : lon.table;
    const { a, carried } = assignFor(model, all, k, lon);
    writeSubjects(
      join(ctx.out, LAYOUT.assign),
      a,
      carried,
      provenance(ctx, model.method, LAYOUT.model, model.method === 'sustain-zscore' ? zExceedance(all.values, all.biomarkers, model.zmax) : null),
    );
    let stage0 = 0;
    for (const s of a.mlStage) if (s === 0) stage0++;
    return `${a.subjects.length} subjects assigned to ${k} subtype(s) (${why}); ${stage0} at stage 0`;
  },
};

export const reportStep: Step = {
  name: 'report',
  enabled: (ctx) => ctx.cfg.report.enabled,
  outputs: () => [LAYOUT.report],
  dependsOn(ctx) {
    const files = [join(ctx.out, LAYOUT.model), join(ctx.out, LAYOUT.assign), join(ctx.out, LAYOUT.zSidecar), join(ctx.out, LAYOUT.featuresSidecar), zFile(ctx)];
    if (ctx.cfg.cv.enabled) files.push(join(ctx.out, LAYOUT.cv));
    if (ctx.cfg.kmeans.enabled) files.push(join(ctx.out, LAYOUT.kmeans));
    if (ctx.cfg.report.brain !== null) files.push(ctx.cfg.report.brain, ...Object.values(ctx.cfg.report.brainMaps));
    if (ctx.cfg.outcomes.clinical !== null) files.push(join(ctx.out, LAYOUT.outcomes));
    const errors = join(ctx.out, LAYOUT.featuresErrors);
    return { settings: ctx.cfg.report, files, extra: existsSync(errors) ? sha256File(errors) : null };
  },
  async run(ctx) {
    const p = (rel: string) => join(ctx.out, rel);
    const errors = p(LAYOUT.featuresErrors);
    const { k } = chosenSubtypes(ctx);
    const r = await writeReport({
      model: p(LAYOUT.model),
      subjects: p(LAYOUT.assign),
      out: p(LAYOUT.reportDir),
      subtypes: k,
      normaliserReport: p(LAYOUT.zSidecar),
      features: p(LAYOUT.featuresSidecar),
      data: zFile(ctx),
      ...(ctx.cfg.cv.enabled ? { cv: p(LAYOUT.cv) } : {}),
      ...(ctx.cfg.kmeans.enabled ? { kmeans: p(LAYOUT.kmeans) } : {}),
      ...(existsSync(errors) ? { errors } : {}),
      ...(ctx.cfg.outcomes.clinical !== null ? { outcomes: p(LAYOUT.outcomes) } : {}),
      ...(ctx.cfg.report.title !== null ? { title: ctx.cfg.report.title } : {}),
      ...(ctx.cfg.report.brain !== null ? { brain: ctx.cfg.report.brain, brainMaps: ctx.cfg.report.brainMaps } : {}),
      ...(ctx.cfg.report.brainStages !== null ? { brainStages: ctx.cfg.report.brainStages } : {}),
      options: { cvPositionalVariance: ctx.cfg.report.cvPositionalVariance },
    });
    return `report with ${r.figurePaths.length} figures`;
  },
};

export const truthStep: Step = {
  name: 'truth',
  enabled: (ctx) => ctx.cfg.truth !== null,
  outputs: () => [LAYOUT.truth],
  dependsOn: (ctx) => ({ settings: ctx.cfg.truth, files: [ctx.cfg.truth!.file, join(ctx.out, LAYOUT.assign)] }),
  async run(ctx) {
    const t = ctx.cfg.truth!;
    const truth = readTruth(t.file, t.subjectColumn, t.subtypeColumn, t.stageColumn);
    const { assignment: a } = readSubjects(join(ctx.out, LAYOUT.assign));
    const recovered = new Map(a.subjects.map((s, i) => [s, a.mlSubtype[i]!]));
    const g = truthAgreement(truth, recovered, a.subtypes);
    writeJsonAtomic(join(ctx.out, LAYOUT.truth), { truthFile: t.file, ...g });
    return `adjusted Rand index ${g.ari.toFixed(3)} over ${g.subjects} subjects`;
  },
};

/** The lines printed at the end of a run about the truth check (read back, so a skipped step still shows them). */
export function truthLines(out: string): string[] {
  const file = join(out, LAYOUT.truth);
  if (!existsSync(file)) return [];
  const g = JSON.parse(readFileSync(file, 'utf8')) as TruthAgreement;
  return [
    "Recovered subtypes against the generator's truth (subjects with a true stage > 0):",
    formatAgreement(g),
    `Adjusted Rand index: ${g.ari.toFixed(3)} (${g.subjects} subjects, ${g.recoveredSubtypes} subtypes)`,
  ];
}
