import { UserError } from '../common/errors.js';
import type { Thresholds } from './types.js';

/** Per-biomarker overrides as read from a --thresholds file. */
export type ThresholdOverrides = Record<string, { zvals: number[]; zmax: number }>;

/**
 * pySuStaIn's form of the thresholds: a Z_vals matrix (biomarkers x threshold columns, 0 = unused)
 * and Z_max per biomarker. Kept beside our per-biomarker lists because pySuStaIn numbers its events
 * by column (see pysustainEventMap).
 */
export interface ZvalsMatrix {
  zvals: number[][];
  zmax: number[];
}

/** The same zvals/zmax for every biomarker, with per-biomarker overrides; rows padded with zeros. */
export function zvalsMatrix(biomarkers: readonly string[], zvals: readonly number[], zmax: number, overrides: ThresholdOverrides = {}, file?: string): ZvalsMatrix {
  for (const name of Object.keys(overrides)) {
    if (!biomarkers.includes(name)) {
      throw new UserError(`thresholds given for "${name}", which is not a biomarker of the data (biomarkers: ${biomarkers.join(', ')})`, { file, field: name });
    }
  }
  const rows = biomarkers.map((b) => [...(overrides[b]?.zvals ?? zvals)]);
  const width = Math.max(...rows.map((r) => r.length));
  return { zvals: rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(0)]), zmax: biomarkers.map((b) => overrides[b]?.zmax ?? zmax) };
}

/** Our per-biomarker threshold lists from pySuStaIn's matrix (zeros dropped), checked. */
export function thresholdsFromMatrix(m: ZvalsMatrix, biomarkers: readonly string[], file?: string): Thresholds {
  const t: Thresholds = { zvals: m.zvals.map((row) => row.filter((z) => z !== 0)), zmax: [...m.zmax] };
  checkThresholds(t, biomarkers, file);
  return t;
}

/** The same zvals/zmax for every biomarker, with per-biomarker overrides (0 = an unused threshold). */
export function makeThresholds(biomarkers: readonly string[], zvals: readonly number[], zmax: number, overrides: ThresholdOverrides = {}, file?: string): Thresholds {
  return thresholdsFromMatrix(zvalsMatrix(biomarkers, zvals, zmax, overrides, file), biomarkers, file);
}

/**
 * The one rule for a biomarker's thresholds, for every way they are given (--zvals/--zmax, both
 * --thresholds file forms, the run config, model files): at least one threshold, each finite and
 * > 0, strictly increasing. Returns why not, or null. zmax need not exceed the largest threshold:
 * pySuStaIn accepts that (its own test uses Z_max 2 with thresholds 1,2,3) and so do we; the
 * biomarker's expected z then falls from its top threshold to zmax. See thresholdWarnings.
 */
export function zvalsProblem(zvals: readonly number[]): string | null {
  if (zvals.length === 0) return 'a biomarker needs at least one z threshold';
  for (let j = 0; j < zvals.length; j++) {
    const z = zvals[j]!;
    if (!Number.isFinite(z) || z <= 0) return `z thresholds must be positive numbers (0 = unused), got ${z}`;
    if (j > 0 && !(z > zvals[j - 1]!)) return `z thresholds must be strictly increasing, got ${zvals.join(', ')}`;
  }
  return null;
}

/** The same for thresholds as written by the user (a row of pySuStaIn's Z_vals), where 0 marks an unused one. */
export function zvalsRowProblem(row: readonly number[]): string | null {
  return zvalsProblem(row.filter((z) => z !== 0));
}

/** zmax: a positive number (z-scores grow with abnormality, as the thresholds do). */
export function zmaxProblem(zmax: number): string | null {
  return Number.isFinite(zmax) && zmax > 0 ? null : `zmax must be a positive number, got ${zmax}`;
}

/** Thresholds checked against the rule above, one biomarker at a time (the error names it). */
export function checkThresholds(t: Thresholds, biomarkers: readonly string[], file?: string): void {
  if (t.zvals.length !== biomarkers.length || t.zmax.length !== biomarkers.length) {
    throw new UserError(`thresholds are given for ${t.zvals.length} biomarkers, the data has ${biomarkers.length}`, { file });
  }
  for (let b = 0; b < biomarkers.length; b++) {
    const problem = zvalsProblem(t.zvals[b]!) ?? zmaxProblem(t.zmax[b]!);
    if (problem !== null) throw new UserError(problem, { file, field: biomarkers[b] });
  }
}

/** Lines about biomarkers whose zmax is not above their largest threshold (allowed, but worth a word), one per (zmax, threshold). */
export function thresholdWarnings(t: Thresholds, biomarkers: readonly string[]): string[] {
  const groups = new Map<string, { zmax: number; top: number; names: string[] }>();
  biomarkers.forEach((b, i) => {
    const z = t.zvals[i]!;
    const top = z[z.length - 1]!;
    const zmax = t.zmax[i]!;
    if (zmax > top) return;
    const key = `${zmax} ${top}`;
    if (!groups.has(key)) groups.set(key, { zmax, top, names: [] });
    groups.get(key)!.names.push(b);
  });
  return [...groups.values()].map(({ zmax, top, names }) => {
    const its = names.length > 1 ? 'their' : 'its';
    return `warning: ${names.join(', ')}: zmax ${zmax} is not above ${its} largest threshold ${top}; ${its} expected z ${zmax === top ? 'stays at' : 'falls back to'} ${zmax} after that event (as in pySuStaIn)`;
  });
}

/**
 * pySuStaIn's event e -> our event index. pySuStaIn numbers events down the columns of Z_vals
 * (Z_vals.T.flatten() without zeros: every biomarker's first threshold, then every second, ...);
 * we number them biomarker by biomarker, thresholds ascending.
 */
export function pysustainEventMap(m: ZvalsMatrix): Int32Array {
  const B = m.zvals.length;
  const first: number[] = [];
  let n = 0;
  for (const row of m.zvals) {
    first.push(n);
    n += row.filter((z) => z !== 0).length;
  }
  const out = new Int32Array(n);
  const width = Math.max(0, ...m.zvals.map((r) => r.length));
  const seen = new Int32Array(B);
  let e = 0;
  for (let j = 0; j < width; j++) {
    for (let b = 0; b < B; b++) {
      if ((m.zvals[b]![j] ?? 0) !== 0) out[e++] = first[b]! + seen[b]!++;
    }
  }
  return out;
}
