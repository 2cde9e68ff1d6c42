import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { validate } from '../io/json.js';
import { sha256Bytes } from '../io/hash.js';
import { MAX_JSON_BYTES, readText } from '../io/text.js';

/**
 * Feature definitions: which labels make up each regional feature and how it is measured. The
 * file is JSON, `{"description": ..., "features": {"name": {...}, ...}}`; keys keep their order,
 * which is the column order of the output. Besides what extract needs (measure, labels, map), each
 * feature carries what the later stages need: the direction of abnormality, the transform applied
 * before z-scoring, and whether it is a biomarker or a covariate only (ICV).
 */
export const MEASURES = ['volume', 'mean', 'lesion', 'icv'] as const;
export type Measure = (typeof MEASURES)[number];

const FEATURE_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const MAP_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** "aparc+aseg" is FreeSurfer's own name, so "+" is allowed here. */
const LABEL_MAP_NAME = /^[A-Za-z][A-Za-z0-9_.+-]*$/;
/** The label map every subject has (the manifest's `labels` column); features use it unless they name another. */
export const DEFAULT_LABEL_MAP = 'labels';

/**
 * A scalar map the tool makes itself: voxelwise numerator / denominator where the denominator is
 * > 0 (NaN elsewhere, which means skip the voxel). The T1w/T2w ratio (Glasser & Van Essen 2011)
 * is the use: `"t1t2": {"numerator": "t1w", "denominator": "t2w"}` reads manifest columns t1w, t2w.
 * Calibration "none" is the plain ratio; no other calibration is implemented.
 */
const ratioSchema = z.strictObject({
  numerator: z.string().regex(MAP_NAME, 'image names start with a letter and use letters, digits, _ . -'),
  denominator: z.string().regex(MAP_NAME, 'image names start with a letter and use letters, digits, _ . -'),
  calibration: z.enum(['none']).optional(),
  description: z.string().optional(),
});

const labelList = z.array(z.number().int().min(0, 'label numbers are integers >= 0')).min(1, 'give at least one label');

const featureSchema = z
  .strictObject({
    measure: z.enum(MEASURES),
    labels: z.union([labelList, z.literal('nonzero')], { error: 'labels are a list of label numbers (integers >= 0) or "nonzero"' }).optional(),
    map: z.string().regex(MAP_NAME, 'map names start with a letter and use letters, digits, _ . -').optional(),
    labelMap: z.string().regex(LABEL_MAP_NAME, 'label map names start with a letter and use letters, digits, _ . - +').optional(),
    excludeLesion: z.boolean().optional(),
    abnormal: z.enum(['decrease', 'increase']).optional(),
    transform: z.enum(['none', 'log']).optional(),
    role: z.enum(['biomarker', 'covariate']).optional(),
    useEtiv: z.boolean().optional(),
    description: z.string().optional(),
    /** What a reader calls it ("Cortical grey matter"); default: the name with spaces for underscores. */
    label: z.string().min(1).optional(),
    /** Unit of the measured value ("mm³"); default: mm³ for volumes, lesion load and ICV, none for means. */
    unit: z.string().optional(),
  })
  .superRefine((f, ctx) => {
    const need = (cond: boolean, path: string, message: string) => {
      if (!cond) ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (f.measure === 'volume' || f.measure === 'mean') need(f.labels !== undefined, 'labels', `a "${f.measure}" feature needs "labels"`);
    if (f.measure === 'mean') need(f.map !== undefined, 'map', 'a "mean" feature needs "map" (the scalar map to average)');
    else need(f.map === undefined, 'map', `"map" only applies to "mean" features, not "${f.measure}"`);
    if (f.measure === 'lesion' || f.measure === 'icv') need(f.excludeLesion === undefined, 'excludeLesion', `"excludeLesion" does not apply to "${f.measure}"`);
    if (f.measure === 'lesion') need(f.labels !== 'nonzero', 'labels', 'the fallback labels of a lesion feature cannot be "nonzero"');
    need(f.useEtiv === undefined || f.measure === 'icv', 'useEtiv', '"useEtiv" only applies to "icv" features');
    need((f.role ?? 'biomarker') === 'covariate' || f.abnormal !== undefined, 'abnormal', 'say which way is abnormal: "decrease" or "increase"');
  });

const fileSchema = z.strictObject({
  description: z.string().optional(),
  ratioMaps: z.record(z.string().regex(MAP_NAME, 'map names start with a letter and use letters, digits, _ . -'), ratioSchema).optional(),
  features: z
    .record(z.string().regex(FEATURE_NAME, 'feature names start with a letter and use letters, digits, _ . -'), featureSchema)
    .refine((r) => Object.keys(r).length > 0, 'define at least one feature'),
});

/** One feature as resolved (defaults filled in); this is also what the sidecar records. */
export interface FeatureDef {
  name: string;
  measure: Measure;
  /** Label numbers, or "nonzero" (every label but 0). For "lesion": the labels used when a subject has no lesion mask. */
  labels: number[] | 'nonzero';
  /** Scalar map name (measure "mean"). */
  map?: string;
  /** Label map the labels refer to, when not the default `labels` (e.g. "wmparc"): a manifest column of that name. */
  labelMap?: string;
  /** Leave lesion voxels out of the region (normal-appearing tissue). */
  excludeLesion: boolean;
  abnormal: 'decrease' | 'increase';
  /** "log" means log(1 + x), applied by normalise before z-scoring. */
  transform: 'none' | 'log';
  role: 'biomarker' | 'covariate';
  /** ICV: take FreeSurfer's eTIV when the input has it (aseg.stats, asegstats2table). */
  useEtiv: boolean;
  description?: string;
  /** Readable name for figures and tables. */
  label: string;
  /** Unit of the value in the feature table ("" when none). */
  unit: string;
}

/** The default label of a feature: its name, underscores as spaces, first letter capital. */
export function defaultLabel(name: string): string {
  const s = name.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface FeatureSet {
  /** The file as given (or the bundled default). */
  file: string;
  sha256: string;
  description?: string;
  features: FeatureDef[];
  /** Scalar map names read from files (manifest columns) by "mean" features, in first-use order. */
  maps: string[];
  /** Label maps other than the default that features use, in first-use order (manifest columns). */
  labelMaps: string[];
  /** Scalar maps the tool computes (ratios), used by some feature. */
  ratioMaps: RatioMap[];
}

export interface RatioMap {
  name: string;
  numerator: string;
  denominator: string;
  calibration: 'none';
}

export function defaultFeaturesFile(): string {
  // src/extract or dist/extract -> package root -> data/features
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'features', 'aseg-ms.json');
}

export function loadFeatures(file: string = defaultFeaturesFile()): FeatureSet {
  return parseFeatures(readText(file, MAX_JSON_BYTES, 'feature definition file'), file);
}

export function parseFeatures(text: string, file: string): FeatureSet {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  const parsed = validate(raw, fileSchema, file);
  const features: FeatureDef[] = [];
  const maps: string[] = [];
  const labelMaps: string[] = [];
  const ratios = parsed.ratioMaps ?? {};
  const ratioMaps: RatioMap[] = [];
  for (const [name, f] of Object.entries(parsed.features)) {
    const def: FeatureDef = {
      name,
      measure: f.measure,
      labels: f.labels ?? (f.measure === 'icv' ? 'nonzero' : []),
      excludeLesion: f.excludeLesion ?? false,
      abnormal: f.abnormal ?? 'decrease',
      transform: f.transform ?? 'none',
      role: f.role ?? 'biomarker',
      useEtiv: f.measure === 'icv' ? (f.useEtiv ?? true) : false,
      label: f.label ?? defaultLabel(name),
      unit: f.unit ?? (f.measure === 'mean' ? '' : 'mm³'),
    };
    if (f.map !== undefined) {
      def.map = f.map;
      const r = ratios[f.map];
      if (r) {
        if (!ratioMaps.some((m) => m.name === f.map)) ratioMaps.push({ name: f.map, numerator: r.numerator, denominator: r.denominator, calibration: r.calibration ?? 'none' });
      } else if (!maps.includes(f.map)) maps.push(f.map);
    }
    if (f.labelMap !== undefined && f.labelMap !== DEFAULT_LABEL_MAP) {
      if (f.measure === 'lesion') throw new UserError('a "lesion" feature measures the lesion mask: "labelMap" does not apply', { file, field: `features.${name}.labelMap` });
      def.labelMap = f.labelMap;
      if (!labelMaps.includes(f.labelMap)) labelMaps.push(f.labelMap);
    }
    if (f.description !== undefined) def.description = f.description;
    features.push(def);
  }
  checkNames(file, maps, labelMaps, ratioMaps);
  const out: FeatureSet = { file, sha256: sha256Bytes(text), features, maps, labelMaps, ratioMaps };
  if (parsed.description !== undefined) out.description = parsed.description;
  return out;
}

/** One manifest column per file: a name may not be both a label map and a scalar map or ratio input. */
function checkNames(file: string, maps: string[], labelMaps: string[], ratioMaps: RatioMap[]): void {
  const seen = new Map<string, string>();
  const claim = (name: string, what: string) => {
    const prev = seen.get(name);
    if (prev !== undefined && prev !== what) throw new UserError(`"${name}" is used both as ${prev} and as ${what}`, { file });
    seen.set(name, what);
  };
  for (const m of maps) claim(m, 'a scalar map');
  for (const m of labelMaps) claim(m, 'a label map');
  for (const r of ratioMaps) {
    claim(r.name, 'a ratio map');
    claim(r.numerator, 'a ratio input image');
    claim(r.denominator, 'a ratio input image');
  }
  for (const reserved of ['subject_id', 'session', 'labels', 'lesion', 'lesion_mask']) {
    if (seen.has(reserved)) throw new UserError(`"${reserved}" is a reserved manifest column and cannot name a map`, { file });
  }
}
