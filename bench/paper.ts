/**
 * The whole published analysis (Eshaghi et al. 2021) at its size: `npm run bench:paper [-- options]`.
 *
 * Simulates 6,322 subjects x 13 biomarkers with 34 events (8 biomarkers with thresholds 1,2,3 and 5
 * with 1,2; zmax 5), fits K = 1..5 (`fit` phase: --startpoints, --mcmc x --chains, as asked), scores
 * what one cross-validation fold adds beyond its fit (held-out scoring and assigning every subject,
 * per K, with the fit's samples: `score` phase), and runs `cv` (`cv` phase: --folds, with cv's own
 * defaults unless --cv-mcmc / --cv-chains are given; the fit phase's model is passed as the full-data
 * model, so it is not fitted twice). It prints wall time, CPU time (all threads) and peak memory
 * (sampled RSS) per phase, and then what the whole analysis costs:
 *   - with the product's settings: `fit` with the settings (25 start points, 1e5 x 4 chains)
 *     then `cv` with its defaults (25 start points, 1e4 iterations x 4 chains, tuning 3 x 1,000);
 *   - with the literal settings: the same fit, then 10-fold CV with the fit's settings.
 * Each line says whether it was measured in this run or extrapolated from this run's measured
 * costs at full size: EM CPU per start point (start points, splits and mixture EMs scale with the
 * number of start points, the polish does not; with --early-stop, which stops a set of start points
 * once its best optimum repeats, this linear scaling is an upper bound), MCMC CPU per chain iteration (per K, from the fit's
 * chains), a fold = a fit on (F-1)/F of the subjects (cost linear in subjects) plus the scoring
 * phase. With --screen n (default: fit's), start points run on n subjects in any cohort of at least
 * 2n (a fold's too), so their cost is per start point and subject they run on; the refinement of each
 * set's best results on every subject scales with subjects and with min(3, start points) (an upper
 * bound: a set may have fewer distinct results), the polish with subjects. Wall time on this machine is CPU / threads when the work keeps every thread busy (the
 * chains of the largest K set the fit's MCMC wall when there are fewer tasks than threads).
 *
 * pySuStaIn's cost is estimated per likelihood evaluation, from ../shared/sustain/REFERENCE.md: its
 * MCMC on the medium cohort (1,000 x 10 x 30 events) took 35.6 / 81.8 / 111.5 s for 1e4 iterations
 * at K = 1 / 2 / 3, one dense stage-likelihood evaluation per subtype per iteration, i.e. about
 * 3.7 ms per evaluation at M x B x N = 300,000, and an evaluation costs O(M x B x N); its EM is
 * scaled from the medium EM times by the same factor and by N^2 / Z (positions tried per event per
 * sweep) and the number of start points.
 *
 * Options: --subjects M (6322) --startpoints S (25) --mcmc I (1e5) --chains C (4) --tune T (fit's default)
 * --folds F (10) --max-subtypes K (5) --cv-mcmc I (cv's default) --cv-chains C (cv's default)
 * --screen n (fit's default) --threads T --phases fit,score,cv (default fit,score) --quick (1,000 subjects, 5 start points, K 1..3,
 * 1e4 MCMC, 3 folds, all phases: a smoke run of the same code).
 * A run of minutes at full size: --startpoints 2 --mcmc 2000 --tune 1000 (then read the extrapolations).
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { benchDir } from './tmp.js';
import { PAPER_BIOMARKERS, paperCohort } from './paper-cohort.js';
import { defaultThreads } from '../src/common/pool.js';
import { Rng } from '../src/common/rng.js';
import { runCrossValidation } from '../src/cv/index.js';
import { CV_DEFAULTS } from '../src/cv/run.js';
import { subsetTable } from '../src/cv/fold.js';
import { foldIndices, makeFolds } from '../src/cv/folds.js';
import { assignSubjects, fitSustain, sampleSubjectLogLikelihoods, type FitProgress } from '../src/sustain/index.js';
import { defaultTuneIterations, MCMC_DEFAULTS } from '../src/sustain/mcmc.js';
import { FIT_DEFAULTS } from '../src/sustain/fit-options.js';
import { REFINE, screens } from '../src/sustain/screen.js';
import type { SustainModelFile } from '../src/sustain/types.js';
import type { ConvergenceJson } from '../src/sustain/chains.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const mcmc = opt('mcmc', quick ? 1e4 : FIT_DEFAULTS.mcmcIterations);
const S = {
  subjects: opt('subjects', quick ? 1000 : 6322),
  startpoints: opt('startpoints', quick ? 5 : FIT_DEFAULTS.startpoints),
  mcmc,
  tune: opt('tune', defaultTuneIterations(mcmc)),
  chains: opt('chains', FIT_DEFAULTS.chains),
  folds: opt('folds', quick ? 3 : 10),
  maxSubtypes: opt('max-subtypes', quick ? 3 : 5),
  threads: opt('threads', defaultThreads()),
  cvMcmc: opt('cv-mcmc', CV_DEFAULTS.mcmcIterations),
  cvChains: opt('cv-chains', CV_DEFAULTS.foldChains),
  screen: opt('screen', FIT_DEFAULTS.screen),
};
const phasesArg = args.indexOf('--phases');
const phases = new Set(phasesArg >= 0 ? args[phasesArg + 1]!.split(',') : quick ? ['fit', 'score', 'cv'] : ['fit', 'score']);
/** The settings (and the product's `fit` defaults). */
const PAPER = { startpoints: 25, mcmc: 1e5, tune: 1e4, chains: 4, folds: 10 };
const CV_PRODUCT = { startpoints: CV_DEFAULTS.startpoints, mcmc: CV_DEFAULTS.mcmcIterations, tune: defaultTuneIterations(CV_DEFAULTS.mcmcIterations), chains: CV_DEFAULTS.foldChains };

const B = PAPER_BIOMARKERS;

const fmt = (v: number, d = 1) => v.toFixed(d);
const hms = (s: number) => (s < 120 ? `${fmt(s)} s` : s < 7200 ? `${fmt(s / 60)} min` : s < 172800 ? `${fmt(s / 3600)} h` : `${fmt(s / 86400)} days`);
function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j] ?? '').length)));
  for (const r of rows) console.log(r.map((c, j) => String(c ?? '').padEnd(w[j]!)).join('  '));
  console.log();
}
/** CPU seconds of the whole process (every thread). */
const cpu = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};

/** Peak RSS per phase, sampled (the process' maxRSS only ever grows). */
const memory = { peak: 0 };
const sampler = setInterval(() => {
  memory.peak = Math.max(memory.peak, process.memoryUsage.rss() / 2 ** 20);
}, 100);
sampler.unref();
async function phase<T>(body: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number; peakMb: number }> {
  memory.peak = process.memoryUsage.rss() / 2 ** 20;
  const w0 = performance.now();
  const c0 = cpu();
  const value = await body();
  memory.peak = Math.max(memory.peak, process.memoryUsage.rss() / 2 ** 20);
  return { value, wall: (performance.now() - w0) / 1000, cpu: cpu() - c0, peakMb: memory.peak };
}

// ---- pySuStaIn's cost for the same work (see the header) ----
const PY_MEDIUM = { MBN: 1000 * 10 * 30, evalSeconds: (35.6 / 1e4 + 81.8 / 2e4 + 111.5 / 3e4) / 3, em: [37.9, 168.6, 628.6], N: 30, Z: 3, startpoints: 5 };
function pyEstimate(M: number, N: number, startpoints: number, iterations: number, tune: number, chains: number): number {
  // (pySuStaIn always tunes 3 x 1e4)
  const scale = (M * B * N) / PY_MEDIUM.MBN;
  let mcmcEvals = 0;
  for (let K = 1; K <= S.maxSubtypes; K++) mcmcEvals += K * (3 * tune + iterations) * chains;
  const perSp = PY_MEDIUM.em.map((t) => t / PY_MEDIUM.startpoints);
  const growth = perSp[2]! / perSp[1]!;
  while (perSp.length < S.maxSubtypes) perSp.push(perSp[perSp.length - 1]! * growth);
  const sweepScale = (N * N) / (34 / B) / ((PY_MEDIUM.N * PY_MEDIUM.N) / PY_MEDIUM.Z);
  return perSp.slice(0, S.maxSubtypes).reduce((a, b) => a + b, 0) * startpoints * scale * sweepScale + mcmcEvals * PY_MEDIUM.evalSeconds * scale;
}

interface Costs {
  /** EM CPU s that scales with start points (start points, splits, mixture EMs), per start point and subject they ran on */
  emPerStartpointSubject: number;
  /** CPU s of refining the screened sets' best results on every subject (0 unscreened), per refined result per set (min(REFINE, start points)) */
  emRefine: number;
  /** EM CPU s that does not scale with start points (the polish) */
  emFixed: number;
  /** MCMC CPU s per chain iteration summed over K = 1..Kmax */
  mcmcPerIteration: number;
  /** per fold: held-out scoring and assigning every subject, all K, CPU s */
  scorePerFold: number;
}

/** Subjects the start points of a fit of m subjects run on. */
const startpointSubjects = (m: number) => (screens(m, S.screen) ? S.screen : m);

/** CPU seconds of a fit with these settings on `share` of the measured subjects (cost linear in subjects; screened start points: in the subsample). */
function fitCpu(c: Costs, s: { startpoints: number; mcmc: number; tune: number; chains: number }, share: number): { em: number; mcmc: number } {
  const m = Math.round(share * S.subjects);
  const refine = screens(m, S.screen) ? c.emRefine * Math.min(REFINE, s.startpoints) : 0;
  return {
    em: c.emPerStartpointSubject * startpointSubjects(m) * s.startpoints + share * (refine + c.emFixed),
    mcmc: share * c.mcmcPerIteration * (3 * s.tune + s.mcmc) * s.chains,
  };
}

/** What the fit's chains say at this run's length (diagnostics.convergence per K): converged or not. */
function convergenceTable(m: SustainModelFile): void {
  const f3 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : fmt(v, 3));
  const f0 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : fmt(v, 0));
  const rows: (string | number)[][] = [['K', 'iterations', 'R-hat LL', 'bulk / tail ESS LL', 'fractions: max R-hat', 'min bulk / tail ESS', 'max PV diff', 'ML agree', 'warnings']];
  for (const f of m.fits) {
    const c = f.diagnostics?.['convergence'] as ConvergenceJson | undefined;
    if (c === undefined) continue;
    const fr = c.fractions.filter((s) => s.rhat !== null);
    const min = (v: (number | null)[]) => (v.length === 0 ? null : Math.min(...v.map((x) => x ?? -Infinity)));
    rows.push([
      f.subtypes,
      String(f.diagnostics?.['mcmcIterations']),
      f3(c.logLikelihood.rhat),
      `${f0(c.logLikelihood.essBulk)} / ${f0(c.logLikelihood.essTail)}`,
      f3(fr.length === 0 ? null : Math.max(...fr.map((s) => s.rhat!))),
      `${f0(min(fr.map((s) => s.essBulk)))} / ${f0(min(fr.map((s) => s.essTail)))}`,
      fmt(c.positionalVarianceMaxDifference, 3),
      c.mlSequencesAgree ? 'yes' : 'no',
      c.warnings.length,
    ]);
  }
  console.log(`the chains at this run's length (diagnostics.convergence; bench:mcmc-length for several lengths):`);
  table(rows);
}

async function main(): Promise<void> {
  const { data, thresholds } = paperCohort(S.subjects);
  const sim = { data };
  const N = thresholds.zvals.reduce((a, z) => a + z.length, 0);
  console.log(
    `== paper-scale analysis: ${S.subjects} subjects x ${B} biomarkers, ${N} events, K = 1..${S.maxSubtypes}; this run: fit with ${S.startpoints} start points, ` +
      `${S.mcmc} MCMC x ${S.chains} chains (+3 x ${S.tune} tuning), --screen ${S.screen}; cv: ${S.folds} folds, ${S.cvMcmc} x ${S.cvChains} chains; ${S.threads} thread(s); phases ${[...phases].join(', ')}`,
  );
  const rows: (string | number)[][] = [['phase (measured in this run)', 'wall', 'CPU (all threads)', 'peak RSS, MB']];
  let model: SustainModelFile | undefined;
  let costs: Costs | undefined;
  if (phases.has('fit')) {
    // CPU per fit phase, from the progress callbacks (phases follow each other in the main thread's view)
    const byPhase = new Map<string, number>();
    let last = '';
    let mark = 0;
    const r = await phase(async () => {
      mark = cpu();
      return fitSustain(sim.data, thresholds, {
        seed: 1,
        maxSubtypes: S.maxSubtypes,
        startpoints: S.startpoints,
        mcmcIterations: S.mcmc,
        mcmcTuneIterations: S.tune,
        chains: S.chains,
        screen: S.screen,
        threads: S.threads,
        onProgress: (p: FitProgress) => {
          if (p.phase === last) return;
          const now = cpu();
          if (last !== '') byPhase.set(last, (byPhase.get(last) ?? 0) + now - mark);
          mark = now;
          last = p.phase;
        },
      });
    });
    model = r.value;
    const emScaled = (byPhase.get('start points') ?? 0) + (byPhase.get('split') ?? 0) + (byPhase.get('mixture') ?? 0);
    const polish = byPhase.get('polish') ?? 0;
    const refine = byPhase.get('refine') ?? 0;
    const mcmcCpu = byPhase.get('mcmc') ?? 0;
    const on = startpointSubjects(S.subjects);
    costs = {
      emPerStartpointSubject: emScaled / S.startpoints / on,
      emRefine: refine / Math.min(REFINE, S.startpoints),
      emFixed: polish,
      mcmcPerIteration: mcmcCpu / ((3 * S.tune + S.mcmc) * S.chains),
      scorePerFold: NaN,
    };
    rows.push([`fit (${S.startpoints} start points, ${S.mcmc} x ${S.chains} chains)`, hms(r.wall), hms(r.cpu), fmt(r.peakMb, 0)]);
    rows.push([`  EM: start points, splits, mixture EMs (on ${on} subjects)`, '', hms(emScaled), '']);
    if (on < S.subjects) rows.push(["  EM: refining each set's best results on every subject", '', hms(refine), '']);
    rows.push(['  EM: polish', '', hms(polish), '']);
    rows.push([`  MCMC (${(3 * S.tune + S.mcmc) * S.chains} chain iterations per K)`, '', hms(mcmcCpu), '']);
    console.log(`log-likelihood per K: ${model.fits.map((f) => fmt(f.logLikelihood, 1)).join(', ')}`);
    console.log(`MCMC CPU per chain iteration, K = 1..${S.maxSubtypes} together: ${fmt(costs.mcmcPerIteration * 1000, 2)} ms`);
    if (S.mcmc > 0) convergenceTable(model);
  }
  if (phases.has('score') && model !== undefined && costs !== undefined) {
    // what a fold does besides fitting: score its held-out subjects and assign every subject, per K
    const foldOf = makeFolds(S.subjects, S.folds, Rng.fromSeed(1).stream(0));
    const test = subsetTable(sim.data, foldIndices(foldOf, 0).test);
    const m = model;
    const r = await phase(async () => {
      for (let K = 1; K <= S.maxSubtypes; K++) {
        sampleSubjectLogLikelihoods(m, K, test);
        assignSubjects(m, sim.data, K);
      }
    });
    costs.scorePerFold = r.cpu;
    rows.push([`score one fold (held-out scoring + assigning all ${S.subjects} subjects, K = 1..${S.maxSubtypes}, one thread)`, hms(r.wall), hms(r.cpu), fmt(r.peakMb, 0)]);
  }
  if (phases.has('cv')) {
    const dir = benchDir('ms-bench-paper-');
    try {
      const given = model === undefined ? {} : { model: { model, sha256: createHash('sha256').update(JSON.stringify(model)).digest('hex'), file: 'fit phase' } };
      const r = await phase(() =>
        runCrossValidation(sim.data, thresholds, dir, {
          folds: S.folds,
          maxSubtypes: S.maxSubtypes,
          startpoints: S.startpoints,
          mcmcIterations: S.cvMcmc,
          chains: S.cvChains,
          screen: S.screen,
          seed: 1,
          jobs: S.threads,
          quiet: true,
          ...given,
        }),
      );
      rows.push([
        `cv (${S.folds} folds, ${S.cvMcmc} x ${S.cvChains} chains${model === undefined ? ', full-data model fitted again' : ', the fit as full-data model'})`,
        hms(r.wall),
        hms(r.cpu),
        fmt(r.peakMb, 0),
      ]);
      console.log(`cv recommends ${r.value.result?.recommendedSubtypes} subtypes (CVIC: ${r.value.result?.cvicChoice})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  table(rows);
  if (costs === undefined) return;

  // ---- the whole analysis, extrapolated from this run's costs (see the header) ----
  const sc = Number.isNaN(costs.scorePerFold) ? 0 : costs.scorePerFold;
  const share = (S.folds - 1) / S.folds;
  const fit = fitCpu(costs, PAPER, 1);
  const scenarios = [
    { name: "product's settings (fit as asked, cv's defaults)", cv: CV_PRODUCT },
    { name: "issue's literal settings (cv with the fit's settings)", cv: PAPER },
  ];
  const out: (string | number)[][] = [
    ['whole analysis, extrapolated from this run', 'fit: EM', 'fit: MCMC', `cv: ${S.folds} folds`, 'CPU in all', `wall on ${S.threads} threads`, 'largest part', 'pySuStaIn (estimate)'],
  ];
  for (const sn of scenarios) {
    const fold = fitCpu(costs, sn.cv, share);
    const cvCpu = S.folds * (fold.em + fold.mcmc + sc);
    const total = fit.em + fit.mcmc + cvCpu;
    const parts: [string, number][] = [
      ['fit EM', fit.em],
      ['fit MCMC', fit.mcmc],
      ['cv EM', S.folds * fold.em],
      ['cv MCMC', S.folds * fold.mcmc],
      ['cv scoring', S.folds * sc],
    ];
    parts.sort((a, b) => b[1] - a[1]);
    const M = S.subjects;
    const py = pyEstimate(M, N, PAPER.startpoints, PAPER.mcmc, PAPER.tune, PAPER.chains) + S.folds * pyEstimate(Math.round(M * share), N, sn.cv.startpoints, sn.cv.mcmc, 1e4, sn.cv.chains);
    out.push([sn.name, hms(fit.em), hms(fit.mcmc), hms(cvCpu), hms(total), hms(total / S.threads), `${parts[0]![0]} ${fmt((100 * parts[0]![1]) / total, 0)} %`, hms(py)]);
  }
  table(out);
  console.log(
    `(CPU per start point ${fmt(costs.emPerStartpointSubject * startpointSubjects(S.subjects), 1)} s on ${startpointSubjects(S.subjects)} subjects + refinement ${fmt(costs.emRefine * Math.min(REFINE, PAPER.startpoints), 1)} s + polish ${fmt(costs.emFixed, 1)} s, MCMC ${fmt(costs.mcmcPerIteration * 1000, 2)} ms per chain iteration for K = 1..${S.maxSubtypes}, ` +
      `scoring ${fmt(sc, 1)} s per fold, all measured above at ${S.subjects} subjects; a fold fits ${fmt(100 * share, 0)} % of them; the full-data model is the fit's (not refitted).` +
      ` EM is scaled linearly in start points: an upper bound when sets of start points stop early (fit --early-stop).` +
      ` Target: < 15 min, < 2 GB. MCMC tuning default ${MCMC_DEFAULTS.tunePasses} passes.)`,
  );
}

await main();
