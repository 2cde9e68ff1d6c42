import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { WriteReportOptions } from '../report/index.js';
import { floatOption, intOption, numberListOption, oldFlags, QUIET_FLAGS, QUIET_HELP } from './options.js';
import { createProgress } from '../io/progress.js';
import { parseBrainMap } from '../report/brain-files.js';

// The flags are writeReport's paths plus the report options, spelled as commander gives them.
interface ReportFlags extends Omit<WriteReportOptions, 'options' | 'brainMaps' | 'features'> {
  featuresSidecar?: string;
  brainMap?: [string, string][];
  cvPositionalVariance?: boolean;
  confidenceBands?: number[];
  interval?: number;
  quiet?: boolean;
}

function bandsOption(value: string): number[] {
  const v = numberListOption(value);
  if (v.some((x) => x <= 0 || x >= 1)) throw new InvalidArgumentError(`bands are probabilities strictly between 0 and 1, got "${value}"`);
  return [...v].sort((a, b) => a - b);
}

export function register(program: Command): void {
  const report = program
    .command('report')
    .description('Write an HTML report (one self-contained file, works offline) and each figure as SVG.')
    .requiredOption('--model <file>', 'SuStaIn model file (model.json from fit)')
    .requiredOption('--subjects <file>', 'per-subject table from fit or assign (subjects.csv)')
    .requiredOption('-o, --out <dir>', 'output folder: DIR/report.html and DIR/figures/*.svg')
    .option('--subtypes <K>', 'number of subtypes to show (must match the subject table; default: the table\u2019s)', intOption(1))
    .option('--cv <file>', 'cross-validation result (cv.json): adds the CV table and CVIC plot')
    .option('--kmeans <file>', 'k-means model file: adds a comparison with plain clustering')
    .option('--normaliser-report <file>', 'sidecar of normalise (z.csv.json): controls, covariates, fit per feature')
    .option('--features-sidecar <file>', 'sidecar of extract (features.csv.json): feature definitions')
    .option('--errors <file>', 'extraction failures (features.csv.errors.csv): counted and listed')
    .option('--data <file>', 'the z-score table the subjects were assigned from (z.csv): adds the data under the model')
    .option('--outcomes <file>', 'outcomes.json of `ms-subtype outcomes`: Table 1, Kaplan-Meier curves, hazard and rate ratios, scores vs stage')
    .option('--title <text>', 'page title')
    .option('--cv-positional-variance', 'also show the cross-validated positional variance diagrams (needs --cv)')
    .option('--confidence-bands <list>', 'probability bands for "confidently assigned"', bandsOption, [0.5, 0.8, 0.95])
    .option('--interval <p>', 'width of the posterior interval of subtype sizes', floatOption(0.5, 0.999), 0.95)
    .option(
      '--brain <labelmap>',
      'brain view: paint each subtype\u2019s progression on this label map (any subject\u2019s, an atlas; needs --features-sidecar); also writes DIR/brain-view.csv',
    )
    .option(
      '--brain-map <name=file>',
      'brain view: another map on the same grid, e.g. wmparc=wmparc.mgz for features with "labelMap": "wmparc", or lesion=mask.nii.gz to paint lesion load (repeatable)',
      (v: string, prev: [string, string][] = []) => [...prev, parseBrainMap(v)],
    )
    .option('--brain-stages <list>', 'brain view: stages to draw (default: about five spread like the published figure, e.g. 1,4,10,16,34 of 39 events)', numberListOption)
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Inputs: the model and subject table of \`fit\` (or \`assign\`); optionally the CV result, a k-means model,
and the sidecars of \`normalise\` and \`extract\` (any missing part of the report is simply left out).
Outputs: DIR/report.html (no network needed to open it: figures, styles, script and the subject data
are inside) and DIR/figures/*.svg. Files are written atomically; report.html is written last.
The page's path is printed on the last line.

Example:
  ms-subtype report --model out/model.json --subjects out/subjects.csv --cv out/cv/cv.json \\
    --normaliser-report out/z.csv.json --errors out/features.csv.errors.csv --out out/report
  ms-subtype report --model out/model.json --subjects out/subjects.csv --features-sidecar out/features.csv.json \\
    --brain fs/bert/mri/aparc+aseg.mgz --brain-map wmparc=fs/bert/mri/wmparc.mgz --brain-map lesion=bert_lesions.nii.gz --out out/report`,
    )
    .action(async (f: ReportFlags) => {
      // loaded here, not at start-up: the charting libraries cost every other command time
      const { writeReport, WRITE_REPORT_STEPS } = await import('../report/index.js');
      // a bar on a terminal (not with --quiet): reading the inputs, each part of the page, the files
      const bar = createProgress({ label: 'report', total: WRITE_REPORT_STEPS, quiet: f.quiet });
      const { htmlPath, figurePaths } = await writeReport(
        {
          model: f.model,
          subjects: f.subjects,
          out: f.out,
          subtypes: f.subtypes,
          cv: f.cv,
          kmeans: f.kmeans,
          normaliserReport: f.normaliserReport,
          features: f.featuresSidecar,
          errors: f.errors,
          data: f.data,
          outcomes: f.outcomes,
          title: f.title,
          brain: f.brain,
          ...(f.brainMap !== undefined ? { brainMaps: Object.fromEntries(f.brainMap) } : {}),
          brainStages: f.brainStages,
          options: {
            cvPositionalVariance: f.cvPositionalVariance === true,
            confidenceBands: f.confidenceBands,
            interval: f.interval,
          },
        },
        (done, what) => bar.set(done, WRITE_REPORT_STEPS, what),
      ).finally(() => bar.stop());
      if (!f.quiet) process.stdout.write(`${figurePaths.length} figures in ${f.out}/figures\n`);
      process.stdout.write(`${htmlPath}\n`);
    });
  // as normalise --features-sidecar: --features is a list of columns there
  oldFlags(report, { '--features': '--features-sidecar' });
}
