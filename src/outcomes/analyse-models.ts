/**
 * The model entries of outcomes.json for one outcome, time-to-event or count: subtype models
 * (unadjusted and adjusted, most likely subtype and pooled over posterior draws), stage models,
 * and the treatment analyses (subtype x treatment interaction, treatment effect within each subtype).
 */
import { patients, stagedPatients, type Cohort } from './cohort.js';
import type { DesignSpec } from './design.js';
import { pChisqUpper } from './dist.js';
import { fitModel, type Estimate, type ModelFit, type Omitted, type Outcome } from './models.js';
import { poolDraws, type PooledEstimate } from './rubin.js';
import type { CountsEntry, SurvivalEntry, TreatmentEntry } from './schema.js';

export interface ModelSettings {
  covariates: string[];
  treatment: string | null;
  reference: number;
  /** called after each refit on a posterior draw (progress) */
  onFit?: () => void;
}

type Fitted = ModelFit | { failed: string; omitted: Omitted[] };

function isFit(f: Fitted): f is ModelFit {
  return !('failed' in f);
}

/** Refits on posterior draws that these settings make (for a progress bar's total). */
export function plannedDrawFits(s: { covariates: string[]; survival: unknown[]; counts: unknown[]; draws: number }): number {
  const sets = s.covariates.length > 0 ? 2 : 1;
  return s.draws * sets * (s.survival.length + 2 * s.counts.length);
}

/** Covariate sets: unadjusted, then adjusted when covariates were given. */
function covariateSets(s: ModelSettings): string[][] {
  return s.covariates.length > 0 ? [[], s.covariates] : [[]];
}

function spec(s: ModelSettings, over: Partial<DesignSpec>): DesignSpec {
  return { subtype: true, reference: s.reference, stage: false, covariates: [], treatment: null, interaction: false, ...over };
}

const hr = (e: Estimate) => ({ term: e.term, coef: e.coef, se: e.se, hr: e.ratio, ciLow: e.ciLow, ciHigh: e.ciHigh, p: e.p });
const rr = (e: Estimate) => ({ term: e.term, coef: e.coef, se: e.se, ratio: e.ratio, ciLow: e.ciLow, ciHigh: e.ciHigh, p: e.p });
const rubinExtra = (e: PooledEstimate) => ({ dfRubin: Number.isFinite(e.dfRubin) ? e.dfRubin : null, fmi: e.fmi });

/** Refit the subtype model once per posterior draw and pool; null when there are no draws. */
function pooledFits(c: Cohort, sp: DesignSpec, rows: number[], draws: Int32Array[], o: Outcome, onFit?: () => void) {
  if (draws.length === 0) return null;
  const per: Estimate[][] = [];
  for (const d of draws) {
    const f = fitModel(c, sp, rows, d, o);
    per.push(isFit(f) ? f.estimates : []);
    onFit?.();
  }
  const { pooled, notPooled } = poolDraws(per);
  const failedDraws = per.filter((e) => e.length === 0).length;
  return {
    pooled,
    notPooled: notPooled.map((term) => ({ term, reason: 'not estimable in every draw (e.g. a drawn subtype without events)' })),
    failedDraws,
  };
}

interface Common {
  model: 'subtype' | 'stage';
  covariates: string[];
  subtypeFrom: 'most likely' | 'none';
  n: number;
  events: number;
  omitted: Omitted[];
  loglik: number | null;
  converged: boolean;
  failed?: string;
}

function common(f: Fitted, model: 'subtype' | 'stage', covariates: string[]): Common {
  const base = { model, covariates, subtypeFrom: model === 'subtype' ? ('most likely' as const) : ('none' as const) };
  if (!isFit(f)) return { ...base, n: 0, events: 0, omitted: f.omitted, loglik: null, converged: false, failed: f.failed };
  return { ...base, n: f.n, events: f.events, omitted: f.omitted, loglik: f.loglik, converged: f.converged };
}

/** Survival entries: per covariate set the subtype model, then the stage model. */
export function survivalEntries(
  c: Cohort,
  s: ModelSettings,
  outcome: { time: string; event: string },
  o: Extract<Outcome, { kind: 'survival' }>,
  logrank: SurvivalEntry['logrank'],
  draws: Int32Array[],
): SurvivalEntry[] {
  const out: SurvivalEntry[] = [];
  const staged = stagedPatients(c);
  for (const model of ['subtype', 'stage'] as const) {
    for (const covs of covariateSets(s)) {
      const sp = spec(s, model === 'subtype' ? { covariates: covs } : { subtype: false, stage: true, covariates: covs });
      const rows = model === 'subtype' ? staged : patients(c);
      const f = fitModel(c, sp, rows, c.subtype, o);
      const e: SurvivalEntry = {
        outcome: outcome.time,
        event: outcome.event,
        ...common(f, model, covs),
        logrank,
        terms: isFit(f) ? f.estimates.map(hr) : [],
        proportionalHazards: isFit(f) ? (f.zph ?? []) : [],
      };
      if (model === 'subtype') {
        const p = pooledFits(c, sp, rows, draws, o, s.onFit);
        if (p !== null) e.pooled = { subtypeFrom: 'posterior draws', draws: draws.length, terms: p.pooled.map((x) => ({ ...hr(x), ...rubinExtra(x) })), notPooled: p.notPooled };
      }
      out.push(e);
    }
  }
  return out;
}

export function countsEntries(
  c: Cohort,
  s: ModelSettings,
  outcome: { count: string; exposure: string },
  base: Omit<Extract<Outcome, { kind: 'counts' }>, 'family'>,
  draws: Int32Array[],
): CountsEntry[] {
  const out: CountsEntry[] = [];
  const staged = stagedPatients(c);
  for (const family of ['poisson', 'negbin'] as const) {
    const o: Outcome = { ...base, family };
    for (const model of ['subtype', 'stage'] as const) {
      for (const covs of covariateSets(s)) {
        const sp = spec(s, model === 'subtype' ? { covariates: covs } : { subtype: false, stage: true, covariates: covs });
        const rows = model === 'subtype' ? staged : patients(c);
        const f = fitModel(c, sp, rows, c.subtype, o);
        const e: CountsEntry = {
          outcome: outcome.count,
          exposure: outcome.exposure,
          family,
          ...common(f, model, covs),
          ...(family === 'negbin' ? { theta: isFit(f) ? (f.theta ?? null) : null, thetaSe: isFit(f) ? (f.thetaSe ?? null) : null } : {}),
          terms: isFit(f) ? f.estimates.map(rr) : [],
        };
        if (model === 'subtype') {
          const p = pooledFits(c, sp, rows, draws, o, s.onFit);
          if (p !== null) e.pooled = { subtypeFrom: 'posterior draws', draws: draws.length, terms: p.pooled.map((x) => ({ ...rr(x), ...rubinExtra(x) })), notPooled: p.notPooled };
        }
        out.push(e);
      }
    }
  }
  return out;
}

/** Subtype x treatment: the interaction model with its likelihood-ratio test, and the treatment effect within each subtype. */
export function treatmentEntry(c: Cohort, s: ModelSettings, outcome: string, o: Outcome): TreatmentEntry | null {
  if (s.treatment === null) return null;
  const staged = stagedPatients(c);
  const covs = s.covariates;
  const full = fitModel(c, spec(s, { covariates: covs, treatment: s.treatment, interaction: true }), staged, c.subtype, o);
  const reduced = fitModel(c, spec(s, { covariates: covs, treatment: s.treatment }), staged, c.subtype, o);
  let test: TreatmentEntry['interaction']['test'] = null;
  if (isFit(full) && isFit(reduced) && full.n === reduced.n && full.df > reduced.df && full.omitted.length === reduced.omitted.length) {
    const chisq = Math.max(0, 2 * (full.loglik - reduced.loglik));
    const df = full.df - reduced.df;
    test = { chisq, df, p: pChisqUpper(chisq, df) };
  }
  const interaction: TreatmentEntry['interaction'] = isFit(full)
    ? { n: full.n, terms: full.estimates.map(rr), omitted: full.omitted, test }
    : { n: 0, terms: [], omitted: full.omitted, test: null, failed: full.failed };
  const withinSubtype = Array.from({ length: c.subtypes }, (_, k) => k).map((k) => {
    const rows = staged.filter((i) => c.subtype[i] === k);
    const f = fitModel(c, spec(s, { subtype: false, covariates: covs, treatment: s.treatment }), rows, c.subtype, o);
    return isFit(f)
      ? { subtype: k, n: f.n, events: f.events, terms: f.estimates.map(rr), omitted: f.omitted }
      : { subtype: k, n: rows.length, events: 0, terms: [], omitted: f.omitted, failed: f.failed };
  });
  return {
    outcome,
    kind: o.kind,
    family: o.kind === 'survival' ? 'cox' : o.family,
    treatment: s.treatment,
    covariates: covs,
    interaction,
    withinSubtype,
  };
}
