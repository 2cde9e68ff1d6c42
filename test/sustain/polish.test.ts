import { describe, expect, it } from 'vitest';
import { fitSustain, simulateCohort } from '../../src/sustain/index.js';
import { polishMoves } from '../../src/sustain/polish.js';
import { stringifyModel } from '../../src/io/modelfile.js';

describe("polish of each K's EM optimum", () => {
  // one start point ends in a local optimum on this cohort (K = 1: -3318.68; polished: -3308.37)
  const sim = simulateCohort({ subjects: 300, biomarkers: 6, subtypes: 2, zvals: [1, 2, 3], zmax: 5, seed: 3 });
  const th = { zvals: sim.data.biomarkers.map(() => [1, 2, 3]), zmax: sim.data.biomarkers.map(() => 5) };
  const opts = { seed: 1, maxSubtypes: 1, startpoints: 1, mcmcIterations: 0 };

  it('climbs out of a one-start-point local optimum (by default), the same with 1 and 2 threads, and --polish 0 fits as before', async () => {
    const plain = await fitSustain(sim.data, th, { ...opts, polish: 0, threads: 1 });
    const one = await fitSustain(sim.data, th, { ...opts, polish: 3, threads: 1 });
    const two = await fitSustain(sim.data, th, { ...opts, polish: 3, threads: 2, inProcessSeconds: 0 });
    const em = (m: typeof plain) => m.fits[0]!.diagnostics!['emLogLikelihood'] as number;
    expect(em(one)).toBeGreaterThan(em(plain) + 1);
    // the model's log-likelihood is that of the polished sequence
    expect(one.fits[0]!.logLikelihood).toBeCloseTo(em(one), 6);
    expect(one.settings['polish']).toBe(3);
    expect(plain.settings['polish']).toBeUndefined();
    // the default polishes (4 runs per round)
    const dflt = await fitSustain(sim.data, th, { ...opts, threads: 1 });
    expect(dflt.settings['polish']).toBe(4);
    expect(em(dflt)).toBeGreaterThan(em(plain) + 1);
    expect(stringifyModel(two)).toBe(stringifyModel(one));
    // the start points' own optima are kept as they were
    expect(one.fits[0]!.diagnostics!['emStartPointLogLikelihoods']).toEqual(plain.fits[0]!.diagnostics!['emStartPointLogLikelihoods']);
  });

  it('perturbs by an eighth of the events, at least 2', () => {
    expect(polishMoves(6)).toBe(2);
    expect(polishMoves(30)).toBe(4);
    expect(polishMoves(34)).toBe(5);
  });
});
