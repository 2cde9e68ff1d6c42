/**
 * SuStaIn engine benchmark: `npm run bench:sustain [-- medium|assign|large|robust|small|all] [--threads N] [--repeat N] [--seeds N]`.
 *
 *  medium  fits the shared medium cohort (1000 x 10, Z 1,2,3) with REFERENCE.md's settings
 *          (5 start points, K = 1..3, 1e4 MCMC after 3 x 1e4 tuning, one chain per K as pySuStaIn) and compares wall time, MCMC
 *          iterations/s and EM log-likelihoods with pySuStaIn's recorded figures (`--repeat N`: N fits,
 *          median and range, as the shared machine's speed drifts);
 *  assign  assigns 50,000 simulated subjects to a 3-subtype model with 1,000 posterior samples;
 *  large   a 10,000-subject, 13-biomarker, 3-threshold, 5-subtype fit (fewer start points and MCMC
 *          iterations), reporting its peak memory.
 *  small   the fixed cost of a fit: `ms-subtype fit` as a user runs it (a new process, built dist/)
 *          on the shared small cohort (250 x 6) with 5 start points, K = 1..2, 1e4 MCMC, beside
 *          pySuStaIn's 98-115 s for the same run (issue 15; 159 s under cProfile in REFERENCE.md):
 *          one chain with the default tuning, the same on one thread, one chain with pySuStaIn's
 *          tuning (the same MCMC iterations), 4 chains sharing pySuStaIn's 1e4 sampled iterations,
 *          and the default 4 chains of 1e4; wall and CPU time (`--repeat N`, runs interleaved);
 *  robust  EM robustness over seeds: the shared medium cohort (`--cohort sim3000`: a simulated 3,000 x 12
 *          one), EM only (no MCMC), K = 1..3 with 3, 5, 10 and 25 start points (`--startpoints a,b,..`;
 *          "25+4" = 25 start points and the polish with 4 runs per round, "25+4:2" the same with
 *          --early-stop 2; without ":" every start point runs, as before the early stop existed),
 *          `--seeds N` seeds each (default 3): how often each setting reaches the best known optimum per K
 *          (the best any run found, or pySuStaIn's), the worst shortfall, and the time.
 * Default: medium and assign. `large` caps EM at 3 sweeps (--full-em: uncapped). Peak memory = the process's max RSS (worker threads included).
 */
import { join } from 'node:path';
import { benchDir } from './tmp.js';
import { fileURLToPath } from 'node:url';
import { readZTable } from '../src/io/ztable.js';
import { readTable } from '../src/io/csv.js';
import { assignSubjects, assignSubjectsParallel, fitSustain, simulateCohort, type FitProgress } from '../src/sustain/index.js';
import type { SustainModelFile, Thresholds, ZTable } from '../src/sustain/types.js';
import { defaultThreads } from '../src/common/pool.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const shared = join(root, '..', 'shared', 'sustain');
const args = process.argv.slice(2);
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : defaultThreads();
const repeatArg = args.indexOf('--repeat');
const repeat = repeatArg >= 0 ? Math.max(1, Number(args[repeatArg + 1])) : 1;
const seedsArg = args.indexOf('--seeds');
const nSeeds = seedsArg >= 0 ? Math.max(1, Number(args[seedsArg + 1])) : 3;
// robust: seeds firstSeed .. firstSeed + nSeeds - 1 (to add seeds to an earlier run)
const firstSeedArg = args.indexOf('--first-seed');
const firstSeed = firstSeedArg >= 0 ? Number(args[firstSeedArg + 1]) : 1;
const valueFlags = ['--threads', '--repeat', '--seeds', '--first-seed', '--cohort', '--startpoints'].map((f) => args.indexOf(f));
const modes = args.filter((a, i) => !a.startsWith('--') && !valueFlags.some((j) => j >= 0 && i === j + 1));
const run = new Set(modes.length === 0 ? ['medium', 'assign'] : modes.includes('all') ? ['medium', 'assign', 'large'] : modes);

// pySuStaIn on this kind of machine (REFERENCE.md sections 3-4), medium cohort, 5 start points, 1e4 MCMC
const PY = {
  total: 1763,
  em: [37.9, 168.6, 628.6],
  mcmc: [100.9 + 35.6, 235.4 + 81.8, 337.6 + 111.5],
  mcmcIterations: 3e4 + 1e4,
  emLogLik: [-17371.0177, -16874.5559, -16594.0079],
};

const mb = () => process.resourceUsage().maxRSS / 1024;
const fmt = (v: number, d = 1) => v.toFixed(d);
function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j]).length)));
  for (const r of rows) console.log(r.map((c, j) => String(c).padEnd(w[j]!)).join('  '));
  console.log();
}

const uniform = (t: ZTable): Thresholds => ({ zvals: t.biomarkers.map(() => [1, 2, 3]), zmax: t.biomarkers.map(() => 5) });

interface Timed {
  model: SustainModelFile;
  wall: number;
  emEnd: number[];
  mcmcStart: number;
  cpu: number;
}

async function timedFit(data: ZTable, th: Thresholds, opts: Parameters<typeof fitSustain>[2]): Promise<Timed> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const emEnd: number[] = [];
  let mcmcStart = NaN;
  let last = t0;
  let lastPhase: FitProgress['phase'] | '' = '';
  const model = await fitSustain(data, th, {
    ...opts,
    onProgress: (p) => {
      const now = performance.now();
      if (p.phase === 'mcmc' && lastPhase !== 'mcmc') mcmcStart = last;
      if (p.phase !== 'mcmc' && p.phase !== 'done') emEnd[p.subtypes - 1] = now;
      lastPhase = p.phase;
      last = now;
    },
  });
  const c = process.cpuUsage(c0);
  return { model, wall: (performance.now() - t0) / 1000, emEnd: emEnd.map((t) => (t - t0) / 1000), mcmcStart: (mcmcStart - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

async function medium(): Promise<SustainModelFile> {
  const data = readZTable(join(shared, 'medium', 'data.csv')).table;
  console.log(`== medium cohort: ${data.subjects.length} subjects x ${data.biomarkers.length} biomarkers, 5 start points, K = 1..3, 1e4 MCMC (+3 x 1e4 tuning), ${threads} thread(s)`);
  // The machine's speed drifts (shared host): `--repeat N` fits N times and shows the median and range.
  const runs: Timed[] = [];
  for (let q = 0; q < repeat; q++)
    runs.push(await timedFit(data, uniform(data), { seed: 1, maxSubtypes: 3, startpoints: 5, mcmcIterations: 1e4, mcmcTuneIterations: 1e4, samplesKept: 1000, chains: 1, threads }));
  const r = runs[0]!;
  const pyEm = PY.em.reduce((a, b) => a + b, 0);
  const pyMcmc = PY.mcmc.reduce((a, b) => a + b, 0);
  const iters = 3 * PY.mcmcIterations;
  // median (min-max) over the runs
  const spread = (f: (t: Timed) => number, d = 1): string => {
    const v = runs.map(f).sort((a, b) => a - b);
    const med = v[(v.length - 1) >> 1]!;
    return v.length === 1 ? fmt(med, d) : `${fmt(med, d)} (${fmt(v[0]!, d)}-${fmt(v[v.length - 1]!, d)})`;
  };
  const em = (t: Timed) => t.mcmcStart;
  const mc = (t: Timed) => t.wall - t.mcmcStart;
  const rows: (string | number)[][] = [['', runs.length > 1 ? `ms-subtype, median (range) of ${runs.length}` : 'ms-subtype', 'pySuStaIn', 'ratio (speed-up)']];
  rows.push(['whole fit, wall s', spread((t) => t.wall), PY.total, `${spread((t) => PY.total / t.wall)}x (target >= 50x)`]);
  rows.push(['  (process CPU s)', spread((t) => t.cpu), '', '']);
  rows.push(['EM (start points + splits), wall s', spread(em), fmt(pyEm), `${spread((t) => pyEm / em(t))}x`]);
  rows.push(['MCMC incl. tuning, wall s', spread(mc), fmt(pyMcmc), `${spread((t) => pyMcmc / mc(t))}x`]);
  rows.push(['MCMC iterations/s (K=1..3 together)', spread((t) => iters / mc(t), 0), fmt(iters / pyMcmc, 0), `${spread((t) => pyMcmc / mc(t))}x (target >= 100x)`]);
  rows.push(['peak memory, MB', fmt(mb(), 0), '', '']);
  table(rows);
  const lrows: (string | number)[][] = [['K', 'EM max log-lik', 'pySuStaIn EM', 'difference', 'ML log-lik', 'MCMC acceptance']];
  r.model.fits.forEach((f, q) => {
    const em = f.diagnostics!['emLogLikelihood'] as number;
    lrows.push([f.subtypes, fmt(em, 4), fmt(PY.emLogLik[q]!, 4), fmt(em - PY.emLogLik[q]!, 4), fmt(f.logLikelihood, 4), fmt(f.diagnostics!['mcmcAcceptance'] as number, 2)]);
  });
  table(lrows);
  // recovery at the true K
  const truth = readTable(join(shared, 'medium', 'truth.csv'));
  const a = assignSubjects(r.model, data, 3);
  const { adjustedRand, spearman } = await import('../test/sustain/stats.js');
  const ts = truth.rows.map((x) => Number(x[2]));
  const tt = truth.rows.map((x) => Number(x[1]));
  const late = ts.map((s, i) => (s > 0 ? i : -1)).filter((i) => i >= 0);
  table([
    ['K=3 recovery', 'ms-subtype', 'pySuStaIn'],
    [
      'ARI (true stage > 0)',
      fmt(
        adjustedRand(
          late.map((i) => a.mlSubtype[i]!),
          late.map((i) => tt[i]!),
        ),
        3,
      ),
      0.558,
    ],
    ['Spearman rho of stages', fmt(spearman(Array.from(a.mlStage), ts), 3), 0.974],
  ]);
  return r.model;
}

async function assign(model?: SustainModelFile): Promise<void> {
  let m = model;
  if (m === undefined || m.fits[2]?.samples.sequences.length !== 1000) {
    // no medium run in this invocation: a quick 3-subtype model of the medium cohort with 1,000 samples
    const data = readZTable(join(shared, 'medium', 'data.csv')).table;
    m = await fitSustain(data, uniform(data), { seed: 1, maxSubtypes: 3, startpoints: 1, mcmcIterations: 1e4, mcmcTuneIterations: 2000, samplesKept: 1000, chains: 1, threads });
  }
  const big = simulateCohort({ subjects: 50_000, biomarkers: 10, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 9, names: m.biomarkers });
  const fit = m.fits[2]!;
  const distinct = new Set(fit.samples.sequences.map((s, j) => JSON.stringify([s, fit.samples.fractions[j]]))).size;
  console.log(`== assign 50,000 subjects to a 3-subtype model with ${fit.samples.sequences.length} posterior samples (${distinct} distinct), ${threads} thread(s)`);
  const t0 = performance.now();
  const a = await assignSubjectsParallel(m, big.data, 3, threads);
  const s = (performance.now() - t0) / 1000;
  table([
    ['', 'ms-subtype', 'target'],
    ['assign 50,000 subjects, s', fmt(s), '< 60'],
    ['peak memory, MB', fmt(mb(), 0), ''],
    ['subjects assigned', a.subjects.length, ''],
  ]);
}

async function large(): Promise<void> {
  const sim = simulateCohort({ subjects: 10_000, biomarkers: 13, subtypes: 5, zvals: [1, 2, 3], zmax: 5, seed: 4 });
  // Memory is set by the tables (subjects x stages per subtype per task), not by how long EM runs, so
  // this mode caps the EM sweeps to keep the run short; pass --full-em for an uncapped fit.
  const sp = 1;
  const mc = 2000;
  const sweeps = args.includes('--full-em') ? 100 : 3;
  console.log(`== 10,000 subjects x 13 biomarkers x 3 thresholds, K = 1..5, ${sp} start points, at most ${sweeps} EM sweeps, ${mc} MCMC (+3 x 1000 tuning), ${threads} thread(s)`);
  const r = await timedFit(sim.data, uniform(sim.data), {
    seed: 1,
    maxSubtypes: 5,
    startpoints: sp,
    emMaxIterations: sweeps,
    mcmcIterations: mc,
    mcmcTuneIterations: 1000,
    samplesKept: 1000,
    threads,
  });
  table([
    ['', 'ms-subtype', 'target'],
    ['wall s', fmt(r.wall), ''],
    ['EM wall s (to K=5)', fmt(r.mcmcStart), ''],
    ['peak memory (max RSS), MB', fmt(mb(), 0), '< 1024'],
    ['K=5 log-likelihood', fmt(r.model.fits[4]!.logLikelihood, 2), ''],
  ]);
}

async function small(): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const { rmSync, existsSync } = await import('node:fs');
  const out = benchDir('ms-bench-small-');
  console.log(`== fixed cost: \`ms-subtype fit\` (a new process, built dist/) on the shared small cohort (250 x 6), 5 start points, K = 1..2, ${repeat} run(s) each, runs interleaved`);
  // pySuStaIn, same cohort and settings, one chain of 1e4 after its fixed 3 x 1e4 tuning, one core (issue 15: two runs)
  const PY_SMALL = [98, 115];
  // CPU time of the child (the shared machine's wall time drifts with its load): GNU time when installed
  const gnuTime = existsSync('/usr/bin/time');
  // [label, flags]; MCMC iterations per K in all, tuning included, in the label
  const cases: [string, string[]][] = [
    ['1 chain x 1e4, tuning 3 x 1e3 (the default for --mcmc 10000): 1.3e4 iterations per K', ['--chains', '1']],
    ['the same, --jobs 1', ['--chains', '1', '--jobs', '1']],
    ["1 chain x 1e4, --tune 10000: pySuStaIn's 4e4 iterations per K", ['--chains', '1', '--tune', '10000']],
    ['4 chains x 2,500, tuning 3 x 1e3 each: 1e4 sampled per K as pySuStaIn, 2.2e4 in all', ['--chains', '4', '--mcmc', '2500']],
    ['4 chains x 1e4 (the default chain count): 5.2e4 per K', ['--chains', '4']],
  ];
  const walls = cases.map((): number[] => []);
  const cpus = cases.map((): number[] => []);
  try {
    for (let q = 0; q < repeat; q++) {
      cases.forEach(([, flags], c) => {
        const t0 = performance.now();
        const jobs = flags.includes('--jobs') ? [] : ['--jobs', String(threads)];
        const cmd = [
          process.execPath,
          join(root, 'bin', 'ms-subtype.js'),
          'fit',
          '--data',
          join(shared, 'small', 'data.csv'),
          '--zvals',
          '1,2,3',
          '--zmax',
          '5',
          '--max-subtypes',
          '2',
          '--startpoints',
          '5',
          '--mcmc',
          '10000',
          '--seed',
          '1',
          ...jobs,
          ...flags,
          '--quiet',
          '--out',
          out,
        ];
        const r = gnuTime ? spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', ...cmd], { encoding: 'utf8' }) : spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
        walls[c]!.push((performance.now() - t0) / 1000);
        if (r.status !== 0) throw new Error(`fit failed: ${r.stderr}`);
        const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
        if (m) cpus[c]!.push(Number(m[1]) + Number(m[2]));
      });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1]!;
  const ratio = (s: number) => `${fmt(PY_SMALL[0]! / s, 0)}-${fmt(PY_SMALL[1]! / s, 0)}x`;
  const rows: (string | number)[][] = [['fit', 'wall s: median (runs)', 'CPU s: median (runs)', 'pySuStaIn s (1 core)', 'speed-up: wall', 'speed-up: CPU']];
  cases.forEach(([label], c) => {
    const w = med(walls[c]!);
    const cp = cpus[c]!.length > 0 ? med(cpus[c]!) : NaN;
    rows.push([
      label,
      `${fmt(w, 2)} (${walls[c]!.map((v) => fmt(v, 2)).join(', ')})`,
      cpus[c]!.length > 0 ? `${fmt(cp, 2)} (${cpus[c]!.map((v) => fmt(v, 2)).join(', ')})` : '',
      `${PY_SMALL[0]}-${PY_SMALL[1]}`,
      ratio(w),
      Number.isFinite(cp) ? ratio(cp) : '',
    ]);
  });
  table(rows);
  console.log(`(target: 100x on the first row, about 1 s; ${threads} thread(s) unless --jobs 1; load average at the end ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
}

async function robust(): Promise<void> {
  // the shared medium cohort (REFERENCE.md: pySuStaIn's EM optimum per K known); `--cohort sim3000` the simulated 3,000 x 12 one
  const sim = args.includes('--cohort') && args[args.indexOf('--cohort') + 1] === 'sim3000';
  const data = sim ? simulateCohort({ subjects: 3000, biomarkers: 12, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 12 }).data : readZTable(join(shared, 'medium', 'data.csv')).table;
  // each setting: start points, or start points + polish runs per round ("5+4")
  const spArg = args.indexOf('--startpoints');
  const settings = (spArg >= 0 ? args[spArg + 1]! : '3,5,10,25').split(',');
  const parse = (v: string) => {
    const [sp, stop] = v.split(':');
    return { startpoints: Number(sp!.split('+')[0]), polish: Number(sp!.split('+')[1] ?? 0), earlyStop: Number(stop ?? 0) };
  };
  const pyBest = sim ? [] : PY.emLogLik;
  console.log(
    `== EM robustness: ${sim ? 'simulated 3,000 x 12' : 'shared medium cohort, 1,000 x 10'} x 3 thresholds, K = 1..3, EM only, start points ${settings.join(' / ')}, seeds ${firstSeed}..${firstSeed + nSeeds - 1} each, ${threads} thread(s)`,
  );
  const runs: { sp: string; seed: number; ll: number[]; wall: number; cpu: number }[] = [];
  for (let seed = firstSeed; seed < firstSeed + nSeeds; seed++) {
    for (const sp of settings) {
      const r = await timedFit(data, uniform(data), { seed, maxSubtypes: 3, ...parse(sp), mcmcIterations: 0, threads });
      runs.push({ sp, seed, ll: r.model.fits.map((f) => f.diagnostics!['emLogLikelihood'] as number), wall: r.wall, cpu: r.cpu });
      console.error(`  seed ${seed}, ${sp} start points: ${runs[runs.length - 1]!.ll.map((v) => fmt(v, 4)).join(' / ')} (${fmt(r.wall)} s)`);
    }
  }
  // best known optimum per K: the best any run found (and pySuStaIn's, on the medium cohort)
  const bestK = [0, 1, 2].map((k) => Math.max(...runs.map((r) => r.ll[k]!), pyBest[k] ?? -Infinity));
  const rows: (string | number)[][] = [
    ['start points (+ polish runs)', ...bestK.map((b, k) => `K=${k + 1} reached (best ${fmt(b, 2)})`), ...bestK.map((_, k) => `K=${k + 1} worst gap`), 'wall s (median)', 'CPU s (median)'],
  ];
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1]!;
  for (const sp of settings) {
    const rs = runs.filter((r) => r.sp === sp);
    rows.push([
      sp,
      ...bestK.map((b, k) => `${rs.filter((r) => r.ll[k]! >= b - 0.01).length}/${rs.length}`),
      ...bestK.map((b, k) => fmt(Math.max(...rs.map((r) => b - r.ll[k]!)), 2)),
      fmt(med(rs.map((r) => r.wall))),
      fmt(med(rs.map((r) => r.cpu))),
    ]);
  }
  table(rows);
}

let model: SustainModelFile | undefined;
if (run.has('medium')) model = await medium();
if (run.has('assign')) await assign(model);
if (run.has('large')) await large();
if (run.has('robust')) await robust();
if (run.has('small')) await small();
