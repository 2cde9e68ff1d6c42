import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { defaultThreads } from '../common/pool.js';
import { sha256File } from '../io/hash.js';
import { readModelFile, writeModelFile } from '../io/modelfile.js';
import { createProgress } from '../io/progress.js';
import { readZTable, sidecarFeatures } from '../io/ztable.js';
import { readAssignInput, readAssignVisits, readModelInput, KIND_CHOICES, type ModelFlags } from './model-inputs.js';
import { assignSubjectsParallel, fitSustain, FIT_DEFAULTS } from '../sustain/index.js';
import { checkFitMemory, fitShape } from './fit-memory.js';
import type { Assignment, ModelFile, SustainModelFile, ZTable } from '../sustain/types.js';
import { writeSubjects } from '../io/subjects.js';
import { streamAssign } from './assign-write.js';
import { exceedanceMessage, zExceedance, type Exceedance } from '../normalise/exceedance.js';
import { modelConvergenceWarnings } from '../sustain/chains.js';
import { floatOption, intOption, jobsOption, listOption, numberListOption, oldFlags, printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';
import { joinHistory, readHistory, selectRows } from './longitudinal.js';
import type { LongitudinalRead } from '../io/visits.js';
import { longitudinalColumns } from '../sustain/longitudinal/columns.js';
import type { LongitudinalAssignment } from '../sustain/longitudinal/assign.js';
import { visitCounts, type GroupedTable } from '../sustain/longitudinal/visits.js';

/** z-scores far above zmax are fitted, but never silently. */
function warnAbove(e: Exceedance | null, quiet: boolean | undefined): void {
  const msg = e === null ? null : exceedanceMessage(e);
  if (msg !== null && !quiet) process.stderr.write(`warning: ${msg}\n`);
}

/** `lon`: longitudinal data (rows grouped by subject in time order). */
async function assignAny(model: ModelFile, table: ZTable, K: number | undefined, threads: number, quiet?: boolean, lon?: GroupedTable | null): Promise<Assignment> {
  // k-means (and its library) loads only when used: it is a large part of a small fit's start-up
  if (model.method === 'kmeans') return (await import('../cv/kmeans.js')).assignKmeans(model, table, K ?? model.fits[model.fits.length - 1]!.subtypes);
  const bar = createProgress({ label: 'assign', total: table.subjects.length, quiet });
  try {
    const longitudinal = lon ? { start: lon.layout.start, times: lon.layout.times } : undefined;
    return await assignSubjectsParallel(model, table, K, threads, undefined, bar.active ? (done, total) => bar.set(done, total, 'subjects') : undefined, longitudinal);
  } finally {
    bar.stop();
  }
}

interface FitFlags extends ModelFlags {
  out: string;
  method: 'sustain' | 'kmeans';
  maxSubtypes: number;
  subtypes?: number;
  startpoints: number;
  mcmc: number;
  chains: number;
  tune?: number;
  polish: number;
  earlyStop: number;
  screen: number;
  samples: number;
  seed: number;
  restarts?: number;
  jobs: number;
  quiet?: boolean;
}

async function fitCommand(o: FitFlags): Promise<void> {
  if (o.subtypes !== undefined && o.subtypes > o.maxSubtypes) throw new UserError(`--subtypes ${o.subtypes} is more than --max-subtypes ${o.maxSubtypes}`);
  if (o.time !== undefined && o.method === 'kmeans') throw new UserError('--time (longitudinal data) works with --method sustain only');
  const modelPath = join(o.out, 'model.json');
  const subjectsPath = join(o.out, 'subjects.csv');
  let model: ModelFile;
  let above: Exceedance | null = null;
  const t0 = Date.now();
  let table: ZTable;
  let what: string;
  let data: { file: string; sha256: string };
  // what the mixtures decided is part of the result (printed with it)
  let notes: string[] = [];
  let lon: LongitudinalRead | null = null;
  if (o.method === 'kmeans') {
    if (o.kind !== undefined && o.kind !== 'zscore') throw new UserError('--method kmeans clusters a z-score table; it takes no --kind', { field: 'kind' });
    if (o.data === undefined) throw new UserError('--data is required', { field: 'data' });
    const read = readZTable(o.data, { biomarkers: o.biomarkers, includeControls: o.includeControls });
    table = read.table;
    if (!o.quiet) for (const n of read.notes) process.stderr.write(`note: ${n}\n`);
    what = `${table.subjects.length} subjects x ${table.biomarkers.length} biomarkers (${read.biomarkerSource})${read.excludedControls > 0 ? `, ${read.excludedControls} control rows left out` : ''}`;
    data = { file: o.data, sha256: sha256File(o.data) };
    model = (await import('../cv/kmeans.js')).fitKmeansModel(table, { maxSubtypes: o.maxSubtypes, seed: o.seed, ...(o.restarts !== undefined ? { restarts: o.restarts } : {}) });
    model.training = { ...model.training, dataFile: data.file, dataSha256: data.sha256 };
  } else {
    const input = readModelInput(o);
    table = input.table;
    lon = input.lon ?? null;
    what = `${lon ? `${lon.layout.subjects.length} subjects (${table.subjects.length} visits, longitudinal)` : `${table.subjects.length} subjects`} x ${input.biomarkers} biomarkers ${input.source}`;
    data = { file: input.dataFile, sha256: input.dataSha256 };
    if (input.spec.kind === 'zscore') {
      if (!o.quiet) for (const w of input.notes) process.stderr.write(w + '\n');
      above = zExceedance(table.values, table.biomarkers, input.spec.zmax);
      warnAbove(above, o.quiet);
    } else notes = input.notes;
    if (table.subjects.length < 2) throw new UserError(`fitting needs at least 2 subjects, the table has ${table.subjects.length}`, { file: data.file });
    // too big for this machine: one line now, not a crash half-way
    checkFitMemory(data.file, fitShape(input), o);
    const bar = createProgress({ label: 'fit', total: 1, quiet: o.quiet });
    try {
      model = await fitSustain(table, input.spec, {
        seed: o.seed,
        maxSubtypes: o.maxSubtypes,
        startpoints: o.startpoints,
        mcmcIterations: o.mcmc,
        chains: o.chains,
        mcmcTuneIterations: o.tune,
        polish: o.polish,
        earlyStop: o.earlyStop,
        screen: o.screen,
        samplesKept: o.samples,
        threads: o.jobs,
        dataFile: data.file,
        dataSha256: data.sha256,
        ...(lon ? { longitudinal: { visits: visitCounts(lon.layout.start), timeColumn: lon.timeColumn } } : {}),
        onProgress: (p) => {
          bar.set(
            p.done,
            p.total,
            `${p.phase}${p.mcmcIterations ? ` ${p.mcmcIterations.done.toLocaleString('en-US')}/${p.mcmcIterations.total.toLocaleString('en-US')} iterations` : ''}, K=${p.subtypes}, best log-likelihood ${Number.isFinite(p.bestLogLik) ? p.bestLogLik.toFixed(2) : '-'}`,
          );
        },
      });
    } finally {
      bar.stop();
    }
  }
  writeModelFile(modelPath, model);
  const prov = { method: model.method, model: { file: modelPath, sha256: sha256File(modelPath) }, data, zAboveZmax: above };
  let K: number;
  if (lon) {
    const assignment = await assignAny(model, table, o.subtypes, o.jobs, o.quiet, lon);
    // longitudinal: the per-visit columns, with each visit's cross-sectional answer for comparison
    const extra = longitudinalColumns(assignment as LongitudinalAssignment, lon, lon.timeColumn, await assignAny(model, table, assignment.subtypes, o.jobs, true));
    writeSubjects(subjectsPath, assignment, { ...table.carried, ...extra }, prov);
    K = assignment.subtypes;
  } else {
    // scored and written block by block (assign-write.ts): no result per subject held beside the table
    K = await streamAssign(model, table, { out: subjectsPath, subtypes: o.subtypes, jobs: o.jobs, quiet: o.quiet, file: data.file }, prov);
  }
  const lines = [...notes, `fitted ${what} in ${((Date.now() - t0) / 1000).toFixed(1)} s`];
  for (const f of model.fits) {
    const extra = 'logLikelihood' in f ? `log-likelihood ${f.logLikelihood.toFixed(4)}` : `silhouette ${f.subtypes === 1 ? 'undefined (one cluster)' : f.silhouette.toFixed(3)}`;
    lines.push(`K=${f.subtypes}: ${extra}, fractions ${f.fractions.map((v) => v.toFixed(3)).join(', ')}`);
  }
  lines.push(`wrote ${modelPath} and ${subjectsPath} (+ .json sidecar; K=${K})`);
  printDone(o.quiet, lines, [modelPath, subjectsPath]);
  // the posterior the outputs rest on may not be reliable: say so (unless --quiet, like every warning)
  if (model.method !== 'kmeans' && !o.quiet) for (const w of modelConvergenceWarnings(model)) process.stderr.write(`warning: ${w}\n`);
}

interface AssignFlags {
  model: string;
  data?: string;
  lYes?: string;
  lNo?: string;
  out: string;
  subtypes?: number;
  time?: string;
  history?: string;
  historyLYes?: string;
  historyLNo?: string;
  jobs: number;
  quiet?: boolean;
}

async function assignCommand(o: AssignFlags): Promise<void> {
  const model = readModelFile(o.model);
  // longitudinal with --time, or when the model was fitted with a time column that the data has
  const time = o.time ?? (typeof model.settings['time'] === 'string' ? model.settings['time'] : undefined);
  const visits = time === undefined || model.method === 'kmeans' ? null : readAssignVisits(model, o, time, o.time !== undefined);
  if (visits !== null && model.method !== 'kmeans') return assignLongitudinalCommand(o, model, visits);
  if (o.time !== undefined) throw new UserError('--time (longitudinal data) needs a SuStaIn model and --data (or --l-yes/--l-no)');
  if (o.history !== undefined || o.historyLYes !== undefined) throw new UserError('--history needs longitudinal data: name its time column with --time (or fit the model with --time)');
  const read = readAssignInput(model, o);
  if (!o.quiet) for (const n of read.notes) process.stderr.write(`note: ${n}\n`);
  // A biomarker column of the data (by its sidecar) that the model does not know is an error:
  // the model would silently ignore information the user meant it to use.
  const side = o.data === undefined ? null : sidecarFeatures(o.data);
  if (side) {
    const extra = side.filter((b) => !model.biomarkers.includes(b));
    if (extra.length > 0)
      throw new UserError(`biomarker column(s) ${extra.join(', ')} are not in the model (model biomarkers: ${model.biomarkers.join(', ')})`, { file: o.data, field: extra[0] });
  }
  const above = model.method === 'sustain-zscore' ? zExceedance(read.table.values, read.table.biomarkers, model.zmax) : null;
  warnAbove(above, o.quiet);
  // scored and written block by block: memory holds the table, not a result per subject
  const prov = { method: model.method, model: { file: o.model, sha256: sha256File(o.model) }, data: { file: read.file, sha256: read.sha256 }, zAboveZmax: above };
  const K = await streamAssign(model, read.table, { out: o.out, subtypes: o.subtypes, jobs: o.jobs, quiet: o.quiet, file: read.file }, prov);
  printDone(o.quiet, [`assigned ${read.table.subjects.length} subjects to the ${K}-subtype model; wrote ${o.out} (+ .json sidecar)`], [o.out]);
}

/** assign with visits: one subtype per subject, stages along each subject's path; --history adds earlier visits. */
async function assignLongitudinalCommand(o: AssignFlags, model: SustainModelFile, input: { lon: LongitudinalRead; file: string; sha256: string }): Promise<void> {
  const next = input.lon;
  const time = next.timeColumn;
  const file = next.read.file;
  const history = readHistory(model, o, time);
  const joined = history === null ? null : joinHistory(history, next, time, file);
  const g = joined ? joined.grouped : next;
  const all = await assignAny(model, g.table, o.subtypes, o.jobs, o.quiet, g);
  const cols = { ...g.table.carried, ...longitudinalColumns(all as LongitudinalAssignment, g, time, await assignAny(model, g.table, all.subtypes, o.jobs, true)) };
  const out = joined ? selectRows(all, cols, joined.isNew) : { a: all, cols };
  writeSubjects(o.out, out.a, out.cols, { method: model.method, model: { file: o.model, sha256: sha256File(o.model) }, data: { file: input.file, sha256: input.sha256 } });
  const J = new Set(out.a.subjects).size;
  printDone(
    o.quiet,
    [
      `assigned ${J} subjects (${out.a.subjects.length} visits${joined ? `, with ${g.table.subjects.length - out.a.subjects.length} earlier visits from ${o.history ?? o.historyLYes}` : ''}) to the ${all.subtypes}-subtype model; wrote ${o.out} (+ .json sidecar)`,
    ],
    [o.out],
  );
}

export function register(program: Command): void {
  const fit = program
    .command('fit')
    .description('Fit SuStaIn subtypes and stages (K = 1..max) to a z-score table')
    .option('--data <file>', 'z-score table: subject_id + one column per biomarker (larger = more abnormal); with --kind mixture: raw values')
    .addOption(new Option('--kind <kind>', 'the model: zscore, or mixture (event-based: one event per biomarker, see docs/mixture.md)').choices(KIND_CHOICES).default('zscore'))
    .option('--l-yes <file>', 'mixture: per-subject, per-biomarker likelihood of the abnormal component (subject_id + one column per biomarker)')
    .option('--l-no <file>', 'mixture: likelihood of the normal component (same subjects and columns as --l-yes)')
    .addOption(new Option('--mixture <type>', 'mixture from raw --data: Gaussian mixture, or kernel density estimates').choices(['gmm', 'kde']).default('gmm'))
    .option('--control-column <name>', 'mixture from raw --data: column marking the healthy controls (default group)')
    .option('--control-value <list>', 'value(s) of the control column meaning "healthy control" (default HC)', listOption)
    .option('--higher-is-abnormal <list>', 'mixture: biomarkers where higher values are abnormal (default: detected, patients vs controls)', listOption)
    .option('--lower-is-abnormal <list>', 'mixture: biomarkers where lower values are abnormal', listOption)
    .requiredOption('-o, --out <dir>', 'output directory (model.json, subjects.csv)')
    .option('--zvals <list>', 'z thresholds (events) of every biomarker', numberListOption, [1, 2, 3])
    .option('--zmax <z>', 'z at the end of the disease course (normally above the largest threshold)', floatOption(0), 5)
    .option(
      '--thresholds <file>',
      'per-biomarker thresholds, JSON {"biomarker": {"zvals": [1, 2], "zmax": 4}}, or pySuStaIn\'s {"Z_vals": [[1, 2, 0], ...], "Z_max": [4, ...]} (0 = unused); overrides --zvals/--zmax',
    )
    .option('--max-subtypes <K>', 'fit K = 1..K subtypes', intOption(1, 20), FIT_DEFAULTS.maxSubtypes)
    .option('--subtypes <K>', 'which K to write to subjects.csv (default: the largest)', intOption(1, 20))
    .option('--startpoints <n>', 'EM start points (and split candidates) per K', intOption(1), FIT_DEFAULTS.startpoints)
    .option('--mcmc <n>', 'MCMC iterations per chain and K, after the tuning passes (0: no MCMC, the ML model only)', intOption(0), FIT_DEFAULTS.mcmcIterations)
    .option('--chains <n>', 'MCMC chains per K (the first from the EM optimum, the others from dispersed starts); R-hat and ESS need 2 or more', intOption(1, 64), FIT_DEFAULTS.chains)
    .option('--tune <n>', 'iterations of each of the 3 MCMC tuning passes (default: --mcmc / 10, between 1,000 and 10,000; pySuStaIn: always 10,000)', intOption(2))
    .option('--samples <n>', 'posterior samples kept in model.json per K (thinned evenly)', intOption(1), FIT_DEFAULTS.samplesKept)
    .option('--polish <n>', 'EM runs per round polishing each K\'s optimum from random nearby sequences (0: none; docs/sustain.md "EM robustness")', intOption(0), FIT_DEFAULTS.polish)
    .option(
      '--early-stop <n>',
      'stop a set of EM start points (in batches of 4) once its best optimum has been reached n times (0: run all --startpoints; docs/sustain.md "EM at paper scale")',
      intOption(0),
      FIT_DEFAULTS.earlyStop,
    )
    .option(
      '--screen <n>',
      'cohorts of at least 2n subjects: run each set of EM start points on a random n of them, then refine its best 3 distinct results on all (0: off; docs/sustain.md "Screening start points on a subsample")',
      intOption(0),
      FIT_DEFAULTS.screen,
    )
    .option('--seed <n>', 'random seed', intOption(-(2 ** 52), 2 ** 52), 1)
    .option(
      '--biomarkers <list>',
      "biomarker columns (default: the sidecar <data>.json's features, else every numeric column; mixture from raw --data: covariates left out, see below)",
      listOption,
    )
    .option('--include-controls', 'keep rows flagged is_control (default: leave them out of the fit)')
    .option('--time <column>', 'longitudinal data: the visit time column (e.g. years); rows are visits keyed by subject_id and session, one subtype per subject, stages never decrease')
    .addOption(new Option('--method <m>', 'sustain, or kmeans (a baseline: k-means clusters, no stages)').choices(['sustain', 'kmeans']).default('sustain'))
    .option('--restarts <n>', 'k-means restarts (with --method kmeans)', intOption(1))
    .addOption(new Option('-j, --jobs <n>', 'worker threads').argParser(jobsOption).default(defaultThreads(), 'all cores'))
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Input: a z-score table (CSV or TSV) with subject_id and one column per biomarker, larger = more
abnormal; empty cells are missing values (the likelihood skips them); a row with no values is an
error. Carried columns (session, group, ...) are kept; rows with is_control = 1/true are left out.
--kind mixture (the event-based model, docs/mixture.md): --l-yes/--l-no tables (every row fitted),
or raw values in --data with the controls named by --control-column/--control-value (mixtures fitted
per biomarker on all rows and saved in model.json; SuStaIn fitted on the patients). Its biomarkers,
unless --biomarkers names them: extract's feature definitions (<data>.json) less role "covariate"
(e.g. icv), with their abnormal direction; else the numeric columns less the control and time
columns and covariate names (age, sex, gender, site, scanner, icv, etiv, tiv, education, edss, ...);
a note names the columns chosen and those left out.

Outputs in --out:
  model.json    the fitted models (K = 1..max): biomarkers, zvals, zmax, events, and per K the ML
                sequences ([biomarker, z] in order), fractions, training log-likelihood and thinned
                MCMC samples; settings, seed and tool version. Reused by \`assign\`, \`cv\` and \`report\`.
  subjects.csv  subject_id, ml_subtype (0-based, subtypes ordered by fraction, largest first),
                prob_ml_subtype, ml_stage (0..N events passed), prob_ml_stage, prob_subtype_0..K-1,
                averaged over the posterior samples; then the carried columns, in the table's order.
  subjects.csv.json  its sidecar: columns, model and data files with their sha256, tool version.
Same inputs and seed give byte-identical files whatever --jobs.

Longitudinal data (--time COLUMN): one row per visit, keyed by subject_id and session, with a time
column (e.g. years). Each subject has one subtype; its visits' stages never decrease (a subject's
likelihood sums over its non-decreasing stage paths; see docs/longitudinal.md). subjects.csv keeps
one row per visit, grouped by subject in time order: the subject's subtype columns on every row,
ml_stage along the most probable non-decreasing path; after the carried columns (session, the time
column) expected_stage, progression_rate (stages per unit of time between the first and last
visit), each visit's cross-sectional subtype and stage, and prob_stage_0..N. A subject with one
visit is an ordinary cross-sectional row. Two visits of a subject at the same time, a missing time
or a session given twice is an error naming the subject and line. Every kind: with --kind mixture,
raw --data has the session and time columns (mixtures fitted on every visit), or the --l-yes file
does (--l-no lists the same visits in the same order).

Examples:
  ms-subtype fit --data z.csv --zvals 1,2,3 --zmax 5 --max-subtypes 3 --startpoints 25 \\
                 --mcmc 100000 --seed 1 --out fit/
  ms-subtype fit --data visits.csv --time years --max-subtypes 3 --seed 1 --out fit-long/
  ms-subtype fit --kind mixture --data raw.csv --control-column group --control-value HC \\
                 --max-subtypes 3 --seed 1 --out fit-mixture/
  ms-subtype fit --kind mixture --data visits.csv --time years --control-column group \\
                 --control-value HC --max-subtypes 3 --seed 1 --out fit-long-mixture/`,
    )
    .action(async (o: FitFlags) => fitCommand(o));
  // --model names a model file everywhere else (assign, report, cv)
  oldFlags(fit, { '--model': '--kind' });

  program
    .command('assign')
    .description('Subtype and stage new subjects with a fitted model')
    .requiredOption('--model <file>', 'model.json from `fit`')
    .option('--data <file>', 'table with a column for every biomarker of the model (matched by name): z-scores, or raw values for a mixture model fitted on raw values')
    .option('--l-yes <file>', 'for a mixture model fitted on likelihoods: L_yes per subject and biomarker')
    .option('--l-no <file>', 'for a mixture model fitted on likelihoods: L_no per subject and biomarker')
    .requiredOption('-o, --out <file>', 'subjects.csv to write')
    .option('--subtypes <K>', 'which fit of the model to use (default: the largest K)', intOption(1, 20))
    .option('--time <column>', 'longitudinal data: the visit time column (default: the one the model was fitted with, if any)')
    .option('--history <file>', 'earlier visits of known subjects (as --data: session and time columns): their new visits are staged along the whole path; only the new rows are written')
    .option('--history-l-yes <file>', "for a mixture model fitted on likelihoods: the earlier visits' L_yes (with --history-l-no)")
    .option('--history-l-no <file>', "the earlier visits' L_no (same visits as --history-l-yes)")
    .addOption(new Option('-j, --jobs <n>', 'worker threads (blocks of subjects; same result for any number)').argParser(jobsOption).default(defaultThreads(), 'all cores'))
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Biomarker columns are matched by name; a model biomarker missing from the data is an error. Other
columns are carried or ignored, except that when the data has a normaliser sidecar (<data>.json)
listing a feature the model does not know, that is an error. Missing cells are skipped by the
likelihood; a row with no values is an error. Every row is assigned (controls included).
Probabilities are averaged over the model's posterior samples, as in \`fit\`: assigning the training
data gives the same subjects.csv as fit wrote.

Output columns: subject_id, ml_subtype, prob_ml_subtype, ml_stage, prob_ml_stage, prob_subtype_0..K-1,
then the data's carried columns (as \`fit\` writes them); sidecar <out>.json.

Longitudinal (a model fitted with --time, data with that column, or --time given): rows are visits
(subject_id, session, time); output as fit's longitudinal subjects.csv. With --history FILE (earlier
visits, e.g. the training table), a new visit of a known subject is assigned together with that
subject's earlier visits (same subtype evidence, stage not below the earlier ones); only the rows
of --data are written.

Examples:
  ms-subtype assign --model fit/model.json --data new-z.csv --out new-subjects.csv
  ms-subtype assign --model fit-long/model.json --data new-visits.csv --history visits.csv --out new.csv
  ms-subtype assign --model fit-l/model.json --l-yes new_l_yes.csv --l-no new_l_no.csv --out new-subjects.csv
  ms-subtype assign --model fit-long-l/model.json --l-yes new_l_yes.csv --l-no new_l_no.csv \\
                    --history-l-yes l_yes.csv --history-l-no l_no.csv --out new.csv`,
    )
    .action(async (o: AssignFlags) => assignCommand(o));
}
