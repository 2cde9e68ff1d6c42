/**
 * The independent units of a fit (start points, split candidates, MCMC chains) as plain-data tasks,
 * so they run unchanged in-process or on worker threads. Each carries its own random stream state.
 */
import type { MessagePort } from 'node:worker_threads';
import { Rng } from '../common/rng.js';
import { EM_DEFAULTS, performEm, type EmOptions } from './em.js';
import { runMcmc, type McmcOptions } from './mcmc.js';
import { createModel, type ModelSpec } from './kinds.js';
import type { ModelData, ProgressionModel } from './model.js';
import { MixtureTables } from './state.js';
import type { Assignment, SustainModelFile, ZTable } from './types.js';
import { assignSubjects } from './staging.js';

interface TaskBase {
  /** the model (kind + parameters: plain data, so it crosses to a worker thread) */
  spec: ModelSpec;
  /** the engine's values (the kind's encode()): row-major, one row per subject, NaN = missing */
  values: Float64Array;
  M: number;
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
}
export interface McmcTask extends TaskBase {
  kind: 'mcmc';
  sequences: number[][];
  fractions: number[];
  mcmc: McmcOptions;
  /** start from random valid sequences (drawn from the task's stream) instead of `sequences` */
  randomStart?: boolean;
  /** receives { iterations, best } as the chain runs (iterations counted over tuning and sampling) */
  progress?: MessagePort;
}
/** Assign a block of subjects (subjects are independent, so blocks give the same numbers as one run). */
export interface AssignTask {
  kind: 'assign';
  model: SustainModelFile;
  data: ZTable;
  subtypes?: number;
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

/** Counts the events a task's EM runs have tried and posts the running number of sweeps, once per subtype pass. */
class SweepMeter {
  sweeps = 0;
  constructor(private readonly port: MessagePort | undefined) {}
  onEvent(perSweep: number, nEvents: number): (() => void) | undefined {
    const port = this.port;
    if (port === undefined) return undefined;
    let n = 0;
    return () => {
      this.sweeps += 1 / perSweep;
      if (++n % nEvents === 0) port.postMessage({ sweeps: this.sweeps });
    };
  }
  close(): void {
    this.port?.close();
  }
}

function em(model: ProgressionModel, data: ModelData, seqs: Int32Array[], f: number[], rng: Rng, opts: EmOptions, meter: SweepMeter): EmTaskResult {
  const mix = new MixtureTables(model, data, seqs);
  const before = meter.sweeps;
  const r = performEm(mix, f, rng, opts, undefined, meter.onEvent(seqs.length * model.nEvents, model.nEvents));
  meter.sweeps = before + r.sweeps;
  return { sequences: r.sequences.map((s) => Array.from(s)), fractions: Array.from(r.fractions), logLik: r.logLik, sweeps: r.sweeps, work: meter.sweeps };
}

export function runSingle(t: SingleTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  const meter = new SweepMeter(t.progress);
  const r = em(model, data, [model.randomSequence(rng)], [1], rng, t.em ?? EM_DEFAULTS, meter);
  meter.close();
  return r;
}

export function runSplit(t: SplitTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  const meter = new SweepMeter(t.progress);
  const M = t.M;
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
    const rows: number[] = [];
    for (let i = 0; i < M; i++) if (group[i] === g) rows.push(i);
    const sub = model.subset(data, rows);
    const r = em(model, sub, [model.randomSequence(rng)], [1], rng, t.em, meter);
    init.push(Int32Array.from(r.sequences[0]!));
  }
  const r = em(model, data, init, [0.5, 0.5], rng, t.em, meter);
  meter.close();
  return r;
}

export function runMixture(t: MixtureTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  const meter = new SweepMeter(t.progress);
  const r = em(model, data, t.sequences.map((s) => Int32Array.from(s)), t.fractions, rng, t.em, meter);
  meter.close();
  return r;
}

export type McmcTaskResult = ReturnType<typeof runMcmc> extends infer R ? Omit<R, 'positionSd' | 'fractionSd'> : never;

export function runMcmcTask(t: McmcTask): McmcTaskResult {
  const { model, data, rng } = setup(t);
  const start = t.randomStart ? t.sequences.map(() => model.randomSequence(rng)) : t.sequences.map((s) => Int32Array.from(s));
  const mix = new MixtureTables(model, data, start);
  const port = t.progress;
  const tune = t.mcmc.tuneIterations;
  const r = runMcmc(mix, t.fractions, rng, t.mcmc, (phase, iteration, best) => {
    // phases are 'tune 1', 'tune 2', ... then 'sample'
    const before = phase === 'sample' ? t.mcmc.tunePasses * tune : (Number(phase.slice(5)) - 1) * tune;
    port?.postMessage({ iterations: before + iteration, best });
  });
  port?.close();
  const { positionSd: _p, fractionSd: _f, ...rest } = r;
  return rest;
}

export function runTask(t: FitTask): EmTaskResult | McmcTaskResult | Assignment {
  switch (t.kind) {
    case 'assign':
      return assignSubjects(t.model, t.data, t.subtypes);
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
