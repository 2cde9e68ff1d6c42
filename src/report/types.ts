import type { Assignment, KmeansModelFile, SustainModelFile, ZTable } from '../sustain/types.js';
import type { CvResult } from '../cv/types.js';
import type { BrainMaps } from './brain-paint.js';
import type { OutcomesResult } from '../outcomes/schema.js';
import type { Exceedance } from '../normalise/exceedance.js';

/** One row of the extraction errors CSV (subject_id, session, file, reason; other columns kept). */
export interface ExtractionFailure {
  subject: string;
  session: string;
  file: string;
  reason: string;
}

/** The per-subject table as the report uses it: the assignment plus any carried columns (group, age...). */
export interface ReportSubjects {
  assignment: Assignment;
  /** Extra columns of subjects.csv, by name, one string per subject (shown in the table, kept in the download). */
  carried?: Record<string, string[]>;
  /**
   * The subject table exactly as read (same row order as `assignment.subjects`), offered for download
   * unchanged; when absent the download is rebuilt from `assignment` and `carried`.
   */
  raw?: { columns: string[]; rows: string[][] };
  /** z-scores of the assigned table above zmax, from the subject table's sidecar. */
  zAboveZmax?: Exceedance;
}

/** Display options, all with defaults in REPORT_DEFAULTS. */
export interface ReportOptions {
  /** Use the cross-validated positional variance from cv.json (when present) as the main diagram. */
  cvPositionalVariance: boolean;
  /** Probability thresholds for "confidently assigned" bands. */
  confidenceBands: number[];
  /** Posterior interval width for subtype fractions (0.95 = 2.5% to 97.5% quantiles). */
  interval: number;
  /** Colours of the z thresholds, in threshold order (SuStaIn papers: z=1 red, 2 magenta, 3 blue). */
  thresholdColours: string[];
  /** Colours of the subtypes, in subtype order. */
  subtypeColours: string[];
  /** Rows of the subject table per page (the page stays quick with tens of thousands of subjects). */
  tablePageSize: number;
  /** At most this many extraction failures listed individually (all are counted). */
  maxFailuresListed: number;
}

export const REPORT_DEFAULTS: ReportOptions = {
  cvPositionalVariance: false,
  confidenceBands: [0.5, 0.8, 0.95],
  interval: 0.95,
  thresholdColours: ['#d62728', '#c51bc5', '#1f4fd6', '#2ca02c', '#ff7f0e', '#8c564b'],
  // Vega's tableau10, which reads well for colour-blind viewers up to about six subtypes.
  subtypeColours: ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756', '#72b7b2', '#eeca3b', '#ff9da6', '#9d755d', '#bab0ac'],
  tablePageSize: 100,
  maxFailuresListed: 200,
};

/** Everything the page is made from; plain data, no file access. */
export interface ReportInputs {
  model: SustainModelFile;
  subjects: ReportSubjects;
  /** Number of subtypes to show; default: the subject table's K (which must exist in the model). */
  subtypes?: number;
  cv?: CvResult;
  kmeans?: KmeansModelFile;
  /** The normaliser's sidecar (z.csv.json), any shape: the report shows what it recognises. */
  normaliser?: unknown;
  /** The extraction sidecar (features.csv.json), any shape. */
  features?: unknown;
  /** Rows of the extraction errors CSV; `[]` means "none failed", undefined means "not given". */
  failures?: ExtractionFailure[];
  /** The z-scores the subjects were assigned from (the model's biomarkers), for the data-under-model figures. */
  zData?: ZTable;
  /** outcomes.json of `ms-subtype outcomes`: adds the clinical section */
  outcomes?: OutcomesResult;
  title?: string;
  /** Where the inputs came from, listed in the page's footer (file names only, for provenance). */
  sources?: Record<string, string>;
  options?: Partial<ReportOptions>;
  /** The brain view: a reference label map (and other maps of the features, a lesion mask); needs `features`. */
  brain?: BrainInput;
}

export interface BrainInput {
  maps: BrainMaps;
  /** Stages to draw; default about five spread like the paper's. */
  stages?: number[];
  /** The reference map as named in the page (file name). */
  source: string;
}

export interface ReportOutput {
  html: string;
  /** File name (e.g. "subtype-fractions.svg") -> standalone SVG text. */
  figures: Record<string, string>;
  /** The brain view's probabilities (DIR/brain-view.csv), when a brain view was asked for. */
  brainView?: { columns: readonly string[]; rows: (string | number)[][]; stages: number[]; slices: Record<string, number> };
}

/** Paths and settings for writeReport. */
export interface WriteReportOptions {
  model: string;
  subjects: string;
  out: string;
  subtypes?: number;
  cv?: string;
  kmeans?: string;
  normaliserReport?: string;
  features?: string;
  errors?: string;
  /** z-score table (z.csv) of the subjects: adds the data-under-model figures. */
  data?: string;
  outcomes?: string;
  title?: string;
  options?: Partial<ReportOptions>;
  /** Reference label map for the brain view, plus other maps by name (`wmparc`, `lesion` for a mask). */
  brain?: string;
  brainMaps?: Record<string, string>;
  brainStages?: number[];
}
