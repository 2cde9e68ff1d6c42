import { describe, expect, it } from 'vitest';
import { runChain, runMcmc, thinIndices } from '../../src/sustain/mcmc.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { ZscoreModel } from '../../src/sustain/zscore.js';
import { logLikelihood, simulateCohort } from '../../src/sustain/index.js';
import { Rng } from '../../src/common/rng.js';

describe('MCMC thinning', () => {
  it('keeps samples evenly spread from the first iteration to the last', () => {
    expect(thinIndices(10, 4)).toEqual([0, 3, 6, 9]);
    expect(thinIndices(5, 10)).toEqual([0, 1, 2, 3, 4]); // more wanted than iterations: all of them
    expect(thinIndices(7, 1)).toEqual([0]);
    for (const [n, k] of [
      [100_000, 1000],
      [1234, 77],
      [50, 49],
    ] as const) {
      const idx = thinIndices(n, k);
      expect(idx.length).toBe(k);
      expect(idx[0]).toBe(0);
      expect(idx.at(-1)).toBe(n - 1);
      const gaps = idx.slice(1).map((v, i) => v - idx[i]!);
      // every gap is floor or ceil of the even spacing: nothing bunched, nothing repeated
      const step = (n - 1) / (k - 1);
      expect(gaps.every((g) => g >= Math.floor(step) && g <= Math.ceil(step) && g > 0)).toBe(true);
    }
  });
});

describe('MCMC with one subtype', () => {
  const sim = simulateCohort({ subjects: 120, biomarkers: 3, subtypes: 1, zvals: [1, 2], zmax: 4, seed: 12 });
  const th = sim.model.thresholds;
  const model = new ZscoreModel(th);
  const data = model.prepare(sim.data.values, sim.data.subjects.length);
  const start = model.randomSequence(Rng.fromSeed(3));

  it('keeps the fractions at [1], samples valid orderings with their exact log-likelihood', () => {
    const mix = new MixtureTables(model, data, [Int32Array.from(start)]);
    const r = runMcmc(mix, [1], Rng.fromSeed(5), { iterations: 3000, tunePasses: 2, tuneIterations: 300, samplesKept: 50, refreshEvery: 500 });
    expect(r.sequences.length).toBe(50);
    expect(r.fractions.every((f) => f.length === 1 && f[0] === 1)).toBe(true);
    expect(r.acceptance).toBeGreaterThanOrEqual(0);
    expect(r.acceptance).toBeLessThanOrEqual(1);
    r.sequences.forEach((smp, j) => {
      expect([...smp[0]!].sort((a, b) => a - b)).toEqual(Array.from({ length: model.nEvents }, (_, e) => e));
      expect(r.logLik[j]!).toBeCloseTo(logLikelihood(sim.data, th, smp, [1]), 7);
    });
    // the best model seen is at least as good as every kept sample
    expect(Math.max(...r.logLik)).toBeLessThanOrEqual(r.best.logLik + 1e-9);
  });

  it('is reproducible from the seed and differs with another', () => {
    const mix = new MixtureTables(model, data, [Int32Array.from(start)]);
    const run = (seed: number) => runChain(mix, [1], 800, 1, 0.01, Rng.fromSeed(seed), 20, 500);
    expect(run(8).sequences).toEqual(run(8).sequences);
    // a chain's first sample is where it started, and it leaves the tables there
    expect(run(8).sequences[0]![0]).toEqual(Array.from(start));
    expect(Array.from(mix.sequences()[0]!)).toEqual(Array.from(start));
    // untuned (sigma 1 position) from a random start, some moves are taken
    expect(run(8).acceptance).toBeGreaterThan(0);
    expect(run(8).sequences).not.toEqual(run(9).sequences);
  });
});
