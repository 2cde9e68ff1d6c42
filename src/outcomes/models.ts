/**
 * One regression model on the cohort: design, fit, and the rows of estimates as reported (term,
 * coef, se, ratio, 95 % Wald interval, p). Estimates that cannot exist (a subtype with no events,
 * a likelihood with no maximum) are left out and said so, never printed as a huge ratio.
 */
import type { Cohort } from './cohort.js';
import { fitCox, type CoxFit, type CoxInput } from './cox.js';
import { buildDesign, type Design, type DesignSpec } from './design.js';
import { pNormTwoSided, qNorm } from './dist.js';
import { fitNegBin, fitPoisson, type GlmFit } from './glm.js';
import { coxZph, type ZphRow } from './zph.js';

export interface Estimate {
  term: string;
  coef: number;
  se: number;
  /** exp(coef): hazard ratio (Cox) or rate ratio (counts) */
  ratio: number;
  ciLow: number;
  ciHigh: number;
  p: number;
}

export interface Omitted {
  term: string;
  reason: string;
}

export interface ModelFit {
  n: number;
  /** events (Cox) or total count (count models) */
  events: number;
  estimates: Estimate[];
  omitted: Omitted[];
  loglik: number;
  converged: boolean;
  /** degrees of freedom (estimated coefficients) */
  df: number;
  theta?: number;
  thetaSe?: number;
  zph?: ZphRow[];
}

export type Outcome = { kind: 'survival'; time: Float64Array; event: Uint8Array } | { kind: 'counts'; count: Float64Array; exposure: Float64Array; family: 'poisson' | 'negbin' };

const Z975 = qNorm(0.975);
/** |log ratio| beyond this is a likelihood running off to infinity, not an estimate (e^15 = 3.3 million). */
const RUNAWAY = 15;

export function estimate(term: string, coef: number, se: number): Estimate {
  return { term, coef, se, ratio: Math.exp(coef), ciLow: Math.exp(coef - Z975 * se), ciHigh: Math.exp(coef + Z975 * se), p: pNormTwoSided(coef / se) };
}

function outcomeOk(o: Outcome, i: number): boolean {
  return o.kind === 'survival' ? !Number.isNaN(o.time[i]!) && o.event[i] !== 255 : !Number.isNaN(o.count[i]!) && !Number.isNaN(o.exposure[i]!);
}

function eventsOf(o: Outcome, i: number): number {
  return o.kind === 'survival' ? o.event[i]! : o.count[i]!;
}

/** Fit one model; `subtypeOf` is the subtype used for each subject (most likely or drawn). */
export function fitModel(c: Cohort, spec: DesignSpec, baseRows: readonly number[], subtypeOf: Int32Array, o: Outcome): ModelFit | { failed: string; omitted: Omitted[] } {
  const what = o.kind === 'survival' ? 'events' : 'counts';
  let rows = baseRows.filter((i) => outcomeOk(o, i));
  const omitted: Omitted[] = [];
  if (spec.subtype) {
    const per = new Map<number, number>();
    for (const i of rows) per.set(subtypeOf[i]!, (per.get(subtypeOf[i]!) ?? 0) + eventsOf(o, i));
    if (per.has(spec.reference) && per.get(spec.reference) === 0) {
      return { failed: `the reference subtype ${spec.reference} has no ${what}: ratios against it cannot be estimated (choose another reference subtype)`, omitted };
    }
    for (const [k, e] of [...per].sort((a, b) => a[0] - b[0])) {
      if (e > 0 || k === spec.reference) continue;
      omitted.push({ term: `subtype${k}`, reason: `no ${what} in subtype ${k}: its ratio cannot be estimated, so its subjects are left out of this model` });
      rows = rows.filter((i) => subtypeOf[i] !== k);
    }
  }
  // A group without events (a level, an interaction cell) has a coefficient of minus infinity; in that
  // limit its subjects weigh nothing, so the model equals the one without them and without the term.
  let design = buildDesign(c, spec, rows, subtypeOf, o.kind === 'counts', o.kind === 'survival');
  for (let j = emptyIndicator(design, o); j >= 0; j = emptyIndicator(design, o)) {
    const col = design.cols[j]!;
    omitted.push({ term: design.names[j]!, reason: `no ${what} among the subjects with ${design.names[j]}: not estimable, so they are left out of this model` });
    design = buildDesign(
      c,
      spec,
      design.rows.filter((_, q) => col[q] === 0),
      subtypeOf,
      o.kind === 'counts',
      o.kind === 'survival',
    );
  }
  // A term already left out for want of events is also constant now: name it once.
  omitted.push(...design.dropped.filter((d) => !omitted.some((o) => o.term === d.term)));
  const n = design.rows.length;
  let events = 0;
  for (const i of design.rows) events += eventsOf(o, i);
  if (n === 0) return { failed: 'no subject has every value this model needs', omitted };
  if (events === 0) return { failed: `no ${what} among the ${n} subjects of this model`, omitted };
  return o.kind === 'survival' ? coxModel(design, o, n, events, omitted) : countModel(design, o, n, events, omitted);
}

/** Index of a 0/1 column whose subjects with 1 have no events (-1 if none). */
function emptyIndicator(d: Design, o: Outcome): number {
  return d.cols.findIndex((col, j) => {
    if (d.names[j] === '(Intercept)') return false;
    let ones = 0;
    let events = 0;
    for (let q = 0; q < col.length; q++) {
      if (col[q] !== 0 && col[q] !== 1) return false;
      if (col[q] === 1) {
        ones++;
        events += eventsOf(o, d.rows[q]!);
      }
    }
    return ones > 0 && events === 0;
  });
}

/** Estimates from coefficients, leaving out (and naming) the ones that ran off to infinity. */
function collect(names: string[], coef: Float64Array, se: Float64Array, omitted: Omitted[]): Estimate[] {
  const out: Estimate[] = [];
  names.forEach((nm, j) => {
    if (nm === '(Intercept)') return;
    if (!(Math.abs(coef[j]!) < RUNAWAY) || !Number.isFinite(se[j]!))
      omitted.push({ term: nm, reason: 'not estimable: the likelihood has no maximum (a group without events, or complete separation)' });
    else out.push(estimate(nm, coef[j]!, se[j]!));
  });
  return out;
}

function coxModel(d: Design, o: Extract<Outcome, { kind: 'survival' }>, n: number, events: number, omitted: Omitted[]): ModelFit | { failed: string; omitted: Omitted[] } {
  const inp: CoxInput = { time: Float64Array.from(d.rows, (i) => o.time[i]!), event: Uint8Array.from(d.rows, (i) => o.event[i]!), x: d.cols };
  const fit: CoxFit | null = fitCox(inp);
  if (fit === null) return { failed: 'the model cannot be fitted (singular information matrix)', omitted };
  const estimates = collect(d.names, fit.coef, fit.se, omitted);
  const runaway = estimates.length < d.names.length;
  return {
    n,
    events,
    estimates,
    omitted,
    loglik: fit.loglik,
    converged: fit.converged,
    df: d.names.length,
    ...(d.names.length > 0 && !runaway ? { zph: coxZph(inp, fit, d.groups) } : {}),
  };
}

function countModel(d: Design, o: Extract<Outcome, { kind: 'counts' }>, n: number, events: number, omitted: Omitted[]): ModelFit | { failed: string; omitted: Omitted[] } {
  const inp = { y: Float64Array.from(d.rows, (i) => o.count[i]!), offset: Float64Array.from(d.rows, (i) => Math.log(o.exposure[i]!)), x: d.cols };
  const fit: GlmFit | null = o.family === 'poisson' ? fitPoisson(inp) : fitNegBin(inp);
  if (fit === null) {
    return {
      failed:
        o.family === 'negbin'
          ? 'the negative-binomial model cannot be fitted (no overdispersion: theta runs to infinity; the Poisson model applies)'
          : 'the model cannot be fitted (singular design)',
      omitted,
    };
  }
  const estimates = collect(d.names, fit.coef, fit.se, omitted);
  return {
    n,
    events,
    estimates,
    omitted,
    loglik: fit.loglik,
    converged: fit.converged,
    df: d.names.length + (o.family === 'negbin' ? 1 : 0),
    ...(fit.theta !== undefined ? { theta: fit.theta, thetaSe: fit.thetaSe! } : {}),
  };
}
