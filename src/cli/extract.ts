import { Option, type Command } from 'commander';
import { extractCohort, mergeShards, parseShard, EXTRACT_DEFAULTS, type ExtractOptions } from '../extract/index.js';
import type { InputKind } from '../extract/types.js';
import { floatOption, jobsOption, oldFlags, QUIET_FLAGS, QUIET_HELP } from './options.js';

interface ExtractFlags {
  out: string;
  featureDefs?: string;
  format: InputKind | 'auto';
  lesionThreshold: number;
  jobs?: number;
  resume?: boolean;
  failFast?: boolean;
  shard?: string;
  quiet?: boolean;
  bidsDesc?: string;
  participants?: string;
  covariatesFile?: string;
  subjectFrom: 'auto' | 'folder';
}

/** `ms-subtype extract` (cohort -> feature table) and `ms-subtype merge` (shard outputs -> one table). */
export function register(program: Command): void {
  const extract = program
    .command('extract')
    .description('Regional features (volumes, lesion load, ICV, scalar-map means) for a cohort, one row per subject')
    .argument('<input...>', 'manifest CSV, BIDS derivatives folder, asegstats2table / SynthSeg --vol table, or aseg.stats file(s)')
    .requiredOption('-o, --out <file>', 'output CSV (sidecar <out>.json, failures <out>.errors.csv)')
    .option('--feature-defs <file>', 'feature definition JSON (default: the bundled data/features/aseg-ms.json)')
    .addOption(new Option('--format <kind>', 'input kind, when sniffing guesses wrong').choices(['auto', 'manifest', 'bids', 'aseg-stats', 'asegstats2table', 'synthseg']).default('auto'))
    .option('--lesion-threshold <p>', 'a lesion-mask voxel is lesion when its value >= p (probabilistic masks)', floatOption(0, 1), EXTRACT_DEFAULTS.lesionThreshold)
    .option('-j, --jobs <n>', 'worker threads (default: the number of cores)', jobsOption)
    .option('--resume', 'keep subjects already in the output (and in the checkpoint of an interrupted run); do the rest')
    .option('--fail-fast', 'stop at the first subject that fails (default: record it in the errors CSV and go on)')
    .option('--shard <i/n|auto>', 'process only shard i of n (1-based, round robin over the cohort); "auto" reads SLURM_ARRAY_TASK_*')
    .option('--bids-desc <label>', 'BIDS: use the *_desc-<label>_dseg label map when a subject has several')
    .option('--participants <file>', 'BIDS: participants.tsv to carry columns from (default: the one at the folder top)')
    .option('--covariates-file <file>', 'CSV/TSV with subject_id [, session] and covariate columns (group, age...) to join onto the input')
    .addOption(
      new Option('--subject-from <source>', 'aseg.stats: subject id from "# subjectname" (auto: else the folder) or from the folder above stats/')
        .choices(['auto', 'folder'])
        .default('auto'),
    )
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Inputs:
  Manifest CSV: subject_id, optional session, labels (label map .nii/.nii.gz/.mgz, or a FreeSurfer
  aseg.stats), optional lesion_mask, one column per scalar map the features average (the column is
  named as the map, e.g. t1t2), one column per other label map the features name (e.g. wmparc),
  the images of a ratio map (e.g. t1w, t2w for data/features/ms-13.json), and any other columns (group, age, sex, site...) carried through
  unchanged. Relative paths are relative to the manifest's folder.
  BIDS derivatives folder: sub-*/[ses-*/]anat/*_dseg.nii.gz, *_label-lesion_mask.nii.gz, *_<map>.nii.gz;
  participants.tsv columns are carried.
  Volume tables (no scans): FreeSurfer aseg.stats files (or a SUBJECTS_DIR folder of them),
  asegstats2table output, SynthSeg --vol CSV;
  give group/age/... with --covariates-file (joined on subject_id and, if it has one, session).

Outputs:
  <out>: subject_id, session, carried columns, one column per feature (mm^3 for volumes; empty =
  missing), rows in input order. <out>.json: tool version, feature definitions, input sha256s.
  <out>.errors.csv: subject_id, session, file, reason for every subject that failed; the exit code
  is then 1. <out>.partial.jsonl: checkpoint while running (--resume continues from it).

Examples:
  ms-subtype extract cohort.csv -o features.csv --jobs 8
  ms-subtype extract derivatives/synthseg -o features.csv --lesion-threshold 0.3
  ms-subtype extract aseg_volumes.tsv --covariates-file clinical.csv -o features.csv   # asegstats2table output
  ms-subtype extract $SUBJECTS_DIR --subject-from folder --covariates-file clinical.csv -o features.csv
  ms-subtype extract fs13.csv --feature-defs data/features/ms-13.json -o features.csv  # labels=aparc+aseg, wmparc, lesion_mask, t1w, t2w
  sbatch --array=1-50 --wrap 'ms-subtype extract cohort.csv --shard auto -o out/f-$SLURM_ARRAY_TASK_ID.csv'
  ms-subtype merge features.csv out/ --cohort cohort.csv
`,
    )
    .action(async (inputs: string[], flags: ExtractFlags) => {
      const opts: ExtractOptions = {
        inputs,
        out: flags.out,
        format: flags.format,
        lesionThreshold: flags.lesionThreshold,
        resume: flags.resume ?? false,
        failFast: flags.failFast ?? false,
        quiet: flags.quiet ?? false,
      };
      if (flags.featureDefs !== undefined) opts.features = flags.featureDefs;
      if (flags.jobs !== undefined) opts.jobs = flags.jobs;
      if (flags.shard !== undefined) opts.shard = parseShard(flags.shard);
      if (flags.bidsDesc !== undefined) opts.bidsDesc = flags.bidsDesc;
      if (flags.participants !== undefined) opts.participants = flags.participants;
      if (flags.covariatesFile !== undefined) opts.covariates = flags.covariatesFile;
      if (flags.subjectFrom !== 'auto') opts.subjectFrom = flags.subjectFrom;
      const r = await extractCohort(opts);
      if (!flags.quiet) for (const w of r.warnings) process.stderr.write(`ms-subtype: warning: ${w}\n`);
      const done = `${r.rows} subject(s) written to ${r.out}${r.resumed > 0 ? ` (${r.resumed} kept from earlier runs)` : ''}`;
      if (r.stopped) {
        const f = r.failures[0]!;
        process.stderr.write(`ms-subtype: stopped at the first failure (--fail-fast): subject ${f.subject}${f.session ? ` session ${f.session}` : ''}, ${f.file}: ${f.reason}\n`);
        process.stderr.write(`ms-subtype: finished subjects are kept in the checkpoint; fix the input and rerun with --resume\n`);
        process.exitCode = 1;
        return;
      }
      if (!flags.quiet) process.stderr.write(`${done}\n`);
      else process.stdout.write(`${r.out}\n`);
      if (r.failures.length > 0) {
        process.stderr.write(`ms-subtype: ${r.failures.length} subject(s) failed; reasons in ${r.errorsFile}\n`);
        process.exitCode = 1;
      }
    });

  // --features and --covariates are lists of columns elsewhere (normalise, outcomes)
  oldFlags(extract, { '--features': '--feature-defs', '--covariates': '--covariates-file' });

  const merge = program
    .command('merge')
    .description('Join the outputs of sharded extract runs into one feature table, in cohort order')
    .argument('<out>', 'merged output CSV (sidecar <out>.json, failures <out>.errors.csv, missing <out>.missing.csv)')
    .argument('<inputs...>', 'shard output CSVs, folders holding them, or patterns like "out/f-*.csv"')
    .option('--cohort <input>', 'the cohort input given to extract (manifest, BIDS folder or table), to name missing subjects and order rows by it')
    .option('--allow-missing', 'exit 0 even when some subjects are in no shard output')
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Every input must come with its sidecar (<file>.json) and have been made from the same cohort input
with the same feature definitions and settings; otherwise merge refuses. A subject in two inputs is
refused. Subjects of the cohort found in no input are listed in <out>.missing.csv (with the reason
when a shard's errors file has it) and the exit code is 1 unless --allow-missing.

Examples:
  ms-subtype merge features.csv out/ --cohort cohort.csv
  ms-subtype merge features.csv out/f-1.csv out/f-2.csv out/f-3.csv
`,
    )
    .action((out: string, inputs: string[], flags: { cohort?: string; allowMissing?: boolean; quiet?: boolean }) => {
      const r = mergeShards({ out, inputs, ...(flags.cohort !== undefined ? { manifest: flags.cohort } : {}) });
      if (!flags.quiet) process.stderr.write(`${r.rows} subject(s) from ${r.files.length} file(s) written to ${r.out}\n`);
      else process.stdout.write(`${r.out}\n`);
      if (r.absentShards.length > 0) process.stderr.write(`ms-subtype: no output given for shard(s) ${r.absentShards.join(', ')}\n`);
      if (r.missingCount > 0) {
        const named = r.missing
          .slice(0, 10)
          .map((m) => `${m.subject}${m.session ? `/${m.session}` : ''} (${m.why})`)
          .join('; ');
        process.stderr.write(
          `ms-subtype: ${r.missingCount} subject(s) of the cohort are missing${named ? `: ${named}${r.missing.length > 10 ? '; ...' : ''}` : ''}${r.missing.length > 0 ? ` (list in ${out}.missing.csv)` : ''}\n`,
        );
        if (!flags.allowMissing) process.exitCode = 1;
      }
    });
  // --manifest is a manifest CSV elsewhere (run); this is any cohort input extract took
  oldFlags(merge, { '--manifest': '--cohort' });
}
