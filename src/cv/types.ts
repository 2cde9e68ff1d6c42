import type { EventLabel } from '../sustain/types.js';

/** The cross-validation result (DIR/cv.json), read by the report and the pipeline. Plain data. */
export interface CvRow {
  subtypes: number;
  /** -2 * sum over held-out subjects of log(mean over posterior samples of their likelihood) */
  cvic: number;
  testLogLikelihoodMean: number;
  testLogLikelihoodSd: number;
  /** per fold: out-of-sample log-likelihood averaged over posterior samples */
  testLogLikelihoodPerFold: number[];
  /** mean over folds of the adjusted Rand index between the fold model's and the full model's assignment of all subjects */
  stabilityMean?: number;
}

/** One K of the recommendation rule: paired per-fold differences against the best K. */
export interface CvComparison {
  subtypes: number;
  /** mean over folds of (held-out log-likelihood of the best K) - (that of this K); 0 for the best K */
  meanDifference: number;
  /** standard error of that mean: sd / sqrt(folds) */
  seDifference: number;
  /** max(seDifference, minimum gain per subject x held-out subjects per fold) */
  margin: number;
  /** meanDifference <= margin: not meaningfully worse than the best */
  notMeaningfullyWorse: boolean;
}

export interface CvResult {
  format: 'ms-subtype-cv';
  formatVersion: 1;
  toolVersion: string;
  settings: Record<string, unknown> & { seed: number; folds: number; maxSubtypes: number };
  table: CvRow[];
  /** K with the smallest CVIC */
  cvicChoice: number;
  /** K recommended by the stated rule (does not over-split) */
  recommendedSubtypes: number;
  /** Why: the rule and the numbers behind the choice, in a sentence. */
  rule: string;
  /** K with the highest mean held-out log-likelihood (the reference of the rule) */
  bestTestLogLikelihoodSubtypes?: number;
  /** per K, the numbers behind the rule */
  comparisons?: CvComparison[];
  /** the rule's minimum meaningful gain, in log-likelihood units per held-out subject */
  minGainPerSubject?: number;
  /** The events (index -> label: [biomarker, z] for the z-score model) that positionalVariance and fullModelSequences refer to. */
  events?: EventLabel[];
  /** Per K: the full-data model's ML sequence of each subtype, as event indices (subtype order of positionalVariance). */
  fullModelSequences?: Record<string, number[][]>;
  /** Per K: Kendall tau between each fold's matched subtype sequence and the full model's, [fold][subtype]. */
  matchingTau?: Record<string, number[][]>;
  /**
   * Cross-validated positional variance per K (key "1", "2", ...): [subtype][event][position] =
   * probability that the event is at that position, pooled over folds' posterior samples after
   * matching each fold's subtypes to the full-data model's.
   */
  positionalVariance?: Record<string, number[][][]>;
  /** Per K: adjusted Rand index between each fold model's assignment of all subjects and the full model's. */
  stability?: Record<string, number[]>;
}
