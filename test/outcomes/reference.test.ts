import { describe, expect, it } from 'vitest';
import { stagedPatients } from '../../src/outcomes/cohort.js';
import type { DesignSpec } from '../../src/outcomes/design.js';
import { kaplanMeier } from '../../src/outcomes/km.js';
import { logRank } from '../../src/outcomes/logrank.js';
import { fitModel, type ModelFit, type Outcome } from '../../src/outcomes/models.js';
import { chiSquareTest, fisherTest2x2, fisherTestRx2, kruskalWallis, oneWayAnova, quantile7, spearman } from '../../src/outcomes/tests.js';
import { fitOls } from '../../src/outcomes/ols.js';
import { loadFixture, ourTerm } from './fixture-cohort.js';

/**
 * Every estimate against R (survival 3.5, MASS 7.3; numbers made by fixtures/make-fixtures.R):
 * coefficients and standard errors to 1e-6 relative, p-values to 1e-6 absolute.
 */
const NAMES = ['censored', 'ties', 'no-events', 'collinear'];

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

interface RTerm {
  term: string;
  coef: number | null;
  se: number;
  ciLow: number;
  ciHigh: number;
  p: number;
}

function compareTerms(fit: ModelFit, rTerms: RTerm[]): void {
  const ours = new Map(fit.estimates.map((e) => [e.term, e]));
  const expected = rTerms.filter((t) => t.term !== '(Intercept)');
  for (const t of expected) {
    const name = ourTerm(t.term);
    if (t.coef === null) {
      // R's NA (collinear): we leave it out and say why.
      expect(ours.has(name), name).toBe(false);
      expect(fit.omitted.map((o) => o.term)).toContain(name);
      continue;
    }
    const e = ours.get(name);
    expect(e, `${name} missing; have ${[...ours.keys()].join(',')}`).toBeDefined();
    expect(rel(e!.coef, t.coef), `${name} coef ${e!.coef} vs ${t.coef}`).toBeLessThan(1e-6);
    expect(rel(e!.se, t.se), `${name} se`).toBeLessThan(1e-6);
    expect(Math.abs(e!.p - t.p), `${name} p`).toBeLessThan(1e-6);
    expect(rel(e!.ciLow, t.ciLow), `${name} ciLow`).toBeLessThan(1e-6);
    expect(rel(e!.ciHigh, t.ciHigh), `${name} ciHigh`).toBeLessThan(1e-6);
  }
  expect(fit.estimates.length).toBe(expected.filter((t) => t.coef !== null).length);
}

const base: DesignSpec = { subtype: true, reference: 0, stage: false, covariates: [], treatment: null, interaction: false };

for (const name of NAMES) {
  describe(`outcomes statistics against R: ${name}`, () => {
    const { cohort, ref } = loadFixture(name);
    const rows = stagedPatients(cohort);
    const num = (c: string) => (cohort.columns.get(c) as { values: Float64Array }).values;
    const surv: Outcome = { kind: 'survival', time: num('time'), event: Uint8Array.from(num('event')) };
    const adjusted = name === 'collinear' ? ['age', 'age_months', 'sex'] : ['age', 'sex'];
    const ok = (f: ReturnType<typeof fitModel>): ModelFit => {
      if ('failed' in f) throw new Error(f.failed);
      return f;
    };

    it('Kaplan-Meier curves match survfit', () => {
      for (const r of ref.km) {
        const idx = rows.filter((i) => cohort.subtype[i] === r.subtype);
        const c = kaplanMeier(
          idx.map((i) => surv.time[i]!),
          idx.map((i) => (surv as { event: Uint8Array }).event[i]!),
        );
        expect(c.time).toEqual(r.time);
        expect(c.nRisk).toEqual(r.nRisk);
        expect(c.nEvent).toEqual(r.nEvent);
        c.surv.forEach((s, j) => expect(Math.abs(s - r.surv[j])).toBeLessThan(1e-12));
        c.stdErr.forEach((s, j) => (r.stdErr[j] === null ? expect(Number.isFinite(s) && c.surv[j]! > 0).toBe(false) : expect(rel(s, r.stdErr[j])).toBeLessThan(1e-9)));
        c.lower.forEach((s, j) => (r.lower[j] === null ? expect(s).toBeNull() : expect(rel(s!, r.lower[j])).toBeLessThan(1e-9)));
        c.upper.forEach((s, j) => (r.upper[j] === null ? expect(s).toBeNull() : expect(rel(s!, r.upper[j])).toBeLessThan(1e-9)));
      }
    });

    it('log-rank test matches survdiff', () => {
      const lr = logRank(
        rows.map((i) => surv.time[i]!),
        rows.map((i) => (surv as { event: Uint8Array }).event[i]!),
        rows.map((i) => cohort.subtype[i]!),
        3,
      );
      expect(rel(lr.chisq, ref.logrank.chisq)).toBeLessThan(1e-9);
      expect(lr.df).toBe(ref.logrank.df);
      expect(Math.abs(lr.p - ref.logrank.p)).toBeLessThan(1e-9);
    });

    it('Cox models (Efron) match coxph, and the PH test matches cox.zph', () => {
      const models: [string, DesignSpec][] = [
        ['unadjusted', base],
        ['adjusted', { ...base, covariates: adjusted }],
        ['stage', { ...base, subtype: false, stage: true }],
        ['interaction', { ...base, treatment: 'arm', interaction: true }],
      ];
      for (const [key, spec] of models) {
        const f = ok(fitModel(cohort, spec, rows, cohort.subtype, surv));
        const r = ref.cox[key];
        expect(f.n, key).toBe(r.n);
        expect(f.events, key).toBe(r.events);
        expect(rel(f.loglik, r.loglik[1]), key).toBeLessThan(1e-9);
        compareTerms(f, r.terms);
        const zph = new Map(f.zph!.map((z) => [z.term, z]));
        for (const z of r.zph) {
          const mine = zph.get(z.term === 'subtype_f' ? 'subtype' : z.term === 'subtype_f:arm_f' ? 'subtype:arm' : z.term === 'arm_f' ? 'arm' : z.term);
          expect(mine, `${key} zph ${z.term}`).toBeDefined();
          expect(rel(mine!.chisq, z.chisq), `${key} zph ${z.term}`).toBeLessThan(1e-6);
          expect(mine!.df).toBe(z.df);
          expect(Math.abs(mine!.p - z.p)).toBeLessThan(1e-6);
        }
      }
    });

    it('Table 1 tests, Spearman and the linear regression match chisq.test, fisher.test, kruskal.test, oneway.test, cor.test, lm', () => {
      const t = ref.tests;
      const all = cohort.subjects.map((_, i) => i);
      const sex = cohort.columns.get('sex') as { values: string[] };
      const by = (f: (i: number) => number) => [0, 1, 2].map((k) => all.filter((i) => cohort.subtype[i] === k).map(f));
      const tab = [0, 1, 2].map((k) => ['F', 'M'].map((lv) => all.filter((i) => cohort.subtype[i] === k && sex.values[i] === lv).length));
      const chi = chiSquareTest(tab)!;
      expect(rel(chi.statistic!, t.chisqSex.chisq)).toBeLessThan(1e-9);
      expect(chi.df).toBe(t.chisqSex.df);
      expect(Math.abs(chi.p - t.chisqSex.p)).toBeLessThan(1e-9);
      expect(Math.abs(fisherTest2x2(t.fisherArmSex.table).p - t.fisherArmSex.p)).toBeLessThan(1e-9);
      for (const f of t.fisherSmall) expect(Math.abs(fisherTestRx2(f.table)!.p - f.p)).toBeLessThan(1e-9);
      expect(Math.abs(fisherTestRx2(t.fisherArmSex.table)!.p - t.fisherArmSex.p)).toBeLessThan(1e-9);
      const kw = kruskalWallis(by((i) => num('edss')[i]!))!;
      expect(rel(kw.statistic!, t.kruskalEdss.chisq)).toBeLessThan(1e-9);
      expect(Math.abs(kw.p - t.kruskalEdss.p)).toBeLessThan(1e-9);
      const an = oneWayAnova(by((i) => num('age')[i]!))!;
      expect(rel(an.statistic!, t.anovaAge.F)).toBeLessThan(1e-9);
      expect([an.df, an.df2]).toEqual([t.anovaAge.df1, t.anovaAge.df2]);
      expect(Math.abs(an.p - t.anovaAge.p)).toBeLessThan(1e-9);
      const sp = spearman([...cohort.stage], [...num('edss')])!;
      expect(rel(sp.rho, t.spearmanStageEdss.rho)).toBeLessThan(1e-9);
      expect(Math.abs(sp.p - t.spearmanStageEdss.p)).toBeLessThan(1e-9);
      const n = all.length;
      const ols = fitOls(
        num('edss'),
        [new Float64Array(n).fill(1), Float64Array.from(cohort.stage), num('age'), Float64Array.from(sex.values, (v) => (v === 'M' ? 1 : 0))],
        ['(Intercept)', 'stage', 'age', 'sex=M'],
      )!;
      t.lmEdss.forEach((r: RTerm, j: number) => {
        const e = ols.terms[j]!;
        expect(e.term).toBe(ourTerm(r.term));
        expect(rel(e.coef, r.coef!)).toBeLessThan(1e-8);
        expect(rel(e.se, r.se)).toBeLessThan(1e-8);
        expect(Math.abs(e.p - r.p)).toBeLessThan(1e-9);
        expect(rel(e.ciLow, r.ciLow)).toBeLessThan(1e-8);
        expect(rel(e.ciHigh, r.ciHigh)).toBeLessThan(1e-8);
      });
      const ages = [...num('age')].sort((a, b) => a - b);
      expect([0.25, 0.5, 0.75].map((q) => quantile7(ages, q))).toEqual(t.quantilesAge.map((v: number) => expect.closeTo(v, 10)));
    });

    if (name === 'no-events') {
      it('a subtype with no events or counts is left out and said so, never a huge ratio', () => {
        for (const o of [surv, { kind: 'counts', count: num('relapses'), exposure: num('exposure'), family: 'negbin' } as Outcome]) {
          const f = ok(fitModel(cohort, base, rows, cohort.subtype, o));
          expect(f.estimates.map((e) => e.term)).toEqual(['subtype1']);
          expect(f.omitted).toEqual([{ term: 'subtype2', reason: expect.stringMatching(/^no (events|counts) in subtype 2: its ratio cannot be estimated/) }]);
        }
        // With subtype 2 as the reference nothing can be compared with it: the model is refused.
        const f = fitModel(cohort, { ...base, reference: 2 }, rows, cohort.subtype, surv);
        expect(f).toMatchObject({ failed: expect.stringMatching(/reference subtype 2 has no events/) });
      });
    }

    it('Poisson and negative-binomial models match glm and MASS::glm.nb', () => {
      for (const [key, family, covs] of [
        ['poissonUnadjusted', 'poisson', []],
        ['poisson', 'poisson', adjusted],
        ['negbinUnadjusted', 'negbin', []],
        ['negbin', 'negbin', adjusted],
      ] as const) {
        const o: Outcome = { kind: 'counts', count: num('relapses'), exposure: num('exposure'), family };
        const f = ok(fitModel(cohort, { ...base, covariates: [...covs] }, rows, cohort.subtype, o));
        const r = ref.counts[key];
        compareTerms(f, r.terms);
        expect(rel(f.loglik, r.loglik), key).toBeLessThan(1e-8);
        if (family === 'negbin') {
          expect(rel(f.theta!, r.theta), `${key} theta`).toBeLessThan(1e-6);
          expect(rel(f.thetaSe!, r.thetaSe), `${key} theta se`).toBeLessThan(1e-6);
          expect(rel(f.thetaSe!, r.thetaSeGlmNb), `${key} theta se (glm.nb)`).toBeLessThan(1e-3);
        }
      }
    });
  });
}
