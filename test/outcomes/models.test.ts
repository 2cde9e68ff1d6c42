import { describe, expect, it } from 'vitest';
import { stagedPatients } from '../../src/outcomes/cohort.js';
import type { DesignSpec } from '../../src/outcomes/design.js';
import { fitModel, type ModelFit, type Outcome } from '../../src/outcomes/models.js';
import { poolDraws, poolRubin } from '../../src/outcomes/rubin.js';
import { drawSubtypes } from '../../src/outcomes/analyse.js';
import { qT } from '../../src/outcomes/dist.js';
import { loadFixture } from './fixture-cohort.js';

describe("Rubin's rules", () => {
  it('pool by the textbook formulas (Rubin 1987)', () => {
    // qbar 2, ubar 1, b 1, T = 1 + (4/3) 1, r = 4/3, df = (m - 1)(1 + 1/r)^2 = 2 x 1.75^2
    const e = poolRubin('x', [1, 2, 3], [1, 1, 1]);
    expect(e.coef).toBe(2);
    expect(e.se).toBeCloseTo(Math.sqrt(7 / 3), 14);
    expect(e.dfRubin).toBeCloseTo(6.125, 12);
    expect(e.fmi).toBeCloseTo(4 / 7, 14);
    expect(Math.log(e.ciHigh)).toBeCloseTo(2 + qT(0.975, 6.125) * Math.sqrt(7 / 3), 12);
  });

  it('agree with the single fit when the draws agree, and leave out a term missing from a draw', () => {
    const same = poolRubin('x', [0.5, 0.5, 0.5], [0.2, 0.2, 0.2]);
    expect(same.se).toBeCloseTo(0.2, 15);
    expect(same.dfRubin).toBe(Infinity);
    const t = (term: string) => ({ term, coef: 0.1, se: 0.1, ratio: 1, ciLow: 1, ciHigh: 1, p: 1 });
    expect(poolDraws([[t('a'), t('b')], [t('a')]])).toMatchObject({ pooled: [{ term: 'a' }], notPooled: ['b'] });
  });

  it('draws subtypes from the probabilities, one stream per draw (certain probabilities give the most likely subtype)', () => {
    const { cohort } = loadFixture('censored');
    const d = drawSubtypes(cohort, 3, 7);
    for (const x of d) expect([...x]).toEqual([...cohort.subtype]);
    const n = cohort.subjects.length;
    const probs = new Float64Array(n * 3).fill(1 / 3);
    const draws = drawSubtypes({ ...cohort, probs }, 2, 7);
    expect(draws[0]).not.toEqual(draws[1]);
    const share = [0, 1, 2].map((k) => draws[0]!.filter((s) => s === k).length / n);
    for (const s of share) expect(s).toBeGreaterThan(0.2);
    expect(drawSubtypes({ ...cohort, probs }, 2, 7)).toEqual(draws);
  });
});

describe('estimates that do not exist', () => {
  const { cohort } = loadFixture('censored');
  const num = (c: string) => (cohort.columns.get(c) as { values: Float64Array }).values;
  const surv: Outcome = { kind: 'survival', time: num('time'), event: Uint8Array.from(num('event')) };
  const arm = cohort.columns.get('arm') as { values: string[] };
  const spec: DesignSpec = { subtype: true, reference: 0, stage: false, covariates: [], treatment: 'arm', interaction: true };

  it('an interaction cell without events: the term is left out and the model is the limit R runs towards (those subjects removed)', () => {
    const cell = (i: number) => cohort.subtype[i] === 1 && arm.values[i] === 'placebo';
    const event = Uint8Array.from(num('event'), (e, i) => (cell(i) ? 0 : e));
    const o: Outcome = { kind: 'survival', time: surv.time, event };
    const f = fitModel(cohort, spec, stagedPatients(cohort), cohort.subtype, o) as ModelFit;
    expect(f.omitted).toEqual([{ term: 'subtype1:arm=placebo', reason: expect.stringMatching(/^no events among the subjects with subtype1:arm=placebo/) }]);
    const without = fitModel(
      cohort,
      spec,
      stagedPatients(cohort).filter((i) => !cell(i)),
      cohort.subtype,
      o,
    ) as ModelFit;
    expect(f.estimates).toEqual(without.estimates);
    expect(f.estimates.every((e) => Math.abs(e.coef) < 5)).toBe(true);
  });
});
