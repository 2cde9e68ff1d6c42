/**
 * `simulate`: a synthetic z-score cohort with known subtypes and stages (cross-sectional, or with
 * --visits longitudinal), for tests, benchmarks and trying the tool.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { join } from 'node:path';
import { toolVersion } from '../common/version.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { writeZTable } from '../io/ztable.js';
import { simulateCohort, type SimulateOptions } from '../sustain/index.js';
import { truthModelFields } from '../sustain/simulate.js';
import { parseVisitRange } from '../sustain/longitudinal/simulate.js';
import { simulateLongitudinalCommand } from './longitudinal.js';
import { floatOption, intOption, numberListOption, oldFlags, printDone, QUIET_FLAGS, QUIET_HELP } from './options.js';

// simulateCohort's options as commander parses them, plus where to write.
interface SimFlags extends Omit<SimulateOptions, 'subjects' | 'biomarkers'> {
  nSubjects: number;
  nBiomarkers: number;
  controlFraction: number;
  out: string;
  visits?: [number, number];
  visitInterval: number;
  rate: number;
  quiet?: boolean;
}

function simulateCommand(flags: SimFlags): void {
  const { nSubjects, nBiomarkers, visitInterval, ...rest } = flags;
  const o = { ...rest, subjects: nSubjects, biomarkers: nBiomarkers, interval: visitInterval };
  if (o.visits !== undefined) return simulateLongitudinalCommand({ ...o, visits: o.visits });
  const sim = simulateCohort({
    subjects: o.subjects,
    biomarkers: o.biomarkers,
    subtypes: o.subtypes,
    zvals: o.zvals,
    zmax: o.zmax,
    seed: o.seed,
    controlFraction: o.controlFraction,
    ...(o.fractions ? { fractions: o.fractions } : {}),
  });
  writeZTable(join(o.out, 'z.csv'), sim.data);
  // The z table's sidecar, as normalise writes one: `fit` and `assign` read the biomarker list from it.
  writeJsonAtomic(join(o.out, 'z.csv.json'), {
    format: 'ms-subtype-simulated-z',
    formatVersion: 1,
    toolVersion: toolVersion(),
    seed: o.seed,
    features: sim.data.biomarkers,
    truth: 'truth.csv',
    truthModel: 'truth-model.json',
  });
  writeCsvAtomic(
    join(o.out, 'truth.csv'),
    ['subject_id', 'true_subtype', 'true_stage'],
    sim.data.subjects.map((s, i) => [s, sim.truth.subtype[i]!, sim.truth.stage[i]!]),
  );
  writeJsonAtomic(join(o.out, 'truth-model.json'), {
    generator: 'ms-subtype simulate (pySuStaIn-style z-score simulation)',
    toolVersion: toolVersion(),
    seed: o.seed,
    subjects: o.subjects,
    ...truthModelFields(sim.model),
    controlFraction: o.controlFraction,
    trueStageDoc: 'true_stage j in 0..N+1 = number of events passed (N+1: all passed, at zmax); subjects at stage 0 carry a random true_subtype that does not affect their data',
  });
  printDone(
    o.quiet,
    [`simulated ${o.subjects} subjects x ${o.biomarkers} biomarkers, ${o.subtypes} subtypes; wrote z.csv, truth.csv, truth-model.json in ${o.out}`],
    ['z.csv', 'truth.csv', 'truth-model.json'].map((f) => join(o.out, f)),
  );
}

function parseVisitRangeOption(v: string): [number, number] {
  try {
    return parseVisitRange(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^field visits: /, ''));
  }
}

export function register(program: Command): void {
  const simulate = program
    .command('simulate')
    .description("Simulate a cohort with known subtypes and stages (as pySuStaIn's simulation)")
    .requiredOption('-o, --out <dir>', 'output directory (z.csv, truth.csv, truth-model.json)')
    .option('--n-subjects <n>', 'number of subjects', intOption(1), 500)
    .option('--n-biomarkers <n>', 'number of biomarkers (named b01, b02, ...)', intOption(1, 1000), 6)
    .option('--subtypes <K>', 'number of subtypes', intOption(1, 20), 2)
    .option('--zvals <list>', 'z thresholds of every biomarker', numberListOption, [1, 2, 3])
    .option('--zmax <z>', 'z at the end of the disease course', floatOption(0), 5)
    .option('--fractions <list>', 'subtype fractions (default proportional to K+1, K, ..., 2)', numberListOption)
    .option('--control-fraction <p>', 'share of subjects at stage 0', floatOption(0, 1), 0.25)
    .option('--seed <n>', 'random seed', intOption(-(2 ** 52), 2 ** 52), 1)
    .option('--visits <range>', 'longitudinal: visits per subject, a count or lo..hi (e.g. 2..4)', parseVisitRangeOption)
    .option('--visit-interval <years>', 'longitudinal: years between visits', floatOption(1e-9), 1)
    .option('--rate <stages>', 'longitudinal: mean progression rate, stages per year (per subject log-normal around it)', floatOption(0), 1)
    .option(QUIET_FLAGS, QUIET_HELP)
    .addHelpText(
      'after',
      `
Each subtype gets a random event sequence (thresholds of a biomarker in order); each subject a subtype
(by --fractions) and a stage: 0 for the first --control-fraction of subjects, else uniform over
1..N+1; its z-scores are the subtype's piecewise-linear values at that stage plus N(0, 1) noise.

Outputs: z.csv (subject_id, b01..) and its sidecar z.csv.json, truth.csv (subject_id, true_subtype, true_stage),
truth-model.json (sequences as [biomarker, z], fractions, thresholds).

Longitudinal (--visits): each subject gets 2..4 (say) visits --visit-interval years apart; its stage
moves from a baseline (as above) at its own rate (log-normal around --rate stages per year), never
backwards. z.csv then has session (ses-1, ses-2, ...) and years columns, truth.csv one row per
visit with the subject's true_subtype, the visit's true_stage and the subject's true_rate.

Examples:
  ms-subtype simulate --n-subjects 500 --n-biomarkers 6 --subtypes 2 --zvals 1,2,3 --zmax 5 --seed 1 --out sim/
  ms-subtype simulate --n-subjects 400 --subtypes 3 --visits 2..4 --visit-interval 1 --rate 1 --seed 1 --out long/`,
    )
    .action((o: SimFlags) => simulateCommand(o));
  // counts are --n-*: --subjects and --biomarkers name a file or a list of columns elsewhere;
  // --interval is the posterior interval of report
  oldFlags(simulate, { '--subjects': '--n-subjects', '--biomarkers': '--n-biomarkers', '--interval': '--visit-interval' });
}
