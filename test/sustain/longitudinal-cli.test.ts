import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess as runCli } from '../helpers/cli-inprocess.js';
import { readTable } from '../../src/io/csv.js';
import { subjectFolds } from '../../src/cv/run.js';
import { startsOf } from '../../src/sustain/longitudinal/visits.js';

const tmp = mkdtempSync(join(tmpdir(), 'ms-longitudinal-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sim = join(tmp, 'sim');
const light = ['--max-subtypes', '2', '--startpoints', '2', '--mcmc', '600', '--tune', '100', '--samples', '50', '--seed', '2', '--quiet'];

function lines(f: string): string[] {
  return readFileSync(f, 'utf8').trim().split('\n');
}

describe('longitudinal data on the command line', () => {
  it('simulates visits that never go backwards', async () => {
    const r = await runCli([
      'simulate',
      '--n-subjects',
      '120',
      '--n-biomarkers',
      '4',
      '--subtypes',
      '2',
      '--zvals',
      '1,2',
      '--zmax',
      '4',
      '--visits',
      '2..4',
      '--visit-interval',
      '0.5',
      '--rate',
      '2',
      '--seed',
      '3',
      '--out',
      sim,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const z = lines(join(sim, 'z.csv'));
    expect(z[0]).toBe('subject_id,session,years,group,b01,b02,b03,b04');
    const truth = readTable(join(sim, 'truth.csv'));
    expect(truth.columns).toEqual(['subject_id', 'session', 'true_subtype', 'true_stage', 'true_rate']);
    const per = new Map<string, string[][]>();
    for (const row of truth.rows) per.set(row[0]!, [...(per.get(row[0]!) ?? []), row]);
    expect(per.size).toBe(120);
    for (const rows of per.values()) {
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.length).toBeLessThanOrEqual(4);
      expect(new Set(rows.map((r) => r[2])).size).toBe(1);
      for (let v = 1; v < rows.length; v++) expect(Number(rows[v]![3])).toBeGreaterThanOrEqual(Number(rows[v - 1]![3]));
    }
    expect(z[2]!.split(',').slice(1, 3)).toEqual(['ses-2', '0.5']);
    const bad = await runCli(['simulate', '--visits', '4..2', '--out', join(tmp, 'x')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/visits/);
  });

  it('fits with --time: one subtype per subject, stages never decrease, same bytes for any --jobs; assign gives the same table', async () => {
    const a = join(tmp, 'fit1');
    const b = join(tmp, 'fit2');
    const r1 = await runCli(['fit', '--data', join(sim, 'z.csv'), '--time', 'years', ...light.filter((f) => f !== '--quiet'), '--jobs', '1', '--out', a]);
    // (only warnings: a few simulated z-scores lie above zmax)
    expect(r1.stderr).toMatch(/^(warning: [^\n]*\n)*$/);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/120 subjects \(\d+ visits, longitudinal\)/);
    const r2 = await runCli(['fit', '--data', join(sim, 'z.csv'), '--time', 'years', ...light, '--jobs', '2', '--out', b]);
    expect(r2.code).toBe(0);
    expect(readFileSync(join(b, 'subjects.csv'), 'utf8')).toBe(readFileSync(join(a, 'subjects.csv'), 'utf8'));
    const ma = JSON.parse(readFileSync(join(a, 'model.json'), 'utf8'));
    const mb = JSON.parse(readFileSync(join(b, 'model.json'), 'utf8'));
    expect(mb.fits).toEqual(ma.fits);
    expect(ma.settings.time).toBe('years');
    expect(ma.training.subjects).toBe(120);
    // subjects.csv: one row per visit, grouped by subject in time order
    const t = readTable(join(a, 'subjects.csv'));
    const col = (c: string) => t.columns.indexOf(c);
    expect(t.columns.slice(0, 7)).toEqual(['subject_id', 'ml_subtype', 'prob_ml_subtype', 'ml_stage', 'prob_ml_stage', 'prob_subtype_0', 'prob_subtype_1']);
    expect(t.columns.slice(7, 9)).toEqual(['session', 'years']);
    for (const c of ['years', 'expected_stage', 'progression_rate', 'prob_stage_0', 'prob_stage_4']) expect(col(c)).toBeGreaterThan(0);
    expect(t.rows.length).toBe(lines(join(sim, 'z.csv')).length - 1);
    for (let r = 1; r < t.rows.length; r++) {
      const [p, q] = [t.rows[r - 1]!, t.rows[r]!];
      if (p[0] !== q[0]) continue;
      expect(q[col('ml_subtype')]).toBe(p[col('ml_subtype')]);
      expect(q[col('prob_subtype_0')]).toBe(p[col('prob_subtype_0')]);
      expect(Number(q[col('years')])).toBeGreaterThan(Number(p[col('years')]));
      expect(Number(q[col('ml_stage')])).toBeGreaterThanOrEqual(Number(p[col('ml_stage')]));
      expect(Number(q[col('progression_rate')])).toBeGreaterThanOrEqual(0);
    }
    for (const c of ['cross_sectional_subtype', 'cross_sectional_stage']) expect(col(c)).toBeGreaterThan(0);
    // the report's longitudinal section: stage over time, rates, the cross-sectional comparison
    const rep = await runCli(['report', '--model', join(a, 'model.json'), '--subjects', join(a, 'subjects.csv'), '--out', join(tmp, 'report'), '--quiet']);
    expect(rep.stderr).toBe('');
    expect(rep.code).toBe(0);
    const html = readFileSync(join(tmp, 'report', 'report.html'), 'utf8');
    expect(html).toContain('<section id="longitudinal">');
    expect(html).toMatch(/would switch subtype/);
    for (const f of ['stage-over-time.svg', 'progression-rates.svg']) expect(readFileSync(join(tmp, 'report', 'figures', f), 'utf8')).toMatch(/^<svg/);
    const re = join(tmp, 're.csv');
    const r3 = await runCli(['assign', '--model', join(a, 'model.json'), '--data', join(sim, 'z.csv'), '--out', re]);
    expect(r3.code).toBe(0);
    expect(readFileSync(re, 'utf8')).toBe(readFileSync(join(a, 'subjects.csv'), 'utf8'));
  });

  it('assigns a new visit of a known subject together with its earlier visits (--history)', async () => {
    const z = lines(join(sim, 'z.csv'));
    const last = new Map<string, number>();
    z.slice(1).forEach((l, i) => last.set(l.split(',')[0]!, i + 1));
    const newRows = new Set(last.values());
    const hist = join(tmp, 'hist.csv');
    const next = join(tmp, 'next.csv');
    writeFileSync(hist, [z[0], ...z.slice(1).filter((_, i) => !newRows.has(i + 1))].join('\n') + '\n');
    writeFileSync(next, [z[0], ...z.slice(1).filter((_, i) => newRows.has(i + 1))].join('\n') + '\n');
    const out = join(tmp, 'next-subjects.csv');
    const model = join(tmp, 'fit1', 'model.json');
    const r = await runCli(['assign', '--model', model, '--data', next, '--history', hist, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // with the whole history, each new visit's row is the row of the full-data assignment
    const full = lines(join(tmp, 'fit1', 'subjects.csv'));
    const mine = lines(out);
    expect(mine[0]).toBe(full[0]);
    expect(mine.length - 1).toBe(120);
    for (const row of mine.slice(1)) expect(full).toContain(row);
    // without the history the new visit stands alone: a different (cross-sectional) answer for some
    const alone = join(tmp, 'alone.csv');
    expect((await runCli(['assign', '--model', model, '--data', next, '--out', alone])).code).toBe(0);
    expect(lines(alone).filter((l) => !full.includes(l)).length).toBeGreaterThan(0);
    // a visit given in both files is an error naming the subject, the line and the other file's line
    const dup = await runCli(['assign', '--model', model, '--data', next, '--history', join(sim, 'z.csv'), '--out', join(tmp, 'dup.csv')]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/next\.csv, line 2, subject sim\d+, field session: session "ses-\d" appears twice for this subject \(also on .*z\.csv line \d+\)/);
  });

  it('refuses visits at the same time, a missing time and a session given twice, naming subject and line', async () => {
    const head = 'subject_id,session,years,b01,b02,b03,b04';
    const cases: [string[], RegExp][] = [
      [['a,ses-1,0,1,1,1,1', 'a,ses-2,1,1,1,1,1', 'b,ses-1,0,1,1,1,1', 'b,ses-2,0,2,2,2,2'], /bad\.csv, line 5, subject b, field years: two visits at the same time 0 \(also on line 4\)/],
      [['a,ses-1,0,1,1,1,1', 'a,ses-2,,1,1,1,1'], /bad\.csv, line 3, subject a, field years: missing visit time/],
      [['a,ses-1,0,1,1,1,1', 'a,ses-2,soon,1,1,1,1'], /bad\.csv, line 3, subject a, field years: visit time "soon" is not a number/],
      [['a,ses-1,0,1,1,1,1', 'b,ses-1,0,1,1,1,1', 'a,ses-1,2,1,1,1,1'], /bad\.csv, line 4, subject a: subject a session "ses-1" appears twice \(lines 2 and 4\)/],
    ];
    const bad = join(tmp, 'bad.csv');
    for (const [rows, re] of cases) {
      writeFileSync(bad, [head, ...rows].join('\n') + '\n');
      const r = await runCli(['fit', '--data', bad, '--time', 'years', ...light, '--out', join(tmp, 'bad')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    writeFileSync(bad, [head.replace(',session', ''), 'a,0,1,1,1,1'].join('\n') + '\n');
    const r = await runCli(['fit', '--data', bad, '--time', 'years', ...light, '--out', join(tmp, 'bad')]);
    expect(r.stderr).toMatch(/missing column "session"/);
    const r2 = await runCli(['fit', '--data', join(sim, 'z.csv'), '--time', 'age', ...light, '--out', join(tmp, 'bad')]);
    expect(r2.stderr).toMatch(/missing time column "age"/);
  });

  it("cross-validates by subject: a subject's visits are never split between folds", async () => {
    const start = startsOf([3, 1, 4, 2, 2, 3, 1, 2, 4, 2]);
    const labels = Array.from({ length: start[10]! }, (_, r) => (r % 3 === 0 ? 'x' : 'y'));
    const f = subjectFolds(start, 3, 5, labels);
    const sizes = [0, 0, 0];
    for (let j = 0; j < 10; j++) {
      sizes[f[start[j]!]!]!++;
      for (let r = start[j]!; r < start[j + 1]!; r++) expect(f[r]).toBe(f[start[j]!]);
    }
    // subjects dealt round-robin: fold sizes (in subjects) differ by at most one
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const out = join(tmp, 'cv');
    const r = await runCli([
      'cv',
      '--data',
      join(sim, 'z.csv'),
      '--time',
      'years',
      '--zvals',
      '1,2',
      '--zmax',
      '4',
      '--folds',
      '2',
      '--max-subtypes',
      '2',
      '--startpoints',
      '2',
      '--mcmc',
      '300',
      '--tune',
      '100',
      '--samples',
      '20',
      '--seed',
      '1',
      '--jobs',
      '1',
      '--quiet',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cv = JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8'));
    expect(cv.settings.time).toBe('years');
    expect(cv.table.map((k: { cvic: number }) => Number.isFinite(k.cvic))).toEqual([true, true]);
  });
});
