/** The outcomes stage: associations of subtypes and stages with clinical data (`ms-subtype outcomes`). */
import { analyseOutcomes, type AnalysisSettings } from './analyse.js';
import { joinInputs, outcomesHeader, writeOutcomes } from './files.js';
import { outcomesSchema, type OutcomesResult } from './schema.js';

export { analyseOutcomes, drawSubtypes } from './analyse.js';
export { plannedDrawFits } from './analyse-models.js';
export type { AnalysisSettings } from './analyse.js';
export { readOutcomes, joinInputs, writeOutcomes } from './files.js';
export { outcomesSchema } from './schema.js';
export type { OutcomesResult, SurvivalEntry, CountsEntry, KmEntry, Table1, TreatmentEntry, ScoreEntry } from './schema.js';

export const OUTCOMES_DEFAULTS = { referenceSubtype: 0, draws: 20, seed: 1 };

/** Read, analyse, write: DIR/outcomes.json and the CSV tables. Returns the result and the paths written. */
export function runOutcomes(subjectsFile: string, clinicalFile: string, out: string, s: AnalysisSettings, onFit?: () => void): { result: OutcomesResult; files: string[] } {
  const joined = joinInputs(subjectsFile, clinicalFile, s);
  const body = analyseOutcomes(joined.cohort, s, onFit);
  const result: OutcomesResult = {
    ...outcomesHeader(s, subjectsFile, clinicalFile),
    subtypes: joined.cohort.subtypes,
    subjects: joined.subjects,
    warnings: [...joined.warnings, ...modelWarnings(body)],
    ...body,
  };
  // The writer follows the reader's schema: a mistake here fails loudly instead of writing a file the report refuses.
  outcomesSchema.parse(JSON.parse(JSON.stringify(result)));
  return { result, files: writeOutcomes(out, result) };
}

/** One line per model that could not be fitted or lost a term, for the command's output. */
function modelWarnings(b: Pick<OutcomesResult, 'survival' | 'counts'>): string[] {
  const out: string[] = [];
  for (const e of [...b.survival, ...b.counts]) {
    const what = `${e.outcome} (${'family' in e ? `${e.family}, ` : ''}${e.model} model${e.covariates.length ? ` adjusted for ${e.covariates.join(', ')}` : ''})`;
    if (e.failed) out.push(`${what}: not fitted: ${e.failed}`);
    for (const o of e.omitted) out.push(`${what}: ${o.term} left out: ${o.reason}`);
  }
  return [...new Set(out)];
}
