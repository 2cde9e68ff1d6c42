/**
 * The EM search of a fit (pySuStaIn run_sustain_algorithm's EM part; split from fit.ts):
 *  - K = 1: start points from random sequences; keep the best.
 *  - K -> K+1: hard-assign subjects to the K-subtype optimum's subtypes; for each cluster with more
 *    than one subject, split candidates (random halves -> 1-subtype EMs -> 2-subtype EM on the
 *    cluster), the best split replaces that subtype; then EM runs of the K+1 mixture from that
 *    initialisation; keep the best over clusters. Then the polish (polish.ts).
 * Each set of start points (the K = 1 runs, one cluster's split candidates, one cluster's mixture
 * runs) is a "multi-start" of up to `startpoints` tasks, run in batches (multistart.ts): with
 * `earlyStop` r > 0 a set stops once its best optimum has been reached r times. Each set's random
 * streams come from one seed drawn from the root stream in a fixed order, task i from stream i, so a
 * set that runs all its tasks gives exactly what it gave before batches existed, and any thread count
 * gives the same result.
 * With `screen` N > 0 and a cohort of at least 2N subjects, each set runs on a random N of the
 * subjects and its best few distinct results are refined on all of them (screen.ts).
 */
import { UserError } from '../common/errors.js';
import type { FitOptions } from './fit-options.js';
import type { ModelData, ProgressionModel } from './model.js';
import type { ModelSpec } from './kinds.js';
import type { EmOptions } from './em.js';
import { MixtureTables } from './state.js';
import type { EmTaskResult, FitTask } from './tasks.js';
import { improves, polishTasks, POLISH_ROUNDS } from './polish.js';
import { LongitudinalTables } from './longitudinal/tables.js';
import { rowsLabelled } from './longitudinal/visits.js';
import { batchStreams, firstBest, runMultiStart, type MultiStart } from './multistart.js';
import { bestDistinct, pickSubjects, REFINE, screens, subsample, type EmData } from './screen.js';
import { Rng } from '../common/rng.js';

export type SearchPhase = 'start points' | 'split' | 'mixture' | 'refine' | 'polish';

/** One K's EM result: the optimum, and every run of the set that gave it (for the chains' dispersed starts). */
export interface EmFit {
  result: EmTaskResult;
  startPoints: number[];
  all: EmTaskResult[];
}

export interface SearchContext {
  o: FitOptions;
  model: ProgressionModel;
  prepared: ModelData;
  /** the engine's values, M rows of B */
  values: Float64Array;
  M: number;
  B: number;
  /** subjects (a longitudinal subject is all its visits) */
  J: number;
  /** longitudinal: first row of each subject (null: cross-sectional) */
  starts: Int32Array | null;
  base: { spec: ModelSpec; em: EmOptions; visits?: Int32Array };
  root: Rng;
  /** run a batch of tasks (the fit's pool and progress); `plan`: progress units the batch was planned at */
  run: <R extends EmTaskResult>(tasks: FitTask[], phase: SearchPhase, K: number, plan?: number, pending?: number) => Promise<R[]>;
  /** a multi-start of this phase and K has ended: drop the progress planned for the tasks its sets did not run */
  release: (phase: SearchPhase, K: number) => void;
  /** a K's optimum found */
  onBest: (logLik: number) => void;
}

/** Hard assignment of each subject to the K-subtype optimum's subtypes (the clusters the K+1 split starts from). */
function clustersOf(ctx: SearchContext, prev: EmTaskResult): Int32Array {
  const { model, prepared, starts, J, M } = ctx;
  const K = prev.sequences.length;
  const seqs = prev.sequences.map((s) => Int32Array.from(s));
  const cluster = new Int32Array(J);
  if (starts !== null) {
    const mix = new LongitudinalTables(model, prepared, seqs, starts);
    for (let j = 0; j < J; j++) cluster[j] = mix.bestSubtype(j, prev.fractions);
    return cluster;
  }
  const mix = new MixtureTables(model, prepared, seqs);
  for (let i = 0; i < M; i++) {
    let bs = 0;
    let bv = -Infinity;
    for (let s = 0; s < K; s++) {
      const v = prev.fractions[s]! * mix.subs[s]!.T[i]!;
      if (v > bv) {
        bv = v;
        bs = s;
      }
    }
    cluster[i] = bs;
  }
  return cluster;
}

/** Run the EM search for K = 1..maxSubtypes; one EmFit per K. */
export async function searchEm(ctx: SearchContext): Promise<EmFit[]> {
  const { o, base, values, M, B, starts, root } = ctx;
  const N = ctx.model.nEvents;
  const full: EmData = { values, M, J: ctx.J, starts, ...(base.visits !== undefined ? { visits: base.visits } : {}) };
  // the subjects start points run on: a subsample drawn only when screening applies (screen.ts)
  const chosen = screens(ctx.J, o.screen) ? pickSubjects(ctx.J, o.screen, Rng.fromSeed(root.nextSeed())) : null;
  const data = chosen === null ? full : subsample(full, chosen, B);
  const on = (d: EmData) => ({ values: d.values, M: d.M, ...(d.visits !== undefined ? { visits: d.visits } : {}) });
  // each set's results; screened: each set's best distinct results refined on every subject
  const multi = async (sets: MultiStart[], phase: SearchPhase, K: number): Promise<EmTaskResult[][]> => {
    const rs = await runMultiStart(sets, o.startpoints, o.earlyStop, (tasks, first, pending) => ctx.run(tasks, phase, K, first ? undefined : 0, pending));
    ctx.release(phase, K);
    if (chosen === null) return rs;
    const picks = rs.map((r) => bestDistinct(r, REFINE));
    const streams = batchStreams(root, picks.flat().length);
    const refined = await ctx.run<EmTaskResult>(
      picks.flat().map((r, q) => ({ kind: 'mixture', ...base, ...on(full), rng: streams[q]!, sequences: r.sequences, fractions: r.fractions })),
      'refine',
      K,
      0,
    );
    let q = 0;
    return picks.map((p) => p.map(() => refined[q++]!));
  };
  // Polish rounds from a K's optimum (polish.ts); streams are drawn only when polishing, so --polish 0 fits as before.
  const polish = async (b: EmTaskResult, K: number): Promise<EmTaskResult> => {
    let cur = b;
    for (let round = 0; round < POLISH_ROUNDS && o.polish > 0; round++) {
      // only the first round is in the plan
      const rs = await ctx.run<EmTaskResult>(polishTasks(cur, batchStreams(root, o.polish), N, { ...base, values, M }), 'polish', K, round === 0 ? undefined : 0);
      const nb = firstBest(rs);
      if (!improves(nb, cur)) break;
      cur = nb;
    }
    return cur;
  };
  const fits: EmFit[] = [];
  {
    const [rs] = await multi([{ seed: root.nextSeed(), task: (rng) => ({ kind: 'single', ...base, ...on(data), rng }) }], 'start points', 1);
    const b = await polish(firstBest(rs!), 1);
    ctx.onBest(b.logLik);
    fits.push({ result: b, startPoints: rs!.map((r) => r.logLik), all: rs! });
  }
  for (let K = 2; K <= o.maxSubtypes; K++) {
    const prev = fits[K - 2]!.result;
    // clusters of every subject (the optimum is the full data's), then of the subjects the sets run on
    const all = clustersOf(ctx, prev);
    const cluster = chosen === null ? all : Int32Array.from(chosen, (j) => all[j]!);
    const clusters: number[] = [];
    const splitSets: MultiStart[] = [];
    for (let c = 0; c < K - 1; c++) {
      const { rows, counts: vs } = rowsLabelled(cluster, c, data.starts);
      if ((data.starts === null ? rows.length : vs.length) <= 1) continue;
      const part = new Float64Array(rows.length * B);
      rows.forEach((i, r) => part.set(data.values.subarray(i * B, i * B + B), r * B));
      const sub = data.starts === null ? {} : { visits: Int32Array.from(vs) };
      clusters.push(c);
      splitSets.push({ seed: root.nextSeed(), task: (rng) => ({ kind: 'split', ...base, ...sub, values: part, M: rows.length, rng }) });
    }
    if (clusters.length === 0) throw new UserError(`cannot fit ${K} subtypes: no subtype of the ${K - 1}-subtype model has more than one subject`);
    // split candidates only initialise the mixture runs: chosen by their (screened) score, not refined
    const splits = await runMultiStart(splitSets, o.startpoints, o.earlyStop, (tasks, first, pending) => ctx.run(tasks, 'split', K, first ? undefined : 0, pending));
    ctx.release('split', K);
    const f = new Array<number>(K).fill(1 / K);
    const mixSets: MultiStart[] = clusters.map((c, q) => {
      const split = firstBest(splits[q]!);
      const init = prev.sequences.map((s) => [...s]);
      init[c] = split.sequences[0]!;
      init.push(split.sequences[1]!);
      return { seed: root.nextSeed(), task: (rng) => ({ kind: 'mixture', ...base, ...on(data), rng, sequences: init, fractions: f }) };
    });
    const mixes = (await multi(mixSets, 'mixture', K)).flat();
    const b = await polish(firstBest(mixes), K);
    ctx.onBest(b.logLik);
    fits.push({ result: b, startPoints: mixes.map((r) => r.logLik), all: mixes });
  }
  return fits;
}
