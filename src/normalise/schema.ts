import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { validate } from '../io/json.js';
import { INTERCEPT, NORMALISER_FORMAT, NORMALISER_FORMAT_VERSION, type FeatureDef, type Normaliser } from './types.js';

/** zod schemas for the saved normaliser and for the extract stage's feature sidecar. */

const direction = z.enum(['increase', 'decrease']);
const transform = z.enum(['none', 'log']);
const numRecord = z.record(z.string(), z.number());

const covariateSchema = z.discriminatedUnion('kind', [
  z.object({ name: z.string().min(1), kind: z.literal('numeric'), min: z.number(), max: z.number(), mean: z.number() }),
  z.object({
    name: z.string().min(1),
    kind: z.literal('categorical'),
    levels: z.array(z.string()).min(1),
    reference: z.string(),
    controlCounts: z.record(z.string(), z.number().int().nonnegative()),
  }),
]);

const featureSchema = z.object({
  name: z.string().min(1),
  transform,
  abnormal: direction,
  sign: z.union([z.literal(1), z.literal(-1)]),
  coefficients: numRecord,
  sd: z.number().positive(),
  r2: z.number(),
  nControls: z.number().int().positive(),
  df: z.number().int().positive(),
  meanLevelEffect: numRecord,
});

const priorSchema = z.object({ gammaBar: z.number(), tau2: z.number(), lambda: z.number(), theta: z.number() }).nullable();

const combatSchema = z.object({
  method: z.literal('combat'),
  batchColumn: z.string().min(1),
  sites: z.array(z.string()).min(2),
  controlCounts: z.record(z.string(), z.number().int().nonnegative()),
  protectedColumns: z.array(z.string()),
  eb: z.boolean(),
  priors: z.record(z.string(), priorSchema),
  iterations: z.number().int().nonnegative(),
  features: z.array(
    z.object({
      name: z.string(),
      alpha: z.number(),
      beta: numRecord,
      sigma: z.number().positive(),
      nControls: z.number().int().positive(),
      gammaHat: numRecord,
      deltaHat: numRecord,
      gammaStar: numRecord,
      deltaStar: z.record(z.string(), z.number().positive()),
    }),
  ),
});

export const normaliserSchema = z.object({
  format: z.literal(NORMALISER_FORMAT),
  formatVersion: z.literal(NORMALISER_FORMAT_VERSION),
  toolVersion: z.string(),
  settings: z.object({
    subjectColumn: z.string().min(1),
    sessionColumn: z.string().min(1),
    controlColumn: z.string().min(1),
    controlValues: z.array(z.string()).min(1),
    siteColumn: z.string().min(1),
    harmonise: z.enum(['none', 'combat']),
    minControlsPerLevel: z.number().int(),
    minExtraControls: z.number().int(),
  }),
  covariates: z.array(covariateSchema),
  designColumns: z.array(z.string()).min(1),
  features: z.array(featureSchema).min(1),
  combat: combatSchema.nullable(),
  training: z.object({ subjects: z.number().int(), controls: z.number().int() }),
  notes: z.array(z.string()),
});

/** Validate a parsed normaliser: shape (zod), then the cross-references zod cannot see. */
export function validateNormaliser(raw: unknown, file: string): Normaliser {
  const nz = validate(raw, normaliserSchema, file) as Normaliser;
  const bad = (field: string, reason: string) => new UserError(`invalid normaliser: ${reason}`, { file, field });
  if (nz.designColumns[0] !== INTERCEPT) throw bad('designColumns', `the first design column must be "${INTERCEPT}"`);
  nz.covariates.forEach((c, i) => {
    if (c.kind === 'categorical' && !c.levels.includes(c.reference)) throw bad(`covariates.${i}.reference`, `"${c.reference}" is not one of the levels`);
  });
  nz.features.forEach((f, i) => {
    for (const c of nz.designColumns) if (!(c in f.coefficients)) throw bad(`features.${i}.coefficients`, `no coefficient for design column "${c}"`);
    if (f.sign !== (f.abnormal === 'increase' ? 1 : -1)) throw bad(`features.${i}.sign`, 'sign does not match the direction');
    for (const c of nz.covariates) {
      if (c.kind === 'categorical' && !(c.name in f.meanLevelEffect)) throw bad(`features.${i}.meanLevelEffect`, `no entry for "${c.name}"`);
    }
  });
  const cm = nz.combat;
  if (cm) {
    if (cm.features.length !== nz.features.length) throw bad('combat.features', 'one entry per feature is needed');
    cm.features.forEach((cf, i) => {
      if (cf.name !== nz.features[i]!.name) throw bad(`combat.features.${i}.name`, `expected "${nz.features[i]!.name}"`);
      for (const c of cm.protectedColumns) if (!(c in cf.beta)) throw bad(`combat.features.${i}.beta`, `no coefficient for "${c}"`);
      for (const s of cm.sites) {
        if (!(s in cf.gammaStar) || !(s in cf.deltaStar)) throw bad(`combat.features.${i}`, `no site parameters for site "${s}"`);
      }
    });
    const expected = nz.designColumns.slice(1);
    if (cm.protectedColumns.join('\u0000') !== expected.join('\u0000')) throw bad('combat.protectedColumns', 'must be the design columns without the intercept');
  }
  return nz;
}

/** The extract sidecar `<features.csv>.json`: only `features[].{name, abnormal, transform, role, label, unit}` are read. */
const featureDefSchema = z.looseObject({
  name: z.string().min(1),
  abnormal: direction.optional(),
  transform: transform.optional(),
  role: z.string().optional(),
  label: z.string().optional(),
  unit: z.string().optional(),
});
export const featureSidecarSchema = z.looseObject({ features: z.array(featureDefSchema).min(1) });

export function validateFeatureSidecar(raw: unknown, file: string): FeatureDef[] {
  const s = validate(raw, featureSidecarSchema, file);
  return s.features.map((d) => ({
    name: d.name,
    abnormal: d.abnormal,
    transform: d.transform,
    role: d.role,
    ...(d.label !== undefined ? { label: d.label } : {}),
    ...(d.unit !== undefined ? { unit: d.unit } : {}),
  }));
}
