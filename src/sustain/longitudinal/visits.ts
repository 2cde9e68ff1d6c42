/**
 * The visit layout of a longitudinal table: which rows belong to which subject, in time order.
 *
 * The engine wants each subject's visits as consecutive rows ordered by time, so grouping reorders
 * the input once: subjects in order of first appearance, each subject's visits by time. `order[r]`
 * is the input row of grouped row r; `start[j] .. start[j+1]` are subject j's grouped rows.
 * Bad input (a missing or non-numeric time, two visits of a subject at the same time, a session
 * given twice) is an error naming the file, the subject and the line.
 */
import { UserError } from '../../common/errors.js';
import type { ZTable } from '../types.js';

export interface VisitLayout {
  /** input row of each grouped row */
  order: Int32Array;
  /** one id per subject, in order of first appearance */
  subjects: string[];
  /** subject j's grouped rows are start[j] .. start[j+1] - 1 (length subjects + 1) */
  start: Int32Array;
  /** visit time of each grouped row */
  times: Float64Array;
  /** session label of each grouped row */
  sessions: string[];
}

export interface GroupVisitsOptions {
  file?: string;
  /** name of the time column (for messages) */
  timeColumn: string;
  /** 1-based file line of each input row (default: row + 2, a header line then one line per row) */
  lines?: ArrayLike<number>;
  /** how an earlier clashing row is named in a message (default "line N"; e.g. a row of another file) */
  describe?: (row: number) => string;
}

/**
 * Group rows by subject and order each subject's visits by time. `ids`, `sessions` and `times` are
 * the input columns (strings as read; a time must parse as a finite number).
 */
export function groupVisits(ids: readonly string[], sessions: readonly string[], times: readonly string[], opts: GroupVisitsOptions): VisitLayout {
  const n = ids.length;
  if (sessions.length !== n || times.length !== n) throw new Error('groupVisits: columns of different lengths');
  const lineOf = (r: number) => (opts.lines ? opts.lines[r]! : r + 2);
  const other = (r: number) => (opts.describe ? opts.describe(r) : `line ${lineOf(r)}`);
  const where = (r: number, field?: string) => ({ ...(opts.file !== undefined ? { file: opts.file } : {}), line: lineOf(r), subject: ids[r]!, ...(field ? { field } : {}) });
  const t = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const s = times[r]!.trim();
    const v = s === '' || s === 'NA' ? NaN : Number(s);
    if (!Number.isFinite(v)) {
      throw new UserError(s === '' || s === 'NA' ? 'missing visit time' : `visit time "${s}" is not a number`, where(r, opts.timeColumn));
    }
    t[r] = v;
  }
  const bySubject = new Map<string, number[]>();
  const subjects: string[] = [];
  for (let r = 0; r < n; r++) {
    let rows = bySubject.get(ids[r]!);
    if (rows === undefined) {
      rows = [];
      bySubject.set(ids[r]!, rows);
      subjects.push(ids[r]!);
    }
    rows.push(r);
  }
  const order = new Int32Array(n);
  const start = new Int32Array(subjects.length + 1);
  let q = 0;
  subjects.forEach((id, j) => {
    const rows = bySubject.get(id)!;
    const seen = new Map<string, number>();
    for (const r of rows) {
      const prev = seen.get(sessions[r]!);
      if (prev !== undefined) throw new UserError(`session "${sessions[r]}" appears twice for this subject (also on ${other(prev)})`, where(r, 'session'));
      seen.set(sessions[r]!, r);
    }
    // stable: equal times are caught next, so the sort order between them never matters
    rows.sort((a, b) => t[a]! - t[b]! || a - b);
    for (let p = 1; p < rows.length; p++) {
      const a = rows[p - 1]!;
      const b = rows[p]!;
      if (t[a] === t[b]) {
        const [early, late] = a < b ? [a, b] : [b, a];
        throw new UserError(`two visits at the same time ${t[a]} (also on ${other(early)})`, where(late, opts.timeColumn));
      }
    }
    start[j] = q;
    for (const r of rows) order[q++] = r;
  });
  start[subjects.length] = n;
  const times2 = new Float64Array(n);
  const sess: string[] = new Array<string>(n);
  for (let g = 0; g < n; g++) {
    times2[g] = t[order[g]!]!;
    sess[g] = sessions[order[g]!]!;
  }
  return { order, subjects, start, times: times2, sessions: sess };
}

/** Number of visits of each subject (from the layout's starts). */
export function visitCounts(start: Int32Array): Int32Array {
  const out = new Int32Array(start.length - 1);
  for (let j = 0; j < out.length; j++) out[j] = start[j + 1]! - start[j]!;
  return out;
}

/** Starts (length n + 1) from per-subject visit counts. */
export function startsOf(counts: ArrayLike<number>): Int32Array {
  const out = new Int32Array(counts.length + 1);
  for (let j = 0; j < counts.length; j++) out[j + 1] = out[j]! + counts[j]!;
  return out;
}

/**
 * The subjects labelled `g` (label[j] of subject j): their rows (all of a longitudinal subject's
 * visits, when `starts` is given) and, longitudinal, their visit counts.
 */
export function rowsLabelled(label: ArrayLike<number>, g: number, starts: Int32Array | null): { rows: number[]; counts: number[] } {
  const rows: number[] = [];
  const counts: number[] = [];
  for (let j = 0; j < label.length; j++) {
    if (label[j] !== g) continue;
    if (starts === null) rows.push(j);
    else {
      for (let r = starts[j]!; r < starts[j + 1]!; r++) rows.push(r);
      counts.push(starts[j + 1]! - starts[j]!);
    }
  }
  return { rows, counts };
}

/** The rows of a row-major table (width w) in the layout's order. */
export function reorderRows(values: Float64Array, w: number, order: Int32Array): Float64Array {
  const out = new Float64Array(order.length * w);
  for (let g = 0; g < order.length; g++) out.set(values.subarray(order[g]! * w, order[g]! * w + w), g * w);
  return out;
}

/** A z table whose rows are visits grouped by subject in time order, with its layout. */
export interface GroupedTable {
  table: ZTable;
  layout: VisitLayout;
  /** 1-based file line of each grouped row */
  lines: number[];
}

/**
 * Group a z table read from `file` by subject and time: needs carried `session` and `timeColumn`
 * columns. `lines` are the file lines of the table's rows (default: row + 2).
 */
export function groupTable(table: ZTable, timeColumn: string, opts: { file?: string; lines?: ArrayLike<number>; describe?: (row: number) => string } = {}): GroupedTable {
  const where = opts.file !== undefined ? { file: opts.file } : {};
  const carried = table.carried ?? {};
  const times = carried[timeColumn];
  if (times === undefined)
    throw new UserError(`missing time column "${timeColumn}" (columns besides the biomarkers: ${Object.keys(carried).join(', ') || 'none'})`, { ...where, field: timeColumn });
  const sessions = carried['session'];
  if (sessions === undefined) throw new UserError('missing column "session": longitudinal data has one row per visit, keyed by subject_id and session', { ...where, field: 'session' });
  const layout = groupVisits(table.subjects, sessions, times, { ...where, timeColumn, ...(opts.lines ? { lines: opts.lines } : {}), ...(opts.describe ? { describe: opts.describe } : {}) });
  const { order } = layout;
  const B = table.biomarkers.length;
  const grouped: ZTable = {
    subjects: Array.from(order, (r) => table.subjects[r]!),
    biomarkers: table.biomarkers,
    values: reorderRows(table.values, B, order),
    carried: Object.fromEntries(Object.entries(carried).map(([c, v]) => [c, Array.from(order, (r) => v[r]!)])),
  };
  const lines = Array.from(order, (r) => (opts.lines ? opts.lines[r]! : r + 2));
  return { table: grouped, layout, lines };
}
