/**
 * A rough single-thread time for a fit's tasks, so that small batches run in-process: starting worker
 * threads (each loads the engine, compiles its WebAssembly and warms up its JIT) costs about 0.2 s of
 * wall time and 0.2-0.3 s of CPU per thread, more than two threads save on less than half a second
 * of work. Only where tasks run depends on it, never what they compute.
 *
 * Constants: CPU seconds per unit measured on the shared small (250 x 18 events) and medium
 * (1,000 x 30) cohorts, z-score model, this project's 2-core machine (one EM start point ~5 us per
 * subject x event; a K-subtype EM from a split ~2 us x K^2; an MCMC iteration ~0.035 us per subject x
 * subtype). Within a factor of two is all the choice needs.
 */
import type { FitTask } from './tasks.js';

const EM_SINGLE = 5e-6;
const EM_SPLIT = 1e-5;
const EM_MIXTURE = 2e-6;
const MCMC_ITERATION = 3.5e-8;

/** Estimated single-thread seconds of one EM task (a start point, a split candidate, a K-subtype mixture run) on M rows. */
export function emSeconds(kind: 'single' | 'split' | 'mixture', M: number, nEvents: number, K = 1): number {
  return (kind === 'single' ? EM_SINGLE : kind === 'split' ? EM_SPLIT : EM_MIXTURE * K * K) * M * nEvents;
}

/** Estimated single-thread seconds of an MCMC chain of `iterations` (tuning included) for K subtypes on M rows. */
export function mcmcSeconds(M: number, K: number, iterations: number): number {
  return MCMC_ITERATION * M * K * iterations;
}

/** Estimated single-thread seconds of one task of a model with `nEvents` events. */
export function taskSeconds(t: FitTask, nEvents: number): number {
  switch (t.kind) {
    case 'single':
    case 'split':
      return emSeconds(t.kind, t.M, nEvents);
    case 'mixture':
      return emSeconds('mixture', t.M, nEvents, t.sequences.length);
    case 'mcmc':
      return mcmcSeconds(t.M, t.sequences.length, t.mcmc.tunePasses * t.mcmc.tuneIterations + t.mcmc.iterations);
    case 'assign':
      return Infinity;
  }
}

/** A batch's estimated single-thread seconds. */
export function batchSeconds(tasks: readonly FitTask[], nEvents: number): number {
  let s = 0;
  for (const t of tasks) s += taskSeconds(t, nEvents);
  return s;
}

/**
 * Progress units of a task: its estimated milliseconds, so a bar's rate, and the time left it shows,
 * hold from the EM phases to the MCMC (fixed units per task and per 1,000 iterations had the bar
 * promise seconds while the chains needed a minute).
 */
export function unitsOf(seconds: number): number {
  return Math.max(1, Math.round(1000 * seconds));
}
