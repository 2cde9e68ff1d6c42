/**
 * How many MCMC iterations the chains need: `npm run bench:mcmc-length [-- options]`.
 *
 * The EM optimum per K comes from a `fit --mcmc 0` (--startpoints, default 2). Then, one K at a time,
 * the product's chain tasks (tasks.ts: chain 1 from the optimum, chains 2..C from it after N/4 random
 * valid moves per subtype, the fallback `fit` uses when the start points found no other distinct
 * optima; 3 tuning passes of --tune, default the fit's for the longest length) run round by round
 * (mcmc-rounds.ts: a round continues each chain where the last ended) through the lengths asked, and at each length
 * print what `fit` would record with chains of that length: split R-hat, bulk and tail ESS of the
 * log-likelihood and of each fraction, the chains' largest positional-variance difference, whether
 * their best samples' sequences agree, whether a stop-once-converged rule would pass (below), and CPU
 * seconds (the process, all threads, tuning included, since the K began). Then how far the posterior
 * summaries at each length are from those at the longest: mean fractions (in Monte Carlo standard
 * errors, sd / sqrt(bulk ESS), of the longest) and positional variance (largest difference of a
 * share, beside the chains' own spread at the longest length).
 *
 * Options: --cohort paper|medium (paper: bench:paper's simulated 6,322 x 13, 34 events; medium: the
 * shared 1,000 x 10, 30 events) --subjects M --max-subtypes K (3) --lengths 1000,3000,10000,30000
 * --longest-to K (the last length only for K <= this; default all) --chains C (4) --samples S (1000)
 * --tune T --startpoints S (2) --em-cache FILE (the EM optima from FILE, written there when absent) --threads T (1) --seed N (1) --starts dispersed|optimum (optimum: every chain from the
 * EM optimum, as pySuStaIn's one chain starts: how fast the chains mix within the optimum's mode, not whether they find it)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSustainModel, writeModelFile } from '../src/io/modelfile.js';
import { fileURLToPath } from 'node:url';
import { paperCohort } from './paper-cohort.js';
import { Rng } from '../src/common/rng.js';
import { TaskPool } from '../src/common/pool.js';
import { readZTable } from '../src/io/ztable.js';
import { alignChains, CONVERGENCE_LIMITS, chainDiagnostics, poolChains, type ChainSamples, type ConvergenceJson, type StatsJson } from '../src/sustain/chains.js';
import { FIT_DEFAULTS } from '../src/sustain/fit-options.js';
import { fitFor, fitSustain, mlSequenceIndices, toSpec, kindOf } from '../src/sustain/index.js';
import { defaultTuneIterations, MCMC_DEFAULTS } from '../src/sustain/mcmc.js';
import { runRounds } from '../src/sustain/mcmc-rounds.js';
import type { FitTask, McmcTask, McmcTaskResult } from '../src/sustain/tasks.js';
import type { Thresholds, ZTable } from '../src/sustain/types.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const num = (name: string, dflt: number) => Number(opt(name, String(dflt)));
const cohort = opt('cohort', 'paper');
const lengths = opt('lengths', '1000,3000,10000,30000').split(',').map(Number);
const Kmax = num('max-subtypes', 3);
const longestTo = num('longest-to', Kmax);
const C = num('chains', FIT_DEFAULTS.chains);
const samples = num('samples', MCMC_DEFAULTS.samplesKept);
const tune = num('tune', defaultTuneIterations(lengths[lengths.length - 1]!));
const threads = num('threads', 1);
const seed = num('seed', 1);
const starts = opt('starts', 'dispersed');

const cpu = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};
const f3 = (v: number | null) => (v === null ? '-' : v.toFixed(3));
const f0 = (v: number | null) => (v === null ? '-' : v.toFixed(0));
function table(rows: (string | number)[][]): void {
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => String(r[j] ?? '').length)));
  for (const r of rows) console.log(r.map((c, j) => String(c ?? '').padEnd(w[j]!)).join('  '));
  console.log();
}

function load(): { data: ZTable; thresholds: Thresholds; name: string } {
  if (cohort === 'medium') {
    const data = readZTable(fileURLToPath(new URL(join('..', '..', 'shared', 'sustain', 'medium', 'data.csv'), import.meta.url))).table;
    return { data, thresholds: { zvals: data.biomarkers.map(() => [1, 2, 3]), zmax: data.biomarkers.map(() => 5) }, name: 'shared medium cohort' };
  }
  const p = paperCohort(num('subjects', 6322));
  return { data: p.data, thresholds: p.thresholds, name: "bench:paper's simulated cohort" };
}

/**
 * Whether chains could stop here: no warning (R-hat <= 1.01, bulk ESS >= 400), tail ESS >= 400 too,
 * for the log-likelihood and every fraction, and every chain's best sample has the same sequences.
 */
function chainsConverged(c: ConvergenceJson): boolean {
  const ok = (s: StatsJson) => s.rhat === null || (s.rhat <= CONVERGENCE_LIMITS.rhat && (s.essBulk ?? 0) >= CONVERGENCE_LIMITS.essBulk && (s.essTail ?? 0) >= CONVERGENCE_LIMITS.essBulk);
  return c.warnings.length === 0 && c.mlSequencesAgree && ok(c.logLikelihood) && c.fractions.every(ok);
}

/** Share of samples with each event at each position, per subtype, pooled over chains: [s][e * N + p]. */
function shares(seqs: readonly number[][][], K: number, N: number): Float64Array[] {
  const out = Array.from({ length: K }, () => new Float64Array(N * N));
  for (const smp of seqs) smp.forEach((seq, s) => seq.forEach((e, p) => (out[s]![e * N + p]! += 1 / seqs.length)));
  return out;
}

interface Row {
  L: number;
  cpu: number;
  chains: ChainSamples[];
}

async function main(): Promise<void> {
  const { data, thresholds, name } = load();
  const spec = toSpec(thresholds);
  const values = kindOf(spec).encode(spec, data.biomarkers, data);
  const N = thresholds.zvals.reduce((a, z) => a + z.length, 0);
  const perChain = Math.ceil(samples / C);
  console.log(
    `== MCMC length: ${name}, ${data.subjects.length} subjects x ${data.biomarkers.length} biomarkers, ${N} events, K = 1..${Kmax}; ${C} chains, ` +
      `${starts} starts, 3 x ${tune} tuning, lengths ${lengths.join(', ')} (the last for K <= ${longestTo}), ${perChain} samples kept per chain; ${threads} thread(s); seed ${seed}`,
  );
  const c0 = cpu();
  // --em-cache FILE: the EM optima of an earlier run with the same cohort and settings (written when absent)
  const cache = args.includes('--em-cache') ? opt('em-cache', '') : undefined;
  const em =
    cache !== undefined && existsSync(cache)
      ? readSustainModel(cache)
      : await fitSustain(data, thresholds, { seed, maxSubtypes: Kmax, startpoints: num('startpoints', 2), mcmcIterations: 0, threads });
  if (cache !== undefined && !existsSync(cache)) writeModelFile(cache, em);
  console.log(`EM (--mcmc 0, ${num('startpoints', 2)} start points): ${(cpu() - c0).toFixed(0)} s CPU; log-likelihood per K ${em.fits.map((f) => f.logLikelihood.toFixed(1)).join(', ')}\n`);
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const pool = new TaskPool<FitTask, McmcTaskResult>(new URL(`../src/sustain/worker.${ext}`, import.meta.url), threads, 0);
  const streams = Rng.fromSeed(seed).streams(Kmax * C);
  const diagRows: (string | number)[][] = [
    ['K', 'length', 'CPU s', 'R-hat LL', 'bulk ESS LL', 'tail ESS LL', 'max R-hat f', 'min bulk ESS f', 'min tail ESS f', 'max PV diff', 'ML agree', 'accept', 'rule passes'],
  ];
  const summaryRows: (string | number)[][] = [['K', 'length', 'max |mean f - longest| / MCSE', 'max |PV share - longest|', "chains' own PV spread"]];
  try {
    for (let K = 1; K <= Kmax; K++) {
      const fit = fitFor(em, K);
      const seqs = mlSequenceIndices(em, fit);
      const ls = K <= longestTo ? lengths : lengths.slice(0, -1);
      const first: McmcTask[] = Array.from({ length: C }, (_, c) => ({
        kind: 'mcmc',
        spec,
        values,
        M: data.subjects.length,
        rng: streams[(K - 1) * C + c]!.state(),
        em: { maxIterations: FIT_DEFAULTS.emMaxIterations, tolerance: FIT_DEFAULTS.emTolerance },
        sequences: seqs,
        fractions: fit.fractions,
        ...(c > 0 && starts === 'dispersed' ? { perturbStart: Math.ceil(N / 4) } : {}),
        mcmc: { iterations: 0, tunePasses: 3, tuneIterations: tune, samplesKept: perChain, refreshEvery: MCMC_DEFAULTS.refreshEvery },
      }));
      const k0 = cpu();
      const rows: Row[] = [];
      await runRounds(
        first,
        ls,
        perChain,
        (tasks) => pool.run(tasks),
        (chains, L) => {
          rows.push({ L, cpu: cpu() - k0, chains: alignChains(chains) });
          return false;
        },
      );
      const last = rows[rows.length - 1]!;
      const lastPooled = poolChains(last.chains);
      const lastDiag = chainDiagnostics(last.chains, N);
      const lastShares = shares(lastPooled.sequences, K, N);
      const meanF = (p: ReturnType<typeof poolChains>) => Array.from({ length: K }, (_, s) => p.fractions.reduce((a, f) => a + f[s]!, 0) / p.fractions.length);
      const lastMean = meanF(lastPooled);
      const mcse = Array.from({ length: K }, (_, s) => {
        const m = lastMean[s]!;
        const sd = Math.sqrt(lastPooled.fractions.reduce((a, f) => a + (f[s]! - m) ** 2, 0) / (lastPooled.fractions.length - 1));
        return sd / Math.sqrt(lastDiag.fractions[s]!.essBulk ?? 1);
      });
      for (const r of rows) {
        const d = chainDiagnostics(r.chains, N);
        const fr = d.fractions.filter((f) => f.rhat !== null);
        const maxOf = (v: (number | null)[]) => (v.length === 0 ? null : Math.max(...v.map((x) => x ?? Infinity)));
        const minOf = (v: (number | null)[]) => (v.length === 0 ? null : Math.min(...v.map((x) => x ?? -Infinity)));
        diagRows.push([
          K,
          r.L,
          r.cpu.toFixed(0),
          f3(d.logLikelihood.rhat),
          f0(d.logLikelihood.essBulk),
          f0(d.logLikelihood.essTail),
          f3(maxOf(fr.map((f) => f.rhat))),
          f0(minOf(fr.map((f) => f.essBulk))),
          f0(minOf(fr.map((f) => f.essTail))),
          d.positionalVarianceMaxDifference.toFixed(3),
          d.mlSequencesAgree ? 'yes' : 'no',
          (d.acceptance.reduce((a, b) => a + b, 0) / d.acceptance.length).toFixed(3),
          chainsConverged(d) ? 'yes' : 'no',
        ]);
        const pooled = poolChains(r.chains);
        const mean = meanF(pooled);
        const sh = shares(pooled.sequences, K, N);
        let pv = 0;
        sh.forEach((m, s) => m.forEach((v, i) => (pv = Math.max(pv, Math.abs(v - lastShares[s]![i]!)))));
        const z = K === 1 ? null : Math.max(...mean.map((m, s) => Math.abs(m - lastMean[s]!) / mcse[s]!));
        summaryRows.push([K, r.L, z === null ? '-' : z.toFixed(2), pv.toFixed(3), lastDiag.positionalVarianceMaxDifference.toFixed(3)]);
      }
      // print as it goes: a long run shows what it has
      table([diagRows[0]!, ...diagRows.slice(-rows.length)]);
      // where each chain sits: a chain still climbing to the others' level shows as a lower mean
      const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
      for (const r of [rows[0]!, last])
        console.log(`K = ${K}, length ${r.L}: per chain, mean / best log-likelihood ${r.chains.map((c) => `${mean(c.logLik).toFixed(1)} / ${c.best.logLik.toFixed(1)}`).join(', ')}`);
      console.log();
    }
  } finally {
    await pool.close();
  }
  console.log();
  table(diagRows);
  table(summaryRows);
  console.log(
    'CPU s: the process (all threads) since the K began, EM excluded, tuning included. Diagnostics as fit records them (diagnostics.convergence). ' +
      "'rule passes': R-hat <= 1.01 and bulk and tail ESS >= 400 for the log-likelihood and every fraction, and the chains' best sequences agree (what chains that stop once converged would need). " +
      'MCSE: sd / sqrt(bulk ESS) of the pooled fraction at the longest length; PV: the pooled share of samples with an event at a position.',
  );
}

await main();
