import { describe, expect, it } from 'vitest';
import { laggingChains, LAG_UNITS } from '../../src/sustain/chain-lag.js';
import { convergenceMessage, modelConvergenceWarnings } from '../../src/sustain/chains.js';
import { Rng } from '../../src/common/rng.js';

/** Kept samples of chains with the given mean log-likelihoods and spread (250 each, chains one after the other). */
function kept(means: number[], sd: number, seed = 1): { logLikelihood: number[]; chain: number[] } {
  const rng = Rng.fromSeed(seed);
  const logLikelihood: number[] = [];
  const chain: number[] = [];
  means.forEach((m, c) => {
    for (let i = 0; i < 250; i++) {
      logLikelihood.push(m + sd * (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * 2);
      chain.push(c);
    }
  });
  return { logLikelihood, chain };
}

const conv = { warnings: ['R-hat of the log-likelihood is 1.550 (> 1.01)'], logLikelihood: { rhat: 1.55, essBulk: 30, essTail: 20 }, mlSequencesAgree: true };

describe('chains that stay below the others', () => {
  it('finds a chain in a lower mode, not chains that only wander or differ a little', () => {
    // the paper-scale case: one dispersed chain 181 units below the others
    const stuck = kept([-146371, -146371.5, -146552, -146371.2], 2);
    const lags = laggingChains(stuck.logLikelihood, stuck.chain);
    expect(lags.map((l) => l.chain)).toEqual([2]);
    expect(lags[0]!.gap).toBeGreaterThan(179);
    expect(lags[0]!.gap).toBeLessThan(182);
    // two lagging chains, largest gap first
    expect(laggingChains(...args(kept([-100, -110, -100, -130], 1))).map((l) => l.chain)).toEqual([3, 1]);
    // below the unit limit
    expect(laggingChains(...args(kept([-100, -100 - (LAG_UNITS - 1), -100, -100], 0.1)))).toEqual([]);
    // 5 units apart but each chain wanders by 10: slow mixing, not a separate mode
    expect(laggingChains(...args(kept([-100, -105, -100, -100], 10)))).toEqual([]);
    // one chain, or no chain numbers: nothing to compare
    expect(laggingChains([1, 2, 3], [0, 0, 0])).toEqual([]);
  });

  it('the convergence message names the lagging chain and its gap when the samples are given', () => {
    const stuck = kept([-146371, -146371.5, -146552, -146371.2], 2);
    const msg = convergenceMessage(1, conv, 100000, stuck)!;
    expect(msg).toMatch(/chain 2 \(18\d\.\d units\) of samples\.chain in model\.json stayed below the best chain's mean log-likelihood: a lower mode/);
    expect(convergenceMessage(1, conv, 100000)).not.toMatch(/lower mode/);
    expect(convergenceMessage(1, conv, 100000, kept([-100, -100.2, -100.1, -100], 1))).not.toMatch(/lower mode/);
    // fit's and run's warnings read the samples from the model
    const [w] = modelConvergenceWarnings({ fits: [{ subtypes: 1, diagnostics: { convergence: conv, mcmcIterations: 100000 }, samples: stuck }] });
    expect(w).toMatch(/chain 2 \(/);
  });
});

function args(k: { logLikelihood: number[]; chain: number[] }): [number[], number[]] {
  return [k.logLikelihood, k.chain];
}
