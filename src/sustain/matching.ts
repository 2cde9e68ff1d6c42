/**
 * Matching one model's subtypes to another's (a CV fold's to the full-data model's, an MCMC chain's
 * to the first chain's), so positional variances and samples can be pooled. Similarity = Kendall tau between the two subtypes' event orders (as
 * pySuStaIn does); the assignment maximising the summed similarity is found exhaustively for up to
 * 8 subtypes and by the Hungarian algorithm beyond.
 */

/** positions[e] = position of event e, from a sequence (sequence[p] = event at position p). */
export function positionsOf(sequence: readonly number[]): Int32Array {
  const pos = new Int32Array(sequence.length);
  sequence.forEach((e, p) => (pos[e] = p));
  return pos;
}

/** Kendall tau-a between two orderings of the same N events (given as positions per event). */
export function kendallTau(posA: ArrayLike<number>, posB: ArrayLike<number>): number {
  const N = posA.length;
  if (N < 2) return 1;
  let s = 0;
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const a = posA[i]! - posA[j]!;
      const b = posB[i]! - posB[j]!;
      s += Math.sign(a) * Math.sign(b);
    }
  }
  return s / ((N * (N - 1)) / 2);
}

/** similarity[r][c]; returns assign[r] = c maximising sum of similarity[r][assign[r]] (square matrix). */
export function bestAssignment(similarity: readonly (readonly number[])[]): number[] {
  const K = similarity.length;
  return K <= 8 ? exhaustive(similarity) : hungarian(similarity.map((row) => row.map((v) => -v)));
}

export function exhaustive(sim: readonly (readonly number[])[]): number[] {
  const K = sim.length;
  let best: number[] = [];
  let bestScore = -Infinity;
  const perm: number[] = [];
  const used = new Array<boolean>(K).fill(false);
  // Depth-first in lexicographic order; strict improvement keeps the first best (deterministic).
  const rec = (r: number, score: number) => {
    if (r === K) {
      if (score > bestScore) {
        bestScore = score;
        best = [...perm];
      }
      return;
    }
    for (let c = 0; c < K; c++) {
      if (used[c]) continue;
      used[c] = true;
      perm.push(c);
      rec(r + 1, score + sim[r]![c]!);
      perm.pop();
      used[c] = false;
    }
  };
  rec(0, 0);
  return best;
}

/** Hungarian algorithm (potentials, O(K^3)) for the minimum-cost assignment; returns assign[r] = c. */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const n = cost.length;
  const INF = Infinity;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[c] = row matched to column c (1-based), 0 = none
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(INF);
    const used = new Array<boolean>(n + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const assign = new Array<number>(n).fill(-1);
  for (let j = 1; j <= n; j++) if (p[j]! > 0) assign[p[j]! - 1] = j - 1;
  return assign;
}

/**
 * Match fold subtypes to reference subtypes by Kendall tau of their sequences (event indices).
 * Returns matchOf[foldSubtype] = reference subtype, and the tau of each matched pair.
 */
export function matchSequences(fold: readonly (readonly number[])[], reference: readonly (readonly number[])[]): { matchOf: number[]; tau: number[] } {
  const refPos = reference.map((s) => positionsOf(s));
  const sim = fold.map((s) => {
    const pos = positionsOf(s);
    return refPos.map((rp) => kendallTau(pos, rp));
  });
  const matchOf = bestAssignment(sim);
  return { matchOf, tau: matchOf.map((c, r) => sim[r]![c]!) };
}
