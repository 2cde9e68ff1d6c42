/**
 * EM at paper scale: `npm run bench:em-paper [-- options]`. The EM part of bench:paper (6,322 x 13
 * biomarkers, 34 events, 25 start points; MCMC off) fitted with several --early-stop settings in
 * one process, one after the other, so their cost is a ratio measured in one session: per K the EM
 * optimum each reaches, its mixture runs, and the wall and CPU seconds up to that K's optimum.
 *
 * Options: --subjects M (6322) --startpoints S (25) --max-subtypes K (3) --threads T (1)
 * --early-stop a,b,.. (0,2: every start point as before the early stop, and the default).
 */
import { cpus, loadavg } from 'node:os';
import { fitSustain, simulateCohort } from '../src/sustain/index.js';
import type { Thresholds } from '../src/sustain/types.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const S = { subjects: Number(opt('subjects', '6322')), startpoints: Number(opt('startpoints', '25')), maxSubtypes: Number(opt('max-subtypes', '3')), threads: Number(opt('threads', '1')) };
const stops = opt('early-stop', '0,2').split(',').map(Number);

// the cohort of bench:paper (8 biomarkers with thresholds 1,2,3 and 5 with 1,2: 34 events)
const sim = simulateCohort({ subjects: S.subjects, biomarkers: 13, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 2021 });
const th: Thresholds = { zvals: sim.data.biomarkers.map((_, b) => (b < 8 ? [1, 2, 3] : [1, 2])), zmax: sim.data.biomarkers.map(() => 5) };
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
console.log(
  `== EM at paper scale: ${S.subjects} x 13, 34 events, K = 1..${S.maxSubtypes}, ${S.startpoints} start points, MCMC off, ${S.threads} thread(s), ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
);
const runs: { stop: number; ll: number[]; mixtureRuns: number[]; wallAt: number[]; cpuAt: number[] }[] = [];
for (const stop of stops) {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const wallAt: number[] = [];
  const cpuAt: number[] = [];
  // a K's optimum is known when the next K's splits (or the MCMC) start
  let K = 1;
  const model = await fitSustain(sim.data, th, {
    seed: 1,
    maxSubtypes: S.maxSubtypes,
    startpoints: S.startpoints,
    mcmcIterations: 0,
    threads: S.threads,
    earlyStop: stop,
    onProgress: (p) => {
      if ((p.phase === 'split' && p.subtypes > K) || (p.phase === 'mcmc' && wallAt.length < S.maxSubtypes)) {
        while (wallAt.length < (p.phase === 'mcmc' ? S.maxSubtypes : p.subtypes - 1)) {
          wallAt.push((performance.now() - t0) / 1000);
          cpuAt.push(cpuSeconds() - c0);
        }
        K = p.subtypes;
      }
    },
  });
  const ll = model.fits.map((f) => f.diagnostics!['emLogLikelihood'] as number);
  const mixtureRuns = model.fits.map((f) => (f.diagnostics!['emStartPointLogLikelihoods'] as number[]).length);
  runs.push({ stop, ll, mixtureRuns, wallAt, cpuAt });
  console.error(`  --early-stop ${stop}: ${ll.map((v) => v.toFixed(4)).join(' / ')}; ${wallAt[wallAt.length - 1]!.toFixed(1)} s wall, ${cpuAt[cpuAt.length - 1]!.toFixed(1)} s CPU`);
}
const rows: string[][] = [['--early-stop', ...Array.from({ length: S.maxSubtypes }, (_, k) => `K=${k + 1}: optimum (runs), CPU s to here`), 'wall s', 'CPU s', 'CPU vs first row']];
for (const r of runs) {
  rows.push([
    String(r.stop),
    ...r.ll.map((v, k) => `${v.toFixed(4)} (${r.mixtureRuns[k]}), ${r.cpuAt[k]!.toFixed(1)}`),
    r.wallAt[r.wallAt.length - 1]!.toFixed(1),
    r.cpuAt[r.cpuAt.length - 1]!.toFixed(1),
    (r.cpuAt[r.cpuAt.length - 1]! / runs[0]!.cpuAt[runs[0]!.cpuAt.length - 1]!).toFixed(3),
  ]);
}
const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
for (const r of rows) console.log(r.map((c, j) => c.padEnd(w[j]!)).join('  '));
console.log(`(runs: a K's mixture runs over all clusters, K = 1: its start points; load average at the end ${loadavg()[0]!.toFixed(1)})`);
