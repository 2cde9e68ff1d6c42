/**
 * Longitudinal SuStaIn benchmark: `npm run bench:longitudinal [-- recovery|speed|all] [--threads N]`.
 *
 *  recovery  simulated cohorts (400 patients, 2-4 visits a year apart, 3 subtypes, 6 biomarkers,
 *            z 1,2,3, today's N(0, 1) noise), seeds 1-5, each fitted as visits (cross-sectional) and
 *            as subjects with visits: ARI over visits (cross-sectional, majority vote of a subject's
 *            cross-sectional subtypes, longitudinal; over all visits and over patients' visits, as
 *            the simulated controls' subtype does not affect their data), stage accuracy, subjects
 *            switched / backwards;
 *  mixture   the event-based (mixture) kind: simulated event-based cohorts (300 subjects, 25 %
 *            controls, 2-4 visits, 3 subtypes, 8 biomarkers, normal N(0, 0.4), abnormal N(1.5, 0.4-0.6)),
 *            seeds 1-3, fitted from raw values (Gaussian mixtures on every visit, as `fit --kind mixture
 *            --data`) and from the true L_yes / L_no, as visits and with visits: the same columns;
 *  speed     2,000 subjects x 3 visits: the longitudinal fit's wall time over the cross-sectional fit
 *            of the same rows, both in this run (the shared machine's speed drifts between runs).
 * Default: all (recovery and speed; mixture only when named).
 */
import { defaultThreads } from '../src/common/pool.js';
import { compareMixtureOnSimulation, compareOnSimulation, type Comparison } from '../src/sustain/longitudinal/evaluate.js';

const args = process.argv.slice(2);
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : defaultThreads();
const modes = args.filter((a, i) => !a.startsWith('--') && (threadsArg < 0 || i !== threadsArg + 1));
const run = new Set(modes.length === 0 || modes.includes('all') ? ['recovery', 'speed'] : modes);

function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j]).length)));
  for (const r of rows) console.log(r.map((c, j) => String(c).padEnd(w[j]!)).join('  '));
  console.log();
}
const f3 = (v: number) => v.toFixed(3);
const sim = { biomarkers: 6, subtypes: 3, zvals: [1, 2, 3], zmax: 5, interval: 1, rate: 1 };

if (run.has('recovery')) {
  const fit = { seed: 1, threads, startpoints: 5, mcmcIterations: 5000, mcmcTuneIterations: 1000, samplesKept: 200 };
  console.log(`recovery: 400 patients x 2-4 visits, K = 3, 6 biomarkers, z 1,2,3; fit: 5 start points, 3 x 1000 tuning + 5000 MCMC, ${threads} threads\n`);
  const rows: (string | number)[][] = [
    [
      'seed',
      'visits',
      'ARI cross',
      'ARI majority',
      'ARI longit.',
      'gain',
      'patients: cross',
      'majority',
      'longit.',
      'stage exact cross',
      'longit.',
      'stage MAE cross',
      'longit.',
      'switched cross',
      'backwards cross',
      'longit. sw/back',
    ],
  ];
  const all: Comparison[] = [];
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = await compareOnSimulation({ ...sim, subjects: 400, seed, visits: [2, 4] }, fit);
    all.push(r);
    rows.push([
      seed,
      r.visits,
      f3(r.ari.cross),
      f3(r.ari.majority),
      f3(r.ari.longitudinal),
      `+${f3(r.ari.longitudinal - r.ari.cross)}`,
      f3(r.ariPatients.cross),
      f3(r.ariPatients.majority),
      f3(r.ariPatients.longitudinal),
      f3(r.stage.cross.exact),
      f3(r.stage.longitudinal.exact),
      f3(r.stage.cross.mae),
      f3(r.stage.longitudinal.mae),
      `${r.cross.switched}/${r.cross.subjects}`,
      `${r.cross.backwards}/${r.cross.subjects}`,
      `${r.longitudinal.switched}/${r.longitudinal.backwards}`,
    ]);
  }
  const mean = (g: (c: Comparison) => number) => f3(all.reduce((a, c) => a + g(c), 0) / all.length);
  rows.push([
    'mean',
    '',
    mean((c) => c.ari.cross),
    mean((c) => c.ari.majority),
    mean((c) => c.ari.longitudinal),
    `+${mean((c) => c.ari.longitudinal - c.ari.cross)}`,
    mean((c) => c.ariPatients.cross),
    mean((c) => c.ariPatients.majority),
    mean((c) => c.ariPatients.longitudinal),
    mean((c) => c.stage.cross.exact),
    mean((c) => c.stage.longitudinal.exact),
    mean((c) => c.stage.cross.mae),
    mean((c) => c.stage.longitudinal.mae),
    '',
    '',
    '',
  ]);
  table(rows);
}

if (run.has('mixture')) {
  const fit = { seed: 1, threads, startpoints: 5, mcmcIterations: 2000, mcmcTuneIterations: 500, samplesKept: 100 };
  console.log(
    `mixture: 300 subjects (225 patients) x 2-4 visits, K = 3, 8 biomarkers, normal N(0, 0.4), abnormal N(1.5, 0.4-0.6); fit: 5 start points, 3 x 500 tuning + 2000 MCMC, ${threads} threads\n`,
  );
  const rows: (string | number)[][] = [
    [
      'input',
      'seed',
      'visits',
      'ARI cross',
      'ARI majority',
      'ARI longit.',
      'gain',
      'stage exact cross',
      'longit.',
      'stage MAE cross',
      'longit.',
      'switched cross',
      'backwards cross',
      'longit. sw/back',
    ],
  ];
  for (const input of ['raw', 'likelihoods'] as const) {
    for (const seed of [1, 2, 3]) {
      const r = await compareMixtureOnSimulation(
        { subjects: 300, biomarkers: 8, subtypes: 3, seed, visits: [2, 4], interval: 1, rate: 1, normalSd: 0.4, abnormalMean: 1.5, abnormalSd: [0.4, 0.6] },
        input,
        fit,
      );
      rows.push([
        input,
        seed,
        r.visits,
        f3(r.ari.cross),
        f3(r.ari.majority),
        f3(r.ari.longitudinal),
        `+${f3(r.ari.longitudinal - r.ari.cross)}`,
        f3(r.stage.cross.exact),
        f3(r.stage.longitudinal.exact),
        f3(r.stage.cross.mae),
        f3(r.stage.longitudinal.mae),
        `${r.cross.switched}/${r.cross.subjects}`,
        `${r.cross.backwards}/${r.cross.subjects}`,
        `${r.longitudinal.switched}/${r.longitudinal.backwards}`,
      ]);
    }
  }
  table(rows);
}

if (run.has('speed')) {
  const fit = { seed: 1, threads, startpoints: 5, mcmcIterations: 10_000, mcmcTuneIterations: 2000, samplesKept: 200 };
  console.log(`speed: 2,000 subjects x 3 visits (6,000 rows), K = 1..3, 6 biomarkers x 3 thresholds; fit: 5 start points, 3 x 2000 tuning + 1e4 MCMC, ${threads} threads\n`);
  const r = await compareOnSimulation({ ...sim, subjects: 2000, seed: 7, visits: [3, 3] }, fit);
  table([
    ['fit of the same 6,000 rows', 'wall s', 'ratio'],
    ['cross-sectional (visits as subjects)', r.seconds.cross.toFixed(1), '1.00'],
    ['longitudinal (--time)', r.seconds.longitudinal.toFixed(1), (r.seconds.longitudinal / r.seconds.cross).toFixed(2)],
  ]);
  console.log(`(ARI cross ${f3(r.ari.cross)}, longitudinal ${f3(r.ari.longitudinal)}; the ratio includes each fit's own EM path, which differs between the two models)`);
}
