/**
 * Shapes of the normalise stage: the options (one DEFAULTS const), the saved normaliser (plain data,
 * straight to and from JSON) and the result of applying it.
 */

/** Which change of a feature is abnormal: volumes shrink in disease, lesion load and ventricles grow. */
export type Direction = 'increase' | 'decrease';
/** "log" means log(1 + x): lesion load is near zero and right-skewed in controls. */
export type Transform = 'none' | 'log';
export type Harmonise = 'none' | 'combat';

/** A feature definition as written by `extract` in `<features.csv>.json` (only these keys are read). */
export interface FeatureDef {
  name: string;
  abnormal?: Direction;
  transform?: Transform;
  /** "covariate" (e.g. intracranial volume): not z-scored, may be named as a covariate. */
  role?: string;
  /** Readable name and unit from the feature definitions, passed on to the z sidecar (and the report). */
  label?: string;
  unit?: string;
}

export interface FitOptions {
  subjectColumn: string;
  /** Used when present in the table: rows are keyed by (subject, session). */
  sessionColumn: string;
  /** Column that marks healthy controls, and the value(s) meaning "control". */
  controlColumn: string;
  controlValues: string[];
  /** Covariates in design order. Numeric ones enter linearly, categorical ones as indicators. */
  covariates: string[];
  /** Covariates to treat as categorical even when their values look numeric (site 1, 2, 3). */
  categorical: string[];
  /** Feature columns; default: the sidecar's features, else every numeric column not used otherwise. */
  features?: string[];
  /** Definitions from the extract sidecar: defaults for the feature list, directions and transforms. */
  featureDefs?: FeatureDef[];
  /** Override the direction of these features to "increase is abnormal" / "decrease is abnormal". */
  higherIsAbnormal: string[];
  lowerIsAbnormal: string[];
  /** Features to log(1 + x)-transform (added to the sidecar's). */
  log: string[];
  /** The site / scanner column: always categorical; ComBat's batch; the one --allow-new-sites covers. */
  siteColumn: string;
  harmonise: Harmonise;
  /** Each level of a categorical covariate needs at least this many controls (2: one residual dof). */
  minControlsPerLevel: number;
  /** A feature needs at least (covariate design columns + this) controls with a value. */
  minExtraControls: number;
  /** ComBat: empirical-Bayes shrinkage of site effects across features (false: plain location/scale). */
  combatEb: boolean;
  combatTolerance: number;
  combatMaxIterations: number;
}

export interface ApplyOptions {
  /** Unseen levels of the site column get the controls' mean site effect (and no ComBat adjustment). */
  allowNewSites: boolean;
  /** Override the control marking for the is_control output column (default: the normaliser's). */
  controlColumn?: string;
  controlValues?: string[];
}

export const DEFAULTS = {
  subjectColumn: 'subject_id',
  sessionColumn: 'session',
  controlColumn: 'group',
  controlValues: ['HC'],
  covariates: [] as string[],
  categorical: [] as string[],
  higherIsAbnormal: [] as string[],
  lowerIsAbnormal: [] as string[],
  log: [] as string[],
  siteColumn: 'site',
  harmonise: 'none' as Harmonise,
  minControlsPerLevel: 2,
  minExtraControls: 10,
  combatEb: true,
  combatTolerance: 1e-10,
  combatMaxIterations: 10_000,
  allowNewSites: false,
} as const;

export function fitOptions(partial: Partial<FitOptions> = {}): FitOptions {
  const d = DEFAULTS;
  return {
    subjectColumn: partial.subjectColumn ?? d.subjectColumn,
    sessionColumn: partial.sessionColumn ?? d.sessionColumn,
    controlColumn: partial.controlColumn ?? d.controlColumn,
    controlValues: partial.controlValues ?? [...d.controlValues],
    covariates: partial.covariates ?? [],
    categorical: partial.categorical ?? [],
    features: partial.features,
    featureDefs: partial.featureDefs,
    higherIsAbnormal: partial.higherIsAbnormal ?? [],
    lowerIsAbnormal: partial.lowerIsAbnormal ?? [],
    log: partial.log ?? [],
    siteColumn: partial.siteColumn ?? d.siteColumn,
    harmonise: partial.harmonise ?? d.harmonise,
    minControlsPerLevel: partial.minControlsPerLevel ?? d.minControlsPerLevel,
    minExtraControls: partial.minExtraControls ?? d.minExtraControls,
    combatEb: partial.combatEb ?? d.combatEb,
    combatTolerance: partial.combatTolerance ?? d.combatTolerance,
    combatMaxIterations: partial.combatMaxIterations ?? d.combatMaxIterations,
  };
}

export interface NumericCovariate {
  name: string;
  kind: 'numeric';
  /** Range and mean among the controls: subjects outside the range are extrapolated (noted). */
  min: number;
  max: number;
  mean: number;
}

export interface CategoricalCovariate {
  name: string;
  kind: 'categorical';
  /** Levels seen among the controls, natural order (numbers numerically, then text). */
  levels: string[];
  /** Most frequent level among the controls (ties: first in natural order); absorbed by the intercept. */
  reference: string;
  controlCounts: Record<string, number>;
}

export type CovariateSpec = NumericCovariate | CategoricalCovariate;

export interface FeatureModel {
  name: string;
  transform: Transform;
  abnormal: Direction;
  /** +1 when an increase is abnormal, -1 when a decrease is. */
  sign: 1 | -1;
  /** OLS coefficients by design column name, on the transformed (and harmonised) scale. */
  coefficients: Record<string, number>;
  /** Residual sd: sqrt(RSS / (n - p)), p counting the intercept. */
  sd: number;
  r2: number;
  nControls: number;
  df: number;
  /**
   * Per categorical covariate: the control-count-weighted mean of its level effects (reference = 0),
   * used for an unseen site level under --allow-new-sites.
   */
  meanLevelEffect: Record<string, number>;
}

export interface CombatFeature {
  name: string;
  /** Grand mean (control-count-weighted mean of the site intercepts). */
  alpha: number;
  /** Coefficients of the protected covariates, by design column name. */
  beta: Record<string, number>;
  /** Pooled residual sd (RSS / N, as in Johnson et al. 2007). */
  sigma: number;
  nControls: number;
  /** Per site: estimated and empirical-Bayes (shrunk) standardized location and scale. */
  gammaHat: Record<string, number>;
  deltaHat: Record<string, number>;
  gammaStar: Record<string, number>;
  deltaStar: Record<string, number>;
}

export interface CombatModel {
  method: 'combat';
  batchColumn: string;
  sites: string[];
  controlCounts: Record<string, number>;
  /** Design columns of the protected (biological) covariates, without intercept. */
  protectedColumns: string[];
  eb: boolean;
  /** Per site: the priors estimated across features (null when shrinkage was not possible). */
  priors: Record<string, { gammaBar: number; tau2: number; lambda: number; theta: number } | null>;
  iterations: number;
  features: CombatFeature[];
}

export interface NormaliserSettings {
  subjectColumn: string;
  sessionColumn: string;
  controlColumn: string;
  controlValues: string[];
  siteColumn: string;
  harmonise: Harmonise;
  minControlsPerLevel: number;
  minExtraControls: number;
}

export const NORMALISER_FORMAT = 'ms-subtype-normaliser';
export const NORMALISER_FORMAT_VERSION = 1;

export interface Normaliser {
  format: typeof NORMALISER_FORMAT;
  formatVersion: typeof NORMALISER_FORMAT_VERSION;
  toolVersion: string;
  settings: NormaliserSettings;
  /** Covariates of the regression (after ComBat the site column is no longer one). */
  covariates: CovariateSpec[];
  /** "(intercept)", numeric covariate names, "name=level" indicators; the order of coefficients. */
  designColumns: string[];
  features: FeatureModel[];
  combat: CombatModel | null;
  training: { subjects: number; controls: number };
  notes: string[];
}

/** Result of applying a normaliser to a table: the z table in output form and in numbers. */
export interface ZResult {
  /** Output header: subject, (session), carried columns, is_control, features. */
  columns: string[];
  /** All output rows (made when asked for); `rowAt` makes one. */
  readonly rows: (string | number)[][];
  rowAt(r: number): (string | number)[];
  /** Number of rows. */
  n: number;
  features: string[];
  /** Per-row texts, made on first use (the writer does not need them). */
  readonly subjects: string[];
  readonly sessions: string[] | null;
  isControl: Uint8Array;
  /** n x F row-major, NaN = missing feature value. */
  z: Float64Array;
  readonly carried: Record<string, string[]>;
  /** Subjects whose site was unseen among the controls (only with allowNewSites). */
  newSiteSubjects: string[];
  notes: string[];
}

export const INTERCEPT = '(intercept)';
export const IS_CONTROL = 'is_control';
