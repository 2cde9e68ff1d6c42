/** The cross-validation result (DIR/cv.json), read by the report and the pipeline. Plain data. */
export interface CvRow {
  subtypes: number;
  /** -2 * sum over held-out subjects of log(mean over posterior samples of their likelihood) */
  cvic: number;
  testLogLikelihoodMean: number;
  testLogLikelihoodSd: number;
  /** per fold: out-of-sample log-likelihood averaged over posterior samples */
  testLogLikelihoodPerFold: number[];
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
  /**
   * Cross-validated positional variance per K (key "1", "2", ...): [subtype][event][position] =
   * probability that the event is at that position, pooled over folds' posterior samples after
   * matching each fold's subtypes to the full-data model's.
   */
  positionalVariance?: Record<string, number[][][]>;
  /** Per K: adjusted Rand index between each fold model's assignment of all subjects and the full model's. */
  stability?: Record<string, number[]>;
}
