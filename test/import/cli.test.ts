import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../../src/io/csv.js';
import { runCli, sharedDir } from '../helpers/cli.js';

const small = join(sharedDir, 'sustain', 'small');
const pickles = [0, 1].map((k) => join(small, 'pysustain', `ref_subtype${k}.pickle`));

describe('ms-subtype import-pysustain', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'import-cli-'));

  it('imports pySuStaIn\'s pickles; assign then gives pySuStaIn\'s subjects; report draws the positional variance', () => {
    const model = join(tmp, 'model.json');
    const r = runCli(['import-pysustain', pickles[1]!, pickles[0]!, '--data', join(small, 'data.csv'), '--zvals', '1,2,3', '--zmax', '5', '--out', model, '--jobs', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/imported K = 1\.\.2 from 2 pySuStaIn pickles: 6 biomarkers, 18 events, 10,000 MCMC iterations, 1000 samples/);
    expect(r.stdout).toMatch(/check K=2: ML log-likelihood -2580\.9368 \(pySuStaIn -2580\.9368\), ml_subtype 250\/250, ml_stage 250\/250 as pySuStaIn/);
    expect(r.stdout.trim().split('\n').pop()).toBe(`wrote ${model}`);
    const out = join(tmp, 'subjects.csv');
    expect(runCli(['assign', '--model', model, '--data', join(small, 'data.csv'), '--subtypes', '2', '--out', out]).code).toBe(0);
    const ours = readTable(out);
    const ref = readTable(join(small, 'pysustain', 'subjects_K2.csv'));
    expect(ours.columns).toEqual(ref.columns);
    ref.rows.forEach((row, i) => {
      row.forEach((v, j) => {
        const c = ref.columns[j]!;
        if (c === 'subject_id' || c === 'ml_subtype' || c === 'ml_stage') expect(ours.rows[i]![j], `${row[0]} ${c}`).toBe(v);
        else expect(Math.abs(Number(ours.rows[i]![j]) - Number(v)), `${row[0]} ${c}`).toBeLessThan(1e-9);
      });
    });
    const rep = runCli(['report', '--model', model, '--subjects', out, '--out', join(tmp, 'report')]);
    expect(rep.code).toBe(0);
    expect(readFileSync(join(tmp, 'report', 'figures', 'positional-variance-subtype-2.svg'), 'utf8')).toMatch(/<svg/);
  });

  it('accepts pySuStaIn\'s settings as the thresholds file, warning about a low zmax', () => {
    const th = join(tmp, 'th.json');
    writeFileSync(th, JSON.stringify({ Z_vals: Array.from({ length: 6 }, () => [1, 2, 3]), Z_max: [5, 5, 2.5, 5, 5, 5] }));
    const model = join(tmp, 'low.json');
    // (not --quiet, which means only errors and the output path on every command: no warnings)
    const r = runCli(['import-pysustain', ...pickles, '--data', join(small, 'data.csv'), '--thresholds', th, '--out', model, '--jobs', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe(`wrote ${model}`);
    // the zmax warning, then the check's: this is not what pySuStaIn was run with
    expect(r.stderr).toMatch(/^warning: b03: zmax 2\.5 is not above its largest threshold 3/);
    expect(r.stderr).toMatch(/warning: K=1: ML log-likelihood .*: the data, its column order or the thresholds are not what pySuStaIn was run with/);
  });

  it('refuses in one line: a missing K, wrong thresholds, a hostile pickle; --help has an example', () => {
    const one = (args: string[]) => {
      const r = runCli(['import-pysustain', ...args, '--data', join(small, 'data.csv'), '--out', join(tmp, 'x.json')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBe(1);
      return r.stderr;
    };
    expect(one([pickles[1]!])).toMatch(/ref_subtype1\.pickle: the pickles hold K = 2 subtypes/);
    expect(one([...pickles, '--zvals', '1,2'])).toMatch(/the pickles have 18 events, the thresholds give 12/);
    const evil = join(tmp, 'evil.pickle');
    writeFileSync(evil, Buffer.from("cos\nsystem\n(S'true'\ntR.", 'latin1'));
    expect(one([evil])).toBe(`ms-subtype: ${evil}: refusing to read the pickle: it holds the class os.system, which is not a numpy array or a plain value (reading it could run code)\n`);
    expect(existsSync(join(tmp, 'x.json'))).toBe(false);
    const help = runCli(['import-pysustain', '--help']);
    expect(help.stdout).toMatch(/Example:\n {2}ms-subtype import-pysustain/);
  });

  it('cleans up', () => {
    rmSync(tmp, { recursive: true, force: true });
  });
});
