import { describe, it, expect } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { UserError } from '../../src/common/errors.js';
import { parseTable, toCsv, type Table } from '../../src/io/csv.js';
import { applyNormaliser, fitCombat, fitNormaliser, harmoniseValue, type CombatData } from '../../src/normalise/index.js';
import { referenceLeastSquares } from './linalg.js';

const SITES = ['A', 'B', 'C', 'D'];
const G = 8;
const AGE = -0.5;
const SEXM = 2;
const SD = 5;

/** Multi-site cohort: per site and feature an additive shift and a multiplicative noise scale. */
function siteCohort(seed: number, controls: number, patients: number): { table: Table; shift: number[][]; scale: number[][] } {
  const design = Rng.fromSeed(1234); // the site effects are the same for every cohort drawn
  const shift = SITES.map(() => Array.from({ length: G }, () => 1.5 * SD * design.normal()));
  const scale = SITES.map((_, k) => Array.from({ length: G }, () => [0.6, 1, 1.6, 1.2][k]! * (0.9 + 0.2 * design.uniform())));
  const rng = Rng.fromSeed(seed);
  const cols = ['subject_id', 'group', 'age', 'sex', 'site', ...Array.from({ length: G }, (_, g) => `f${g}`)];
  const rows: (string | number)[][] = [];
  for (let i = 0; i < controls + patients; i++) {
    const k = rng.int(SITES.length);
    const age = 20 + 50 * rng.uniform();
    const male = rng.uniform() < 0.5;
    const row: (string | number)[] = [`s${i}`, i < controls ? 'HC' : 'MS', age, male ? 'M' : 'F', SITES[k]!];
    for (let g = 0; g < G; g++) {
      row.push(100 + 10 * g + AGE * age + (male ? SEXM : 0) + shift[k]![g]! + SD * scale[k]![g]! * rng.normal() - (i < controls ? 0 : 1.5 * SD));
    }
    rows.push(row);
  }
  return { table: parseTable(toCsv(cols, rows), 'sites.csv'), shift, scale };
}

/** Mean and sd of z per site and feature. */
function perSite(table: Table, z: Float64Array, F: number, only: (r: number) => boolean) {
  const sj = table.columns.indexOf('site');
  return SITES.map((s) =>
    Array.from({ length: F }, (_, g) => {
      const v: number[] = [];
      table.rows.forEach((row, r) => row[sj] === s && only(r) && v.push(z[r * F + g]!));
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
      return { m, sd };
    }),
  );
}

describe('ComBat harmonisation', () => {
  const train = siteCohort(1, 600, 100);
  const opts = { covariates: ['age', 'sex'], harmonise: 'combat' as const };
  const nz = fitNormaliser(train.table, opts);

  it('removes simulated site shifts and scales and keeps the biological (age) effect', () => {
    const plain = fitNormaliser(train.table, { covariates: ['age', 'sex'] });
    const isControl = (r: number) => r < 600;
    const before = perSite(train.table, applyNormaliser(plain, train.table).z, G, isControl);
    const after = perSite(train.table, applyNormaliser(nz, train.table).z, G, isControl);
    // the simulation has real site effects...
    expect(Math.max(...before.flat().map((s) => Math.abs(s.m)))).toBeGreaterThan(0.8);
    expect(Math.max(...before.flat().map((s) => Math.abs(Math.log(s.sd))))).toBeGreaterThan(0.3);
    // ...which ComBat removes: every site's controls centred with unit sd
    for (const s of after.flat()) {
      expect(Math.abs(s.m)).toBeLessThan(0.2);
      expect(Math.abs(s.sd - 1)).toBeLessThan(0.2);
    }
    // the age and sex effects survive harmonisation (se of age ~ sd / (sd_age sqrt(n)) ~ 0.014)
    for (const f of nz.features) {
      expect(Math.abs(f.coefficients.age! - AGE)).toBeLessThan(0.07);
      expect(Math.abs(f.coefficients['sex=M']! - SEXM)).toBeLessThan(2.5);
    }
    for (const cf of nz.combat!.features) expect(Math.abs(cf.beta.age! - AGE)).toBeLessThan(0.07);
    expect(nz.designColumns).toEqual(['(intercept)', 'age', 'sex=M']);
    expect(nz.combat!.sites).toEqual(SITES);
    expect(nz.combat!.eb).toBe(true);
  });

  it('new subjects of known sites get z with mean ~0 and sd ~1 in every site; patients stay abnormal', () => {
    const fresh = siteCohort(2, 2000, 400);
    const res = applyNormaliser(nz, fresh.table);
    for (const s of perSite(fresh.table, res.z, G, (r) => r < 2000).flat()) {
      expect(Math.abs(s.m)).toBeLessThan(0.25);
      expect(Math.abs(s.sd - 1)).toBeLessThan(0.2);
    }
    // patients: lower by 1.5 raw sd, decrease is abnormal -> positive z in every site
    for (const s of perSite(fresh.table, res.z, G, (r) => r >= 2000).flat()) expect(s.m).toBeGreaterThan(0.5);
  });

  it('an unseen site is an error, or with --allow-new-sites unadjusted and noted', () => {
    const t = parseTable(toCsv(train.table.columns, [['x1', 'MS', '40', 'F', 'Z', ...Array.from({ length: G }, () => '90')]]), 'new.csv');
    expect(() => applyNormaliser(nz, t)).toThrow(/subject x1, field site: level "Z" of "site" was never seen.*--allow-new-sites/);
    const r = applyNormaliser(nz, t, { allowNewSites: true });
    expect(r.newSiteSubjects).toEqual(['x1']);
    expect(r.notes.join(' ')).toMatch(/no ComBat adjustment/);
    const f = nz.features[0]!;
    const pred = f.coefficients['(intercept)']! + 40 * f.coefficients.age!;
    expect(Math.abs(r.z[0]! - (f.sign * (90 - pred)) / f.sd)).toBeLessThan(1e-12);
  });

  it('refuses covariates confounded with site, and a single site', () => {
    const field = parseTable(
      toCsv(
        [...train.table.columns, 'field'],
        train.table.rows.map((row) => [...row, row[4] === 'A' || row[4] === 'B' ? '3T' : '1.5T']),
      ),
      'sites.csv',
    );
    let err: unknown;
    try {
      fitNormaliser(field, { ...opts, covariates: ['age', 'field'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /ComBat, feature f0: the protected covariates are confounded with site: collinear covariates: "field=3T" is a linear combination of "site=A" and "site=B"/,
    );
    const one = parseTable(
      toCsv(
        train.table.columns,
        train.table.rows.map((row) => row.map((c, j) => (j === 4 ? 'A' : c))),
      ),
      'one.csv',
    );
    expect(() => fitNormaliser(one, opts)).toThrow(/ComBat needs controls from at least 2 sites/);
  });
});

describe('ComBat maths', () => {
  // Direct data: N controls, K sites, one protected covariate.
  const rng = Rng.fromSeed(77);
  const N = 240;
  const K = 3;
  const Gm = 5;
  const site = Int32Array.from({ length: N }, (_, i) => i % K);
  const Xp = Float64Array.from({ length: N }, () => 30 + 20 * rng.uniform());
  const y = new Float64Array(N * Gm);
  for (let i = 0; i < N; i++) {
    for (let g = 0; g < Gm; g++) y[i * Gm + g] = 10 + g + 0.3 * Xp[i]! + [0, 2, -1][site[i]!]! + [1, 2, 0.5][site[i]!]! * rng.normal();
  }
  const data: CombatData = { N, G: Gm, y, site, K, Xp, P: 1 };
  const settings = { eb: true, tolerance: 1e-13, maxIterations: 100000 };

  it('location/scale estimates agree with an independent least-squares computation', () => {
    const fit = fitCombat(data, settings);
    if (!fit.ok) throw new Error('unexpected rank deficiency');
    for (let g = 0; g < Gm; g++) {
      const X = Array.from({ length: N }, (_, i) => [...Array.from({ length: K }, (_, k) => (site[i] === k ? 1 : 0)), Xp[i]!]);
      // the reference solver expects an intercept column first: reparametrise with site 0 as intercept
      const Xr = X.map((r) => [1, r[1]!, r[2]!, r[3]!]);
      const ref = referenceLeastSquares(
        Xr,
        Array.from({ length: N }, (_, i) => y[i * Gm + g]!),
      );
      const B = [ref.coef[0]!, ref.coef[0]! + ref.coef[1]!, ref.coef[0]! + ref.coef[2]!];
      const n = [0, 0, 0];
      for (let i = 0; i < N; i++) n[site[i]!]!++;
      const alpha = B.reduce((a, b, k) => a + (n[k]! / N) * b, 0);
      const sigma = Math.sqrt(ref.rss / N);
      expect(Math.abs(fit.alpha[g]! - alpha)).toBeLessThan(1e-9 * Math.abs(alpha));
      expect(Math.abs(fit.beta[g]! - ref.coef[3]!)).toBeLessThan(1e-9);
      expect(Math.abs(fit.sigma[g]! - sigma)).toBeLessThan(1e-9 * sigma);
      for (let k = 0; k < K; k++) {
        const z: number[] = [];
        for (let i = 0; i < N; i++) if (site[i] === k) z.push((y[i * Gm + g]! - alpha - ref.coef[3]! * Xp[i]!) / sigma);
        const m = z.reduce((a, b) => a + b, 0) / z.length;
        const v = z.reduce((a, b) => a + (b - m) ** 2, 0) / (z.length - 1);
        expect(Math.abs(fit.gammaHat[k * Gm + g]! - m)).toBeLessThan(1e-9);
        expect(Math.abs(fit.deltaHat[k * Gm + g]! - v)).toBeLessThan(1e-9);
      }
    }
  });

  it('without shrinkage every site of the harmonised data has standardised mean 0 and variance 1 exactly', () => {
    const fit = fitCombat(data, { ...settings, eb: false });
    if (!fit.ok) throw new Error('unexpected rank deficiency');
    for (let g = 0; g < Gm; g++) {
      for (let k = 0; k < K; k++) {
        const z: number[] = [];
        for (let i = 0; i < N; i++) {
          if (site[i] !== k) continue;
          const ys = harmoniseValue(y[i * Gm + g]!, Xp, i, 1, fit.alpha[g]!, [fit.beta[g]!], fit.sigma[g]!, fit.gammaStar[k * Gm + g]!, fit.deltaStar[k * Gm + g]!);
          z.push((ys - fit.alpha[g]! - fit.beta[g]! * Xp[i]!) / fit.sigma[g]!);
        }
        const m = z.reduce((a, b) => a + b, 0) / z.length;
        const v = z.reduce((a, b) => a + (b - m) ** 2, 0) / (z.length - 1);
        expect(Math.abs(m)).toBeLessThan(1e-12);
        expect(Math.abs(v - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('empirical Bayes: method-of-moments priors and the posterior fixed point (Johnson et al. 2007)', () => {
    const fit = fitCombat(data, settings);
    if (!fit.ok) throw new Error('unexpected rank deficiency');
    for (let k = 0; k < K; k++) {
      const gh = Array.from(fit.gammaHat.subarray(k * Gm, (k + 1) * Gm));
      const dh = Array.from(fit.deltaHat.subarray(k * Gm, (k + 1) * Gm));
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      const vr = (a: number[]) => a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1);
      const V = mean(dh);
      const S2 = vr(dh);
      const pr = fit.priors[k]!;
      expect(pr.gammaBar).toBeCloseTo(mean(gh), 12);
      expect(pr.tau2).toBeCloseTo(vr(gh), 12);
      expect(Math.abs(pr.lambda - (V * V + 2 * S2) / S2)).toBeLessThan(1e-9 * pr.lambda);
      expect(Math.abs(pr.theta - (V ** 3 + V * S2) / S2)).toBeLessThan(1e-9 * pr.theta);
      for (let g = 0; g < Gm; g++) {
        const n = fit.counts[k * Gm + g]!;
        const gs = fit.gammaStar[k * Gm + g]!;
        const ds = fit.deltaStar[k * Gm + g]!;
        // the posterior equations hold at the solution
        expect(Math.abs(gs - (n * pr.tau2 * gh[g]! + ds * pr.gammaBar) / (n * pr.tau2 + ds))).toBeLessThan(1e-9);
        let sum2 = 0;
        for (let i = 0; i < N; i++) {
          if (site[i] !== k) continue;
          const z = (y[i * Gm + g]! - fit.alpha[g]! - fit.beta[g]! * Xp[i]!) / fit.sigma[g]!;
          sum2 += (z - gs) ** 2;
        }
        expect(Math.abs(ds - (pr.theta + 0.5 * sum2) / (n / 2 + pr.lambda - 1))).toBeLessThan(1e-9 * ds);
        // shrinkage: towards the prior mean, never past it
        expect(Math.abs(gs - pr.gammaBar)).toBeLessThanOrEqual(Math.abs(gh[g]! - pr.gammaBar) + 1e-15);
      }
    }
    expect(fit.unconverged).toBe(0);
  });
});
