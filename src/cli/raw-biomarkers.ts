/**
 * Which columns of a raw-value table (`fit --kind mixture --data features.csv`) are biomarkers when
 * --biomarkers is not given. A feature table carries covariates (age, sex, icv, site, ...) beside the
 * regional measures, and a mixture fitted on age would make "becomes old" an event, so:
 *  1. extract's sidecar `<data>.json` (feature definitions): its features whose role is not
 *     "covariate" (icv is one), less those empty in every row; their `abnormal` direction is used
 *     unless --higher/--lower-is-abnormal say otherwise;
 *  2. a normaliser-style sidecar (a list of feature names): that list;
 *  3. else every numeric column except the id, session and control columns, the time column, and
 *     columns named like a covariate (COVARIATE_NAMES, any case).
 * The choice is always printed (a note naming the columns chosen and those left out).
 */
import { existsSync } from 'node:fs';
import { readJsonFile } from '../io/json.js';
import { tableHeader } from '../io/csv.js';
import { NON_BIOMARKER_COLUMNS } from '../io/ztable.js';
import { validateFeatureSidecar } from '../normalise/schema.js';
import type { Direction } from '../sustain/index.js';

/** Column names (lower case) read as covariates, never biomarkers, when no sidecar says otherwise. */
export const COVARIATE_NAMES = [
  'age',
  'sex',
  'gender',
  'site',
  'scanner',
  'icv',
  'etiv',
  'tiv',
  'intracranial_volume',
  'estimatedtotalintracranialvol',
  'education',
  'edss',
  'disease_duration',
  'onset_age',
];

export interface RawColumns {
  /** the biomarker list to read (undefined: let the reader take the sidecar's list) */
  biomarkers?: string[];
  /** columns never read as biomarkers */
  exclude: string[];
  /** per biomarker, the sidecar's abnormal direction */
  directions: Map<string, Direction>;
  /** what was chosen and why (null when --biomarkers named them) */
  why: string | null;
  /** columns left out that a user might have expected in */
  leftOut: string[];
}

/** The header of a table (only its first line is parsed). */
export function headerOf(file: string): string[] {
  return tableHeader(file);
}

export function rawColumns(file: string, o: { biomarkers?: string[]; controlColumn: string; time?: string }): RawColumns {
  const exclude = [o.controlColumn, ...(o.time !== undefined ? [o.time] : [])];
  const directions = new Map<string, Direction>();
  if (o.biomarkers !== undefined && o.biomarkers.length > 0) return { biomarkers: o.biomarkers, exclude, directions, why: null, leftOut: [] };
  const side = `${file}.json`;
  if (existsSync(side)) {
    const raw = readJsonFile(side, 'sidecar') as { features?: unknown; missingFeatures?: unknown };
    const f = raw.features;
    if (Array.isArray(f) && f.length > 0 && f.every((x) => typeof x === 'string')) return { exclude, directions, why: `the feature list of ${side}`, leftOut: [] };
    if (Array.isArray(f) && f.length > 0 && f.every((x) => typeof x === 'object' && x !== null)) {
      const defs = validateFeatureSidecar(raw, side);
      const missing = new Set(Array.isArray(raw.missingFeatures) ? raw.missingFeatures.filter((x): x is string => typeof x === 'string') : []);
      const chosen = defs.filter((d) => d.role !== 'covariate' && !missing.has(d.name));
      for (const d of chosen) if (d.abnormal !== undefined) directions.set(d.name, d.abnormal === 'increase' ? 'higher' : 'lower');
      const leftOut = defs.filter((d) => d.role === 'covariate').map((d) => d.name);
      return { biomarkers: chosen.map((d) => d.name), exclude, directions, why: `the feature definitions in ${side} (role "covariate" left out)`, leftOut };
    }
  }
  const columns = headerOf(file);
  const covariates = columns.filter((c) => COVARIATE_NAMES.includes(c.toLowerCase()) && !NON_BIOMARKER_COLUMNS.includes(c));
  return { exclude: [...exclude, ...covariates], directions, why: `the numeric columns of ${file}`, leftOut: covariates };
}
