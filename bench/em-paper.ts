/**
 * EM at paper scale: `npm run bench:em-paper [-- options]`. The EM part of bench:paper (6,322 x 13
 * biomarkers, 34 events, 25 start points; MCMC off) fitted with several --early-stop and --screen
 * settings in one process, one after the other, so their cost is a ratio measured in one session:
 * per K the EM optimum each reaches (the full-data log-likelihood after the polish), its runs, and
 * the CPU seconds that K took (from the previous K's optimum to its own), with the polish's share.
 *
 * Options: --subjects M (6322) --startpoints S (25) --max-subtypes K (3) --threads T (1) --seed s (1)
 * --early-stop a,b,.. (2) --screen n,m,.. (0,1000,2000): every combination, in that order
 * (--early-stop 0 --screen 0: every start point on every subject, as before both existed).
 */
import { cpus, loadavg } from 'node:os';
import { fitSustain, simulateCohort } from '../src/sustain/index.js';
import type { Thresholds } from '../src/sustain/types.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const S = {
  subjects: Number(opt('subjects', '6322')),
  startpoints: Number(opt('startpoints', '25')),
  maxSubtypes: Number(opt('max-subtypes', '3')),
  threads: Number(opt('threads', '1')),
  seed: Number(opt('seed', '1')),
};
const arms = opt('early-stop', '2')
  .split(',')
  .map(Number)
  .flatMap((stop) =>
    opt('screen', '0,1000,2000')
      .split(',')
      .map((screen) => ({ stop, screen: Number(screen) })),
  );

// the cohort of bench:paper (8 biomarkers with thresholds 1,2,3 and 5 with 1,2: 34 events)
const sim = simulateCohort({ subjects: S.subjects, biomarkers: 13, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 2021 });
const th: Thresholds = { zvals: sim.data.biomarkers.map((_, b) => (b < 8 ? [1, 2, 3] : [1, 2])), zmax: sim.data.biomarkers.map(() => 5) };
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
console.log(
  `== EM at paper scale: ${S.subjects} x 13, 34 events, K = 1..${S.maxSubtypes}, ${S.startpoints} start points, seed ${S.seed}, MCMC off, ${S.threads} thread(s), ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
);
interface Run {
  stop: number;
  screen: number;
  ll: number[];
  runs: number[];
  /** CPU s of each K (previous K's optimum to its own), and of its polish */
  cpuK: number[];
  polishK: number[];
  wall: number;
}
const runs: Run[] = [];
for (const { stop, screen } of arms) {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const cpuK = new Array<number>(S.maxSubtypes).fill(0);
  const polishK = new Array<number>(S.maxSubtypes).fill(0);
  // CPU is charged to the K and phase the progress last reported (a K's optimum is known when the next K's splits or the MCMC start)
  let cur = { K: 1, polish: false };
  let mark = c0;
  const charge = () => {
    const now = cpuSeconds();
    cpuK[cur.K - 1]! += now - mark;
    if (cur.polish) polishK[cur.K - 1]! += now - mark;
    mark = now;
  };
  const model = await fitSustain(sim.data, th, {
    seed: S.seed,
    maxSubtypes: S.maxSubtypes,
    startpoints: S.startpoints,
    mcmcIterations: 0,
    threads: S.threads,
    earlyStop: stop,
    screen,
    onProgress: (p) => {
      if (p.phase === 'mcmc' || p.phase === 'done') {
        if (cur.K > 0) charge();
        cur = { K: 0, polish: false };
        return;
      }
      const next = { K: p.subtypes, polish: p.phase === 'polish' };
      if (next.K !== cur.K || next.polish !== cur.polish) {
        charge();
        cur = next;
      }
    },
  });
  const ll = model.fits.map((f) => f.diagnostics!['emLogLikelihood'] as number);
  const used = model.fits.map((f) => (f.diagnostics!['emStartPointLogLikelihoods'] as number[]).length);
  const wall = (performance.now() - t0) / 1000;
  runs.push({ stop, screen, ll, runs: used, cpuK, polishK, wall });
  console.error(`  --early-stop ${stop} --screen ${screen}: ${ll.map((v) => v.toFixed(4)).join(' / ')}; ${wall.toFixed(1)} s wall, ${cpuK.reduce((a, b) => a + b, 0).toFixed(1)} s CPU`);
}
const total = (r: Run) => r.cpuK.reduce((a, b) => a + b, 0);
const rows: string[][] = [
  ['--early-stop', '--screen', ...Array.from({ length: S.maxSubtypes }, (_, k) => `K=${k + 1}: optimum (vs first row), CPU s (polish)`), 'wall s', 'CPU s', 'CPU vs first row'],
];
for (const r of runs) {
  rows.push([
    String(r.stop),
    String(r.screen),
    ...r.ll.map((v, k) => `${v.toFixed(4)} (${(v - runs[0]!.ll[k]!).toFixed(2)}), ${r.cpuK[k]!.toFixed(1)} (${r.polishK[k]!.toFixed(1)})`),
    r.wall.toFixed(1),
    total(r).toFixed(1),
    (total(r) / total(runs[0]!)).toFixed(3),
  ]);
}
const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
for (const r of rows) console.log(r.map((c, j) => c.padEnd(w[j]!)).join('  '));
console.log(
  `(optimum: the K's EM log-likelihood on all subjects after the polish; runs per K (mixture runs over all clusters, K = 1: start points; screened: the refined ones): ${runs.map((r) => r.runs.join('/')).join(', ')}; load average at the end ${loadavg()[0]!.toFixed(1)})`,
);
