/**
 * Reading the report's input files into ReportInputs. Model, CV and k-means files are validated (errors
 * name the file and key); the sidecars of extract and normalise are read as any JSON.
 */
import { UserError } from '../common/errors.js';
import { readJsonFile } from '../io/json.js';
import { readModelFile } from '../io/modelfile.js';
import { readTable } from '../io/csv.js';
import { readSubjects as readSubjectsTable, readSubjectsSidecar } from '../io/subjects.js';
import type { KmeansModelFile, SustainModelFile } from '../sustain/types.js';
import type { ExtractionFailure, ReportSubjects } from './types.js';

// Model files are read by the one validator the engine uses (src/io/modelfile.ts); the report only
// adds which flag each kind of model belongs to.
export function readSustainModel(file: string): SustainModelFile {
  const m = readModelFile(file);
  if (m.method === 'kmeans') {
    throw new UserError('this is a k-means model; give the SuStaIn model with --model and this one with --kmeans', { file, field: 'method' });
  }
  return m;
}

export function readKmeansModel(file: string): KmeansModelFile {
  const m = readModelFile(file);
  if (m.method !== 'kmeans') throw new UserError(`expected a k-means model (from fit --method kmeans), this is a ${m.method} model`, { file, field: 'method' });
  return m;
}

export { readCvResult } from '../cv/store.js';

/** Any JSON (sidecars of other stages, read tolerantly). */
export function readAnyJson(file: string, what: string): unknown {
  return readJsonFile(file, what);
}

/** subjects.csv of fit/assign/run (the one reader in io/subjects.ts); the report needs stages. */
export function readSubjects(file: string): ReportSubjects {
  const r = readSubjectsTable(file, { requireStages: true });
  const side = readSubjectsSidecar(file);
  return { assignment: r.assignment, carried: r.carried, raw: r.raw, ...(side?.zAboveZmax ? { zAboveZmax: side.zAboveZmax } : {}) };
}

/** The extraction errors CSV: subject_id, session, file, reason (other columns ignored, missing ones empty). */
export function readFailures(file: string): ExtractionFailure[] {
  const t = readTable(file);
  const col = (names: string[]) => names.map((n) => t.columns.indexOf(n)).find((i) => i >= 0) ?? -1;
  const s = col(['subject_id', 'subject']);
  if (s < 0) throw new UserError('missing column "subject_id"', { file, field: 'subject_id' });
  const ses = col(['session']);
  const f = col(['file', 'path']);
  const reason = col(['reason', 'error', 'message']);
  return t.rows.map((r) => ({ subject: r[s]!, session: ses >= 0 ? r[ses]! : '', file: f >= 0 ? r[f]! : '', reason: reason >= 0 ? r[reason]! : '' }));
}
