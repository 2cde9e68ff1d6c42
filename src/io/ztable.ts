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
import { getHeapStatistics } from 'node:v8';
import { oldSpaceLimit } from '../normalise/table.js';
import { UserError } from '../common/errors.js';
import { gb } from '../common/memory.js';
import { ColumnTally, parseNumber, streamTable, writeCsvAtomic } from './csv.js';
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
  /** what the reading left out or assumed, for the command to print */
  notes: string[];
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

/** V8's heap is checked this often while reading (rows): ids and carried cells live in it. */
const HEAP_CHECK_ROWS = 1 << 10;

/** The table's strings would not fit in V8's heap: one line (what they need, projected from the rows read), never an out-of-memory crash. */
function heapFull(file: string, lines: number, cols: number, need: number, limit: number): UserError {
  const mb = Math.ceil(need / 1024 ** 3 + 1) * 1024;
  return new UserError(
    `${lines.toLocaleString('en-US')} rows x ${cols} columns need about ${gb(need)} GB of V8 heap for their ids and text cells, more than the ${gb(limit)} GB this process may use: run with NODE_OPTIONS=--max-old-space-size=${mb} (if the machine has the memory), or use a smaller table (a random sample, or fewer text columns)`,
    { file },
  );
}

const BIOMARKER_HINT = 'name the biomarker columns with --biomarkers to leave this column out';

/** A Float64Array that doubles as rows arrive (rows x width values). */
class GrowingValues {
  private buf: Float64Array;
  length = 0;
  constructor(private readonly width: number) {
    this.buf = new Float64Array(1024 * Math.max(1, width));
  }
  /** The slot for the next row; advances the length. */
  next(): number {
    if (this.length + this.width > this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    const at = this.length;
    this.length += this.width;
    return at;
  }
  get array(): Float64Array {
    return this.buf;
  }
  done(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * Streamed: the file is read in pieces (csv.ts streamTable) and rows go from the parser straight
 * into a Float64Array (plus one id string, and the carried cells, per row), so memory per subject
 * is 8 bytes per biomarker and its strings, not the file's bytes or an array of cell strings per
 * row. Biomarker columns found by content take one extra pass.
 */
export function readZTable(file: string, opts: ReadZTableOptions = {}): ZTableRead {
  let columns: string[] = [];
  const head = (c: string[]) => (columns = c);
  const notes: string[] = [];
  let biomarkers: string[];
  let source: ZTableRead['biomarkerSource'];
  const side = opts.biomarkers && opts.biomarkers.length > 0 ? null : sidecarFeatures(file);
  if (opts.biomarkers && opts.biomarkers.length > 0) {
    biomarkers = opts.biomarkers;
    source = 'option';
  } else if (side) {
    biomarkers = side;
    source = 'sidecar';
  } else {
    // first pass: which columns are numeric (a tally per column, no rows kept)
    let tallies: ColumnTally[] = [];
    let idc = -1;
    streamTable(
      file,
      ({ columns: c }) => {
        head(c);
        idc = c.findIndex((x) => ID_COLUMNS.includes(x));
        tallies = c.map(() => new ColumnTally());
      },
      (row, line) => {
        for (let j = 0; j < row.length; j++) tallies[j]!.add(row[j]!, line, idc >= 0 ? row[idc]! : undefined);
      },
    );
    const numeric: string[] = [];
    const empty: string[] = [];
    columns.forEach((c, j) => {
      if (NON_BIOMARKER_COLUMNS.includes(c) || (opts.exclude ?? []).includes(c)) return;
      const kind = tallies[j]!.kind(file, c, BIOMARKER_HINT);
      if (kind === 'numeric') numeric.push(c);
      else if (kind === 'empty') empty.push(c);
    });
    biomarkers = numeric;
    source = 'numeric columns';
    if (empty.length > 0) notes.push(`column(s) ${empty.join(', ')} of ${file} are empty in every row and were left out of the biomarkers`);
  }
  const B = biomarkers.length;
  const values = new GrowingValues(B);
  const subjects: string[] = [];
  const carried: Record<string, string[]> = {};
  let carriedIdx: number[] = [];
  let carriedNames: string[] = [];
  let bCols: number[] = [];
  let idCol = -1,
    ctrlCol = -1,
    sessCol = -1;
  let excluded = 0;
  let rows = 0;
  const seen = new Map<string, number>();
  const lines: number[] = [];
  const heapLimit = oldSpaceLimit();
  let total = 0;
  streamTable(
    file,
    ({ columns: c, lines: n }) => {
      total = n;
      head(c);
      const idName = ID_COLUMNS.find((x) => c.includes(x));
      if (idName === undefined) throw new UserError(`missing column "subject_id" (columns: ${c.join(', ')})`, { file, field: 'subject_id' });
      idCol = c.indexOf(idName);
      ctrlCol = c.indexOf('is_control');
      sessCol = c.indexOf('session');
      if (B === 0) throw new UserError('no biomarker columns found (no numeric columns besides subject_id)', { file });
      bCols = biomarkers.map((b) => {
        const j = c.indexOf(b);
        if (j < 0) throw new UserError(`missing biomarker column "${b}" (columns: ${c.join(', ')})`, { file, field: b });
        return j;
      });
      carriedNames = c.filter((_, j) => j !== idCol && !bCols.includes(j));
      carriedIdx = carriedNames.map((n) => c.indexOf(n));
      for (const n of carriedNames) carried[n] = [];
    },
    (row, line) => {
      if (++rows % HEAP_CHECK_ROWS === 0) {
        const used = getHeapStatistics().used_heap_size;
        if (used > heapLimit * 0.85) throw heapFull(file, total, columns.length, (used / rows) * total, heapLimit);
      }
      const subject = row[idCol]!;
      // one subject (and session) twice would weigh double in a fit: refuse, naming both lines
      const sess = sessCol >= 0 ? row[sessCol]!.trim() : '';
      const key = `${subject.trim()}\u0000${sess}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        const what = sessCol >= 0 ? `subject ${subject} session "${sess}"` : `subject ${subject}`;
        throw new UserError(`${what} appears twice (lines ${prev} and ${line}); each subject (and session) must have one row`, { file, line, subject });
      }
      seen.set(key, line);
      if (ctrlCol >= 0 && !opts.includeControls && isTrue(row[ctrlCol]!)) {
        excluded++;
        return;
      }
      if (subject === '') throw new UserError('empty subject_id', { file, line });
      const at = values.next();
      const v = values.array;
      let any = false;
      for (let b = 0; b < B; b++) {
        const cell = row[bCols[b]!]!;
        const fast = cell === '' ? NaN : Number(cell);
        const x = Number.isFinite(fast) ? fast : parseNumber(cell, { file, line, subject, field: biomarkers[b]! }, true);
        v[at + b] = x;
        if (!Number.isNaN(x)) any = true;
      }
      if (!any) throw new UserError('the row has no biomarker values (every biomarker is missing)', { file, line, subject });
      subjects.push(subject);
      lines.push(line);
      for (let q = 0; q < carriedNames.length; q++) carried[carriedNames[q]!]!.push(row[carriedIdx[q]!]!);
    },
  );
  if (rows === 0) throw new UserError('the table has a header but no rows', { file });
  const table: ZTable = { subjects, biomarkers: [...biomarkers], values: values.done() };
  if (carriedNames.length > 0) table.carried = carried;
  return { table, file, excludedControls: excluded, biomarkerSource: source, notes, lines };
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
