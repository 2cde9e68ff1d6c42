import { describe, expect, it } from 'vitest';
import { alignChains, chainDiagnostics, convergenceMessage, convergenceWarnings, permuteChain, poolChains, type ChainSamples } from '../../src/sustain/chains.js';
import { Rng } from '../../src/common/rng.js';

const A = [0, 1, 2, 3, 4, 5];
const B = [5, 4, 3, 2, 1, 0];

/** A two-subtype chain of n kept samples: AR(1) log-likelihood around `level`, fractions around f0. */
function chain(seed: number, n: number, level: number, f0: number, phi = 0.2): ChainSamples {
  const rng = Rng.fromSeed(seed);
  let x = 0;
  const out: ChainSamples = { sequences: [], fractions: [], logLik: [], acceptance: 0.3, best: { sequences: [A, B], fractions: [f0, 1 - f0], logLik: level } };
  for (let i = 0; i < n; i++) {
    x = phi * x + rng.normal();
    const f = Math.min(0.99, Math.max(0.01, f0 + 0.02 * x));
    out.sequences.push(i % 7 === 0 ? [[1, 0, 2, 3, 4, 5], B] : [A, B]);
    out.fractions.push([f, 1 - f]);
    out.logLik.push(level + x);
  }
  return out;
}

describe('MCMC chains: alignment, pooling, diagnostics', () => {
  it('aligns a chain whose subtypes come in another order', () => {
    const c0 = chain(1, 300, -100, 0.6);
    const c1 = permuteChain(chain(2, 300, -100, 0.6), [1, 0]);
    expect(c1.best.sequences[0]).toEqual(B);
    const [a0, a1] = alignChains([c0, c1]);
    expect(a0).toBe(c0);
    expect(a1!.best.sequences).toEqual([A, B]);
    expect(a1!.fractions[5]![0]).toBeGreaterThan(0.5);
    const d = chainDiagnostics([a0!, a1!], 6);
    expect(d.mlSequencesAgree).toBe(true);
    expect(d.warnings).toEqual([]);
    // unaligned, the fraction chains disagree badly
    expect(chainDiagnostics([c0, c1], 6).fractions[0]!.rhat!).toBeGreaterThan(1.5);
  });

  it('pools samples chain after chain, with the chain of each', () => {
    const p = poolChains([chain(1, 4, 0, 0.5), chain(2, 4, 0, 0.5), chain(3, 4, 0, 0.5)]);
    expect(p.chain).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(p.logLikelihood).toHaveLength(12);
    expect(p.sequences).toHaveLength(12);
  });

  it('warns when chains sit in different places or mix slowly, not when they agree', () => {
    const good = [1, 2, 3, 4].map((s) => chain(s, 250, -50, 0.5));
    expect(chainDiagnostics(good, 6).warnings).toEqual([]);
    const stuck = [chain(1, 250, -50, 0.5), chain(2, 250, -50, 0.5), chain(3, 250, -58, 0.3), chain(4, 250, -50, 0.5)];
    const d = chainDiagnostics(stuck, 6);
    expect(d.logLikelihood.rhat!).toBeGreaterThan(1.1);
    expect(d.warnings.join('; ')).toMatch(/R-hat of the log-likelihood is [\d.]+ \(> 1.01\)/);
    expect(d.warnings.join('; ')).toMatch(/fraction of subtype 1/);
    expect(convergenceMessage(2, d, 5000)).not.toMatch(/separate modes/);
    const apart = { ...d, mlSequencesAgree: false };
    expect(convergenceMessage(2, apart, 5000)).toMatch(
      /^K=2: the MCMC chains may not have converged \(R-hat .*run longer chains, e.g. --mcmc 10000; the chains found different best models, so the posterior may have separate modes/,
    );
    const slow = [1, 2, 3, 4].map((s) => chain(s, 250, -50, 0.5, 0.97));
    expect(chainDiagnostics(slow, 6).warnings.join('; ')).toMatch(/bulk ESS of the log-likelihood is \d+ \(< 400\)/);
  });

  it('positional variance difference and ML agreement see a chain elsewhere', () => {
    const c0 = chain(1, 50, 0, 0.5);
    const c1 = { ...chain(2, 50, 0, 0.5) };
    c1.sequences = c1.sequences.map(() => [[5, 1, 2, 3, 4, 0], B]);
    c1.best = { ...c1.best, sequences: [[5, 1, 2, 3, 4, 0], B] };
    const d = chainDiagnostics([c0, c1], 6);
    expect(d.positionalVarianceMaxDifference).toBeCloseTo(1, 9);
    expect(d.mlSequencesAgree).toBe(false);
  });

  it('says when the chains never moved; one subtype has no fraction statistics', () => {
    const still: ChainSamples = { sequences: [[A]], fractions: [[1]], logLik: [-3], acceptance: 0, best: { sequences: [A], fractions: [1], logLik: -3 } };
    const rep = (c: ChainSamples) => ({ ...c, sequences: Array(20).fill([A]), fractions: Array(20).fill([1]), logLik: Array(20).fill(-3) });
    const d = chainDiagnostics([rep(still), rep(still)], 6);
    expect(d.fractions).toEqual([{ rhat: null, essBulk: null, essTail: null }]);
    expect(d.warnings).toEqual(['the log-likelihood never changed in any chain (the chains did not move)']);
    expect(convergenceWarnings({ chains: 2, logLikelihood: { rhat: 1.0, essBulk: 1000, essTail: 900 }, fractions: [] })).toEqual([]);
  });
});
