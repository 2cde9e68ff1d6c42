/**
 * One simulated longitudinal cohort fitted twice, as visits (cross-sectional) and as subjects with
 * visits (longitudinal): subtype recovery (ARI over visits), stage accuracy, and the consistency of
 * each assignment. For the recovery tests and bench/longitudinal.ts; z-score cohorts
 * (compareOnSimulation) and event-based (mixture) cohorts (compareMixtureOnSimulation).
 */
import { adjustedRandIndex } from '../../cv/ari.js';
import { fitSustain, type FitOptions } from '../fit.js';
import type { ModelSpec } from '../kinds.js';
import { fitMixtures } from '../mixture-fit.js';
import { likelihoodTable } from '../mixture-kind.js';
import { assignSubjects } from '../staging.js';
import type { ZTable } from '../types.js';
import { assignLongitudinal } from './assign.js';
import { consistency, majorityVote, stageAccuracy, type Consistency } from './compare.js';
import { simulateLongitudinal, type LongitudinalSimulateOptions } from './simulate.js';
import { simulateMixtureLongitudinal, type MixtureLongitudinalOptions } from './simulate-mixture.js';
import { groupTable, visitCounts } from './visits.js';

export interface Comparison {
  subjects: number;
  visits: number;
  ari: { cross: number; majority: number; longitudinal: number };
  /** the same over patients' visits only (the simulation's controls stay at stage 0: their subtype has no effect on their data) */
  ariPatients: { cross: number; majority: number; longitudinal: number };
  stage: { cross: { exact: number; mae: number }; longitudinal: { exact: number; mae: number } };
  cross: Consistency;
  longitudinal: Consistency;
  seconds: { cross: number; longitudinal: number };
}

type FitSettings = Partial<FitOptions> & { seed: number };

/** A cohort (visits in any order, carried session and years) with per-row truth, fitted both ways. */
async function compareFits(
  table: ZTable,
  spec: ModelSpec,
  truth: { subtype: ArrayLike<number>; stage: ArrayLike<number>; rate: ArrayLike<number> },
  K: number,
  N: number,
  fit: FitSettings,
): Promise<Comparison> {
  const g = groupTable(table, 'years');
  const { order, start, times } = g.layout;
  const data: ZTable = { subjects: g.table.subjects, biomarkers: g.table.biomarkers, values: g.table.values };
  const trueSubtype = Array.from(order, (r) => truth.subtype[r]!);
  const trueStage = Array.from(order, (r) => truth.stage[r]!);
  const opts = { ...fit, maxSubtypes: K };
  let t0 = performance.now();
  const mc = await fitSustain(data, spec, opts);
  const tc = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const ml = await fitSustain(data, spec, { ...opts, longitudinal: { visits: visitCounts(start), timeColumn: 'years' } });
  const tl = (performance.now() - t0) / 1000;
  const ac = assignSubjects(mc, data, K);
  const al = assignLongitudinal(ml, data, start, times, K);
  const maj = majorityVote(start, ac.mlSubtype, ac.probMlSubtype, K);
  const patient: number[] = [];
  for (let q = 0; q < order.length; q++) if (truth.rate[order[q]!]! > 0) patient.push(q);
  const on = (x: ArrayLike<number>) => patient.map((q) => x[q]!);
  return {
    subjects: start.length - 1,
    visits: order.length,
    ari: {
      cross: adjustedRandIndex(trueSubtype, ac.mlSubtype),
      majority: adjustedRandIndex(trueSubtype, maj),
      longitudinal: adjustedRandIndex(trueSubtype, al.mlSubtype),
    },
    ariPatients: {
      cross: adjustedRandIndex(on(trueSubtype), on(ac.mlSubtype)),
      majority: adjustedRandIndex(on(trueSubtype), on(maj)),
      longitudinal: adjustedRandIndex(on(trueSubtype), on(al.mlSubtype)),
    },
    stage: { cross: stageAccuracy(ac.mlStage, trueStage, N), longitudinal: stageAccuracy(al.mlStage, trueStage, N) },
    cross: consistency(start, ac.mlSubtype, ac.mlStage),
    longitudinal: consistency(start, al.mlSubtype, al.mlStage),
    seconds: { cross: tc, longitudinal: tl },
  };
}

export async function compareOnSimulation(sim: LongitudinalSimulateOptions, fit: FitSettings): Promise<Comparison> {
  const c = simulateLongitudinal({ ...sim, timeColumn: 'years' });
  return compareFits(c.data, { kind: 'zscore', ...c.model.thresholds }, c.truth, sim.subtypes, c.model.events.length, fit);
}

/**
 * An event-based cohort: fitted on the patients' rows, from the true L_yes / L_no (`input:
 * 'likelihoods'`) or from raw values with Gaussian mixtures fitted as `fit --kind mixture --data`
 * fits them (every visit of every subject, controls marking the normal component).
 */
export async function compareMixtureOnSimulation(sim: MixtureLongitudinalOptions, input: 'likelihoods' | 'raw', fit: FitSettings): Promise<Comparison> {
  const c = simulateMixtureLongitudinal({ ...sim, timeColumn: 'years' });
  const B = c.biomarkers.length;
  const isControl = Uint8Array.from(c.data.carried!['group']!, (g) => (g === 'HC' ? 1 : 0));
  const keep: number[] = [];
  isControl.forEach((ctrl, i) => ctrl === 0 && keep.push(i));
  const spec: ModelSpec =
    input === 'raw'
      ? { kind: 'mixture', nBiomarkers: B, input: 'raw', mixtures: fitMixtures(c.biomarkers, c.data.values, isControl, 'gmm') }
      : { kind: 'mixture', nBiomarkers: B, input: 'likelihoods' };
  const table = rowsOf(input === 'raw' ? c.data : likelihoodTable(c.lYes, c.lNo), keep);
  const truth = { subtype: keep.map((i) => c.truth.subtype[i]!), stage: keep.map((i) => c.truth.stage[i]!), rate: keep.map((i) => c.truth.rate[i]!) };
  return compareFits(table, spec, truth, sim.subtypes, B, fit);
}

/** The rows `keep` of a table, carried columns included. */
function rowsOf(t: ZTable, keep: readonly number[]): ZTable {
  const w = t.biomarkers.length;
  const values = new Float64Array(keep.length * w);
  keep.forEach((i, r) => values.set(t.values.subarray(i * w, i * w + w), r * w));
  const out: ZTable = { subjects: keep.map((i) => t.subjects[i]!), biomarkers: t.biomarkers, values };
  if (t.carried) out.carried = Object.fromEntries(Object.entries(t.carried).map(([k, v]) => [k, keep.map((i) => v[i]!)]));
  return out;
}
