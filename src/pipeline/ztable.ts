import { existsSync, readFileSync } from 'node:fs';
import { columnIndex, parseNumber, readTable } from '../io/csv.js';
import { UserError } from '../common/errors.js';
import type { ZTable } from '../sustain/types.js';

/**
 * The z table of the normalise step (02-z.csv) as the model steps take it: biomarker columns by
 * name, controls kept or left out (column is_control), every other column carried (group, site...),
 * so the subject tables and the report can show them.
 */
export interface ReadZOptions {
  /** biomarker columns; null = the features listed in the z table's sidecar (<file>.json) */
  biomarkers: string[] | null;
  includeControls: boolean;
}

export function readZTable(file: string, opts: ReadZOptions): ZTable {
  const t = readTable(file);
  const sub = columnIndex(t, 'subject_id');
  const ctl = columnIndex(t, 'is_control');
  const biomarkers = opts.biomarkers ?? sidecarFeatures(file);
  const cols = biomarkers.map((b) => columnIndex(t, b));
  const used = new Set([sub, ...cols]);
  const carriedIdx = t.columns.map((_, j) => j).filter((j) => !used.has(j));
  const keep = t.rows.map((r, i) => i).filter((i) => opts.includeControls || t.rows[i]![ctl] !== '1');
  const B = biomarkers.length;
  const values = new Float64Array(keep.length * B);
  keep.forEach((row, i) => {
    const r = t.rows[row]!;
    cols.forEach((c, b) => {
      values[i * B + b] = parseNumber(r[c]!, { file, line: row + 2, subject: r[sub]!, field: biomarkers[b]! }, true);
    });
  });
  const carried: Record<string, string[]> = {};
  for (const j of carriedIdx) carried[t.columns[j]!] = keep.map((row) => t.rows[row]![j]!);
  return { subjects: keep.map((row) => t.rows[row]![sub]!), biomarkers: [...biomarkers], values, carried };
}

function sidecarFeatures(file: string): string[] {
  const side = `${file}.json`;
  if (!existsSync(side)) throw new UserError('the z table has no sidecar listing its features; name the biomarkers (fit.biomarkers)', { file: side });
  const raw = JSON.parse(readFileSync(side, 'utf8')) as { features?: unknown };
  if (!Array.isArray(raw.features) || raw.features.some((f) => typeof f !== 'string')) throw new UserError('no "features" list', { file: side, field: 'features' });
  return raw.features as string[];
}
