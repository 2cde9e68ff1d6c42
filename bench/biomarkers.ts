/**
 * How a fit's cost grows with the number of biomarkers: `npm run bench:biomarkers [-- options]`.
 *
 * Per number of biomarkers B (3 thresholds each, so N = 3 B events and N + 1 stages), simulates a
 * cohort (simulate.ts: one subtype, 25 % controls) and runs, in one thread, what one start point of a
 * K = 1 fit runs: EM from a random sequence to convergence, then one MCMC chain from the EM optimum.
 * It calls the engine directly (no worker pool), counting EM sweeps and likelihood evaluations (one per
 * position tried for an event), and runs each B in a child process of its own, so that the peak
 * memory (max RSS) is that B's.
 *
 * Options: --biomarkers 10,20,40,60,100 --subjects M (500) --mcmc I (1000) --tune I (1000: three
 * tuning passes of I iterations before the chain) --seed S (1) --max-sweeps N (EM's default 100).
 * Columns: events; EM sweeps; evaluations per sweep; EM, MCMC and total CPU time (user + system:
 * on a shared machine the CPU time measures the work, the wall time the load; both are printed);
 * EM CPU time per evaluation, and per evaluation and subject (the per-event-evaluation cost); peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/common/rng.js';
import { EM_DEFAULTS, performEm } from '../src/sustain/em.js';
import { runMcmc, MCMC_DEFAULTS } from '../src/sustain/mcmc.js';
import type { ModelData } from '../src/sustain/model.js';
import { simulateCohort } from '../src/sustain/simulate.js';
import { MixtureTables } from '../src/sustain/state.js';
import { ZscoreModel } from '../src/sustain/zscore.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const SUBJECTS = Number(opt('subjects', '500'));
const MCMC = Number(opt('mcmc', '1000'));
const TUNE = Number(opt('tune', '1000'));
const SEED = Number(opt('seed', '1'));
const MAX_SWEEPS = Number(opt('max-sweeps', String(EM_DEFAULTS.maxIterations)));

interface Row {
  B: number;
  events: number;
  sweeps: number;
  evaluations: number;
  /** CPU seconds (user + system) of the phase: on a shared machine these measure the work, wall times the load */
  em: number;
  mcmc: number;
  wall: number;
  logLik: number;
  rssMb: number;
}

/** Tables that count the EM walk's likelihood evaluations. */
class CountingTables<D extends ModelData> extends MixtureTables<D> {
  evaluations = 0;
  override logLikWithOthers(s: number, f: ArrayLike<number>, other: Float64Array): number {
    this.evaluations++;
    return super.logLikWithOthers(s, f, other);
  }
}

function one(B: number): Row {
  const sim = simulateCohort({ subjects: SUBJECTS, biomarkers: B, subtypes: 1, zvals: [1, 2, 3], zmax: 5, seed: SEED });
  const model = new ZscoreModel(sim.model.thresholds);
  const data = model.prepare(sim.data.values, SUBJECTS);
  const rng = Rng.fromSeed(SEED + 1);
  const w0 = performance.now();
  let t = cpu();
  const mix = new CountingTables(model, data, [model.randomSequence(rng)]);
  const r = performEm(mix, [1], rng, { ...EM_DEFAULTS, maxIterations: MAX_SWEEPS });
  const em = cpu() - t;
  t = cpu();
  const chain = new MixtureTables(model, data, r.sequences);
  runMcmc(chain, r.fractions, rng, { ...MCMC_DEFAULTS, iterations: MCMC, tuneIterations: TUNE });
  const mcmc = cpu() - t;
  const wall = (performance.now() - w0) / 1000;
  return { B, events: model.nEvents, sweeps: r.sweeps, evaluations: mix.evaluations, em, mcmc, wall, logLik: r.logLik, rssMb: process.resourceUsage().maxRSS / 1024 };
}

const fmt = (v: number, d = 1) => v.toFixed(d);
function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j]).length)));
  for (const r of rows) console.log(r.map((c, j) => String(c).padEnd(w[j]!)).join('  '));
  console.log();
}

const only = args.indexOf('--one');
if (only >= 0) {
  console.log(JSON.stringify(one(Number(args[only + 1]))));
} else {
  const list = opt('biomarkers', '10,20,40,60,100').split(',').map(Number);
  console.log(
    `== fit cost against biomarkers: ${SUBJECTS} simulated subjects, 3 thresholds per biomarker, K = 1, one start point (EM to convergence), ` +
      `one MCMC chain of ${MCMC} iterations after 3 x ${TUNE} tuning, one thread, seed ${SEED}`,
  );
  const rows: (string | number)[][] = [
    ['biomarkers', 'events', 'EM sweeps', 'evals/sweep', 'EM (CPU)', 'MCMC (CPU)', 'total (CPU)', '(wall)', 'EM per eval', 'per eval x subject', 'peak RSS', 'EM log-lik'],
  ];
  const self = fileURLToPath(import.meta.url);
  let prev: Row | null = null;
  const growth: string[] = [];
  for (const B of list) {
    const child = spawnSync(process.execPath, [...process.execArgv, self, ...args, '--one', String(B)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) {
      console.error(child.stderr);
      process.exit(1);
    }
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as Row;
    const perEval = r.em / r.evaluations;
    rows.push([
      r.B,
      r.events,
      r.sweeps,
      Math.round(r.evaluations / r.sweeps),
      `${fmt(r.em, 2)} s`,
      `${fmt(r.mcmc, 2)} s`,
      `${fmt(r.em + r.mcmc, 2)} s`,
      `${fmt(r.wall, 2)} s`,
      `${fmt(perEval * 1e6, 0)} us`,
      `${fmt((perEval * 1e9) / SUBJECTS, 0)} ns`,
      `${fmt(r.rssMb, 0)} MB`,
      fmt(r.logLik, 4),
    ]);
    if (prev !== null) {
      const n = Math.log(r.events / prev.events);
      const law = (a: number, b: number) => fmt(Math.log(a / b) / n, 2);
      growth.push(
        `${prev.B} -> ${r.B}: events x${fmt(r.events / prev.events, 2)}; sweeps x${fmt(r.sweeps / prev.sweeps, 2)}, evaluations per sweep ~ N^${law(r.evaluations / r.sweeps, prev.evaluations / prev.sweeps)}, ` +
          `cost per evaluation ~ N^${law(perEval, prev.em / prev.evaluations)}, EM time per sweep ~ N^${law(r.em / r.sweeps, prev.em / prev.sweeps)}, EM time ~ N^${law(r.em, prev.em)}`,
      );
    }
    prev = r;
  }
  table(rows);
  console.log('growth between rows (exponents of N, the number of events):');
  for (const g of growth) console.log(`  ${g}`);
}
