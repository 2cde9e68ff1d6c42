/**
 * Fitting K = 1..maxSubtypes (pySuStaIn run_sustain_algorithm), for a model of any kind (its spec):
 *  - the EM search (search.ts): K = 1 start points, then K -> K+1 by splitting each subtype's cluster
 *    and EM runs of the K+1 mixture, each K's optimum polished (polish.ts);
 *  - then, per K, `chains` MCMC chains (chains.ts): the first from the EM optimum, the others from
 *    dispersed starts (the next-best distinct start-point optima, then the EM optimum after random moves);
 *    tuning passes that double as warm-up + the sampling. Chains' subtype labels are aligned to the
 *    first chain's, their kept samples pooled, and R-hat / ESS computed per K; subtypes ordered by
 *    mean posterior fraction, largest first.
 * Options and defaults: fit-options.ts.
 * Start points, split candidates and chains are tasks on worker threads (a batch too small to pay for
 * starting them runs in-process: task-cost.ts); each gets its own random stream drawn from the seed in
 * a fixed order, so the result does not depend on the thread count.
 */
import { MessageChannel } from 'node:worker_threads';
import { UserError } from '../common/errors.js';
import { TaskPool } from '../common/pool.js';
import { Rng } from '../common/rng.js';
import { buildFit, startsFor } from './fit-result.js';
import { resolveFitOptions, type FitOptions } from './fit-options.js';
import { kindOf, modelFileHead, toSpec, type ModelSpec } from './kinds.js';
import { MCMC_DEFAULTS } from './mcmc.js';
import type { EmTaskResult, FitTask, McmcTaskResult } from './tasks.js';
import type { EventLabel, NamedEvent, SustainFit, SustainModelFile, Thresholds, ZTable } from './types.js';
import { zscoreKind } from './zscore-kind.js';
import { batchSeconds, emSeconds, mcmcSeconds, taskSeconds, unitsOf } from './task-cost.js';
import { searchEm, type SearchPhase } from './search.js';
import { batchStreams } from './multistart.js';
import { screens } from './screen.js';
import { startsOf } from './longitudinal/visits.js';

export { FIT_DEFAULTS, type FitOptions } from './fit-options.js';

export interface FitProgress {
  /** 'refine': screened start points' best results refined on every subject (--screen) */
  phase: 'start points' | 'split' | 'mixture' | 'refine' | 'polish' | 'mcmc' | 'done';
  subtypes: number;
  /** work done and in all, in units of estimated single-thread milliseconds (task-cost.ts), so that the
   * rate and the time left hold across phases: a running EM task counts its sweeps so far against the
   * sweeps its phase's finished tasks took (up to 90 %), an MCMC chain its iterations (so the count
   * moves while tasks run) */
  done: number;
  total: number;
  bestLogLik: number;
  /** during the MCMC phase: iterations done and in all, over every chain */
  mcmcIterations?: { done: number; total: number };
}

/** Sweeps an EM task is expected to take before any of its phase has finished (a split runs three EMs). */
const SWEEPS_GUESS: Partial<Record<FitProgress['phase'], number>> = { split: 24 };

export interface FitExtras {
  onProgress?: (p: FitProgress) => void;
  /**
   * Longitudinal data: the rows are visits grouped by subject in time order, visits[j] of subject j
   * (see longitudinal/visits.ts); `timeColumn` is recorded in the model's settings.
   */
  longitudinal?: { visits: Int32Array; timeColumn: string };
  /**
   * Batches of tasks estimated below this many single-thread seconds run in-process while no worker
   * has started (default IN_PROCESS_SECONDS, pool.ts; 0: always on workers when threads > 1, as tests
   * of the worker path want). Where tasks run never changes the result.
   */
  inProcessSeconds?: number;
  /** recorded in the model file's training block */
  dataFile?: string;
  dataSha256?: string;
}

function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./worker.${ext}`, import.meta.url);
}

/** The z-score model's events [biomarker, z], as model.json names them. */
export function namedEvents(biomarkers: readonly string[], t: Thresholds): NamedEvent[] {
  return zscoreKind.events({ kind: 'zscore', ...t }, biomarkers);
}

/**
 * Fit the model `given` describes (a spec; bare thresholds are the z-score spec) to `data`, whose
 * columns the kind turns into the engine's values (encode).
 */
export async function fitSustain(data: ZTable, given: ModelSpec | Thresholds, opts: Partial<FitOptions> & { seed: number } & FitExtras): Promise<SustainModelFile> {
  const o = resolveFitOptions(opts);
  const spec = toSpec(given);
  const kind = kindOf(spec);
  const M = data.subjects.length;
  if (data.values.length !== M * data.biomarkers.length) throw new Error(`ZTable has ${data.values.length} values for ${M} x ${data.biomarkers.length}`);
  const biomarkers = kind.modelBiomarkers(spec, data.biomarkers);
  kind.check(spec, biomarkers);
  const values = kind.encode(spec, biomarkers, data);
  const lon = opts.longitudinal;
  const visits = lon?.visits;
  const starts = visits === undefined ? null : startsOf(visits);
  if (starts !== null && starts[starts.length - 1] !== M) throw new Error(`longitudinal layout covers ${starts[starts.length - 1]} rows, data has ${M}`);
  // units: subjects (a longitudinal subject is all its visits)
  const J = visits === undefined ? M : visits.length;
  if (J < 2) throw new UserError(`fitting needs at least 2 subjects, the data has ${J}`);
  // the engine's row width (the kind's choice: a z-score row is one value per biomarker)
  const B = M > 0 ? values.length / M : 0;
  const model = kind.create(spec);
  const prepared = model.prepare(values, M);
  const em = { maxIterations: o.emMaxIterations, tolerance: o.emTolerance };
  const base = { spec, em, ...(visits !== undefined ? { visits } : {}) };
  const root = Rng.fromSeed(o.seed);
  const url = workerUrl();
  const progress = opts.onProgress ?? (() => {});
  let best = -Infinity;
  let done = 0;
  const mcmcTunePasses = o.mcmcIterations > 0 ? o.mcmcTunePasses : 0;
  const chainIterations = mcmcTunePasses * o.mcmcTuneIterations + Math.max(1, o.mcmcIterations);
  // one chain when there is no sampling (--mcmc 0: the ML model only)
  const C = o.mcmcIterations > 0 ? o.chains : 1;
  const nChains = o.maxSubtypes * C;
  const N = model.nEvents;
  // progress units planned for each EM batch; a batch's own tasks replace the plan when it starts (split
  // and mixture batches are per cluster of the previous K, whose sizes add up to M; screened: to the subsample's rows)
  const rows = screens(J, o.screen) ? Math.round((M * o.screen) / J) : M;
  const planned = (phase: FitProgress['phase'], K: number): number =>
    phase === 'start points'
      ? o.startpoints * unitsOf(emSeconds('single', rows, N))
      : phase === 'split'
        ? o.startpoints * unitsOf(emSeconds('split', rows, N))
        : phase === 'mixture'
          ? (K - 1) * o.startpoints * unitsOf(emSeconds('mixture', rows, N, K))
          : o.polish * unitsOf(emSeconds('mixture', M, N, K));
  let total = planned('start points', 1) + planned('polish', 1);
  for (let K = 2; K <= o.maxSubtypes; K++) total += planned('split', K) + planned('mixture', K) + planned('polish', K);
  for (let K = 1; K <= o.maxSubtypes; K++) total += C * unitsOf(mcmcSeconds(M, K, chainIterations));
  // one set of workers for every phase: they start and warm up once
  const pool = new TaskPool<FitTask, unknown>(url, o.threads, opts.inProcessSeconds);
  // EM sweeps per task of each phase, from the tasks finished so far: how far a running task is
  const work: Partial<Record<FitProgress['phase'], { sum: number; n: number }>> = {};
  // units kept in the total for tasks a multi-start's sets may still run (at its last batch's mean),
  // so that the time left is not too short while sets go on; dropped when it ends (early stop)
  const reserved = new Map<string, number>();
  const run = async <R extends EmTaskResult>(tasks: FitTask[], phase: SearchPhase, K: number, plan = planned(phase, K), pending = 0): Promise<R[]> => {
    const units = tasks.map((t) => unitsOf(taskSeconds(t, N)));
    const sum = units.reduce((a, u) => a + u, 0);
    const key = `${phase} ${K}`;
    const kept = units.length > 0 ? (pending * sum) / units.length : 0;
    total += sum - plan - (reserved.get(key) ?? 0) + kept;
    reserved.set(key, kept);
    const base = done;
    const part = new Float64Array(tasks.length);
    const finished = new Uint8Array(tasks.length);
    const seen = (work[phase] ??= { sum: 0, n: 0 });
    const show = () => {
      let p = 0;
      for (let q = 0; q < part.length; q++) p += part[q]!;
      done = Math.max(done, base + Math.floor(p));
      progress({ phase, subtypes: K, done, total, bestLogLik: best });
    };
    // each task reports the sweeps it has done (workers run them; in-process the messages come after)
    const channels = tasks.map(() => new MessageChannel());
    channels.forEach((c, q) =>
      c.port1.on('message', (m: { sweeps: number }) => {
        if (finished[q]) return;
        const expected = seen.n > 0 ? seen.sum / seen.n : (SWEEPS_GUESS[phase] ?? 8);
        part[q] = Math.max(part[q]!, Math.min(0.9 * units[q]!, (units[q]! * m.sweeps) / Math.max(expected, 1)));
        show();
      }),
    );
    const withPorts = tasks.map((t, q) => ({ ...t, progress: channels[q]!.port2 }) as FitTask);
    try {
      return (await pool.run(
        withPorts,
        (q, _t, r) => {
          finished[q] = 1;
          part[q] = units[q]!;
          seen.sum += (r as EmTaskResult).work;
          seen.n++;
          show();
        },
        (t) => ('progress' in t && t.progress !== undefined ? [t.progress] : []),
        batchSeconds(tasks, model.nEvents),
      )) as R[];
    } finally {
      for (const c of channels) c.port1.close();
    }
  };
  try {
    const emFits = await searchEm({
      o,
      model,
      prepared,
      values,
      M,
      B,
      J,
      starts,
      base,
      root,
      run,
      release: (phase, K) => {
        const key = `${phase} ${K}`;
        total -= reserved.get(key) ?? 0;
        reserved.delete(key);
      },
      onBest: (ll) => (best = Math.max(best, ll)),
    });
    // MCMC: C chains per K, all independent (in parallel), each with its own stream
    const perChain = Math.ceil(o.samplesKept / C);
    const mcmc = {
      iterations: Math.max(1, o.mcmcIterations),
      tunePasses: mcmcTunePasses,
      tuneIterations: o.mcmcTuneIterations,
      samplesKept: perChain,
      refreshEvery: MCMC_DEFAULTS.refreshEvery,
    };
    const streams = batchStreams(root, nChains);
    // Each chain reports its running iteration count on a message port (workers run the chains).
    const chainDone = new Float64Array(nChains);
    const channels = Array.from({ length: nChains }, () => new MessageChannel());
    const doneBefore = done;
    // chain q = (K - 1) * C + c: its estimated milliseconds, shared out over its iterations
    const chainUnits = Array.from({ length: nChains }, (_, q) => unitsOf(mcmcSeconds(M, Math.floor(q / C) + 1, chainIterations)));
    const report = () => {
      let it = 0;
      let units = 0;
      for (let q = 0; q < chainDone.length; q++) {
        it += chainDone[q]!;
        units += chainUnits[q]! * Math.min(1, chainDone[q]! / chainIterations);
      }
      done = doneBefore + Math.floor(units);
      progress({ phase: 'mcmc', subtypes: o.maxSubtypes, done, total, bestLogLik: best, mcmcIterations: { done: it, total: nChains * chainIterations } });
    };
    channels.forEach((c, q) => {
      c.port1.on('message', (m: { iterations: number; best: number }) => {
        // (a message can arrive after its chain has finished and been counted in full)
        chainDone[q] = Math.max(chainDone[q]!, m.iterations);
        if (m.best > best) best = m.best;
        report();
      });
    });
    // Task q = (K - 1) * C + c. Largest K first: its chains are the longest, so the others fill the threads around them.
    const chainTasks: FitTask[] = [];
    emFits.forEach((f, k) => {
      startsFor(f.result, f.all, C).forEach((start, c) => {
        const q = k * C + c;
        chainTasks.push({
          kind: 'mcmc',
          ...base,
          values,
          M,
          rng: streams[q]!,
          sequences: start?.sequences ?? f.result.sequences,
          fractions: f.result.fractions,
          ...(start === undefined ? { perturbStart: Math.ceil(model.nEvents / 4) } : {}),
          mcmc,
          progress: channels[q]!.port2,
        });
      });
    });
    let chains: McmcTaskResult[];
    try {
      chains = (
        (await pool.run(
          [...chainTasks].reverse(),
          (_i, t) => {
            const q = chainTasks.indexOf(t);
            chainDone[q] = chainIterations;
            report();
          },
          (t) => (t.kind === 'mcmc' && t.progress !== undefined ? [t.progress] : []),
          batchSeconds(chainTasks, model.nEvents),
        )) as McmcTaskResult[]
      ).reverse();
    } finally {
      for (const c of channels) c.port1.close();
    }
    const events = kind.events(spec, biomarkers);
    const fits: SustainFit<EventLabel>[] = emFits.map((f, k) => buildFit(model, prepared, starts, events, f.result, f.startPoints, chains.slice(k * C, (k + 1) * C), o.mcmcIterations > 0));
    progress({ phase: 'done', subtypes: o.maxSubtypes, done: total, total, bestLogLik: best });
    const training: SustainModelFile['training'] = { subjects: J };
    if (starts !== null) training.visits = M;
    if (opts.dataSha256 !== undefined) training.dataSha256 = opts.dataSha256;
    if (opts.dataFile !== undefined) training.dataFile = opts.dataFile;
    return {
      ...modelFileHead(spec, biomarkers, events),
      settings: {
        seed: o.seed,
        maxSubtypes: o.maxSubtypes,
        startpoints: o.startpoints,
        mcmcIterations: o.mcmcIterations,
        chains: C,
        mcmcTunePasses: mcmc.tunePasses,
        mcmcTuneIterations: o.mcmcTuneIterations,
        samplesKept: o.samplesKept,
        ...(o.polish > 0 ? { polish: o.polish } : {}),
        // only when on, so --early-stop 0 writes what fits wrote before the setting existed
        ...(o.earlyStop > 0 ? { earlyStop: o.earlyStop } : {}),
        // only when it applied (the cohort is large enough), so every other fit writes what it wrote before the setting existed
        ...(screens(J, o.screen) ? { screen: o.screen } : {}),
        emMaxIterations: o.emMaxIterations,
        emTolerance: o.emTolerance,
        ...(lon !== undefined ? { time: lon.timeColumn } : {}),
      },
      training,
      fits,
    } as unknown as SustainModelFile;
  } finally {
    await pool.close();
  }
}
