/**
 * outcomes.json: the one schema (zod) its writer follows and its reader (the report) validates;
 * the result types are derived from it. Keys that outside checks read: `survival` and `counts`
 * entries with outcome, covariates, terms [{term, coef, se, hr | ratio, ciLow, ciHigh, p}].
 */
import { z } from 'zod';

export const OUTCOMES_FORMAT = 'ms-subtype-outcomes';
export const OUTCOMES_FORMAT_VERSION = 1;

const num = z.number();
const nnum = z.number().nullable();

const omitted = z.object({ term: z.string(), reason: z.string() });
const test = z.object({ test: z.string(), statistic: nnum, df: nnum, df2: z.number().optional(), p: num, note: z.string().optional() });

const hrTerm = z.object({ term: z.string(), coef: num, se: num, hr: num, ciLow: num, ciHigh: num, p: num });
const ratioTerm = z.object({ term: z.string(), coef: num, se: num, ratio: num, ciLow: num, ciHigh: num, p: num });
const rubin = { dfRubin: nnum, fmi: num };

/** Estimates with the subtype drawn from each patient's posterior probabilities, pooled by Rubin's rules. */
const pooled = <T extends z.ZodRawShape>(term: z.ZodObject<T>) =>
  z.object({ subtypeFrom: z.literal('posterior draws'), draws: z.number().int(), terms: z.array(term.extend(rubin)), notPooled: z.array(omitted) });

const modelKind = z.enum(['subtype', 'stage']);

export const survivalEntry = z.object({
  outcome: z.string(),
  event: z.string(),
  model: modelKind,
  covariates: z.array(z.string()),
  subtypeFrom: z.enum(['most likely', 'none']),
  n: z.number().int(),
  events: z.number().int(),
  /** log-rank test across subtypes (most likely subtype, patients past stage 0) for this outcome */
  logrank: z.object({ chisq: num, df: z.number().int(), p: nnum }),
  terms: z.array(hrTerm),
  omitted: z.array(omitted),
  /** proportional-hazards test (scaled Schoenfeld residuals, as cox.zph), per term then GLOBAL */
  proportionalHazards: z.array(z.object({ term: z.string(), chisq: num, df: z.number().int(), p: num })),
  loglik: nnum,
  converged: z.boolean(),
  failed: z.string().optional(),
  pooled: pooled(hrTerm).optional(),
});

export const countsEntry = z.object({
  outcome: z.string(),
  exposure: z.string(),
  family: z.enum(['poisson', 'negbin']),
  model: modelKind,
  covariates: z.array(z.string()),
  subtypeFrom: z.enum(['most likely', 'none']),
  n: z.number().int(),
  /** total count */
  events: z.number(),
  theta: nnum.optional(),
  thetaSe: nnum.optional(),
  terms: z.array(ratioTerm),
  omitted: z.array(omitted),
  loglik: nnum,
  converged: z.boolean(),
  failed: z.string().optional(),
  pooled: pooled(ratioTerm).optional(),
});

const kmCurve = z.object({
  subtype: z.number().int(),
  n: z.number().int(),
  events: z.number().int(),
  time: z.array(num),
  nRisk: z.array(z.number().int()),
  nEvent: z.array(z.number().int()),
  nCensor: z.array(z.number().int()),
  surv: z.array(num),
  lower: z.array(nnum),
  upper: z.array(nnum),
  median: nnum,
});

export const kmEntry = z.object({ outcome: z.string(), event: z.string(), curves: z.array(kmCurve), riskTimes: z.array(num), atRisk: z.array(z.array(z.number().int())) });

const cell = z.object({
  n: z.number().int(),
  missing: z.number().int(),
  mean: nnum.optional(),
  sd: nnum.optional(),
  median: nnum.optional(),
  q1: nnum.optional(),
  q3: nnum.optional(),
  count: z.number().int().optional(),
  percent: nnum.optional(),
});

export const table1Schema = z.object({
  groups: z.array(z.object({ key: z.string(), label: z.string(), n: z.number().int(), tested: z.boolean() })),
  rows: z.array(
    z.object({
      variable: z.string(),
      level: z.string().nullable(),
      kind: z.enum(['numeric', 'level', 'binary']),
      cells: z.array(cell),
      tests: z.array(test),
    }),
  ),
});

const treatmentEntry = z.object({
  outcome: z.string(),
  kind: z.enum(['survival', 'counts']),
  family: z.enum(['cox', 'poisson', 'negbin']),
  treatment: z.string(),
  covariates: z.array(z.string()),
  interaction: z.object({
    n: z.number().int(),
    terms: z.array(ratioTerm),
    omitted: z.array(omitted),
    /** likelihood-ratio test of all subtype x treatment terms together */
    test: z.object({ chisq: num, df: z.number().int(), p: num }).nullable(),
    failed: z.string().optional(),
  }),
  withinSubtype: z.array(
    z.object({ subtype: z.number().int(), n: z.number().int(), events: z.number(), terms: z.array(ratioTerm), omitted: z.array(omitted), failed: z.string().optional() }),
  ),
});

const scoreEntry = z.object({
  score: z.string(),
  spearman: z.object({ rho: num, p: num, n: z.number().int() }).nullable(),
  regression: z
    .object({
      covariates: z.array(z.string()),
      n: z.number().int(),
      r2: num,
      terms: z.array(z.object({ term: z.string(), coef: num, se: num, ciLow: num, ciHigh: num, p: num })),
      omitted: z.array(omitted),
    })
    .nullable(),
  /** (stage, score) of each patient, for the report's plot */
  points: z.array(z.tuple([z.number(), z.number(), z.number().int()])),
});

export const outcomesSchema = z.object({
  format: z.literal(OUTCOMES_FORMAT, { message: `not an ms-subtype outcomes file (format must be "${OUTCOMES_FORMAT}")` }),
  formatVersion: z.literal(OUTCOMES_FORMAT_VERSION),
  toolVersion: z.string(),
  settings: z.object({
    survival: z.array(z.object({ time: z.string(), event: z.string() })),
    counts: z.array(z.object({ count: z.string(), exposure: z.string() })),
    scores: z.array(z.string()),
    covariates: z.array(z.string()),
    treatment: z.string().nullable(),
    treatmentReference: z.string().nullable(),
    referenceSubtype: z.number().int(),
    draws: z.number().int(),
    seed: z.number().int(),
  }),
  inputs: z.record(z.string(), z.object({ file: z.string(), sha256: z.string() })),
  subtypes: z.number().int(),
  subjects: z.object({
    subjectsFile: z.number().int(),
    clinicalFile: z.number().int(),
    matched: z.number().int(),
    onlyInSubjects: z.number().int(),
    onlyInClinical: z.number().int(),
    controls: z.number().int(),
    stage0: z.number().int(),
    staged: z.number().int(),
  }),
  notes: z.array(z.string()),
  warnings: z.array(z.string()),
  table1: table1Schema,
  km: z.array(kmEntry),
  survival: z.array(survivalEntry),
  counts: z.array(countsEntry),
  treatment: z.array(treatmentEntry),
  scores: z.array(scoreEntry),
});

export type OutcomesResult = z.infer<typeof outcomesSchema>;
export type SurvivalEntry = z.infer<typeof survivalEntry>;
export type CountsEntry = z.infer<typeof countsEntry>;
export type KmEntry = z.infer<typeof kmEntry>;
export type Table1 = z.infer<typeof table1Schema>;
export type TreatmentEntry = z.infer<typeof treatmentEntry>;
export type ScoreEntry = z.infer<typeof scoreEntry>;
export type OutcomesSettings = OutcomesResult['settings'];
