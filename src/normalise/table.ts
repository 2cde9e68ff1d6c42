import { getHeapStatistics } from 'node:v8';
import { UserError } from '../common/errors.js';
import { gb, spareMemory } from '../common/memory.js';
import { isMissing, parseNumber, streamTable, tallyKind, type Table } from '../io/csv.js';

/**
 * normalise's input table held column by column in typed arrays, not as a string per cell: a
 * Float64Array of each column's numbers, and the exact text of a cell only where its number does
 * not give it back (ids, labels, "20.0"). About 8-12 bytes a cell instead of ~64
 * (bench/tables.ts), so a table of millions of rows fits. The text of every cell is kept exactly:
 * carried columns are written back byte for byte.
 */

/** code of a cell whose text is String(its number). */
const CANONICAL = -1;
/** codes -2 - d: the text is its number's toFixed(d) (1 <= d <= 20), e.g. "20.0", "1234.50". */
const FIXED = -2;
/** Distinct texts remembered per column for sharing ("HC", "site1"); beyond it (ids) each cell keeps its own. */
const DICT_CAP = 1 << 16;

/** One column: numbers, texts and the tally of what it holds (ColumnTally's counts). */
export class CellColumn {
  /** Number of each cell when finite, else NaN; null while no cell was a number. */
  private nums: Float64Array | null = null;
  /**
   * How to give back each cell's text (CANONICAL, FIXED - d, or an index of `strings`); null while
   * every cell was CANONICAL. One byte a cell until a column has more than 127 distinct texts (ids).
   */
  private codes: Int8Array | Int32Array | null = null;
  private readonly strings: string[] = [];
  private dict = new Map<string, number>();
  /** Cells that are finite numbers, missing (empty, NA, NaN, nan), or neither (text). */
  numbers = 0;
  missing = 0;
  bad = 0;
  /** Row of the first text cell, -1 when none. */
  firstBad = -1;
  firstMissing = -1;

  constructor(private capacity: number) {}

  /** Make room for `capacity` rows (rows beyond the first estimate: a file with quoted line breaks). */
  grow(capacity: number): void {
    if (this.nums) this.nums = copyInto(new Float64Array(capacity), this.nums, NaN);
    if (this.codes) this.codes = copyInto(this.codes instanceof Int8Array ? new Int8Array(capacity) : new Int32Array(capacity), this.codes, CANONICAL);
    this.capacity = capacity;
  }

  set(r: number, cell: string): void {
    const v = cell === '' ? NaN : Number(cell);
    if (Number.isFinite(v)) {
      this.numbers++;
      (this.nums ??= new Float64Array(this.capacity).fill(NaN))[r] = v;
      const c = textCode(cell, v);
      if (c !== null) {
        if (c !== CANONICAL || this.codes) this.codeArray()[r] = c;
        return;
      }
    } else if (isMissing(cell)) {
      if (this.missing++ === 0) this.firstMissing = r;
    } else if (this.bad++ === 0) this.firstBad = r;
    const k = this.intern(cell);
    let codes = this.codeArray();
    if (k > 127 && codes instanceof Int8Array) codes = this.codes = Int32Array.from(codes);
    codes[r] = k;
  }

  private codeArray(): Int8Array | Int32Array {
    return (this.codes ??= new Int8Array(this.capacity).fill(CANONICAL));
  }

  private intern(cell: string): number {
    const k = this.dict.get(cell);
    if (k !== undefined) return k;
    // A long cell split from its line is a slice that keeps the whole line alive: keep a copy.
    const kept = cell.length >= 13 ? Buffer.from(cell, 'utf8').toString('utf8') : cell;
    const id = this.strings.push(kept) - 1;
    if (this.dict.size < DICT_CAP) this.dict.set(kept, id);
    return id;
  }

  /** The cell's text, as read (trimmed). */
  text(r: number): string {
    const c = this.codes ? this.codes[r]! : CANONICAL;
    if (c >= 0) return this.strings[c]!;
    const v = this.nums![r]!;
    return c === CANONICAL ? String(v) : v.toFixed(FIXED - c);
  }

  /** The cell's number (NaN when missing or text). */
  num(r: number): number {
    return this.nums ? this.nums[r]! : NaN;
  }

  /** Numbers of rows 0..n-1 (NaN: missing or text). */
  values(n: number): Float64Array {
    return this.nums ? this.nums.subarray(0, n) : new Float64Array(n).fill(NaN);
  }

  /** Per row: 1 when the cell's text is in `set` (each distinct text looked up once). */
  matches(n: number, set: ReadonlySet<string>): Uint8Array {
    const out = new Uint8Array(n);
    const byCode = this.strings.map((s) => set.has(s));
    for (let r = 0; r < n; r++) {
      const c = this.codes ? this.codes[r]! : CANONICAL;
      out[r] = (c >= 0 ? byCode[c]! : set.has(this.text(r))) ? 1 : 0;
    }
    return out;
  }
}

/** `from` copied into the start of `to`, the rest of `to` filled with `fill`. */
function copyInto<T extends Float64Array | Int32Array | Int8Array>(to: T, from: T, fill = 0): T {
  to.fill(fill, from.length);
  to.set(from.subarray(0, Math.min(from.length, to.length)));
  return to;
}

/** CANONICAL or FIXED - d when the number gives the text back, else null (the text must be kept). */
function textCode(cell: string, v: number): number | null {
  if (String(v) === cell) return CANONICAL;
  const dot = cell.indexOf('.');
  const d = cell.length - dot - 1;
  if (dot >= 0 && d >= 1 && d <= 20 && v.toFixed(d) === cell) return FIXED - d;
  return null;
}

/** A table as columns (see CellColumn), with the file line of each row. */
export interface ColumnTable {
  file: string;
  columns: string[];
  n: number;
  /** 1-based file line of each row (header = line 1 in a file without blank lines). */
  lines: Int32Array;
  cols: CellColumn[];
}

/** Rows in, columns out; capacity grows by doubling beyond the first estimate. */
export class ColumnTableBuilder {
  private cols: CellColumn[];
  private lines: Int32Array;
  private n = 0;
  constructor(
    private readonly file: string,
    private readonly columns: string[],
    private capacity: number,
  ) {
    this.capacity = Math.max(1, capacity);
    this.cols = columns.map(() => new CellColumn(this.capacity));
    this.lines = new Int32Array(this.capacity);
  }

  add(row: readonly string[], line: number): void {
    if (this.n === this.capacity) {
      this.capacity *= 2;
      for (const c of this.cols) c.grow(this.capacity);
      this.lines = copyInto(new Int32Array(this.capacity), this.lines);
    }
    const r = this.n++;
    this.lines[r] = line;
    for (let j = 0; j < this.cols.length; j++) this.cols[j]!.set(r, row[j]!);
  }

  get rows(): number {
    return this.n;
  }

  finish(): ColumnTable {
    return { file: this.file, columns: this.columns, n: this.n, lines: this.lines.subarray(0, this.n), cols: this.cols };
  }
}

/** An in-memory Table as columns (tests, small tables); row r is file line r + 2. */
export function columnsOf(table: Table | ColumnTable): ColumnTable {
  if (!('rows' in table)) return table;
  const b = new ColumnTableBuilder(table.file, table.columns, table.rows.length);
  table.rows.forEach((row, r) =>
    b.add(
      row.map((c) => c.trim()),
      r + 2,
    ),
  );
  return b.finish();
}

/** The column named `name`, or undefined. */
export function columnOf(t: ColumnTable, name: string): CellColumn | undefined {
  const j = t.columns.indexOf(name);
  return j < 0 ? undefined : t.cols[j];
}

/** What a column holds: 'numeric', 'empty' or 'text' (a numeric column with a few text cells is an error naming the first). */
export function kindOf(t: ColumnTable, j: number, idCol: number, hint: string): 'numeric' | 'empty' | 'text' {
  const c = t.cols[j]!;
  const first = () => ({ cell: c.text(c.firstBad), line: t.lines[c.firstBad]!, subject: idCol >= 0 ? t.cols[idCol]!.text(c.firstBad) : undefined });
  return tallyKind(c.numbers, c.bad, first, t.file, t.columns[j]!, hint);
}

/**
 * Memory of the table and of normalise's work over it, per cell and per row, measured with
 * bench/tables.ts (typed arrays live outside V8's heap; the id strings inside it).
 */
export const NORMALISE_BYTES_PER_CELL = 24;
export const NORMALISE_HEAP_BYTES_PER_ROW = 96;
/** Heap of one cell of a row being written (its text and csv-stringify's copy). */
const WRITE_HEAP_BYTES_PER_CELL = 64;
/** Heap use is checked this often while reading (rows). */
const HEAP_CHECK_ROWS = 1 << 12;

function tooBig(file: string, lines: number, cols: number, need: number, have: number, heap: boolean): UserError {
  const advice = heap
    ? `run with NODE_OPTIONS=--max-old-space-size=${Math.ceil((oldSpaceLimit() + need - have) / 1024 ** 3) * 1024} (if the machine has the memory), or split the table`
    : 'split the table, or run it on a machine with more memory';
  return new UserError(`${lines.toLocaleString('en-US')} rows x ${cols} columns need about ${gb(need)} GB of memory, more than the ${gb(have)} GB this process may use: ${advice}`, { file });
}

/**
 * What the long-lived heap may hold: V8's heap_size_limit counts the young generation too (48 MB
 * on 64-bit), which --max-old-space-size does not, and which a full old space cannot use.
 */
export function oldSpaceLimit(): number {
  const l = getHeapStatistics().heap_size_limit;
  return Math.max(l / 2, l - 64 * 1024 ** 2);
}

export interface ReadColumnsOptions {
  onProgress?: (bytes: number, total: number) => void;
}

/**
 * Read a CSV/TSV file into columns, streaming its rows. Too big for memory is a one-line error
 * before reading (from the line count) or while reading (when V8's heap fills, e.g. with long
 * unique text cells), never an out-of-memory crash.
 */
export function readColumnTable(file: string, o: ReadColumnsOptions = {}): ColumnTable {
  let b: ColumnTableBuilder | null = null;
  let lines = 0;
  let width = 0;
  let reserve = 0;
  const limit = oldSpaceLimit();
  try {
    streamTable(
      file,
      (s) => {
        lines = s.lines;
        width = s.columns.length;
        const external = lines * width * NORMALISE_BYTES_PER_CELL;
        const spare = spareMemory();
        if (external > spare * 0.9) throw tooBig(file, lines, width, external, spare, false);
        // Heap kept for the work after reading: the rows being written, 10,000 at a time.
        reserve = width * WRITE_HEAP_BYTES_PER_CELL * 10_000;
        const heap = lines * NORMALISE_HEAP_BYTES_PER_ROW + reserve;
        const free = limit - getHeapStatistics().used_heap_size;
        if (heap > free * 0.9) throw tooBig(file, lines, width, heap, free, true);
        b = new ColumnTableBuilder(file, s.columns, lines - 1);
      },
      (row, line) => {
        b!.add(row, line);
        if (b!.rows % HEAP_CHECK_ROWS === 0) {
          const used = getHeapStatistics().used_heap_size;
          // Long distinct texts (free-text columns) fill the heap, not the typed arrays: stop while
          // there is room to say so, projecting the whole table from the rows read so far.
          if (used + reserve > limit * 0.9) throw tooBig(file, lines, width, (used / b!.rows) * lines + reserve, limit, true);
        }
      },
      { onProgress: o.onProgress },
    );
  } catch (e) {
    // A typed array the machine cannot give: the same one-line error, never a crash.
    if (e instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer/i.test(e.message)) {
      throw tooBig(file, lines, width, lines * width * NORMALISE_BYTES_PER_CELL, spareMemory(), false);
    }
    throw e;
  }
  return b!.finish();
}

/** A column's numbers as a feature: missing cells NaN, a text cell an error naming file, line, subject and column. */
export function featureValues(t: ColumnTable, name: string, subjectOf: (r: number) => string): Float64Array {
  const c = columnOf(t, name);
  if (c === undefined) throw new UserError(`missing feature column "${name}"`, { file: t.file, field: name });
  if (c.bad > 0) parseNumber(c.text(c.firstBad), { file: t.file, line: t.lines[c.firstBad]!, subject: subjectOf(c.firstBad), field: name }, true);
  return c.values(t.n);
}
