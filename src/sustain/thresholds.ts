import { UserError } from '../common/errors.js';
import type { Thresholds } from './types.js';

/** Per-biomarker overrides as read from a --thresholds file. */
export type ThresholdOverrides = Record<string, { zvals: number[]; zmax: number }>;

/** The same zvals/zmax for every biomarker, with per-biomarker overrides. */
export function makeThresholds(biomarkers: readonly string[], zvals: readonly number[], zmax: number, overrides: ThresholdOverrides = {}, file?: string): Thresholds {
  for (const name of Object.keys(overrides)) {
    if (!biomarkers.includes(name)) {
      throw new UserError(`thresholds given for "${name}", which is not a biomarker of the data (biomarkers: ${biomarkers.join(', ')})`, { file, field: name });
    }
  }
  const t: Thresholds = {
    zvals: biomarkers.map((b) => [...(overrides[b]?.zvals ?? zvals)]),
    zmax: biomarkers.map((b) => overrides[b]?.zmax ?? zmax),
  };
  checkThresholds(t, biomarkers, file);
  return t;
}

/** Thresholds must be finite, > 0, strictly increasing, with zmax above the largest. */
export function checkThresholds(t: Thresholds, biomarkers: readonly string[], file?: string): void {
  if (t.zvals.length !== biomarkers.length || t.zmax.length !== biomarkers.length) {
    throw new UserError(`thresholds are given for ${t.zvals.length} biomarkers, the data has ${biomarkers.length}`, { file });
  }
  for (let b = 0; b < biomarkers.length; b++) {
    const z = t.zvals[b]!;
    const field = biomarkers[b];
    if (z.length === 0) throw new UserError('a biomarker needs at least one z threshold', { file, field });
    for (let j = 0; j < z.length; j++) {
      if (!Number.isFinite(z[j]!) || z[j]! <= 0) throw new UserError(`z thresholds must be positive numbers, got ${z[j]}`, { file, field });
      if (j > 0 && !(z[j]! > z[j - 1]!)) throw new UserError(`z thresholds must be strictly increasing, got ${z.join(', ')}`, { file, field });
    }
    const zm = t.zmax[b]!;
    if (!Number.isFinite(zm) || !(zm > z[z.length - 1]!)) {
      throw new UserError(`zmax (${zm}) must be larger than the largest z threshold (${z[z.length - 1]})`, { file, field });
    }
  }
}
