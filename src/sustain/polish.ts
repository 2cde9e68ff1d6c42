/**
 * A final polish of each K's EM optimum (iterated local search). EM moves one event at a time and
 * stops where no single move helps, so from few start points it can end in a local optimum below the
 * best known one (issue 15: K = 3 of a 3,000 x 12 cohort, 3 start points, -58681.2 against
 * pySuStaIn's -58660.5). A polish round runs `runs` EMs, each from the optimum after a few random valid
 * moves per subtype (each with its own random stream); the best result replaces the optimum when it is
 * better, and then another round starts from it, up to POLISH_ROUNDS. The evidence for the default
 * number of runs is in docs/sustain.md ("EM robustness").
 */
import type { EmTaskResult, MixtureTask } from './tasks.js';

/** At most this many rounds per K (a round that does not improve ends the polish). */
export const POLISH_ROUNDS = 3;

/** Random valid moves per subtype before a polish run's EM: an eighth of the events, at least 2. */
export function polishMoves(nEvents: number): number {
  return Math.max(2, Math.ceil(nEvents / 8));
}

/** The tasks of one polish round from `best`, one per stream (`common`: the fields every task of the fit shares). */
export function polishTasks(best: EmTaskResult, streams: number[][], nEvents: number, common: Omit<MixtureTask, 'kind' | 'rng' | 'sequences' | 'fractions' | 'perturb'>): MixtureTask[] {
  return streams.map((rng) => ({ ...common, kind: 'mixture', rng, sequences: best.sequences, fractions: best.fractions, perturb: polishMoves(nEvents) }));
}

/** Whether a polish round found a better optimum (by more than rounding). */
export function improves(candidate: EmTaskResult, best: EmTaskResult): boolean {
  return candidate.logLik > best.logLik + 1e-6;
}
