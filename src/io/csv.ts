import { readFileSync, existsSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { UserError } from '../common/errors.js';
import { writeAtomic } from './atomic.js';

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
  if (!existsSync(file)) throw new UserError('file not found', { file });
  const text = readFileSync(file, 'utf8');
  return parseTable(text, file, opts);
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
  if (s === '' || s === 'NA' || s === 'NaN' || s === 'nan') {
    if (allowMissing) return NaN;
    throw new UserError('empty value where a number is needed', place);
  }
  const v = Number(s);
  if (!Number.isFinite(v)) throw new UserError(`"${cell}" is not a number`, place);
  return v;
}

/** Format a number for output: shortest round-trip form, empty for NaN (missing). */
export function formatNumber(v: number): string {
  return Number.isNaN(v) ? '' : String(v);
}

export function toCsv(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const body = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  return stringify([columns as string[], ...body], { record_delimiter: '\n' });
}

export function writeCsvAtomic(path: string, columns: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  writeAtomic(path, toCsv(columns, rows));
}
