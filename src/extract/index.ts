/**
 * Regional features from a cohort's segmentations: the library behind `ms-subtype extract` and
 * `ms-subtype merge`, for the pipeline and for scripts.
 */
export { extractCohort, EXTRACT_DEFAULTS, type ExtractOptions, type ExtractResult, type SubjectFailure } from './extract.js';
export { mergeShards, expandInputs, type MergeOptions, type MergeResult, type MissingSubject } from './merge.js';
export { loadFeatures, parseFeatures, defaultFeaturesFile, MEASURES, type FeatureDef, type FeatureSet, type Measure } from './features.js';
export { measureSubject, measureFromVolumes, type SubjectArrays, type SubjectMeasures, type VolumeTableRow } from './measure.js';
export { loadCohort, ID_COLUMNS, type CohortOptions } from './cohort.js';
export { discoverBids } from './bids.js';
export { parseAsegStats, parseAsegstats2table, parseSynthsegVolumes, sniffTable, subjectFromName, type TableSubject, type TableKind } from './tables.js';
export { parseShard, shardFromSlurm, inShard, type Shard } from './shard.js';
export { readSidecar, sidecarPath, errorsPath, checkpointPath, type Sidecar, type SidecarSubject } from './output.js';
export { ASEG_LABELS, labelForName, nameForLabel, nameKey } from './aseg-labels.js';
export type { Cohort, CohortSubject, InputKind, InputRecord, SubjectTask, SubjectResult } from './types.js';
export { default as extractSubject } from './worker.js';
