/**
 * The cells of a table: numbers, missing values, and what a column holds (ColumnTally). Imported
 * through csv.ts, with the reading and writing.
 */
import { UserError } from '../common/errors.js';

export const isMissing = (s: string): boolean => s === '' || s === 'NA' || s === 'NaN' || s === 'nan';

/**
 * Parse one numeric cell. Empty cells (and NA/NaN) give NaN only when `allowMissing`; anything
 * else that is not a finite number is an error naming file, line, subject and field.
 */
export function parseNumber(cell: string, place: { file: string; line: number; subject?: string; field: string }, allowMissing = false): number {
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
 * What a column holds, tallied cell by cell: 'numeric' (every non-missing cell a finite number,
 * at least one), 'empty' (every cell missing) or 'text' (at least as many non-numbers as numbers:
 * a label such as group or sex). A column of numbers with a few other cells ("abc", "Inf",
 * "1e309") is neither: it is a feature with bad cells, and the error names the first of them
 * (file, line, subject, column) instead of the column silently dropping out of the analysis.
 */
export class ColumnTally {
  private numbers = 0;
  private bad = 0;
  private first: { cell: string; line: number; subject: string | undefined } | null = null;

  add(cell: string, line: number, subject: string | undefined): void {
    const s = cell.trim();
    if (isMissing(s)) return;
    if (Number.isFinite(Number(s))) this.numbers++;
    else if (this.bad++ === 0) this.first = { cell, line, subject };
  }

  /** `hint` says how to leave the column out. */
  kind(file: string, name: string, hint: string): 'numeric' | 'empty' | 'text' {
    return tallyKind(this.numbers, this.bad, () => this.first!, file, name, hint);
  }
}

/** ColumnTally's verdict from its counts (`first`: the first cell that is neither a number nor missing). */
export function tallyKind(
  numbers: number,
  bad: number,
  first: () => { cell: string; line: number; subject: string | undefined },
  file: string,
  name: string,
  hint: string,
): 'numeric' | 'empty' | 'text' {
  if (bad === 0) return numbers > 0 ? 'numeric' : 'empty';
  if (numbers <= bad) return 'text';
  const f = first();
  throw new UserError(`"${f.cell}" is not a number in a numeric column (${numbers} of its cells are numbers, ${bad} not; ${hint})`, {
    file,
    line: f.line,
    ...(f.subject !== undefined ? { subject: f.subject } : {}),
    field: name,
  });
}
