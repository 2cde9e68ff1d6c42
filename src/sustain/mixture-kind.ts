/**
 * The mixture (event-based) kind: spec { kind: 'mixture', nBiomarkers, input, mixtures? }, model.json
 * method "sustain-mixture" with `input` ("likelihoods": the data are L_yes / L_no per biomarker;
 * "raw": raw values turned into L_yes / L_no by the fitted per-biomarker `mixtures` saved here),
 * and events named by their biomarker.
 *
 * A likelihood table has, per biomarker b, the columns `L_yes:b` and `L_no:b` (likelihoodTable
 * joins the two files pySuStaIn users have into one).
 */
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { alignColumns } from './columns.js';
import type { ModelKind } from './kind.js';
import { MixtureModel } from './mixture.js';
import { mixtureLikelihoods, type BiomarkerMixture } from './mixture-fit.js';
import type { ZTable } from './types.js';

export interface MixtureSpec {
  kind: 'mixture';
  nBiomarkers: number;
  input: 'likelihoods' | 'raw';
  /** per biomarker (input "raw") */
  mixtures?: BiomarkerMixture[];
}

export const YES = 'L_yes:';
export const NO = 'L_no:';

const num = z.number().refine((v) => Number.isFinite(v), 'must be a finite number');
const positive = num.refine((v) => v > 0, 'must be positive');
const gaussian = z.object({ mean: num, sd: positive });
const mixtureBase = {
  abnormal: z.enum(['higher', 'lower']),
  directionFrom: z.enum(['detected', 'given']),
  weight: num,
};
const mixtureSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('gmm'), ...mixtureBase, normal: gaussian, abnormalComponent: gaussian }),
  z.object({ type: z.literal('kde'), ...mixtureBase, bandwidth: positive, x: z.array(num).min(2), pAbnormal: z.array(num).min(2) }),
]);
const shape = {
  input: z.enum(['likelihoods', 'raw']),
  mixtures: z.array(mixtureSchema).optional(),
};
export type MixtureFields = z.infer<z.ZodObject<typeof shape>>;

/** One table of L_yes and L_no columns from the two files (same subjects in the same order, same biomarkers). */
export function likelihoodTable(yes: ZTable, no: ZTable, files: { yes?: string; no?: string } = {}): ZTable {
  if (yes.subjects.length !== no.subjects.length) {
    throw new UserError(`has ${no.subjects.length} subjects, the L_yes file has ${yes.subjects.length}: the two files must list the same subjects in the same order`, { file: files.no });
  }
  yes.subjects.forEach((s, i) => {
    if (no.subjects[i] !== s)
      throw new UserError(`subject ${no.subjects[i]} where the L_yes file has ${s}: the two files must list the same subjects in the same order`, { file: files.no, line: i + 2 });
  });
  const B = yes.biomarkers.length;
  const cols = yes.biomarkers.map((b) => {
    const j = no.biomarkers.indexOf(b);
    if (j < 0) throw new UserError(`has no column for biomarker "${b}" of the L_yes file`, { file: files.no, field: b });
    return j;
  });
  for (const b of no.biomarkers) if (!yes.biomarkers.includes(b)) throw new UserError(`has no column for biomarker "${b}" of the L_no file`, { file: files.yes, field: b });
  const M = yes.subjects.length;
  const NB = no.biomarkers.length;
  const values = new Float64Array(M * 2 * B);
  for (let i = 0; i < M; i++) {
    for (let b = 0; b < B; b++) {
      values[i * 2 * B + b] = yes.values[i * B + b]!;
      values[i * 2 * B + B + b] = no.values[i * NB + cols[b]!]!;
    }
  }
  return { subjects: yes.subjects, biomarkers: [...yes.biomarkers.map((b) => YES + b), ...yes.biomarkers.map((b) => NO + b)], values, ...(yes.carried ? { carried: yes.carried } : {}) };
}

/** The engine's values from a likelihood table: per subject L_yes then L_no of the model's biomarkers. */
function encodeLikelihoods(biomarkers: readonly string[], table: ZTable, file?: string): Float64Array {
  const B = biomarkers.length;
  const names = [...biomarkers.map((b) => YES + b), ...biomarkers.map((b) => NO + b)];
  const missingCol = names.find((c) => !table.biomarkers.includes(c));
  if (missingCol !== undefined) {
    const b = missingCol.startsWith(YES) ? missingCol.slice(YES.length) : missingCol.slice(NO.length);
    throw new UserError(
      `the data has no ${missingCol.startsWith(YES) ? 'L_yes' : 'L_no'} column for the model's biomarker "${b}" (a mixture model fitted on likelihoods assigns from --l-yes/--l-no)`,
      { file, field: b },
    );
  }
  const v = alignColumns(names, table, file);
  for (let i = 0; i < table.subjects.length; i++) {
    for (let b = 0; b < B; b++) {
      const y = v[i * 2 * B + b]!;
      const n = v[i * 2 * B + B + b]!;
      const where = { file, subject: table.subjects[i], line: i + 2, field: biomarkers[b] };
      if (Number.isNaN(y) !== Number.isNaN(n)) throw new UserError('L_yes and L_no must be both given or both missing', where);
      if (!Number.isNaN(y) && !(y >= 0 && n >= 0 && Number.isFinite(y) && Number.isFinite(n)))
        throw new UserError(`likelihoods must be finite and not negative, got L_yes ${y}, L_no ${n}`, where);
    }
  }
  return v;
}

/** The engine's values from raw values: each biomarker's mixture gives L_yes, L_no (missing stays missing). */
function encodeRaw(mixtures: readonly BiomarkerMixture[], biomarkers: readonly string[], table: ZTable, file?: string): Float64Array {
  const B = biomarkers.length;
  const x = alignColumns(biomarkers, table, file);
  const M = table.subjects.length;
  const out = new Float64Array(M * 2 * B);
  for (let i = 0; i < M; i++) {
    for (let b = 0; b < B; b++) {
      const v = x[i * B + b]!;
      if (Number.isNaN(v)) {
        out[i * 2 * B + b] = NaN;
        out[i * 2 * B + B + b] = NaN;
      } else {
        const l = mixtureLikelihoods(mixtures[b]!, v);
        out[i * 2 * B + b] = l.yes;
        out[i * 2 * B + B + b] = l.no;
      }
    }
  }
  return out;
}

export const mixtureKind: ModelKind<MixtureSpec, MixtureFields, string, 'sustain-mixture'> = {
  kind: 'mixture',
  method: 'sustain-mixture',
  title: 'mixture',
  check(spec, biomarkers, file) {
    if (spec.nBiomarkers !== biomarkers.length) throw new UserError(`the mixture model is for ${spec.nBiomarkers} biomarkers, the data has ${biomarkers.length}`, { file });
    if (biomarkers.length < 2) throw new UserError(`an event-based model needs at least 2 biomarkers, the data has ${biomarkers.length}`, { file });
    if (spec.input === 'raw' && spec.mixtures?.length !== biomarkers.length)
      throw new UserError(`raw values need one fitted mixture per biomarker (${biomarkers.length}), the model has ${spec.mixtures?.length ?? 0}`, { file });
  },
  create: (spec) => new MixtureModel(spec.nBiomarkers),
  events: (_spec, biomarkers) => [...biomarkers],
  fields: (spec) => (spec.input === 'raw' ? { input: spec.input, mixtures: spec.mixtures! } : { input: spec.input }),
  specOf: (f, biomarkers) => ({ kind: 'mixture', nBiomarkers: biomarkers.length, input: f.input, ...(f.mixtures !== undefined ? { mixtures: f.mixtures } : {}) }),
  modelBiomarkers(spec, columns) {
    if (spec.input === 'raw') return [...columns];
    return columns.filter((c) => c.startsWith(YES)).map((c) => c.slice(YES.length));
  },
  fileShape: shape,
  eventSchema: z.string(),
  checkFile(f, biomarkers, events, bad) {
    const B = biomarkers.length;
    if (f.input === 'raw' && f.mixtures?.length !== B) bad(`${f.mixtures?.length ?? 0} mixtures for ${B} biomarkers`, 'mixtures');
    if (f.input === 'likelihoods' && f.mixtures !== undefined) bad('a model fitted on likelihoods has no mixtures', 'mixtures');
    f.mixtures?.forEach((m, b) => {
      if (!(m.weight >= 0 && m.weight <= 1)) bad('a mixture weight must be in [0, 1]', `mixtures.${b}.weight`);
      if (m.type === 'kde' && (m.x.length !== m.pAbnormal.length || m.pAbnormal.some((p) => !(p >= 0 && p <= 1))))
        bad('a KDE mixture needs one probability in [0, 1] per value', `mixtures.${b}`);
    });
    if (events.length !== B || events.some((e, q) => e !== biomarkers[q])) bad('events must be the biomarkers, in order', 'events');
  },
  encode: (spec, biomarkers, table, file) => (spec.input === 'raw' ? encodeRaw(spec.mixtures!, biomarkers, table, file) : encodeLikelihoods(biomarkers, table, file)),
};
