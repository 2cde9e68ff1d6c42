/** Public API of cross-validation and the k-means baseline (used by the CLI, the pipeline and the report). */
export { runCrossValidation, combineDirectory, foldSeed, CV_DEFAULTS, type CvOptions, type CvRunSummary } from './run.js';
export { combineFolds } from './combine.js';
export { writeCvOutputs, readPart, partFile } from './store.js';
export { makeFolds, foldIndices } from './folds.js';
export { foldScore, cvicFromFolds } from './cvic.js';
export { recommend, type Recommendation, type Comparison } from './recommend.js';
export { matchSequences, kendallTau, bestAssignment } from './matching.js';
export { adjustedRandIndex } from './ari.js';
export { fitKmeansModel, assignKmeans, KMEANS_DEFAULTS } from './kmeans.js';
export { silhouetteScores } from './silhouette.js';
export { loadThresholds } from './inputs.js';
export type { CvSettings } from './settings.js';
export type * from './types.js';
