import { Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import { defaultThreads } from '../common/pool.js';
import { sha256File } from '../io/hash.js';
import { checkSustainModel, writeModelFile } from '../io/modelfile.js';
import { resolveThresholds } from '../io/thresholds-file.js';
import { readZTable } from '../io/ztable.js';
import { compareWithPickle, importModel, PYSUSTAIN_SAMPLES } from '../import/pysustain.js';
import { readModelInput } from './model-inputs.js';
import { readPysustainRun, type PysustainFit } from '../import/pysustain-pickle.js';
import { pysustainEventMap } from '../sustain/thresholds.js';
import { assignSubjectsParallel } from '../sustain/index.js';
import type { ModelSpec, SustainModelFile, ZTable } from '../sustain/types.js';
import { floatOption, intOption, jobsOption, listOption, numberListOption, printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';

interface ImportFlags {
  data?: string;
  lYes?: string;
  lNo?: string;
  out: string;
  zvals: number[];
  zmax: number;
  thresholds?: string;
  biomarkers?: string[];
  includeControls?: boolean;
  samples: number;
  jobs: number;
  quiet?: boolean;
}

/**
 * The import's own check: on the rows pySuStaIn was fitted on, the ML model's log-likelihood must be
 * the one pySuStaIn recorded for the start of its chain, and our staging must give pySuStaIn's.
 */
async function checkAgainstPickles(model: SustainModelFile, fits: PysustainFit[], table: ZTable, jobs: number, cause: string): Promise<string[]> {
  const M = table.subjects.length;
  if (M !== fits[0]!.subjects.M) {
    return [`not checked against pySuStaIn's staging: the data has ${M} rows, pySuStaIn staged ${fits[0]!.subjects.M} (give the rows it was fitted on to check)`];
  }
  const lines: string[] = [];
  for (const fit of fits) {
    const ours = model.fits[fit.K - 1]!;
    // pySuStaIn's chain starts at its EM maximum: the first sample's likelihood is the ML model's
    const theirs = fit.samplesLikelihood[0]!;
    const a = compareWithPickle(await assignSubjectsParallel(model, table, fit.K, jobs), fit);
    const same = Math.abs(ours.logLikelihood - theirs) <= 1e-6 * Math.abs(theirs) && a.subtypeAgree === M && a.stageAgree === M && a.maxProbDiff < 1e-6;
    const what = `K=${fit.K}: ML log-likelihood ${ours.logLikelihood.toFixed(4)} (pySuStaIn ${theirs.toFixed(4)}), ml_subtype ${a.subtypeAgree}/${M}, ml_stage ${a.stageAgree}/${M} as pySuStaIn, largest probability difference ${a.maxProbDiff.toExponential(1)}`;
    lines.push(same ? `check ${what}` : `warning: ${what}: ${cause}`);
  }
  return lines;
}

/** What the pickles are read against: the table, the model spec, pySuStaIn's event numbers -> ours. */
interface ImportInput {
  table: ZTable;
  spec: ModelSpec;
  eventMap: ArrayLike<number>;
  warnings: string[];
  dataFile: string;
  dataSha256: string;
  /** the likely cause when the check fails */
  cause: string;
}

/** ZscoreSustain: a z-score table and Z_vals/Z_max; events numbered down the columns of Z_vals. */
function zscoreInput(o: ImportFlags, data: string, fit: PysustainFit): ImportInput {
  const table = readZTable(data, { biomarkers: o.biomarkers, includeControls: o.includeControls }).table;
  const th = resolveThresholds(table.biomarkers, o.zvals, o.zmax, o.thresholds);
  const eventMap = pysustainEventMap(th.matrix);
  if (eventMap.length !== fit.N) {
    throw new UserError(
      `the pickles have ${fit.N} events, the thresholds give ${eventMap.length} for ${table.biomarkers.length} biomarkers (${table.biomarkers.join(', ')}): give the Z_vals pySuStaIn was run with (--zvals, or --thresholds)`,
      { file: o.thresholds ?? fit.file },
    );
  }
  const cause = 'the data, its column order or the thresholds are not what pySuStaIn was run with';
  return { table, spec: { kind: 'zscore', ...th.thresholds }, eventMap, warnings: th.warnings, dataFile: data, dataSha256: sha256File(data), cause };
}

/** MixtureSustain: L_yes/L_no tables; pySuStaIn's events are the biomarkers' column indices. */
function mixtureInput(o: ImportFlags, fit: PysustainFit): ImportInput {
  if (o.data !== undefined) throw new UserError('give --data (ZscoreSustain pickles) or --l-yes/--l-no (MixtureSustain pickles), not both', { field: 'data' });
  if (o.thresholds !== undefined) throw new UserError('--thresholds is for ZscoreSustain pickles; MixtureSustain has no thresholds', { field: 'thresholds' });
  const input = readModelInput({ kind: 'mixture', lYes: o.lYes, lNo: o.lNo, zvals: o.zvals, zmax: o.zmax, ...(o.biomarkers ? { biomarkers: o.biomarkers } : {}) });
  if (input.biomarkers !== fit.N) {
    throw new UserError(
      `the pickles have ${fit.N} events; a MixtureSustain model has one per biomarker, and the L_yes file has ${input.biomarkers}: give the L_yes/L_no pySuStaIn was run with`,
      { file: o.lYes },
    );
  }
  const eventMap = Array.from({ length: fit.N }, (_, b) => b);
  const cause = 'the L_yes/L_no rows or their column order are not what pySuStaIn was run with';
  return { table: input.table, spec: input.spec, eventMap, warnings: input.notes, dataFile: input.dataFile, dataSha256: input.dataSha256, cause };
}

async function importCommand(pickles: string[], o: ImportFlags): Promise<void> {
  const fits = readPysustainRun(pickles);
  const mixture = o.lYes !== undefined || o.lNo !== undefined;
  if (!mixture && o.data === undefined) throw new UserError('give --data (the z-score table of ZscoreSustain pickles) or --l-yes/--l-no (MixtureSustain pickles)', { field: 'data' });
  const input = mixture ? mixtureInput(o, fits[0]!) : zscoreInput(o, o.data!, fits[0]!);
  const model = importModel(fits, input.table, input.spec, input.eventMap, {
    pickles: fits.map((f) => ({ file: f.file, sha256: sha256File(f.file) })),
    dataFile: input.dataFile,
    dataSha256: input.dataSha256,
    samples: o.samples,
  });
  checkSustainModel(model, o.out);
  const checks = await checkAgainstPickles(model, fits, input.table, o.jobs, input.cause);
  writeModelFile(o.out, model);
  if (!o.quiet) {
    for (const w of input.warnings) process.stderr.write(w + '\n');
    for (const c of checks) if (c.startsWith('warning')) process.stderr.write(c + '\n');
  }
  const lines = [
    `imported K = 1..${fits.length} from ${fits.length} pySuStaIn pickle${fits.length > 1 ? 's' : ''} (${mixture ? 'MixtureSustain' : 'ZscoreSustain'}): ${model.biomarkers.length} biomarkers, ${fits[0]!.N} events, ${fits[0]!.iterations.toLocaleString('en-US')} MCMC iterations, ${o.samples} samples kept as pySuStaIn stages subjects`,
    ...checks.filter((c) => !c.startsWith('warning')),
    `wrote ${o.out}`,
  ];
  printDone(o.quiet, lines, [o.out]);
}

export function register(program: Command): void {
  program
    .command('import-pysustain')
    .description('Bring pySuStaIn results in: its run_sustain_algorithm pickles -> model.json for assign, report, cv')
    .argument('<pickle...>', "pySuStaIn's pickle_files/<dataset>_subtype<K-1>.pickle, one per number of subtypes (all of K = 1..max)")
    .option('--data <file>', 'ZscoreSustain: the z-score table pySuStaIn was fitted on: subject_id + one column per biomarker, in its column order (names the biomarkers)')
    .option('--l-yes <file>', 'MixtureSustain: the L_yes table pySuStaIn was fitted on (subject_id + one column per biomarker, in its column order)')
    .option('--l-no <file>', 'MixtureSustain: the L_no table (same subjects and columns)')
    .requiredOption('-o, --out <file>', 'model.json to write')
    .option('--zvals <list>', "pySuStaIn's Z_vals, when every biomarker had the same thresholds", numberListOption, [1, 2, 3])
    .option('--zmax <z>', "pySuStaIn's Z_max, when the same for every biomarker", floatOption(0), 5)
    .option(
      '--thresholds <file>',
      'per-biomarker thresholds: pySuStaIn\'s {"Z_vals": [[1, 2, 0], ...], "Z_max": [5, ...]} (0 = unused; rows in column order), or {"biomarker": {"zvals": [1, 2], "zmax": 4}}',
    )
    .option('--biomarkers <list>', 'biomarker columns, in the order pySuStaIn had them (default: as for fit)', listOption)
    .option('--include-controls', 'keep rows flagged is_control (default: left out, as for fit)')
    .option('--samples <n>', 'MCMC samples kept per K, chosen as pySuStaIn does for staging', intOption(1), PYSUSTAIN_SAMPLES)
    .addOption(new Option('-j, --jobs <n>', 'worker threads for the check').argParser(jobsOption).default(defaultThreads(), 'all cores'))
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
pySuStaIn's run_sustain_algorithm saves one pickle per number of subtypes in
<output_folder>/pickle_files/. The pickles hold the MCMC chain and the EM maximum, with events
numbered pySuStaIn's way. ZscoreSustain pickles: --data names the biomarkers, and the thresholds
come from --zvals/--zmax or --thresholds as in the script that ran pySuStaIn (events numbered down
the columns of Z_vals). MixtureSustain pickles: --l-yes/--l-no (events = their columns); the model
is a mixture model fitted on likelihoods (docs/mixture.md), assigned from L_yes/L_no tables.

model.json gets, per K, the ML sequences and fractions, the training log-likelihood (recomputed on
the data), and the ${PYSUSTAIN_SAMPLES} MCMC samples pySuStaIn stages subjects with
(round(linspace(0, n_iterations - 1, ${PYSUSTAIN_SAMPLES}))), subtypes in pySuStaIn's staging order (mean
fraction, largest first), and settings.staging = "pysustain" so that \`assign\` gives pySuStaIn's
ml_subtype, ml_stage and probabilities. When the data has the rows pySuStaIn was fitted on, the
import checks that (printed as "check K=..."; a mismatch is a warning naming the likely cause).

Pickles are read without running anything in them: only numpy arrays and plain values are
accepted; any other class is refused, naming it.

Example:
  ms-subtype import-pysustain pickle_files/mystudy_subtype0.pickle pickle_files/mystudy_subtype1.pickle \\
      --data z.csv --zvals 1,2,3 --zmax 5 --out model.json
  ms-subtype assign --model model.json --data new-z.csv --out new-subjects.csv
  ms-subtype import-pysustain pickle_files/ebm_subtype0.pickle pickle_files/ebm_subtype1.pickle \\
      --l-yes l_yes.csv --l-no l_no.csv --out ebm-model.json`,
    )
    .action(async (pickles: string[], o: ImportFlags) => importCommand(pickles, o));
}
