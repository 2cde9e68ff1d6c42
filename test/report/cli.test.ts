import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { REPORT_PARTS, writeReport, WRITE_REPORT_STEPS } from '../../src/report/index.js';
import { makeInputs, SMALL } from './fixtures.js';
import { writeFixtureFiles } from './files.js';

describe('ms-subtype report (CLI)', () => {
  it('writes report.html and the figures, and prints the page path last', () => {
    const f = writeFixtureFiles(makeInputs(SMALL));
    const out = join(f.dir, 'out');
    // A stale figure of an earlier, larger model goes; a file of the user's stays.
    mkdirSync(join(out, 'figures'), { recursive: true });
    writeFileSync(join(out, 'figures', 'positional-variance-subtype-9.svg'), '<svg/>');
    writeFileSync(join(out, 'figures', 'my-notes.svg'), '<svg/>');
    const r = runCli([
      'report',
      '--model',
      f.model,
      '--subjects',
      f.subjects,
      '--cv',
      f.cv,
      '--kmeans',
      f.kmeans,
      '--normaliser-report',
      f.normaliser,
      '--features-sidecar',
      f.features,
      '--errors',
      f.errors,
      '--title',
      'Test cohort',
      '--cv-positional-variance',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toBe(join(out, 'report.html'));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<title>Test cohort</title>');
    const figs = readdirSync(join(out, 'figures')).sort();
    expect(figs).toContain('positional-variance-cv-subtype-2.svg');
    expect(figs).toContain('cvic.svg');
    expect(figs).toContain('my-notes.svg');
    expect(figs).not.toContain('positional-variance-subtype-9.svg');
    for (const name of figs.filter((n) => n !== 'my-notes.svg')) {
      expect(html).toContain(`data-figure="${name}"`);
      expect(readFileSync(join(out, 'figures', name), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    // The download offers the subject table exactly as it was read.
    const m = /id="subject-data">([\s\S]*?)<\/script>/.exec(html)!;
    const data = JSON.parse(m[1]!) as { csvHeader: string; csvLines: string[] };
    expect(data.csvHeader + data.csvLines.join('')).toBe(readFileSync(f.subjects, 'utf8'));
  });

  it('gives the same bytes on a rerun (library API)', async () => {
    const f = writeFixtureFiles(makeInputs(SMALL));
    const o = { model: f.model, subjects: f.subjects, cv: f.cv, errors: f.errors, out: join(f.dir, 'out') };
    // the progress bar's steps: reading, each part of the page in order, writing; its total is right
    const steps: [number, string][] = [];
    const first = await writeReport(o, (done, what) => steps.push([done, what]));
    expect(steps).toEqual(['read the inputs', ...REPORT_PARTS, 'wrote the files'].map((w, i) => [i + 1, w]));
    expect(steps.length).toBe(WRITE_REPORT_STEPS);
    const html1 = readFileSync(first.htmlPath, 'utf8');
    const svg1 = readFileSync(join(o.out, 'figures', 'cvic.svg'), 'utf8');
    await writeReport(o);
    expect(readFileSync(first.htmlPath, 'utf8')).toBe(html1);
    expect(readFileSync(join(o.out, 'figures', 'cvic.svg'), 'utf8')).toBe(svg1);
    expect(first.figurePaths.every((p) => existsSync(p))).toBe(true);
  });

  it('names the file, line, subject and field of a bad subject table, with no stack trace', () => {
    const f = writeFixtureFiles(makeInputs(SMALL, false));
    const lines = readFileSync(f.subjects, 'utf8').split('\n');
    const cells = lines[3]!.split(',');
    cells[2] = 'high';
    lines[3] = cells.join(',');
    writeFileSync(f.subjects, lines.join('\n'));
    const r = runCli(['report', '--model', f.model, '--subjects', f.subjects, '--out', join(f.dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ms-subtype: ${f.subjects}, line 4, subject sub-0003, field prob_ml_subtype: "high" is not a number\n`);
    expect(existsSync(join(f.dir, 'out', 'report.html'))).toBe(false);
  });

  it('names a missing input file', async () => {
    const f = writeFixtureFiles(makeInputs(SMALL, false));
    const o = { model: f.model, subjects: f.subjects, out: join(f.dir, 'out') };
    await expect(writeReport({ ...o, subjects: join(f.dir, 'nope.csv') })).rejects.toThrow(/nope\.csv: file not found/);
    await expect(writeReport({ ...o, cv: join(f.dir, 'cv-missing.json') })).rejects.toThrow(/cv-missing\.json: CV result not found/);
    await expect(writeReport({ ...o, errors: join(f.dir, 'e.csv') })).rejects.toThrow(/e\.csv: file not found/);
  });

  it('refuses a k-means model given as --model and a --subtypes the table does not have', async () => {
    const f = writeFixtureFiles(makeInputs(SMALL));
    await expect(writeReport({ model: f.kmeans, subjects: f.subjects, out: join(f.dir, 'o') })).rejects.toThrow(/k-means model; give the SuStaIn model with --model/);
    await expect(writeReport({ model: f.model, subjects: f.subjects, subtypes: 1, out: join(f.dir, 'o') })).rejects.toThrow(/asked for 1/);
    const model = JSON.parse(readFileSync(f.model, 'utf8'));
    delete model.fits[1].samples;
    writeFileSync(f.model, JSON.stringify(model));
    await expect(writeReport({ model: f.model, subjects: f.subjects, out: join(f.dir, 'o') })).rejects.toThrow(/model\.json, field fits\.1\.samples/);
  });

  it('explains itself in --help', () => {
    const r = runCli(['report', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--subjects <file>/);
    expect(r.stdout).toMatch(/Example:\n\s+ms-subtype report --model/);
  });
});
