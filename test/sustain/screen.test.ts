import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitSustain, logLikelihood, mlSequenceIndices, simulateCohort } from '../../src/sustain/index.js';
import { bestDistinct, pickSubjects, REFINE, screens, subsample } from '../../src/sustain/screen.js';
import { Rng } from '../../src/common/rng.js';
import type { EmTaskResult } from '../../src/sustain/tasks.js';
import type { SustainModelFile } from '../../src/sustain/types.js';
import { stringifyModel } from '../../src/io/modelfile.js';
import { writeZTable } from '../../src/io/ztable.js';
import { simulateLongitudinal } from '../../src/sustain/longitudinal/simulate.js';
import { groupTable, visitCounts } from '../../src/sustain/longitudinal/visits.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { expectRefused } from '../helpers/errors.js';

const em = (m: SustainModelFile) => m.fits.map((f) => f.diagnostics!['emLogLikelihood'] as number);
const startPoints = (m: SustainModelFile) => m.fits.map((f) => f.diagnostics!['emStartPointLogLikelihoods'] as number[]);

describe('screening EM start points on a subsample (--screen)', () => {
  it('picks subjects, subsamples longitudinal layouts whole, and refines distinct optima once each', () => {
    expect(screens(199, 100)).toBe(false);
    expect(screens(200, 100)).toBe(true);
    expect(screens(10_000, 0)).toBe(false);
    const a = pickSubjects(50, 10, Rng.fromSeed(3));
    expect(Array.from(a)).toEqual(Array.from(pickSubjects(50, 10, Rng.fromSeed(3))));
    expect(new Set(a).size).toBe(10);
    expect(Array.from(a)).toEqual([...a].sort((x, y) => x - y));
    // 3 subjects with 2, 1, 3 visits of width 2: taking subjects 0 and 2 keeps their visits in order
    const values = Float64Array.from({ length: 12 }, (_, i) => i);
    const sub = subsample({ values, M: 6, J: 3, starts: Int32Array.from([0, 2, 3, 6]), visits: Int32Array.from([2, 1, 3]) }, Int32Array.from([0, 2]), 2);
    expect(sub.J).toBe(2);
    expect(sub.M).toBe(5);
    expect(Array.from(sub.visits!)).toEqual([2, 3]);
    expect(Array.from(sub.starts!)).toEqual([0, 2, 5]);
    expect(Array.from(sub.values)).toEqual([0, 1, 2, 3, 6, 7, 8, 9, 10, 11]);
    const r = (logLik: number) => ({ logLik, sequences: [[logLik]], fractions: [1], sweeps: 1, work: 1 }) as EmTaskResult;
    const picked = bestDistinct([r(-5), r(-3), r(-3.0004), r(-4), r(-9), r(-3.5)], 3);
    expect(picked.map((p) => p.logLik)).toEqual([-3, -3.5, -4]);
    expect(bestDistinct([r(-2), r(-2)], 3)).toHaveLength(1);
  });

  // Made by the code before --screen existed (main at 4be5e42): a cohort below the threshold fits exactly as it did.
  const BEFORE = '943eb9750bde4b792dc6838aa0706347f9cd1119eb319e598c5229e17473def7';
  it('leaves fits of cohorts below the threshold byte for byte as they were', async () => {
    const sim = simulateCohort({ subjects: 150, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 5 });
    const th = { zvals: sim.data.biomarkers.map(() => [1, 2]), zmax: sim.data.biomarkers.map(() => 4) };
    const opts = { seed: 3, maxSubtypes: 3, startpoints: 6, mcmcIterations: 300, mcmcTuneIterations: 50, chains: 2, samplesKept: 40, threads: 1 };
    const hash = (m: SustainModelFile) => createHash('sha256').update(JSON.stringify(m.fits)).digest('hex');
    const off = await fitSustain(sim.data, th, opts);
    const below = await fitSustain(sim.data, th, { ...opts, screen: 76 });
    expect(hash(off)).toBe(BEFORE);
    expect(hash(below)).toBe(BEFORE);
    expect(off.settings['screen']).toBeUndefined();
    // recorded only where it applied: the whole model.json is as before
    expect(stringifyModel(below)).toBe(stringifyModel(off));
    // at the threshold (150 >= 2 x 75) it screens, and the fit is another
    const at = await fitSustain(sim.data, th, { ...opts, screen: 75 });
    expect(hash(at)).not.toBe(BEFORE);
    expect(at.settings['screen']).toBe(75);
  });

  const sim = simulateCohort({ subjects: 300, biomarkers: 4, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 4 });
  const th = { zvals: sim.data.biomarkers.map(() => [1, 2, 3]), zmax: sim.data.biomarkers.map(() => 5) };
  const opts = { seed: 2, maxSubtypes: 3, startpoints: 8, mcmcIterations: 0, polish: 0, screen: 60 };

  it('refines on every subject: each K optimum is a full-data EM result; the same bytes on 1 and 2 threads', async () => {
    const one = await fitSustain(sim.data, th, { ...opts, threads: 1 });
    const two = await fitSustain(sim.data, th, { ...opts, threads: 2, inProcessSeconds: 0 });
    expect(stringifyModel(two)).toBe(stringifyModel(one));
    expect(one.settings['screen']).toBe(60);
    // K = 1 is one set: at most REFINE refined results, all full-data log-likelihoods (a subsample's are ~5x larger)
    expect(startPoints(one)[0]!.length).toBeLessThanOrEqual(REFINE);
    startPoints(one).forEach((sp, k) => sp.forEach((v) => expect(v).toBeLessThanOrEqual(em(one)[k]! + 1e-9)));
    let checked = 0;
    for (const f of one.fits) {
      if (f.diagnostics!['mlFrom'] !== 'em') continue;
      checked++;
      expect(em(one)[f.subtypes - 1]).toBeCloseTo(logLikelihood(sim.data, th, mlSequenceIndices(one, f), f.fractions), 6);
    }
    expect(checked).toBeGreaterThan(0);
    // and close to the unscreened search's optima on this easy cohort
    const off = await fitSustain(sim.data, th, { ...opts, screen: 0, threads: 1 });
    em(one).forEach((v, k) => expect(Math.abs(v - em(off)[k]!)).toBeLessThan(0.02 * Math.abs(v)));
  });

  it('works for longitudinal fits (a subject is screened with all its visits)', async () => {
    const c = simulateLongitudinal({ subjects: 120, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 2, visits: [2, 3], interval: 1, rate: 1 });
    const g = groupTable(c.data, 'years');
    const lth = { zvals: g.table.biomarkers.map(() => [1, 2]), zmax: g.table.biomarkers.map(() => 4) };
    const lopts = { seed: 1, maxSubtypes: 2, startpoints: 4, mcmcIterations: 0, polish: 0, longitudinal: { visits: visitCounts(g.layout.start), timeColumn: 'years' } };
    const m = await fitSustain(g.table, lth, { ...lopts, screen: 40, threads: 1 });
    const m2 = await fitSustain(g.table, lth, { ...lopts, screen: 40, threads: 2, inProcessSeconds: 0 });
    expect(stringifyModel(m2)).toBe(stringifyModel(m));
    expect(m.training.subjects).toBe(g.layout.subjects.length);
    for (const f of m.fits) if (f.diagnostics!['mlFrom'] === 'em') expect(em(m)[f.subtypes - 1]).toBeCloseTo(f.logLikelihood, 6);
    startPoints(m).forEach((sp, k) => sp.forEach((v) => expect(v).toBeLessThanOrEqual(em(m)[k]! + 1e-9)));
  });

  it('checks the option, records it in fit and cv, and cv refuses a part made with another value', async () => {
    await expect(fitSustain(sim.data, th, { ...opts, screen: -1 })).rejects.toThrow(/screen must be an integer >= 0/);
    const dir = tempDir('screen-');
    const z = join(dir, 'z.csv');
    writeZTable(z, simulateCohort({ subjects: 80, biomarkers: 3, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 3 }).data);
    const bad = await runCliAsync(['fit', '--data', z, '--zvals', '1,2', '--zmax', '4', '--screen', '-1', '--out', join(dir, 'f')]);
    expectRefused(bad, /--screen/);
    const light = ['--zvals', '1,2', '--zmax', '4', '--max-subtypes', '2', '--startpoints', '4', '--mcmc', '200', '--tune', '50', '--samples', '50', '--seed', '7'];
    const fit = await runCliAsync(['fit', '--data', z, ...light, '--screen', '20', '--out', join(dir, 'f'), '--quiet']);
    expect(fit.stderr).toBe('');
    const model = JSON.parse(readFileSync(join(dir, 'f', 'model.json'), 'utf8'));
    expect(model.settings.screen).toBe(20);
    expect(model.fits[0].diagnostics.emStartPointLogLikelihoods.length).toBeLessThanOrEqual(REFINE);
    const cv = (extra: string[]) => runCliAsync(['cv', '--data', z, ...light, '--folds', '2', ...extra, '--fold', '1', '--out', join(dir, 'cv'), '--quiet']);
    const made = await cv(['--screen', '20']);
    expect(made.stderr).toBe('');
    const part = JSON.parse(readFileSync(join(dir, 'cv', 'fold-1.json'), 'utf8'));
    expect(part.settings.screen).toBe(20);
    expectRefused(await cv([]), /fold-1\.json: was made with different settings .*screen 20 vs 0/);
    // a part from before --screen existed recorded none, and is another run's too
    const old = { ...part.settings };
    delete old.screen;
    writeFileSync(join(dir, 'cv', 'fold-1.json'), JSON.stringify({ ...part, settings: old }));
    expect((await cv([])).stderr).toMatch(/screen absent vs 0/);
  });
});
