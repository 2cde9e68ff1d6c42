/**
 * Longitudinal SuStaIn with the event-based (mixture) kind: the engine's per-subject totals over
 * visits on the mixture model's stage tables (one-visit parity, incremental = exact), and recovery on
 * a simulated longitudinal event-based cohort fitted from raw values (Gaussian mixtures fitted as
 * `fit --kind mixture --data` fits them) against the same rows fitted cross-sectionally.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { subjectLogLikelihoodsPrepared } from '../../src/sustain/likelihood.js';
import { likelihoodTable } from '../../src/sustain/mixture-kind.js';
import { MixtureModel } from '../../src/sustain/mixture.js';
import { moveEvent } from '../../src/sustain/model.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { compareMixtureOnSimulation } from '../../src/sustain/longitudinal/evaluate.js';
import { longitudinalLogLikelihoods } from '../../src/sustain/longitudinal/likelihood.js';
import { simulateMixtureLongitudinal } from '../../src/sustain/longitudinal/simulate-mixture.js';
import { LongitudinalTables } from '../../src/sustain/longitudinal/tables.js';
import { groupTable } from '../../src/sustain/longitudinal/visits.js';

const B = 6;

function cohort(subjects: number, visits: [number, number], seed: number) {
  const sim = simulateMixtureLongitudinal({ subjects, biomarkers: B, subtypes: 2, seed, visits, interval: 1, rate: 1 });
  const g = groupTable(likelihoodTable(sim.lYes, sim.lNo), 'years');
  const model = new MixtureModel(B);
  const data = model.prepare(g.table.values, g.table.subjects.length);
  return { sim, lay: g.layout, model, data };
}

describe('longitudinal mixture likelihood', () => {
  it('with one visit per subject is the cross-sectional mixture model (to 1e-12)', () => {
    const { lay, model, data } = cohort(120, [1, 1], 3);
    expect(lay.start.length - 1).toBe(120);
    const rng = Rng.fromSeed(5);
    for (let rep = 0; rep < 3; rep++) {
      const seqs = [model.randomSequence(rng), model.randomSequence(rng)];
      const f = [0.35, 0.65];
      const cross = subjectLogLikelihoodsPrepared(model, data, seqs, f);
      const longi = longitudinalLogLikelihoods(model, data, lay.start, seqs, f);
      for (let j = 0; j < 120; j++) expect(Math.abs(longi[j]! - cross[j]!)).toBeLessThan(1e-12);
      const lt = new LongitudinalTables(model, data, seqs, lay.start);
      const mt = new MixtureTables(model, data, seqs);
      expect(Math.abs(lt.logLik(f, false) - mt.logLik(f, false))).toBeLessThan(1e-9);
    }
  });

  it('keeps the incremental tables equal to the exact likelihood through event moves', () => {
    const { lay, model, data } = cohort(100, [2, 4], 6);
    const rng = Rng.fromSeed(9);
    const seqs = [model.randomSequence(rng), model.randomSequence(rng)];
    const lt = new LongitudinalTables(model, data, seqs, lay.start);
    const f = [0.4, 0.6];
    const exact = (s: Int32Array[]) => longitudinalLogLikelihoods(model, data, lay.start, s, f).reduce((a, v) => a + v, 0);
    for (let it = 0; it < 60; it++) {
      const s = rng.int(2);
      const next = Int32Array.from(lt.subs[s]!.seq);
      moveEvent(next, rng.int(B), rng.int(B));
      lt.propose(s, next);
      const want = exact(lt.subs.map((x, q) => (q === s ? next : Int32Array.from(x.seq))));
      expect(Math.abs(lt.logLik(f) - want)).toBeLessThan(1e-8 * Math.abs(want));
      if (rng.uniform() < 0.5) lt.commit(s);
      else lt.discard(s);
    }
    expect(Math.abs(lt.logLik(f, false) - exact(lt.sequences()))).toBeLessThan(1e-8 * Math.abs(exact(lt.sequences())));
  });
});

describe('longitudinal mixture recovery on a simulated cohort', () => {
  it('from raw values: recovers subtypes and stages better than fitting the visits cross-sectionally or voting', async () => {
    const r = await compareMixtureOnSimulation(
      { subjects: 160, biomarkers: B, subtypes: 2, seed: 2, visits: [2, 4], interval: 1, rate: 1, abnormalMean: 1.5, normalSd: 0.4, abnormalSd: [0.4, 0.6] },
      'raw',
      { seed: 1, threads: 2, startpoints: 3, mcmcIterations: 400, mcmcTuneIterations: 100, samplesKept: 50 },
    );
    expect(r.ari.longitudinal).toBeGreaterThan(r.ari.cross + 0.1);
    expect(r.ari.longitudinal).toBeGreaterThan(r.ari.majority);
    expect(r.stage.longitudinal.mae).toBeLessThan(r.stage.cross.mae);
    expect(r.longitudinal).toEqual({ subjects: 120, switched: 0, backwards: 0 });
    expect(r.cross.switched).toBeGreaterThan(20);
  });
});
