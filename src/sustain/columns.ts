/** A table's biomarker columns as the engine's values (shared by the kinds' encode). */
import { UserError } from '../common/errors.js';
import type { ZTable } from './types.js';

/** The values of `table` in the order of `biomarkers` (a missing column is an error); every row must have a value. */
export function alignColumns(biomarkers: readonly string[], table: ZTable, file?: string): Float64Array {
  const B = biomarkers.length;
  const DB = table.biomarkers.length;
  const cols = biomarkers.map((b) => {
    const j = table.biomarkers.indexOf(b);
    if (j < 0) throw new UserError(`the data has no column for the model's biomarker "${b}"`, { file, field: b });
    return j;
  });
  const M = table.subjects.length;
  const out = new Float64Array(M * B);
  for (let i = 0; i < M; i++) for (let b = 0; b < B; b++) out[i * B + b] = table.values[i * DB + cols[b]!]!;
  checkRows(table.subjects, B, out, file);
  return out;
}

/** Every subject needs at least one value; the error names the first empty row. */
export function checkRows(subjects: readonly string[], B: number, values: Float64Array, file?: string): void {
  for (let i = 0; i < subjects.length; i++) {
    let any = false;
    for (let b = 0; b < B; b++) if (!Number.isNaN(values[i * B + b]!)) any = true;
    if (!any) throw new UserError('the row has no biomarker values (every biomarker is missing)', { file, subject: subjects[i], line: i + 2 });
  }
}
