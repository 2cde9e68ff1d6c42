import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { readJsonValidated } from '../io/json.js';
import { makeThresholds, type ThresholdOverrides } from '../sustain/thresholds.js';
import type { SustainModelFile, Thresholds } from '../sustain/types.js';

/**
 * Inputs of `cv` that are not the z table: thresholds (the same rule as `fit`: one zvals/zmax for
 * every biomarker, with per-biomarker overrides from a JSON file) and a given full-data model.
 */
const overridesSchema = z.record(z.string(), z.object({ zvals: z.array(z.number()).min(1), zmax: z.number() }));

export function loadThresholds(biomarkers: readonly string[], zvals: readonly number[], zmax: number, file?: string): Thresholds {
  const overrides: ThresholdOverrides = file === undefined ? {} : readJsonValidated(file, overridesSchema, 'thresholds file');
  return makeThresholds(biomarkers, zvals, zmax, overrides, file);
}

const modelSchema = z.looseObject({
  format: z.literal('ms-subtype-model'),
  method: z.string(),
  biomarkers: z.array(z.string()),
  zvals: z.array(z.array(z.number())).optional(),
  zmax: z.array(z.number()).optional(),
  events: z.array(z.tuple([z.string(), z.number()])).optional(),
  fits: z.array(z.looseObject({ subtypes: z.number().int() })),
});

/** A SuStaIn model file (from `fit`), checked enough for cross-validation to use it. */
export function readSustainModel(file: string): SustainModelFile {
  const m = readJsonValidated(file, modelSchema, 'model file');
  if (m.method !== 'sustain-zscore') throw new UserError(`is a ${m.method} model; cross-validation needs a SuStaIn model (fit --method sustain)`, { file });
  if (m.zvals === undefined || m.zmax === undefined || m.events === undefined) throw new UserError('the SuStaIn model has no zvals/zmax/events', { file });
  return m as unknown as SustainModelFile;
}
