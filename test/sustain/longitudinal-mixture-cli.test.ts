/**
 * Longitudinal data with the event-based (mixture) kind on the command line: fit --time from raw
 * values (session, years, group columns) and from L_yes/L_no tables carrying session and years,
 * assign with --history (--history-l-yes/--history-l-no), cv --time, report, bad input; and which
 * columns of a raw table are biomarkers by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess as runCli } from '../helpers/cli-inprocess.js';
import { readTable } from '../../src/io/csv.js';
import { writeZTable } from '../../src/io/ztable.js';
import { simulateMixtureLongitudinal } from '../../src/sustain/longitudinal/simulate-mixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'ms-longitudinal-mixture-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const light = ['--max-subtypes', '2', '--startpoints', '2', '--mcmc', '400', '--tune', '100', '--samples', '40', '--seed', '2'];
const raw = join(tmp, 'raw.csv');
const lYes = join(tmp, 'l_yes.csv');
const lNo = join(tmp, 'l_no.csv');
const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n');

beforeAll(() => {
  const sim = simulateMixtureLongitudinal({ subjects: 90, biomarkers: 5, subtypes: 2, seed: 4, visits: [2, 3], interval: 1, rate: 1 });
  writeZTable(raw, sim.data);
  writeZTable(lYes, sim.lYes);
  writeZTable(lNo, sim.lNo);
});

/** Every subject's rows (grouped, in time order): one subtype, stages never decreasing, times increasing. */
function expectLongitudinal(file: string): ReturnType<typeof readTable> {
  const t = readTable(file);
  const col = (c: string) => t.columns.indexOf(c);
  for (const c of ['session', 'years', 'expected_stage', 'progression_rate', 'cross_sectional_subtype']) expect(col(c)).toBeGreaterThan(0);
  for (let r = 1; r < t.rows.length; r++) {
    const [p, q] = [t.rows[r - 1]!, t.rows[r]!];
    if (p[0] !== q[0]) continue;
    expect(q[col('ml_subtype')]).toBe(p[col('ml_subtype')]);
    expect(Number(q[col('years')])).toBeGreaterThan(Number(p[col('years')]));
    expect(Number(q[col('ml_stage')])).toBeGreaterThanOrEqual(Number(p[col('ml_stage')]));
  }
  return t;
}

/** The last visit of each subject in `file` to `next`, the others to `hist`. */
function splitLast(file: string, hist: string, next: string): void {
  const z = lines(file);
  const last = new Map<string, number>();
  z.slice(1).forEach((l, i) => last.set(l.split(',')[0]!, i + 1));
  const isNew = new Set(last.values());
  writeFileSync(hist, [z[0], ...z.slice(1).filter((_, i) => !isNew.has(i + 1))].join('\n') + '\n');
  writeFileSync(next, [z[0], ...z.slice(1).filter((_, i) => isNew.has(i + 1))].join('\n') + '\n');
}

describe('longitudinal mixture model on the command line', () => {
  it('fits raw values with --time: one subtype per subject, stages never decrease, same bytes for any --jobs; assign --history gives the full-data rows', async () => {
    const a = join(tmp, 'fit1');
    const b = join(tmp, 'fit2');
    const args = ['fit', '--kind', 'mixture', '--data', raw, '--time', 'years', '--control-column', 'group', '--control-values', 'HC', ...light];
    const r1 = await runCli([...args, '--jobs', '1', '--out', a]);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/\d+ subjects \(\d+ visits, longitudinal\) x 5 biomarkers/);
    const r2 = await runCli([...args, '--jobs', '2', '--quiet', '--out', b]);
    expect(r2.code).toBe(0);
    expect(readFileSync(join(b, 'subjects.csv'), 'utf8')).toBe(readFileSync(join(a, 'subjects.csv'), 'utf8'));
    const ma = JSON.parse(readFileSync(join(a, 'model.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(b, 'model.json'), 'utf8')).fits).toEqual(ma.fits);
    expect(ma.method).toBe('sustain-mixture');
    expect(ma.settings.time).toBe('years');
    expect(ma.biomarkers).toEqual(['b01', 'b02', 'b03', 'b04', 'b05']);
    expectLongitudinal(join(a, 'subjects.csv'));
    // a new visit of a known subject, with its earlier visits: the row the full-data assignment gives
    const hist = join(tmp, 'hist.csv');
    const next = join(tmp, 'next.csv');
    splitLast(raw, hist, next);
    const full = join(tmp, 'full.csv');
    expect((await runCli(['assign', '--model', join(a, 'model.json'), '--data', raw, '--quiet', '--out', full])).code).toBe(0);
    const out = join(tmp, 'next-subjects.csv');
    const r = await runCli(['assign', '--model', join(a, 'model.json'), '--data', next, '--history', hist, '--out', out]);
    expect(r.code).toBe(0);
    const fullLines = lines(full);
    const mine = lines(out);
    expect(mine.length - 1).toBe(90);
    expect(mine[0]).toBe(fullLines[0]);
    const fullSet = new Set(fullLines);
    for (const row of mine.slice(1)) expect(fullSet.has(row)).toBe(true);
    // cross-validation by subject from raw values (the mixtures fitted once, on every row)
    const cv = await runCli([
      'cv',
      '--kind',
      'mixture',
      '--data',
      raw,
      '--time',
      'years',
      '--control-column',
      'group',
      '--folds',
      '2',
      '--max-subtypes',
      '2',
      '--startpoints',
      '1',
      '--mcmc',
      '200',
      '--tune',
      '50',
      '--seed',
      '1',
      '--quiet',
      '--out',
      join(tmp, 'cv-raw'),
    ]);
    expect(cv.code).toBe(0);
    expect(JSON.parse(readFileSync(join(tmp, 'cv-raw', 'cv.json'), 'utf8')).settings.time).toBe('years');
    // the report's longitudinal section
    const rep = await runCli(['report', '--model', join(a, 'model.json'), '--subjects', join(a, 'subjects.csv'), '--out', join(tmp, 'report'), '--quiet']);
    expect(rep.code).toBe(0);
    expect(readFileSync(join(tmp, 'report', 'report.html'), 'utf8')).toContain('<section id="longitudinal">');
  });

  it('fits L_yes/L_no tables with session and years, assigns with --history-l-yes/--history-l-no, cross-validates by subject', async () => {
    const dir = join(tmp, 'fit-l');
    const r = await runCli(['fit', '--kind', 'mixture', '--l-yes', lYes, '--l-no', lNo, '--time', 'years', ...light, '--quiet', '--out', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = expectLongitudinal(join(dir, 'subjects.csv'));
    expect(t.rows.length).toBe(lines(lYes).length - 1);
    const [hy, ny, hn, nn] = ['hy', 'ny', 'hn', 'nn'].map((f) => join(tmp, `${f}.csv`));
    splitLast(lYes, hy!, ny!);
    splitLast(lNo, hn!, nn!);
    const out = join(tmp, 'next-l.csv');
    const a = await runCli(['assign', '--model', join(dir, 'model.json'), '--l-yes', ny!, '--l-no', nn!, '--history-l-yes', hy!, '--history-l-no', hn!, '--quiet', '--out', out]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(lines(out).length - 1).toBe(90);
    const wrong = await runCli(['assign', '--model', join(dir, 'model.json'), '--l-yes', ny!, '--l-no', nn!, '--history', hy!, '--out', out]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/--history-l-yes and --history-l-no/);
    const cv = await runCli([
      'cv',
      '--kind',
      'mixture',
      '--l-yes',
      lYes,
      '--l-no',
      lNo,
      '--time',
      'years',
      '--folds',
      '2',
      '--max-subtypes',
      '2',
      '--startpoints',
      '2',
      '--mcmc',
      '200',
      '--tune',
      '50',
      '--seed',
      '1',
      '--quiet',
      '--out',
      join(tmp, 'cv'),
    ]);
    expect(cv.code).toBe(0);
    expect(JSON.parse(readFileSync(join(tmp, 'cv', 'cv.json'), 'utf8')).settings.time).toBe('years');
  });

  it('refuses two visits at the same time, a missing time and L_no rows that are other visits, naming file, subject and line', async () => {
    const head = 'subject_id,session,years,group,b01,b02,b03';
    const ok = ['c1,ses-1,0,HC,0.1,0.2,0.0', 'c1,ses-2,1,HC,0.0,0.1,0.2', 'c2,ses-1,0,HC,0.2,0.0,0.1', 'p1,ses-1,0,MS,1.2,0.2,1.4'];
    const bad = join(tmp, 'bad.csv');
    writeFileSync(bad, [head, ...ok, 'p1,ses-2,0,MS,1.5,1.1,1.6'].join('\n') + '\n');
    let r = await runCli(['fit', '--kind', 'mixture', '--data', bad, '--time', 'years', ...light, '--out', join(tmp, 'bad')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.csv, line 6, subject p1, field years: two visits at the same time 0 \(also on line 5\)/);
    const yesHead = 'subject_id,session,years,b01,b02';
    writeFileSync(join(tmp, 'by.csv'), [yesHead, 'p1,ses-1,0,0.5,0.1', 'p1,ses-2,,0.4,0.2'].join('\n') + '\n');
    writeFileSync(join(tmp, 'bn.csv'), [yesHead, 'p1,ses-1,0,0.2,0.9', 'p1,ses-2,1,0.3,0.8'].join('\n') + '\n');
    r = await runCli(['fit', '--kind', 'mixture', '--l-yes', join(tmp, 'by.csv'), '--l-no', join(tmp, 'bn.csv'), '--time', 'years', ...light, '--out', join(tmp, 'bad')]);
    expect(r.stderr).toMatch(/by\.csv, line 3, subject p1, field years: missing visit time/);
    writeFileSync(join(tmp, 'by.csv'), [yesHead, 'p1,ses-1,0,0.5,0.1', 'p1,ses-2,1,0.4,0.2'].join('\n') + '\n');
    writeFileSync(join(tmp, 'bn.csv'), [yesHead, 'p1,ses-2,1,0.2,0.9', 'p1,ses-1,0,0.3,0.8'].join('\n') + '\n');
    r = await runCli(['fit', '--kind', 'mixture', '--l-yes', join(tmp, 'by.csv'), '--l-no', join(tmp, 'bn.csv'), '--time', 'years', ...light, '--out', join(tmp, 'bad')]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bn\.csv, line 2, subject p1, field session: session "ses-2" where the L_yes file has "ses-1"/);
  });
});

describe('biomarkers of a raw table for the mixture model', () => {
  const head = 'subject_id,group,age,ICV,site,b01,b02';
  const rows = Array.from({ length: 24 }, (_, i) => {
    const hc = i < 10;
    const v = (k: number) => (hc ? 0.1 * ((i * k) % 5) : 1 + 0.1 * ((i * k) % 7)).toFixed(2);
    return `s${i},${hc ? 'HC' : 'MS'},${40 + i},${1500 + i},${i % 2 ? 'A' : 'B'},${v(3)},${v(7)}`;
  });

  it('leaves covariate-named columns out (no sidecar) and says which columns it chose', async () => {
    const f = join(tmp, 'features.csv');
    writeFileSync(f, [head, ...rows].join('\n') + '\n');
    const r = await runCli(['fit', '--kind', 'mixture', '--data', f, '--max-subtypes', '1', '--startpoints', '1', '--mcmc', '0', '--out', join(tmp, 'fb')]);
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/mixture biomarkers from the numeric columns of .*features\.csv: b01, b02; left out as covariates: age, ICV/);
    expect(JSON.parse(readFileSync(join(tmp, 'fb', 'model.json'), 'utf8')).biomarkers).toEqual(['b01', 'b02']);
  });

  it('takes the biomarkers and their directions from extract\u2019s feature definitions, leaving out role "covariate"', async () => {
    const f = join(tmp, 'features2.csv');
    writeFileSync(f, [head, ...rows].join('\n') + '\n');
    writeFileSync(
      `${f}.json`,
      JSON.stringify({
        features: [
          { name: 'b01', abnormal: 'increase' },
          { name: 'b02', abnormal: 'decrease' },
          { name: 'ICV', role: 'covariate' },
        ],
        carriedColumns: ['group', 'age', 'site'],
      }),
    );
    const r = await runCli(['fit', '--kind', 'mixture', '--data', f, '--max-subtypes', '1', '--startpoints', '1', '--mcmc', '0', '--out', join(tmp, 'fb2')]);
    expect(r.code).toBe(0);
    const said = r.stderr + r.stdout;
    expect(said).toMatch(/mixture biomarkers from the feature definitions in .*features2\.csv\.json[^\n]*: b01, b02; left out as covariates: ICV/);
    expect(said).toMatch(/b02: lower is abnormal \(from the feature definitions\)/);
    expect(JSON.parse(readFileSync(join(tmp, 'fb2', 'model.json'), 'utf8')).biomarkers).toEqual(['b01', 'b02']);
  });
});
