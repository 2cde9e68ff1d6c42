/**
 * Fitting K = 1..maxSubtypes (pySuStaIn run_sustain_algorithm), for a model of any kind (its spec):
 *  - K = 1: `startpoints` EM runs from random sequences; keep the best.
 *  - K -> K+1: hard-assign subjects to the K-subtype ML model's subtypes; for each cluster with more
 *    than one subject, `startpoints` split candidates (random halves -> 1-subtype EMs -> 2-subtype EM
 *    on the cluster), the best split replaces that subtype; then `startpoints` EM runs of the K+1
 *    mixture from that initialisation; keep the best over clusters.
 *  - then, per K, `chains` MCMC chains (chains.ts): the first from the EM optimum, the others from
 *    dispersed starts (the next-best distinct start-point optima, then the EM optimum after random moves);
 *    tuning passes that double as warm-up + the sampling. Chains' subtype labels are aligned to the
 *    first chain's, their kept samples pooled, and R-hat / ESS computed per K; subtypes ordered by
 *    mean posterior fraction, largest first.
 * Options and defaults: fit-options.ts. With `polish`, each K's optimum is polished (polish.ts).
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
import { MixtureTables } from './state.js';
import type { EmTaskResult, FitTask, McmcTaskResult } from './tasks.js';
import type { EventLabel, NamedEvent, SustainFit, SustainModelFile, Thresholds, ZTable } from './types.js';
import { zscoreKind } from './zscore-kind.js';
import { batchSeconds, emSeconds, mcmcSeconds, taskSeconds, unitsOf } from './task-cost.js';
import { improves, polishTasks, POLISH_ROUNDS } from './polish.js';
import { LongitudinalTables } from './longitudinal/tables.js';
import { startsOf } from './longitudinal/visits.js';

export { FIT_DEFAULTS, type FitOptions } from './fit-options.js';

export interface FitProgress {
  phase: 'start points' | 'split' | 'mixture' | 'polish' | 'mcmc' | 'done';
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

/** Random stream states for a batch of n tasks, drawn in order from the root stream. */
function batchStreams(root: Rng, n: number): number[][] {
  return Rng.fromSeed(root.nextSeed())
    .streams(n)
    .map((r) => r.state());
}

function firstBest<T extends { logLik: number }>(rs: T[]): T {
  let best = rs[0]!;
  for (const r of rs) if (r.logLik > best.logLik) best = r;
  return best;
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
  // and mixture batches are per cluster of the previous K, whose sizes add up to M)
  const planned = (phase: FitProgress['phase'], K: number): number =>
    phase === 'start points'
      ? o.startpoints * unitsOf(emSeconds('single', M, N))
      : phase === 'split'
        ? o.startpoints * unitsOf(emSeconds('split', M, N))
        : (phase === 'mixture' ? (K - 1) * o.startpoints : o.polish) * unitsOf(emSeconds('mixture', M, N, K));
  let total = planned('start points', 1) + planned('polish', 1);
  for (let K = 2; K <= o.maxSubtypes; K++) total += planned('split', K) + planned('mixture', K) + planned('polish', K);
  for (let K = 1; K <= o.maxSubtypes; K++) total += C * unitsOf(mcmcSeconds(M, K, chainIterations));
  // one set of workers for every phase: they start and warm up once
  const pool = new TaskPool<FitTask, unknown>(url, o.threads, opts.inProcessSeconds);
  // EM sweeps per task of each phase, from the tasks finished so far: how far a running task is
  const work: Partial<Record<FitProgress['phase'], { sum: number; n: number }>> = {};
  const run = async <R extends EmTaskResult>(tasks: FitTask[], phase: FitProgress['phase'], K: number, plan = planned(phase, K)): Promise<R[]> => {
    const units = tasks.map((t) => unitsOf(taskSeconds(t, N)));
    total += units.reduce((a, u) => a + u, 0) - plan;
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
  // Polish rounds from a K's optimum (polish.ts); streams are drawn only when polishing, so --polish 0 fits as before.
  const polish = async (b: EmTaskResult, K: number): Promise<EmTaskResult> => {
    let cur = b;
    for (let round = 0; round < POLISH_ROUNDS && o.polish > 0; round++) {
      // only the first round is in the plan
      const rs = await run<EmTaskResult>(polishTasks(cur, batchStreams(root, o.polish), N, { ...base, values, M }), 'polish', K, round === 0 ? planned('polish', K) : 0);
      const nb = firstBest(rs);
      if (!improves(nb, cur)) break;
      cur = nb;
    }
    return cur;
  };
  try {
    // K = 1
    const emFits: { result: EmTaskResult; startPoints: number[]; all: EmTaskResult[] }[] = [];
    {
      const streams = batchStreams(root, o.startpoints);
      const rs = await run<EmTaskResult>(
        streams.map((rng) => ({ kind: 'single', ...base, values, M, rng })),
        'start points',
        1,
      );
      const b = await polish(firstBest(rs), 1);
      best = Math.max(best, b.logLik);
      emFits.push({ result: b, startPoints: rs.map((r) => r.logLik), all: rs });
    }
    // K -> K + 1
    for (let K = 2; K <= o.maxSubtypes; K++) {
      const prev = emFits[K - 2]!.result;
      const seqs = prev.sequences.map((s) => Int32Array.from(s));
      const cluster = new Int32Array(J);
      if (starts !== null) {
        const mix = new LongitudinalTables(model, prepared, seqs, starts);
        for (let j = 0; j < J; j++) cluster[j] = mix.bestSubtype(j, prev.fractions);
      } else {
        const mix = new MixtureTables(model, prepared, seqs);
        for (let i = 0; i < M; i++) {
          let bs = 0;
          let bv = -Infinity;
          for (let s = 0; s < K - 1; s++) {
            const v = prev.fractions[s]! * mix.subs[s]!.T[i]!;
            if (v > bv) {
              bv = v;
              bs = s;
            }
          }
          cluster[i] = bs;
        }
      }
      const clusters: number[] = [];
      const rowsOf: number[][] = [];
      const visitsOf: number[][] = [];
      for (let c = 0; c < K - 1; c++) {
        const rows: number[] = [];
        const vs: number[] = [];
        for (let j = 0; j < J; j++) {
          if (cluster[j] !== c) continue;
          if (starts === null) rows.push(j);
          else {
            for (let r = starts[j]!; r < starts[j + 1]!; r++) rows.push(r);
            vs.push(visits![j]!);
          }
        }
        if ((starts === null ? rows.length : vs.length) > 1) {
          clusters.push(c);
          rowsOf.push(rows);
          visitsOf.push(vs);
        }
      }
      if (clusters.length === 0) throw new UserError(`cannot fit ${K} subtypes: no subtype of the ${K - 1}-subtype model has more than one subject`);
      const splitTasks: FitTask[] = [];
      clusters.forEach((_, q) => {
        const rows = rowsOf[q]!;
        const part = new Float64Array(rows.length * B);
        rows.forEach((i, r) => part.set(values.subarray(i * B, i * B + B), r * B));
        const sub = starts === null ? {} : { visits: Int32Array.from(visitsOf[q]!) };
        for (const rng of batchStreams(root, o.startpoints)) splitTasks.push({ kind: 'split', ...base, ...sub, values: part, M: rows.length, rng });
      });
      const splits = await run<EmTaskResult>(splitTasks, 'split', K);
      const mixTasks: FitTask[] = [];
      clusters.forEach((c, q) => {
        const split = firstBest(splits.slice(q * o.startpoints, (q + 1) * o.startpoints));
        const init = prev.sequences.map((s) => [...s]);
        init[c] = split.sequences[0]!;
        init.push(split.sequences[1]!);
        const f = new Array<number>(K).fill(1 / K);
        for (const rng of batchStreams(root, o.startpoints)) mixTasks.push({ kind: 'mixture', ...base, values, M, rng, sequences: init, fractions: f });
      });
      const mixes = await run<EmTaskResult>(mixTasks, 'mixture', K);
      const b = await polish(firstBest(mixes), K);
      best = Math.max(best, b.logLik);
      emFits.push({ result: b, startPoints: mixes.map((r) => r.logLik), all: mixes });
    }
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
