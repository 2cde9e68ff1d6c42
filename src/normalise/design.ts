import { UserError, type ErrorPlace } from '../common/errors.js';
import { naturalCompare, type Cohort } from './cohort.js';
import type { CellColumn } from './table.js';
import { INTERCEPT, type CategoricalCovariate, type CovariateSpec } from './types.js';

/**
 * Covariates -> design matrix. Numeric covariates enter linearly; categorical ones as indicator
 * columns "name=level" for every level but the reference (the most frequent among the controls).
 */

export function classifyCovariates(cohort: Cohort, names: readonly string[], categorical: readonly string[], siteColumn: string): CovariateSpec[] {
  return names.map((name) => {
    const vals = cohort.covariates.get(name)!;
    const forced = categorical.includes(name) || name === siteColumn;
    let numeric = 0;
    let firstText = -1;
    for (let r = 0; r < cohort.n; r++) {
      if (Number.isFinite(vals.num(r))) numeric++;
      else if (firstText < 0) firstText = r;
    }
    if (!forced && firstText >= 0 && numeric * 2 > cohort.n) {
      throw new UserError(`"${vals.text(firstText)}" is not a number, but most values of "${name}" are; fix the cell, or use --categorical ${name} if "${name}" is categorical`, {
        file: cohort.file,
        line: cohort.lines[firstText],
        subject: cohort.subject(firstText),
        field: name,
      });
    }
    if (!forced && firstText < 0) return numericSpec(cohort, name, vals);
    return categoricalSpec(cohort, name, vals);
  });
}

function numericSpec(cohort: Cohort, name: string, vals: CellColumn): CovariateSpec {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let r = 0; r < cohort.n; r++) {
    if (!cohort.isControl[r]) continue;
    const v = vals.num(r);
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    n++;
  }
  return { name, kind: 'numeric', min, max, mean: sum / n };
}

function categoricalSpec(cohort: Cohort, name: string, vals: CellColumn): CategoricalCovariate {
  const counts = new Map<string, number>();
  for (let r = 0; r < cohort.n; r++) {
    if (!cohort.isControl[r]) continue;
    const v = vals.text(r);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const levels = [...counts.keys()].sort(naturalCompare);
  let reference = levels[0]!;
  for (const l of levels) if (counts.get(l)! > counts.get(reference)!) reference = l;
  const controlCounts: Record<string, number> = {};
  for (const l of levels) controlCounts[l] = counts.get(l)!;
  return { name, kind: 'categorical', levels, reference, controlCounts };
}

export function designColumns(specs: readonly CovariateSpec[], intercept = true): string[] {
  const cols = intercept ? [INTERCEPT] : [];
  for (const s of specs) {
    if (s.kind === 'numeric') cols.push(s.name);
    else for (const l of s.levels) if (l !== s.reference) cols.push(`${s.name}=${l}`);
  }
  return cols;
}

export interface Encoded {
  /** rows.length x p row-major. */
  X: Float64Array;
  p: number;
  /** Per encoded row: true when its site level was unseen among the controls (allowed only with allowNewSites). */
  unseen: Uint8Array;
}

export interface EncodeOptions {
  siteColumn: string;
  /** Unseen levels of the site column: indicators stay 0 and the caller adds the mean site effect. */
  allowNewSites: boolean;
  intercept: boolean;
}

/** Encode the given rows; a level never seen among the controls is an error naming the subject. */
export function encodeRows(cohort: Cohort, specs: readonly CovariateSpec[], rows: ArrayLike<number>, o: EncodeOptions): Encoded {
  const p = designColumns(specs, o.intercept).length;
  const m = rows.length;
  const X = new Float64Array(m * p);
  const unseen = new Uint8Array(m);
  const levelIndex = specs.map((s) => (s.kind === 'categorical' ? new Map(s.levels.filter((l) => l !== s.reference).map((l, k) => [l, k])) : null));
  const cols = specs.map((s) => cohort.covariates.get(s.name)!);
  for (let k = 0; k < m; k++) {
    const r = rows[k]!;
    let c = 0;
    if (o.intercept) X[k * p + c++] = 1;
    specs.forEach((s, si) => {
      const col = cols[si]!;
      if (s.kind === 'numeric') {
        const v = col.num(r);
        if (!Number.isFinite(v)) throw new UserError(`"${col.text(r)}" is not a number (covariate "${s.name}" is numeric in this model)`, placeOf(cohort, r, s.name));
        X[k * p + c++] = v;
        return;
      }
      const raw = col.text(r);
      const idx = levelIndex[si]!;
      if (raw !== s.reference) {
        const at = idx.get(raw);
        if (at !== undefined) X[k * p + c + at] = 1;
        else if (s.name === o.siteColumn && o.allowNewSites) unseen[k] = 1;
        else throw unseenLevel(s, raw, placeOf(cohort, r, s.name), s.name === o.siteColumn);
      }
      c += idx.size;
    });
  }
  return { X, p, unseen };
}

function placeOf(cohort: Cohort, r: number, field: string): ErrorPlace {
  return { file: cohort.file, line: cohort.lines[r], subject: cohort.subject(r), field };
}

export function unseenLevel(s: CategoricalCovariate | { name: string; levels: string[] }, raw: string, place: ErrorPlace, isSite: boolean): UserError {
  return new UserError(
    `level "${raw}" of "${s.name}" was never seen among the controls (levels: ${s.levels.join(', ')})` +
      (isSite ? "; use --allow-new-sites to give such subjects the controls' mean site effect" : ''),
    place,
  );
}
