/**
 * Mixture (event-based) SuStaIn benchmark: `npm run bench:mixture [-- --threads N] [--repeat N]`.
 *
 * Fits the shared mixture cohort (../shared/sustain/mixture: the 400 patients' rows of l_yes/l_no)
 * with pySuStaIn's settings in its summary (10 start points, K = 1..3, 1e4 MCMC after 3 x 1e4
 * tuning, as pySuStaIn's MCMC optimisation passes) and compares the wall time with pySuStaIn's
 * recorded time (pysustain/summary.json: a 2-core machine with another job beside it), the EM
 * maxima per K and the subtype recovery (adjusted Rand index at K = 2). One MCMC chain per K, as
 * pySuStaIn runs (`fit` runs 4 by default for its convergence diagnostics). `--repeat N`: N fits,
 * median and range (the shared machine's speed drifts).
 *
 * The fit runs the compiled JavaScript (dist/, as `npm ci` builds it and users run it; rebuilt
 * first when src/ is newer): under tsx every worker thread would compile the sources again (about
 * 0.8 s of CPU each). `--source` runs the TypeScript sources instead.
 *
 * `--pysustain DIR` (a pySuStaIn checkout, e.g. commit 708fa22 as the shared reference) also times
 * pySuStaIn's fit now, on this machine under the same load, right after ours (bench/pysustain-mixture.py:
 * EM and MCMC for K = 1..3 as run_sustain_algorithm runs them; needs python3 with numpy and scipy):
 * the shared machine's load changes the wall times of both sides alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readTable } from '../src/io/csv.js';
import { readZTable } from '../src/io/ztable.js';
import { defaultThreads } from '../src/common/pool.js';
import type * as Sustain from '../src/sustain/index.js';
import type { SustainModelFile, ZTable } from '../src/sustain/types.js';
import { adjustedRand } from '../test/sustain/stats.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const dir = join(root, '..', 'shared', 'sustain', 'mixture');
const args = process.argv.slice(2);
const at = (flag: string) => (args.indexOf(flag) >= 0 ? Number(args[args.indexOf(flag) + 1]) : undefined);
const threads = at('--threads') ?? defaultThreads();
const repeat = Math.max(1, at('--repeat') ?? 1);
const fromSource = args.includes('--source');
const pysustainDir = args.indexOf('--pysustain') >= 0 ? args[args.indexOf('--pysustain') + 1] : undefined;

/** Newest modification time of the files under a directory (ms). */
function newest(d: string): number {
  let t = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) t = Math.max(t, e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs);
  return t;
}
async function engine(): Promise<typeof Sustain> {
  if (fromSource) return import('../src/sustain/index.js');
  const built = join(root, 'dist', 'sustain', 'index.js');
  if (!existsSync(built) || newest(join(root, 'dist')) < newest(join(root, 'src'))) {
    console.log('(building dist/: src/ is newer)');
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed: ${r.stdout}${r.stderr}`);
  }
  return (await import(pathToFileURL(built).href)) as typeof Sustain;
}
const { assignSubjects, fitSustain, likelihoodTable } = await engine();

const summary = JSON.parse(readFileSync(join(dir, 'pysustain', 'summary.json'), 'utf8')) as {
  total_seconds: number;
  settings: { N_startpoints: number; N_S_max: number; N_iterations_MCMC: number; seed: number };
  em: Record<string, { loglik: number }>;
};
const fmt = (v: number, d = 1) => v.toFixed(d);
function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j]).length)));
  for (const r of rows) console.log(r.map((c, j) => String(c).padEnd(w[j]!)).join('  '));
  console.log();
}

const all = likelihoodTable(readZTable(join(dir, 'l_yes.csv'), { includeControls: true }).table, readZTable(join(dir, 'l_no.csv'), { includeControls: true }).table);
const truth = readTable(join(dir, 'truth.csv'));
const keep = truth.rows.flatMap((r, i) => (r[1] === 'patient' ? [i] : []));
const W = all.biomarkers.length;
const values = new Float64Array(keep.length * W);
keep.forEach((i, r) => values.set(all.values.subarray(i * W, i * W + W), r * W));
const patients: ZTable = { subjects: keep.map((i) => all.subjects[i]!), biomarkers: all.biomarkers, values };
const trueSubtype = keep.map((i) => Number(truth.rows[i]![2]));
const s = summary.settings;

console.log(
  `== mixture cohort: ${keep.length} patients x ${W / 2} biomarkers (L_yes/L_no), ${s.N_startpoints} start points, K = 1..${s.N_S_max}, ${s.N_iterations_MCMC} MCMC (+3 x 1e4 tuning), one chain per K, ${threads} thread(s), ${fromSource ? 'TypeScript sources (tsx)' : 'compiled dist/'}`,
);
console.log(`machine load average (1 min) before: ${loadavg()[0]!.toFixed(1)} on ${defaultThreads()} cores`);
const runs: { wall: number; cpu: number; model: SustainModelFile }[] = [];
for (let q = 0; q < repeat; q++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const model = await fitSustain(
    patients,
    { kind: 'mixture', nBiomarkers: W / 2, input: 'likelihoods' },
    { seed: s.seed, maxSubtypes: s.N_S_max, startpoints: s.N_startpoints, mcmcIterations: s.N_iterations_MCMC, chains: 1, threads },
  );
  const c = process.cpuUsage(c0);
  runs.push({ wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, model });
}
// median (min-max) over the runs
const spread = (f: (r: (typeof runs)[number]) => number, d = 2): [number, string] => {
  const v = runs.map(f).sort((a, b) => a - b);
  const med = v[(v.length - 1) >> 1]!;
  return [med, v.length === 1 ? fmt(med, d) : `${fmt(med, d)} (${fmt(v[0]!, d)}-${fmt(v[v.length - 1]!, d)})`];
};
const [wall, wallText] = spread((r) => r.wall);
const [cpu, cpuText] = spread((r) => r.cpu);
table([
  ['', runs.length > 1 ? `ms-subtype, median (range) of ${runs.length}` : 'ms-subtype', 'pySuStaIn', 'ratio (speed-up)'],
  ['whole fit, wall s', wallText, fmt(summary.total_seconds, 1), `${fmt(summary.total_seconds / wall, 0)}x (target >= 50x)`],
  // pySuStaIn runs on one core, so its wall time is its CPU time; ours spreads over the threads
  ['whole fit, process CPU s (all threads)', cpuText, fmt(summary.total_seconds, 1), `${fmt(summary.total_seconds / cpu, 0)}x per core`],
]);
if (pysustainDir !== undefined) {
  // pySuStaIn on this machine now, right after ours (one run: it takes minutes)
  const load = loadavg()[0]!;
  const r = spawnSync('python3', [join(root, 'bench', 'pysustain-mixture.py'), pysustainDir, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pySuStaIn run failed: ${r.stderr}`);
  const py = JSON.parse(r.stdout.trim().split('\n').pop()!) as { wall: number; cpu: number; em: Record<string, number> };
  console.log(
    `pySuStaIn now (load average ${load.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after): EM maxima ${Object.values(py.em)
      .map((v) => fmt(v, 6))
      .join(', ')}`,
  );
  table([
    ['same machine, same time', `ms-subtype, median of ${runs.length}`, 'pySuStaIn (1 run)', 'ratio (speed-up)'],
    ['whole fit, wall s', fmt(wall, 2), fmt(py.wall, 1), `${fmt(py.wall / wall, 0)}x (target >= 50x)`],
    ['whole fit, process CPU s', fmt(cpu, 2), fmt(py.cpu, 1), `${fmt(py.cpu / cpu, 0)}x`],
  ]);
}
const m = runs[0]!.model;
const rows: (string | number)[][] = [['K', 'EM max log-lik', 'pySuStaIn EM', 'difference', 'ML log-lik', 'MCMC acceptance']];
for (const f of m.fits) {
  const em = f.diagnostics!['emLogLikelihood'] as number;
  const py = summary.em[String(f.subtypes)]!.loglik;
  rows.push([f.subtypes, fmt(em, 6), fmt(py, 6), fmt(em - py, 6), fmt(f.logLikelihood, 4), fmt(f.diagnostics!['mcmcAcceptance'] as number, 2)]);
}
table(rows);
table([
  ['K=2 recovery', 'ms-subtype'],
  ['ARI (patients vs truth.csv)', fmt(adjustedRand(Array.from(assignSubjects(m, patients, 2).mlSubtype), trueSubtype), 4)],
]);
