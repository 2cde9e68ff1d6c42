/**
 * All analyses of `ms-subtype outcomes` on a joined cohort: plain data in, the body of
 * outcomes.json out (no file access; the same inputs and seed give the same numbers).
 */
import { Rng } from '../common/rng.js';
import { patients, stagedPatients, type Cohort } from './cohort.js';
import { buildDesign } from './design.js';
import { kaplanMeier, numbersAtRisk, riskTimes } from './km.js';
import { logRank } from './logrank.js';
import { countsEntries, survivalEntries, treatmentEntry, type ModelSettings } from './analyse-models.js';
import { fitOls } from './ols.js';
import type { KmEntry, OutcomesResult, ScoreEntry, SurvivalEntry } from './schema.js';
import { spearman } from './tests.js';
import { table1 } from './table1.js';

export interface AnalysisSettings {
  survival: { time: string; event: string }[];
  counts: { count: string; exposure: string }[];
  scores: string[];
  covariates: string[];
  treatment: string | null;
  /** the treatment level the others are compared with; null = the first level in sorted order */
  treatmentReference: string | null;
  referenceSubtype: number;
  draws: number;
  seed: number;
}

type Body = Pick<OutcomesResult, 'table1' | 'km' | 'survival' | 'counts' | 'treatment' | 'scores' | 'notes'>;

function numeric(c: Cohort, name: string): Float64Array {
  const col = c.columns.get(name);
  if (col === undefined || col.kind !== 'numeric') throw new Error(`column ${name} is not numeric`);
  return col.values;
}

/** Each patient's subtype drawn `draws` times from its posterior probabilities; one random stream per draw. */
export function drawSubtypes(c: Cohort, draws: number, seed: number): Int32Array[] {
  const streams = Rng.fromSeed(seed).streams(draws);
  const K = c.subtypes;
  return streams.map((rng) => {
    const d = Int32Array.from(c.subtype);
    for (let i = 0; i < c.subjects.length; i++) {
      let u = rng.uniform();
      let total = 0;
      for (let k = 0; k < K; k++) total += c.probs[i * K + k]!;
      u *= total;
      let k = 0;
      while (k < K - 1 && u >= c.probs[i * K + k]!) u -= c.probs[i * K + k++]!;
      d[i] = k;
    }
    return d;
  });
}

function kmEntry(c: Cohort, time: Float64Array, event: Uint8Array, names: { time: string; event: string }): KmEntry {
  const rows = stagedPatients(c).filter((i) => !Number.isNaN(time[i]!) && event[i] !== 255);
  const maxT = rows.reduce((m, i) => Math.max(m, time[i]!), 0);
  const at = riskTimes(maxT);
  const curves = Array.from({ length: c.subtypes }, (_, k) => k).map((k) => {
    const idx = rows.filter((i) => c.subtype[i] === k);
    const t = idx.map((i) => time[i]!);
    const km = kaplanMeier(
      t,
      idx.map((i) => event[i]!),
    );
    const m = km.surv.findIndex((s) => s <= 0.5);
    return {
      subtype: k,
      n: idx.length,
      events: idx.reduce((a, i) => a + event[i]!, 0),
      time: km.time,
      nRisk: km.nRisk,
      nEvent: km.nEvent,
      nCensor: km.nCensor,
      surv: km.surv,
      lower: km.lower,
      upper: km.upper,
      median: m >= 0 ? km.time[m]! : null,
    };
  });
  const atRisk = curves.map((cv) =>
    numbersAtRisk(
      rows.filter((i) => c.subtype[i] === cv.subtype).map((i) => time[i]!),
      at,
    ),
  );
  return { outcome: names.time, event: names.event, curves, riskTimes: at, atRisk };
}

function scoreEntry(c: Cohort, score: string, covariates: string[]): ScoreEntry {
  const y = numeric(c, score);
  const pts = patients(c).filter((i) => !Number.isNaN(y[i]!));
  const sp = spearman(
    pts.map((i) => c.stage[i]!),
    pts.map((i) => y[i]!),
  );
  const d = buildDesign(c, { subtype: false, reference: 0, stage: true, covariates, treatment: null, interaction: false }, pts, c.subtype, true, false);
  const ols = fitOls(
    Float64Array.from(d.rows, (i) => y[i]!),
    d.cols,
    d.names,
  );
  return {
    score,
    spearman: sp,
    regression: ols === null ? null : { covariates, n: ols.n, r2: ols.r2, terms: ols.terms.filter((t) => t.term !== '(Intercept)'), omitted: d.dropped },
    points: pts.map((i) => [c.stage[i]!, y[i]!, c.subtype[i]!] as [number, number, number]),
  };
}

export function analyseOutcomes(c: Cohort, s: AnalysisSettings, onFit?: () => void): Body {
  const ms: ModelSettings = { covariates: s.covariates, treatment: s.treatment, reference: s.referenceSubtype, ...(onFit ? { onFit } : {}) };
  const draws = drawSubtypes(c, s.draws, s.seed);
  const km: KmEntry[] = [];
  const survival: SurvivalEntry[] = [];
  const counts: OutcomesResult['counts'] = [];
  const treatment: OutcomesResult['treatment'] = [];
  for (const o of s.survival) {
    const time = numeric(c, o.time);
    const ev = numeric(c, o.event);
    // 255 marks a missing event indicator (the subject is left out of this outcome's models).
    const event = Uint8Array.from(ev, (v) => (Number.isNaN(v) ? 255 : v));
    km.push(kmEntry(c, time, event, o));
    const rows = stagedPatients(c).filter((i) => !Number.isNaN(time[i]!) && event[i] !== 255);
    const lr = logRank(
      rows.map((i) => time[i]!),
      rows.map((i) => event[i]!),
      rows.map((i) => c.subtype[i]!),
      c.subtypes,
    );
    const outcome = { kind: 'survival' as const, time, event };
    survival.push(...survivalEntries(c, ms, o, outcome, { chisq: lr.chisq, df: lr.df, p: Number.isNaN(lr.p) ? null : lr.p }, draws));
    const t = treatmentEntry(c, ms, o.time, outcome);
    if (t) treatment.push(t);
  }
  for (const o of s.counts) {
    const base = { kind: 'counts' as const, count: numeric(c, o.count), exposure: numeric(c, o.exposure) };
    counts.push(...countsEntries(c, ms, o, base, draws));
    for (const family of ['poisson', 'negbin'] as const) {
      const t = treatmentEntry(c, ms, o.count, { ...base, family });
      if (t) treatment.push(t);
    }
  }
  const used = [
    ...new Set([...s.covariates, ...(s.treatment ? [s.treatment] : []), ...s.scores, ...s.survival.flatMap((o) => [o.event, o.time]), ...s.counts.flatMap((o) => [o.count, o.exposure])]),
  ];
  const t1 = table1(
    c,
    used.map((name) => ({ name, column: c.columns.get(name)! })),
  );
  const scores = s.scores.map((sc) => scoreEntry(c, sc, s.covariates));
  const notes = [
    'Subtype models use patients past stage 0 (a stage-0 subtype carries no information); stage models and score analyses use all patients; controls only appear in Table 1.',
    `Ratios compare each subtype with subtype ${s.referenceSubtype} (numbered from 0 as in subjects.csv; the report calls it Subtype ${s.referenceSubtype + 1}); a text column's level with its first level (sorted); intervals are 95 % Wald intervals (t-based for pooled and linear-regression estimates).`,
    s.draws > 0
      ? `"most likely" estimates use each patient's most likely subtype; "pooled" estimates refit every subtype model on ${s.draws} draws of each patient's subtype from its posterior probabilities and pool them by Rubin's rules, so uncertain assignments widen the intervals.`
      : 'Only the most likely subtype was used (--draws 0: no pooling over posterior draws).',
  ];
  return { table1: t1, km, survival, counts, treatment, scores, notes };
}
