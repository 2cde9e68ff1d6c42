/** The normalise stage: control-referenced, covariate-adjusted z-scores (optionally ComBat-harmonised). */
export { fitNormaliser } from './fit.js';
export { applyNormaliser, toZTable } from './apply.js';
export {
  normaliseFiles,
  applyNormaliserFiles,
  readNormaliser,
  writeNormaliser,
  readFeatureSidecar,
  defaultNormaliserPath,
  zSidecar,
  Z_FORMAT,
  type NormaliseFilesOptions,
  type ApplyFilesOptions,
  type FilesResult,
} from './files.js';
export { validateNormaliser, normaliserSchema, featureSidecarSchema } from './schema.js';
export { solveOls, type OlsFit, type RankDeficient } from './ols.js';
export { fitCombat, harmoniseValue, estimatePrior, shrink, type CombatData, type CombatParams } from './combat.js';
export * from './types.js';
