import { sha256Bytes } from '../io/hash.js';
import { kindOf, toSpec, type ModelSpec } from '../sustain/kinds.js';
import type { Thresholds, ZTable } from '../sustain/types.js';

/**
 * Everything that determines a cross-validation's numbers. Fold files carry it; combining or
 * resuming refuses parts whose settings differ (a mix would give a meaningless table).
 */
export type CvSettings = {
  seed: number;
  folds: number;
  maxSubtypes: number;
  startpoints: number;
  mcmcIterations: number;
  /** null = the engine's default */
  samplesKept: number | null;
  /** null = the engine's default */
  mcmcTuneIterations: number | null;
  /** chains of the full-data model's fit; null = the engine's default */
  chains: number | null;
  /**
   * chains of every fold's fit (`chains` when given, else CV_DEFAULTS.foldChains); absent in parts
   * made before folds had their own default (they used the engine's 4 chains, so they differ)
   */
  foldChains?: number;
  stratify: string | null;
  /** longitudinal data: the time column (folds hold out whole subjects); absent for cross-sectional data */
  time?: string;
  /**
   * EM polish runs per round (fit --polish) and repeats that stop a set of EM start points
   * (fit --early-stop), as the fits use them (the default when not asked); absent in parts made
   * before they were always recorded, which then differ and are refused or redone, never mixed;
   * likewise the subsample EM start points are screened on (fit --screen; 0: off)
   */
  polish?: number;
  earlyStop?: number;
  screen?: number;
  biomarkers: string[];
  /** the model's parameters (its kind's fields in model.json; z-score: zvals, zmax) follow biomarkers */
  [field: string]: unknown;
  subjects: number;
  /** hash of the z table as read (subjects, biomarkers, values) */
  dataSha256: string;
  /** hash of the fold of every subject (covers the stratification labels) */
  foldsSha256: string;
  /** 'fitted' (full-data model fitted with these settings) or 'given:<sha256 of the --model file>' */
  fullModel: string;
  toolVersion: string;
};

export function hashTable(data: ZTable): string {
  const head = JSON.stringify([data.subjects, data.biomarkers]);
  const bytes = new Uint8Array(data.values.buffer, data.values.byteOffset, data.values.byteLength);
  return sha256Bytes(`${head}\n${sha256Bytes(bytes)}`);
}

export function hashFolds(foldOf: Int32Array): string {
  return sha256Bytes(foldOf.join(','));
}

export function makeSettings(
  s: Pick<
    CvSettings,
    | 'seed'
    | 'folds'
    | 'maxSubtypes'
    | 'startpoints'
    | 'mcmcIterations'
    | 'samplesKept'
    | 'mcmcTuneIterations'
    | 'chains'
    | 'foldChains'
    | 'stratify'
    | 'time'
    | 'polish'
    | 'earlyStop'
    | 'screen'
    | 'fullModel'
    | 'toolVersion'
  >,
  data: ZTable,
  given: ModelSpec | Thresholds,
  foldOf: Int32Array,
): CvSettings {
  const spec = toSpec(given);
  // Fixed key order so JSON comparison and output bytes are stable.
  return {
    seed: s.seed,
    folds: s.folds,
    maxSubtypes: s.maxSubtypes,
    startpoints: s.startpoints,
    mcmcIterations: s.mcmcIterations,
    samplesKept: s.samplesKept,
    mcmcTuneIterations: s.mcmcTuneIterations,
    chains: s.chains,
    ...(s.foldChains !== undefined ? { foldChains: s.foldChains } : {}),
    stratify: s.stratify,
    ...(s.time !== undefined ? { time: s.time } : {}),
    ...(s.polish !== undefined ? { polish: s.polish } : {}),
    ...(s.earlyStop !== undefined ? { earlyStop: s.earlyStop } : {}),
    ...(s.screen !== undefined ? { screen: s.screen } : {}),
    biomarkers: [...data.biomarkers],
    ...kindOf(spec).fields(spec),
    subjects: data.subjects.length,
    dataSha256: hashTable(data),
    foldsSha256: hashFolds(foldOf),
    fullModel: s.fullModel,
    toolVersion: s.toolVersion,
  };
}

/** Names of the settings that differ (empty when equal). */
export function settingsDiff(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

export function describeDiff(a: Record<string, unknown>, b: Record<string, unknown>, keys: string[]): string {
  const show = (v: unknown) => {
    const s = JSON.stringify(v);
    return s === undefined ? 'absent' : s.length > 40 ? s.slice(0, 37) + '...' : s;
  };
  return keys.map((k) => `${k} ${show(a[k])} vs ${show(b[k])}`).join('; ');
}
