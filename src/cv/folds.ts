import type { Rng } from '../common/rng.js';
import { UserError } from '../common/errors.js';

/**
 * Assign every subject to one of `folds` test folds (0-based), so each subject is held out exactly
 * once. Without strata: a seeded permutation dealt round-robin. With strata (one label per subject,
 * e.g. diagnosis): each stratum, taken in sorted label order, is permuted and dealt round-robin,
 * continuing the deal where the previous stratum stopped. Then every stratum's count differs by at
 * most one between folds, and so do the fold sizes. Empty labels form their own stratum.
 */
export function makeFolds(subjects: number, folds: number, rng: Rng, strata?: readonly string[]): Int32Array {
  if (!Number.isInteger(folds) || folds < 2) throw new UserError(`the number of folds must be an integer of at least 2, got ${folds}`);
  if (subjects < folds) throw new UserError(`${folds} folds need at least ${folds} subjects, the data has ${subjects}`);
  if (strata !== undefined && strata.length !== subjects) throw new Error(`makeFolds: ${strata.length} labels for ${subjects} subjects`);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < subjects; i++) {
    const key = strata === undefined ? '' : strata[i]!;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(i);
  }
  const keys = [...groups.keys()].sort();
  const foldOf = new Int32Array(subjects);
  let next = 0;
  for (const key of keys) {
    const members = groups.get(key)!;
    const perm = rng.permutation(members.length);
    for (let j = 0; j < members.length; j++) {
      foldOf[members[perm[j]!]!] = next;
      next = (next + 1) % folds;
    }
  }
  return foldOf;
}

/** Indices of the training and test subjects of fold f. */
export function foldIndices(foldOf: Int32Array, f: number): { train: Int32Array; test: Int32Array } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < foldOf.length; i++) (foldOf[i] === f ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}
