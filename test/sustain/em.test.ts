import { describe, expect, it } from 'vitest';
import { emSweep, performEm } from '../../src/sustain/em.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { ZscoreModel } from '../../src/sustain/zscore.js';
import { moveEvent } from '../../src/sustain/model.js';
import { logLikelihood, simulateCohort } from '../../src/sustain/index.js';
import { Rng } from '../../src/common/rng.js';

/**
 * EM against brute force. The engine tries an event's positions as a walk with snapshots and
 * restores (em.ts); here every allowed position is scored from scratch with the exact reference
 * likelihood (likelihood.ts) and the first maximum kept. One subtype, so the fractions stay [1].
 */
describe('EM: one event at a time equals brute force over its allowed positions', () => {
  const sim = simulateCohort({ subjects: 150, biomarkers: 4, subtypes: 1, zvals: [1, 2, 3], zmax: 5, seed: 9, controlFraction: 0.1 });
  const th = sim.model.thresholds;
  const model = new ZscoreModel(th);
  const N = model.nEvents;
  const exact = (seq: Int32Array) => logLikelihood(sim.data, th, [Array.from(seq)], [1]);

  /** The positions event e may take: between its biomarker's neighbouring thresholds (as allowedRange). */
  function allowed(seq: Int32Array, e: number): [number, number] {
    const pos = new Int32Array(N);
    seq.forEach((ev, p) => (pos[ev] = p));
    const out = new Int32Array(2);
    model.allowedRange(pos, e, out);
    return [out[0]!, out[1]!];
  }

  /** A sweep done by hand: same event order (same random stream), every position scored exactly. */
  function bruteSweep(start: Int32Array, rng: Rng): Int32Array {
    const seq = Int32Array.from(start);
    rng.permutation(1);
    const order = rng.permutation(N);
    for (const e of order) {
      const [lo, hi] = allowed(seq, e);
      const from = seq.indexOf(e);
      let best = -Infinity;
      let bestSeq = seq;
      for (let p = lo; p < hi; p++) {
        const cand = Int32Array.from(seq);
        moveEvent(cand, from, p);
        const ll = exact(cand);
        if (ll > best + 1e-9) {
          best = ll;
          bestSeq = cand;
        }
      }
      seq.set(bestSeq);
    }
    return seq;
  }

  it('a sweep lands where brute force does, and its log-likelihood is the exact one', () => {
    const data = model.prepare(sim.data.values, sim.data.subjects.length);
    for (const seed of [1, 2, 3]) {
      const start = model.randomSequence(Rng.fromSeed(100 + seed));
      const mix = new MixtureTables(model, data, [Int32Array.from(start)]);
      const ll = emSweep(mix, Float64Array.from([1]), Rng.fromSeed(seed));
      const got = mix.sequences()[0]!;
      const want = bruteSweep(start, Rng.fromSeed(seed));
      expect(Array.from(got), `seed ${seed}`).toEqual(Array.from(want));
      expect(ll).toBeCloseTo(exact(got), 8);
      // a walk that restored a snapshot must leave the tables equal to a fresh build of the result
      const fresh = new MixtureTables(model, data, [Int32Array.from(got)]);
      expect(mix.logLik([1], false)).toBeCloseTo(fresh.logLik([1], false), 9);
    }
  });

  it('EM ends at a point no single event move improves, and never goes down', () => {
    const data = model.prepare(sim.data.values, sim.data.subjects.length);
    const start = model.randomSequence(Rng.fromSeed(7));
    const mix = new MixtureTables(model, data, [Int32Array.from(start)]);
    const seen: number[] = [exact(start)];
    const r = performEm(mix, [1], Rng.fromSeed(7), { maxIterations: 100, tolerance: 1e-12 }, (ll) => seen.push(ll));
    for (let q = 1; q < seen.length; q++) expect(seen[q]!).toBeGreaterThan(seen[q - 1]!);
    const end = r.sequences[0]!;
    expect(r.logLik).toBeCloseTo(exact(end), 8);
    for (let e = 0; e < N; e++) {
      const [lo, hi] = allowed(end, e);
      for (let p = lo; p < hi; p++) {
        const cand = Int32Array.from(end);
        moveEvent(cand, end.indexOf(e), p);
        expect(exact(cand)).toBeLessThanOrEqual(r.logLik + 1e-7);
      }
    }
  });
});
