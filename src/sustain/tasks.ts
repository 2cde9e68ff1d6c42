/**
 * The independent units of a fit (start points, split candidates, MCMC chains) as plain-data tasks,
 * so they run unchanged in-process or on worker threads. Each carries its own random stream state.
 */
import type { MessagePort } from 'node:worker_threads';
import { Rng } from '../common/rng.js';
import { EM_DEFAULTS, performEm, type EmOptions } from './em.js';
import { continueMcmc, runMcmc, type ChainResume, type McmcOptions } from './mcmc.js';
import { createModel, type ModelSpec } from './kinds.js';
import { inversePositions, moveEvent, type ModelData, type ProgressionModel } from './model.js';
import { MixtureTables } from './state.js';
import type { Assignment, SustainModelFile, ZTable } from './types.js';
import { assignSubjects } from './staging.js';
import { assignLongitudinal } from './longitudinal/assign.js';
import { LongitudinalTables } from './longitudinal/tables.js';
import { rowsLabelled, startsOf } from './longitudinal/visits.js';

interface TaskBase {
  /** the model (kind + parameters: plain data, so it crosses to a worker thread) */
  spec: ModelSpec;
  /** the engine's values (the kind's encode()): row-major, one row per subject, NaN = missing */
  values: Float64Array;
  M: number;
  /**
   * Longitudinal data: visits per subject (rows grouped by subject, in time order); a subject's
   * total is then the sum over its non-decreasing stage paths (longitudinal/tables.ts).
   */
  visits?: Int32Array;
  rng: number[];
  em: EmOptions;
}

/** An EM task can report its progress inside the run: { sweeps } done so far (fractional: events tried / events per sweep, over all its EM runs). */
interface EmProgress {
  progress?: MessagePort;
}

/** K = 1 from a random initial sequence. */
export interface SingleTask extends TaskBase, EmProgress {
  kind: 'single';
}
/** Split a cluster in two: random halves, a 1-subtype EM on each, then a 2-subtype EM on all. */
export interface SplitTask extends TaskBase, EmProgress {
  kind: 'split';
}
/** EM of a K-subtype mixture from a given initialisation. */
export interface MixtureTask extends TaskBase, EmProgress {
  kind: 'mixture';
  sequences: number[][];
  fractions: number[];
  /** start from `sequences` after this many random valid moves per subtype (a polish run, polish.ts) */
  perturb?: number;
}
export interface McmcTask extends TaskBase {
  kind: 'mcmc';
  sequences: number[][];
  fractions: number[];
  mcmc: McmcOptions;
  /** start from `sequences` after this many random valid moves per subtype (drawn from the task's stream): a dispersed start */
  perturbStart?: number;
  /** receives { iterations, best } as the chain runs (iterations counted over tuning and sampling) */
  progress?: MessagePort;
  /**
   * A later round of a chain (mcmc-rounds.ts): `sequences` and `rng` are its state
   * after the last round, which it continues through iteration mcmc.iterations - 1, with no tuning.
   */
  resume?: ChainResume;
}
/** Assign a block of subjects (subjects are independent, so blocks give the same numbers as one run). */
export interface AssignTask {
  kind: 'assign';
  model: SustainModelFile;
  data: ZTable;
  subtypes?: number;
  /** longitudinal data: subject j's rows start[j] .. start[j+1] - 1, and each row's time */
  longitudinal?: { start: Int32Array; times: Float64Array };
}
export type FitTask = SingleTask | SplitTask | MixtureTask | McmcTask | AssignTask;

export interface EmTaskResult {
  sequences: number[][];
  fractions: number[];
  logLik: number;
  sweeps: number;
  /** sweeps over all the task's EM runs (a split runs three), for estimating progress inside later tasks */
  work: number;
}

function setup(t: TaskBase): { model: ProgressionModel; data: ModelData; rng: Rng } {
  const model = createModel(t.spec);
  return { model, data: model.prepare(t.values, t.M), rng: Rng.fromState(t.rng) };
}

/** Post at most this often (ms): an event of a large cohort takes milliseconds, of a small one microseconds. */
const POST_EVERY_MS = 100;

/** Counts the events a task's EM runs have tried and posts the running number of sweeps (progress only: results do not depend on it). */
class SweepMeter {
  sweeps = 0;
  private last = performance.now();
  constructor(private readonly port: MessagePort | undefined) {}
  onEvent(perSweep: number): (() => void) | undefined {
    const port = this.port;
    if (port === undefined) return undefined;
    return () => {
      this.sweeps += 1 / perSweep;
      const now = performance.now();
      if (now - this.last >= POST_EVERY_MS) {
        this.last = now;
        port.postMessage({ sweeps: this.sweeps });
      }
    };
  }
  close(): void {
    this.port?.close();
  }
}

/** The mixture tables for a task's data: per-subject totals over visits when it is longitudinal. */
function tablesFor(model: ProgressionModel, data: ModelData, seqs: Int32Array[], visits: Int32Array | undefined): MixtureTables<ModelData> {
  return visits === undefined ? new MixtureTables(model, data, seqs) : new LongitudinalTables(model, data, seqs, startsOf(visits));
}

function em(model: ProgressionModel, data: ModelData, seqs: Int32Array[], f: number[], rng: Rng, opts: EmOptions, meter: SweepMeter, visits?: Int32Array): EmTaskResult {
  const mix = tablesFor(model, data, seqs, visits);
  const before = meter.sweeps;
  const r = performEm(mix, f, rng, opts, undefined, meter.onEvent(seqs.length * model.nEvents));
  meter.sweeps = before + r.sweeps;
  return { sequences: r.sequences.map((s) => Array.from(s)), fractions: Array.from(r.fractions), logLik: r.logLik, sweeps: r.sweeps, work: meter.sweeps };
}

export function runSingle(t: SingleTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  const meter = new SweepMeter(t.progress);
  const r = em(model, data, [model.randomSequence(rng)], [1], rng, t.em ?? EM_DEFAULTS, meter, t.visits);
  meter.close();
  return r;
}

export function runSplit(t: SplitTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  const meter = new SweepMeter(t.progress);
  // longitudinal: split subjects (all of a subject's visits go to one half), never visits
  const visits = t.visits;
  const starts = visits === undefined ? null : startsOf(visits);
  const M = visits === undefined ? t.M : visits.length;
  const group = new Uint8Array(M);
  for (;;) {
    let n1 = 0;
    for (let i = 0; i < M; i++) {
      group[i] = rng.uniform() < 0.5 ? 0 : 1;
      n1 += group[i]!;
    }
    if (n1 > 0 && n1 < M) break;
  }
  const init: Int32Array[] = [];
  for (let g = 0; g < 2; g++) {
    const { rows, counts } = rowsLabelled(group, g, starts);
    const sub = model.subset(data, rows);
    const r = em(model, sub, [model.randomSequence(rng)], [1], rng, t.em, meter, starts === null ? undefined : Int32Array.from(counts));
    init.push(Int32Array.from(r.sequences[0]!));
  }
  const r = em(model, data, init, [0.5, 0.5], rng, t.em, meter, visits);
  meter.close();
  return r;
}

export function runMixture(t: MixtureTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  const meter = new SweepMeter(t.progress);
  const r = em(
    model,
    data,
    t.sequences.map((s) => perturbed(model, Int32Array.from(s), t.perturb ?? 0, rng)),
    t.fractions,
    rng,
    t.em,
    meter,
    t.visits,
  );
  meter.close();
  return r;
}

/**
 * `seq` after `moves` random valid moves (an event at a uniform position to a uniform position its
 * biomarker's neighbours allow): away from the optimum but not lost, so a chain's warm-up reaches the
 * mode (a fully random sequence of a 2-subtype model was still hundreds of log-likelihood units away
 * after 6,000 warm-up iterations on the demo cohort).
 */
function perturbed(model: ProgressionModel, seq: Int32Array, moves: number, rng: Rng): Int32Array {
  const N = seq.length;
  const pos = new Int32Array(N);
  const range = new Int32Array(2);
  for (let m = 0; m < moves; m++) {
    inversePositions(seq, pos);
    const from = Math.min(N - 1, Math.floor(rng.uniform() * N));
    model.allowedRange(pos, seq[from]!, range);
    const to = Math.min(range[1]! - 1, range[0]! + Math.floor(rng.uniform() * (range[1]! - range[0]!)));
    moveEvent(seq, from, to);
  }
  return seq;
}

export type McmcTaskResult = (ReturnType<typeof runMcmc> extends infer R ? Omit<R, 'positionSd' | 'fractionSd'> : never) & {
  /** with mcmc.record (a round): the random stream's state after the round */
  rng?: number[];
};

export function runMcmcTask(t: McmcTask): McmcTaskResult {
  const { model, data, rng } = setup(t);
  const resume = t.resume;
  const start = t.sequences.map((s) => (resume === undefined ? perturbed(model, Int32Array.from(s), t.perturbStart ?? 0, rng) : Int32Array.from(s)));
  const mix = tablesFor(model, data, start, t.visits);
  const port = t.progress;
  const tune = t.mcmc.tuneIterations;
  const r =
    resume === undefined
      ? runMcmc(mix, t.fractions, rng, t.mcmc, (phase, iteration, best) => {
          // phases are 'tune 1', 'tune 2', ... then 'sample'
          const before = phase === 'sample' ? t.mcmc.tunePasses * tune : (Number(phase.slice(5)) - 1) * tune;
          port?.postMessage({ iterations: before + iteration, best });
        })
      : continueMcmc(mix, resume, t.mcmc.iterations, rng, t.mcmc, (iteration, best) => port?.postMessage({ iterations: t.mcmc.tunePasses * tune + iteration, best }));
  port?.close();
  const { positionSd: _p, fractionSd: _f, ...rest } = r;
  return t.mcmc.record === undefined ? rest : { ...rest, rng: rng.state() };
}

export function runTask(t: FitTask): EmTaskResult | McmcTaskResult | Assignment {
  switch (t.kind) {
    case 'assign':
      return t.longitudinal ? assignLongitudinal(t.model, t.data, t.longitudinal.start, t.longitudinal.times, t.subtypes) : assignSubjects(t.model, t.data, t.subtypes);
    case 'single':
      return runSingle(t);
    case 'split':
      return runSplit(t);
    case 'mixture':
      return runMixture(t);
    case 'mcmc':
      return runMcmcTask(t);
  }
}
