/**
 * The data shapes shared by the SuStaIn engine, cross-validation, the report and the pipeline.
 * Plain data only (no classes), so they cross worker threads and go to and from JSON unchanged.
 */
import type { SustainModelFile } from './kinds.js';

/** A z-score table: M subjects x B biomarkers, row-major, NaN = missing. Larger = more abnormal. */
export interface ZTable {
  subjects: string[];
  biomarkers: string[];
  /** length M*B; values[i*B + b] */
  values: Float64Array;
  /** Optional extra columns carried from the input (e.g. group, diagnosis), by name, one string per subject. */
  carried?: Record<string, string[]>;
}

/** Event thresholds per biomarker (same order as ZTable.biomarkers). */
export interface Thresholds {
  /** per biomarker, strictly increasing positive z thresholds, e.g. [1,2,3] */
  zvals: number[][];
  /** per biomarker, z at the end of the disease course (> its largest threshold) */
  zmax: number[];
}

/** One event of the z-score model as stored in files: [biomarker name, z threshold]. */
export type NamedEvent = [string, number];

/** An event as a model file names it (each kind its own form: the z-score kind's is a NamedEvent). */
export type EventLabel = NamedEvent | string;

/** Thinned MCMC samples of one fit. Events are indices into ModelFile.events. */
export interface PosteriorSamples {
  /** [sample][subtype][position] = event index */
  sequences: number[][][];
  /** [sample][subtype] */
  fractions: number[][];
  /** [sample] total log-likelihood of the training data */
  logLikelihood: number[];
  /** [sample] the MCMC chain it came from (chains one after the other, the same number of samples each) */
  chain?: number[];
}

export interface SustainFit<E extends EventLabel = NamedEvent> {
  subtypes: number;
  /** ML sequence per subtype (subtypes ordered by fraction, largest first), as event labels. */
  sequences: E[][];
  fractions: number[];
  /** Log-likelihood of the training data under this ML model. */
  logLikelihood: number;
  samples: PosteriorSamples;
  /** Diagnostics: MCMC acceptance rate, EM log-likelihood per start point, timings... */
  diagnostics?: Record<string, unknown>;
}

export interface KmeansFit {
  subtypes: number;
  /** [cluster][biomarker] centroid in z units (clusters ordered by size, largest first). */
  centroids: number[][];
  fractions: number[];
  silhouette: number;
  inertia: number;
}

export interface ModelFileBase {
  format: 'ms-subtype-model';
  formatVersion: 1;
  toolVersion: string;
  biomarkers: string[];
  settings: Record<string, unknown> & { seed: number };
  /** subjects: fitted subjects; visits: their rows when the fit is longitudinal (settings.time names the time column) */
  training: { subjects: number; visits?: number; dataSha256?: string; dataFile?: string };
}

/** The common keys of a SuStaIn model file; each kind adds its own (see kind.ts, kinds.ts). */
export type SustainModelBase = ModelFileBase;
/** model.json of a SuStaIn model of any registered kind: `method`, the kind's fields, `events`, `fits[K-1]`. */
export type { SustainModelFile, ZscoreModelFile, MixtureModelFile, ModelSpec } from './kinds.js';

export interface KmeansModelFile extends ModelFileBase {
  method: 'kmeans';
  fits: KmeansFit[];
}

export type ModelFile = SustainModelFile | KmeansModelFile;

/** Per-subject result of fit or assign for one K. Arrays have one entry per subject (row-major M x K for probSubtype). */
export interface Assignment {
  subjects: string[];
  subtypes: number;
  mlSubtype: Int32Array;
  probMlSubtype: Float64Array;
  /** -1 where the method has no stages (k-means) */
  mlStage: Int32Array;
  probMlStage: Float64Array;
  /** M x K */
  probSubtype: Float64Array;
  /** M x (N+1) stage probabilities (marginal over subtypes); absent for k-means */
  probStage?: Float64Array;
  /** M x (N+1) x K joint stage-and-subtype probabilities, [(i * (N+1) + k) * K + s]; absent for k-means */
  probSubtypeStage?: Float64Array;
}
