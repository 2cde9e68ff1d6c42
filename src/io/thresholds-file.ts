/**
 * Thresholds as the user gives them: --zvals/--zmax for every biomarker, and a --thresholds JSON file
 * in either of two forms:
 *  - ours, per biomarker by name: {"b01": {"zvals": [1, 2], "zmax": 4}, ...} (overrides --zvals/--zmax);
 *  - pySuStaIn's: {"Z_vals": [[1, 2, 3], [1, 2, 0], ...], "Z_max": [5, 4, ...]} with one row per
 *    biomarker in the data's column order (or named by an optional "biomarker_labels" list), 0 for an
 *    unused threshold, other keys ignored (so a pySuStaIn settings file can be passed as it is).
 * A zmax at or below a biomarker's top threshold is accepted with a warning, as pySuStaIn accepts it.
 */
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { readJsonValidated, validate } from './json.js';
import { thresholdsFromMatrix, thresholdWarnings, zmaxProblem, zvalsMatrix, zvalsRowProblem, type ZvalsMatrix } from '../sustain/thresholds.js';
import type { Thresholds } from '../sustain/types.js';

/** A zod refinement from one of the threshold rules (sustain/thresholds.ts): the same reason everywhere. */
function rule<T>(problem: (v: T) => string | null) {
  return (v: T, ctx: z.RefinementCtx) => {
    const p = problem(v);
    if (p !== null) ctx.addIssue({ code: 'custom', message: p });
  };
}

/** A biomarker's z thresholds as written (0 = unused): in a --thresholds file and in the run config. */
export const zvalsSchema = z.array(z.number()).superRefine(rule(zvalsRowProblem));
export const zmaxSchema = z.number().superRefine(rule(zmaxProblem));
/** Our --thresholds form, per biomarker by name; also the run config's fit.thresholds. */
export const thresholdOverridesSchema = z.record(z.string(), z.strictObject({ zvals: zvalsSchema, zmax: zmaxSchema }));
const pysustainSchema = z.looseObject({
  // rows are checked by the one rule once they are matched to the biomarkers (thresholdsFromMatrix)
  Z_vals: z.array(z.array(z.number())).min(1),
  Z_max: z.array(z.number()).min(1),
  biomarker_labels: z.array(z.string()).optional(),
});

function fromPysustain(raw: z.infer<typeof pysustainSchema>, biomarkers: readonly string[], file: string): ZvalsMatrix {
  const width = Math.max(...raw.Z_vals.map((r) => r.length));
  const pad = (r: number[]) => [...r, ...new Array<number>(width - r.length).fill(0)];
  if (raw.Z_max.length !== raw.Z_vals.length) throw new UserError(`Z_max has ${raw.Z_max.length} entries for ${raw.Z_vals.length} rows of Z_vals`, { file, field: 'Z_max' });
  const labels = raw.biomarker_labels;
  if (labels === undefined) {
    if (raw.Z_vals.length !== biomarkers.length) {
      throw new UserError(
        `Z_vals has ${raw.Z_vals.length} rows, the data has ${biomarkers.length} biomarkers (rows go with the biomarker columns in order; add "biomarker_labels" to match them by name)`,
        { file, field: 'Z_vals' },
      );
    }
    return { zvals: raw.Z_vals.map(pad), zmax: [...raw.Z_max] };
  }
  if (labels.length !== raw.Z_vals.length) throw new UserError(`biomarker_labels has ${labels.length} names for ${raw.Z_vals.length} rows of Z_vals`, { file, field: 'biomarker_labels' });
  const rows = biomarkers.map((b) => {
    const r = labels.indexOf(b);
    if (r < 0) throw new UserError(`no thresholds for biomarker "${b}" (biomarker_labels: ${labels.join(', ')})`, { file, field: 'biomarker_labels' });
    return r;
  });
  return { zvals: rows.map((r) => pad(raw.Z_vals[r]!)), zmax: rows.map((r) => raw.Z_max[r]!) };
}

export interface ResolvedThresholds {
  /** pySuStaIn's form (zeros kept): what its event numbering is defined on */
  matrix: ZvalsMatrix;
  thresholds: Thresholds;
  /** one line each, for stderr */
  warnings: string[];
}

/** The thresholds of `biomarkers` from --zvals/--zmax and an optional --thresholds file. */
export function resolveThresholds(biomarkers: readonly string[], zvals: readonly number[], zmax: number, file?: string): ResolvedThresholds {
  let matrix: ZvalsMatrix;
  if (file === undefined) matrix = zvalsMatrix(biomarkers, zvals, zmax);
  else {
    const raw = readJsonValidated(file, z.unknown(), 'thresholds file');
    if (typeof raw === 'object' && raw !== null && 'Z_vals' in raw) matrix = fromPysustain(validate(raw, pysustainSchema, file), biomarkers, file);
    else matrix = zvalsMatrix(biomarkers, zvals, zmax, validate(raw, thresholdOverridesSchema, file), file);
  }
  const where = file ?? '--zvals/--zmax';
  const thresholds = thresholdsFromMatrix(matrix, biomarkers, where);
  return { matrix, thresholds, warnings: thresholdWarnings(thresholds, biomarkers) };
}
