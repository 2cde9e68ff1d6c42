import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { thinIndices } from '../../src/sustain/mcmc.js';
import { roundLengths, roundRecord, runRounds } from '../../src/sustain/mcmc-rounds.js';
import { kindOf, simulateCohort, toSpec } from '../../src/sustain/index.js';
import { runMcmcTask, type McmcTask, type McmcTaskResult } from '../../src/sustain/tasks.js';

const sim = simulateCohort({ subjects: 120, biomarkers: 4, subtypes: 2, zvals: [1, 2], zmax: 5, seed: 7 });
const spec = toSpec({ zvals: sim.data.biomarkers.map(() => [1, 2]), zmax: sim.data.biomarkers.map(() => 5) });
const values = kindOf(spec).encode(spec, sim.data.biomarkers, sim.data);
const task = (mcmc: McmcTask['mcmc'], seed = 11): McmcTask => ({
  kind: 'mcmc',
  spec,
  values,
  M: 120,
  rng: Rng.fromSeed(seed).state(),
  em: { maxIterations: 100, tolerance: 1e-6 },
  sequences: [
    [0, 1, 2, 3, 4, 5, 6, 7],
    [6, 7, 4, 5, 2, 3, 0, 1],
  ],
  fractions: [0.5, 0.5],
  perturbStart: 2,
  mcmc,
});
/** What a chain's result says about its samples and path. */
const key = (r: McmcTaskResult) => JSON.stringify([r.sequences, r.fractions, r.logLik, r.acceptance, r.best, r.meanFractions, r.iterations, r.seqSigma, r.fSigma]);

describe('MCMC chains run in rounds (mcmc-rounds.ts, bench:mcmc-length)', () => {
  it('the lengths and the samples each round keeps', () => {
    expect(roundLengths(10_000, 3000)).toEqual([3000, 6000, 9000, 10_000]);
    expect(roundLengths(1000, 5000)).toEqual([1000]);
    const L = roundLengths(1000, 300);
    // every length's evenly thinned samples are kept by the rounds that cover them
    const kept = new Set([...roundRecord(L, 7, 0, 300), ...roundRecord(L, 7, 300, 600), ...roundRecord(L, 7, 600, 900), ...roundRecord(L, 7, 900, 1000)]);
    for (const n of L) for (const i of thinIndices(n, 7)) expect(kept.has(i)).toBe(true);
    // and nothing for lengths that ended before the round
    expect(roundRecord(L, 7, 600, 900)).toEqual([...new Set([...thinIndices(900, 7), ...thinIndices(1000, 7)].filter((i) => i >= 600 && i < 900))].sort((a, b) => a - b));
  });

  it('a chain continued round by round is the chain one run gives, when the rounds end just after a table refresh', async () => {
    const mcmc = { iterations: 1501, tunePasses: 2, tuneIterations: 300, samplesKept: 40, refreshEvery: 250 };
    const one = runMcmcTask(task(mcmc));
    const seen: number[] = [];
    const r = await runRounds(
      [task(mcmc)],
      [501, 1001, 1501],
      40,
      async (ts) => ts.map(runMcmcTask),
      (chains, L) => {
        seen.push(L, chains[0]!.logLik.length);
        return false;
      },
    );
    expect(seen).toEqual([501, 40, 1001, 40, 1501, 40]);
    expect(r).toMatchObject({ iterations: 1501, stopped: false });
    expect(key(r.chains[0]!)).toBe(key(one));
    // the random stream carries its cached normal deviate across rounds
    const g = Rng.fromSeed(3);
    g.normal();
    const h = Rng.fromState(g.state());
    expect([h.normal(), h.uniform()]).toEqual([g.normal(), g.uniform()]);
  });

  it('stopped at a length, the chains are those of a run of that length, thinned over it, whatever the order rounds run in', async () => {
    const mcmc = { iterations: 0, tunePasses: 1, tuneIterations: 200, samplesKept: 30, refreshEvery: 100 };
    const first = [task(mcmc, 1), task(mcmc, 2)];
    const stopAt = (L: number) => (_c: McmcTaskResult[], at: number) => at === L;
    const a = await runRounds(first, [201, 401, 601], 30, async (ts) => ts.map(runMcmcTask), stopAt(401));
    // the same rounds run in the other order (as threads may finish them)
    const b = await runRounds(first, [201, 401, 601], 30, async (ts) => [...ts].reverse().map(runMcmcTask).reverse(), stopAt(401));
    expect(a).toMatchObject({ iterations: 401, stopped: true });
    expect(a.chains.map(key)).toEqual(b.chains.map(key));
    const single = first.map((t) => runMcmcTask({ ...t, mcmc: { ...mcmc, iterations: 401 } }));
    expect(a.chains.map(key)).toEqual(single.map(key));
  });

  it('a chain run at once gives what it gave before rounds existed', () => {
    // the result of the code before mcmc-rounds.ts for this chain (the same hash then)
    const r = runMcmcTask(task({ iterations: 3000, tunePasses: 2, tuneIterations: 500, samplesKept: 60, refreshEvery: 700 }));
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
    expect(r.lastSequences).toBeUndefined();
  });
});
