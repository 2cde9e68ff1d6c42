/**
 * How much MCMC tuning a fit needs: `npx tsx bench/mcmc-tuning.ts [--seeds N] [--mcmc N] [--demo out/demo/02-z.csv] [--tune 3x10000,2x2000,...]`.
 *
 * Fits the shared small cohort (250 x 6, 5 start points, K = 1..2) and, when given, the demo's z table
 * (`npm start` writes out/demo/02-z.csv; K = 1..3, 6 start points as the demo) with 4 chains of --mcmc
 * iterations after each tuning setting (passes x iterations per pass), over --seeds seeds, and prints per
 * setting and K: the MCMC wall time, mean acceptance, R-hat and bulk ESS of the log-likelihood (median over
 * seeds), the largest fraction R-hat and smallest fraction bulk ESS (median), and how many seeds' chains
 * the convergence check flags. Same EM for every setting of one seed (the EM does not depend on tuning).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZTable } from '../src/io/ztable.js';
import { fitSustain } from '../src/sustain/index.js';
import type { ConvergenceJson } from '../src/sustain/chains.js';
import type { Thresholds, ZTable } from '../src/sustain/types.js';
import { defaultThreads } from '../src/common/pool.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const nSeeds = Number(opt('--seeds', '3'));
const mcmc = Number(opt('--mcmc', '10000'));
const chains = Number(opt('--chains', '4'));
const threads = Number(opt('--threads', String(defaultThreads())));
const settings = opt('--tune', '3x10000,3x3000,2x2000,3x1000')
  .split(',')
  .map((s) => s.split('x').map(Number) as [number, number]);
const demoPath = opt('--demo', join(root, 'out', 'demo', '02-z.csv'));

const uniform = (t: ZTable): Thresholds => ({ zvals: t.biomarkers.map(() => [1, 2, 3]), zmax: t.biomarkers.map(() => 5) });
const median = (v: number[]): number => {
  const s = v.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[(s.length - 1) >> 1]!;
};
const fmt = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '-');

interface Row {
  setting: string;
  seed: number;
  K: number;
  conv: ConvergenceJson;
  mcmcWall: number;
}

async function study(name: string, data: ZTable, maxSubtypes: number, startpoints: number): Promise<void> {
  console.log(
    `== ${name}: ${data.subjects.length} x ${data.biomarkers.length}, K = 1..${maxSubtypes}, ${startpoints} start points, ${chains} chains x ${mcmc} iterations, seeds 1..${nSeeds}, ${threads} thread(s)`,
  );
  const rows: Row[] = [];
  for (let seed = 1; seed <= nSeeds; seed++) {
    for (const [passes, iters] of settings) {
      let emEnd = NaN;
      const t0 = performance.now();
      const model = await fitSustain(data, uniform(data), {
        seed,
        maxSubtypes,
        startpoints,
        mcmcIterations: mcmc,
        chains,
        mcmcTunePasses: passes,
        mcmcTuneIterations: iters,
        threads,
        onProgress: (p) => {
          if (p.phase === 'mcmc' && Number.isNaN(emEnd)) emEnd = performance.now();
        },
      });
      const mcmcWall = (performance.now() - emEnd) / 1000;
      for (const f of model.fits) rows.push({ setting: `${passes} x ${iters}`, seed, K: f.subtypes, conv: f.diagnostics!['convergence'] as ConvergenceJson, mcmcWall: mcmcWall / 1 });
      void t0;
    }
  }
  const table: (string | number)[][] = [['tuning', 'K', 'MCMC wall s (all K)', 'acceptance', 'R-hat loglik', 'ESS bulk loglik', 'max R-hat fraction', 'min ESS fraction', 'flagged']];
  for (const [passes, iters] of settings) {
    const setting = `${passes} x ${iters}`;
    for (let K = 1; K <= maxSubtypes; K++) {
      const rs = rows.filter((r) => r.setting === setting && r.K === K);
      const acc = median(rs.map((r) => r.conv.acceptance.reduce((a, b) => a + b, 0) / r.conv.acceptance.length));
      const fr = rs.map((r) => Math.max(...r.conv.fractions.map((f) => f.rhat ?? NaN)));
      const fe = rs.map((r) => Math.min(...r.conv.fractions.map((f) => f.essBulk ?? NaN)));
      table.push([
        setting,
        K,
        K === 1 ? fmt(median(rs.map((r) => r.mcmcWall)), 2) : '',
        fmt(acc, 3),
        fmt(median(rs.map((r) => r.conv.logLikelihood.rhat ?? NaN))),
        fmt(median(rs.map((r) => r.conv.logLikelihood.essBulk ?? NaN)), 0),
        K === 1 ? '-' : fmt(median(fr)),
        K === 1 ? '-' : fmt(median(fe), 0),
        `${rs.filter((r) => r.conv.warnings.length > 0).length}/${rs.length}`,
      ]);
    }
  }
  const w = table[0]!.map((_, j) => Math.max(...table.map((r) => String(r[j]).length)));
  for (const r of table) console.log(r.map((c, j) => String(c).padEnd(w[j]!)).join('  '));
  console.log();
}

await study('shared small cohort', readZTable(join(root, '..', 'shared', 'sustain', 'small', 'data.csv')).table, 2, 5);
if (existsSync(demoPath)) await study(`demo (${demoPath})`, readZTable(demoPath).table, 3, 6);
else console.log(`(no demo z table at ${demoPath}: run npm start for it)`);
