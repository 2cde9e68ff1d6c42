import { UserError } from '../common/errors.js';
import { columnKind, parseNumber, type Table } from '../io/csv.js';

/**
 * The table as the normaliser sees it: row keys, control flags, covariate cells (trimmed strings,
 * never empty) and feature values (NaN = missing). Every bad cell is an error naming its subject.
 */
export interface Cohort {
  file: string;
  n: number;
  subjects: string[];
  sessions: string[] | null;
  /** 1-based file line of each row (header = line 1). */
  lines: number[];
  isControl: Uint8Array;
  hasControlColumn: boolean;
  covariates: Map<string, string[]>;
}

export interface CohortOptions {
  subjectColumn: string;
  sessionColumn: string;
  controlColumn: string;
  controlValues: readonly string[];
  covariates: readonly string[];
  /** Fit needs the control column; apply only uses it for the is_control flag when present. */
  requireControlColumn: boolean;
}

export function readCohort(table: Table, o: CohortOptions): Cohort {
  const file = table.file;
  const si = table.columns.indexOf(o.subjectColumn);
  if (si < 0) {
    throw new UserError(`missing subject column "${o.subjectColumn}" (columns: ${table.columns.join(', ')}; use --subject-column)`, { file, field: o.subjectColumn });
  }
  const sessIdx = table.columns.indexOf(o.sessionColumn);
  const ci = table.columns.indexOf(o.controlColumn);
  if (ci < 0 && o.requireControlColumn) {
    throw new UserError(
      `missing control column "${o.controlColumn}" (columns: ${table.columns.join(', ')}); name the column that marks healthy controls with --control-column`,
      { file, field: o.controlColumn },
    );
  }
  if (table.rows.length === 0) throw new UserError('the table has a header but no rows', { file });
  const n = table.rows.length;
  const subjects: string[] = new Array(n);
  const sessions: string[] | null = sessIdx >= 0 ? new Array(n) : null;
  const lines: number[] = new Array(n);
  const isControl = new Uint8Array(n);
  const controlSet = new Set(o.controlValues.map((v) => v.trim()));
  const seen = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const row = table.rows[r]!;
    const line = r + 2;
    lines[r] = line;
    const id = row[si]!.trim();
    if (id === '') throw new UserError('empty subject id', { file, line, field: o.subjectColumn });
    subjects[r] = id;
    const sess = sessIdx >= 0 ? row[sessIdx]!.trim() : '';
    if (sessions) sessions[r] = sess;
    const key = `${id}\u0000${sess}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      const what = sessions ? `subject ${id} session "${sess}"` : `subject ${id}`;
      throw new UserError(`${what} appears twice (lines ${prev} and ${line}); each subject (and session) must have one row`, { file, line, subject: id });
    }
    seen.set(key, line);
    if (ci >= 0) isControl[r] = controlSet.has(row[ci]!.trim()) ? 1 : 0;
  }
  const covariates = new Map<string, string[]>();
  for (const name of o.covariates) {
    const j = table.columns.indexOf(name);
    if (j < 0) throw new UserError(`missing covariate column "${name}" (columns: ${table.columns.join(', ')})`, { file, field: name });
    const vals: string[] = new Array(n);
    let empty = 0;
    for (let r = 0; r < n; r++) {
      const v = table.rows[r]![j]!.trim();
      if (v === '' || v === 'NA' || v === 'NaN' || v === 'nan') empty++;
      vals[r] = v;
    }
    if (empty === n) throw new UserError(`covariate "${name}" is empty for every subject`, { file, field: name });
    if (empty > 0) {
      const r = vals.findIndex((v) => v === '' || v === 'NA' || v === 'NaN' || v === 'nan');
      throw new UserError(
        `missing covariate value (${empty} subject${empty === 1 ? '' : 's'} without "${name}"); every subject needs every covariate`,
        { file, line: lines[r], subject: subjects[r], field: name },
      );
    }
    covariates.set(name, vals);
  }
  return { file, n, subjects, sessions, lines, isControl, hasControlColumn: ci >= 0, covariates };
}

/** Feature values, n x F row-major; empty/NA cells are NaN (missing), anything else non-numeric is an error. */
export function readFeatureValues(table: Table, cohort: Cohort, features: readonly string[]): Float64Array {
  const F = features.length;
  const out = new Float64Array(cohort.n * F);
  features.forEach((name, f) => {
    const j = table.columns.indexOf(name);
    if (j < 0) throw new UserError(`missing feature column "${name}"`, { file: table.file, field: name });
    for (let r = 0; r < cohort.n; r++) {
      const cell = table.rows[r]![j]!;
      // Fast path for plain numbers (no error-place object per cell); everything else via parseNumber.
      const v = cell === '' ? NaN : Number(cell);
      out[r * F + f] =
        Number.isFinite(v) && cell.trim() === cell
          ? v
          : parseNumber(cell, { file: table.file, line: cohort.lines[r]!, subject: cohort.subjects[r], field: name }, true);
    }
  });
  return out;
}

/** True when every non-empty cell of the column is a finite number (and there is at least one); a number column with a few bad cells is an error. */
export function isNumericColumn(table: Table, j: number, subjectColumn: string): boolean {
  return columnKind(table, j, table.columns.indexOf(subjectColumn), 'name the feature columns with --features to leave this column out') === 'numeric';
}

/** Natural order: numbers numerically (site 2 before site 10), then text by code unit; deterministic in any locale. */
export function naturalCompare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const an = a !== '' && Number.isFinite(na);
  const bn = b !== '' && Number.isFinite(nb);
  if (an && bn && na !== nb) return na - nb;
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
