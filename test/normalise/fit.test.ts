import { describe, it, expect } from 'vitest';
import { applyNormaliser, fitNormaliser, solveOls, toZTable, validateNormaliser } from '../../src/normalise/index.js';
import { solveOlsMany } from '../../src/normalise/ols.js';
import { parseTable, toCsv, type Table } from '../../src/io/csv.js';
import { FEATURES3, makeCohort } from './synth.js';
import { referenceLeastSquares } from './linalg.js';

const COVS = ['age', 'sex', 'icv', 'site'];

/** Design rows for the named design columns, computed straight from the table's cells. */
function designOf(table: Table, cols: string[], rows: number[]): number[][] {
  return rows.map((r) =>
    cols.map((c) => {
      if (c === '(intercept)') return 1;
      const eq = c.indexOf('=');
      if (eq < 0) return Number(table.rows[r]![table.columns.indexOf(c)]);
      return table.rows[r]![table.columns.indexOf(c.slice(0, eq))] === c.slice(eq + 1) ? 1 : 0;
    }),
  );
}

function controlsOf(table: Table): number[] {
  const g = table.columns.indexOf('group');
  return table.rows.map((_, r) => r).filter((r) => table.rows[r]![g] === 'HC');
}

describe('normalise: OLS on a synthetic cohort', () => {
  const synth = makeCohort({ seed: 11, controls: 500, patients: 300, sites: ['A', 'B', 'C'], siteWeights: [3, 2, 2], features: FEATURES3 });
  const nz = fitNormaliser(synth.table, { covariates: COVS, higherIsAbnormal: ['lesions'] });
  const controls = controlsOf(synth.table);

  it('picks the most frequent control level as reference and names the design columns', () => {
    const site = nz.covariates.find((c) => c.name === 'site')!;
    expect(site.kind).toBe('categorical');
    if (site.kind !== 'categorical') return;
    const counts: Record<string, number> = {};
    const j = synth.table.columns.indexOf('site');
    for (const r of controls) counts[synth.table.rows[r]![j]!] = (counts[synth.table.rows[r]![j]!] ?? 0) + 1;
    const best = Object.keys(counts).sort((a, b) => counts[b]! - counts[a]! || (a < b ? -1 : 1))[0];
    expect(site.reference).toBe(best);
    expect(site.controlCounts).toEqual(counts);
    expect(nz.designColumns[0]).toBe('(intercept)');
    expect(nz.designColumns).toContain('age');
    expect(nz.designColumns).toContain('icv');
    expect(nz.designColumns.filter((c) => c.startsWith('site='))).toHaveLength(2);
    expect(nz.designColumns).not.toContain(`site=${site.reference}`);
  });

  it('agrees with an independent least-squares computation to 1e-9', () => {
    for (const f of nz.features) {
      const yj = synth.table.columns.indexOf(f.name);
      const X = designOf(synth.table, nz.designColumns, controls);
      const y = controls.map((r) => Number(synth.table.rows[r]![yj]));
      const ref = referenceLeastSquares(X, y);
      nz.designColumns.forEach((c, j) => {
        const want = ref.coef[j]!;
        expect(Math.abs(f.coefficients[c]! - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want) + 1e-15);
      });
      const sd = Math.sqrt(ref.rss / (controls.length - nz.designColumns.length));
      expect(Math.abs(f.sd - sd)).toBeLessThanOrEqual(1e-9 * sd);
      expect(f.nControls).toBe(controls.length);
      expect(f.df).toBe(controls.length - nz.designColumns.length);
    }
  });

  it('z-scores agree with the independent fit to 1e-9, with the direction sign', () => {
    const res = applyNormaliser(nz, synth.table);
    const F = res.features.length;
    nz.features.forEach((f, g) => {
      const yj = synth.table.columns.indexOf(f.name);
      const X = designOf(synth.table, nz.designColumns, controls);
      const y = controls.map((r) => Number(synth.table.rows[r]![yj]));
      const ref = referenceLeastSquares(X, y);
      const sd = Math.sqrt(ref.rss / (controls.length - nz.designColumns.length));
      const sign = f.name === 'lesions' ? 1 : -1;
      expect(f.sign).toBe(sign);
      const all = synth.table.rows.map((_, r) => r);
      const Xa = designOf(synth.table, nz.designColumns, all);
      for (const r of all) {
        const pred = Xa[r]!.reduce((a, x, j) => a + x * ref.coef[j]!, 0);
        const want = (sign * (Number(synth.table.rows[r]![yj]) - pred)) / sd;
        expect(Math.abs(res.z[r * F + g]! - want)).toBeLessThan(1e-9);
      }
    });
  });

  it('recovers the true coefficients and sd within sampling error', () => {
    const refLevel = (nz.covariates.find((c) => c.name === 'site') as { reference: string }).reference;
    for (const f of nz.features) {
      const truth = FEATURES3.find((t) => t.name === f.name)!;
      const X = designOf(synth.table, nz.designColumns, controls);
      const yj = synth.table.columns.indexOf(f.name);
      const ref = referenceLeastSquares(
        X,
        controls.map((r) => Number(synth.table.rows[r]![yj])),
      );
      const want: Record<string, number> = {
        '(intercept)': truth.intercept + truth.site[refLevel]!,
        age: truth.age,
        'sex=M': truth.sexM,
        icv: truth.icv,
      };
      for (const s of ['A', 'B', 'C']) want[`site=${s}`] = truth.site[s]! - truth.site[refLevel]!;
      nz.designColumns.forEach((c, j) => {
        const se = truth.sd * Math.sqrt(ref.xtxInv[j]![j]!);
        expect(Math.abs(f.coefficients[c]! - want[c]!) / se).toBeLessThan(4.5);
      });
      // sd of the residual sd estimate ~ sd / sqrt(2 df)
      expect(Math.abs(f.sd - truth.sd) / (truth.sd / Math.sqrt(2 * f.df))).toBeLessThan(4.5);
      expect(f.r2).toBeGreaterThan(0);
      expect(f.r2).toBeLessThan(1);
    }
  });

  it('new subjects drawn from the control distribution get z with mean ~0 and sd ~1', () => {
    const fresh = makeCohort({ seed: 99, controls: 3000, patients: 0, sites: ['A', 'B', 'C'], features: FEATURES3 });
    const res = applyNormaliser(nz, fresh.table);
    const F = res.features.length;
    for (let g = 0; g < F; g++) {
      let s = 0;
      let s2 = 0;
      const n = res.subjects.length;
      for (let r = 0; r < n; r++) s += res.z[r * F + g]!;
      const mean = s / n;
      for (let r = 0; r < n; r++) s2 += (res.z[r * F + g]! - mean) ** 2;
      const sd = Math.sqrt(s2 / (n - 1));
      expect(Math.abs(mean)).toBeLessThan(0.12);
      expect(Math.abs(sd - 1)).toBeLessThan(0.08);
    }
    // patients: shifted towards abnormal, i.e. positive z on average for every feature
    const pres = applyNormaliser(nz, synth.table);
    for (let g = 0; g < F; g++) {
      let s = 0;
      let n = 0;
      for (let r = 0; r < pres.subjects.length; r++) if (!pres.isControl[r]) ((s += pres.z[r * F + g]!), n++);
      const truth = FEATURES3.find((t) => t.name === pres.features[g])!;
      expect(Math.abs(s / n - Math.abs(truth.patientShift))).toBeLessThan(0.3);
    }
  });

  it('keeps controls flagged and carries the other columns; toZTable leaves controls out', () => {
    const res = applyNormaliser(nz, synth.table);
    expect(res.columns).toEqual(['subject_id', 'group', 'age', 'sex', 'icv', 'site', 'is_control', 'thalamus', 'cortex', 'lesions']);
    expect(res.rows[0]![6]).toBe(1);
    expect(res.rows[600]![6]).toBe(0);
    expect(res.rows[0]![3]).toBe(synth.table.rows[0]![3]);
    const zt = toZTable(res);
    expect(zt.subjects).toHaveLength(300);
    expect(zt.biomarkers).toEqual(['thalamus', 'cortex', 'lesions']);
    expect(zt.values[0]).toBe(res.z[500 * 3]);
    expect(zt.carried!.is_control!.every((v) => v === '0')).toBe(true);
    expect(toZTable(res, true).subjects).toHaveLength(800);
  });

  it('the normaliser survives JSON and validation and gives identical z', () => {
    const again = validateNormaliser(JSON.parse(JSON.stringify(nz)), 'n.json');
    const a = applyNormaliser(nz, synth.table);
    const b = applyNormaliser(again, synth.table);
    expect(toCsv(b.columns, b.rows)).toBe(toCsv(a.columns, a.rows));
  });
});

describe('normalise: features, transforms and missing values', () => {
  it('simple regression matches the closed form', () => {
    const n = 50;
    const x = Float64Array.from({ length: n }, (_, i) => 10 + i * 0.37 + Math.sin(i) * 3);
    const y = Float64Array.from({ length: n }, (_, i) => 2.5 - 0.8 * x[i]! + Math.cos(3 * i));
    const X = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) ((X[2 * i] = 1), (X[2 * i + 1] = x[i]!));
    const fit = solveOls(X, n, 2, y);
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    const mx = x.reduce((a, b) => a + b) / n;
    const my = y.reduce((a, b) => a + b) / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) ((sxy += (x[i]! - mx) * (y[i]! - my)), (sxx += (x[i]! - mx) ** 2));
    const b1 = sxy / sxx;
    expect(Math.abs(fit.coef[1]! - b1)).toBeLessThan(1e-12);
    expect(Math.abs(fit.coef[0]! - (my - b1 * mx))).toBeLessThan(1e-10);
  });

  it('detects rank deficiency and names the columns involved; shared-design solves match single ones', () => {
    const n = 30;
    const X = new Float64Array(n * 4);
    for (let i = 0; i < n; i++) {
      X[i * 4] = 1;
      X[i * 4 + 1] = i;
      X[i * 4 + 2] = (i * 7) % 5;
      X[i * 4 + 3] = 3 - 2 * i; // = 3 * intercept - 2 * column 1
    }
    const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    expect(solveOls(X, n, 4, y)).toEqual({ ok: false, column: 3, dependsOn: [0, 1] });
    const y2 = Float64Array.from({ length: n }, (_, i) => Math.cos(i) * 100);
    const X3 = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) X3[i * 3 + j] = X[i * 4 + j]!;
    const both = solveOlsMany(X3, n, 3, [y, y2]);
    if (!Array.isArray(both)) throw new Error('unexpected rank deficiency');
    [y, y2].forEach((v, k) => {
      const one = solveOls(X3, n, 3, v);
      if (!one.ok) throw new Error('unexpected rank deficiency');
      expect(Array.from(both[k]!.coef)).toEqual(Array.from(one.coef));
    });
  });

  it('log-transforms, follows sidecar definitions and leaves missing values empty', () => {
    const synth = makeCohort({ seed: 5, controls: 120, patients: 40, sites: ['A', 'B'], features: FEATURES3, missing: 0.05 });
    const nz = fitNormaliser(synth.table, {
      covariates: ['age', 'sex', 'icv'],
      featureDefs: [
        { name: 'thalamus', abnormal: 'decrease', transform: 'none' },
        { name: 'lesions', abnormal: 'increase', transform: 'log' },
        { name: 'icv', role: 'covariate' },
      ],
    });
    expect(nz.features.map((f) => [f.name, f.abnormal, f.transform])).toEqual([
      ['thalamus', 'decrease', 'none'],
      ['lesions', 'increase', 'log'],
    ]);
    const res = applyNormaliser(nz, synth.table);
    const lj = synth.table.columns.indexOf('lesions');
    const les = res.features.indexOf('lesions');
    // controls with a value: the log model, checked against the independent solver
    const controls = controlsOf(synth.table).filter((r) => synth.table.rows[r]![lj] !== '');
    expect(nz.features[les]!.nControls).toBe(controls.length);
    const X = designOf(synth.table, nz.designColumns, controls);
    const ref = referenceLeastSquares(
      X,
      controls.map((r) => Math.log1p(Number(synth.table.rows[r]![lj]))),
    );
    nz.designColumns.forEach((c, j) => expect(Math.abs(nz.features[les]!.coefficients[c]! - ref.coef[j]!)).toBeLessThan(1e-9 * Math.abs(ref.coef[j]!) + 1e-14));
    // missing stays missing (NaN -> empty cell), present values are finite
    const csv = toCsv(res.columns, res.rows);
    const back = parseTable(csv, 'z.csv');
    let empties = 0;
    back.rows.forEach((row, r) => {
      for (const f of ['thalamus', 'lesions']) {
        const cell = row[back.columns.indexOf(f)]!;
        const input = synth.table.rows[r]![synth.table.columns.indexOf(f)]!;
        if (input === '') (expect(cell).toBe(''), empties++);
        else expect(Number.isFinite(Number(cell)) && cell !== '').toBe(true);
      }
    });
    expect(empties).toBeGreaterThan(0);
    // cortex is not a feature here (the sidecar lists the features), so it is carried unchanged
    expect(res.columns).toContain('cortex');
  });

  it('skips sidecar features that are empty for every row (extract could not measure them), with a note', () => {
    const synth = makeCohort({ seed: 7, controls: 60, patients: 10, sites: ['A', 'B'], features: FEATURES3 });
    const t = parseTable(
      toCsv(
        [...synth.table.columns, 'fa_mean'],
        synth.table.rows.map((r) => [...r, '']),
      ),
      'f.csv',
    );
    const defs = [
      { name: 'thalamus', abnormal: 'decrease' as const },
      { name: 'fa_mean', abnormal: 'decrease' as const },
    ];
    const nz = fitNormaliser(t, { covariates: ['age'], featureDefs: defs });
    expect(nz.features.map((f) => f.name)).toEqual(['thalamus']);
    expect(nz.notes.join(' ')).toMatch(/fa_mean .* empty for every row/);
    // named explicitly, an empty feature is an error, not silently dropped
    expect(() => fitNormaliser(t, { covariates: ['age'], features: ['thalamus', 'fa_mean'] })).toThrow(/field fa_mean: only 0 controls have a value/);
  });

  it('breaks reference-level ties by natural order (numbers numerically), deterministically', () => {
    const synth = makeCohort({ seed: 9, controls: 40, patients: 0, sites: ['A'], features: FEATURES3 });
    // sites "10" and "9" with 20 controls each: natural order puts 9 first, so 9 is the reference
    const rows = synth.table.rows.map((r, i) => r.map((c, j) => (synth.table.columns[j] === 'site' ? (i % 2 ? '10' : '9') : c)));
    const t = parseTable(toCsv(synth.table.columns, rows), 't.csv');
    const nz = fitNormaliser(t, { covariates: ['site'], features: ['thalamus'] });
    const site = nz.covariates[0]!;
    expect(site.kind).toBe('categorical');
    if (site.kind === 'categorical') {
      expect(site.levels).toEqual(['9', '10']);
      expect(site.reference).toBe('9');
    }
    expect(nz.designColumns).toEqual(['(intercept)', 'site=10']);
  });

  it('without a sidecar every numeric non-covariate column is a feature, and --features restricts', () => {
    const synth = makeCohort({ seed: 6, controls: 60, patients: 10, sites: ['A', 'B'], features: FEATURES3 });
    const all = fitNormaliser(synth.table, { covariates: ['age', 'sex'] });
    expect(all.features.map((f) => f.name)).toEqual(['icv', 'thalamus', 'cortex', 'lesions']);
    expect(all.features.every((f) => f.abnormal === 'decrease')).toBe(true);
    const some = fitNormaliser(synth.table, { covariates: ['age', 'sex'], features: ['cortex'], log: ['cortex'], higherIsAbnormal: ['cortex'] });
    expect(some.features.map((f) => [f.name, f.transform, f.sign])).toEqual([['cortex', 'log', 1]]);
  });

  it('--allow-new-sites gives the control-weighted mean site effect and records the subjects', () => {
    const synth = makeCohort({ seed: 8, controls: 200, patients: 50, sites: ['A', 'B', 'C'], features: FEATURES3 });
    const nz = fitNormaliser(synth.table, { covariates: COVS });
    const site = nz.covariates.find((c) => c.name === 'site')!;
    if (site.kind !== 'categorical') throw new Error('site should be categorical');
    const newRows = parseTable(
      toCsv(synth.table.columns, [
        ['n1', 'MS', '45', 'F', '1500000', 'Z', '8000', '300000', '1.3'],
        ['n2', 'MS', '45', 'F', '1500000', site.reference, '8000', '300000', '1.3'],
      ]),
      'new.csv',
    );
    expect(() => applyNormaliser(nz, newRows)).toThrow(/subject n1, field site: level "Z" of "site" was never seen among the controls.*--allow-new-sites/);
    const res = applyNormaliser(nz, newRows, { allowNewSites: true });
    expect(res.newSiteSubjects).toEqual(['n1']);
    expect(res.notes.join('\n')).toMatch(/--allow-new-sites: 1 subject.*Z.*n1/);
    const N = Object.values(site.controlCounts).reduce((a, b) => a + b, 0);
    nz.features.forEach((f, g) => {
      let meanEffect = 0;
      for (const l of site.levels) if (l !== site.reference) meanEffect += (site.controlCounts[l]! * f.coefficients[`site=${l}`]!) / N;
      expect(Math.abs(f.meanLevelEffect.site! - meanEffect)).toBeLessThan(1e-9 * (1 + Math.abs(meanEffect)));
      // n1 and n2 differ only in site: z difference = sign * meanEffect / sd (n2 is the reference)
      const dz = res.z[0 * 3 + g]! - res.z[1 * 3 + g]!;
      expect(Math.abs(dz - (-f.sign * meanEffect) / f.sd)).toBeLessThan(1e-9);
    });
  });
});
