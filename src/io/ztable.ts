/**
 * Reading and writing z-score tables (the input of fit and assign).
 *
 * Layout: a subject_id column, optional carried columns (session, group, is_control, ...), and one
 * numeric column per biomarker; empty cells (or NA) are missing values. Which columns are biomarkers:
 *  1. the `biomarkers` option when given (--biomarkers a,b,c);
 *  2. else the `features` list of the normaliser's sidecar `<file>.json`, when present;
 *  3. else every column other than subject_id / session / is_control whose non-empty cells all parse
 *     as numbers (and that has at least one value).
 * Rows flagged `is_control` (true/1/yes) are healthy controls: excluded unless includeControls.
 */
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import { parseNumber, readTable, writeCsvAtomic, type Table } from './csv.js';
import type { ZTable } from '../sustain/types.js';

export const ID_COLUMNS = ['subject_id', 'subject'];
export const NON_BIOMARKER_COLUMNS = ['subject_id', 'subject', 'session', 'is_control'];

export interface ReadZTableOptions {
  biomarkers?: string[];
  includeControls?: boolean;
  /** columns that are never biomarkers (e.g. the visit time column of longitudinal data) */
  exclude?: string[];
}

export interface ZTableRead {
  table: ZTable;
  file: string;
  /** number of control rows left out */
  excludedControls: number;
  /** where the biomarker list came from */
  biomarkerSource: 'option' | 'sidecar' | 'numeric columns';
  /** 1-based file line of each kept row */
  lines: number[];
}

/** An is_control cell that marks a healthy control. */
export function isTrue(s: string): boolean {
  const v = s.trim().toLowerCase();
  return v === '1' || v === 'true' || v === 'yes' || v === 't' || v === 'y';
}

/** The `features` list of the normaliser's sidecar `<file>.json`, or null when there is none. */
export function sidecarFeatures(file: string): string[] | null {
  const side = `${file}.json`;
  if (!existsSync(side)) return null;
  try {
    const j = JSON.parse(readFileSync(side, 'utf8')) as { features?: unknown };
    if (Array.isArray(j.features) && j.features.length > 0 && j.features.every((f) => typeof f === 'string')) return j.features as string[];
  } catch {
    // An unreadable sidecar is not fatal: fall back to the numeric columns.
  }
  return null;
}

/**
 * Columns whose non-empty cells are all numbers. A column that is mostly numbers but has a stray
 * word is an error naming the cell, not a column silently left out of the model.
 */
function numericColumns(t: Table, skip: Set<string>): string[] {
  const out: string[] = [];
  const idCol = t.columns.findIndex((c) => ID_COLUMNS.includes(c));
  t.columns.forEach((c, j) => {
    if (skip.has(c)) return;
    let numbers = 0;
    let firstBad = -1;
    let bad = 0;
    t.rows.forEach((row, r) => {
      const s = row[j]!.trim();
      if (s === '' || s === 'NA' || s === 'NaN' || s === 'nan') return;
      if (Number.isFinite(Number(s))) numbers++;
      else {
        bad++;
        if (firstBad < 0) firstBad = r;
      }
    });
    if (bad === 0 && numbers > 0) out.push(c);
    else if (numbers > bad) {
      const row = t.rows[firstBad]!;
      throw new UserError(
        `"${row[j]}" is not a number in a numeric column (name the biomarker columns with --biomarkers to leave this column out)`,
        { file: t.file, line: firstBad + 2, ...(idCol >= 0 ? { subject: row[idCol]! } : {}), field: c },
      );
    }
  });
  return out;
}

export function readZTable(file: string, opts: ReadZTableOptions = {}): ZTableRead {
  const t = readTable(file);
  const idName = ID_COLUMNS.find((c) => t.columns.includes(c));
  if (idName === undefined) throw new UserError(`missing column "subject_id" (columns: ${t.columns.join(', ')})`, { file, field: 'subject_id' });
  const idCol = t.columns.indexOf(idName);
  const ctrlCol = t.columns.indexOf('is_control');
  let biomarkers: string[];
  let source: ZTableRead['biomarkerSource'];
  if (opts.biomarkers && opts.biomarkers.length > 0) {
    biomarkers = opts.biomarkers;
    source = 'option';
  } else {
    const side = sidecarFeatures(file);
    if (side) {
      biomarkers = side;
      source = 'sidecar';
    } else {
      biomarkers = numericColumns(t, new Set([...NON_BIOMARKER_COLUMNS, ...(opts.exclude ?? [])]));
      source = 'numeric columns';
    }
  }
  if (biomarkers.length === 0) throw new UserError('no biomarker columns found (no numeric columns besides subject_id)', { file });
  const bCols = biomarkers.map((b) => {
    const j = t.columns.indexOf(b);
    if (j < 0) throw new UserError(`missing biomarker column "${b}" (columns: ${t.columns.join(', ')})`, { file, field: b });
    return j;
  });
  const carriedNames = t.columns.filter((c, j) => j !== idCol && !bCols.includes(j));
  const carriedIdx = carriedNames.map((c) => t.columns.indexOf(c));
  const B = biomarkers.length;
  const keep: number[] = [];
  let excluded = 0;
  t.rows.forEach((row, r) => {
    if (ctrlCol >= 0 && !opts.includeControls && isTrue(row[ctrlCol]!)) excluded++;
    else keep.push(r);
  });
  const M = keep.length;
  const values = new Float64Array(M * B);
  const subjects: string[] = [];
  const carried: Record<string, string[]> = {};
  for (const c of carriedNames) carried[c] = [];
  keep.forEach((r, i) => {
    const row = t.rows[r]!;
    const subject = row[idCol]!;
    if (subject === '') throw new UserError('empty subject_id', { file, line: r + 2 });
    subjects.push(subject);
    let any = false;
    for (let b = 0; b < B; b++) {
      const v = parseNumber(row[bCols[b]!]!, { file, line: r + 2, subject, field: biomarkers[b]! }, true);
      values[i * B + b] = v;
      if (!Number.isNaN(v)) any = true;
    }
    if (!any) throw new UserError('the row has no biomarker values (every biomarker is missing)', { file, line: r + 2, subject });
    carriedNames.forEach((c, q) => carried[c]!.push(row[carriedIdx[q]!]!));
  });
  const table: ZTable = { subjects, biomarkers: [...biomarkers], values };
  if (carriedNames.length > 0) table.carried = carried;
  return { table, file, excludedControls: excluded, biomarkerSource: source, lines: keep.map((r) => r + 2) };
}

/** Write a z table: subject_id, carried columns, biomarkers (empty cell = missing). */
export function writeZTable(path: string, table: ZTable): void {
  const carried = table.carried ?? {};
  const cNames = Object.keys(carried);
  const B = table.biomarkers.length;
  const rows = table.subjects.map((s, i) => {
    const r: (string | number)[] = [s];
    for (const c of cNames) r.push(carried[c]![i]!);
    for (let b = 0; b < B; b++) r.push(table.values[i * B + b]!);
    return r;
  });
  writeCsvAtomic(path, ['subject_id', ...cNames, ...table.biomarkers], rows);
}
