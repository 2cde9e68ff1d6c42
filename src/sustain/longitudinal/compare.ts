/**
 * What treating visits as separate subjects does to a longitudinal cohort: how many subjects a
 * cross-sectional assignment of their visits puts in more than one subtype or moves backwards in
 * stage, and the majority vote over a subject's cross-sectional subtypes (the simple fix the
 * longitudinal model is compared with).
 */

export interface Consistency {
  /** subjects with two or more visits */
  subjects: number;
  /** of those, subjects whose visits get more than one subtype */
  switched: number;
  /** of those, subjects with a visit at a lower stage than an earlier one */
  backwards: number;
}

/** Rows grouped by subject in time order (start); mlSubtype and mlStage per row. */
export function consistency(start: Int32Array, mlSubtype: ArrayLike<number>, mlStage: ArrayLike<number>): Consistency {
  const out: Consistency = { subjects: 0, switched: 0, backwards: 0 };
  for (let j = 0; j + 1 < start.length; j++) {
    const a = start[j]!;
    const b = start[j + 1]!;
    if (b - a < 2) continue;
    out.subjects++;
    let sw = false;
    let back = false;
    for (let r = a + 1; r < b; r++) {
      if (mlSubtype[r] !== mlSubtype[a]) sw = true;
      if (mlStage[r]! < mlStage[r - 1]!) back = true;
    }
    if (sw) out.switched++;
    if (back) out.backwards++;
  }
  return out;
}

/**
 * Per row: the subtype most of its subject's visits got (ties to the larger summed probability, then
 * the lower subtype).
 */
export function majorityVote(start: Int32Array, mlSubtype: ArrayLike<number>, probMlSubtype: ArrayLike<number>, K: number): Int32Array {
  const out = new Int32Array(mlSubtype.length);
  const votes = new Float64Array(K);
  const mass = new Float64Array(K);
  for (let j = 0; j + 1 < start.length; j++) {
    votes.fill(0);
    mass.fill(0);
    for (let r = start[j]!; r < start[j + 1]!; r++) {
      votes[mlSubtype[r]!]! += 1;
      mass[mlSubtype[r]!]! += probMlSubtype[r]!;
    }
    let best = 0;
    for (let s = 1; s < K; s++) if (votes[s]! > votes[best]! || (votes[s] === votes[best] && mass[s]! > mass[best]!)) best = s;
    for (let r = start[j]!; r < start[j + 1]!; r++) out[r] = best;
  }
  return out;
}

/** Share of rows whose stage equals the truth (truth clamped to 0..N: stage N+1, at zmax, is stage N), and the mean absolute error. */
export function stageAccuracy(stage: ArrayLike<number>, truth: ArrayLike<number>, N: number): { exact: number; mae: number } {
  let hit = 0;
  let err = 0;
  for (let r = 0; r < stage.length; r++) {
    const t = Math.min(N, truth[r]!);
    if (stage[r] === t) hit++;
    err += Math.abs(stage[r]! - t);
  }
  return { exact: hit / stage.length, mae: err / stage.length };
}
