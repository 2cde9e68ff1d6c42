/** The report stage: one self-contained HTML page plus each figure as SVG. */
export { buildReport, resolveOptions, REPORT_PARTS } from './build.js';
export { writeReport, readReportInputs, WRITE_REPORT_STEPS } from './write.js';
export { readSubjects, readSustainModel, readCvResult, readKmeansModel, readFailures } from './read.js';
export { REPORT_DEFAULTS } from './types.js';
export type { ReportInputs, ReportOptions, ReportOutput, ReportSubjects, ExtractionFailure, WriteReportOptions } from './types.js';
export { positionalVariance, fractionSummaries, assignmentSummary, subtypeLabels, stageCounts } from './stats.js';
