import { Option, type Command } from 'commander';
import { UserError } from '../common/errors.js';
import { defaultThreads } from '../common/pool.js';
import { sha256File } from '../io/hash.js';
import { checkSustainModel, writeModelFile } from '../io/modelfile.js';
import { resolveThresholds } from '../io/thresholds-file.js';
import { readZTable } from '../io/ztable.js';
import { compareWithPickle, importModel, PYSUSTAIN_SAMPLES } from '../import/pysustain.js';
import { readPysustainRun, type PysustainFit } from '../import/pysustain-pickle.js';
import { pysustainEventMap } from '../sustain/thresholds.js';
import { assignSubjectsParallel } from '../sustain/index.js';
import type { SustainModelFile, ZTable } from '../sustain/types.js';
import { floatOption, intOption, jobsOption, listOption, numberListOption, printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';

interface ImportFlags {
  data: string;
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
async function checkAgainstPickles(model: SustainModelFile, fits: PysustainFit[], table: ZTable, jobs: number): Promise<string[]> {
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
    lines.push(
      same
        ? `check ${what}`
        : `warning: ${what}: the data, its column order or the thresholds are not what pySuStaIn was run with`,
    );
  }
  return lines;
}

async function importCommand(pickles: string[], o: ImportFlags): Promise<void> {
  const fits = readPysustainRun(pickles);
  const read = readZTable(o.data, { biomarkers: o.biomarkers, includeControls: o.includeControls });
  const table = read.table;
  const th = resolveThresholds(table.biomarkers, o.zvals, o.zmax, o.thresholds);
  const eventMap = pysustainEventMap(th.matrix);
  const N = fits[0]!.N;
  if (eventMap.length !== N) {
    throw new UserError(
      `the pickles have ${N} events, the thresholds give ${eventMap.length} for ${table.biomarkers.length} biomarkers (${table.biomarkers.join(', ')}): give the Z_vals pySuStaIn was run with (--zvals, or --thresholds)`,
      { file: o.thresholds ?? fits[0]!.file },
    );
  }
  const model = importModel(fits, table, { kind: 'zscore', ...th.thresholds }, eventMap, {
    pickles: fits.map((f) => ({ file: f.file, sha256: sha256File(f.file) })),
    dataFile: o.data,
    dataSha256: sha256File(o.data),
    samples: o.samples,
  });
  checkSustainModel(model, o.out);
  const checks = await checkAgainstPickles(model, fits, table, o.jobs);
  writeModelFile(o.out, model);
  if (!o.quiet) {
    for (const w of th.warnings) process.stderr.write(w + '\n');
    for (const c of checks) if (c.startsWith('warning')) process.stderr.write(c + '\n');
  }
  const lines = [
    `imported K = 1..${fits.length} from ${fits.length} pySuStaIn pickle${fits.length > 1 ? 's' : ''}: ${table.biomarkers.length} biomarkers, ${N} events, ${fits[0]!.iterations.toLocaleString('en-US')} MCMC iterations, ${o.samples} samples kept as pySuStaIn stages subjects`,
    ...checks.filter((c) => !c.startsWith('warning')),
    `wrote ${o.out}`,
  ];
  printDone(o.quiet, lines, [o.out]);
}

export function register(program: Command): void {
  program
    .command('import-pysustain')
    .description("Bring pySuStaIn results in: its run_sustain_algorithm pickles -> model.json for assign, report, cv")
    .argument('<pickle...>', "pySuStaIn's pickle_files/<dataset>_subtype<K-1>.pickle, one per number of subtypes (all of K = 1..max)")
    .requiredOption('--data <file>', 'the data pySuStaIn was fitted on: subject_id + one column per biomarker, in its column order (names the biomarkers)')
    .requiredOption('-o, --out <file>', 'model.json to write')
    .option('--zvals <list>', "pySuStaIn's Z_vals, when every biomarker had the same thresholds", numberListOption, [1, 2, 3])
    .option('--zmax <z>', "pySuStaIn's Z_max, when the same for every biomarker", floatOption(0), 5)
    .option('--thresholds <file>', 'per-biomarker thresholds: pySuStaIn\'s {"Z_vals": [[1, 2, 0], ...], "Z_max": [5, ...]} (0 = unused; rows in column order), or {"biomarker": {"zvals": [1, 2], "zmax": 4}}')
    .option('--biomarkers <list>', 'biomarker columns, in the order pySuStaIn had them (default: as for fit)', listOption)
    .option('--include-controls', 'keep rows flagged is_control (default: left out, as for fit)')
    .option('--samples <n>', 'MCMC samples kept per K, chosen as pySuStaIn does for staging', intOption(1), PYSUSTAIN_SAMPLES)
    .addOption(new Option('-j, --jobs <n>', 'worker threads for the check').argParser(jobsOption).default(defaultThreads(), 'all cores'))
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
pySuStaIn's ZscoreSustain.run_sustain_algorithm saves one pickle per number of subtypes in
<output_folder>/pickle_files/. The pickles hold the MCMC chain and the EM maximum, with events
numbered pySuStaIn's way (down the columns of Z_vals); the biomarker names come from --data and the
thresholds from --zvals/--zmax or --thresholds, as in the script that ran pySuStaIn.

model.json gets, per K, the ML sequences and fractions, the training log-likelihood (recomputed on
--data), and the ${PYSUSTAIN_SAMPLES} MCMC samples pySuStaIn stages subjects with
(round(linspace(0, n_iterations - 1, ${PYSUSTAIN_SAMPLES}))), subtypes in pySuStaIn's staging order (mean
fraction, largest first), and settings.staging = "pysustain" so that \`assign\` gives pySuStaIn's
ml_subtype, ml_stage and probabilities. When --data has the rows pySuStaIn was fitted on, the import
checks that (printed as "check K=..."; a mismatch is a warning naming the likely cause).

Pickles are read without running anything in them: only numpy arrays and plain values are
accepted; any other class is refused, naming it.

Example:
  ms-subtype import-pysustain pickle_files/mystudy_subtype0.pickle pickle_files/mystudy_subtype1.pickle \\
      --data z.csv --zvals 1,2,3 --zmax 5 --out model.json
  ms-subtype assign --model model.json --data new-z.csv --out new-subjects.csv`,
    )
    .action(async (pickles: string[], o: ImportFlags) => importCommand(pickles, o));
}
