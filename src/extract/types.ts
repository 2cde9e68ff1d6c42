import type { FeatureDef } from './features.js';

/** One input file of a subject as recorded in the sidecar. */
export interface InputRecord {
  /** "labels", "lesion_mask", "map:<name>", "labels:<name>" (other label maps), "image:<column>" (ratio inputs), "dseg_tsv", "aseg_stats" */
  role: string;
  /** As written in the manifest (or relative to the BIDS folder), so the sidecar does not depend on where it ran. */
  path: string;
  sha256: string;
}

/** The work for one subject, sent to a worker thread (plain data only). */
export interface SubjectTask {
  /** 0-based position in the cohort (manifest data row, BIDS discovery order). */
  row: number;
  subject: string;
  session: string;
  /** Label map (NIfTI/MGH) or a FreeSurfer aseg.stats file; "" when the manifest cell was empty. */
  labels: { path: string; shown: string };
  lesion?: { path: string; shown: string };
  /** Scalar maps by name; a map absent here leaves its "mean" features missing for this subject. */
  maps: { name: string; path: string; shown: string }[];
  /** Label maps other than `labels` (e.g. wmparc), by name; one absent here leaves its features missing. */
  labelMaps?: { name: string; path: string; shown: string }[];
  /** Ratio maps the tool computes (T1w/T2w) from two images; one absent here leaves its mean features missing. */
  ratios?: { name: string; numerator: { path: string; shown: string; column: string }; denominator: { path: string; shown: string; column: string } }[];
  /** Other files recorded (hashed) but not read, such as the BIDS dseg.tsv. */
  extra: { role: string; path: string; shown: string }[];
  defs: FeatureDef[];
  lesionThreshold: number;
  gridTolerance: number;
}

export interface SubjectOk {
  ok: true;
  row: number;
  values: number[];
  inputs: InputRecord[];
  lesionSource: 'mask' | 'labels' | 'none';
  /** stat stamp of the input files taken before reading them (resume.ts) */
  stamp?: string;
}

export interface SubjectFailed {
  ok: false;
  row: number;
  file: string;
  reason: string;
}

export type SubjectResult = SubjectOk | SubjectFailed;

/** A subject of the cohort: identity, carried columns, and either work to do or a ready result (tables). */
export interface CohortSubject {
  row: number;
  subject: string;
  session: string;
  carried: string[];
  task?: SubjectTask;
  result?: SubjectResult;
}

export type InputKind = 'manifest' | 'bids' | 'aseg-stats' | 'asegstats2table' | 'synthseg';

export interface Cohort {
  kind: InputKind;
  /** What the user pointed at (manifest file, BIDS folder, table file(s)). */
  source: string[];
  /** sha256 of the source when it is one file (manifest or table). */
  sourceSha256?: string;
  carriedColumns: string[];
  subjects: CohortSubject[];
  /** The --covariates-file table joined onto the input. */
  covariates?: { path: string; sha256: string };
  /** Things the user should hear about (covariates not found...). */
  notes?: string[];
}

export function subjectKey(subject: string, session: string): string {
  return `${subject}\u0000${session}`;
}
