import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { UserError } from '../common/errors.js';
import { writeAtomicChunks } from './atomic.js';
import { readText } from './text.js';

/** Tables read whole as strings: V8's longest string is just under 512 MiB. */
export const MAX_TABLE_BYTES = 512 * 1024 * 1024 - 64;

/** A CSV/TSV table as read: header and rows of strings, with the file named for error messages. */
export interface Table {
  file: string;
  columns: string[];
  rows: string[][];
}

export interface ReadTableOptions {
  /** Field delimiter; default: tab for .tsv/.txt files whose header has a tab, else comma. */
  delimiter?: string;
}

export function readTable(file: string, opts: ReadTableOptions = {}): Table {
  return parseTable(readText(file, MAX_TABLE_BYTES, 'file'), file, opts);
}

export function parseTable(text: string, file: string, opts: ReadTableOptions = {}): Table {
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const delimiter = opts.delimiter ?? (firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',');
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
      trim: true,
    }) as string[][];
  } catch (e) {
    throw new UserError(`not a valid ${delimiter === '\t' ? 'TSV' : 'CSV'} file: ${(e as Error).message}`, { file });
  }
  if (records.length === 0) throw new UserError('the file is empty (no header row)', { file });
  const columns = records[0]!;
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === '') throw new UserError('the header has an empty column name', { file });
    if (seen.has(c)) throw new UserError(`the header names column "${c}" twice`, { file });
    seen.add(c);
  }
  return { file, columns, rows: records.slice(1) };
}

/** Index of a required column, or an error naming the file and the column. */
export function columnIndex(table: Table, name: string): number {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new UserError(`missing column "${name}" (columns: ${table.columns.join(', ')})`, { file: table.file, field: name });
  return i;
}

const isMissing = (s: string) => s === '' || s === 'NA' || s === 'NaN' || s === 'nan';

/**
 * Parse one numeric cell. Empty cells (and NA/NaN) give NaN only when `allowMissing`; anything
 * else that is not a finite number is an error naming file, line, subject and field.
 */
export function parseNumber(
  cell: string,
  place: { file: string; line: number; subject?: string; field: string },
  allowMissing = false,
): number {
  const s = cell.trim();
  if (isMissing(s)) {
    if (allowMissing) return NaN;
    throw new UserError(s === '' ? 'empty value where a number is needed' : `"${s}" (a missing value) where a number is needed`, place);
  }
  const v = Number(s);
  if (!Number.isFinite(v)) throw new UserError(`"${cell}" is not a number`, place);
  return v;
}

/**
 * What a column holds: 'numeric' (every non-missing cell a finite number, at least one), 'empty'
 * (every cell missing) or 'text' (at least as many non-numbers as numbers: a label such as group
 * or sex). A column of numbers with a few other cells ("abc", "Inf", "1e309") is neither: it is a
 * feature with bad cells, and the error names the first of them (file, line, subject, column)
 * instead of the column silently dropping out of the analysis. `hint` says how to leave it out.
 */
export function columnKind(table: Table, j: number, idCol: number, hint: string): 'numeric' | 'empty' | 'text' {
  let numbers = 0;
  let bad = 0;
  let firstBad = -1;
  const rows = table.rows;
  for (let r = 0; r < rows.length; r++) {
    const s = rows[r]![j]!.trim();
    if (isMissing(s)) continue;
    if (Number.isFinite(Number(s))) numbers++;
    else if (bad++ === 0) firstBad = r;
  }
  if (bad === 0) return numbers > 0 ? 'numeric' : 'empty';
  if (numbers <= bad) return 'text';
  const row = rows[firstBad]!;
  const name = table.columns[j]!;
  throw new UserError(
    `"${row[j]}" is not a number in a numeric column (${numbers} of its cells are numbers, ${bad} not; ${hint})`,
    { file: table.file, line: firstBad + 2, ...(idCol >= 0 ? { subject: row[idCol]! } : {}), field: name },
  );
}

/**
 * Refuse a table that has one subject (and session) on two rows, naming both lines: a subject
 * counted twice weighs double in a fit and twice in a report. `idCol`/`sessCol` are column
 * indices (sessCol -1: no session column).
 */
export function refuseDuplicateSubjects(table: Table, idCol: number, sessCol: number): void {
  const seen = new Map<string, number>();
  table.rows.forEach((row, r) => {
    const id = row[idCol]!.trim();
    const sess = sessCol >= 0 ? row[sessCol]!.trim() : '';
    const key = `${id}\u0000${sess}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      const what = sessCol >= 0 ? `subject ${id} session "${sess}"` : `subject ${id}`;
      throw new UserError(`${what} appears twice (lines ${prev} and ${r + 2}); each subject (and session) must have one row`, { file: table.file, line: r + 2, subject: id });
    }
    seen.set(key, r + 2);
  });
}

/** Format a number for output: shortest round-trip form, empty for NaN (missing). */
export function formatNumber(v: number): string {
  return Number.isNaN(v) ? '' : String(v);
}

type Row = readonly (string | number)[];

const cells = (r: Row) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c));

export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  return stringify([columns as string[], ...rows.map(cells)], { record_delimiter: '\n' });
}

/** The CSV text in pieces of 10,000 rows (the same bytes as toCsv), so a big table is never one string. */
export function* csvChunks(columns: readonly string[], rows: readonly Row[]): Generator<string> {
  yield stringify([columns as string[]], { record_delimiter: '\n' });
  for (let i = 0; i < rows.length; i += 10_000) yield stringify(rows.slice(i, i + 10_000).map(cells), { record_delimiter: '\n' });
}

export function writeCsvAtomic(path: string, columns: readonly string[], rows: readonly Row[]): void {
  writeAtomicChunks(path, csvChunks(columns, rows));
}
