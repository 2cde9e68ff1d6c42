/** writeReport: read the input files, build the page, write DIR/figures/*.svg and then DIR/report.html. */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeAtomic } from '../io/atomic.js';
import { checkSubjectsMatch } from '../io/subjects.js';
import { buildReport, REPORT_PARTS } from './build.js';
import { readAnyJson, readCvResult, readFailures, readKmeansModel, readSubjects, readSustainModel } from './read.js';
import type { ReportInputs, WriteReportOptions } from './types.js';
import { readZTable } from '../io/ztable.js';
import { BRAIN_CSV, readBrainInput, writeBrainTable } from './brain-files.js';
import { readOutcomes } from '../outcomes/files.js';

/** Figure file names this tool writes; stale ones from an earlier report (e.g. a larger K) are removed. */
const OWN_FIGURE =
  /^(positional-variance(-cv)?-subtype-\d+|subtype-fractions|stages|assignment-confidence|cvic|cv-test-loglik|kmeans-centroids|kmeans-silhouette|normaliser-r2|fit-check-subtype-\d+|stage-certainty|outcomes-km-\d+|outcomes-forest|outcomes-score-\d+|brain-view-subtype-\d+)\.svg$/;

export function readReportInputs(o: WriteReportOptions): ReportInputs {
  const sources: Record<string, string> = { model: basename(o.model), subjects: basename(o.subjects) };
  const inputs: ReportInputs = {
    model: readSustainModel(o.model),
    subjects: readSubjects(o.subjects),
    subtypes: o.subtypes,
    title: o.title,
    options: o.options,
    sources,
  };
  // files of two runs side by side (a fit killed between its writes) are refused, after the table's own checks
  checkSubjectsMatch(o.subjects, o.model);
  if (o.cv !== undefined) {
    inputs.cv = readCvResult(o.cv);
    sources['cv'] = basename(o.cv);
  }
  if (o.kmeans !== undefined) {
    inputs.kmeans = readKmeansModel(o.kmeans);
    sources['k-means'] = basename(o.kmeans);
  }
  if (o.normaliserReport !== undefined) {
    inputs.normaliser = readAnyJson(o.normaliserReport, 'normaliser report');
    sources['normaliser'] = basename(o.normaliserReport);
  }
  if (o.features !== undefined) {
    inputs.features = readAnyJson(o.features, 'features sidecar');
    sources['features'] = basename(o.features);
  }
  if (o.data !== undefined) {
    inputs.zData = readZTable(o.data, { biomarkers: inputs.model.biomarkers, includeControls: true }).table;
    sources['z-scores'] = basename(o.data);
  }
  if (o.errors !== undefined) {
    inputs.failures = readFailures(o.errors);
    sources['errors'] = basename(o.errors);
  }
  if (o.outcomes !== undefined) {
    inputs.outcomes = readOutcomes(o.outcomes);
    sources['outcomes'] = basename(o.outcomes);
  }
  if (o.brain !== undefined) {
    inputs.brain = readBrainInput(o.brain, o.brainMaps, o.brainStages);
    sources['brain view'] = basename(o.brain);
  }
  return inputs;
}

/** Steps of writeReport for a progress bar: reading the inputs, each part of the page, writing the files. */
export const WRITE_REPORT_STEPS = REPORT_PARTS.length + 2;

/** `onStep(done, what)`: called after each of WRITE_REPORT_STEPS steps. */
export async function writeReport(o: WriteReportOptions, onStep?: (done: number, what: string) => void): Promise<{ htmlPath: string; figurePaths: string[] }> {
  let done = 0;
  const step = (what: string) => onStep?.(++done, what);
  const inputs = readReportInputs(o);
  step('read the inputs');
  const { html, figures, brainView } = await buildReport(inputs, step);
  const figDir = join(o.out, 'figures');
  const figurePaths: string[] = [];
  for (const [name, svg] of Object.entries(figures)) {
    const p = join(figDir, name);
    writeAtomic(p, svg);
    figurePaths.push(p);
  }
  if (existsSync(figDir)) {
    for (const f of readdirSync(figDir)) if (OWN_FIGURE.test(f) && figures[f] === undefined) rmSync(join(figDir, f));
  }
  if (brainView && o.brain !== undefined) writeBrainTable(o.out, brainView, { model: o.model, brain: o.brain, brainMaps: o.brainMaps ?? {} });
  else for (const f of [BRAIN_CSV, `${BRAIN_CSV}.json`]) if (existsSync(join(o.out, f))) rmSync(join(o.out, f));
  // The page last: its presence means the figures beside it are complete.
  const htmlPath = join(o.out, 'report.html');
  writeAtomic(htmlPath, html);
  step('wrote the files');
  return { htmlPath, figurePaths };
}
