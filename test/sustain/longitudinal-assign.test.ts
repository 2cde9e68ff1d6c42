import { describe, expect, it } from 'vitest';
import { fitSustain } from '../../src/sustain/fit.js';
import { assignSubjects } from '../../src/sustain/staging.js';
import { assignSubjectsParallel } from '../../src/sustain/assign-parallel.js';
import { assignLongitudinal, type LongitudinalAssignment } from '../../src/sustain/longitudinal/assign.js';
import { consistency, majorityVote, stageAccuracy } from '../../src/sustain/longitudinal/compare.js';
import { simulateLongitudinal } from '../../src/sustain/longitudinal/simulate.js';
import { groupTable, startsOf, visitCounts } from '../../src/sustain/longitudinal/visits.js';

const light = { maxSubtypes: 2, startpoints: 2, mcmcIterations: 400, mcmcTuneIterations: 100, samplesKept: 30, threads: 1, seed: 3 };

describe('longitudinal assignment', () => {
  it('with one visit per subject is the cross-sectional assignment', async () => {
    const sim = simulateLongitudinal({ subjects: 120, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 8, visits: [1, 1], interval: 1, rate: 1 });
    const model = await fitSustain(sim.data, sim.model.thresholds, light);
    const cross = assignSubjects(model, sim.data, 2);
    const start = startsOf(new Array(120).fill(1));
    const lon = assignLongitudinal(model, sim.data, start, new Float64Array(120), 2);
    expect(Array.from(lon.mlSubtype)).toEqual(Array.from(cross.mlSubtype));
    expect(Array.from(lon.mlStage)).toEqual(Array.from(cross.mlStage));
    for (const k of ['probMlSubtype', 'probMlStage', 'probSubtype', 'probStage'] as const) {
      const a = lon[k]!;
      const b = cross[k]!;
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), k).toBeLessThan(1e-9);
    }
    expect(Array.from(lon.rate).every(Number.isNaN)).toBe(true);
  });

  it('gives the same numbers in blocks of whole subjects on threads as in one piece', async () => {
    const sim = simulateLongitudinal({ subjects: 150, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 9, visits: [2, 4], interval: 1, rate: 1 });
    const g = groupTable(sim.data, 'years');
    const model = await fitSustain(g.table, sim.model.thresholds, { ...light, longitudinal: { visits: visitCounts(g.layout.start), timeColumn: 'years' } });
    const one = assignLongitudinal(model, g.table, g.layout.start, g.layout.times, 2);
    // at most 100 rows per block: several blocks on two threads, cut between subjects
    const many = (await assignSubjectsParallel(model, g.table, 2, 2, 100, undefined, { start: g.layout.start, times: g.layout.times })) as LongitudinalAssignment;
    for (const k of ['mlSubtype', 'probMlSubtype', 'mlStage', 'probMlStage', 'probSubtype', 'probStage', 'probSubtypeStage', 'subjectOf', 'expectedStage', 'rate'] as const) {
      expect(Array.from(many[k]!), k).toEqual(Array.from(one[k]!));
    }
    // stage probabilities of every visit sum to one; the ML stage path never decreases
    const S = one.probStage!.length / one.subjects.length;
    for (let r = 0; r < one.subjects.length; r++) {
      let t = 0;
      for (let k = 0; k < S; k++) t += one.probStage![r * S + k]!;
      expect(t).toBeCloseTo(1, 12);
    }
    expect(consistency(g.layout.start, one.mlSubtype, one.mlStage)).toMatchObject({ switched: 0, backwards: 0 });
  });

  it('counts switches, backward steps and majority votes', () => {
    const start = startsOf([3, 2, 1, 2]);
    const sub = [0, 1, 1, 2, 2, 0, 1, 1];
    const stage = [1, 3, 2, 4, 4, 0, 5, 6];
    expect(consistency(start, sub, stage)).toEqual({ subjects: 3, switched: 1, backwards: 1 });
    // subject 0: 1 vote for 0, 2 for 1 -> 1; subject 3: a tie broken by the larger summed probability
    const prob = [0.9, 0.6, 0.6, 0.5, 0.5, 0.7, 0.4, 0.9];
    expect(Array.from(majorityVote(start, sub, prob, 3))).toEqual([1, 1, 1, 2, 2, 0, 1, 1]);
    expect(Array.from(majorityVote(startsOf([2]), [0, 1], [0.6, 0.9], 2))).toEqual([1, 1]);
    expect(stageAccuracy([0, 3, 9], [0, 2, 10], 9)).toEqual({ exact: 2 / 3, mae: 1 / 3 });
  });
});
