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

/** K = 1 from a random initial sequence. */
export interface SingleTask extends TaskBase {
  kind: 'single';
}
/** Split a cluster in two: random halves, a 1-subtype EM on each, then a 2-subtype EM on all. */
export interface SplitTask extends TaskBase {
  kind: 'split';
}
/** EM of a K-subtype mixture from a given initialisation. */
export interface MixtureTask extends TaskBase {
  kind: 'mixture';
  sequences: number[][];
  fractions: number[];
}
export interface McmcTask extends TaskBase {
  kind: 'mcmc';
  sequences: number[][];
  fractions: number[];
  mcmc: McmcOptions;
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
}

function setup(t: TaskBase): { model: ProgressionModel; data: ModelData; rng: Rng } {
  const model = createModel(t.spec);
  return { model, data: model.prepare(t.values, t.M), rng: Rng.fromState(t.rng) };
}

function em(model: ProgressionModel, data: ModelData, seqs: Int32Array[], f: number[], rng: Rng, opts: EmOptions): EmTaskResult {
  const mix = new MixtureTables(model, data, seqs);
  const r = performEm(mix, f, rng, opts);
  return { sequences: r.sequences.map((s) => Array.from(s)), fractions: Array.from(r.fractions), logLik: r.logLik, sweeps: r.sweeps };
}

export function runSingle(t: SingleTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  return em(model, data, [model.randomSequence(rng)], [1], rng, t.em ?? EM_DEFAULTS);
}

export function runSplit(t: SplitTask): EmTaskResult {
  const { model, data, rng } = setup(t);
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
    const r = em(model, sub, [model.randomSequence(rng)], [1], rng, t.em);
    init.push(Int32Array.from(r.sequences[0]!));
  }
  return em(model, data, init, [0.5, 0.5], rng, t.em);
}

export function runMixture(t: MixtureTask): EmTaskResult {
  const { model, data, rng } = setup(t);
  return em(model, data, t.sequences.map((s) => Int32Array.from(s)), t.fractions, rng, t.em);
}

export type McmcTaskResult = ReturnType<typeof runMcmc> extends infer R ? Omit<R, 'positionSd' | 'fractionSd'> : never;

export function runMcmcTask(t: McmcTask): McmcTaskResult {
  const { model, data, rng } = setup(t);
  const mix = new MixtureTables(model, data, t.sequences.map((s) => Int32Array.from(s)));
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
