import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mcmcRunOf, readModelFile, stringifyModel, writeModelFile } from '../../src/io/modelfile.js';
import { createHash } from 'node:crypto';
import { Rng } from '../../src/common/rng.js';
import { thinIndices } from '../../src/sustain/mcmc.js';
import { runMcmcTask } from '../../src/sustain/tasks.js';
import { modelConvergenceWarnings } from '../../src/sustain/chains.js';
import { roundLengths, roundRecord } from '../../src/sustain/mcmc-rounds.js';
import type { ConvergenceJson } from '../../src/sustain/chains.js';
import { fitSustain, kindOf, simulateCohort, toSpec } from '../../src/sustain/index.js';
import type { SustainModelFile, Thresholds } from '../../src/sustain/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'ms-rounds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const th = (names: string[], zvals: number[]): Thresholds => ({ zvals: names.map(() => zvals), zmax: names.map(() => 5) });
const conv = (f: { diagnostics?: Record<string, unknown> }) => f.diagnostics!['convergence'] as ConvergenceJson;

describe('chains in rounds that stop once converged (fit --mcmc-round)', () => {
  it('the stopping lengths and the samples each round keeps', () => {
    expect(roundLengths(10_000, 3000)).toEqual([3000, 6000, 9000, 10_000]);
    expect(roundLengths(1000, 5000)).toEqual([1000]);
    const L = roundLengths(1000, 300);
    // every length's evenly thinned samples are kept by exactly the rounds that cover them
    const kept = new Set([...roundRecord(L, 7, 0, 300), ...roundRecord(L, 7, 300, 600), ...roundRecord(L, 7, 600, 900), ...roundRecord(L, 7, 900, 1000)]);
    for (const n of L) for (const i of thinIndices(n, 7)) expect(kept.has(i)).toBe(true);
    // a round keeps nothing for lengths that ended before it
    expect(roundRecord(L, 7, 600, 900).every((i) => i >= 600 && i < 900)).toBe(true);
    expect(roundRecord(L, 7, 600, 900)).toEqual([...new Set([...thinIndices(900, 7), ...thinIndices(1000, 7)].filter((i) => i >= 600 && i < 900))].sort((a, b) => a - b));
  });

  const easy = simulateCohort({ subjects: 300, biomarkers: 5, subtypes: 1, zvals: [1, 2], zmax: 5, seed: 3 });
  const easyFit = (threads: number, round: number) =>
    fitSustain(easy.data, th(easy.data.biomarkers, [1, 2]), {
      seed: 1,
      maxSubtypes: 1,
      startpoints: 2,
      mcmcIterations: 40_000,
      mcmcTuneIterations: 1000,
      mcmcRound: round,
      threads,
      inProcessSeconds: 0,
    });

  it('an easy cohort stops before the cap, records it, and the same bytes come with 1 or 2 threads', async () => {
    const m = await easyFit(1, 2000);
    const f = m.fits[0]!;
    const run = mcmcRunOf(f);
    expect(run.mcmcStopped).toBe('converged');
    expect(run.mcmcIterations).toBeLessThan(40_000);
    expect(run.mcmcIterations! % 2000).toBe(0);
    expect(conv(f).warnings).toEqual([]);
    expect(conv(f).logLikelihood.essTail!).toBeGreaterThanOrEqual(400);
    expect(m.settings['mcmcRound']).toBe(2000);
    // the kept samples: the same number per chain (1000 / 4)
    expect(f.samples.chain!.filter((q) => q === 3)).toHaveLength(250);
    expect(modelConvergenceWarnings(m)).toEqual([]);
    expect(stringifyModel(await easyFit(2, 2000))).toBe(stringifyModel(m));
    // model.json keeps the record; a damaged one is refused
    const file = join(tmp, 'model.json');
    writeModelFile(file, m);
    const back = readModelFile(file) as SustainModelFile;
    expect(mcmcRunOf(back.fits[0]!)).toEqual(run);
    expect(stringifyModel(back)).toBe(stringifyModel(m));
    const bad = JSON.parse(stringifyModel(m));
    bad.fits[0].diagnostics.mcmcStopped = 'tired';
    writeModelFile(file, bad);
    expect(() => readModelFile(file)).toThrow(/fits\.0\.diagnostics\.mcmcStopped/);
  });

  it('chains that cannot converge by the cap run to it, say so, and the warning fires', async () => {
    const sim = simulateCohort({ subjects: 300, biomarkers: 6, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 3 });
    const m = await fitSustain(sim.data, th(sim.data.biomarkers, [1, 2, 3]), {
      seed: 1,
      maxSubtypes: 3,
      startpoints: 2,
      mcmcIterations: 400,
      mcmcTuneIterations: 100,
      mcmcRound: 100,
      samplesKept: 100,
      threads: 2,
    });
    const f = m.fits[2]!;
    expect(mcmcRunOf(f)).toMatchObject({ mcmcIterations: 400, mcmcStopped: 'cap' });
    expect(conv(f).warnings.length).toBeGreaterThan(0);
    expect(f.samples.chain!.filter((q) => q === 0)).toHaveLength(25);
    expect(modelConvergenceWarnings(m).find((w) => w.startsWith('K=3'))).toMatch(/may not have converged .*--mcmc 10000/);
  });

  it('off: chains run as before (the chain task gives what it gave before rounds existed)', async () => {
    // the pre-round code's result for this chain (mcmc.ts before --mcmc-round; same hash then)
    const sim = simulateCohort({ subjects: 120, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 5, seed: 7 });
    const spec = toSpec(th(sim.data.biomarkers, [1, 2]));
    const values = kindOf(spec).encode(spec, sim.data.biomarkers, sim.data);
    const r = runMcmcTask({
      kind: 'mcmc',
      spec,
      values,
      M: 120,
      rng: Rng.fromSeed(11).state(),
      em: { maxIterations: 100, tolerance: 1e-6 },
      sequences: [
        [0, 1, 2, 3, 4, 5, 6, 7],
        [6, 7, 4, 5, 2, 3, 0, 1],
      ],
      fractions: [0.5, 0.5],
      perturbStart: 2,
      mcmc: { iterations: 3000, tunePasses: 2, tuneIterations: 500, samplesKept: 60, refreshEvery: 700 },
    });
    const pick = {
      sequences: r.sequences,
      fractions: r.fractions,
      logLik: r.logLik,
      acceptance: r.acceptance,
      best: r.best,
      meanFractions: r.meanFractions,
      seqSigma: r.seqSigma,
      fSigma: r.fSigma,
      lastFractions: r.lastFractions,
      iterations: r.iterations,
    };
    expect(createHash('sha256').update(JSON.stringify(pick)).digest('hex')).toBe('351def6ce9de84946ab0fdb1a4edb63a3dadd422169afc86a73f6a37185cd088');
    expect(r.rng).toBeUndefined();
    // and a fit with --mcmc-round 0 records nothing of rounds
    const m = await fitSustain(sim.data, th(sim.data.biomarkers, [1, 2]), { seed: 1, maxSubtypes: 1, startpoints: 1, mcmcIterations: 500, mcmcRound: 0, threads: 1 });
    expect(m.settings['mcmcRound']).toBeUndefined();
    expect(m.fits[0]!.diagnostics!['mcmcStopped']).toBeUndefined();
  });
});
