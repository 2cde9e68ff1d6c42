/** Writing CSV tables: shortest round-trip numbers, whole tables or rows made as they are written, always atomically. */
import { stringify } from 'csv-stringify/sync';
import { writeAtomicChunks } from './atomic.js';

/** Format a number for output: shortest round-trip form, empty for NaN (missing). */
export function formatNumber(v: number): string {
  return Number.isNaN(v) ? '' : String(v);
}

type Row = readonly (string | number)[];

const cells = (r: Row) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c));

export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  return stringify([columns as string[], ...rows.map(cells)], { record_delimiter: '\n' });
}

/** The CSV text in pieces of 10,000 rows (the same bytes as toCsv), rows made by `rowAt` a piece at a time, so a big table is never one string or one array. */
export function* csvChunks(columns: readonly string[], n: number, rowAt: (r: number) => Row): Generator<string> {
  yield csvHeader(columns);
  yield* csvRowChunks(n, rowAt);
}

export const csvHeader = (columns: readonly string[]): string => stringify([columns as string[]], { record_delimiter: '\n' });

/** Rows 0..n-1 (no header) in pieces of 10,000: pieces of a table written block by block join to the same bytes. */
export function* csvRowChunks(n: number, rowAt: (r: number) => Row): Generator<string> {
  for (let i = 0; i < n; i += 10_000) {
    const part: string[][] = [];
    for (let r = i; r < Math.min(n, i + 10_000); r++) part.push(cells(rowAt(r)));
    yield stringify(part, { record_delimiter: '\n' });
  }
}

export function writeCsvAtomic(path: string, columns: readonly string[], rows: readonly Row[]): void {
  writeAtomicChunks(
    path,
    csvChunks(columns, rows.length, (r) => rows[r]!),
  );
}

/** writeCsvAtomic with rows made by `rowAt` as they are written. */
export function writeCsvRowsAtomic(path: string, columns: readonly string[], n: number, rowAt: (r: number) => Row): void {
  writeAtomicChunks(path, csvChunks(columns, n, rowAt));
}
