import { describe, it, expect } from 'vitest';
import { applyNormaliser, fitNormaliser, validateNormaliser, type FitOptions } from '../../src/normalise/index.js';
import { errorOf } from '../helpers/errors.js';
import { parseTable, toCsv, type Table } from '../../src/io/csv.js';
import { FEATURES3, makeCohort } from './synth.js';

const base = makeCohort({ seed: 21, controls: 80, patients: 20, sites: ['A', 'B'], features: FEATURES3 });

/** A copy of the synthetic table with edits: set(rowIndex, column, value), or extra columns. */
function edited(edit: (cols: string[], rows: string[][]) => void): Table {
  const cols = [...base.table.columns];
  const rows = base.table.rows.map((r) => [...r]);
  edit(cols, rows);
  return parseTable(toCsv(cols, rows), 'cohort.csv');
}

function set(rows: string[][], cols: string[], r: number, col: string, v: string): void {
  rows[r]![cols.indexOf(col)] = v;
}

const opts: Partial<FitOptions> = { covariates: ['age', 'sex', 'icv', 'site'], features: ['thalamus', 'cortex', 'lesions'] };

describe('normalise: bad input gives a clear error, never NaN', () => {
  it('a non-numeric feature cell names the subject and the field', () => {
    const t = edited((c, r) => set(r, c, 3, 'cortex', '12O00'));
    const e = errorOf(() => fitNormaliser(t, opts));
    expect(e.message).toMatch(/cohort\.csv, line 5, subject s0004, field cortex: "12O00" is not a number/);
  });

  it('a non-numeric cell in a numeric covariate is an error that mentions --categorical', () => {
    const t = edited((c, r) => set(r, c, 90, 'age', 'sixty'));
    const e = errorOf(() => fitNormaliser(t, opts));
    expect(e.message).toMatch(/subject s0091, field age: "sixty" is not a number.*--categorical age/);
  });

  it('an empty covariate cell (a missing covariate) names the subject', () => {
    const t = edited((c, r) => set(r, c, 85, 'sex', ''));
    const e = errorOf(() => fitNormaliser(t, opts));
    expect(e.message).toMatch(/subject s0086, field sex: missing covariate value/);
  });

  it('an empty covariate column and a missing covariate column are errors', () => {
    const t = edited((c, r) => r.forEach((_, i) => set(r, c, i, 'icv', '')));
    expect(errorOf(() => fitNormaliser(t, opts)).message).toMatch(/field icv: covariate "icv" is empty for every subject/);
    expect(errorOf(() => fitNormaliser(base.table, { ...opts, covariates: ['age', 'height'] })).message).toMatch(/missing covariate column "height"/);
  });

  it('a site with one control is a singular design that names the site and the control', () => {
    const t = edited((c, r) => set(r, c, 7, 'site', 'Solo'));
    const e = errorOf(() => fitNormaliser(t, opts));
    expect(e.message).toMatch(/subject s0008, field site: level "Solo" of "site" has 1 control \(s0008\)/);
    expect(e.place.field).toBe('site');
  });

  it('collinear covariates are named', () => {
    const t = edited((c, r) => {
      c.push('icv_ml');
      r.forEach((row) => row.push(String(Number(row[c.indexOf('icv')]) / 1000)));
    });
    const e = errorOf(() => fitNormaliser(t, { ...opts, covariates: ['age', 'icv', 'icv_ml'] }));
    expect(e.message).toMatch(/feature thalamus: collinear covariates: "icv_ml" is a linear combination of "icv"/);
    expect(e.place.field).toBe('icv_ml');
  });

  it('a covariate constant among the controls is named', () => {
    const t = edited((c, r) => {
      c.push('scanner_version');
      r.forEach((row, i) => row.push(i < 80 ? '3' : String(i)));
    });
    const e = errorOf(() => fitNormaliser(t, { ...opts, covariates: ['age', 'scanner_version'] }));
    expect(e.message).toMatch(/"scanner_version" is constant among the controls/);
  });

  it('too few controls for a feature (fewer than covariate columns + 10) names the feature', () => {
    // thalamus missing for all but 13 controls; the model has 4 covariate columns (2 sites) -> 14 needed
    const t = edited((c, r) => {
      for (let i = 13; i < 80; i++) set(r, c, i, 'thalamus', '');
    });
    const e = errorOf(() => fitNormaliser(t, opts));
    expect(e.message).toMatch(/field thalamus: only 13 controls have a value for this feature, .*4 covariate columns \(age, sex=., icv, site=.\).*at least 14 controls/);
  });

  it('no controls, a missing control column and an unseen categorical level are errors', () => {
    expect(errorOf(() => fitNormaliser(base.table, { ...opts, controlValues: ['control'] })).message).toMatch(/no healthy controls.*values found: "HC", "MS"/);
    expect(errorOf(() => fitNormaliser(base.table, { ...opts, controlColumn: 'diagnosis' })).message).toMatch(/missing control column "diagnosis"/);
    const t = edited((c, r) => set(r, c, 95, 'sex', 'X'));
    const nz = fitNormaliser(base.table, opts);
    // an unseen sex level is an error even with --allow-new-sites (that covers the site column only)
    const e = errorOf(() => applyNormaliser(nz, t, { allowNewSites: true }));
    expect(e.message).toMatch(/subject s0096, field sex: level "X" of "sex" was never seen among the controls/);
    expect(e.message).not.toMatch(/allow-new-sites/);
  });

  it('a negative value of a log-transformed feature, a constant feature and a duplicate subject are errors', () => {
    const t = edited((c, r) => set(r, c, 2, 'lesions', '-0.5'));
    expect(errorOf(() => fitNormaliser(t, { ...opts, log: ['lesions'] })).message).toMatch(/subject s0003, field lesions: -0.5 is negative.*log/);
    const k = edited((c, r) => r.forEach((_, i) => set(r, c, i, 'lesions', '1')));
    expect(errorOf(() => fitNormaliser(k, opts)).message).toMatch(/field lesions: the value is the same for every control/);
    const d = edited((c, r) => set(r, c, 5, 'subject_id', 's0001'));
    expect(errorOf(() => fitNormaliser(d, opts)).message).toMatch(/subject s0001 appears twice \(lines 2 and 7\)/);
  });

  it('names typos in feature lists', () => {
    expect(errorOf(() => fitNormaliser(base.table, { ...opts, higherIsAbnormal: ['lesion'] })).message).toMatch(/--higher-is-abnormal names "lesion"/);
    expect(errorOf(() => fitNormaliser(base.table, { ...opts, features: ['thalamus', 'age'] })).message).toMatch(/"age" is a covariate/);
  });

  it('a damaged normaliser file is refused naming the key', () => {
    const nz = fitNormaliser(base.table, opts);
    const broken = JSON.parse(JSON.stringify(nz));
    delete broken.features[1].coefficients.age;
    expect(errorOf(() => validateNormaliser(broken, 'n.json')).message).toMatch(/n\.json, field features\.1\.coefficients: .*"age"/);
    const wrong = JSON.parse(JSON.stringify(nz));
    wrong.features[0].sd = 'big';
    expect(errorOf(() => validateNormaliser(wrong, 'n.json')).message).toMatch(/field features\.0\.sd/);
    expect(errorOf(() => validateNormaliser({ format: 'other' }, 'n.json')).message).toMatch(/n\.json/);
  });

  it('the output has no NaN except where a feature value is missing', () => {
    const t = edited((c, r) => set(r, c, 90, 'cortex', 'NA'));
    const nz = fitNormaliser(t, opts);
    const res = applyNormaliser(nz, t);
    const F = res.features.length;
    for (let r = 0; r < res.subjects.length; r++) {
      for (let g = 0; g < F; g++) {
        const v = res.z[r * F + g]!;
        if (r === 90 && res.features[g] === 'cortex') expect(Number.isNaN(v)).toBe(true);
        else expect(Number.isFinite(v)).toBe(true);
      }
    }
    expect(res.notes.join(' ')).toMatch(/1 z-score\(s\) are missing/);
  });
});
