/** Public library API of the SuStaIn engine (used by cv, report, pipeline and the CLI). */
export { fitSustain, FIT_DEFAULTS, namedEvents, type FitOptions, type FitProgress, type FitExtras } from './fit.js';
export { assignSubjects, sampleSubjectLogLikelihoods, positionalVariance, alignData, fitFor, mlSequenceIndices, modelThresholds } from './staging.js';
export { logLikelihood, subjectLogLikelihoods } from './likelihood.js';
export { assignSubjectsParallel } from './assign-parallel.js';
export { simulateCohort, defaultFractions, type SimulateOptions, type SimulatedCohort } from './simulate.js';
export { makeThresholds, checkThresholds, thresholdWarnings, type ThresholdOverrides } from './thresholds.js';
export { ZscoreModel, eventTable } from './zscore.js';
export type { ProgressionModel, ModelData, TemplateChanges } from './model.js';
export type * from './types.js';
export { KINDS, KIND_NAMES, kindOf, kindForMethod, createModel, specOfModel, toSpec, type ModelSpec } from './kinds.js';
export { eventKey, type ModelKind } from './kind.js';
export { zscoreKind, type ZscoreSpec } from './zscore-kind.js';
export type { MultiplicativeUpdate } from './model.js';
export { mixtureKind, likelihoodTable, type MixtureSpec } from './mixture-kind.js';
export { MixtureModel } from './mixture.js';
export { fitMixtures, fitGmm, fitKde, mixtureLikelihoods, detectDirection, type BiomarkerMixture, type Direction, type GmmMixture, type KdeMixture } from './mixture-fit.js';
