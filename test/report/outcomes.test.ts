import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/common/rng.js';
import { writeCsvAtomic } from '../../src/io/csv.js';
import { writeModelFile } from '../../src/io/modelfile.js';
import { runOutcomes } from '../../src/outcomes/index.js';
import { writeSubjects } from '../../src/io/subjects.js';
import { writeReport } from '../../src/report/index.js';
import { errorOf } from '../helpers/errors.js';
import { makeAssignment, makeModel, REALISTIC } from './fixtures.js';

/** The clinical section: subject table + clinical table -> outcomes.json -> report with Table 1, KM, forest plot, score plot. */
describe('report --outcomes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-outcomes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const o = { ...REALISTIC, subjects: 200, controls: 20, samples: 50 };
  const model = makeModel(o);
  const { assignment: a, carried } = makeAssignment(o, model, 3);
  writeModelFile(join(dir, 'model.json'), model);
  writeSubjects(join(dir, 'subjects.csv'), a, carried, { method: 'sustain-zscore', model: null, data: null });
  const rng = Rng.fromSeed(4);
  writeCsvAtomic(
    join(dir, 'clinical.csv'),
    ['subject_id', 'sex', 'years', 'progressed', 'relapses', 'followup', 'edss'],
    a.subjects.map((s, i) => {
      const hazard = 0.1 * (a.mlSubtype[i] === 1 ? 2.5 : 1) * Math.exp(0.1 * a.mlStage[i]!);
      const t = -Math.log(1 - rng.uniform()) / hazard;
      const fu = 1 + 6 * rng.uniform();
      return [s, rng.uniform() < 0.6 ? 'F' : 'M', Math.min(t, fu).toFixed(2), t < fu ? 1 : 0, rng.int(4), fu.toFixed(2), (a.mlStage[i]! / 5 + rng.uniform()).toFixed(1)];
    }),
  );

  it('adds Table 1, a Kaplan-Meier figure per outcome with numbers at risk, the forest plot and score plots', async () => {
    runOutcomes(join(dir, 'subjects.csv'), join(dir, 'clinical.csv'), join(dir, 'outcomes'), {
      survival: [{ time: 'years', event: 'progressed' }],
      counts: [{ count: 'relapses', exposure: 'followup' }],
      scores: ['edss'],
      covariates: ['age', 'sex'],
      treatment: null,
      treatmentReference: null,
      referenceSubtype: 0,
      draws: 4,
      seed: 1,
    });
    const base = { model: join(dir, 'model.json'), subjects: join(dir, 'subjects.csv') };
    const r = await writeReport({ ...base, outcomes: join(dir, 'outcomes', 'outcomes.json'), out: join(dir, 'report') });
    const html = readFileSync(r.htmlPath, 'utf8');
    expect(html).toContain('<section id="outcomes"><h2>Clinical outcomes</h2>');
    expect(html).toContain('href="#outcomes"');
    for (const f of ['outcomes-km-1.svg', 'outcomes-forest.svg', 'outcomes-score-1.svg']) expect(html).toContain(`data-figure="${f}"`);
    expect(html).toMatch(/<th[^>]*>At risk<\/th>/);
    expect(html).toContain('Table 1');
    expect(html).toMatch(/Log-rank test across subtypes: χ² = [\d.]+ on 2 df/);
    expect(html).toContain('pooled over posterior draws');
    // Without --outcomes the section and its figures go (a stale figure from an earlier report is removed).
    const again = await writeReport({ ...base, out: join(dir, 'report') });
    expect(readFileSync(again.htmlPath, 'utf8')).not.toContain('id="outcomes"');
    expect(readdirSync(join(dir, 'report', 'figures')).filter((f) => f.startsWith('outcomes-'))).toEqual([]);
  });

  it('refuses an outcomes file made for another number of subtypes', async () => {
    const { assignment: a2, carried: c2 } = makeAssignment(o, model, 2);
    writeSubjects(join(dir, 'subjects2.csv'), a2, c2, { method: 'sustain-zscore', model: null, data: null });
    const e = await writeReport({ model: join(dir, 'model.json'), subjects: join(dir, 'subjects2.csv'), outcomes: join(dir, 'outcomes', 'outcomes.json'), out: join(dir, 'r2') }).catch(
      (x: unknown) => x,
    );
    expect(
      errorOf(() => {
        throw e;
      }).message,
    ).toMatch(/the outcomes file was computed for 3 subtype\(s\) but the report shows 2/);
  });
});
