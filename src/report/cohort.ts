/**
 * What the report can tell about the cohort from the sidecars of extract and normalise. Those files
 * belong to other stages and may gain keys, so they are read tolerantly: recognised keys are shown,
 * anything else is ignored.
 */
import type { ExtractionFailure, ReportSubjects } from './types.js';

export interface NormaliserFeatureRow {
  feature: string;
  transform?: string;
  abnormal?: string;
  r2?: number;
  sd?: number;
  nControls?: number;
  /** design column -> coefficient */
  coefficients: [string, number][];
}

export interface FeatureInfo {
  name: string;
  /** "volume", "lesion"... from the extract sidecar; "" when unknown. */
  measure: string;
  abnormal: string;
  role: string;
  /** Readable name and unit from the feature definitions ("" when not given). */
  label: string;
  unit: string;
}

export interface CohortSummary {
  subjects: number;
  /** null when nothing says which subjects are controls. */
  controls: number | null;
  controlsSource: string;
  covariates: string[];
  features: FeatureInfo[];
  normaliser: NormaliserFeatureRow[];
  notes: string[];
  failures: ExtractionFailure[] | null;
  /** From the extract sidecar, when given. */
  extraction: { inputs?: number; rows?: number; failed?: number; carried: string[]; missingFeatures: string[] } | null;
  /** reason -> count, most frequent first */
  failureReasons: [string, number][];
  /** feature name -> readable label and unit (from the extract sidecar, else the normaliser's) */
  labels: Record<string, { label: string; unit: string }>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** First value among `keys` (case-insensitive) in an object. */
function pick(o: Obj, keys: readonly string[]): unknown {
  const lower = new Map(Object.keys(o).map((k) => [k.toLowerCase(), k]));
  for (const k of keys) {
    const real = lower.get(k.toLowerCase());
    if (real !== undefined) return o[real];
  }
  return undefined;
}

function featureRecord(name: string, o: Obj): NormaliserFeatureRow {
  const coefRaw = pick(o, ['coefficients', 'coefs', 'beta']);
  const coefficients: [string, number][] = [];
  if (isObj(coefRaw)) for (const [k, v] of Object.entries(coefRaw)) if (num(v) !== undefined) coefficients.push([k, v as number]);
  if (Array.isArray(coefRaw)) coefRaw.forEach((v, i) => num(v) !== undefined && coefficients.push([`b${i}`, v as number]));
  return {
    feature: name,
    transform: str(pick(o, ['transform'])),
    abnormal: str(pick(o, ['abnormal', 'direction'])),
    r2: num(pick(o, ['r2', 'rSquared', 'r_squared', 'R2'])),
    sd: num(pick(o, ['sd', 'residualSd', 'residual_sd', 'sigma'])),
    nControls: num(pick(o, ['nControls', 'n_controls', 'controls', 'n'])),
    coefficients,
  };
}

/** Per-feature fit rows from a normaliser sidecar: an array of {name|feature, ...} or an object keyed by feature. */
export function normaliserRows(sidecar: unknown): NormaliserFeatureRow[] {
  if (!isObj(sidecar)) return [];
  const containers = [sidecar, pick(sidecar, ['normaliser', 'model', 'report', 'fitReport', 'fit'])].filter(isObj);
  for (const c of containers) {
    for (const key of ['features', 'report', 'fitReport', 'fits', 'perFeature']) {
      const v = pick(c, [key]);
      if (Array.isArray(v) && v.some(isObj)) {
        return v.filter(isObj).map((o, i) => featureRecord(str(pick(o, ['name', 'feature'])) ?? `feature ${i + 1}`, o));
      }
      if (isObj(v) && Object.values(v).length > 0 && Object.values(v).every(isObj)) {
        return Object.entries(v).map(([name, o]) => featureRecord(name, o as Obj));
      }
    }
  }
  return [];
}

function covariateNames(sidecar: Obj): string[] {
  for (const c of [sidecar, pick(sidecar, ['normaliser', 'model', 'settings'])].filter(isObj)) {
    const v = pick(c, ['covariates']);
    if (Array.isArray(v)) {
      const names = v.map((x) => (typeof x === 'string' ? x : isObj(x) ? str(pick(x, ['name'])) : undefined)).filter((x): x is string => x !== undefined);
      if (names.length > 0) return names;
    }
  }
  return [];
}

function controlsFrom(sidecar: Obj): number | undefined {
  for (const c of [
    sidecar,
    pick(sidecar, ['counts']),
    pick(sidecar, ['training']),
    pick(sidecar, ['normaliser']),
    pick(isObj(pick(sidecar, ['normaliser'])) ? (pick(sidecar, ['normaliser']) as Obj) : {}, ['training']),
  ].filter(isObj)) {
    const v = num(pick(c, ['controls', 'nControls', 'n_controls']));
    if (v !== undefined) return v;
  }
  return undefined;
}

function notesFrom(sidecar: Obj): string[] {
  const out: string[] = [];
  for (const c of [sidecar, pick(sidecar, ['normaliser'])].filter(isObj)) {
    for (const key of ['notes', 'warnings', 'messages']) {
      const v = pick(c, [key]);
      if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && !out.includes(x)) out.push(x);
    }
  }
  return out;
}

/** Feature definitions from the extract sidecar (array of {name,...} or object keyed by name). */
export function featureInfos(sidecar: unknown): FeatureInfo[] {
  if (!isObj(sidecar)) return [];
  const v = pick(sidecar, ['features', 'featureDefs', 'definitions']);
  const toInfo = (name: string, o: unknown): FeatureInfo => {
    const r = isObj(o) ? o : {};
    return {
      name,
      measure: str(pick(r, ['measure'])) ?? '',
      abnormal: str(pick(r, ['abnormal', 'direction'])) ?? '',
      role: str(pick(r, ['role'])) ?? '',
      label: str(pick(r, ['label'])) ?? '',
      unit: str(pick(r, ['unit'])) ?? '',
    };
  };
  if (Array.isArray(v)) {
    return v.map((x, i) => (typeof x === 'string' ? toInfo(x, {}) : toInfo(str(pick(isObj(x) ? x : {}, ['name', 'feature'])) ?? `feature ${i + 1}`, x))).filter((f) => f.name !== '');
  }
  if (isObj(v)) return Object.entries(v).map(([name, o]) => toInfo(name, o));
  return [];
}

function extractionFrom(sidecar: unknown): CohortSummary['extraction'] {
  if (!isObj(sidecar)) return null;
  const input = pick(sidecar, ['input']);
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    inputs: isObj(input) ? num(pick(input, ['subjects'])) : undefined,
    rows: num(pick(sidecar, ['rows'])),
    failed: num(pick(sidecar, ['failed'])),
    carried: strings(pick(sidecar, ['carriedColumns'])),
    missingFeatures: strings(pick(sidecar, ['missingFeatures'])),
  };
}

const CONTROL_COLUMNS = ['is_control', 'control'];
const TRUE_VALUES = new Set(['1', 'true', 'yes', 'y', 't']);

export function cohortSummary(subjects: ReportSubjects, biomarkers: readonly string[], normaliser: unknown, features: unknown, failures: ExtractionFailure[] | undefined): CohortSummary {
  const m = subjects.assignment.subjects.length;
  // The controls that matter are the normaliser's reference group; the subject table of a fit
  // often holds patients only, so its is_control column is the fallback.
  let controls: number | null = null;
  let controlsSource = '';
  const fromSidecar = isObj(normaliser) ? controlsFrom(normaliser) : undefined;
  const carried = subjects.carried ?? {};
  const col = CONTROL_COLUMNS.find((c) => carried[c] !== undefined);
  const inTable = col !== undefined ? carried[col]!.filter((v) => TRUE_VALUES.has(v.trim().toLowerCase())).length : undefined;
  if (fromSidecar !== undefined) {
    controls = fromSidecar;
    controlsSource = `reference group of the normaliser${inTable !== undefined ? `; ${inTable} in the subject table` : ''}`;
  } else if (inTable !== undefined) {
    controls = inTable;
    controlsSource = `column ${col} of the subject table`;
  }
  let featureList = featureInfos(features);
  if (featureList.length === 0) {
    featureList = (normaliserRows(normaliser).length > 0 ? normaliserRows(normaliser).map((r) => r.feature) : [...biomarkers]).map((name) => ({
      name,
      measure: '',
      abnormal: '',
      role: '',
      label: '',
      unit: '',
    }));
  }
  const labels: CohortSummary['labels'] = {};
  const fromNormaliser = isObj(normaliser) ? pick(normaliser, ['featureLabels']) : undefined;
  if (isObj(fromNormaliser)) {
    for (const [name, v] of Object.entries(fromNormaliser)) {
      if (isObj(v)) labels[name] = { label: str(pick(v, ['label'])) ?? name, unit: str(pick(v, ['unit'])) ?? '' };
    }
  }
  for (const f of featureList) if (f.label !== '' || f.unit !== '') labels[f.name] = { label: f.label || f.name, unit: f.unit };
  const counts = new Map<string, number>();
  for (const f of failures ?? []) counts.set(f.reason, (counts.get(f.reason) ?? 0) + 1);
  return {
    subjects: m,
    controls,
    controlsSource,
    covariates: isObj(normaliser) ? covariateNames(normaliser) : [],
    features: featureList,
    normaliser: normaliserRows(normaliser),
    notes: isObj(normaliser) ? notesFrom(normaliser) : [],
    failures: failures ?? null,
    extraction: extractionFrom(features),
    failureReasons: [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    labels,
  };
}

/** One feature in the cohort facts: "Cortical grey matter (cortical_grey_matter, volume, mm³)". */
export function featureText(f: FeatureInfo): string {
  const details = [...(f.label && f.label !== f.name ? [f.name] : []), ...(f.measure ? [f.role === 'covariate' ? 'covariate' : f.measure] : []), ...(f.unit ? [f.unit] : [])];
  return `${f.label || f.name}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}
