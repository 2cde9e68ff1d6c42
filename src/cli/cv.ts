import { Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import { defaultThreads } from '../common/pool.js';
import { sha256File } from '../io/hash.js';
import { combineDirectory, CV_DEFAULTS, runCrossValidation, type CvOptions } from '../cv/run.js';
import { writeCvOutputs } from '../cv/store.js';
import type { CvResult } from '../cv/types.js';
import { RECOMMEND_DEFAULTS } from '../cv/recommend.js';
import { KIND_CHOICES, readModelInput, type ModelFlags } from './model-inputs.js';
import { checkCvMemory, fitShape } from './fit-memory.js';
import { FIT_DEFAULTS } from '../sustain/index.js';
import { readSustainModel } from '../io/modelfile.js';
import type { SustainModelFile } from '../sustain/types.js';
import { intOption, jobsOption, listOption, numberListOption, floatOption, oldFlags, oldNameNote, printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';

interface CvFlags extends ModelFlags {
  out?: string;
  combine?: string;
  maxSubtypes: number;
  folds: number;
  startpoints: number;
  mcmc: number;
  samples?: number;
  tune?: number;
  /** a full-data model.json to match the folds to (before 0.2 also the kind: zscore or mixture) */
  model?: string;
  chains?: number;
  polish?: number;
  earlyStop?: number;
  screen?: number;
  minGain: number;
  seed: number;
  stratify?: string;
  jobs: number;
  fold?: number | 'full';
  quiet?: boolean;
}

function foldOption(value: string): number | 'full' {
  if (value === 'full') return 'full';
  return intOption(1)(value);
}

export function register(program: Command): void {
  const cv = program
    .command('cv')
    .description('Choose the number of subtypes by cross-validation (CVIC and held-out log-likelihood per K)')
    .option('--data <file>', 'z-score table (CSV/TSV from `normalise`; controls are left out); with --kind mixture: raw values')
    .option('-o, --out <dir>', 'output directory (cv.json, cv.csv, fold part files, full-model.json)')
    .option('--combine <dir>', 'join the part files in DIR (from --fold runs) into DIR/cv.json and cv.csv')
    .option('--biomarkers <list>', 'biomarker columns (default: the normaliser sidecar, else every numeric column)', listOption)
    .option('--include-controls', 'keep rows flagged is_control')
    .option('--zvals <list>', 'z thresholds of every biomarker', numberListOption, [1, 2, 3])
    .option('--zmax <z>', 'z at the end of the disease course', floatOption(0), 5)
    .option('--thresholds <file>', 'per-biomarker thresholds (JSON: {"biomarker": {"zvals": [..], "zmax": z}})')
    .option('--max-subtypes <K>', 'fit and score K = 1..K subtypes', intOption(1, 20), CV_DEFAULTS.maxSubtypes)
    .option('--folds <F>', 'number of folds', intOption(2, 1000), CV_DEFAULTS.folds)
    .option('--startpoints <n>', 'EM start points of every fit', intOption(1), CV_DEFAULTS.startpoints)
    .option('--mcmc <n>', 'MCMC iterations of every fit (0: score the ML model only)', intOption(0), CV_DEFAULTS.mcmcIterations)
    .option('--samples <n>', 'posterior samples kept per fit (default: as fit)', intOption(1))
    .option('--chains <n>', 'MCMC chains per K of every fit (default: 1 for the folds, as fit for the full-data model)', intOption(1, 64))
    .option('--polish <n>', "EM runs per round polishing each K's optimum in every fit (default: as fit, 4; 0: none)", intOption(0))
    .option('--early-stop <n>', 'stop a set of EM start points once its best optimum has been reached n times, in every fit (default: as fit, 2; 0: run them all)', intOption(0))
    .option('--screen <n>', `cohorts of at least 2n subjects: screen every fit's EM start points on a random n of them (default: as fit, ${FIT_DEFAULTS.screen}; 0: off)`, intOption(0))
    .option('--tune <n>', 'iterations of each MCMC tuning pass (default: as fit)', intOption(2))
    .option('--seed <n>', 'random seed (folds and every fit derive from it)', intOption(-(2 ** 52), 2 ** 52), CV_DEFAULTS.seed)
    .option('--min-gain <x>', 'recommendation: smallest gain per held-out subject (log-likelihood units) that counts', floatOption(0), RECOMMEND_DEFAULTS.minGainPerSubject)
    .option('--stratify <column>', 'balance the folds on this column of the data (e.g. diagnosis)')
    .option('--time <column>', 'longitudinal data (session + this time column, as fit --time): folds hold out whole subjects, never single visits')
    .addOption(new Option('--kind <kind>', 'the model to cross-validate: zscore (default), or mixture (as fit --kind)').choices(KIND_CHOICES))
    .option('--model <file>', 'a full-data model.json to match the folds to (its kind is the kind; default: fitted here with the same settings)')
    .option('--l-yes <file>', 'mixture: L_yes per subject and biomarker (with --l-no, instead of --data)')
    .option('--l-no <file>', 'mixture: L_no per subject and biomarker')
    .addOption(new Option('--mixture <type>', 'mixture from raw --data: gmm or kde (as fit)').choices(['gmm', 'kde']).default('gmm'))
    .option('--control-column <name>', 'mixture from raw --data: column marking the controls (default group)')
    .option('--control-value <list>', 'value(s) of the control column meaning "healthy control" (default HC)', listOption)
    .option('--higher-is-abnormal <list>', 'mixture: biomarkers where higher values are abnormal (default: detected)', listOption)
    .option('--lower-is-abnormal <list>', 'mixture: biomarkers where lower values are abnormal', listOption)
    .addOption(new Option('-j, --jobs <n>', 'worker threads').argParser(jobsOption).default(defaultThreads(), 'all cores'))
    .option('--fold <i>', 'run only fold i (1-based) or "full" (the full-data part) and write its part file', foldOption)
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Each fold's SuStaIn fit (K = 1..max) is trained on the other folds; its held-out subjects are scored
under every posterior sample. Per K: CVIC = -2 * sum over held-out subjects of log(mean over samples
of their likelihood), and the held-out log-likelihood per fold (mean over samples).

Recommendation: the smallest K whose held-out log-likelihood is not meaningfully worse than the best
K's: worse by at most one standard error of the paired per-fold differences, or by at most --min-gain
per held-out subject (smallest CVIC alone over-splits when the gain is noise).
cv.json says why in "rule"; "cvicChoice" is what smallest CVIC picks.

Outputs in --out: cv.json (table, recommendedSubtypes, rule, cross-validated positional variance,
stability = adjusted Rand index of each fold model's assignment of all subjects vs the full model's),
cv.csv (one row per K), fold-<i>.json / fold-full.json (parts; reused when rerun with the same
settings), full-model.json (the full-data model).

Examples:
  ms-subtype cv --data z.csv --zvals 1,2,3 --zmax 5 --max-subtypes 3 --folds 10 \\
                --startpoints 25 --mcmc 10000 --seed 1 --out cv/
  # on a cluster: one job per fold, one for the full-data model, then combine
  ms-subtype cv --data z.csv --folds 10 --seed 1 --out cv/ --fold 3
  ms-subtype cv --data z.csv --folds 10 --seed 1 --out cv/ --fold full
  ms-subtype cv --combine cv/`,
    )
    .action(async (flags: CvFlags) => {
      if (flags.combine !== undefined) {
        if (flags.data !== undefined || flags.fold !== undefined) throw new UserError('--combine DIR takes no --data or --fold: it joins the part files already in DIR');
        const result = combineDirectory(flags.combine, flags.minGain);
        const files = writeCvOutputs(flags.combine, result);
        printResult(result, files.json, flags.quiet);
        return;
      }
      if (flags.data === undefined && flags.lYes === undefined) throw new UserError('--data is required (or --combine DIR)', { field: 'data' });
      if (flags.out === undefined) throw new UserError('--out is required', { field: 'out' });
      const { kind, givenFile, given } = kindAndModel(flags);
      const input = readModelInput({ ...flags, ...(kind !== undefined ? { kind } : {}) });
      if (!flags.quiet) for (const w of input.notes) process.stderr.write(w + '\n');
      const data = input.table;
      // too big for this machine: one line now, not a crash half-way
      checkCvMemory(input.dataFile, fitShape(input), {
        maxSubtypes: flags.maxSubtypes,
        startpoints: flags.startpoints,
        chains: flags.chains ?? FIT_DEFAULTS.chains,
        mcmc: flags.mcmc,
        polish: flags.polish ?? FIT_DEFAULTS.polish,
        jobs: flags.jobs,
        folds: flags.folds,
        onePart: flags.fold !== undefined,
      });
      if (flags.stratify !== undefined && data.biomarkers.includes(flags.stratify)) {
        throw new UserError(`--stratify ${flags.stratify}: that column is read as a biomarker; name the biomarkers with --biomarkers`, {
          file: flags.data,
          field: flags.stratify,
        });
      }
      const opts: CvOptions = {
        folds: flags.folds,
        maxSubtypes: flags.maxSubtypes,
        startpoints: flags.startpoints,
        mcmcIterations: flags.mcmc,
        seed: flags.seed,
        jobs: flags.jobs,
        minGainPerSubject: flags.minGain,
        dataFile: input.dataFile,
        dataSha256: input.dataSha256,
        quiet: flags.quiet === true,
      };
      if (flags.samples !== undefined) opts.samplesKept = flags.samples;
      if (flags.tune !== undefined) opts.mcmcTuneIterations = flags.tune;
      if (flags.chains !== undefined) opts.chains = flags.chains;
      if (flags.polish !== undefined) opts.polish = flags.polish;
      if (flags.earlyStop !== undefined) opts.earlyStop = flags.earlyStop;
      if (flags.screen !== undefined) opts.screen = flags.screen;
      if (flags.stratify !== undefined) opts.stratify = flags.stratify;
      if (flags.time !== undefined) opts.time = flags.time;
      if (flags.fold !== undefined) opts.part = flags.fold;
      if (given !== undefined && givenFile !== undefined) opts.model = { model: given, sha256: sha256File(givenFile), file: givenFile };
      const summary = await runCrossValidation(data, input.spec, flags.out, opts);
      if (summary.result === undefined) {
        const what = flags.fold === 'full' ? 'the full-data part' : `fold ${String(flags.fold)}`;
        printDone(flags.quiet, [`${what} ${summary.partsReused > 0 ? 'was already done' : 'done'}: ${summary.files.join(', ')}`], summary.files);
        return;
      }
      if (summary.partsReused > 0 && !flags.quiet) process.stdout.write(`reused ${summary.partsReused} finished part(s) from ${flags.out}\n`);
      printResult(
        summary.result,
        summary.files.find((f) => f.endsWith('cv.json'))!,
        flags.quiet,
      );
    });
  oldFlags(cv, { '--mcmc-tune': '--tune' });
}

/**
 * The kind to cross-validate and the full-data model file, if given: --kind, and --model FILE (whose
 * kind is then the kind). `--model zscore|mixture` is the old spelling of --kind, still accepted.
 */
function kindAndModel(flags: CvFlags): { kind?: string; givenFile?: string; given?: SustainModelFile } {
  let kind = flags.kind;
  let givenFile = flags.model;
  if (givenFile !== undefined && KIND_CHOICES.includes(givenFile)) {
    oldNameNote(flags.quiet, `cv --model ${givenFile}`, `--kind ${givenFile}`);
    if (kind !== undefined && kind !== givenFile) throw new UserError(`--model ${givenFile} (the old spelling of --kind ${givenFile}) and --kind ${kind} disagree`, { field: 'kind' });
    kind = givenFile;
    givenFile = undefined;
  }
  if (givenFile === undefined) return kind === undefined ? {} : { kind };
  const given = readSustainModel(givenFile);
  const own = given.method === 'sustain-mixture' ? 'mixture' : 'zscore';
  if (kind !== undefined && kind !== own) throw new UserError(`--kind ${kind}, but the --model file is a ${own} model`, { file: givenFile, field: 'kind' });
  return { kind: own, givenFile, given };
}

function printResult(r: CvResult, file: string, quiet: boolean | undefined): void {
  const lines = [
    'K  CVIC           held-out loglik (mean ± sd)  stability (ARI)',
    ...r.table.map(
      (t) =>
        `${String(t.subtypes).padEnd(2)} ${t.cvic.toFixed(2).padStart(13)}  ${t.testLogLikelihoodMean.toFixed(2).padStart(12)} ± ${t.testLogLikelihoodSd.toFixed(2).padEnd(10)}  ${t.stabilityMean === undefined ? '' : t.stabilityMean.toFixed(3)}`,
    ),
    `smallest CVIC: ${r.cvicChoice}; recommended: ${r.recommendedSubtypes}`,
    r.rule,
    `wrote ${file}`,
  ];
  printDone(quiet, lines, [file]);
}
