import { z } from 'zod';
import { readJsonValidated } from '../io/json.js';
import { makeThresholds, type ThresholdOverrides } from '../sustain/thresholds.js';
import type { Thresholds } from '../sustain/types.js';

/**
 * Thresholds for `cv`, by the same rule as `fit`: one zvals/zmax for every biomarker, with
 * per-biomarker overrides from a JSON file {"biomarker": {"zvals": [...], "zmax": z}}.
 */
const overridesSchema = z.record(z.string(), z.object({ zvals: z.array(z.number()).min(1), zmax: z.number() }));

export function loadThresholds(biomarkers: readonly string[], zvals: readonly number[], zmax: number, file?: string): Thresholds {
  const overrides: ThresholdOverrides = file === undefined ? {} : readJsonValidated(file, overridesSchema, 'thresholds file');
  return makeThresholds(biomarkers, zvals, zmax, overrides, file);
}
