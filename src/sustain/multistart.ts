/**
 * Sets of EM start points run in fixed batches, each set stopping early once its best optimum repeats.
 *
 * At paper scale most EM runs of a set end where others already did: the 25 runs of a 2-subtype
 * mixture all from one initialisation gave one optimum 25 times, the 25 K = 1 start points one
 * optimum 25 times (docs/sustain.md "EM at paper scale"). A set therefore runs BATCH tasks at a time
 * and stops after the first batch at whose end its best log-likelihood has been reached `repeats`
 * times (0: never; then all `max` tasks run, as pySuStaIn does). The batch size is fixed, not the
 * thread count, and task i of a set always uses stream i of the set's seed, so the result is the
 * same for any thread count and a set that runs to the end gives what it gave without batches.
 */
import { Rng } from '../common/rng.js';
import type { EmTaskResult, FitTask } from './tasks.js';

/** Tasks per set per batch (all running sets' batches go to the pool together). */
export const BATCH = 4;

/** Two runs reached the same optimum when their log-likelihoods agree to this (far above rounding, far below any real difference). */
export const SAME_OPTIMUM = 1e-3;

export interface MultiStart {
  /** the set's seed, drawn from the fit's root stream */
  seed: number;
  /** the task for stream state `rng` */
  task: (rng: number[]) => FitTask;
}

/** Random stream states for a batch of n tasks, drawn in order from the root stream. */
export function batchStreams(root: Rng, n: number): number[][] {
  return Rng.fromSeed(root.nextSeed())
    .streams(n)
    .map((r) => r.state());
}

export function firstBest<T extends { logLik: number }>(rs: readonly T[]): T {
  let best = rs[0]!;
  for (const r of rs) if (r.logLik > best.logLik) best = r;
  return best;
}

/** Whether a set with results `rs` (in task order) is done: its best reached `repeats` times (repeats > 0). */
export function repeated(rs: readonly { logLik: number }[], repeats: number): boolean {
  if (repeats <= 0 || rs.length === 0) return false;
  const best = firstBest(rs).logLik;
  let hits = 0;
  for (const r of rs) if (r.logLik >= best - SAME_OPTIMUM) hits++;
  return hits >= repeats;
}

/**
 * Run the sets, at most `max` tasks each, in rounds: each round takes the next BATCH tasks of every
 * set still running (one call of `run`, `first` on the first round), then stops the sets whose best
 * has repeated. Returns each set's results in task order. (Each set stops on its own: a K's mixture
 * sets, one per cluster, compete for one optimum, but stopping them all once the best over all had
 * repeated lost the paper-scale K = 3 optimum, which one cluster's runs reached only 2 times in 25.)
 */
export async function runMultiStart(
  sets: readonly MultiStart[],
  max: number,
  repeats: number,
  // `pending`: tasks the sets still running may run after this batch (for the progress plan)
  run: (tasks: FitTask[], first: boolean, pending: number) => Promise<EmTaskResult[]>,
): Promise<EmTaskResult[][]> {
  const results: EmTaskResult[][] = sets.map(() => []);
  const gens = sets.map((s) => Rng.fromSeed(s.seed));
  const running = sets.map(() => true);
  for (let round = 0; running.some((r) => r); round++) {
    const tasks: FitTask[] = [];
    const owner: number[] = [];
    sets.forEach((s, q) => {
      if (!running[q]) return;
      const n = results[q]!.length;
      const m = repeats > 0 ? Math.min(BATCH, max - n) : max - n;
      for (const g of gens[q]!.streams(n + m).slice(n)) {
        tasks.push(s.task(g.state()));
        owner.push(q);
      }
    });
    let pending = 0;
    sets.forEach((_, q) => {
      if (running[q]) pending += max - results[q]!.length;
    });
    const rs = await run(tasks, round === 0, pending - tasks.length);
    rs.forEach((r, t) => results[owner[t]!]!.push(r));
    sets.forEach((_, q) => {
      if (running[q] && (results[q]!.length >= max || repeated(results[q]!, repeats))) running[q] = false;
    });
  }
  return results;
}
