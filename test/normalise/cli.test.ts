import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { parseTable, toCsv } from '../../src/io/csv.js';
import { readNormaliser } from '../../src/normalise/index.js';
import { FEATURES3, makeCohort } from './synth.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ms-normalise-');
const p = (f: string) => join(dir, f);
const read = (f: string) => readFileSync(p(f), 'utf8');

describe('ms-subtype normalise (CLI)', () => {
  beforeAll(() => {
    const synth = makeCohort({ seed: 3, controls: 150, patients: 60, sites: ['A', 'B', 'C'], features: FEATURES3, missing: 0.02 });
    writeFileSync(p('features.csv'), synth.csv);
    // the extract sidecar: feature definitions, icv as a covariate
    writeFileSync(
      p('features.csv.json'),
      JSON.stringify({
        toolVersion: '0.1.0',
        features: [
          { name: 'thalamus', measure: 'volume', labels: [10, 49], abnormal: 'decrease', transform: 'none' },
          { name: 'cortex', measure: 'volume', labels: [3, 42], abnormal: 'decrease', transform: 'none' },
          { name: 'lesions', measure: 'volume', labels: [77], abnormal: 'increase', transform: 'log' },
          { name: 'icv', measure: 'volume', labels: [], abnormal: 'decrease', transform: 'none', role: 'covariate' },
        ],
      }),
    );
    const fresh = makeCohort({ seed: 4, controls: 0, patients: 5, sites: ['A', 'B', 'C'], features: FEATURES3 });
    const rows = fresh.table.rows.map((r) => [...r]);
    rows[2]![5] = 'D';
    writeFileSync(p('new.csv'), toCsv(fresh.table.columns, rows));
  });

  it('explains inputs, outputs and an example in --help', () => {
    const r = runCli(['normalise', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--control-column/);
    expect(r.stdout).toMatch(/Outputs:/);
    expect(r.stdout).toMatch(/ms-subtype normalise --apply/);
  });

  it('fits, writes z.csv, its sidecar and the normaliser; --apply reproduces z.csv byte for byte', () => {
    const fit = runCli(['normalise', '--data', p('features.csv'), '--covariates', 'age,sex,icv,site', '--control-column', 'group', '--control-values', 'HC', '--out', p('z.csv')]);
    expect(fit.stderr).not.toMatch(/error/);
    expect(fit.stderr).toMatch(/note: \d+ z-score\(s\) are missing/);
    expect(fit.code).toBe(0);
    expect(fit.stdout).toMatch(/210 rows \(150 controls\) x 3 features/);
    const z = parseTable(read('z.csv'), 'z.csv');
    expect(z.columns).toEqual(['subject_id', 'group', 'age', 'sex', 'icv', 'site', 'is_control', 'thalamus', 'cortex', 'lesions']);
    const side = JSON.parse(read('z.csv.json'));
    expect(side.features).toEqual(['thalamus', 'cortex', 'lesions']);
    expect(side.directions).toEqual({ thalamus: 'decrease', cortex: 'decrease', lesions: 'increase' });
    expect(side.transforms.lesions).toBe('log');
    expect(side.featuresSidecar).toBe(p('features.csv.json'));
    expect(side.fitReport).toHaveLength(3);
    for (const f of side.fitReport) {
      expect(Object.keys(f.coefficients)).toEqual(side.designColumns);
      expect(f.r2).toBeGreaterThan(0);
      expect(f.sd).toBeGreaterThan(0);
      expect(f.nControls).toBeGreaterThan(130);
    }
    expect(side.counts.controls).toBe(150);
    expect(side.counts.missingZ).toBeGreaterThan(0);
    expect(existsSync(p('z.normaliser.json'))).toBe(true);
    const nz = readNormaliser(p('z.normaliser.json'));
    expect(nz.features.map((f) => f.name)).toEqual(side.features);

    const again = runCli(['normalise', '--apply', p('z.normaliser.json'), '--data', p('features.csv'), '--out', p('z-applied.csv'), '--quiet']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`${p('z-applied.csv')}\n`); // --quiet: only the output path
    expect(read('z-applied.csv')).toBe(read('z.csv'));
    expect(JSON.parse(read('z-applied.csv.json')).command).toBe('normalise --apply');

    // a rerun of the fit gives the same bytes everywhere
    const before = [read('z.csv'), read('z.csv.json'), read('z.normaliser.json')];
    expect(runCli(['normalise', '--data', p('features.csv'), '--covariates', 'age,sex,icv,site', '--out', p('z.csv'), '--quiet']).code).toBe(0);
    expect([read('z.csv'), read('z.csv.json'), read('z.normaliser.json')]).toEqual(before);
  });

  it('with ComBat: --apply reproduces z.csv; unseen sites fail or, allowed, are recorded in the sidecar', () => {
    const fit = runCli([
      'normalise',
      '--data',
      p('features.csv'),
      '--covariates',
      'age,sex,icv',
      '--harmonise',
      'combat',
      '--out',
      p('zc.csv'),
      '--save-normaliser',
      p('combat.json'),
      '--quiet',
    ]);
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    const side = JSON.parse(read('zc.csv.json'));
    expect(side.harmonisation.method).toBe('combat');
    expect(side.harmonisation.sites).toEqual(['A', 'B', 'C']);
    const app = runCli(['normalise', '--apply', p('combat.json'), '--data', p('features.csv'), '--out', p('zc2.csv'), '--quiet']);
    expect(app.code).toBe(0);
    expect(read('zc2.csv')).toBe(read('zc.csv'));

    const bad = runCli(['normalise', '--apply', p('combat.json'), '--data', p('new.csv'), '--out', p('zn.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/subject s0003, field site: level "D" of "site" was never seen among the controls/);
    expect(existsSync(p('zn.csv'))).toBe(false);

    const ok = runCli(['normalise', '--apply', p('combat.json'), '--data', p('new.csv'), '--out', p('zn.csv'), '--allow-new-sites']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/note: --allow-new-sites/);
    const s = JSON.parse(read('zn.csv.json'));
    expect(s.newSiteSubjects).toEqual(['s0003']);
    expect(s.settings.allowNewSites).toBe(true);
    expect(s.notes.join(' ')).toMatch(/s0003/);
    const z = parseTable(read('zn.csv'), 'zn.csv');
    expect(z.rows.every((r) => r[z.columns.indexOf('is_control')] === '0')).toBe(true);
  });

  it('refuses model options with --apply, and reports bad input in one line without a stack trace', () => {
    const r = runCli(['normalise', '--apply', p('z.normaliser.json'), '--data', p('features.csv'), '--out', p('x.csv'), '--covariates', 'age']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--covariates cannot be used with --apply/);
    const b = runCli(['normalise', '--data', p('features.csv'), '--covariates', 'age,site,bmi', '--out', p('x.csv')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/missing covariate column "bmi"/);
    expect(b.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
