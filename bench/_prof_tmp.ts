// temporary profiling driver (deleted after)
import { readZTable } from '../src/io/ztable.js';
import { runSingle, runMixture, runMcmcTask } from '../src/sustain/tasks.js';
import { Rng } from '../src/common/rng.js';
const data = readZTable('/work/shared/sustain/medium/data.csv').table;
const th = { zvals: data.biomarkers.map(() => [1, 2, 3]), zmax: data.biomarkers.map(() => 5) };
const M = data.subjects.length;
const em = { maxIterations: 100, tolerance: 1e-6 };
const mode = process.argv[2] ?? 'em';
let t0 = performance.now();
const r1 = runSingle({ kind: 'single', thresholds: th, em, values: data.values, M, rng: Rng.fromSeed(3).state() });
console.log('single', r1.logLik, r1.sweeps, ((performance.now() - t0) / 1000).toFixed(2));
const seqs = [r1.sequences[0]!, Rng.fromSeed(5) && r1.sequences[0]!.slice().reverse()];
t0 = performance.now();
if (mode === 'em') {
  const r2 = runSingle({ kind: 'single', thresholds: th, em, values: data.values, M, rng: Rng.fromSeed(4).state() });
  const r3 = runMixture({ kind: 'mixture', thresholds: th, em, values: data.values, M, rng: Rng.fromSeed(4).state(), sequences: [r1.sequences[0]!, r2.sequences[0]!], fractions: [0.5, 0.5] });
  console.log('mixture', r3.logLik, r3.sweeps, ((performance.now() - t0) / 1000).toFixed(2));
} else {
  const r = runMcmcTask({ kind: 'mcmc', thresholds: th, em, values: data.values, M, rng: Rng.fromSeed(4).state(), sequences: [r1.sequences[0]!], fractions: [1], mcmc: { iterations: 10000, tunePasses: 1, tuneIterations: 10000, samplesKept: 100, refreshEvery: 2000 } });
  console.log('mcmc', r.best.logLik, r.acceptance, ((performance.now() - t0) / 1000).toFixed(2), 'it/s', (20000 / ((performance.now() - t0) / 1000)).toFixed(0));
}
console.log('apply stage-updates', (globalThis as any).__cnt, 'calls', (globalThis as any).__calls, 'cells', (globalThis as any).__cells);
console.log((globalThis as any).__ex, (globalThis as any).__n)
