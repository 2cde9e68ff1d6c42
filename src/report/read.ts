/**
 * Reading the report's input files into ReportInputs. Model, CV and k-means files are validated (errors
 * name the file and key); the sidecars of extract and normalise are read as any JSON.
 */
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { readJsonFile, readJsonValidated } from '../io/json.js';
import { readModelFile } from '../io/modelfile.js';
import { columnIndex, parseNumber, readTable, refuseDuplicateSubjects } from '../io/csv.js';
import type { CvResult } from '../cv/types.js';
import type { Assignment, KmeansModelFile, SustainModelFile } from '../sustain/types.js';
import type { ExtractionFailure, ReportSubjects } from './types.js';

const num = z.number();
const int = z.number().int();

const cvResult = z.looseObject({
  format: z.literal('ms-subtype-cv'),
  formatVersion: z.literal(1),
  toolVersion: z.string(),
  settings: z.looseObject({ seed: num }),
  table: z
    .array(
      z.looseObject({
        subtypes: int.min(1),
        cvic: num,
        testLogLikelihoodMean: num,
        testLogLikelihoodSd: num,
        testLogLikelihoodPerFold: z.array(num),
      }),
    )
    .min(1),
  cvicChoice: int,
  recommendedSubtypes: int.min(1),
  rule: z.string(),
  positionalVariance: z.record(z.string(), z.array(z.array(z.array(num)))).optional(),
  stability: z.record(z.string(), z.array(num)).optional(),
});

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

export function readCvResult(file: string): CvResult {
  return readJsonValidated(file, cvResult, 'CV result') as unknown as CvResult;
}

/** Any JSON (sidecars of other stages, read tolerantly). */
export function readAnyJson(file: string, what: string): unknown {
  return readJsonFile(file, what);
}

const CORE = ['subject_id', 'ml_subtype', 'prob_ml_subtype', 'ml_stage', 'prob_ml_stage'];

/** subjects.csv of fit/assign -> Assignment (+ carried columns and the raw table for the download). */
export function readSubjects(file: string): ReportSubjects {
  const t = readTable(file);
  const idx = CORE.map((c) => columnIndex(t, c));
  let k = 0;
  while (t.columns.includes(`prob_subtype_${k}`)) k++;
  if (k === 0) throw new UserError('missing columns prob_subtype_0..prob_subtype_K-1', { file, field: 'prob_subtype_0' });
  const extra = t.columns.filter((c) => /^prob_subtype_\d+$/.test(c) && Number(c.slice(13)) >= k);
  if (extra.length > 0) throw new UserError(`prob_subtype columns must run 0..K-1 without gaps (found ${extra.join(', ')} after prob_subtype_${k - 1})`, { file, field: extra[0] });
  const probIdx = Array.from({ length: k }, (_, j) => t.columns.indexOf(`prob_subtype_${j}`));
  const used = new Set([...idx, ...probIdx]);
  const carriedIdx = t.columns.map((_, i) => i).filter((i) => !used.has(i));
  const m = t.rows.length;
  if (m === 0) throw new UserError('the subject table has no rows', { file });
  refuseDuplicateSubjects(t, idx[0]!, t.columns.indexOf('session'));
  const a: Assignment = {
    subjects: [],
    subtypes: k,
    mlSubtype: new Int32Array(m),
    probMlSubtype: new Float64Array(m),
    mlStage: new Int32Array(m),
    probMlStage: new Float64Array(m),
    probSubtype: new Float64Array(m * k),
  };
  const carried: Record<string, string[]> = Object.fromEntries(carriedIdx.map((i) => [t.columns[i]!, [] as string[]]));
  t.rows.forEach((r, i) => {
    const subject = r[idx[0]!]!;
    const place = (field: string) => ({ file, line: i + 2, subject, field });
    const integer = (col: number, field: string, max: number) => {
      const v = parseNumber(r[col]!, place(field));
      if (!Number.isInteger(v) || v < 0 || v > max) throw new UserError(`expected an integer from 0 to ${max}, got "${r[col]}"`, place(field));
      return v;
    };
    const prob = (col: number, field: string) => {
      const v = parseNumber(r[col]!, place(field));
      if (v < 0 || v > 1 + 1e-9) throw new UserError(`a probability must be between 0 and 1, got ${v}`, place(field));
      return v;
    };
    if (subject === '') throw new UserError('empty subject_id', place('subject_id'));
    a.subjects.push(subject);
    if (Number(r[idx[1]!]) >= k && Number.isInteger(Number(r[idx[1]!]))) {
      // ml_subtype names a subtype whose probability column is missing: say which column
      throw new UserError(`missing column prob_subtype_${r[idx[1]!]!.trim()} (ml_subtype is ${r[idx[1]!]!.trim()}, the table has prob_subtype_0..${k - 1})`, { file, field: `prob_subtype_${k}` });
    }
    a.mlSubtype[i] = integer(idx[1]!, 'ml_subtype', k - 1);
    a.probMlSubtype[i] = prob(idx[2]!, 'prob_ml_subtype');
    if (r[idx[3]!]!.trim() === '') throw new UserError('empty ml_stage: the report needs a SuStaIn subject table (k-means tables have no stages)', place('ml_stage'));
    a.mlStage[i] = integer(idx[3]!, 'ml_stage', Number.MAX_SAFE_INTEGER);
    a.probMlStage[i] = prob(idx[4]!, 'prob_ml_stage');
    probIdx.forEach((c, j) => (a.probSubtype[i * k + j] = prob(c, `prob_subtype_${j}`)));
    for (const c of carriedIdx) carried[t.columns[c]!]!.push(r[c]!);
  });
  return { assignment: a, carried, raw: { columns: t.columns, rows: t.rows } };
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
