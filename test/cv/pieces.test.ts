import { describe, it, expect } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { makeFolds, foldIndices } from '../../src/cv/folds.js';
import { foldScore, cvicFromFolds, sd } from '../../src/cv/cvic.js';
import { recommend } from '../../src/cv/recommend.js';
import { adjustedRandIndex } from '../../src/cv/ari.js';
import { kendallTau, positionsOf, exhaustive, hungarian, bestAssignment, matchSequences } from '../../src/cv/matching.js';

describe('folds', () => {
  it('hold every subject out exactly once, with balanced sizes, reproducibly', () => {
    const foldOf = makeFolds(103, 10, Rng.fromSeed(4));
    const counts = new Array<number>(10).fill(0);
    foldOf.forEach((f) => counts[f]!++);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((s, v) => s + v, 0)).toBe(103);
    const seen = new Array<number>(103).fill(0);
    for (let f = 0; f < 10; f++) {
      const { train, test } = foldIndices(foldOf, f);
      expect(train.length + test.length).toBe(103);
      for (const i of test) seen[i]!++;
      expect(new Set([...train, ...test]).size).toBe(103);
    }
    expect(seen.every((v) => v === 1)).toBe(true);
    expect([...makeFolds(103, 10, Rng.fromSeed(4))]).toEqual([...foldOf]);
    expect([...makeFolds(103, 10, Rng.fromSeed(5))]).not.toEqual([...foldOf]);
  });

  it('stratify: every stratum is spread within one subject across folds', () => {
    const rng = Rng.fromSeed(8);
    const labels = Array.from({ length: 157 }, () => ['RRMS', 'SPMS', 'PPMS', 'CIS', ''][Math.min(4, Math.floor(rng.uniform() * rng.uniform() * 6))]!);
    const foldOf = makeFolds(157, 7, Rng.fromSeed(1), labels);
    for (const lab of new Set(labels)) {
      const counts = new Array<number>(7).fill(0);
      labels.forEach((l, i) => l === lab && counts[foldOf[i]!]!++);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    const sizes = new Array<number>(7).fill(0);
    foldOf.forEach((f) => sizes[f]!++);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('refuses too few folds or subjects', () => {
    expect(() => makeFolds(10, 1, Rng.fromSeed(1))).toThrow(/at least 2/);
    expect(() => makeFolds(3, 5, Rng.fromSeed(1))).toThrow(/need at least 5 subjects/);
  });
});

describe('CVIC arithmetic', () => {
  it('matches a direct computation in linear space, and stays finite where that underflows', () => {
    const rng = Rng.fromSeed(2);
    const S = 7;
    const M = 13;
    const ll = new Float64Array(S * M).map(() => -5 - 10 * rng.uniform());
    const got = foldScore(ll, S, M);
    let direct = 0;
    let sumPerSample = 0;
    for (let i = 0; i < M; i++) {
      let m = 0;
      for (let s = 0; s < S; s++) m += Math.exp(ll[s * M + i]!);
      direct += Math.log(m / S);
    }
    for (let s = 0; s < S; s++) for (let i = 0; i < M; i++) sumPerSample += ll[s * M + i]!;
    expect(got.logMeanLikelihood).toBeCloseTo(direct, 10);
    expect(got.testLogLikelihood).toBeCloseTo(sumPerSample / S, 10);
    // Jensen: the log of the mean likelihood is at least the mean log-likelihood.
    expect(got.logMeanLikelihood).toBeGreaterThanOrEqual(got.testLogLikelihood);
    // Shifting all log-likelihoods by -2000 (exp underflows to 0) shifts the result exactly.
    const far = foldScore(
      ll.map((v) => v - 2000),
      S,
      M,
    );
    expect(far.logMeanLikelihood).toBeCloseTo(direct - 2000 * M, 8);
    expect(cvicFromFolds([got.logMeanLikelihood, far.logMeanLikelihood])).toBeCloseTo(-2 * (2 * direct - 2000 * M), 6);
  });
});

describe('recommendation rule', () => {
  const noFloor = { minGainPerSubject: 0, testSubjectsPerFold: 30 };
  it('picks the smallest K within one SE of the best, not the smallest CVIC', () => {
    // K=2 gains 0.5 per fold on average but with noise of sd 3 -> within one SE -> 1.
    const k1 = [-100, -110, -95, -105, -102];
    const noise = [3, -2, 4, -3, 0.5];
    const k2 = k1.map((v, f) => v + noise[f]!);
    const r = recommend([k1, k2], [420, 419], noFloor);
    expect(r.bestTestLogLikelihood).toBe(2);
    expect(r.recommendedSubtypes).toBe(1);
    expect(r.comparisons[0]!.meanDifference).toBeCloseTo(0.5, 12);
    expect(r.comparisons[0]!.seDifference).toBeCloseTo(sd(noise) / Math.sqrt(5), 12);
    expect(r.comparisons[0]!.margin).toBe(r.comparisons[0]!.seDifference);
    expect(r.rule).toMatch(/^Recommended 1 subtype:/);
    expect(r.rule).toMatch(/Smallest CVIC alone would pick 2/);
  });
  it('takes a consistent gain, and stops before a noisy one', () => {
    const k1 = [-100, -110, -95, -105, -102];
    const k2 = k1.map((v, f) => v + 20 + f); // consistent large gain
    const k3 = k2.map((v, f) => v + [1, -1, 2, -2, 0.4][f]!); // noise around +0.08
    const r = recommend([k1, k2, k3], [3, 2, 1], noFloor);
    expect(r.recommendedSubtypes).toBe(2);
    expect(r.rule).toMatch(/1 subtype is worse than the best by/);
    const r2 = recommend([k1, k2], [3, 2], noFloor);
    expect(r2.recommendedSubtypes).toBe(2);
    expect(r2.rule).toMatch(/Smallest CVIC agrees \(2\)/);
  });
  it('a consistent but negligible gain per subject does not count (large cohorts)', () => {
    // 1,000 held-out subjects per fold; K=2 gains 5 +- 0.1 per fold: far beyond one SE, but only
    // 0.005 per subject, under the 0.01 floor (10 per fold).
    const k1 = [-9000, -9100, -9050, -8990, -9020];
    const k2 = k1.map((v, f) => v + 5 + [0.1, -0.1, 0.05, -0.05, 0][f]!);
    const r = recommend([k1, k2], [2, 1], { minGainPerSubject: 0.01, testSubjectsPerFold: 1000 });
    expect(r.comparisons[0]!.seDifference).toBeLessThan(0.1);
    expect(r.comparisons[0]!.margin).toBeCloseTo(10, 12);
    expect(r.recommendedSubtypes).toBe(1);
    expect(r.rule).toMatch(/0\.01 per held-out subject \(10\.0 per fold\)/);
    expect(recommend([k1, k2], [2, 1], { minGainPerSubject: 0, testSubjectsPerFold: 1000 }).recommendedSubtypes).toBe(2);
    const k3 = k1.map((v) => v + 15); // 0.015 per subject: counts
    expect(recommend([k1, k3], [2, 1], { minGainPerSubject: 0.01, testSubjectsPerFold: 1000 }).recommendedSubtypes).toBe(2);
  });
});

describe('adjusted Rand index', () => {
  it('is 1 for relabelled identical partitions, about 0 for independent ones, and matches a hand value', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [2, 2, 0, 0, 1])).toBe(1);
    expect(adjustedRandIndex([0, 0, 0], [0, 0, 0])).toBe(1);
    // sklearn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 12);
    const rng = Rng.fromSeed(3);
    const a = Array.from({ length: 4000 }, () => rng.int(3));
    const b = Array.from({ length: 4000 }, () => rng.int(3));
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.01);
  });
});

describe('subtype matching', () => {
  it('Kendall tau: 1 for the same order, -1 reversed, hand value otherwise', () => {
    const p = positionsOf([0, 1, 2, 3]);
    expect(kendallTau(p, p)).toBe(1);
    expect(kendallTau(p, positionsOf([3, 2, 1, 0]))).toBe(-1);
    expect(kendallTau(p, positionsOf([1, 0, 2, 3]))).toBeCloseTo(4 / 6, 12);
  });
  it('Hungarian equals exhaustive search on random matrices', () => {
    const rng = Rng.fromSeed(6);
    for (let t = 0; t < 40; t++) {
      const K = 1 + rng.int(6);
      const sim = Array.from({ length: K }, () => Array.from({ length: K }, () => rng.uniform()));
      const ex = exhaustive(sim);
      const hu = hungarian(sim.map((r) => r.map((v) => -v)));
      const score = (a: number[]) => a.reduce((s, c, r) => s + sim[r]![c]!, 0);
      expect(score(hu)).toBeCloseTo(score(ex), 12);
      expect([...hu].sort()).toEqual(Array.from({ length: K }, (_, i) => i));
    }
    const big = Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => (c === (r + 3) % 10 ? 1 : 0)));
    expect(bestAssignment(big)).toEqual(Array.from({ length: 10 }, (_, r) => (r + 3) % 10));
  });
  it('matches permuted, slightly perturbed sequences back to their reference', () => {
    const ref = [
      [0, 1, 2, 3, 4, 5],
      [5, 4, 3, 2, 1, 0],
      [3, 0, 4, 1, 5, 2],
    ];
    const fold = [
      [3, 0, 4, 1, 2, 5],
      [0, 1, 2, 3, 5, 4],
      [5, 4, 3, 1, 2, 0],
    ];
    const m = matchSequences(fold, ref);
    expect(m.matchOf).toEqual([2, 0, 1]);
    expect(m.tau.every((t) => t > 0.7)).toBe(true);
  });
});
