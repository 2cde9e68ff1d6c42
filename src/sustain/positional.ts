import type { PosteriorSamples } from './types.js';

/**
 * Positional variance of one subtype: P[event * N + position] = share of the posterior samples with
 * that event at that position. Each sample's sequence is a permutation of the N events, so every
 * row and every column sums to 1 (all zeros when there are no samples). The one implementation:
 * the report draws it, cross-validation pools it over folds.
 */
export function positionalVarianceOf(samples: PosteriorSamples, subtype: number, nEvents: number): Float64Array {
  const n = nEvents;
  const p = new Float64Array(n * n);
  const s = samples.sequences.length;
  if (s === 0) return p;
  // Counts first, one division at the end: each value is exactly count / samples.
  for (let i = 0; i < s; i++) {
    const seq = samples.sequences[i]![subtype]!;
    for (let pos = 0; pos < n; pos++) p[seq[pos]! * n + pos]! += 1;
  }
  for (let i = 0; i < p.length; i++) p[i] = p[i]! / s;
  return p;
}

/** The matrix as nested arrays [event][position] (as cv.json stores it). */
export function toNested(p: Float64Array, nEvents: number): number[][] {
  return Array.from({ length: nEvents }, (_, e) => Array.from(p.subarray(e * nEvents, (e + 1) * nEvents)));
}
