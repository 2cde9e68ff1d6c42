import { Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import { applyNormaliserFiles, DEFAULTS, normaliseFiles, type FilesResult, type Harmonise } from '../normalise/index.js';
import { createProgress } from '../io/progress.js';
import { intOption, listOption, oldFlags, QUIET_FLAGS, QUIET_HELP } from './options.js';

interface Opts {
  data: string;
  out: string;
  apply?: string;
  features?: string[];
  featuresSidecar?: string | false;
  covariates?: string[];
  categorical?: string[];
  controlColumn: string;
  controlValues: string[];
  higherIsAbnormal?: string[];
  lowerIsAbnormal?: string[];
  log?: string[];
  siteColumn: string;
  harmonise: Harmonise;
  combatPlain?: boolean;
  allowNewSites?: boolean;
  saveNormaliser?: string;
  minControlsPerLevel: number;
  minExtraControls: number;
  subjectColumn: string;
  sessionColumn: string;
  quiet?: boolean;
}

/** Options that define the model: fixed by the normaliser file under --apply. */
const FIT_ONLY = [
  'features',
  'featuresSidecar',
  'covariates',
  'categorical',
  'higherIsAbnormal',
  'lowerIsAbnormal',
  'log',
  'siteColumn',
  'harmonise',
  'combatPlain',
  'saveNormaliser',
  'minControlsPerLevel',
  'minExtraControls',
  'subjectColumn',
  'sessionColumn',
] as const;

const HELP = `
Inputs:
  A CSV (or TSV) with one row per subject (and session): subject_id, covariates, a column marking the
  healthy controls, and one column per feature (e.g. the table written by \`ms-subtype extract\`). When
  <data>.json exists (the extract sidecar) it gives the features, their direction (which change is
  abnormal) and transform; otherwise every numeric column that is not a covariate, the control column,
  subject_id or session is a feature, a decrease is abnormal unless --higher-is-abnormal names it.

Model (per feature, fitted on the controls only):
  y = transform(value)                           (log: log(1 + x))
  y = ComBat(y)                                  (only with --harmonise combat)
  y = b0 + b'covariates + e,   sd = sqrt(RSS / (n - p))
  z = sign * (y - predicted) / sd                (sign +1 when an increase is abnormal, else -1)
  Numeric covariates enter linearly; categorical ones (non-numeric values, --categorical, and the site
  column) as indicators against their most frequent level among the controls.

Outputs:
  <out>                   subject_id, (session), carried columns, is_control (1/0), one z column per
                          feature under its own name; an empty cell = missing feature value.
  <out>.json              sidecar: settings, "features" (the z columns, in order), the fit report
                          (coefficients, R^2, residual sd, controls per feature) and notes.
  <out minus .csv>.normaliser.json (or --save-normaliser): the fitted model, for --apply.
  Missing feature values give empty z cells (the SuStaIn fit marginalises them); rows with
  is_control = 1 are left out of \`fit\` by default. Missing covariates are an error.

With --apply only --data, --out, --allow-new-sites, --control-column/--control-values (for the
is_control flag) and --quiet apply: the normaliser fixes features, covariates and transforms.

Examples:
  ms-subtype normalise --data features.csv --control-column group --control-values HC \\
      --covariates age,sex,icv,site --out z.csv
  ms-subtype normalise --data features.csv --covariates age,sex,icv --harmonise combat --site-column site --out z.csv
  ms-subtype normalise --apply z.normaliser.json --data new-subjects.csv --out z-new.csv
`;

export function register(program: Command): void {
  const normalise = program
    .command('normalise')
    .alias('normalize')
    .description('covariate-adjusted z-scores against healthy controls (fit, or --apply a saved normaliser)')
    .requiredOption('--data <file>', 'input table (CSV/TSV): subject_id, covariates, control column, features')
    .requiredOption('-o, --out <file>', 'output z-score table (CSV); the sidecar goes to <out>.json')
    .option('--apply <normaliser>', 'apply a saved normaliser instead of fitting one')
    .option('--features <list>', "feature columns, comma-separated (default: the sidecar's, else every numeric column not used otherwise)", listOption)
    .option('--features-sidecar <file>', 'feature definitions from extract (default: <data>.json when it exists)')
    .option('--no-features-sidecar', 'do not read <data>.json even when it exists')
    .option('--covariates <list>', 'covariate columns, comma-separated (e.g. age,sex,icv,site); none: intercept only', listOption)
    .option('--categorical <list>', 'covariates to treat as categorical although their values are numbers', listOption)
    .option('--control-column <name>', 'column marking the healthy controls', DEFAULTS.controlColumn)
    .addOption(
      new Option('--control-values <list>', 'value(s) of the control column meaning "healthy control", comma-separated')
        .argParser(listOption)
        .default([...DEFAULTS.controlValues], DEFAULTS.controlValues.join(',')),
    )
    .option('--higher-is-abnormal <list>', 'features where an increase is abnormal (lesion load, ventricles)', listOption)
    .option('--lower-is-abnormal <list>', 'features where a decrease is abnormal (overrides the sidecar)', listOption)
    .option('--log <list>', 'features to log(1 + x)-transform before the fit', listOption)
    .option('--site-column <name>', 'site/scanner column: categorical, the ComBat batch, and what --allow-new-sites covers', DEFAULTS.siteColumn)
    .addOption(new Option('--harmonise <method>', 'harmonise sites before the regression').choices(['none', 'combat']).default(DEFAULTS.harmonise))
    .option('--combat-plain', 'ComBat without empirical-Bayes shrinkage of the site estimates')
    .option('--allow-new-sites', "give subjects from sites without controls the controls' mean site effect (noted in the sidecar)")
    .option('--save-normaliser <file>', 'where to save the fitted normaliser (default: <out minus .csv>.normaliser.json)')
    .option('--min-controls-per-level <n>', 'controls needed per level of a categorical covariate', intOption(2), DEFAULTS.minControlsPerLevel)
    .option('--min-extra-controls <n>', 'a feature needs (covariate columns + n) controls with a value', intOption(0), DEFAULTS.minExtraControls)
    .option('--subject-column <name>', 'subject id column', DEFAULTS.subjectColumn)
    .option('--session-column <name>', 'session column (used when present)', DEFAULTS.sessionColumn)
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText('after', HELP)
    .action((opts: Opts, cmd: Command) => {
      let r: FilesResult;
      if (opts.apply !== undefined) {
        const given = FIT_ONLY.filter((k) => cmd.getOptionValueSource(k) === 'cli');
        if (given.length > 0) {
          const flags = given.map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()));
          throw new UserError(`${flags.join(', ')} cannot be used with --apply: the normaliser file fixes the model`);
        }
      }
      // The input's MB read, then the z rows written (the fit between them is quick).
      const bar = createProgress({ label: 'normalise', total: 1, quiet: opts.quiet === true });
      const onProgress = (phase: 'reading' | 'writing', done: number, total: number) =>
        phase === 'reading' ? bar.set(Math.floor(done / 2 ** 20), Math.max(1, Math.ceil(total / 2 ** 20)), 'MB read') : bar.set(done, total, 'rows written');
      try {
        if (opts.apply !== undefined) {
          const controlGiven = cmd.getOptionValueSource('controlColumn') === 'cli' || cmd.getOptionValueSource('controlValues') === 'cli';
          r = applyNormaliserFiles({
            normaliser: opts.apply,
            data: opts.data,
            out: opts.out,
            allowNewSites: opts.allowNewSites ?? false,
            controlColumn: controlGiven ? opts.controlColumn : undefined,
            controlValues: controlGiven ? opts.controlValues : undefined,
            onProgress,
          });
        } else {
          r = normaliseFiles({
            data: opts.data,
            out: opts.out,
            featuresSidecar: opts.featuresSidecar === false ? null : opts.featuresSidecar,
            saveNormaliser: opts.saveNormaliser,
            allowNewSites: opts.allowNewSites ?? false,
            features: opts.features,
            covariates: opts.covariates ?? [],
            categorical: opts.categorical ?? [],
            controlColumn: opts.controlColumn,
            controlValues: opts.controlValues,
            higherIsAbnormal: opts.higherIsAbnormal ?? [],
            lowerIsAbnormal: opts.lowerIsAbnormal ?? [],
            log: opts.log ?? [],
            siteColumn: opts.siteColumn,
            harmonise: opts.harmonise,
            combatEb: !opts.combatPlain,
            minControlsPerLevel: opts.minControlsPerLevel,
            minExtraControls: opts.minExtraControls,
            subjectColumn: opts.subjectColumn,
            sessionColumn: opts.sessionColumn,
            onProgress,
          });
        }
      } finally {
        bar.stop();
      }
      if (opts.quiet) {
        process.stdout.write(`${r.zFile}\n`);
        return;
      }
      let controls = 0;
      for (const v of r.result.isControl) controls += v;
      const out = process.stdout;
      out.write(`normalise: ${r.result.n} rows (${controls} controls) x ${r.result.features.length} features -> ${r.zFile} (+ ${r.sidecarFile})\n`);
      if (opts.apply === undefined) {
        out.write(`normaliser: ${r.normaliserFile}${r.featuresSidecar ? ` (feature definitions from ${r.featuresSidecar})` : ''}\n`);
        out.write(
          `covariate columns: ${r.normaliser.designColumns.slice(1).join(', ') || '(none: intercept only)'}${r.normaliser.combat ? `; ComBat over ${r.normaliser.combat.batchColumn} (${r.normaliser.combat.sites.length} sites)` : ''}\n`,
        );
        out.write(`features: ${r.normaliser.features.map((f) => `${f.name}${f.transform === 'log' ? ' (log)' : ''} [${f.abnormal === 'increase' ? '+' : '-'}]`).join(', ')}\n`);
        const w = Math.max(7, ...r.normaliser.features.map((f) => f.name.length));
        out.write(`${'feature'.padEnd(w)}  controls     R^2  residual sd\n`);
        for (const f of r.normaliser.features) {
          out.write(`${f.name.padEnd(w)}  ${String(f.nControls).padStart(8)}  ${f.r2.toFixed(3).padStart(6)}  ${f.sd.toPrecision(4).padStart(11)}\n`);
        }
      }
      for (const n of opts.apply === undefined ? [...r.normaliser.notes, ...r.result.notes] : r.result.notes) process.stderr.write(n.startsWith('warning: ') ? `${n}\n` : `note: ${n}\n`);
    });
  // a list, as the run config's normalise.controlValues
  oldFlags(normalise, { '--control-value': '--control-values' });
}
