/**
 * Coarse-to-fine EM search for large cohorts (`--screen N`, search.ts). EM costs time linear in
 * subjects, and at paper scale most start points end in the same few optima. So when the cohort has
 * at least SCREEN_FACTOR x N subjects, every set of start points (the K = 1 runs, each cluster's split
 * candidates, each cluster's mixture runs) runs on one fixed random N of the subjects, and the best
 * REFINE distinct results of each set are then refined by EM on every subject (a mixture task from
 * their sequences and fractions); the best refined result is the K's optimum, which the polish and
 * the next K's clusters use on the full data. The subsample is drawn from the fit's root stream only
 * when screening applies, so smaller cohorts fit exactly as without it. Evidence for the default:
 * docs/sustain.md ("Screening start points on a subsample").
 */
import type { Rng } from '../common/rng.js';
import { rowsLabelled } from './longitudinal/visits.js';
import { SAME_OPTIMUM } from './multistart.js';
import type { EmTaskResult } from './tasks.js';

/** Screening applies to cohorts of at least this many times N subjects (below, it saves under half the start points' EM and adds the refinements). */
export const SCREEN_FACTOR = 2;

/** Distinct results of each screened set refined on every subject. */
export const REFINE = 3;

/** The data a set of EM tasks runs on: every subject, or the screened subsample. */
export interface EmData {
  /** the engine's values, M rows */
  values: Float64Array;
  M: number;
  /** subjects (longitudinal: all of a subject's visits) */
  J: number;
  /** longitudinal: first row of each subject (null: cross-sectional) */
  starts: Int32Array | null;
  /** longitudinal: visits per subject (what tasks take) */
  visits?: Int32Array;
}

/** Whether a fit of J subjects screens its start points on n of them. */
export function screens(J: number, n: number): boolean {
  return n > 0 && J >= SCREEN_FACTOR * n;
}

/** n of J subjects drawn at random (`rng`), in subject order. */
export function pickSubjects(J: number, n: number, rng: Rng): Int32Array {
  return rng.permutation(J).slice(0, n).sort();
}

/** The subsample of `full` made of subjects `chosen` (in order; a longitudinal subject keeps all its visits). */
export function subsample(full: EmData, chosen: Int32Array, B: number): EmData {
  const label = new Uint8Array(full.J);
  for (const j of chosen) label[j] = 1;
  const { rows, counts } = rowsLabelled(label, 1, full.starts);
  const values = new Float64Array(rows.length * B);
  rows.forEach((i, r) => values.set(full.values.subarray(i * B, i * B + B), r * B));
  if (full.starts === null) return { values, M: rows.length, J: rows.length, starts: null };
  const visits = Int32Array.from(counts);
  const starts = new Int32Array(visits.length + 1);
  visits.forEach((v, j) => (starts[j + 1] = starts[j]! + v));
  return { values, M: rows.length, J: visits.length, starts, visits };
}

/**
 * The best n results of a set whose log-likelihoods differ by more than SAME_OPTIMUM (the same
 * optimum reached twice is refined once), best first; ties keep task order.
 */
export function bestDistinct(rs: readonly EmTaskResult[], n: number): EmTaskResult[] {
  const sorted = rs.map((r, q) => ({ r, q })).sort((a, b) => b.r.logLik - a.r.logLik || a.q - b.q);
  const out: EmTaskResult[] = [];
  for (const { r } of sorted) {
    if (out.length >= n) break;
    if (out.every((o) => Math.abs(o.logLik - r.logLik) > SAME_OPTIMUM)) out.push(r);
  }
  return out;
}
