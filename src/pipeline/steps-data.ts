import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { writeAtomic, writeJsonAtomic } from '../io/atomic.js';
import { readTable } from '../io/csv.js';
import { extractCohort, loadCohort, loadFeatures, defaultFeaturesFile } from '../extract/index.js';
import { normaliseFiles } from '../normalise/index.js';
import type { Step, StepContext } from './runner.js';
import { LAYOUT } from './layout.js';

/** Steps 1 and 2: regional features from the scans (or a ready table), then z-scores against the controls. */

function inputOf(ctx: StepContext): { kind: 'manifest' | 'bids' | 'table'; path: string } {
  const i = ctx.cfg.input;
  if (i.manifest !== null) return { kind: 'manifest', path: i.manifest };
  if (i.bids !== null) return { kind: 'bids', path: i.bids };
  if (i.table !== null) return { kind: 'table', path: i.table };
  throw new UserError('no input: give --manifest, --bids or --table (or input.manifest / input.bids / input.table in the config)', { field: 'input' });
}

/**
 * input.covariatesFile: a BIDS folder takes it as its participants.tsv; a manifest or volume table
 * gets its columns joined on subject_id (and session), as extract --covariates-file.
 */
function covariatesOf(ctx: StepContext, kind: 'manifest' | 'bids' | 'table'): { participants?: string; covariates?: string } {
  const file = ctx.cfg.input.covariatesFile;
  if (file === null) return {};
  return kind === 'bids' ? { participants: file } : { covariates: file };
}

function featuresFile(ctx: StepContext): string {
  return ctx.cfg.extract.featureDefs ?? defaultFeaturesFile();
}

/**
 * The scans a cohort reads, with size and modification time: cheap to collect for tens of thousands
 * of files, and enough to notice a replaced scan (hashing every scan would cost as much as extracting).
 */
function scanStats(ctx: StepContext): [string, number, number][] {
  const input = inputOf(ctx);
  if (input.kind === 'table') return [];
  const fs = loadFeatures(featuresFile(ctx));
  const cohort = loadCohort([input.path], fs, {
    format: input.kind === 'bids' ? 'bids' : 'auto',
    lesionThreshold: ctx.cfg.extract.lesionThreshold,
    gridTolerance: 1e-4,
    ...covariatesOf(ctx, input.kind),
  });
  const out: [string, number, number][] = [];
  for (const s of cohort.subjects) {
    const t = s.task;
    if (!t) continue;
    const others = [...(t.labelMaps ?? []).map((m) => m.path), ...(t.ratios ?? []).flatMap((r) => [r.numerator.path, r.denominator.path])];
    for (const p of [t.labels.path, t.lesion?.path, ...t.maps.map((m) => m.path), ...others, ...t.extra.map((e) => e.path)]) {
      if (p === undefined || p === '') continue;
      const st = existsSync(p) ? statSync(p) : undefined;
      out.push([p, st?.size ?? -1, st?.mtimeMs ?? -1]);
    }
  }
  return out;
}

export const extractStep: Step = {
  name: 'extract',
  enabled: () => true,
  outputs: () => [LAYOUT.features, LAYOUT.featuresSidecar],
  dependsOn(ctx) {
    const input = inputOf(ctx);
    const files = [featuresFile(ctx)];
    if (input.kind !== 'bids') files.push(input.path);
    if (ctx.cfg.input.covariatesFile !== null) files.push(ctx.cfg.input.covariatesFile);
    return {
      settings: {
        input: input.kind,
        tableFormat: ctx.cfg.input.tableFormat,
        lesionThreshold: ctx.cfg.extract.lesionThreshold,
        // how the covariates file is read (a table extracted before it was joined is extracted again)
        ...(ctx.cfg.input.covariatesFile !== null ? { covariatesAs: Object.keys(covariatesOf(ctx, input.kind))[0] } : {}),
      },
      files,
      extra: scanStats(ctx),
    };
  },
  async run(ctx) {
    const input = inputOf(ctx);
    const out = join(ctx.out, LAYOUT.features);
    if (input.kind === 'table' && ctx.cfg.input.tableFormat === 'features') {
      if (ctx.cfg.input.covariatesFile !== null) {
        throw new UserError('a ready feature table (input.tableFormat "features") is used as it is: give its covariates as columns of the table', { field: 'input.covariatesFile' });
      }
      // A ready feature table: copy it, and describe its features from the definitions file so
      // normalise knows their directions and transforms.
      const t = readTable(input.path);
      const defs = loadFeatures(featuresFile(ctx)).features.filter((f) => t.columns.includes(f.name));
      if (defs.length === 0) {
        throw new UserError(`none of the features of ${featuresFile(ctx)} is a column of the table (columns: ${t.columns.join(', ')})`, { file: input.path });
      }
      writeAtomic(out, readFileSync(input.path));
      writeJsonAtomic(join(ctx.out, LAYOUT.featuresSidecar), { features: defs, source: input.path });
      return `${t.rows.length} subjects from the feature table ${input.path}`;
    }
    const r = await extractCohort({
      inputs: [input.path],
      out,
      features: featuresFile(ctx),
      format: input.kind === 'bids' ? 'bids' : input.kind === 'table' ? (ctx.cfg.input.tableFormat as 'asegstats2table' | 'synthseg') : 'auto',
      lesionThreshold: ctx.cfg.extract.lesionThreshold,
      jobs: ctx.jobs,
      quiet: ctx.quiet,
      ...covariatesOf(ctx, input.kind),
    });
    for (const w of r.warnings) ctx.log(`  note: ${w}`);
    if (r.rows === 0) throw new UserError(`no subject could be measured (${r.failures.length} failed; reasons in ${r.errorsFile})`, { file: input.path });
    const failed = r.failures.length > 0 ? `, ${r.failures.length} failed (see ${r.errorsFile})` : ', none failed';
    return `${r.rows} subjects measured${failed}`;
  },
};

export const normaliseStep: Step = {
  name: 'normalise',
  enabled: () => true,
  outputs: () => [LAYOUT.z, LAYOUT.zSidecar, LAYOUT.normaliser],
  dependsOn(ctx) {
    return { settings: ctx.cfg.normalise, files: [join(ctx.out, LAYOUT.features), join(ctx.out, LAYOUT.featuresSidecar)] };
  },
  async run(ctx) {
    const n = ctx.cfg.normalise;
    const r = normaliseFiles({
      data: join(ctx.out, LAYOUT.features),
      out: join(ctx.out, LAYOUT.z),
      saveNormaliser: join(ctx.out, LAYOUT.normaliser),
      featuresSidecar: join(ctx.out, LAYOUT.featuresSidecar),
      controlColumn: n.controlColumn,
      controlValues: n.controlValues,
      covariates: n.covariates,
      categorical: n.categorical,
      siteColumn: n.siteColumn,
      harmonise: n.harmonise,
      allowNewSites: n.allowNewSites,
    });
    let controls = 0;
    for (const v of r.result.isControl) controls += v;
    const r2 = r.normaliser.features.map((f) => f.r2);
    const range = r2.length > 0 ? `, R2 ${Math.min(...r2).toFixed(2)}-${Math.max(...r2).toFixed(2)}` : '';
    return `${r.result.n} subjects z-scored against ${controls} controls (${r.result.features.length} features, covariates ${n.covariates.join(', ') || 'none'}${range})`;
  },
};
