import { existsSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { writeCsvRowsAtomic } from '../io/csv.js';
import { sha256File } from '../io/hash.js';
import { applyNormaliser } from './apply.js';
import { fitNormaliser } from './fit.js';
import { validateFeatureSidecar, validateNormaliser } from './schema.js';
import { readColumnTable } from './table.js';
import type { FeatureDef, FitOptions, Normaliser, ZResult } from './types.js';
import { readJsonFile } from '../io/json.js';

/** File-level helpers: read inputs, fit or apply, write z.csv + z.csv.json (+ the normaliser). */

export const Z_FORMAT = 'ms-subtype-zscores';

/** Progress of a normalise run: bytes read, then rows written. */
export type NormaliseProgress = (phase: 'reading' | 'writing', done: number, total: number) => void;

export interface NormaliseFilesOptions extends Partial<FitOptions> {
  data: string;
  out: string;
  /** Feature sidecar: undefined = `<data>.json` when it exists; null = do not use one. */
  featuresSidecar?: string | null;
  /** Where to save the normaliser; default defaultNormaliserPath(out). */
  saveNormaliser?: string;
  allowNewSites?: boolean;
  onProgress?: NormaliseProgress;
}

export interface ApplyFilesOptions {
  normaliser: string;
  data: string;
  out: string;
  allowNewSites?: boolean;
  controlColumn?: string;
  controlValues?: string[];
  onProgress?: NormaliseProgress;
}

export interface FilesResult {
  normaliser: Normaliser;
  result: ZResult;
  zFile: string;
  sidecarFile: string;
  /** Written (fit) or read (apply). */
  normaliserFile: string;
  /** The feature sidecar used, if any. */
  featuresSidecar: string | null;
}

/** z.csv -> z.normaliser.json (a .csv/.tsv extension is replaced, anything else is kept). */
export function defaultNormaliserPath(out: string): string {
  return out.replace(/\.(csv|tsv)$/i, '') + '.normaliser.json';
}

export function readFeatureSidecar(file: string): FeatureDef[] {
  try {
    return validateFeatureSidecar(readJson(file, 'feature sidecar'), file);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    // <data>.json is read by default, so say what was expected and how to skip it.
    throw new UserError(`${e.message} (expected the feature definitions written by extract; --no-features-sidecar ignores the file)`, {}, e.exitCode);
  }
}

export function readNormaliser(file: string): Normaliser {
  return validateNormaliser(readJson(file, 'normaliser'), file);
}

export function writeNormaliser(file: string, nz: Normaliser): void {
  writeJsonAtomic(file, nz);
}

/** Fit on the controls of `data`, write the normaliser, z.csv and its sidecar. */
export function normaliseFiles(o: NormaliseFilesOptions): FilesResult {
  const table = readColumnTable(o.data, { onProgress: (b, t) => o.onProgress?.('reading', b, t) });
  let sidecar: string | null = null;
  if (o.featuresSidecar === undefined) sidecar = existsSync(`${o.data}.json`) ? `${o.data}.json` : null;
  else sidecar = o.featuresSidecar;
  const featureDefs = o.featureDefs ?? (sidecar !== null ? readFeatureSidecar(sidecar) : undefined);
  const nz = fitNormaliser(table, { ...o, featureDefs });
  const result = applyNormaliser(nz, table, { allowNewSites: o.allowNewSites ?? false });
  const normaliserFile = o.saveNormaliser ?? defaultNormaliserPath(o.out);
  if (normaliserFile === o.out || normaliserFile === `${o.out}.json`) throw new UserError('the normaliser file must differ from the output table and its sidecar', { file: normaliserFile });
  writeNormaliser(normaliserFile, nz);
  writeZRows(o.out, result, o.onProgress);
  const sidecarFile = `${o.out}.json`;
  writeJsonAtomic(
    sidecarFile,
    zSidecar(nz, result, {
      command: 'normalise',
      data: o.data,
      normaliserFile,
      featuresSidecar: sidecar,
      allowNewSites: o.allowNewSites ?? false,
      covariates: o.covariates ?? [],
      categorical: o.categorical ?? [],
      featureDefs: featureDefs ?? [],
    }),
  );
  return { normaliser: nz, result, zFile: o.out, sidecarFile, normaliserFile, featuresSidecar: sidecar };
}

/** Apply a saved normaliser to `data`, write z.csv and its sidecar. */
export function applyNormaliserFiles(o: ApplyFilesOptions): FilesResult {
  const nz = readNormaliser(o.normaliser);
  const table = readColumnTable(o.data, { onProgress: (b, t) => o.onProgress?.('reading', b, t) });
  const result = applyNormaliser(nz, table, { allowNewSites: o.allowNewSites ?? false, controlColumn: o.controlColumn, controlValues: o.controlValues });
  writeZRows(o.out, result, o.onProgress);
  const sidecarFile = `${o.out}.json`;
  writeJsonAtomic(
    sidecarFile,
    zSidecar(nz, result, {
      command: 'normalise --apply',
      data: o.data,
      normaliserFile: o.normaliser,
      featuresSidecar: null,
      allowNewSites: o.allowNewSites ?? false,
      covariates: nz.covariates.map((c) => c.name),
      categorical: nz.covariates.filter((c) => c.kind === 'categorical').map((c) => c.name),
    }),
  );
  return { normaliser: nz, result, zFile: o.out, sidecarFile, normaliserFile: o.normaliser, featuresSidecar: null };
}

/** z.csv, its rows made as they are written (atomic: a temporary file renamed at the end). */
function writeZRows(out: string, res: ZResult, onProgress: NormaliseProgress | undefined): void {
  const rowAt = onProgress
    ? (r: number) => {
        if (r % 10_000 === 0) onProgress('writing', r, res.n);
        return res.rowAt(r);
      }
    : res.rowAt;
  writeCsvRowsAtomic(out, res.columns, res.n, rowAt);
  onProgress?.('writing', res.n, res.n);
}

interface SidecarContext {
  command: string;
  data: string;
  normaliserFile: string;
  featuresSidecar: string | null;
  allowNewSites: boolean;
  covariates: string[];
  categorical: string[];
  /** Feature definitions (from extract), whose labels and units the sidecar passes on. */
  featureDefs?: FeatureDef[];
}

/** The z.csv.json sidecar: provenance, settings, the feature list (read by `fit`), the fit report, notes. */
export function zSidecar(nz: Normaliser, res: ZResult, c: SidecarContext): Record<string, unknown> {
  let controls = 0;
  for (const v of res.isControl) controls += v;
  let missing = 0;
  for (const v of res.z) if (Number.isNaN(v)) missing++;
  const byName = <T>(f: (m: Normaliser['features'][number]) => T): Record<string, T> => Object.fromEntries(nz.features.map((m) => [m.name, f(m)]));
  return {
    format: Z_FORMAT,
    formatVersion: 1,
    toolVersion: toolVersion(),
    command: c.command,
    data: { file: c.data, sha256: sha256File(c.data) },
    featuresSidecar: c.featuresSidecar,
    normaliser: { file: c.normaliserFile, sha256: sha256File(c.normaliserFile), toolVersion: nz.toolVersion },
    settings: {
      ...nz.settings,
      covariates: c.covariates,
      categorical: c.categorical,
      allowNewSites: c.allowNewSites,
    },
    features: res.features,
    // Readable names and units of the features, for figures and tables downstream.
    featureLabels: Object.fromEntries(
      (c.featureDefs ?? []).filter((d) => d.label !== undefined || d.unit !== undefined).map((d) => [d.name, { label: d.label ?? d.name, unit: d.unit ?? '' }]),
    ),
    directions: byName((m) => m.abnormal),
    transforms: byName((m) => m.transform),
    covariates: nz.covariates,
    designColumns: nz.designColumns,
    fitReport: nz.features.map((m) => ({
      feature: m.name,
      nControls: m.nControls,
      df: m.df,
      r2: m.r2,
      sd: m.sd,
      coefficients: m.coefficients,
      transform: m.transform,
      abnormal: m.abnormal,
    })),
    harmonisation: nz.combat,
    counts: { rows: res.n, controls, nonControls: res.n - controls, newSiteSubjects: res.newSiteSubjects.length, missingZ: missing },
    newSiteSubjects: res.newSiteSubjects,
    notes: [...nz.notes, ...res.notes],
  };
}

const readJson = readJsonFile;
