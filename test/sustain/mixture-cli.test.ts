/**
 * The mixture kind through the CLI (in-process, as test/sustain/cli.test.ts): fit from L_yes/L_no
 * and from raw values, assign, report and cv, and the one-line refusals.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';

const runCli = runCliInProcess;

const dir = join(sharedDir, 'sustain', 'mixture');
const tmp = mkdtempSync(join(tmpdir(), 'ms-mixture-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The patients' rows of a shared CSV (the first 100 rows are the controls). */
function patientsOf(file: string, out: string): string {
  const lines = readFileSync(join(dir, file), 'utf8').trim().split('\n');
  const truth = readFileSync(join(dir, 'truth.csv'), 'utf8').trim().split('\n');
  const keep = lines.filter((_, i) => i === 0 || truth[i]!.split(',')[1] === 'patient');
  writeFileSync(join(tmp, out), keep.join('\n') + '\n');
  return join(tmp, out);
}
const lYes = patientsOf('l_yes.csv', 'l_yes.csv');
const lNo = patientsOf('l_no.csv', 'l_no.csv');
const light = ['--max-subtypes', '2', '--startpoints', '3', '--mcmc', '300', '--tune', '200', '--samples', '50', '--seed', '1', '--jobs', '1'];

describe('fit --kind mixture', () => {
  it('fits L_yes/L_no, assign with the same files reproduces subjects.csv, and the report draws it', async () => {
    const out = join(tmp, 'fit-l');
    const r = await runCli(['fit', '--kind', 'mixture', '--l-yes', lYes, '--l-no', lNo, ...light, '--out', out]);
    // light MCMC: only the chains' convergence warnings
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('warning: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fitted 400 subjects x 8 biomarkers \(L_yes \/ L_no\)/);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.method).toBe('sustain-mixture');
    expect(model.input).toBe('likelihoods');
    expect(model.events).toEqual(['b01', 'b02', 'b03', 'b04', 'b05', 'b06', 'b07', 'b08']);
    expect([...model.fits[1].sequences[0]].sort()).toEqual(model.events);
    const a = await runCli(['assign', '--model', join(out, 'model.json'), '--l-yes', lYes, '--l-no', lNo, '--jobs', '1', '--out', join(tmp, 'a.csv')]);
    expect(a.code).toBe(0);
    expect(readFileSync(join(tmp, 'a.csv'), 'utf8')).toBe(readFileSync(join(out, 'subjects.csv'), 'utf8'));
    const rep = await runCli(['report', '--model', join(out, 'model.json'), '--subjects', join(out, 'subjects.csv'), '--out', join(tmp, 'report'), '--quiet']);
    expect(rep.code).toBe(0);
    const html = readFileSync(join(tmp, 'report', 'report.html'), 'utf8');
    expect(html).toMatch(/SuStaIn mixture \(event-based\) model/);
    const pv = readFileSync(join(tmp, 'report', 'figures', 'positional-variance-subtype-1.svg'), 'utf8');
    // one row per biomarker, one colour: "abnormal"
    for (const b of model.events) expect(pv).toContain(b);
    expect(pv).toMatch(/abnormal/);
  });

  it('fits raw values with the controls, says which direction is abnormal, and assign takes raw values', async () => {
    const out = join(tmp, 'fit-raw');
    const data = join(dir, 'data.csv');
    const r = await runCli(['fit', '--kind', 'mixture', '--data', data, '--control-column', 'group', '--control-values', 'control', '--lower-is-abnormal', 'b08', ...light, '--out', out]);
    // light MCMC: only the chains' convergence warnings
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('warning: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/b01: higher is abnormal \(detected\); normal N\(/);
    expect(r.stdout).toMatch(/b08: lower is abnormal \(given\)/);
    expect(r.stdout).toMatch(/100 control rows left out of the fit/);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.input).toBe('raw');
    expect(model.mixtures.length).toBe(8);
    expect(model.training.subjects).toBe(400);
    const a = await runCli(['assign', '--model', join(out, 'model.json'), '--data', data, '--jobs', '1', '--out', join(tmp, 'a-raw.csv')]);
    expect(a.code).toBe(0);
    const lines = readFileSync(join(tmp, 'a-raw.csv'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(501);
    // the patients' rows are the fit's rows, with the same numbers
    const fitted = readFileSync(join(out, 'subjects.csv'), 'utf8').trim().split('\n');
    expect(lines.slice(101)).toEqual(fitted.slice(1));
  });

  it('cross-validates the mixture model', async () => {
    const r = await runCli([
      'cv',
      '--kind',
      'mixture',
      '--l-yes',
      lYes,
      '--l-no',
      lNo,
      '--max-subtypes',
      '2',
      '--folds',
      '2',
      '--startpoints',
      '2',
      '--mcmc',
      '200',
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
      join(tmp, 'cv'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cv = JSON.parse(readFileSync(join(tmp, 'cv', 'cv.json'), 'utf8'));
    expect(cv.settings.input).toBe('likelihoods');
    expect(cv.events).toEqual(['b01', 'b02', 'b03', 'b04', 'b05', 'b06', 'b07', 'b08']);
    expect(cv.table.length).toBe(2);
  });

  it('refuses incomplete or mismatched inputs in one line', async () => {
    const cases: [string[], RegExp][] = [
      [['fit', '--kind', 'mixture', '--l-yes', lYes, '--out', join(tmp, 'x')], /give both --l-yes and --l-no/],
      // the old spelling --model KIND: still the kind (the mixture's own refusal), with a note
      [
        ['fit', '--model', 'mixture', '--l-yes', lYes, '--out', join(tmp, 'x')],
        /^note: fit --model is the old spelling of --kind; it still works, but use --kind\n.*give both --l-yes and --l-no/,
      ],
      [
        ['cv', '--model', 'mixture', '--l-yes', lYes, '--out', join(tmp, 'x')],
        /^note: cv --model mixture is the old spelling of --kind mixture; it still works, but use --kind mixture\n.*give both --l-yes and --l-no/,
      ],
      [
        ['cv', '--model', 'mixture', '--kind', 'zscore', '--data', join(dir, 'data.csv'), '--out', join(tmp, 'x')],
        /--model mixture \(the old spelling of --kind mixture\) and --kind zscore disagree/,
      ],
      [
        ['cv', '--kind', 'zscore', '--model', join(tmp, 'fit-l', 'model.json'), '--data', join(dir, 'data.csv'), '--out', join(tmp, 'x')],
        /--kind zscore, but the --model file is a mixture model/,
      ],
      [['fit', '--l-yes', lYes, '--l-no', lNo, '--out', join(tmp, 'x')], /--l-yes\/--l-no are inputs of the mixture model: add --kind mixture/],
      [['fit', '--kind', 'mixture', '--data', join(dir, 'data.csv'), '--out', join(tmp, 'x')], /data\.csv, field group: 0 row\(s\) have group = HC: the mixtures start from the controls/],
      [['fit', '--kind', 'mixture', '--l-yes', lYes, '--l-no', join(dir, 'l_no.csv'), '--out', join(tmp, 'x')], /l_no\.csv: has 500 subjects, the L_yes file has 400/],
      [['assign', '--model', join(tmp, 'fit-l', 'model.json'), '--data', join(dir, 'data.csv'), '--out', join(tmp, 'x.csv')], /fitted on likelihoods: give --l-yes and --l-no/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(re);
      // one line of error (after the old spelling's note, when there is one)
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('note: ')).length,
      ).toBe(1);
    }
  });
});
