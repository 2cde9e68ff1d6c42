/**
 * subjects.csv, the per-subject result table of `fit`, `assign`, `run` and the k-means baseline, and
 * its JSON sidecar. The one writer and the one reader of the format, so every command writes the
 * same columns in the same order and the report reads them back the same way.
 *
 * Columns: subject_id, ml_subtype, prob_ml_subtype, ml_stage, prob_ml_stage, prob_subtype_0..K-1,
 * then the z table's carried columns (session, group, is_control, age, ...) in the z table's order.
 * ml_stage and prob_ml_stage are empty where the method has no stages (k-means).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import { AtomicFile, writeJsonAtomic } from './atomic.js';
import { csvHeader, csvRowChunks } from './csv-write.js';
import { columnIndex, parseNumber, readTable, refuseDuplicateSubjects } from './csv.js';
import type { Assignment } from '../sustain/types.js';
import { isTrue } from './ztable.js';
import { readJsonValidated } from './json.js';
import { sha256File } from './hash.js';
import { exceedanceSchema, type Exceedance } from '../normalise/exceedance.js';

export const ASSIGNMENT_COLUMNS = ['subject_id', 'ml_subtype', 'prob_ml_subtype', 'ml_stage', 'prob_ml_stage'] as const;

/** The columns of a subjects.csv with K subtypes and these carried columns, in the order written. */
export function subjectColumns(k: number, carried: readonly string[] = []): string[] {
  return [...ASSIGNMENT_COLUMNS, ...Array.from({ length: k }, (_, j) => `prob_subtype_${j}`), ...carried];
}

export const subjectsSidecarSchema = z.object({
  format: z.literal('ms-subtype-subjects'),
  formatVersion: z.literal(1),
  toolVersion: z.string(),
  /** The model's `method` (sustain-zscore, kmeans, ...). */
  method: z.string(),
  subtypes: z.number().int().min(1),
  rows: z.number().int().min(0),
  columns: z.array(z.string()),
  carriedColumns: z.array(z.string()),
  /** The model the subjects were assigned with and the z table they came from (paths as given). */
  model: z.object({ file: z.string(), sha256: z.string() }).nullable(),
  data: z.object({ file: z.string(), sha256: z.string() }).nullable(),
  /** sha256 of the subjects.csv this sidecar was written with: a reader refuses a table and sidecar of two different runs. */
  table: z.object({ sha256: z.string() }).optional(),
  columnDoc: z.record(z.string(), z.string()),
  /** z-scores of the assigned table above their biomarker's zmax (null: not checked, e.g. k-means). */
  zAboveZmax: exceedanceSchema.nullable().default(null),
});
export type SubjectsSidecar = z.infer<typeof subjectsSidecarSchema>;

/** Where the assignment came from, recorded in the sidecar. */
export interface SubjectsProvenance {
  method: string;
  model: { file: string; sha256: string } | null;
  data: { file: string; sha256: string } | null;
  zAboveZmax?: Exceedance | null;
}

const COLUMN_DOC: Record<string, string> = {
  subject_id: 'subject identifier, as in the z table',
  ml_subtype: 'most probable subtype, 0-based; subtypes ordered by fraction, largest first',
  prob_ml_subtype: 'probability of ml_subtype (averaged over the posterior samples)',
  ml_stage: 'most probable stage: number of events passed (0 = none); empty for k-means',
  prob_ml_stage: 'probability of ml_stage; empty for k-means',
  'prob_subtype_<k>': 'probability of subtype k',
  carried: "the z table's other columns (session, group, is_control, covariates), unchanged",
  expected_stage: "longitudinal tables (fit --time): posterior mean stage of the visit under the subject's subtype",
  progression_rate: 'longitudinal tables: stages per unit of the time column between the first and last visit (empty with one visit)',
  cross_sectional_subtype: "longitudinal tables: the visit's subtype when assigned on its own (for comparison)",
  cross_sectional_stage: "longitudinal tables: the visit's stage when assigned on its own (for comparison)",
  'prob_stage_<k>': "longitudinal tables: probability of stage k at this visit given all the subject's visits",
};

export const subjectsSidecarPath = (file: string): string => `${file}.json`;

/**
 * subjects.csv written block by block as subjects are assigned (in subject order), then its sidecar:
 * memory holds one block's rows, never the whole table's. `add` the blocks in order, then `finish`
 * (or `abort`: nothing is left behind).
 */
export class SubjectsWriter {
  readonly columns: string[];
  rows = 0;
  private readonly out: AtomicFile;

  constructor(
    readonly file: string,
    readonly subtypes: number,
    readonly carriedNames: readonly string[],
  ) {
    this.columns = subjectColumns(subtypes, [...carriedNames]);
    this.out = new AtomicFile(file);
    this.out.write(csvHeader(this.columns));
  }

  /** The rows of `a` (one block), with `carried[c][from + i]` as row i's carried cells (columns in carriedNames' order). */
  add(a: Assignment, carried: readonly (readonly string[])[], from = 0): void {
    const K = this.subtypes;
    if (a.subtypes !== K) throw new Error(`a block with ${a.subtypes} subtypes for a ${K}-subtype table`);
    const rowAt = (i: number) => {
      const staged = a.mlStage[i]! >= 0;
      const r: (string | number)[] = [a.subjects[i]!, a.mlSubtype[i]!, a.probMlSubtype[i]!, staged ? a.mlStage[i]! : '', staged ? a.probMlStage[i]! : ''];
      for (let k = 0; k < K; k++) r.push(a.probSubtype[i * K + k]!);
      for (const c of carried) r.push(c[from + i]!);
      return r;
    };
    for (const chunk of csvRowChunks(a.subjects.length, rowAt)) this.out.write(chunk);
    this.rows += a.subjects.length;
  }

  /** Rename the table into place and write its sidecar. */
  finish(prov: SubjectsProvenance): void {
    const sha256 = this.out.commit();
    const sidecar: SubjectsSidecar = {
      format: 'ms-subtype-subjects',
      formatVersion: 1,
      toolVersion: toolVersion(),
      method: prov.method,
      subtypes: this.subtypes,
      rows: this.rows,
      columns: this.columns,
      carriedColumns: [...this.carriedNames],
      model: prov.model,
      data: prov.data,
      columnDoc: COLUMN_DOC,
      zAboveZmax: prov.zAboveZmax ?? null,
      table: { sha256 },
    };
    writeJsonAtomic(subjectsSidecarPath(this.file), sidecar);
  }

  abort(): void {
    this.out.abort();
  }
}

/** Write subjects.csv and subjects.csv.json. `carried` holds one string per subject per column. */
export function writeSubjects(file: string, a: Assignment, carried: Record<string, string[]> | undefined, prov: SubjectsProvenance): void {
  const names = Object.keys(carried ?? {});
  const cols = names.map((c) => carried![c]!);
  for (const [j, c] of cols.entries()) {
    if (c.length !== a.subjects.length) throw new Error(`carried column ${names[j]} has ${c.length} values for ${a.subjects.length} subjects`);
  }
  const w = new SubjectsWriter(file, a.subtypes, names);
  try {
    w.add(a, cols);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.finish(prov);
}

/**
 * A result set is consistent or refused: `fit` writes model.json, subjects.csv and its sidecar one
 * after the other, so a run killed between them leaves files of two runs side by side. The sidecar
 * records the sha256 of its table and of the model the subjects were assigned with; this checks
 * both against the files given (a table without a sidecar, made by hand, is not checked).
 */
export function checkSubjectsMatch(file: string, modelFile: string): void {
  const side = readSubjectsSidecar(file);
  if (side === null) return;
  const rerun = 'rerun the fit (or assign) that made them';
  if (side.table !== undefined && sha256File(file) !== side.table.sha256) {
    throw new UserError(
      `the table does not match its sidecar ${subjectsSidecarPath(file)} (the two are from different runs, e.g. one interrupted between its writes): ${rerun} (a table edited by hand: remove the sidecar)`,
      { file },
    );
  }
  if (side.model !== null) {
    const sha = sha256File(modelFile);
    if (sha !== side.model.sha256) {
      throw new UserError(
        `was made with another model than ${modelFile} (its sidecar records ${side.model.file}, sha256 ${side.model.sha256.slice(0, 12)}..., this model has ${sha.slice(0, 12)}...; a fit interrupted between its outputs leaves such a pair): ${rerun}`,
        { file },
      );
    }
  }
}

/** The sidecar of a subjects.csv, or null when there is none (a table made by hand). */
export function readSubjectsSidecar(file: string): SubjectsSidecar | null {
  const side = subjectsSidecarPath(file);
  return existsSync(side) ? readJsonValidated(side, subjectsSidecarSchema, 'subjects.csv sidecar') : null;
}

export interface SubjectsRead {
  /** mlStage is -1 and probMlStage NaN where the table has no stages (k-means). */
  assignment: Assignment;
  /** The other columns, by name, one string per subject, in the file's order. */
  carried: Record<string, string[]>;
  /** The table exactly as read (same row order), for downloads. */
  raw: { columns: string[]; rows: string[][] };
  /** Whether every row has a stage (false for k-means tables). */
  staged: boolean;
}

/**
 * Read a subjects.csv (any column order; the carried columns are everything else). With
 * `requireStages`, a row without ml_stage is an error naming the file and line.
 */
export function readSubjects(file: string, opts: { requireStages?: boolean } = {}): SubjectsRead {
  const t = readTable(file);
  const idx = ASSIGNMENT_COLUMNS.map((c) => columnIndex(t, c));
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
  let unstaged = 0;
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
    const ml = r[idx[1]!]!.trim();
    if (Number.isInteger(Number(ml)) && Number(ml) >= k) {
      // ml_subtype names a subtype whose probability column is missing: say which column
      throw new UserError(`missing column prob_subtype_${ml} (ml_subtype is ${ml}, the table has prob_subtype_0..${k - 1})`, { file, line: i + 2, subject, field: `prob_subtype_${ml}` });
    }
    a.mlSubtype[i] = integer(idx[1]!, 'ml_subtype', k - 1);
    a.probMlSubtype[i] = prob(idx[2]!, 'prob_ml_subtype');
    if (r[idx[3]!]!.trim() === '') {
      if (opts.requireStages) throw new UserError('empty ml_stage: a SuStaIn subject table is needed here (k-means tables have no stages)', place('ml_stage'));
      a.mlStage[i] = -1;
      a.probMlStage[i] = NaN;
      unstaged++;
    } else {
      a.mlStage[i] = integer(idx[3]!, 'ml_stage', Number.MAX_SAFE_INTEGER);
      a.probMlStage[i] = prob(idx[4]!, 'prob_ml_stage');
    }
    probIdx.forEach((c, j) => (a.probSubtype[i * k + j] = prob(c, `prob_subtype_${j}`)));
    for (const c of carriedIdx) carried[t.columns[c]!]!.push(r[c]!);
  });
  return { assignment: a, carried, raw: { columns: t.columns, rows: t.rows }, staged: unstaged === 0 };
}

/** Which rows are healthy controls, from a carried is_control (or control) column, true/1/yes; all false without one. */
export function controlMask(carried: Record<string, string[]> | undefined, m: number): boolean[] {
  const col = carried?.['is_control'] ?? carried?.['control'];
  if (!col) return new Array<boolean>(m).fill(false);
  return col.map(isTrue);
}
