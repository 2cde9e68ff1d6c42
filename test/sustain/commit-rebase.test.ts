/**
 * Several subtypes' proposals accepted in one MCMC step while a subject took the exact path (its
 * pending total left the shifted range, so it is re-centred on commit): every subtype's row of that
 * subject must end in the same reference scale as the others.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { MixtureModel, type MixData } from '../../src/sustain/mixture.js';
import { moveEvent } from '../../src/sustain/model.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { subjectLogLikelihoodsPrepared } from '../../src/sustain/likelihood.js';
import { createModel, toSpec } from '../../src/sustain/kinds.js';
import { simulateCohort } from '../../src/sustain/simulate.js';
import type { ModelData, ProgressionModel } from '../../src/sustain/model.js';

const B = 8;

function cohort(M: number, seed: number): Float64Array {
  const rng = Rng.fromSeed(seed);
  const v = new Float64Array(M * 2 * B);
  for (let i = 0; i < v.length; i++) v[i] = Math.exp(-8 * rng.uniform());
  return v;
}

/**
 * Accept both subtypes' pending proposals as an MCMC step does, with every third subject flagged by
 * the exact path (as when its pending total under- or overflowed); returns the tables' relative
 * error against the exact log-likelihood afterwards.
 */
function acceptBoth<D extends ModelData>(mix: MixtureTables<D>, model: ProgressionModel, data: D, f: number[]): number {
  mix.logLik(f, true);
  for (let i = 0; i < mix.M; i += 3) mix.exactSubject(i, f, true);
  mix.commit(0);
  mix.commit(1);
  const seqs = mix.subs.map((st) => st.seq);
  const exact = subjectLogLikelihoodsPrepared(model, data, seqs, f).reduce((a, v) => a + v, 0);
  return Math.abs(mix.logLik(f, false) - exact) / Math.abs(exact);
}

describe('committing several subtypes in one step', () => {
  it('re-centres a subject once every accepted subtype is in place, so the tables stay exact', () => {
    const M = 30;
    const model = new MixtureModel(B);
    const data: MixData = model.prepare(cohort(M, 11), M);
    const rng = Rng.fromSeed(2);
    const mix = new MixtureTables<MixData>(model, data, [Int32Array.from(rng.permutation(B)), Int32Array.from(rng.permutation(B))]);
    const f = [0.6, 0.4];
    const work = new Int32Array(B);
    let worst = 0;
    for (let it = 0; it < 200; it++) {
      for (let s = 0; s < 2; s++) {
        work.set(mix.subs[s]!.seq);
        moveEvent(work, Math.floor(rng.uniform() * B), Math.floor(rng.uniform() * B));
        if (!mix.propose(s, work)) mix.discard(s);
      }
      worst = Math.max(worst, acceptBoth(mix, model, data, f));
    }
    expect(worst).toBeLessThan(1e-10);
  });
  it('the same for the z-score kind, whose accepted proposals swap in tables made before the re-centring', () => {
    const sim = simulateCohort({ subjects: 40, biomarkers: 4, subtypes: 2, zvals: [1, 2, 3], zmax: 5, seed: 4 });
    const model = createModel(toSpec({ zvals: sim.data.biomarkers.map(() => [1, 2, 3]), zmax: sim.data.biomarkers.map(() => 5) }));
    const M = sim.data.subjects.length;
    const data = model.prepare(sim.data.values, M);
    const N = model.nEvents;
    const rng = Rng.fromSeed(3);
    const mix = new MixtureTables<ModelData>(
      model,
      data,
      sim.model.sequences.map((q) => Int32Array.from(q)),
    );
    const f = [0.6, 0.4];
    const work = new Int32Array(N);
    const range = new Int32Array(2);
    let worst = 0;
    let moved = 0;
    for (let it = 0; it < 200; it++) {
      for (let s = 0; s < 2; s++) {
        const st = mix.subs[s]!;
        work.set(st.seq);
        const e = st.seq[Math.floor(rng.uniform() * N)]!;
        model.allowedRange(st.pos, e, range);
        const to = range[0]! + Math.floor(rng.uniform() * (range[1]! - range[0]!));
        moveEvent(work, st.pos[e]!, to);
        if (!mix.propose(s, work)) mix.discard(s);
        else moved++;
      }
      worst = Math.max(worst, acceptBoth(mix, model, data, f));
    }
    expect(moved).toBeGreaterThan(100);
    expect(worst).toBeLessThan(1e-10);
  });
});
