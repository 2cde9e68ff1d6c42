import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSteps } from '../../src/pipeline/runner.js';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/pipeline/config.js';
import { assignStep, cvStep, fitStep, reportStep } from '../../src/pipeline/steps-model.js';
import { LAYOUT } from '../../src/pipeline/layout.js';
import { writeZTable } from '../../src/io/ztable.js';
import { readTable } from '../../src/io/csv.js';
import { simulateLongitudinal } from '../../src/sustain/longitudinal/simulate.js';

const out = mkdtempSync(join(tmpdir(), 'ms-run-longitudinal-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// The model steps of `run` on a longitudinal z table (as normalise writes it: session and years carried).
describe('run with fit.time (longitudinal data)', () => {
  it('fits, cross-validates by subject, assigns and reports with one subtype per subject', async () => {
    const sim = simulateLongitudinal({ subjects: 80, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 5, visits: [2, 3], interval: 1, rate: 1 });
    writeZTable(join(out, LAYOUT.z), sim.data);
    writeFileSync(join(out, LAYOUT.zSidecar), JSON.stringify({ features: sim.data.biomarkers }));
    writeFileSync(join(out, LAYOUT.featuresSidecar), '{}');
    const cfg: RunConfig = {
      ...DEFAULT_CONFIG,
      fit: { ...DEFAULT_CONFIG.fit, zvals: [1, 2], zmax: 4, maxSubtypes: 2, startpoints: 2, mcmc: 400, tune: 100, samples: 40, time: 'years' },
      cv: { ...DEFAULT_CONFIG.cv, folds: 2, startpoints: 2, mcmc: 300 },
      kmeans: { ...DEFAULT_CONFIG.kmeans, enabled: false },
    };
    const outcomes = await runSteps(cfg, [fitStep, cvStep, assignStep, reportStep], { out, jobs: 1, quiet: true });
    expect(outcomes.map((o) => o.status)).toEqual(['ran', 'ran', 'ran', 'ran']);
    const model = JSON.parse(readFileSync(join(out, LAYOUT.model), 'utf8'));
    expect(model.settings.time).toBe('years');
    expect(model.training.subjects).toBe(80);
    expect(JSON.parse(readFileSync(join(out, LAYOUT.cv), 'utf8')).settings.time).toBe('years');
    const t = readTable(join(out, LAYOUT.assign));
    const id = t.columns.indexOf('subject_id');
    const sub = t.columns.indexOf('ml_subtype');
    const stage = t.columns.indexOf('ml_stage');
    expect(t.columns).toContain('progression_rate');
    for (let r = 1; r < t.rows.length; r++) {
      if (t.rows[r]![id] !== t.rows[r - 1]![id]) continue;
      expect(t.rows[r]![sub]).toBe(t.rows[r - 1]![sub]);
      expect(Number(t.rows[r]![stage])).toBeGreaterThanOrEqual(Number(t.rows[r - 1]![stage]));
    }
    expect(readFileSync(join(out, LAYOUT.report), 'utf8')).toContain('<section id="longitudinal">');
  });

  it('runs the mixture kind (fit.kind mixture) on the visits too', async () => {
    const dir = join(out, 'mixture');
    const sim = simulateLongitudinal({ subjects: 80, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 6, visits: [2, 3], interval: 1, rate: 1 });
    // as normalise writes it: the controls flagged is_control (the mixtures' normal component)
    sim.data.carried!['is_control'] = sim.data.carried!['group']!.map((g) => (g === 'HC' ? '1' : '0'));
    mkdirSync(dir, { recursive: true });
    writeZTable(join(dir, LAYOUT.z), sim.data);
    writeFileSync(join(dir, LAYOUT.zSidecar), JSON.stringify({ features: sim.data.biomarkers }));
    writeFileSync(join(dir, LAYOUT.featuresSidecar), '{}');
    const cfg: RunConfig = {
      ...DEFAULT_CONFIG,
      fit: { ...DEFAULT_CONFIG.fit, kind: 'mixture', maxSubtypes: 2, startpoints: 2, mcmc: 300, tune: 100, samples: 40, time: 'years' },
      cv: { ...DEFAULT_CONFIG.cv, folds: 2, startpoints: 1, mcmc: 200 },
      kmeans: { ...DEFAULT_CONFIG.kmeans, enabled: false },
    };
    const outcomes = await runSteps(cfg, [fitStep, cvStep, assignStep, reportStep], { out: dir, jobs: 1, quiet: true });
    expect(outcomes.map((o) => o.status)).toEqual(['ran', 'ran', 'ran', 'ran']);
    const model = JSON.parse(readFileSync(join(dir, LAYOUT.model), 'utf8'));
    expect(model.method).toBe('sustain-mixture');
    expect(model.settings.time).toBe('years');
    // the patients only (controls flagged is_control are left out of the fit)
    expect(model.training.subjects).toBe(60);
    const t = readTable(join(dir, LAYOUT.assign));
    const [id, sub, stage] = ['subject_id', 'ml_subtype', 'ml_stage'].map((c) => t.columns.indexOf(c));
    expect(t.rows.length).toBe(sim.data.subjects.length);
    for (let r = 1; r < t.rows.length; r++) {
      if (t.rows[r]![id!] !== t.rows[r - 1]![id!]) continue;
      expect(t.rows[r]![sub!]).toBe(t.rows[r - 1]![sub!]);
      expect(Number(t.rows[r]![stage!])).toBeGreaterThanOrEqual(Number(t.rows[r - 1]![stage!]));
    }
    expect(readFileSync(join(dir, LAYOUT.report), 'utf8')).toContain('<section id="longitudinal">');
  });
});
