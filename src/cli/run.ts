import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { intOption, jobsOption, defaultThreads, oldFlags, oldNameNote, printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';
import { DEFAULT_CONFIG, applyOverrides, loadConfig, resolvePaths, type RunConfig } from '../pipeline/config.js';
import { writeDemo13Cohort, writeDemoCohort } from '../pipeline/demo-write.js';
import { DEMO_COHORT_DEFAULTS } from '../pipeline/demo-cohort.js';
import { createProgress } from '../io/progress.js';
import { UserError } from '../common/errors.js';

interface RunFlags {
  config?: string;
  printConfig?: boolean;
  manifest?: string;
  bids?: string;
  table?: string;
  clinical?: string;
  out?: string;
  seed?: number;
  jobs?: number;
  quiet?: boolean;
  force?: boolean;
  from?: string;
  set?: string[];
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function register(program: Command): void {
  program
    .command('run')
    .description('Run the whole pipeline: scans -> features -> z-scores -> SuStaIn model -> CV -> assignments -> HTML report')
    .option('-c, --config <file>', 'settings (JSON); keys left out take the defaults shown by --print-config')
    .option('--print-config', 'print the default settings as JSON and exit')
    .option('--manifest <file>', 'manifest CSV (overrides input.manifest)')
    .option('--bids <dir>', 'BIDS derivatives folder (overrides input.bids)')
    .option('--table <file>', 'feature or volume table (overrides input.table)')
    .option('--clinical <file>', 'clinical table for the outcomes step (overrides outcomes.clinical; the outcomes to analyse come from the config)')
    .option('-o, --out <dir>', 'output folder (required)')
    .option('--seed <n>', 'random seed (overrides seed)', intOption(0))
    .option('-j, --jobs <n>', "worker threads (default: the machine's cores)", jobsOption)
    .option(QUIET_FLAGS, `${QUIET_HELP}; the report path is printed`)
    .option('--force', 'recompute every step, ignoring what the output folder holds')
    .option('--from <step>', 'recompute this step and the ones after it (extract, normalise, fit, cv, kmeans, assign, outcomes, report, truth)')
    .option('--set <key=value>', 'override one setting, e.g. --set fit.mcmc=20000 (repeatable)', collect)
    .addHelpText(
      'after',
      `
Inputs: one of a manifest CSV (subject_id, labels, lesion, covariates such as group, age, sex, site;
paths relative to the manifest), a BIDS derivatives folder, or a table (input.tableFormat:
"features" for a feature CSV, "asegstats2table", "synthseg").
Outputs in --out:
  01-features.csv (+ .json sidecar, .errors.csv)   regional features per subject
  02-z.csv (+ .json sidecar), 02-normaliser.json    z-scores against the healthy controls
  03-model/model.json, 03-model/subjects.csv        SuStaIn fit for 1..fit.maxSubtypes subtypes
  04-cv/cv.json                                     cross-validation (CVIC, recommended K), if cv.enabled
  05-kmeans/model.json, subjects.csv                k-means baseline (clusters at the chosen K), if kmeans.enabled
  06-assign/subjects.csv                            subtype and stage of every subject at the chosen K
  06b-outcomes/outcomes.json (+ CSV tables)         clinical associations, if outcomes.clinical is set
  07-report/report.html (+ one SVG per figure)      the report
  truth.json                                        agreement with a known truth, if truth is set
  run-config.json                                   the settings in effect
  run-state.json                                    what each step was computed from (for resuming)
A rerun with the same settings skips the steps whose inputs and settings did not change.
The last line printed is the report's path.

Example:
  ms-subtype run --print-config > my-config.json      # edit, then:
  ms-subtype run --config my-config.json --manifest cohort.csv --out results/
  ms-subtype run --config data/demo/config.json --out out/demo   # the bundled demo`,
    )
    .action(async (flags: RunFlags) => {
      if (flags.printConfig) {
        process.stdout.write(JSON.stringify(DEFAULT_CONFIG, null, 2) + '\n');
        return;
      }
      if (!flags.out) throw new UserError('--out is required (the output folder)', { field: '--out' });
      // an old setting name still works, with a note as for an old flag
      const onOld = (where: string) => (old: string, now: string) => oldNameNote(flags.quiet, `${where} ${old}`, now);
      let cfg: RunConfig = flags.config ? loadConfig(flags.config, onOld(`${flags.config}:`)) : resolvePaths(DEFAULT_CONFIG, process.cwd());
      const sets = [...(flags.set ?? [])];
      const cli = (key: string, v: unknown) => sets.push(`${key}=${JSON.stringify(v)}`);
      if (flags.manifest) {
        cli('input.manifest', resolve(flags.manifest));
        cli('input.bids', null);
        cli('input.table', null);
      }
      if (flags.bids) {
        cli('input.bids', resolve(flags.bids));
        cli('input.manifest', null);
        cli('input.table', null);
      }
      if (flags.table) {
        cli('input.table', resolve(flags.table));
        cli('input.manifest', null);
        cli('input.bids', null);
      }
      if (flags.clinical) cli('outcomes.clinical', resolve(flags.clinical));
      if (flags.seed !== undefined) cli('seed', flags.seed);
      if (flags.jobs !== undefined) cli('jobs', flags.jobs);
      if (sets.length > 0) cfg = applyOverrides(cfg, sets, process.cwd(), '--set', onOld('--set'));
      // loaded on use: the pipeline pulls in the report's charting libraries
      const { runPipeline } = await import('../pipeline/pipeline.js');
      const result = await runPipeline(cfg, {
        out: flags.out,
        jobs: cfg.jobs ?? defaultThreads(),
        quiet: flags.quiet === true,
        force: flags.force === true,
        ...(flags.from !== undefined ? { from: flags.from } : {}),
      });
      printDone(flags.quiet, result.closing, [result.mainOutput]);
    });

  const demo = program
    .command('demo-data')
    .description('Write a simulated cohort (NIfTI label maps, lesion masks, manifest, truth) like the bundled data/demo')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--seed <n>', 'random seed', intOption(0), DEMO_COHORT_DEFAULTS.seed)
    .option('--controls <n>', 'healthy controls', intOption(0), DEMO_COHORT_DEFAULTS.controls)
    .option('--patients <n>', 'patients', intOption(0), DEMO_COHORT_DEFAULTS.patients)
    .addOption(
      new Option('--format <kind>', 'cohort layout: manifest (nifti/ + manifest.csv) or bids (a BIDS derivatives folder: sub-*/anat/*_dseg.nii.gz, participants.tsv), as extract --format')
        .choices(['manifest', 'bids'])
        .default('manifest'),
    )
    .option('--ms13', 'the 13-feature demo instead: aparc+aseg, wmparc, lesion mask, T1w and T2w per subject (4 mm), for --feature-defs data/features/ms-13.json')
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Writes OUT/nifti/<id>_dseg.nii.gz (FreeSurfer aseg label numbers, 2 mm) and <id>_lesion.nii.gz,
OUT/manifest.csv (subject_id, labels, lesion, group, age, sex, site) and OUT/truth.csv
(subject_id, group, subtype, subtype_name, stage); with --format bids, sub-NNNN/anat/ folders and
participants.tsv instead of nifti/ and the manifest. With --ms13: per subject <id>_aparc+aseg,
_wmparc, _lesion, _T1w, _T2w .nii.gz (4 mm) and a manifest with columns labels, wmparc, lesion_mask,
t1w, t2w, for the 13 published features (data/features/ms-13.json). Patients follow one of three courses (cortex-led,
lesion-led, deep-GM-led); see data/README.md. Same seed and sizes -> the same bytes.

Example:
  ms-subtype demo-data --out my-demo --controls 40 --patients 120 --seed 7
  ms-subtype run --manifest my-demo/manifest.csv --out my-demo-results
  ms-subtype demo-data --out my-bids --format bids && ms-subtype run --bids my-bids --out my-bids-results
  ms-subtype demo-data --out demo13 --ms13 && ms-subtype extract demo13/manifest.csv --feature-defs data/features/ms-13.json -o demo13/features.csv`,
    )
    .action((flags: { out: string; seed: number; controls: number; patients: number; format: 'manifest' | 'bids'; ms13?: boolean; quiet?: boolean }) => {
      const total = flags.controls + flags.patients;
      if (total === 0) throw new UserError('nothing to write: --controls and --patients are both 0');
      if (flags.ms13 && flags.format === 'bids') throw new UserError('--ms13 writes a manifest layout: leave out --format bids');
      const bar = createProgress({ label: 'demo-data', total, quiet: flags.quiet === true });
      const common = { seed: flags.seed, controls: flags.controls, patients: flags.patients, onSubject: () => bar.tick() };
      if (flags.ms13) writeDemo13Cohort(flags.out, common);
      else writeDemoCohort(flags.out, { ...common, layout: flags.format });
      bar.stop();
      printDone(flags.quiet, [`${total} subjects written to ${resolve(flags.out)}`], [resolve(flags.out)]);
    });
  // --bids DIR is an input folder on run; the layout written is a --format, as extract reads it
  oldFlags(demo, { '--bids': ['--format', 'bids'] });
}
