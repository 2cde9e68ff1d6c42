/**
 * Where each step writes inside the output folder. Numbered so a listing reads in pipeline order;
 * paths relative to OUT (the state file records them that way, so a moved folder still resumes).
 */
export const LAYOUT = {
  features: '01-features.csv',
  featuresSidecar: '01-features.csv.json',
  featuresErrors: '01-features.csv.errors.csv',
  z: '02-z.csv',
  zSidecar: '02-z.csv.json',
  normaliser: '02-normaliser.json',
  modelDir: '03-model',
  model: '03-model/model.json',
  modelSubjects: '03-model/subjects.csv',
  cvDir: '04-cv',
  cv: '04-cv/cv.json',
  kmeansDir: '05-kmeans',
  kmeans: '05-kmeans/model.json',
  kmeansSubjects: '05-kmeans/subjects.csv',
  assignDir: '06-assign',
  assign: '06-assign/subjects.csv',
  // After assign and before the report, which reads it (the name sorts between the two).
  outcomesDir: '06b-outcomes',
  outcomes: '06b-outcomes/outcomes.json',
  reportDir: '07-report',
  report: '07-report/report.html',
  truth: 'truth.json',
  config: 'run-config.json',
} as const;

export const STEP_NAMES = ['extract', 'normalise', 'fit', 'cv', 'kmeans', 'assign', 'outcomes', 'report', 'truth'] as const;
export type StepName = (typeof STEP_NAMES)[number];
