import { describe, expect, it } from 'vitest';
import { applyNormaliser, fitNormaliser } from '../../src/normalise/index.js';
import { exceedanceMessage, zExceedance } from '../../src/normalise/exceedance.js';
import { FEATURES3, makeCohort } from './synth.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseFiles } from '../../src/normalise/files.js';
import { toCsv } from '../../src/io/csv.js';
import { tempDir } from '../helpers/tmp.js';

describe('z-scores above zmax', () => {
  it('counts cells per biomarker against each biomarker\u2019s zmax, skipping missing values', () => {
    // 3 subjects x 2 biomarkers
    const v = Float64Array.from([6, 1, NaN, 4.5, 469, 3.9]);
    const e = zExceedance(v, ['cortex', 'lesions'], [5, 4]);
    expect(e.values).toBe(5);
    expect(e.cells).toBe(3);
    expect(e.biomarkers).toEqual([
      { name: 'cortex', cells: 2, max: 469, zmax: 5 },
      { name: 'lesions', cells: 1, max: 4.5, zmax: 4 },
    ]);
    const msg = exceedanceMessage(e)!;
    expect(msg).toMatch(/^3 of 5 z-scores are above zmax in 2 biomarker\(s\): cortex 2 \(max 469\), lesions 1 \(max 4.5\)/);
    expect(msg).toContain('z = 469 in cortex');
    expect(exceedanceMessage(zExceedance(v, ['cortex', 'lesions'], 1000))).toBeNull();
  });

  it('normalise notes z-scores above the default zmax, naming the biomarker', () => {
    const synth = makeCohort({ seed: 3, controls: 200, patients: 50, sites: ['A'], siteWeights: [1], features: FEATURES3 });
    const nz = fitNormaliser(synth.table, { covariates: ['age'] });
    const clean = applyNormaliser(nz, synth.table);
    const f = nz.features[0]!;
    // One patient's value made absurd (a unit error, say): its z is far beyond 5.
    const j = synth.table.columns.indexOf(f.name);
    const r = synth.table.rows.findIndex((row) => row[synth.table.columns.indexOf('group')] !== 'HC');
    const rows = synth.table.rows.map((row) => [...row]);
    rows[r]![j] = String(f.abnormal === 'increase' ? Number(rows[r]![j]) * 1000 : Number(rows[r]![j]) / 1000);
    const bad = applyNormaliser(nz, { ...synth.table, rows });
    const note = bad.notes.find((n) => n.includes('above z = 5'));
    expect(note).toBeDefined();
    expect(note).toContain(f.name);
    const before = zExceedance(clean.z, clean.features, 5).biomarkers.find((b) => b.name === f.name)?.cells ?? 0;
    const after = zExceedance(bad.z, bad.features, 5).biomarkers.find((b) => b.name === f.name)!;
    expect(after.cells).toBe(before + 1);
    expect(after.max).toBeGreaterThan(5);
  });
});

describe('feature labels', () => {
  it('pass from the feature definitions into the z sidecar (for the report)', () => {
    const dir = tempDir('ms-labels-');
    const synth = makeCohort({ seed: 5, controls: 60, patients: 20, sites: ['A'], siteWeights: [1], features: FEATURES3 });
    const data = join(dir, 'features.csv');
    writeFileSync(data, toCsv(synth.table.columns, synth.table.rows));
    const r = normaliseFiles({
      data,
      out: join(dir, 'z.csv'),
      covariates: ['age'],
      featuresSidecar: null,
      featureDefs: [
        { name: 'thalamus', abnormal: 'decrease', label: 'Thalamus', unit: 'mm³' },
        { name: 'cortex', abnormal: 'decrease' },
        { name: 'lesions', abnormal: 'increase' },
      ],
    });
    const side = JSON.parse(readFileSync(r.sidecarFile, 'utf8')) as { featureLabels: unknown };
    expect(side.featureLabels).toEqual({ thalamus: { label: 'Thalamus', unit: 'mm³' } });
  });
});
