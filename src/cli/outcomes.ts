import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { OUTCOMES_DEFAULTS, plannedDrawFits, runOutcomes } from '../outcomes/index.js';
import { createProgress } from '../io/progress.js';
import { summaryLines } from '../outcomes/summary.js';
import { intOption, listOption, printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';

interface OutcomesFlags {
  subjects: string;
  clinical: string;
  out: string;
  survival?: { time: string; event: string }[];
  counts?: { count: string; exposure: string }[];
  scores?: string[];
  covariates?: string[];
  treatment?: string;
  treatmentReference?: string;
  referenceSubtype: number;
  draws: number;
  seed: number;
  quiet?: boolean;
}

/** "a:b,c:d" -> [[a,b],[c,d]] */
function pairs(value: string, what: string): [string, string][] {
  return listOption(value).map((p) => {
    const parts = p.split(':');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new InvalidArgumentError(`expected ${what} pairs separated by commas, got "${p}"`);
    return [parts[0]!.trim(), parts[1]!.trim()];
  });
}

export function register(program: Command): void {
  program
    .command('outcomes')
    .description('What the subtypes and stages mean for patients: Table 1, survival (Kaplan-Meier, log-rank, Cox), counts (Poisson, negative binomial), scores vs stage, treatment response.')
    .requiredOption('--subjects <file>', 'subject table from fit or assign (subjects.csv)')
    .requiredOption('--clinical <file>', 'clinical table: subject_id (and session when subjects.csv has one), covariates, outcomes')
    .requiredOption('-o, --out <dir>', 'output folder: DIR/outcomes.json and CSV tables with .json sidecars')
    .option('--survival <list>', 'time-to-event outcomes as TIME:EVENT column pairs (event 1 = happened, 0 = censored)', (v) =>
      pairs(v, 'TIME:EVENT').map(([time, event]) => ({ time, event })),
    )
    .option('--counts <list>', 'count outcomes as COUNT:EXPOSURE column pairs (e.g. relapses:followup_years)', (v) =>
      pairs(v, 'COUNT:EXPOSURE').map(([count, exposure]) => ({ count, exposure })),
    )
    .option('--scores <list>', 'continuous or ordinal scores to relate to stage (e.g. edss,sdmt)', listOption)
    .option('--covariates <list>', 'adjustment covariates (text columns are categorical); models are reported unadjusted and adjusted', listOption)
    .option('--treatment <column>', 'treatment arm column: subtype x treatment interaction and the effect within each subtype')
    .option('--treatment-reference <level>', 'treatment level the others are compared with (default: the first in sorted order)')
    .option('--reference-subtype <k>', 'subtype the others are compared with (numbered as in subjects.csv)', intOption(0), OUTCOMES_DEFAULTS.referenceSubtype)
    .option('--draws <n>', 'draws of each patient\u2019s subtype from its posterior probabilities, pooled by Rubin\u2019s rules (0 = off)', intOption(0, 1000), OUTCOMES_DEFAULTS.draws)
    .option('--seed <n>', 'random seed of the draws', intOption(0), OUTCOMES_DEFAULTS.seed)
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Inputs: subjects.csv of \`fit\` or \`assign\` (subtype, stage, probabilities; controls flagged by its
is_control column) and a clinical CSV/TSV joined on subject_id (and session when both tables have one).
A covariate may also come from subjects.csv's carried columns (age, sex... from the manifest).
Empty or NA cells are missing: each model uses the subjects with every value it needs.
Subtype models use patients past stage 0; stage models and score analyses use all patients.

Outputs: DIR/outcomes.json (every estimate, interval, p-value, n, events, model and covariates; read by
\`report --outcomes\`), DIR/table1.csv, km.csv, survival.csv, counts.csv, treatment.csv, scores.csv,
each with a .json sidecar. outcomes.json is written last. A summary goes to stdout, warnings (e.g.
subjects without clinical data, estimates left out) to stderr; the path of outcomes.json is the last line.

Example:
  ms-subtype outcomes --subjects out/06-assign/subjects.csv --clinical clinical.csv \\
    --survival cdp_years:cdp_event --counts relapses:followup_years --scores edss \\
    --covariates age,sex --treatment arm --treatment-reference placebo --out out/outcomes`,
    )
    .action((f: OutcomesFlags) => {
      const settings = {
        survival: f.survival ?? [],
        counts: f.counts ?? [],
        scores: f.scores ?? [],
        covariates: f.covariates ?? [],
        treatment: f.treatment ?? null,
        treatmentReference: f.treatmentReference ?? null,
        referenceSubtype: f.referenceSubtype,
        draws: f.draws,
        seed: f.seed,
      };
      // The refits on posterior draws are most of the time on a large cohort.
      const bar = createProgress({ label: 'outcomes', total: Math.max(1, plannedDrawFits(settings)), quiet: f.quiet === true });
      let result;
      try {
        result = runOutcomes(f.subjects, f.clinical, f.out, settings, () => bar.tick(1, 'refits on posterior subtype draws')).result;
      } finally {
        bar.stop();
      }
      const main = join(f.out, 'outcomes.json');
      if (!f.quiet) for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      printDone(f.quiet, [...summaryLines(result), main], [main]);
    });
}
