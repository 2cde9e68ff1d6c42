import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { subjectLogLikelihoodsPrepared } from '../../src/sustain/likelihood.js';
import { longitudinalLogLikelihoods } from '../../src/sustain/longitudinal/likelihood.js';
import { forwardLog, logPathCount } from '../../src/sustain/longitudinal/paths.js';
import { simulateLongitudinal } from '../../src/sustain/longitudinal/simulate.js';
import { LongitudinalTables } from '../../src/sustain/longitudinal/tables.js';
import { groupVisits, reorderRows } from '../../src/sustain/longitudinal/visits.js';
import { moveEvent } from '../../src/sustain/model.js';
import { performEm } from '../../src/sustain/em.js';
import { runMcmc } from '../../src/sustain/mcmc.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { ZscoreModel } from '../../src/sustain/zscore.js';

function cohort(subjects: number, visits: [number, number], seed: number) {
  const sim = simulateLongitudinal({ subjects, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed, visits, interval: 1, rate: 1 });
  const lay = groupVisits(sim.data.subjects, sim.data.carried!['session']!, sim.data.carried!['years']!, { timeColumn: 'years' });
  const model = new ZscoreModel(sim.model.thresholds);
  const data = model.prepare(reorderRows(sim.data.values, 4, lay.order), lay.order.length);
  return { sim, lay, model, data };
}

function sum(a: Float64Array): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i]!;
  return t;
}

describe('longitudinal likelihood', () => {
  it('with one visit per subject is the cross-sectional model (to 1e-12)', () => {
    const { sim, lay, model, data } = cohort(150, [1, 1], 3);
    expect(lay.start.length - 1).toBe(150);
    const rng = Rng.fromSeed(5);
    for (let rep = 0; rep < 3; rep++) {
      const seqs = [model.randomSequence(rng), model.randomSequence(rng)];
      const f = [0.3, 0.7];
      const cross = subjectLogLikelihoodsPrepared(model, data, seqs, f);
      const longi = longitudinalLogLikelihoods(model, data, lay.start, seqs, f);
      for (let j = 0; j < 150; j++) expect(Math.abs(longi[j]! - cross[j]!)).toBeLessThan(1e-12);
      // the tables too: the same total as the cross-sectional tables
      const lt = new LongitudinalTables(model, data, seqs, lay.start);
      const mt = new MixtureTables(model, data, seqs);
      expect(Math.abs(lt.logLik(f, false) - mt.logLik(f, false))).toBeLessThan(1e-9);
    }
    expect(sim.data.carried!['session']!.every((s) => s === 'ses-1')).toBe(true);
  });

  it('is the sum over non-decreasing paths with the uniform path prior (by enumeration)', () => {
    const { model, data, lay } = cohort(20, [2, 3], 4);
    const S = model.nStages;
    const seq = model.randomSequence(Rng.fromSeed(1));
    const L = new Float64Array(data.M * S);
    const tmpl = new Float64Array(S * model.nFeatures);
    model.template(seq, tmpl);
    model.fillTable(data, tmpl, L);
    const ll = longitudinalLogLikelihoods(model, data, lay.start, [seq], [1]);
    for (let j = 0; j < 20; j++) {
      const a = lay.start[j]!;
      const V = lay.start[j + 1]! - a;
      // enumerate paths; each visit's row holds log p(x|k) + log(1/S): undo it and apply 1/#paths
      let acc = 0;
      const rec = (v: number, lo: number, lp: number) => {
        if (v === V) return void (acc += Math.exp(lp));
        for (let k = lo; k < S; k++) rec(v + 1, k, lp + L[(a + v) * S + k]! + Math.log(S));
      };
      rec(0, 0, 0);
      expect(ll[j]!).toBeCloseTo(Math.log(acc) - logPathCount(S, V), 10);
      expect(forwardLog(L, a, V, S, new Float64Array(S)) + V * Math.log(S) - logPathCount(S, V)).toBeCloseTo(ll[j]!, 12);
    }
  });

  it('keeps incremental tables equal to the exact likelihood through moves, proposals, EM and MCMC', () => {
    const { model, data, lay } = cohort(120, [2, 4], 6);
    const rng = Rng.fromSeed(9);
    const seqs = [model.randomSequence(rng), model.randomSequence(rng)];
    const lt = new LongitudinalTables(model, data, seqs, lay.start);
    const f = [0.4, 0.6];
    const exact = () => sum(longitudinalLogLikelihoods(model, data, lay.start, lt.sequences(), f));
    expect(Math.abs(lt.logLik(f, false) - exact())).toBeLessThan(1e-8);
    const work = new Int32Array(model.nEvents);
    const range = new Int32Array(2);
    for (let it = 0; it < 40; it++) {
      const s = it % 2;
      const st = lt.subs[s]!;
      work.set(st.seq);
      const e = rng.int(model.nEvents);
      model.allowedRange(st.pos, e, range);
      const to = range[0]! + rng.int(range[1]! - range[0]!);
      moveEvent(work, st.pos[e]!, to);
      if (it % 3 === 0) lt.apply(s, work);
      else {
        lt.propose(s, work);
        const pending = lt.logLik(f, true);
        if (it % 3 === 1) {
          lt.commit(s);
          expect(Math.abs(pending - exact())).toBeLessThan(1e-8);
        } else lt.discard(s);
      }
      expect(Math.abs(lt.logLik(f, false) - exact())).toBeLessThan(1e-8);
    }
    const em = performEm(lt, f, rng);
    expect(Math.abs(em.logLik - sum(longitudinalLogLikelihoods(model, data, lay.start, em.sequences, em.fractions)))).toBeLessThan(1e-8);
    const ch = runMcmc(lt, em.fractions, rng, { iterations: 300, tunePasses: 1, tuneIterations: 100, samplesKept: 10, refreshEvery: 50 });
    expect(Math.abs(ch.best.logLik - sum(longitudinalLogLikelihoods(model, data, lay.start, ch.best.sequences, ch.best.fractions)))).toBeLessThan(1e-6);
  });
});
