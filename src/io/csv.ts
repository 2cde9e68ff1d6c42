import { Parser } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { UserError } from '../common/errors.js';
import { getHeapStatistics } from 'node:v8';
import { closeSync, readSync } from 'node:fs';
import { openRegular } from '../common/regular-file.js';
import { decodeUtf8Check, readBounded } from './text.js';
import { ColumnTally } from './csv-cells.js';

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

/**
 * A whole table as strings. `cellFactor` is how many times the cells' memory the caller will hold
 * at its peak (normalise also builds its output rows): a table that would not fit in V8's heap is
 * a one-line error saying how to give Node more memory, never an out-of-memory crash.
 */
export function readTable(file: string, opts: ReadTableOptions & { cellFactor?: number } = {}): Table {
  const bytes = tableBytes(file);
  checkTableMemory(bytes, file, opts.cellFactor ?? 1);
  let columns: string[] = [];
  const rows: string[][] = [];
  scanTable(
    file,
    bytes,
    (c) => (columns = c),
    (r) => rows.push(r),
    opts,
  );
  return { file, columns, rows };
}

/** Heap bytes per cell of a table held as strings (measured: bench/tables.ts, about 54 for short numeric cells). */
export const HEAP_BYTES_PER_CELL = 64;

function checkTableMemory(bytes: Buffer, file: string, factor: number): void {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) lines++;
  const firstEnd = bytes.indexOf(0x0a);
  const first = bytes.subarray(0, firstEnd < 0 ? bytes.length : firstEnd).toString('utf8');
  const cols = first.split(first.includes('\t') && !first.includes(',') ? '\t' : ',').length;
  const need = lines * cols * HEAP_BYTES_PER_CELL * factor;
  const h = getHeapStatistics();
  const free = h.heap_size_limit - h.used_heap_size;
  if (need > free * 0.9) {
    const gb = (x: number) => (x / 1024 ** 3).toFixed(1);
    const suggest = Math.ceil((h.heap_size_limit + need - free * 0.9) / 1024 ** 2 / 1024) * 1024;
    throw new UserError(
      `${lines.toLocaleString('en-US')} rows x ${cols} columns need about ${gb(need)} GB of memory, more than the ${gb(free)} GB this process may use: run with NODE_OPTIONS=--max-old-space-size=${suggest} (if the machine has the memory), or split the table`,
      { file },
    );
  }
}

function delimiterOf(firstLine: string, opts: ReadTableOptions): string {
  return opts.delimiter ?? (firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',');
}

function checkHeader(columns: string[], file: string): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === '') throw new UserError('the header has an empty column name', { file });
    if (seen.has(c)) throw new UserError(`the header names column "${c}" twice`, { file });
    seen.add(c);
  }
}

/**
 * Bytes without a quote or a carriage return hold no field that needs csv-parse (quoting, embedded
 * line breaks): split them directly, about 4x faster, with csv-parse's results and length error.
 * Returns false when the bytes need csv-parse.
 */
function splitPlain(input: Buffer, delimiter: string, file: string, onRecord: (r: string[], line: number) => void): boolean {
  if (input.indexOf(0x22) >= 0 || input.indexOf(0x0d) >= 0) return false;
  const start = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  new PlainLines(delimiter, file, onRecord).add(input.subarray(start), true);
  return true;
}

/** Quote-free lines split into trimmed cells, fed in pieces that end on a line break (the last piece may not). */
class PlainLines {
  private width = -1;
  line = 0;
  constructor(
    private readonly delimiter: string,
    private readonly file: string,
    private readonly onRecord: (r: string[], line: number) => void,
  ) {}

  add(input: Buffer, last: boolean): void {
    for (let at = 0; at < input.length;) {
      let end = input.indexOf(0x0a, at);
      if (end < 0) {
        if (!last) throw new Error('PlainLines: a piece must end on a line break');
        end = input.length;
      }
      this.line++;
      if (end > at) {
        const r = input.toString('utf8', at, end).split(this.delimiter);
        for (let j = 0; j < r.length; j++) r[j] = r[j]!.trim();
        if (this.width < 0) this.width = r.length;
        else if (r.length !== this.width) {
          const what = this.delimiter === '\t' ? 'TSV' : 'CSV';
          throw new UserError(`not a valid ${what} file: Invalid Record Length: expect ${this.width}, got ${r.length} on line ${this.line}`, { file: this.file, line: this.line });
        }
        this.onRecord(r, this.line);
      }
      at = end + 1;
    }
  }
}

/** csv-parse's options for our tables; `onRecord` (when given) sees each record with its line and keeps none. */
function csvOptions(delimiter: string, onRecord?: (r: string[], line: number) => void): Record<string, unknown> {
  const keep = onRecord && {
    on_record: (r: string[], ctx: { lines: number }) => {
      onRecord(r, ctx.lines);
      return null;
    },
  };
  return { delimiter, bom: true, skip_empty_lines: true, relax_column_count: false, trim: true, ...keep };
}

/** csv-parse's errors as one line naming the file; our own errors (from onRecord) as they are. */
function csvErrors<T>(file: string, delimiter: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`not a valid ${delimiter === '\t' ? 'TSV' : 'CSV'} file: ${(e as Error).message}`, { file });
  }
}

/** csv-parse over text or bytes; `onRecord` (when given) sees each record with its line and keeps none. */
function parseRecords(input: string | Buffer, delimiter: string, file: string, onRecord?: (r: string[], line: number) => void): string[][] {
  if (onRecord && typeof input !== 'string' && splitPlain(input, delimiter, file, onRecord)) return [];
  return csvErrors(file, delimiter, () => parse(input, csvOptions(delimiter, onRecord)) as string[][]);
}

type Feed = (piece: Buffer | undefined, end: boolean) => void;

/**
 * csv-parse fed piece by piece, synchronously: the incremental parser its stream runs on (Parser's
 * `api`, not in its types), so a quoted file is parsed as read, never held whole. Null when this
 * csv-parse has none (then the file is parsed whole, as before). Errors are thrown.
 */
function csvFeed(options: Record<string, unknown>): Feed | null {
  type Api = { parse?: (b: Buffer | undefined, end: boolean, push: () => void, close: () => void) => Error | undefined };
  const api = (new Parser(options) as unknown as { api?: Api }).api;
  const parse = api?.parse?.bind(api);
  if (parse === undefined) return null;
  return (piece, end) => {
    const err = parse(
      piece,
      end,
      () => {},
      () => {},
    );
    if (err !== undefined) throw err;
  };
}

export function parseTable(text: string, file: string, opts: ReadTableOptions = {}): Table {
  const nl = text.indexOf('\n');
  const records = parseRecords(text, delimiterOf(text.slice(0, nl >= 0 ? nl : text.length), opts), file);
  if (records.length === 0) throw new UserError('the file is empty (no header row)', { file });
  const columns = records[0]!;
  checkHeader(columns, file);
  return { file, columns, rows: records.slice(1) };
}

/** Tables visited row by row are held as bytes only (not as strings): up to Node's 2 GiB file read. */
export const MAX_SCAN_BYTES = 2 ** 31 - 1;

/** The raw bytes of a table to scan (regular file, size-bounded, UTF-8 checked). */
export function tableBytes(file: string): Buffer {
  const buf = readBounded(file, MAX_SCAN_BYTES, 'file');
  decodeUtf8Check(buf, file);
  return buf;
}

/**
 * Visit a table row by row without keeping its rows: `onHeader` gets the columns, then `onRow`
 * each row with its 1-based line. Same parsing rules and errors as readTable; memory is the file's
 * bytes plus what the visitor keeps (typed arrays, in the readers that use this).
 */
export function scanTable(file: string, bytes: Buffer, onHeader: (columns: string[]) => void, onRow: (row: string[], line: number) => void, opts: ReadTableOptions = {}): void {
  const nl = bytes.indexOf(0x0a);
  const delimiter = delimiterOf(bytes.subarray(0, nl >= 0 ? nl : bytes.length).toString('utf8'), opts);
  let header = true;
  parseRecords(bytes, delimiter, file, (r, line) => {
    if (header) {
      checkHeader(r, file);
      onHeader(r);
      header = false;
    } else onRow(r, line);
  });
  if (header) throw new UserError('the file is empty (no header row)', { file });
}

/** What streamTable tells before the first row: the columns and the number of lines (an upper bound on the rows + 1). */
export interface TableSurvey {
  columns: string[];
  lines: number;
  bytes: number;
}

const STREAM_CHUNK = 4 * 1024 * 1024;

/**
 * Pieces of a file that end on a line break (or a carriage return, when a piece has no line break;
 * the last may end on neither), read 4 MiB at a time: memory is one piece (plus the longest
 * line), whatever the file's size.
 */
function forEachPiece(fd: number, chunk: number, visit: (piece: Buffer, last: boolean, bytesRead: number) => void): void {
  const buf = Buffer.allocUnsafe(chunk);
  let carry: Buffer | null = null;
  let pos = 0;
  for (;;) {
    const got = readSync(fd, buf, 0, chunk, pos);
    pos += got;
    if (got === 0) break;
    const part = buf.subarray(0, got);
    // a line break (or a carriage return: old Mac line ends) never falls inside a UTF-8 character
    let cut = part.lastIndexOf(0x0a);
    if (cut < 0) cut = part.lastIndexOf(0x0d);
    if (cut < 0) {
      carry = carry ? Buffer.concat([carry, part]) : Buffer.from(part);
      continue;
    }
    const whole = carry ? Buffer.concat([carry, part.subarray(0, cut + 1)]) : part.subarray(0, cut + 1);
    visit(whole, false, pos);
    carry = cut + 1 < got ? Buffer.from(part.subarray(cut + 1)) : null;
  }
  visit(carry ?? Buffer.alloc(0), true, pos);
}

/**
 * Visit a table row by row, reading the file in pieces: a first pass counts lines, checks UTF-8
 * (naming the line) and looks for quotes; quote-free files are then split piece by piece, files
 * with quotes or carriage returns fed to csv-parse piece by piece, so memory is what the visitor
 * keeps, for a file of any size. Same rules and errors as readTable.
 * `onProgress` gets the bytes read so far of the second pass.
 */
export function streamTable(
  file: string,
  onHeader: (survey: TableSurvey) => void,
  onRow: (row: string[], line: number) => void,
  opts: ReadTableOptions & { onProgress?: (bytes: number, total: number) => void; chunkBytes?: number } = {},
): void {
  const { fd, size } = openRegular(file);
  const chunk = opts.chunkBytes ?? STREAM_CHUNK;
  try {
    let lines = 0;
    let plain = true;
    let first: string | null = null;
    forEachPiece(fd, chunk, (piece, last) => {
      decodeUtf8Check(piece, file, lines + 1);
      if (first === null) {
        const nl = piece.indexOf(0x0a);
        first = piece.toString('utf8', 0, nl >= 0 ? nl : piece.length);
      }
      if (plain && (piece.indexOf(0x22) >= 0 || piece.indexOf(0x0d) >= 0)) plain = false;
      for (let at = piece.indexOf(0x0a); at >= 0; at = piece.indexOf(0x0a, at + 1)) lines++;
      if (last && piece.length > 0) lines++;
    });
    const delimiter = delimiterOf(first ?? '', opts);
    let header = true;
    const record = (r: string[], line: number) => {
      if (header) {
        checkHeader(r, file);
        onHeader({ columns: r, lines, bytes: size });
        header = false;
      } else onRow(r, line);
    };
    if (plain) {
      const split = new PlainLines(delimiter, file, record);
      let start = true;
      forEachPiece(fd, chunk, (piece, last, read) => {
        if (start && piece[0] === 0xef && piece[1] === 0xbb && piece[2] === 0xbf) piece = piece.subarray(3);
        start = false;
        split.add(piece, last);
        opts.onProgress?.(read, size);
      });
    } else {
      const feed = csvFeed(csvOptions(delimiter, record));
      csvErrors(file, delimiter, () => {
        if (feed === null) return parseRecords(tableBytes(file), delimiter, file, record);
        forEachPiece(fd, chunk, (piece, last, read) => {
          feed(piece, false);
          if (last) feed(undefined, true);
          opts.onProgress?.(read, size);
        });
      });
      if (feed === null) opts.onProgress?.(size, size);
    }
    if (header) throw new UserError('the file is empty (no header row)', { file });
  } finally {
    closeSync(fd);
  }
}

/** The header of a table (up to its first line break), read without reading the rest of the file. */
export function tableHeader(file: string): string[] {
  const { fd } = openRegular(file);
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    const parts: Buffer[] = [];
    for (let pos = 0; ;) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      const nl = buf.subarray(0, got).indexOf(0x0a);
      parts.push(Buffer.from(buf.subarray(0, nl >= 0 ? nl + 1 : got)));
      pos += got;
      if (nl >= 0 || got === 0) break;
    }
    const first = Buffer.concat(parts);
    decodeUtf8Check(first, file);
    return parseTable(first.toString('utf8'), file).columns;
  } finally {
    closeSync(fd);
  }
}

/** Index of a required column, or an error naming the file and the column. */
export function columnIndex(table: Table, name: string): number {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new UserError(`missing column "${name}" (columns: ${table.columns.join(', ')})`, { file: table.file, field: name });
  return i;
}

/** ColumnTally over a Table's column `j` (`idCol` -1: no subject column). */
export function columnKind(table: Table, j: number, idCol: number, hint: string): 'numeric' | 'empty' | 'text' {
  const t = new ColumnTally();
  table.rows.forEach((row, r) => t.add(row[j]!, r + 2, idCol >= 0 ? row[idCol]! : undefined));
  return t.kind(table.file, table.columns[j]!, hint);
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

// cells (numbers, missing values, what a column holds) live in csv-cells.ts, writing in csv-write.ts; re-exported so that every CSV reader and writer is imported from one place
export { formatNumber, toCsv, csvChunks, writeCsvAtomic, writeCsvRowsAtomic } from './csv-write.js';
export { isMissing, parseNumber, ColumnTally, tallyKind } from './csv-cells.js';
