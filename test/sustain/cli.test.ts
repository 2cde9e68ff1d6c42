import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as spawnCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';

/** In-process runs: only the fit round trip below spawns a real process. */
const runCli = runCliInProcess;

const tmp = mkdtempSync(join(tmpdir(), 'ms-sustain-cli-'));
const sim = join(tmp, 'sim');
const fit = join(tmp, 'fit');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('simulate / fit / assign on the command line', () => {
  it('simulates a cohort', async () => {
    const r = await runCli(['simulate', '--n-subjects', '150', '--n-biomarkers', '4', '--subtypes', '2', '--zvals', '1,2', '--zmax', '4', '--seed', '3', '--out', sim]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const z = readFileSync(join(sim, 'z.csv'), 'utf8').trim().split('\n');
    expect(z[0]).toBe('subject_id,b01,b02,b03,b04');
    expect(z.length).toBe(151);
    const truth = readFileSync(join(sim, 'truth.csv'), 'utf8').trim().split('\n');
    expect(truth[0]).toBe('subject_id,true_subtype,true_stage');
    const tm = JSON.parse(readFileSync(join(sim, 'truth-model.json'), 'utf8'));
    expect(tm.sequences.length).toBe(2);
    expect(tm.sequences[0].length).toBe(8);
    // --quiet: only the output paths
    const q = await runCli(['simulate', '--n-subjects', '20', '--seed', '3', '--out', join(tmp, 'simq'), '-q']);
    expect(q.stderr).toBe('');
    expect(q.stdout).toBe(['z.csv', 'truth.csv', 'truth-model.json'].map((f) => join(tmp, 'simq', f) + '\n').join(''));
  });

  it('fits, writes model.json and subjects.csv, and assign reproduces subjects.csv', async () => {
    // per-biomarker thresholds for one biomarker, and a carried column that is not a biomarker
    const zcsv = readFileSync(join(sim, 'z.csv'), 'utf8').trim().split('\n');
    const withGroup = zcsv.map((l, i) => `${l},${i === 0 ? 'group' : i % 2 ? 'A' : 'B'}`).join('\n') + '\n';
    writeFileSync(join(sim, 'zg.csv'), withGroup);
    writeFileSync(join(tmp, 'th.json'), JSON.stringify({ b04: { zvals: [1], zmax: 3 } }));
    const r = spawnCli([
      'fit',
      '--data',
      join(sim, 'zg.csv'),
      '--zvals',
      '1,2',
      '--zmax',
      '4',
      '--thresholds',
      join(tmp, 'th.json'),
      '--max-subtypes',
      '2',
      '--startpoints',
      '2',
      '--mcmc',
      '400',
      '--tune',
      '300',
      '--samples',
      '50',
      '--seed',
      '1',
      '--jobs',
      '1',
      '--quiet',
      '--out',
      fit,
    ]);
    // --quiet: only the output paths (the chains are too short to converge, but warnings are silenced)
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(fit, 'model.json')}\n${join(fit, 'subjects.csv')}\n`);
    const model = JSON.parse(readFileSync(join(fit, 'model.json'), 'utf8'));
    expect(model.biomarkers).toEqual(['b01', 'b02', 'b03', 'b04']);
    expect(model.zvals[3]).toEqual([1]);
    expect(model.zmax).toEqual([4, 4, 4, 3]);
    expect(model.events.length).toBe(7);
    expect(model.fits.map((f: { subtypes: number }) => f.subtypes)).toEqual([1, 2]);
    expect(model.fits[1].sequences[0][0].length).toBe(2);
    expect(model.settings.seed).toBe(1);
    const subjects = readFileSync(join(fit, 'subjects.csv'), 'utf8').trim().split('\n');
    // The carried column is kept, after the assignment columns (one order for fit, assign and run).
    expect(subjects[0]).toBe('subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0,prob_subtype_1,group');
    expect(subjects[1]!.split(',').at(-1)).toBe('A');
    expect(subjects.length).toBe(151);
    const side = JSON.parse(readFileSync(join(fit, 'subjects.csv.json'), 'utf8'));
    expect(side).toMatchObject({ format: 'ms-subtype-subjects', method: 'sustain-zscore', subtypes: 2, rows: 150, carriedColumns: ['group'] });
    expect(side.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    // zmax is 4 for b01-b03 and 3 for b04: every present cell is checked against its own.
    expect(side.zAboveZmax.values).toBe(600);
    expect(side.zAboveZmax.biomarkers.every((b: { zmax: number; name: string }) => b.zmax === (b.name === 'b04' ? 3 : 4))).toBe(true);
    const a = await runCli(['assign', '--model', join(fit, 'model.json'), '--data', join(sim, 'zg.csv'), '--out', join(tmp, 'assigned.csv')]);
    expect(a.code).toBe(0);
    expect(readFileSync(join(tmp, 'assigned.csv'), 'utf8')).toBe(readFileSync(join(fit, 'subjects.csv'), 'utf8'));
    expect(existsSync(join(tmp, 'assigned.csv.json'))).toBe(true);
    // K = 1 and a one-row input
    writeFileSync(join(tmp, 'one.csv'), 'subject_id,b04,b01,b02,b03,extra\nnew1,0.5,2.5,,1,hello\n');
    const one = await runCli(['assign', '--model', join(fit, 'model.json'), '--data', join(tmp, 'one.csv'), '--subtypes', '1', '--out', join(tmp, 'one-out.csv')]);
    expect(one.stderr).toBe('');
    const rows = readFileSync(join(tmp, 'one-out.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('subject_id,ml_subtype,prob_ml_subtype,ml_stage,prob_ml_stage,prob_subtype_0,extra');
    const cells = rows[1]!.split(',');
    expect(cells.slice(0, 2)).toEqual(['new1', '0']);
    expect(Number(cells[2])).toBeCloseTo(1, 12);
    expect(Number(cells[3])).toBeGreaterThanOrEqual(0);
    // z far above zmax is assigned, with a warning naming the biomarker (not under --quiet), and recorded.
    writeFileSync(join(tmp, 'far.csv'), 'subject_id,b01,b02,b03,b04\nfar1,469,0,0,0\n');
    const far = await runCli(['assign', '--model', join(fit, 'model.json'), '--data', join(tmp, 'far.csv'), '--out', join(tmp, 'far-out.csv')]);
    expect(far.code).toBe(0);
    expect(far.stderr).toMatch(/^warning: 1 of 4 z-scores are above zmax in 1 biomarker\(s\): b01 1 \(max 469\)/);
    expect(JSON.parse(readFileSync(join(tmp, 'far-out.csv.json'), 'utf8')).zAboveZmax.cells).toBe(1);
    const farQuiet = await runCli(['assign', '--model', join(fit, 'model.json'), '--data', join(tmp, 'far.csv'), '--out', join(tmp, 'far-out.csv'), '--quiet']);
    expect(farQuiet.stderr).toBe('');
    expect(farQuiet.stdout).toBe(`${join(tmp, 'far-out.csv')}\n`);
  });

  it('dispatches --method kmeans to the k-means baseline, and assign reads its model', async () => {
    const out = join(tmp, 'km');
    const r = await runCli(['fit', '--method', 'kmeans', '--data', join(sim, 'z.csv'), '--max-subtypes', '2', '--seed', '1', '--quiet', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).method).toBe('kmeans');
    const a = await runCli(['assign', '--model', join(out, 'model.json'), '--data', join(sim, 'z.csv'), '--out', join(tmp, 'km.csv')]);
    expect(a.code).toBe(0);
    const rows = readFileSync(join(tmp, 'km.csv'), 'utf8').trim().split('\n');
    expect(rows.length).toBe(151);
    expect(rows[1]!.split(',')[3]).toBe(''); // no stages
    expect(readFileSync(join(tmp, 'km.csv'), 'utf8')).toBe(readFileSync(join(out, 'subjects.csv'), 'utf8'));
  });

  it('refuses bad inputs with a one-line reason', async () => {
    const model = join(fit, 'model.json');
    // missing biomarker column
    writeFileSync(join(tmp, 'nob2.csv'), 'subject_id,b01,b03,b04\ns1,1,2,3\n');
    let r = await runCli(['assign', '--model', model, '--data', join(tmp, 'nob2.csv'), '--out', join(tmp, 'x.csv')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/b02/);
    expect(r.stderr.trim().split('\n').length).toBe(1);
    // a row with no values
    writeFileSync(join(tmp, 'empty.csv'), 'subject_id,b01,b02,b03,b04\ns1,1,2,3,1\ns2,,,,\n');
    r = await runCli(['assign', '--model', model, '--data', join(tmp, 'empty.csv'), '--out', join(tmp, 'x.csv')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/subject s2.*no biomarker values/);
    r = await runCli(['fit', '--data', join(tmp, 'empty.csv'), '--out', join(tmp, 'fit-empty'), '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/s2/);
    // an extra biomarker named by the normaliser's sidecar
    writeFileSync(join(tmp, 'extra.csv'), 'subject_id,b01,b02,b03,b04,b05\ns1,1,2,3,1,0\n');
    writeFileSync(join(tmp, 'extra.csv.json'), JSON.stringify({ features: ['b01', 'b02', 'b03', 'b04', 'b05'] }));
    r = await runCli(['assign', '--model', model, '--data', join(tmp, 'extra.csv'), '--out', join(tmp, 'x.csv')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/b05.*not in the model/);
    // broken model files
    const good = JSON.parse(readFileSync(model, 'utf8'));
    const cases: [string, unknown, RegExp][] = [
      ['truncated.json', null, /not valid JSON/],
      ['version.json', { ...good, formatVersion: 99 }, /version/],
      ['noevents.json', { ...good, events: good.events.slice(1) }, /events/],
      ['badseq.json', { ...good, fits: [{ ...good.fits[0], sequences: [[...good.fits[0].sequences[0]].reverse()] }, good.fits[1]] }, /out of order/],
      ['nofits.json', { ...good, fits: undefined }, /fits/],
    ];
    for (const [name, content, re] of cases) {
      const p = join(tmp, name);
      writeFileSync(p, content === null ? readFileSync(model, 'utf8').slice(0, 500) : JSON.stringify(content));
      r = await runCli(['assign', '--model', p, '--data', join(sim, 'z.csv'), '--out', join(tmp, 'x.csv')]);
      expect(r.code, name).not.toBe(0);
      expect(r.stderr, name).toMatch(re);
      expect(r.stderr, name).not.toMatch(/internal error|\n\s+at /);
    }
    expect(existsSync(join(tmp, 'x.csv'))).toBe(false);
    // bad thresholds
    writeFileSync(join(tmp, 'bad-th.json'), JSON.stringify({ b09: { zvals: [1], zmax: 3 } }));
    r = await runCli(['fit', '--data', join(sim, 'z.csv'), '--thresholds', join(tmp, 'bad-th.json'), '--out', join(tmp, 'f2'), '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/b09/);
  });

  it('has help with an example', async () => {
    for (const cmd of ['fit', 'assign', 'simulate']) {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Example/);
    }
  });
});
