import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFile, writeModelFile } from '../../src/io/modelfile.js';
import { writeZTable } from '../../src/io/ztable.js';
import { runCliAsync } from '../helpers/cli.js';
import type { ConvergenceJson } from '../../src/sustain/chains.js';
import { fitSustain, simulateCohort } from '../../src/sustain/index.js';
import type { SustainModelFile, Thresholds } from '../../src/sustain/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'ms-chains-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const th = (names: string[], zvals: number[]): Thresholds => ({ zvals: names.map(() => zvals), zmax: names.map(() => 5) });
const conv = (f: { diagnostics?: Record<string, unknown> }) => f.diagnostics!['convergence'] as ConvergenceJson;

describe('several MCMC chains per K, with convergence diagnostics', () => {
  it('a very short chain on a 3-subtype cohort does not converge, and the fit says so', async () => {
    const sim = simulateCohort({ subjects: 300, biomarkers: 6, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 3 });
    const m = await fitSustain(sim.data, th(sim.data.biomarkers, [1, 2, 3]), {
      seed: 1,
      maxSubtypes: 3,
      startpoints: 2,
      mcmcIterations: 300,
      mcmcTuneIterations: 100,
      samplesKept: 100,
      threads: 2,
    });
    const c = conv(m.fits[2]!);
    expect(c.chains).toBe(4);
    expect(c.fractions).toHaveLength(3);
    expect(c.logLikelihood.rhat!).toBeGreaterThan(1.01);
    expect(c.warnings.join('; ')).toMatch(/R-hat of the log-likelihood is [\d.]+ \(> 1.01\)/);
    expect(c.acceptance).toHaveLength(4);
    // the same number of kept samples per chain, chains one after the other
    const chain = m.fits[2]!.samples.chain!;
    expect(chain).toHaveLength(100);
    expect(chain.filter((q) => q === 3)).toHaveLength(25);
    expect(chain[0]).toBe(0);
    expect(chain[99]).toBe(3);
    // model.json keeps them, and a damaged chain index is refused
    const file = join(tmp, 'model.json');
    writeModelFile(file, m);
    const back = readModelFile(file) as SustainModelFile;
    expect(back.fits[2]!.samples.chain).toEqual(chain);
    expect(conv(back.fits[2]!).warnings).toEqual(c.warnings);
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    raw.fits[2].samples.chain[5] = 2;
    writeFileSync(file, JSON.stringify(raw));
    expect(() => readModelFile(file)).toThrow(/fits\.2\.samples\.chain/);
  });

  it('an easy cohort converges: no warning', async () => {
    const sim = simulateCohort({ subjects: 30, biomarkers: 3, subtypes: 1, zvals: [1, 2], zmax: 5, seed: 3 });
    const m = await fitSustain(sim.data, th(sim.data.biomarkers, [1, 2]), { seed: 1, maxSubtypes: 1, startpoints: 3, mcmcIterations: 50_000, mcmcTuneIterations: 2000, threads: 2 });
    const c = conv(m.fits[0]!);
    expect(c.warnings).toEqual([]);
    expect(c.logLikelihood.rhat!).toBeLessThan(1.01);
    expect(c.logLikelihood.essBulk!).toBeGreaterThan(400);
    expect(c.mlSequencesAgree).toBe(true);
    // one subtype: its fraction is always 1, nothing to diagnose
    expect(c.fractions).toEqual([{ rhat: null, essBulk: null, essTail: null }]);
    expect(m.settings['chains']).toBe(4);
  });

  it('fit on the command line prints the warning and what to do', async () => {
    const sim = simulateCohort({ subjects: 200, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 5 });
    writeZTable(join(tmp, 'z.csv'), sim.data);
    const r = await runCliAsync([
      'fit',
      '--data',
      join(tmp, 'z.csv'),
      '--zvals',
      '1,2',
      '--zmax',
      '4',
      '--max-subtypes',
      '2',
      '--startpoints',
      '2',
      '--mcmc',
      '200',
      '--tune',
      '100',
      '--chains',
      '3',
      '--seed',
      '1',
      '--jobs',
      '1',
      '--out',
      join(tmp, 'fit'),
    ]);
    expect(r.code).toBe(0);
    const warn = r.stderr.split('\n').filter((l) => l.startsWith('warning: K=2'));
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatch(/^warning: K=2: the MCMC chains may not have converged \(.*(R-hat|bulk ESS).*\), so the posterior uncertainty .* run longer chains, e.g. --mcmc 10000$/);
    expect((readModelFile(join(tmp, 'fit', 'model.json')) as SustainModelFile).settings['chains']).toBe(3);
  });

  it('--mcmc 0 runs one chain and keeps no diagnostics', async () => {
    const sim = simulateCohort({ subjects: 40, biomarkers: 3, subtypes: 1, zvals: [1, 2], zmax: 5, seed: 4 });
    const m = await fitSustain(sim.data, th(sim.data.biomarkers, [1, 2]), { seed: 1, maxSubtypes: 1, startpoints: 2, mcmcIterations: 0, threads: 1 });
    expect(m.fits[0]!.diagnostics!['convergence']).toBeUndefined();
    expect(m.fits[0]!.samples.chain).toEqual([0]);
    expect(m.settings['chains']).toBe(1);
  });
});
