import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { qnorm } from '../../src/common/qnorm.js';
import { essBulk, essQuantile, essTail, rhat } from '../../src/sustain/convergence.js';

interface Case {
  name: string;
  draws: number[][];
  rhat: number | null;
  essBulk: number | null;
  essTail: number | null;
}
// made by test/sustain/fixtures/convergence.R with R's posterior package
const ref = JSON.parse(readFileSync(new URL('./fixtures/convergence.json', import.meta.url), 'utf8')) as { cases: Case[] };

function close(got: number, want: number | null): void {
  if (want === null) {
    expect(got).toBeNaN();
    return;
  }
  expect(Math.abs(got - want) / Math.max(1, Math.abs(want))).toBeLessThan(1e-6);
}

describe('R-hat and ESS agree with R posterior', () => {
  expect(ref.cases.length).toBeGreaterThanOrEqual(10);
  for (const c of ref.cases) {
    it(c.name, () => {
      close(rhat(c.draws), c.rhat);
      close(essBulk(c.draws), c.essBulk);
      close(essTail(c.draws), c.essTail);
    });
  }
});

describe('diagnostics behave as their definitions say', () => {
  const byName = (s: string) => ref.cases.find((c) => c.name.startsWith(s))!;
  it('separates mixing chains from stuck ones', () => {
    expect(rhat(byName('independent').draws)).toBeLessThan(1.01);
    expect(rhat(byName('chains stuck').draws)).toBeGreaterThan(1.5);
    expect(essBulk(byName('chains stuck').draws)).toBeLessThan(50);
  });
  it('AR(1) bulk ESS is near S (1 - phi) / (1 + phi)', () => {
    const S = 4000;
    const expected = (S * 0.1) / 1.9;
    expect(essBulk(byName('AR(1) phi 0.9').draws) / expected).toBeGreaterThan(0.6);
    expect(essBulk(byName('AR(1) phi 0.9').draws) / expected).toBeLessThan(1.6);
  });
  it('does not depend on chain order; rejects ragged chains', () => {
    const d = byName('one chain in another mode').draws;
    const r = [...d].reverse();
    expect(rhat(r)).toBeCloseTo(rhat(d), 12);
    expect(essBulk(r)).toBeCloseTo(essBulk(d), 9);
    expect(() =>
      rhat([
        [1, 2, 3],
        [1, 2],
      ]),
    ).toThrow(/differ in length/);
  });
  it('a quantile indicator that never changes has no ESS', () => {
    expect(essQuantile([[1, 1, 1, 1, 2, 2, 2, 2]], 0.05)).not.toBeNaN();
    expect(essQuantile([[5, 5, 5, 5, 5, 5]], 0.5)).toBeNaN();
  });
  it('qnorm matches known quantiles (AS 241)', () => {
    expect(qnorm(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(qnorm(0.5)).toBe(0);
    expect(qnorm(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(qnorm(1e-300)).toBeCloseTo(-37.0471, 3);
    expect(qnorm(0)).toBe(-Infinity);
    expect(qnorm(1.5)).toBeNaN();
  });
});
