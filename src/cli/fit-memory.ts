/**
 * `fit` and `cv` refuse a fit too big for this machine before it starts (sustain/fit-memory.ts
 * estimates it from the size alone): a one-line error naming the file and the size, and what would
 * fit (fewer threads, fewer subtypes, a sample), instead of a V8 crash or the machine swapping.
 */
import { gb, spareMemory } from '../common/memory.js';
import { UserError } from '../common/errors.js';
import { fitMemory, tableSetFits } from '../sustain/fit-memory.js';
import { createModel } from '../sustain/index.js';
import type { ModelInput } from './model-inputs.js';

export interface FitPlan {
  maxSubtypes: number;
  startpoints: number;
  chains: number;
  mcmc: number;
  polish: number;
  jobs: number;
}

export interface FitShape {
  /** rows fitted (visits when longitudinal) and the subjects they belong to */
  rows: number;
  subjects: number;
  /** values per row the engine holds, and the biomarkers and stages of the model */
  width: number;
  biomarkers: number;
  stages: number;
  /** longitudinal: fit holds every visit's result until it writes subjects.csv (cross-sectional: written block by block) */
  longitudinal?: boolean;
}

/** The size of the fit `fit` and `cv` are about to run on what they read. */
export function fitShape(input: ModelInput): FitShape {
  const rows = input.table.subjects.length;
  const mixture = input.spec.kind === 'mixture';
  return {
    rows,
    subjects: input.lon ? input.lon.layout.subjects.length : rows,
    // the mixture engine holds a likelihood pair per biomarker
    width: mixture ? Math.max(input.table.biomarkers.length, 2 * input.biomarkers) : input.table.biomarkers.length,
    biomarkers: input.biomarkers,
    stages: createModel(input.spec).nStages,
    longitudinal: input.lon !== undefined,
  };
}

/** Tasks of one fit that run at once: the widest batch (start points, mixtures, chains, polish runs), at most --jobs. */
export function concurrentTasks(p: FitPlan): number {
  if (p.jobs <= 1) return 1;
  const chains = p.mcmc > 0 ? p.chains : 1;
  const widest = Math.max(p.startpoints * Math.max(1, p.maxSubtypes - 1), p.maxSubtypes * chains, p.polish);
  return Math.max(1, Math.min(p.jobs, widest));
}

const count = (n: number) => n.toLocaleString('en-US');

/** Bytes and the largest table set of a run on `rows` rows of the table, at `maxSubtypes` and `jobs`. */
type Estimate = (rows: number, maxSubtypes: number, jobs: number) => { total: number; tableSet: number; threads: number };

const fits = (b: { total: number; tableSet: number }, spare: number) => b.total <= spare && tableSetFits(b.tableSet);

/** The most subjects whose run fits in `spare` bytes and in one WebAssembly memory, rounded down to two significant digits. */
function largestSample(shape: FitShape, plan: FitPlan, at: Estimate, spare: number): number {
  let lo = 0;
  let hi = shape.rows;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(at(mid, plan.maxSubtypes, plan.jobs), spare)) lo = mid;
    else hi = mid;
  }
  const subjects = Math.floor((lo * shape.subjects) / shape.rows);
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(1, subjects))) - 1);
  return Math.floor(subjects / unit) * unit;
}

/** What would fit instead: one thread, fewer subtypes, a sample. */
function advice(shape: FitShape, plan: FitPlan, at: Estimate, spare: number): string {
  const out: string[] = [];
  const one = at(shape.rows, plan.maxSubtypes, 1);
  if (plan.jobs > 1 && fits(one, spare)) out.push(`--jobs 1 (about ${gb(one.total)} GB)`);
  for (let k = plan.maxSubtypes - 1; k >= 1; k--) {
    const b = at(shape.rows, k, plan.jobs);
    const b1 = at(shape.rows, k, 1);
    if (fits(b, spare)) out.push(`--max-subtypes ${k} (about ${gb(b.total)} GB)`);
    else if (plan.jobs > 1 && fits(b1, spare)) out.push(`--max-subtypes ${k} --jobs 1 (about ${gb(b1.total)} GB)`);
    else continue;
    break;
  }
  const sample = largestSample(shape, plan, at, spare);
  out.push(sample > 1 ? `a random sample of at most ${count(sample)} subjects` : 'a machine with more memory');
  return `fit ${out.join(', or ')}`;
}

function check(file: string, what: string, shape: FitShape, plan: FitPlan, at: Estimate): void {
  const { total, tableSet, threads } = at(shape.rows, plan.maxSubtypes, plan.jobs);
  const size = `${count(shape.subjects)} subjects${shape.rows !== shape.subjects ? ` (${count(shape.rows)} visits)` : ''} x ${shape.biomarkers} biomarkers (${shape.stages - 1} events)`;
  const settings = `--max-subtypes ${plan.maxSubtypes}${threads > 1 ? ` on ${threads} threads` : ''}`;
  if (!tableSetFits(tableSet)) {
    throw new UserError(
      `${what} ${size} with ${settings} needs ${gb(tableSet)} GB of likelihood tables per task, more than one WebAssembly memory holds (4 GB): ${advice(shape, plan, at, Infinity)}`,
      {
        file,
      },
    );
  }
  const spare = spareMemory();
  if (total > spare * 0.9) {
    throw new UserError(
      `${what} ${size} with ${settings} needs about ${gb(total)} GB of memory, more than the ${gb(spare)} GB this machine has free: ${advice(shape, plan, at, spare * 0.9)}`,
      { file },
    );
  }
}

/** Bytes `fit` keeps per row beside the fit: its per-subject result (subjects.csv's numbers, and the stage probabilities the assignment returns). */
export function fitOutputBytesPerRow(shape: FitShape, maxSubtypes: number): number {
  return (shape.stages * (maxSubtypes + 1) + maxSubtypes + 4) * 8 * 2;
}

/** Refuse a `fit` of this size that would not fit in this machine's memory (or in one WebAssembly memory). */
export function checkFitMemory(file: string, shape: FitShape, plan: FitPlan): void {
  // cross-sectional: subjects.csv is scored and written block by block (assign-write.ts checks its blocks)
  const out = shape.longitudinal ? fitOutputBytesPerRow(shape, plan.maxSubtypes) : 0;
  check(file, 'fitting', shape, plan, (rows, maxSubtypes, jobs) => {
    const threads = concurrentTasks({ ...plan, maxSubtypes, jobs });
    const m = fitMemory({ rows, width: shape.width, stages: shape.stages, maxSubtypes, threads }, rows * out);
    return { total: m.total, tableSet: m.tableSet, threads };
  });
}

/**
 * Refuse a `cv` of this size: its parts (folds and the full-data fit) run at once on workers, each
 * one thread and its own copy of the table; one part (--fold) gets every thread.
 */
export function checkCvMemory(file: string, shape: FitShape, plan: FitPlan & { folds: number; onePart: boolean }): void {
  const out = fitOutputBytesPerRow(shape, plan.maxSubtypes);
  check(file, 'cross-validating', shape, plan, (rows, maxSubtypes, jobs) => {
    const parts = plan.onePart ? 1 : Math.max(1, Math.min(jobs, plan.folds + 1));
    const threads = plan.onePart ? concurrentTasks({ ...plan, maxSubtypes, jobs }) : 1;
    // every part counted at the full table's size (the full-data fit is the largest)
    const m = fitMemory({ rows, width: shape.width, stages: shape.stages, maxSubtypes, threads }, rows * out);
    return { total: parts * (m.total + rows * shape.width * 8), tableSet: m.tableSet, threads: Math.max(parts, threads) };
  });
}
