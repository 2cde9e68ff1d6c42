/**
 * Time of `ms-subtype outcomes` (in-process, from the CSV files to outcomes.json) by cohort size and
 * number of posterior draws, as ratios to the smallest case.
 *
 *   npm run bench:outcomes [-- --sizes 1000,10000 --draws 0,20]
 *
 * The cohort is the demo generator's (subjects and clinical table with the demo's link), the subject
 * table taken from its truth with probability 0.8 on the true subtype. Every analysis runs: Table 1,
 * Kaplan-Meier, log-rank, Cox (unadjusted, adjusted, stage) with the PH test, Poisson and negative
 * binomial, treatment interaction and within-subtype effects, score vs stage, and each subtype model
 * once per draw. Peak RSS is the process's, so run one size at a time for memory.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './tmp.js';
import { runOutcomes } from '../src/outcomes/index.js';
import { writeTruthSubjects } from '../test/outcomes/demo-data.js';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(k);
  return (i >= 0 ? process.argv[i + 1]! : d).split(',').map(Number);
};
const sizes = arg('--sizes', '1000,10000');
const drawsList = arg('--draws', '0,20');
const dir = benchDir('bench-outcomes-');
try {
  const rows: { n: number; draws: number; s: number }[] = [];
  for (const n of sizes) {
    const subjects = join(dir, `s${n}.csv`);
    const clinical = join(dir, `c${n}.csv`);
    writeTruthSubjects(subjects, clinical, { patients: n, controls: Math.round(n / 10) }, 0.8);
    for (const draws of drawsList) {
      const t0 = performance.now();
      runOutcomes(subjects, clinical, join(dir, `o${n}-${draws}`), {
        survival: [{ time: 'cdp_years', event: 'cdp_event' }],
        counts: [{ count: 'relapses', exposure: 'followup_years' }],
        scores: ['edss'],
        covariates: ['age', 'sex'],
        treatment: 'arm',
        treatmentReference: 'placebo',
        referenceSubtype: 0,
        draws,
        seed: 1,
      });
      rows.push({ n, draws, s: (performance.now() - t0) / 1000 });
    }
  }
  const base = rows[0]!.s;
  process.stdout.write('patients  draws  seconds  ratio\n');
  for (const r of rows) process.stdout.write(`${String(r.n).padStart(8)}  ${String(r.draws).padStart(5)}  ${r.s.toFixed(2).padStart(7)}  ${(r.s / base).toFixed(1).padStart(5)}\n`);
  process.stdout.write(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
