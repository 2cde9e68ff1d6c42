import { describe, it, expect } from 'vitest';
import { simulateCohort } from '../../src/sustain/index.js';
import { runCrossValidation } from '../../src/cv/run.js';
import { matchSequences } from '../../src/cv/matching.js';
import type { CvResult } from '../../src/cv/types.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The evidence of the issue: on simulated cohorts with 1, 2 and 3 true subtypes, CV with light
 * settings (5 folds, 5 start points, 2,000 MCMC iterations; short tuning passes and 200 kept samples
 * to stay fast) recommends the true number. 150 subjects, 6 biomarkers with one event each (z = 2).
 */
const light = { folds: 5, startpoints: 5, mcmcIterations: 2000, mcmcTuneIterations: 500, samplesKept: 200, seed: 1, jobs: 2, quiet: true };

async function cvOn(trueK: number, maxSubtypes: number): Promise<{ res: CvResult; truth: number[][] }> {
  const sim = simulateCohort({ subjects: 150, biomarkers: 6, subtypes: trueK, zvals: [2], zmax: 5, seed: 12 });
  const dir = tempDir(`cv-sim${trueK}-`);
  const r = await runCrossValidation(sim.data, sim.model.thresholds, dir, { ...light, maxSubtypes });
  return { res: r.result!, truth: sim.model.sequences };
}

function checkPositionalVariance(res: CvResult): void {
  for (const [key, pv] of Object.entries(res.positionalVariance!)) {
    expect(pv.length).toBe(Number(key));
    for (const sub of pv) {
      // every event is somewhere, every position holds one event
      for (const row of sub) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
      for (let p = 0; p < sub.length; p++) expect(sub.reduce((s, row) => s + row[p]!, 0)).toBeCloseTo(1, 9);
    }
  }
}

describe('cv recommends the true number of subtypes on simulated cohorts', () => {
  it('1 true subtype -> 1 (does not over-split)', async () => {
    const { res } = await cvOn(1, 2);
    expect(res.recommendedSubtypes).toBe(1);
    expect(res.rule).toMatch(/^Recommended 1 subtype:/);
    expect(res.comparisons![0]!.notMeaningfullyWorse).toBe(true);
    checkPositionalVariance(res);
  });

  it('2 true subtypes -> 2, with stable assignments and cross-validated sequences like the truth', async () => {
    const { res, truth } = await cvOn(2, 3);
    expect(res.recommendedSubtypes).toBe(2);
    // 1 subtype is clearly worse: beyond the margin (one SE, or the minimum gain).
    expect(res.comparisons![0]!.meanDifference).toBeGreaterThan(res.comparisons![0]!.margin);
    expect(res.table[1]!.stabilityMean!).toBeGreaterThan(0.6);
    // Folds' subtypes match the full model's, and the full model's sequences match the truth.
    for (const taus of res.matchingTau!['2']!) for (const t of taus) expect(t).toBeGreaterThan(0.5);
    const m = matchSequences(res.fullModelSequences!['2']!, truth);
    for (const t of m.tau) expect(t).toBeGreaterThan(0.5);
    // CVIC is -2 x the summed log of mean likelihoods: within Jensen's bound of -2 x the summed mean log-likelihoods.
    for (const row of res.table) expect(row.cvic).toBeLessThanOrEqual(-2 * row.testLogLikelihoodPerFold.reduce((s, v) => s + v, 0) + 1e-6);
    checkPositionalVariance(res);
  });

  it('3 true subtypes -> 3', async () => {
    const { res } = await cvOn(3, 3);
    expect(res.recommendedSubtypes).toBe(3);
    expect(res.comparisons![1]!.notMeaningfullyWorse).toBe(false);
    checkPositionalVariance(res);
  });
});
