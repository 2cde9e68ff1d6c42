/** What the report's sections share: the inputs, options and everything computed before rendering. */
import type { NamedEvent, SustainFit, SustainModelFile } from '../sustain/types.js';
import type { ModelView } from './model-view.js';
import type { CohortSummary } from './cohort.js';
import type { AssignmentSummary, FractionSummary, SubtypeLabel } from './stats.js';
import type { ReportInputs, ReportOptions } from './types.js';

/** Everything computed before rendering, shared by the sections. */
export interface Context {
  inputs: ReportInputs;
  opts: ReportOptions;
  model: SustainModelFile;
  /** the model as biomarkers with levels of events (every kind drawn alike) */
  view: ModelView;
  fit: SustainFit<NamedEvent>;
  k: number;
  nEvents: number;
  labels: SubtypeLabel[];
  fractions: FractionSummary[];
  summary: AssignmentSummary;
  /** One flag per subject of the table: a healthy control (counted apart from the patients). */
  isControl: boolean[];
  cohort: CohortSummary;
  /** A feature's readable label (from the feature definitions), else its name. */
  label: (name: string) => string;
  figures: Record<string, string>;
}
