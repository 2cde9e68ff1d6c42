import { UserError } from '../common/errors.js';
import { columnOf, featureValues, kindOf, type CellColumn, type ColumnTable } from './table.js';

/**
 * The table as the normaliser sees it: row keys, control flags, covariate columns (cells never
 * missing) and feature values (NaN = missing). Every bad cell is an error naming its subject.
 */
export interface Cohort {
  file: string;
  n: number;
  /** Subject id of row r. */
  subject(r: number): string;
  /** Session column, when the table has one. */
  session: CellColumn | null;
  /** 1-based file line of each row (header = line 1). */
  lines: Int32Array;
  isControl: Uint8Array;
  hasControlColumn: boolean;
  covariates: Map<string, CellColumn>;
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

export function readCohort(table: ColumnTable, o: CohortOptions): Cohort {
  const file = table.file;
  const ids = columnOf(table, o.subjectColumn);
  if (ids === undefined) {
    throw new UserError(`missing subject column "${o.subjectColumn}" (columns: ${table.columns.join(', ')}; use --subject-column)`, { file, field: o.subjectColumn });
  }
  const session = columnOf(table, o.sessionColumn) ?? null;
  const control = columnOf(table, o.controlColumn);
  if (control === undefined && o.requireControlColumn) {
    throw new UserError(`missing control column "${o.controlColumn}" (columns: ${table.columns.join(', ')}); name the column that marks healthy controls with --control-column`, {
      file,
      field: o.controlColumn,
    });
  }
  if (table.n === 0) throw new UserError('the table has a header but no rows', { file });
  const n = table.n;
  const lines = table.lines;
  const subject = (r: number) => ids.text(r);
  // The first of: an empty id, a subject (and session) on a second row; as a row-by-row pass would find.
  const emptyAt = ids.missing > 0 ? firstEmpty(ids, n) : -1;
  const dup = firstDuplicate(n, subject, session);
  if (emptyAt >= 0 && (dup === null || emptyAt <= dup.row)) throw new UserError('empty subject id', { file, line: lines[emptyAt], field: o.subjectColumn });
  if (dup !== null) {
    const id = subject(dup.row);
    const what = session ? `subject ${id} session "${session.text(dup.row)}"` : `subject ${id}`;
    throw new UserError(`${what} appears twice (lines ${lines[dup.prev]} and ${lines[dup.row]}); each subject (and session) must have one row`, {
      file,
      line: lines[dup.row],
      subject: id,
    });
  }
  const isControl = control ? control.matches(n, new Set(o.controlValues.map((v) => v.trim()))) : new Uint8Array(n);
  const covariates = new Map<string, CellColumn>();
  for (const name of o.covariates) {
    const c = columnOf(table, name);
    if (c === undefined) throw new UserError(`missing covariate column "${name}" (columns: ${table.columns.join(', ')})`, { file, field: name });
    if (c.missing === n) throw new UserError(`covariate "${name}" is empty for every subject`, { file, field: name });
    if (c.missing > 0) {
      const r = c.firstMissing;
      throw new UserError(`missing covariate value (${c.missing} subject${c.missing === 1 ? '' : 's'} without "${name}"); every subject needs every covariate`, {
        file,
        line: lines[r],
        subject: subject(r),
        field: name,
      });
    }
    covariates.set(name, c);
  }
  return { file, n, subject, session, lines, isControl, hasControlColumn: control !== undefined, covariates };
}

function firstEmpty(ids: CellColumn, n: number): number {
  for (let r = 0; r < n; r++) if (ids.text(r) === '') return r;
  return -1;
}

/** 32-bit FNV-1a of the text. */
function hash(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The first row (in file order) whose subject and session an earlier row has, and that earlier
 * row; null when none. Rows are sorted by a hash of their key (8 bytes a row, no map of strings),
 * and only rows with equal hashes are compared.
 */
function firstDuplicate(n: number, subject: (r: number) => string, session: CellColumn | null): { row: number; prev: number } | null {
  const keyOf = (r: number) => (session ? `${subject(r)}\u0000${session.text(r)}` : subject(r));
  const keys = new BigUint64Array(n);
  for (let r = 0; r < n; r++) keys[r] = (BigInt(hash(keyOf(r), 2166136261)) << 32n) | BigInt(r);
  keys.sort();
  const hs = new Uint32Array(n);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    hs[i] = Number(keys[i]! >> 32n);
    rows[i] = Number(keys[i]! & 0xffffffffn);
  }
  let best: { row: number; prev: number } | null = null;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && hs[j] === hs[i]) j++;
    // Rows i..j-1 share a hash, in file order: the first later row equal to an earlier one.
    for (let b = i + 1; b < j && (best === null || rows[b]! < best.row); b++) {
      const kb = keyOf(rows[b]!);
      let a = i;
      while (a < b && keyOf(rows[a]!) !== kb) a++;
      if (a < b) {
        best = { row: rows[b]!, prev: rows[a]! };
        break;
      }
    }
    i = j;
  }
  return best;
}

/** Feature values, one array per feature (NaN = missing); a text cell is an error naming file, line, subject and column. */
export function featureColumns(table: ColumnTable, cohort: Cohort, features: readonly string[]): Float64Array[] {
  return features.map((name) => featureValues(table, name, cohort.subject));
}

/** True when every non-empty cell of the column is a finite number (and there is at least one); a number column with a few bad cells is an error. */
export function isNumericColumn(table: ColumnTable, j: number, subjectColumn: string): boolean {
  return kindOf(table, j, table.columns.indexOf(subjectColumn), 'name the feature columns with --features to leave this column out') === 'numeric';
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
