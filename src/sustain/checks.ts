/**
 * The one check of a model's sequences and fractions, shared by every reader of them: the
 * likelihood (library calls), model files (io/modelfile.ts) and the report. Each returns the reason
 * a value is not valid, or null, so the callers say where (file, field) in their own errors.
 */
import type { ProgressionModel } from './model.js';

/**
 * Why `seq` is not a valid ordering of the model's events, or null: each event once, and every event
 * where the model's order constraints allow it (e.g. a biomarker's z thresholds in order).
 * `label` names an event in the reason (default: its index).
 */
export function sequenceProblem(model: ProgressionModel, seq: ArrayLike<number>, label: (e: number) => string = String): string | null {
  const N = model.nEvents;
  if (seq.length !== N) return `a sequence has ${seq.length} events, the model has ${N}`;
  const pos = new Int32Array(N).fill(-1);
  for (let p = 0; p < N; p++) {
    const e = seq[p]!;
    if (!Number.isInteger(e) || e < 0 || e >= N || pos[e] !== -1) return `a sequence is not an ordering of the ${N} events (event ${e} at position ${p})`;
    pos[e] = p;
  }
  const range = new Int32Array(2);
  for (let e = 0; e < N; e++) {
    model.allowedRange(pos, e, range);
    if (pos[e]! < range[0]! || pos[e]! >= range[1]!) return `a sequence puts event ${label(e)} at position ${pos[e]}, out of order (allowed: ${range[0]} to ${range[1]! - 1})`;
  }
  return null;
}

/** Why `fractions` are not K subtype fractions (non-negative, summing to 1 within 1e-6), or null. */
export function fractionsProblem(fractions: ArrayLike<number>, K: number): string | null {
  if (fractions.length !== K) return `${fractions.length} fractions for ${K} subtypes`;
  let sum = 0;
  for (let s = 0; s < K; s++) {
    const f = fractions[s]!;
    if (!(f >= 0) || !Number.isFinite(f)) return `fractions must be non-negative numbers, got ${f}`;
    sum += f;
  }
  if (Math.abs(sum - 1) > 1e-6) return `fractions must sum to 1, they sum to ${sum}`;
  return null;
}
