import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitSustain, simulateCohort } from '../../src/sustain/index.js';
import { BATCH, repeated, runMultiStart, type MultiStart } from '../../src/sustain/multistart.js';
import type { EmTaskResult, FitTask } from '../../src/sustain/tasks.js';
import { stringifyModel } from '../../src/io/modelfile.js';
import { writeZTable } from '../../src/io/ztable.js';
import { UserError } from '../../src/common/errors.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { expectRefused } from '../helpers/errors.js';

// A fake task: its "optimum" is a function of its random stream (one of a few values), so which
// tasks ran, and from which streams, shows in the results.
const fakeSet = (seed: number, levels: number): MultiStart => ({ seed, task: (rng) => ({ kind: 'single', rng, levels }) as unknown as FitTask });
const fakeRun = (calls: number[]) => async (tasks: FitTask[]) => {
  calls.push(tasks.length);
  return tasks.map((t) => {
    const { rng, levels } = t as unknown as { rng: number[]; levels: number };
    const v = Math.abs(rng[0]! ^ rng[1]!) % levels;
    return { sequences: [], fractions: [], logLik: -v, sweeps: 1, work: 1 } satisfies EmTaskResult;
  });
};

describe('start points in batches, stopping once the best repeats', () => {
  it('counts repeats of the best optimum only (to 1e-3)', () => {
    const r = (...v: number[]) => v.map((logLik) => ({ logLik }));
    expect(repeated(r(-5, -3, -3.0004), 2)).toBe(true);
    expect(repeated(r(-5, -5, -3), 2)).toBe(false);
    expect(repeated(r(-3, -5, -5, -3.01), 2)).toBe(false);
    expect(repeated(r(-3), 1)).toBe(true);
    expect(repeated(r(-3, -3, -3), 0)).toBe(false);
  });

  it('runs whole batches; task i always uses stream i, so a stopped set is a prefix of the full one', async () => {
    const sets = [fakeSet(11, 3), fakeSet(12, 50)];
    const allCalls: number[] = [];
    const all = await runMultiStart(sets, 25, 0, fakeRun(allCalls));
    expect(allCalls).toEqual([50]);
    const calls: number[] = [];
    const some = await runMultiStart(sets, 25, 2, fakeRun(calls));
    // three levels: the best repeats within two batches; fifty: rarely, so that set runs longer
    expect(some[0]!.length).toBeLessThanOrEqual(2 * BATCH);
    expect(some[0]!.length % BATCH).toBe(0);
    expect(some[1]!.length).toBeGreaterThan(some[0]!.length);
    some.forEach((rs, q) => expect(rs).toEqual(all[q]!.slice(0, rs.length)));
    // each set stopped at the first batch end where its best had been reached twice
    some.forEach((rs) => {
      const stop = rs.length;
      expect(stop === 25 || repeated(rs, 2)).toBe(true);
      if (stop > BATCH) expect(repeated(rs.slice(0, stop - BATCH), 2)).toBe(false);
    });
    expect(calls[0]).toBe(2 * BATCH);
  });

  // a cohort where K = 1..3 from 8 start points each, all run, reach the optimum the early stop must reach too
  const sim = simulateCohort({ subjects: 200, biomarkers: 4, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 4 });
  const th = { zvals: sim.data.biomarkers.map(() => [1, 2, 3]), zmax: sim.data.biomarkers.map(() => 5) };
  const opts = { seed: 2, maxSubtypes: 3, startpoints: 8, mcmcIterations: 0 };
  const em = (m: Awaited<ReturnType<typeof fitSustain>>) => m.fits.map((f) => f.diagnostics!['emLogLikelihood'] as number);
  const runs = (m: Awaited<ReturnType<typeof fitSustain>>) => m.fits.map((f) => (f.diagnostics!['emStartPointLogLikelihoods'] as number[]).length);

  it('reaches the optimum of all start points with fewer runs (the default), byte-identical on 1 and 2 threads', async () => {
    const full = await fitSustain(sim.data, th, { ...opts, earlyStop: 0, threads: 1 });
    const one = await fitSustain(sim.data, th, { ...opts, threads: 1 });
    const two = await fitSustain(sim.data, th, { ...opts, threads: 2, inProcessSeconds: 0 });
    em(one).forEach((v, k) => expect(v).toBeCloseTo(em(full)[k]!, 6));
    expect(runs(full)).toEqual([8, 8, 16]);
    expect(runs(one).reduce((a, b) => a + b, 0)).toBeLessThan(32);
    expect(one.settings['earlyStop']).toBe(2);
    expect(full.settings['earlyStop']).toBeUndefined();
    expect(stringifyModel(two)).toBe(stringifyModel(one));
  });

  it('checks the option, in the library and on the command lines of fit and cv', async () => {
    await expect(fitSustain(sim.data, th, { ...opts, earlyStop: -1 })).rejects.toThrow(UserError);
    await expect(fitSustain(sim.data, th, { ...opts, earlyStop: 1.5 })).rejects.toThrow(/earlyStop must be an integer >= 0/);
    const dir = tempDir('multistart-');
    const z = join(dir, 'z.csv');
    writeZTable(z, simulateCohort({ subjects: 60, biomarkers: 3, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 3 }).data);
    const bad = await runCliAsync(['fit', '--data', z, '--zvals', '1,2', '--zmax', '4', '--early-stop', '-1', '--out', join(dir, 'f')]);
    expectRefused(bad, /--early-stop/);
    const light = ['--zvals', '1,2', '--zmax', '4', '--max-subtypes', '2', '--startpoints', '9', '--mcmc', '200', '--tune', '50', '--samples', '50', '--seed', '7'];
    const fit = await runCliAsync(['fit', '--data', z, ...light, '--early-stop', '1', '--out', join(dir, 'f'), '--quiet']);
    expect(fit.stderr).toBe('');
    const model = JSON.parse(readFileSync(join(dir, 'f', 'model.json'), 'utf8'));
    expect(model.settings.earlyStop).toBe(1);
    // one batch per set
    expect(model.fits[0].diagnostics.emStartPointLogLikelihoods).toHaveLength(BATCH);
    const cv = await runCliAsync(['cv', '--data', z, ...light, '--folds', '2', '--early-stop', '0', '--fold', 'full', '--out', join(dir, 'cv'), '--quiet']);
    expect(cv.stderr).toBe('');
    const part = JSON.parse(readFileSync(join(dir, 'cv', 'fold-full.json'), 'utf8'));
    expect(part.settings.earlyStop).toBe(0);
    const full = JSON.parse(readFileSync(join(dir, 'cv', 'full-model.json'), 'utf8'));
    expect(full.fits[0].diagnostics.emStartPointLogLikelihoods).toHaveLength(9);
  });
});
