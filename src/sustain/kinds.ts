/**
 * The registry of model kinds: adding a kind is its own files plus one line in KINDS.
 * Specs, model-file types and schemas are derived from this list.
 */
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import type { GenericKind, ModelFileOf, SpecOf } from './kind.js';
import type { ProgressionModel } from './model.js';
import type { EventLabel, Thresholds } from './types.js';
import { mixtureKind } from './mixture-kind.js';
import { zscoreKind } from './zscore-kind.js';

export const KINDS = [zscoreKind, mixtureKind] as const;

type Kind = (typeof KINDS)[number];
/** A model spec: a kind tag and that kind's parameters (plain data). */
export type ModelSpec = SpecOf<Kind>;
/** model.json of each kind. */
export type ZscoreModelFile = ModelFileOf<typeof zscoreKind>;
export type MixtureModelFile = ModelFileOf<typeof mixtureKind>;
/** model.json of a SuStaIn model, any kind (discriminated by `method`). */
export type SustainModelFile = ModelFileOf<Kind>;

const all = KINDS as readonly GenericKind[];

/** The kind of a spec. */
export function kindOf(spec: { kind: string }): GenericKind {
  const k = all.find((x) => x.kind === spec.kind);
  if (k === undefined) throw new UserError(`unknown model kind "${spec.kind}" (known: ${all.map((x) => x.kind).join(', ')})`, { field: 'model' });
  return k;
}

/** The kind whose model files have this `method`, or undefined. */
export function kindForMethod(method: string): GenericKind | undefined {
  return all.find((x) => x.method === method);
}

export const KIND_NAMES: readonly string[] = all.map((k) => k.kind);
export const SUSTAIN_METHODS: readonly string[] = all.map((k) => k.method);

/** A spec as given: a spec, or bare thresholds (the z-score model's spec before kinds existed). */
export function toSpec(x: ModelSpec | Thresholds): ModelSpec {
  return 'kind' in x ? x : { kind: 'zscore', zvals: x.zvals, zmax: x.zmax };
}

/** The progression model a spec describes. */
export function createModel(spec: ModelSpec): ProgressionModel {
  return kindOf(spec).create(spec);
}

/** The spec of a fitted model file. */
export function specOfModel(m: SustainModelFile): ModelSpec {
  return kindForMethod(m.method)!.specOf(m as unknown as Record<string, unknown>, m.biomarkers) as ModelSpec;
}

/** The fields every model.json starts with (format, version, the kind's method and parameters, events):
 * one place for `fit` and `import-pysustain`, which add their own settings, training and fits. */
export function modelFileHead(spec: ModelSpec, biomarkers: readonly string[], events: readonly EventLabel[]) {
  const kind = kindOf(spec);
  return {
    format: 'ms-subtype-model',
    formatVersion: 1,
    toolVersion: toolVersion(),
    method: kind.method,
    biomarkers: [...biomarkers],
    ...kind.fields(spec),
    events,
  };
}
