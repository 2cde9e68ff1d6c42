import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCliAsync } from '../helpers/cli.js';
import { FIT_DEFAULTS, fitSustain, simulateCohort } from '../../src/sustain/index.js';
import { readSustainModel } from '../../src/io/modelfile.js';
import { sha256File } from '../../src/io/hash.js';
import { fitKmeansModel } from '../../src/cv/kmeans.js';
import { readZTable, writeZTable } from '../../src/io/ztable.js';
import { runCrossValidation, type CvOptions } from '../../src/cv/run.js';
import { makeFolds } from '../../src/cv/folds.js';
import { hashFolds } from '../../src/cv/settings.js';
import { Rng } from '../../src/common/rng.js';
import { loadThresholds } from '../../src/cv/inputs.js';
import type { CvResult } from '../../src/cv/types.js';
import { tempDir } from '../helpers/tmp.js';

// A tiny cohort and very light settings: these tests are about the plumbing (parts, combine,
// resume, threads), not about the answer.
const light = ['--zvals', '1,2', '--zmax', '4', '--max-subtypes', '2', '--folds', '3', '--startpoints', '2', '--mcmc', '200', '--mcmc-tune', '50', '--samples', '50', '--seed', '7'];
const lightOpts = { folds: 3, maxSubtypes: 2, startpoints: 2, mcmcIterations: 200, mcmcTuneIterations: 50, samplesKept: 50, seed: 7, stratify: 'site' };

let root: string;
let zcsv: string;

beforeAll(() => {
  root = tempDir('cv-cli-');
  const sim = simulateCohort({ subjects: 60, biomarkers: 3, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 3 });
  sim.data.carried = { site: sim.data.subjects.map((_, i) => (i % 3 === 0 ? 'A' : 'B')) };
  zcsv = join(root, 'z.csv');
  writeZTable(zcsv, sim.data);
});

describe('ms-subtype cv (CLI)', () => {
  it('one-shot parallel run = parts run one by one in-process + --combine, byte for byte; reruns resume', async () => {
    const a = join(root, 'a');
    const r = await runCliAsync(['cv', '--data', zcsv, ...light, '--stratify', 'site', '--jobs', '2', '--out', a, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(a, 'cv.json')}\n`); // --quiet: only the output path
    expect(JSON.parse(readFileSync(join(a, 'cv.json'), 'utf8')).recommendedSubtypes).toBeLessThanOrEqual(2);
    for (const f of ['cv.json', 'cv.csv', 'cv.csv.json', 'fold-1.json', 'fold-2.json', 'fold-3.json', 'fold-full.json', 'full-model.json']) expect(existsSync(join(a, f))).toBe(true);
    const cvA = readFileSync(join(a, 'cv.json'), 'utf8');
    const res = JSON.parse(cvA) as CvResult;
    expect(res.table.map((t) => t.subtypes)).toEqual([1, 2]);
    // The folds were stratified on site (seed stream 0 makes them).
    expect(res.settings['stratify']).toBe('site');
    const site = readZTable(zcsv).table.carried!['site']!;
    expect(res.settings['foldsSha256']).toBe(hashFolds(makeFolds(60, 3, Rng.fromSeed(7).stream(0), site)));
    expect(res.settings['foldsSha256']).not.toBe(hashFolds(makeFolds(60, 3, Rng.fromSeed(7).stream(0))));
    expect(res.table.every((t) => Number.isFinite(t.cvic) && t.testLogLikelihoodPerFold.length === 3)).toBe(true);
    expect(Number.isInteger(res.recommendedSubtypes)).toBe(true);
    expect(res.positionalVariance!['2']!.length).toBe(2);
    expect(res.stability!['2']!.length).toBe(3);
    const csv = readFileSync(join(a, 'cv.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^subtypes,cvic,test_loglik_mean,.*test_loglik_fold_3$/);
    expect(csv.length).toBe(3);

    // The full-data model is the model `fit` gives with the same settings and seed.
    const read0 = readZTable(zcsv);
    const direct = await fitSustain(read0.table, loadThresholds(read0.table.biomarkers, [1, 2], 4), {
      seed: 7,
      maxSubtypes: 2,
      startpoints: 2,
      mcmcIterations: 200,
      mcmcTuneIterations: 50,
      samplesKept: 50,
      threads: 1,
    });
    const fullModel = readSustainModel(join(a, 'full-model.json'));
    expect(fullModel.fits).toEqual(direct.fits);
    expect(fullModel.training.dataFile).toBe(zcsv);

    // Serial, part by part (as cluster jobs would), then --combine.
    const b = join(root, 'b');
    const read = readZTable(zcsv);
    const thresholds = loadThresholds(read.table.biomarkers, [1, 2], 4);
    for (const part of [2, 'full', 3, 1] as const) {
      const s = await runCrossValidation(read.table, thresholds, b, { ...lightOpts, jobs: 1, part, quiet: true });
      expect(s.result).toBeUndefined();
      expect(s.partsRun).toBe(1);
    }
    const c = await runCliAsync(['cv', '--combine', b]);
    expect(c.code).toBe(0);
    expect(readFileSync(join(b, 'cv.json'), 'utf8')).toBe(cvA);
    expect(readFileSync(join(b, 'cv.csv'), 'utf8')).toBe(readFileSync(join(a, 'cv.csv'), 'utf8'));
    expect(readFileSync(join(b, 'cv.csv.json'), 'utf8')).toBe(readFileSync(join(a, 'cv.csv.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(a, 'cv.csv.json'), 'utf8')).columns[0]).toBe('subtypes');
    for (const f of ['fold-1.json', 'fold-full.json']) expect(readFileSync(join(b, f), 'utf8')).toBe(readFileSync(join(a, f), 'utf8'));

    // Rerun in a: every part is reused, same output.
    const again = await runCrossValidation(read.table, thresholds, a, { ...lightOpts, jobs: 2, quiet: true });
    expect(again.partsRun).toBe(0);
    expect(again.partsReused).toBe(4);
    expect(readFileSync(join(a, 'cv.json'), 'utf8')).toBe(cvA);

    // A given full-data model (--model) is used as is: the same model gives the same full part,
    // recorded as given (so it does not mix with fitted parts).
    const g = join(root, 'g');
    const modelFile = join(a, 'full-model.json');
    await runCrossValidation(read.table, thresholds, g, {
      ...lightOpts,
      jobs: 1,
      part: 'full',
      quiet: true,
      model: { model: readSustainModel(modelFile), sha256: sha256File(modelFile), file: modelFile },
    });
    const partA = JSON.parse(readFileSync(join(a, 'fold-full.json'), 'utf8'));
    const partG = JSON.parse(readFileSync(join(g, 'fold-full.json'), 'utf8'));
    expect(partG.result).toEqual(partA.result);
    expect(partG.settings.fullModel).toBe(`given:${sha256File(modelFile)}`);
    expect(existsSync(join(g, 'full-model.json'))).toBe(false);
    const km = fitKmeansModel(read.table, { maxSubtypes: 2, seed: 1 });
    await expect(
      runCrossValidation(read.table, thresholds, g, { ...lightOpts, jobs: 1, part: 'full', quiet: true, model: { model: km as never, sha256: 'x', file: 'km.json' } }),
    ).rejects.toThrow(/km\.json: is a kmeans model; cross-validation needs a SuStaIn model/);

    // A part of a different run is refused, naming the difference, not overwritten or mixed.
    const mixed = await runCliAsync(['cv', '--data', zcsv, ...light.slice(0, -2), '--seed', '8', '--stratify', 'site', '--out', b, '--fold', '2', '--quiet']);
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toMatch(/fold-2\.json: was made with different settings .*seed 7 vs 8/);
    expect(mixed.stderr).not.toMatch(/\n\s+at /);
  });

  it('--polish reaches every fit (as fit --polish), is recorded in the settings, and parts made without it are not mixed in', async () => {
    const p = join(root, 'polish');
    const r = await runCliAsync(['cv', '--data', zcsv, ...light, '--polish', '0', '--fold', 'full', '--out', p, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const part = JSON.parse(readFileSync(join(p, 'fold-full.json'), 'utf8'));
    expect(part.settings.polish).toBe(0);
    const read0 = readZTable(zcsv);
    const opts = { seed: 7, maxSubtypes: 2, startpoints: 2, mcmcIterations: 200, mcmcTuneIterations: 50, samplesKept: 50, threads: 1 };
    const direct = await fitSustain(read0.table, loadThresholds(read0.table.biomarkers, [1, 2], 4), { ...opts, polish: 0 });
    expect(readSustainModel(join(p, 'full-model.json')).fits).toEqual(direct.fits);
    // the same folder with the default polish is another run's settings: refused, naming polish
    const other = await runCliAsync(['cv', '--data', zcsv, ...light, '--fold', 'full', '--out', p, '--quiet']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/fold-full\.json: was made with different settings .*polish/);
  });

  it('folds fit one chain per K by default (recorded as foldChains), the full-data model as fit; --chains sets both', async () => {
    const read = readZTable(zcsv);
    const thresholds = loadThresholds(read.table.biomarkers, [1, 2], 4);
    const part = async (dir: string, extra: Partial<CvOptions>) => {
      await runCrossValidation(read.table, thresholds, dir, { ...lightOpts, jobs: 1, part: 1, quiet: true, ...extra });
      return JSON.parse(readFileSync(join(dir, 'fold-1.json'), 'utf8'));
    };
    // 50 samples kept: one chain keeps 50, four chains ceil(50 / 4) = 13 each
    const one = await part(join(root, 'chains-default'), {});
    expect(one.settings.chains).toBeNull();
    expect(one.settings.foldChains).toBe(1);
    expect(one.result.perK.map((k: { samples: number }) => k.samples)).toEqual([50, 50]);
    const four = await part(join(root, 'chains-4'), { chains: 4 });
    expect(four.settings.chains).toBe(4);
    expect(four.settings.foldChains).toBe(4);
    expect(four.result.perK.map((k: { samples: number }) => k.samples)).toEqual([52, 52]);
    // a part made before folds had their own default (4 chains, no foldChains) is another run's
    const old = { ...four.settings, chains: null };
    delete old.foldChains;
    writeFileSync(join(root, 'chains-default', 'fold-1.json'), JSON.stringify({ ...four, settings: old }));
    await expect(part(join(root, 'chains-default'), {})).rejects.toThrow(/fold-1\.json: was made with different settings .*foldChains absent vs 1/);
  });

  it('records the polish and early stop the fits use, also by default, so a part made under an earlier default is never mixed in', async () => {
    const read = readZTable(zcsv);
    const thresholds = loadThresholds(read.table.biomarkers, [1, 2], 4);
    const dir = join(root, 'em-defaults');
    const run = () => runCrossValidation(read.table, thresholds, dir, { ...lightOpts, jobs: 1, part: 1, quiet: true });
    await run();
    const made = JSON.parse(readFileSync(join(dir, 'fold-1.json'), 'utf8'));
    expect(made.settings.polish).toBe(FIT_DEFAULTS.polish);
    expect(made.settings.earlyStop).toBe(FIT_DEFAULTS.earlyStop);
    // a part from before --early-stop existed ran every start point and recorded no earlyStop
    const old = { ...made.settings };
    delete old.earlyStop;
    writeFileSync(join(dir, 'fold-1.json'), JSON.stringify({ ...made, settings: old }));
    await expect(run()).rejects.toThrow(/fold-1\.json: was made with different settings .*earlyStop absent vs 2/);
  });

  it('refuses bad inputs with a one-line message naming the problem', async () => {
    const read = readZTable(zcsv);
    const thresholds = loadThresholds(read.table.biomarkers, [1, 2], 4);
    const run = (extra: Partial<CvOptions>) => runCrossValidation(read.table, thresholds, join(root, 'x'), { ...lightOpts, jobs: 1, quiet: true, ...extra });
    await expect(run({ stratify: 'diagnosis' })).rejects.toThrow(/no column "diagnosis" to stratify on \(columns carried from the data: site\)/);
    await expect(run({ part: 4 })).rejects.toThrow(/--fold 4 is out of range: folds are numbered 1 to 3/);
    await expect(run({ folds: 61 })).rejects.toThrow(/61 folds need at least 61 subjects/);
    writeFileSync(join(root, 'th.json'), '{"b01": {"zvals": [2, 1], "zmax": 4}}');
    expect(() => loadThresholds(read.table.biomarkers, [1, 2], 4, join(root, 'th.json'))).toThrow(/th\.json.*b01.*strictly increasing/);
    const help = await runCliAsync(['cv', '--help']);
    expect(help.stdout).toMatch(/Examples:/);
    expect(help.stdout).toMatch(/--combine/);
  });
});
