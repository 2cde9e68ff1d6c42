/**
 * "EM" of SuStaIn (pySuStaIn _perform_em / _optimise_parameters): coordinate ascent over event
 * positions with fractions from the responsibilities.
 *
 * One sweep: E-step for f; then for subtypes in random order and, within each, events in random order,
 * try the event at every position its biomarker's thresholds allow (others and f fixed) and keep the
 * best (first maximum); finally update f again. Sweeps repeat until the relative change of the
 * log-likelihood is below the tolerance (a worse sweep is not accepted), at most maxIterations.
 *
 * Trying the positions is a walk: the event moves one step at a time, so each candidate changes only
 * two biomarkers' curves over the stages between their neighbouring events (see state.ts).
 */
import type { Rng } from '../common/rng.js';
import type { ModelData } from './model.js';
import { moveEvent } from './model.js';
import type { MixtureTables } from './state.js';

export interface EmOptions {
  maxIterations: number;
  tolerance: number;
}

export const EM_DEFAULTS: EmOptions = { maxIterations: 100, tolerance: 1e-6 };

export interface EmResult {
  sequences: Int32Array[];
  fractions: Float64Array;
  logLik: number;
  sweeps: number;
}

const ORIGIN = 0;
const BEST = 1;

/**
 * Best position for event e of subtype s with the others fixed (the first maximum in position
 * order); leaves the tables at that position. The walk goes down from the current position to the
 * lowest allowed one, then up from the current position to the highest, one step at a time; the
 * states it returns to are restored from snapshots (a long jump would cost several steps).
 */
function optimiseEvent<D extends ModelData>(mix: MixtureTables<D>, s: number, e: number, f: Float64Array, other: Float64Array, range: Int32Array, work: Int32Array): void {
  const st = mix.subs[s]!;
  mix.model.allowedRange(st.pos, e, range);
  const lo = range[0]!;
  const hi = range[1]!;
  if (hi - lo <= 1) return;
  // `other` is in the subjects' reference scale: recompute it if a subject was re-centred
  let seen = mix.rebaseCount;
  const evaluate = (): number => {
    if (mix.rebaseCount !== seen) {
      mix.othersTotal(s, f, other);
      seen = mix.rebaseCount;
    }
    return mix.logLikWithOthers(s, f, other);
  };
  const c = st.pos[e]!;
  let best = evaluate();
  let bestP = c;
  let bestSlot = ORIGIN;
  let at = c;
  mix.snapshot(s, ORIGIN);
  work.set(st.seq);
  for (let p = c - 1; p >= lo; p--) {
    if (bestP === at && bestSlot !== ORIGIN) mix.snapshot(s, BEST);
    moveEvent(work, p + 1, p);
    mix.apply(s, work);
    at = p;
    const ll = evaluate();
    // walking down, a tie goes to the lower position
    if (ll >= best) {
      best = ll;
      bestP = p;
      bestSlot = BEST;
    }
  }
  if (c + 1 < hi) {
    if (at !== c) {
      if (bestP === at && bestSlot !== ORIGIN) mix.snapshot(s, BEST);
      mix.restore(s, ORIGIN);
      work.set(st.seq);
      at = c;
    }
    for (let p = c + 1; p < hi; p++) {
      if (bestP === at && bestSlot !== ORIGIN) mix.snapshot(s, BEST);
      moveEvent(work, p - 1, p);
      mix.apply(s, work);
      at = p;
      const ll = evaluate();
      if (ll > best) {
        best = ll;
        bestP = p;
        bestSlot = BEST;
      }
    }
  }
  if (bestP !== at) mix.restore(s, bestSlot);
}

/**
 * One sweep; returns the exact log-likelihood after it (tables refreshed). Mutates mix and f.
 * `onEvent` is called after each event's positions were tried (K x N times a sweep), for progress
 * inside long sweeps (many subjects and events).
 */
export function emSweep<D extends ModelData>(mix: MixtureTables<D>, f: Float64Array, rng: Rng, onEvent?: () => void): number {
  const K = mix.K;
  const N = mix.model.nEvents;
  if (K > 1) mix.responsibilities(f, f);
  const other = new Float64Array(mix.M);
  const range = new Int32Array(2);
  const work = new Int32Array(N);
  const order = rng.permutation(K);
  for (let q = 0; q < K; q++) {
    const s = order[q]!;
    mix.othersTotal(s, f, other);
    const events = rng.permutation(N);
    for (let r = 0; r < N; r++) {
      optimiseEvent(mix, s, events[r]!, f, other, range, work);
      onEvent?.();
    }
  }
  mix.refresh();
  if (K > 1) mix.responsibilities(f, f);
  return mix.logLik(f, false);
}

/** Run EM from the tables' current sequences and fractions `f0`. */
export function performEm<D extends ModelData>(
  mix: MixtureTables<D>,
  f0: ArrayLike<number>,
  rng: Rng,
  opts: EmOptions = EM_DEFAULTS,
  onSweep?: (ll: number) => void,
  onEvent?: () => void,
): EmResult {
  let f = Float64Array.from(f0);
  let cur = mix.logLik(f, false);
  let curSeqs = mix.sequences();
  let sweeps = 0;
  for (let it = 0; it < opts.maxIterations; it++) {
    const cf = Float64Array.from(f);
    const ll = emSweep(mix, cf, rng, onEvent);
    sweeps++;
    const converged = Math.abs((ll - cur) / Math.max(ll, cur)) < opts.tolerance;
    if (!converged && ll > cur) {
      cur = ll;
      f = cf;
      curSeqs = mix.sequences();
      onSweep?.(cur);
    } else {
      // The tables hold the candidate: put the kept model back.
      mix.reset(curSeqs);
      if (converged) break;
    }
  }
  if (mix.K > 1) {
    // pySuStaIn stops with fractions one E-step from its last sweep; the convergence test (relative
    // 1e-6, i.e. ~0.02 log-likelihood units on 1000 subjects) leaves them slightly off their optimum
    // for the final sequences. Iterate the fraction update (monotone) to convergence.
    const g = Float64Array.from(f);
    let ll = cur;
    for (let it = 0; it < 500; it++) {
      mix.responsibilities(g, g);
      const next = mix.logLik(g, false);
      if (!(next >= ll)) break;
      f.set(g);
      const done = next - ll < 1e-10;
      ll = next;
      if (done) break;
    }
    cur = ll;
  }
  return { sequences: curSeqs, fractions: f, logLik: cur, sweeps };
}
