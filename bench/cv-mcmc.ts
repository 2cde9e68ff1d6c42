/**
 * How much MCMC a cross-validation fold needs: `npm run bench:cv-mcmc [-- options]`.
 *
 * A fold's score (src/cv/cvic.ts) is the held-out log-likelihood averaged over the fold model's kept
 * posterior samples; with hundreds or thousands of subjects the posterior is tight, so the samples
 * barely move the score. This measures it: on a simulated cohort with the published analysis' event
 * structure (13 biomarkers, 34 events, 3 subtypes), for each fold, one EM fit per K (as `cv` fits it,
 * the fold's own seed) and then, from that EM optimum, MCMC with each setting (iterations x chains;
 * tuning as `cv` tunes it: 3 passes of iterations / 10, at least 1,000; chain 1 from the optimum, the
 * others from it after N/4 random moves per subtype, as `fit` does when there are no other distinct
 * optima), 1,000 samples kept in all. Each setting's samples give the fold scores (and "ML only": the
 * EM optimum as the only sample). Prints, per setting: the MCMC CPU time, the per-fold held-out
 * log-likelihood's largest difference from the longest setting, the mean held-out log-likelihood and
 * CVIC per K, and the K that cv's rule (src/cv/recommend.ts) and CVIC choose.
 *
 * Options: --subjects M (1000) --folds F (5) --max-subtypes K (4) --startpoints S (3) --seed S (1)
 *   --settings 0,1000x1,1000x4,10000x1,10000x4,100000x1 (iterations x chains; 0 = ML only; the last is the reference)
 *   --threads T (2)
 */
import { Rng } from '../src/common/rng.js';
import { TaskPool } from '../src/common/pool.js';
import { cvicFromFolds, foldScore } from '../src/cv/cvic.js';
import { complement, subsetTable } from '../src/cv/fold.js';
import { foldIndices, makeFolds } from '../src/cv/folds.js';
import { recommend } from '../src/cv/recommend.js';
import { foldSeed } from '../src/cv/run.js';
import { fitFor, fitSustain, mlSequenceIndices, sampleSubjectLogLikelihoods, simulateCohort } from '../src/sustain/index.js';
import { defaultTuneIterations } from '../src/sustain/mcmc.js';
import type { McmcTask, McmcTaskResult } from '../src/sustain/tasks.js';
import type { SustainModelFile, Thresholds } from '../src/sustain/types.js';
import { toSpec } from '../src/sustain/kinds.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const M = Number(opt('subjects', '1000'));
const F = Number(opt('folds', '5'));
const Kmax = Number(opt('max-subtypes', '4'));
const startpoints = Number(opt('startpoints', '3'));
const seed = Number(opt('seed', '1'));
const threads = Number(opt('threads', '2'));
const settings = opt('settings', '0,1000x1,1000x4,10000x1,10000x4,100000x1')
  .split(',')
  .map((s) => {
    const [it, ch] = s.split('x').map(Number);
    return { iterations: it!, chains: it === 0 ? 1 : (ch ?? 1), name: it === 0 ? 'ML only' : `${it} x ${ch ?? 1}` };
  });
const KEPT = 1000;

const B = 13;
const THREE = 8;
const sim = simulateCohort({ subjects: M, biomarkers: B, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 2021 });
const thresholds: Thresholds = { zvals: sim.data.biomarkers.map((_, b) => (b < THREE ? [1, 2, 3] : [1, 2])), zmax: sim.data.biomarkers.map(() => 5) };
const spec = toSpec(thresholds);
const pool = new TaskPool<McmcTask, McmcTaskResult>(new URL('../src/sustain/worker.ts', import.meta.url), threads, 0);
const cpu = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};

console.log(
  `== fold scores against MCMC length and chains: ${M} subjects x ${B} biomarkers, 34 events, 3 true subtypes, ${F} folds, K = 1..${Kmax}, ${startpoints} start points, ${threads} threads`,
);
const foldOf = makeFolds(M, F, Rng.fromSeed(seed).stream(0));
// score[setting][K-1][fold], logMean likewise
const score = settings.map(() => Array.from({ length: Kmax }, () => new Array<number>(F).fill(NaN)));
const logMean = settings.map(() => Array.from({ length: Kmax }, () => new Array<number>(F).fill(NaN)));
const mcmcCpu = settings.map(() => 0);
let emCpu = 0;
for (let f = 0; f < F; f++) {
  const { test } = foldIndices(foldOf, f);
  const train = subsetTable(sim.data, complement(M, test));
  const held = subsetTable(sim.data, test);
  const fseed = foldSeed(seed, f + 1);
  let c0 = cpu();
  const em = await fitSustain(train, thresholds, { seed: fseed, maxSubtypes: Kmax, startpoints, mcmcIterations: 0, threads });
  emCpu += cpu() - c0;
  const N = 34;
  for (let si = 0; si < settings.length; si++) {
    const s = settings[si]!;
    // every K's chains in one batch (process CPU counts the workers' too)
    const tasks: McmcTask[] = [];
    for (let K = 1; K <= Kmax && s.iterations > 0; K++) {
      const fit = fitFor(em, K);
      Rng.fromSeed(fseed + 1000 * K + si)
        .streams(s.chains)
        .forEach((r, c) =>
          tasks.push({
            kind: 'mcmc',
            spec,
            em: { maxIterations: 100, tolerance: 1e-6 },
            values: train.values,
            M: train.subjects.length,
            rng: r.state(),
            sequences: mlSequenceIndices(em, fit),
            fractions: fit.fractions,
            ...(c > 0 ? { perturbStart: Math.ceil(N / 4) } : {}),
            mcmc: { iterations: s.iterations, tunePasses: 3, tuneIterations: defaultTuneIterations(s.iterations), samplesKept: Math.ceil(KEPT / s.chains), refreshEvery: 2000 },
          }),
        );
    }
    c0 = cpu();
    const chains = [...(await pool.run([...tasks].reverse()))].reverse();
    mcmcCpu[si]! += cpu() - c0;
    for (let K = 1; K <= Kmax; K++) {
      const fit = fitFor(em, K);
      const mine = chains.slice((K - 1) * s.chains, K * s.chains);
      const samples =
        s.iterations === 0
          ? { sequences: [mlSequenceIndices(em, fit)], fractions: [fit.fractions], logLikelihood: [fit.logLikelihood] }
          : { sequences: mine.flatMap((r) => r.sequences), fractions: mine.flatMap((r) => r.fractions), logLikelihood: mine.flatMap((r) => r.logLik) };
      const model = structuredClone(em) as SustainModelFile;
      model.fits[K - 1]!.samples = samples;
      const ll = sampleSubjectLogLikelihoods(model, K, held);
      const sc = foldScore(ll, ll.length / held.subjects.length, held.subjects.length);
      score[si]![K - 1]![f] = sc.testLogLikelihood;
      logMean[si]![K - 1]![f] = sc.logMeanLikelihood;
    }
  }
  console.log(`fold ${f + 1}/${F} done (EM CPU so far ${emCpu.toFixed(0)} s)`);
}

const fmt = (v: number, d = 1) => v.toFixed(d);
const ref = settings.length - 1;
const rows: string[][] = [
  [
    'setting',
    'MCMC CPU s (all folds, K)',
    'max |fold score - ref|',
    ...Array.from({ length: Kmax }, (_, k) => `K=${k + 1} mean held-out LL`),
    ...Array.from({ length: Kmax }, (_, k) => `CVIC K=${k + 1}`),
    'rule picks',
    'CVIC picks',
  ],
];
for (let si = 0; si < settings.length; si++) {
  let dev = 0;
  for (let k = 0; k < Kmax; k++) for (let f = 0; f < F; f++) dev = Math.max(dev, Math.abs(score[si]![k]![f]! - score[ref]![k]![f]!));
  const cvic = logMean[si]!.map((lm) => cvicFromFolds(lm));
  const rec = recommend(score[si]!, cvic, { minGainPerSubject: 0.01, testSubjectsPerFold: M / F });
  let cvicPick = 0;
  for (let k = 1; k < Kmax; k++) if (cvic[k]! < cvic[cvicPick]!) cvicPick = k;
  rows.push([
    settings[si]!.name,
    fmt(mcmcCpu[si]!),
    fmt(dev, 2),
    ...score[si]!.map((x) => fmt(x.reduce((a, b) => a + b, 0) / F, 2)),
    ...cvic.map((x) => fmt(x, 1)),
    String(rec.recommendedSubtypes),
    String(cvicPick + 1),
  ]);
}
const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
for (const r of rows) console.log(r.map((c, j) => c.padEnd(w[j]!)).join('  '));
console.log(`\nEM CPU (all folds): ${fmt(emCpu)} s. Per-fold differences between K (the rule's comparisons), reference setting:`);
const recRef = recommend(
  score[ref]!,
  logMean[ref]!.map((lm) => cvicFromFolds(lm)),
  { minGainPerSubject: 0.01, testSubjectsPerFold: M / F },
);
for (const c of recRef.comparisons) console.log(`  K=${c.subtypes}: ${fmt(c.meanDifference, 2)} ± ${fmt(c.seDifference, 2)} (margin ${fmt(c.margin, 2)})`);
await pool.close();
