/**
 * One simulated longitudinal cohort fitted twice, as visits (cross-sectional) and as subjects with
 * visits (longitudinal): subtype recovery (ARI over visits), stage accuracy, and the consistency of
 * each assignment. For the recovery test and bench/longitudinal.ts.
 */
import { adjustedRandIndex } from '../../cv/ari.js';
import { fitSustain, type FitOptions } from '../fit.js';
import { assignSubjects } from '../staging.js';
import type { ZTable } from '../types.js';
import { assignLongitudinal } from './assign.js';
import { consistency, majorityVote, stageAccuracy, type Consistency } from './compare.js';
import { simulateLongitudinal, type LongitudinalSimulateOptions } from './simulate.js';
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

export async function compareOnSimulation(sim: LongitudinalSimulateOptions, fit: Partial<FitOptions> & { seed: number }): Promise<Comparison> {
  const c = simulateLongitudinal(sim);
  const g = groupTable(c.data, sim.timeColumn ?? 'years');
  const { order, start, times } = g.layout;
  const data: ZTable = { subjects: g.table.subjects, biomarkers: g.table.biomarkers, values: g.table.values };
  const K = sim.subtypes;
  const N = c.model.events.length;
  const trueSubtype = Array.from(order, (r) => c.truth.subtype[r]!);
  const trueStage = Array.from(order, (r) => c.truth.stage[r]!);
  const opts = { ...fit, maxSubtypes: K };
  let t0 = performance.now();
  const mc = await fitSustain(data, c.model.thresholds, opts);
  const tc = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const ml = await fitSustain(data, c.model.thresholds, { ...opts, longitudinal: { visits: visitCounts(start), timeColumn: 'years' } });
  const tl = (performance.now() - t0) / 1000;
  const ac = assignSubjects(mc, data, K);
  const al = assignLongitudinal(ml, data, start, times, K);
  const maj = majorityVote(start, ac.mlSubtype, ac.probMlSubtype, K);
  const patient: number[] = [];
  for (let g = 0; g < order.length; g++) if (c.truth.rate[order[g]!]! > 0) patient.push(g);
  const on = (x: ArrayLike<number>) => patient.map((g) => x[g]!);
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
