import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTable } from '../../src/io/csv.js';
import { readPysustainPickle } from '../../src/import/pysustain-pickle.js';
import { sharedDir } from '../helpers/cli.js';
import { runCliInProcess as cli } from '../helpers/cli-inprocess.js';
import { tempDir } from '../helpers/tmp.js';
import { patientLikelihoods } from './mixture-files.js';

const small = join(sharedDir, 'sustain', 'small');
const pickles = [0, 1].map((k) => join(small, 'pysustain', `ref_subtype${k}.pickle`));
const mixturePickles = [0, 1, 2].map((k) => join(sharedDir, 'sustain', 'mixture', 'pysustain', 'pickle_files', `ref_subtype${k}.pickle`));

describe('ms-subtype import-pysustain', () => {
  const tmp = tempDir('import-cli-');

  it("ZscoreSustain: imports the pickles; assign then gives pySuStaIn's subjects; report draws the positional variance", async () => {
    const model = join(tmp, 'model.json');
    const r = await cli(['import-pysustain', pickles[1]!, pickles[0]!, '--data', join(small, 'data.csv'), '--zvals', '1,2,3', '--zmax', '5', '--out', model, '--jobs', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/imported K = 1\.\.2 from 2 pySuStaIn pickles \(ZscoreSustain\): 6 biomarkers, 18 events, 10,000 MCMC iterations, 1000 samples/);
    expect(r.stdout).toMatch(/check K=2: ML log-likelihood -2580\.9368 \(pySuStaIn -2580\.9368\), ml_subtype 250\/250, ml_stage 250\/250 as pySuStaIn/);
    expect(r.stdout.trim().split('\n').pop()).toBe(`wrote ${model}`);
    const out = join(tmp, 'subjects.csv');
    expect((await cli(['assign', '--model', model, '--data', join(small, 'data.csv'), '--subtypes', '2', '--out', out])).code).toBe(0);
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
    const rep = await cli(['report', '--model', model, '--subjects', out, '--out', join(tmp, 'report')]);
    expect(rep.code).toBe(0);
    expect(readFileSync(join(tmp, 'report', 'figures', 'positional-variance-subtype-2.svg'), 'utf8')).toMatch(/<svg/);
  });

  it("MixtureSustain (--l-yes/--l-no): assign gives pySuStaIn's subtypes, stages and probabilities for K = 1..3", async () => {
    const { yes, no } = patientLikelihoods(tmp);
    const model = join(tmp, 'mixture.json');
    const r = await cli(['import-pysustain', ...mixturePickles, '--l-yes', yes, '--l-no', no, '-o', model, '-j', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(MixtureSustain\): 8 biomarkers, 8 events/);
    for (const K of [1, 2, 3]) expect(r.stdout).toMatch(new RegExp(`check K=${K}: .*ml_subtype 400/400, ml_stage 400/400 as pySuStaIn`));
    expect(JSON.parse(readFileSync(model, 'utf8'))).toMatchObject({ method: 'sustain-mixture', input: 'likelihoods', events: ['b01', 'b02', 'b03', 'b04', 'b05', 'b06', 'b07', 'b08'] });
    const out = join(tmp, 'mixture-subjects.csv');
    expect((await cli(['assign', '--model', model, '--l-yes', yes, '--l-no', no, '--subtypes', '3', '-o', out])).code).toBe(0);
    const ours = readTable(out);
    const theirs = readPysustainPickle(mixturePickles[2]!).subjects;
    let worst = 0;
    ours.rows.forEach((row, i) => {
      expect(Number(row[1]), row[0]).toBe(theirs.mlSubtype[i]);
      expect(Number(row[3]), row[0]).toBe(theirs.mlStage[i]);
      worst = Math.max(worst, Math.abs(Number(row[2]) - theirs.probMlSubtype[i]!), Math.abs(Number(row[4]) - theirs.probMlStage[i]!));
      for (let s = 0; s < 3; s++) worst = Math.max(worst, Math.abs(Number(row[5 + s]) - theirs.probSubtype[i * 3 + s]!));
    });
    expect(ours.rows.length).toBe(400);
    expect(worst).toBeLessThan(1e-9);
  });

  it("accepts pySuStaIn's settings as the thresholds file, warning about a low zmax; --quiet prints only the path", async () => {
    const th = join(tmp, 'th.json');
    writeFileSync(th, JSON.stringify({ Z_vals: Array.from({ length: 6 }, () => [1, 2, 3]), Z_max: [5, 5, 2.5, 5, 5, 5] }));
    const model = join(tmp, 'low.json');
    const r = await cli(['import-pysustain', ...pickles, '--data', join(small, 'data.csv'), '--thresholds', th, '--out', model, '--jobs', '1']);
    expect(r.code).toBe(0);
    // the zmax warning, then the check's: this is not what pySuStaIn was run with
    expect(r.stderr).toMatch(/^warning: b03: zmax 2\.5 is not above its largest threshold 3/);
    expect(r.stderr).toMatch(/warning: K=1: ML log-likelihood .*: the data, its column order or the thresholds are not what pySuStaIn was run with/);
    const q = await cli(['import-pysustain', ...pickles, '--data', join(small, 'data.csv'), '--thresholds', th, '--out', model, '--quiet', '--jobs', '1']);
    expect(q.code).toBe(0);
    expect(q.stdout).toBe(`${model}\n`);
  });

  it('refuses in one line: a missing K, wrong thresholds, a hostile pickle, no data; --help has an example', async () => {
    const one = async (args: string[]) => {
      const r = await cli(['import-pysustain', ...args, '--out', join(tmp, 'x.json')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBe(1);
      return r.stderr;
    };
    const data = ['--data', join(small, 'data.csv')];
    expect(await one([pickles[1]!, ...data])).toMatch(/ref_subtype1\.pickle: the pickles hold K = 2 subtypes/);
    expect(await one([...pickles, ...data, '--zvals', '1,2'])).toMatch(/the pickles have 18 events, the thresholds give 12/);
    expect(await one([...pickles])).toMatch(/give --data \(the z-score table of ZscoreSustain pickles\) or --l-yes\/--l-no/);
    const { yes, no } = patientLikelihoods(tmp);
    expect(await one([...pickles, '--l-yes', yes, '--l-no', no])).toMatch(/the pickles have 18 events; a MixtureSustain model has one per biomarker, and the L_yes file has 8/);
    const evil = join(tmp, 'evil.pickle');
    writeFileSync(evil, Buffer.from("cos\nsystem\n(S'true'\ntR.", 'latin1'));
    expect(await one([evil, ...data])).toBe(
      `ms-subtype: ${evil}: refusing to read the pickle: it holds the class os.system, which is not a numpy array or a plain value (reading it could run code)\n`,
    );
    expect(existsSync(join(tmp, 'x.json'))).toBe(false);
    const help = await cli(['import-pysustain', '--help']);
    expect(help.stdout).toMatch(/Example:\n {2}ms-subtype import-pysustain/);
    expect(help.stdout).toMatch(/--l-yes <file>/);
  });
});
