import { resolveThresholds } from '../io/thresholds-file.js';
import type { Thresholds } from '../sustain/types.js';

/**
 * Thresholds for `cv`, by the same rule as `fit`: one zvals/zmax for every biomarker, with
 * per-biomarker overrides or pySuStaIn's Z_vals/Z_max from a JSON file (see io/thresholds-file.ts).
 * Warnings (a zmax not above a biomarker's top threshold) go to stderr.
 */
export function loadThresholds(biomarkers: readonly string[], zvals: readonly number[], zmax: number, file?: string): Thresholds {
  const r = resolveThresholds(biomarkers, zvals, zmax, file);
  for (const w of r.warnings) process.stderr.write(w + '\n');
  return r.thresholds;
}
