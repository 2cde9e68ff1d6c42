/** A subject table built from the demo generator's truth (tests only): the true subtype is the most likely one. */
import { writeCsvAtomic } from '../../src/io/csv.js';
import { sampleDemoCohort, type DemoCohortOptions } from '../../src/pipeline/demo-cohort.js';
import { CLINICAL_COLUMNS, demoClinicalRows } from '../../src/pipeline/demo-clinical.js';

export const STAGES = 21;

/**
 * subjects.csv as `assign` writes it, from the truth: ml_subtype = the true subtype with probability
 * `certainty` (the rest spread evenly), ml_stage = true stage x 21. Controls flagged by is_control.
 */
export function writeTruthSubjects(file: string, clinicalFile: string, opts: Partial<DemoCohortOptions> = {}, certainty = 1): void {
  const s = sampleDemoCohort(opts);
  writeCsvAtomic(clinicalFile, CLINICAL_COLUMNS, demoClinicalRows(s, opts.seed ?? 2024));
  writeCsvAtomic(
    file,
    ['subject_id', 'ml_subtype', 'prob_ml_subtype', 'ml_stage', 'prob_ml_stage', 'prob_subtype_0', 'prob_subtype_1', 'prob_subtype_2', 'group', 'is_control'],
    s.map((x) => {
      const k = Math.max(0, x.subtype);
      const p = [0, 1, 2].map((j) => (j === k ? certainty : (1 - certainty) / 2));
      return [x.id, k, certainty, Math.round(x.stage * STAGES), 0.6, ...p, x.group, x.group === 'HC' ? 1 : 0];
    }),
  );
}
