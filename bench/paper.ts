/**
 * The whole published analysis (Eshaghi et al. 2021) at its size: `npm run bench:paper [-- options]`.
 *
 * Simulates 6,322 subjects x 13 biomarkers with 34 events (8 biomarkers with thresholds 1,2,3 and 5
 * with 1,2; zmax 5), fits K = 1..5 with 25 start points and 1e5 MCMC iterations per chain x 4
 * chains, then runs 10-fold cross-validation with the same settings, and prints wall time and peak
 * memory per phase beside an estimate of pySuStaIn's cost for the same work.
 *
 * pySuStaIn's cost is estimated per likelihood evaluation, from ../shared/sustain/REFERENCE.md: its
 * MCMC on the medium cohort (1,000 x 10 x 30 events) took 35.6 / 81.8 / 111.5 s for 1e4 iterations
 * at K = 1 / 2 / 3, one dense stage-likelihood evaluation per subtype per iteration, i.e. about
 * 3.7 ms per evaluation at M x B x N = 300,000, and an evaluation costs O(M x B x N); its EM is
 * scaled from the medium EM times by the same factor and by N^2 / Z (positions tried per event per
 * sweep) and the number of start points. These are estimates (the dense temporaries outgrow the
 * caches at the paper's size, so the real cost is likely higher).
 *
 * Options: --subjects M (6322) --startpoints S (25) --mcmc I (1e5) --chains C (4) --folds F (10)
 * --max-subtypes K (5) --threads T --phases fit,cv --quick (1000 subjects, 5 start points, K 1..3,
 * 1e4 MCMC, 3 folds: a smoke run of the same code in about a minute).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultThreads } from '../src/common/pool.js';
import { runCrossValidation } from '../src/cv/index.js';
import { fitSustain, simulateCohort, type FitProgress } from '../src/sustain/index.js';
import type { Thresholds } from '../src/sustain/types.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const S = {
  subjects: opt('subjects', quick ? 1000 : 6322),
  startpoints: opt('startpoints', quick ? 5 : 25),
  mcmc: opt('mcmc', quick ? 1e4 : 1e5),
  chains: opt('chains', 4),
  folds: opt('folds', quick ? 3 : 10),
  maxSubtypes: opt('max-subtypes', quick ? 3 : 5),
  threads: opt('threads', defaultThreads()),
};
const phasesArg = args.indexOf('--phases');
const phases = new Set(phasesArg >= 0 ? args[phasesArg + 1]!.split(',') : ['fit', 'cv']);

const B = 13;
const THREE = 8; // biomarkers with thresholds 1,2,3; the other 5 have 1,2 (8 x 3 + 5 x 2 = 34 events)
const TUNE = { passes: 3, iterations: 1e4 };

const mb = () => process.resourceUsage().maxRSS / 1024;
const fmt = (v: number, d = 1) => v.toFixed(d);
function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j] ?? '').length)));
  for (const r of rows) console.log(r.map((c, j) => String(c ?? '').padEnd(w[j]!)).join('  '));
  console.log();
}
const hms = (s: number) => (s < 120 ? `${fmt(s)} s` : s < 7200 ? `${fmt(s / 60)} min` : s < 172800 ? `${fmt(s / 3600)} h` : `${fmt(s / 86400)} days`);

// ---- pySuStaIn's cost for the same work (see the header) ----
const PY_MEDIUM = { MBN: 1000 * 10 * 30, evalSeconds: (35.6 / 1e4 + 81.8 / 2e4 + 111.5 / 3e4) / 3, em: [37.9, 168.6, 628.6], N: 30, Z: 3, startpoints: 5 };
function pyEstimate(M: number, N: number): { emFit: number; mcmcFit: number } {
  const scale = (M * B * N) / PY_MEDIUM.MBN;
  const evalS = PY_MEDIUM.evalSeconds * scale;
  let mcmcEvals = 0;
  for (let K = 1; K <= S.maxSubtypes; K++) mcmcEvals += K * (TUNE.passes * TUNE.iterations + S.mcmc) * S.chains;
  // EM: medium's measured times per start point, K-growth extrapolated geometrically past K = 3,
  // scaled by evaluation cost and positions tried per sweep (N^2 / Z: N events, ~N / Z positions each)
  const perSp = PY_MEDIUM.em.map((t) => t / PY_MEDIUM.startpoints);
  const growth = perSp[2]! / perSp[1]!;
  while (perSp.length < S.maxSubtypes) perSp.push(perSp[perSp.length - 1]! * growth);
  const zAvg = 34 / B;
  const sweepScale = (N * N) / zAvg / ((PY_MEDIUM.N * PY_MEDIUM.N) / PY_MEDIUM.Z);
  const emFit = perSp.slice(0, S.maxSubtypes).reduce((a, b) => a + b, 0) * S.startpoints * scale * sweepScale;
  return { emFit, mcmcFit: mcmcEvals * evalS };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const sim = simulateCohort({ subjects: S.subjects, biomarkers: B, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 2021 });
  const thresholds: Thresholds = {
    zvals: sim.data.biomarkers.map((_, b) => (b < THREE ? [1, 2, 3] : [1, 2])),
    zmax: sim.data.biomarkers.map(() => 5),
  };
  const N = thresholds.zvals.reduce((a, z) => a + z.length, 0);
  const settings = { seed: 1, maxSubtypes: S.maxSubtypes, startpoints: S.startpoints, mcmcIterations: S.mcmc, mcmcTuneIterations: TUNE.iterations, threads: S.threads, chains: S.chains };
  console.log(
    `== paper-scale analysis: ${S.subjects} subjects x ${B} biomarkers, ${N} events, K = 1..${S.maxSubtypes}, ${S.startpoints} start points, ` +
      `${S.mcmc} MCMC x ${S.chains} chains (+${TUNE.passes} x ${TUNE.iterations} tuning), ${S.folds}-fold CV, ${S.threads} thread(s)`,
  );
  const rows: (string | number)[][] = [['phase', 'wall', 'peak memory, MB', 'pySuStaIn (estimate)', 'ratio']];
  const py = pyEstimate(S.subjects, N);
  rows.push(['simulate', hms((performance.now() - t0) / 1000), fmt(mb(), 0), '', '']);
  let total = 0;
  let pyTotal = 0;
  if (phases.has('fit')) {
    const t = performance.now();
    let emEnd = NaN;
    let lastPhase: FitProgress['phase'] | '' = '';
    const model = await fitSustain(sim.data, thresholds, {
      ...settings,
      onProgress: (p) => {
        if (p.phase === 'mcmc' && lastPhase !== 'mcmc') emEnd = performance.now();
        lastPhase = p.phase;
      },
    });
    const wall = (performance.now() - t) / 1000;
    const em = (emEnd - t) / 1000;
    total += wall;
    pyTotal += py.emFit + py.mcmcFit;
    rows.push(['fit: EM (start points, splits)', hms(em), '', hms(py.emFit), `${fmt(py.emFit / em, 0)}x`]);
    rows.push(['fit: MCMC (all K, all chains)', hms(wall - em), '', hms(py.mcmcFit), `${fmt(py.mcmcFit / (wall - em), 0)}x`]);
    rows.push(['fit, whole', hms(wall), fmt(mb(), 0), hms(py.emFit + py.mcmcFit), `${fmt((py.emFit + py.mcmcFit) / wall, 0)}x`]);
    console.log(`log-likelihood per K: ${model.fits.map((f) => fmt(f.logLikelihood, 1)).join(', ')}`);
  }
  if (phases.has('cv')) {
    const dir = mkdtempSync(join(tmpdir(), 'ms-bench-paper-'));
    try {
      const t = performance.now();
      await runCrossValidation(sim.data, thresholds, dir, {
        folds: S.folds,
        maxSubtypes: S.maxSubtypes,
        startpoints: S.startpoints,
        mcmcIterations: S.mcmc,
        mcmcTuneIterations: TUNE.iterations,
        seed: 1,
        jobs: S.threads,
        quiet: true,
      });
      const wall = (performance.now() - t) / 1000;
      // CV = the full-data fit again + one fit per fold on (F-1)/F of the subjects
      const pyFold = pyEstimate(Math.round((S.subjects * (S.folds - 1)) / S.folds), N);
      const pyCv = py.emFit + py.mcmcFit + S.folds * (pyFold.emFit + pyFold.mcmcFit);
      total += wall;
      pyTotal += pyCv;
      rows.push([`cross-validation (${S.folds} folds + full-data part)`, hms(wall), fmt(mb(), 0), hms(pyCv), `${fmt(pyCv / wall, 0)}x`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rows.push(['whole analysis', hms(total), fmt(mb(), 0), hms(pyTotal), `${fmt(pyTotal / total, 0)}x (target: < 15 min, < 2 GB)`]);
  table(rows);
}

await main();
