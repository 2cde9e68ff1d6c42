import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOutcomes } from '../../src/outcomes/index.js';
import { toCsv } from '../../src/io/csv.js';
import { sampleDemoCohort } from '../../src/pipeline/demo-cohort.js';
import { CLINICAL_COLUMNS, demoClinicalRows } from '../../src/pipeline/demo-clinical.js';
import { projectRoot } from '../helpers/cli.js';
import { writeTruthSubjects } from './demo-data.js';

/**
 * The demo's clinical table has a known link to the subtypes (lesion-led = subtype 1: HR 3 for
 * progression, 1.8 x relapses, treatment works there only; EDSS rises with stage). The analyses
 * must find it from the generator's truth.
 */
describe('the demo clinical table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outcomes-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is what the generator writes (the bundled file is current), and leaves the scans\u2019 random streams alone', () => {
    const bundled = readFileSync(join(projectRoot, 'data', 'demo', 'clinical.csv'), 'utf8');
    expect(bundled).toBe(toCsv(CLINICAL_COLUMNS, demoClinicalRows(sampleDemoCohort({}), 2024)));
    // truth.csv of the bundled demo still matches the generator: the clinical table drew from its own stream
    const truth = readFileSync(join(projectRoot, 'data', 'demo', 'truth.csv'), 'utf8')
      .trim()
      .split('\n');
    const s = sampleDemoCohort({});
    expect(truth[241]).toBe(`${s[240]!.id},${s[240]!.group},${s[240]!.subtype},${['cortex-led', 'lesion-led', 'deep-gm-led'][s[240]!.subtype]},${s[240]!.stage.toFixed(3)}`);
  });

  it('recovers the lesion-led subtype\u2019s faster progression, more relapses, treatment response and the stage-EDSS link', () => {
    writeTruthSubjects(join(dir, 'subjects.csv'), join(dir, 'clinical.csv'));
    const { result: r } = runOutcomes(join(dir, 'subjects.csv'), join(dir, 'clinical.csv'), join(dir, 'out'), {
      survival: [{ time: 'cdp_years', event: 'cdp_event' }],
      counts: [{ count: 'relapses', exposure: 'followup_years' }],
      scores: ['edss'],
      covariates: ['age', 'sex'],
      treatment: 'arm',
      treatmentReference: 'placebo',
      referenceSubtype: 0,
      draws: 5,
      seed: 1,
    });
    const cox = r.survival.find((e) => e.model === 'subtype' && e.covariates.length === 2)!;
    const lesion = cox.terms.find((t) => t.term === 'subtype1')!;
    expect(lesion.ciLow).toBeGreaterThan(1);
    expect(lesion.hr).toBeGreaterThan(1.4);
    expect(cox.logrank.p).toBeLessThan(0.01);
    const nb = r.counts.find((e) => e.family === 'negbin' && e.model === 'subtype' && e.covariates.length === 0)!;
    expect(nb.terms.find((t) => t.term === 'subtype1')!.ciLow).toBeGreaterThan(1);
    expect(nb.terms.find((t) => t.term === 'subtype2')!.ciLow).toBeLessThan(1);
    expect(r.scores[0]!.spearman!.rho).toBeGreaterThan(0.6);
    const stage = r.survival.find((e) => e.model === 'stage' && e.covariates.length === 0)!;
    expect(stage.terms[0]!.term).toBe('stage');
    expect(stage.terms[0]!.ciLow).toBeGreaterThan(1);
    const tr = r.treatment.find((t) => t.kind === 'survival')!;
    const within = tr.withinSubtype.find((w) => w.subtype === 1)!.terms.find((t) => t.term === 'arm=active')!;
    expect(within.ratio).toBeLessThan(0.8);
    expect(r.subjects).toMatchObject({ matched: 300, controls: 60, onlyInSubjects: 0, onlyInClinical: 0 });
  });
});
