/**
 * Mean silhouette width (Rousseeuw 1987) of several labelings of the same points, Euclidean
 * distance. One pass over the pairs serves every labeling: each distance is computed once and
 * added to the per-cluster sums of each labeling. s(i) = (b - a) / max(a, b) with a = mean distance
 * to the other members of its cluster, b = smallest mean distance to another cluster; s(i) = 0
 * for a point alone in its cluster. A labeling with a single cluster has no b: its silhouette is
 * reported as 0 (documented convention; the score is undefined there).
 */
export function silhouetteScores(B: number, rows: number[][], labelings: Int32Array[], clusterCounts: number[]): number[] {
  const M = rows.length;
  const L = labelings.length;
  const x = new Float64Array(M * B);
  rows.forEach((r, i) => x.set(r, i * B));
  // sums[l][i*K_l + c] = sum of distances from i to the members of cluster c under labeling l
  const sums = clusterCounts.map((K) => new Float64Array(M * K));
  for (let i = 0; i < M; i++) {
    for (let j = i + 1; j < M; j++) {
      let s = 0;
      for (let b = 0; b < B; b++) {
        const d = x[i * B + b]! - x[j * B + b]!;
        s += d * d;
      }
      const d = Math.sqrt(s);
      for (let l = 0; l < L; l++) {
        const K = clusterCounts[l]!;
        const lab = labelings[l]!;
        sums[l]![i * K + lab[j]!]! += d;
        sums[l]![j * K + lab[i]!]! += d;
      }
    }
  }
  return labelings.map((lab, l) => {
    const K = clusterCounts[l]!;
    if (K < 2 || M < 2) return 0;
    const size = new Float64Array(K);
    for (let i = 0; i < M; i++) size[lab[i]!]! += 1;
    let total = 0;
    for (let i = 0; i < M; i++) {
      const own = lab[i]!;
      if (size[own]! < 2) continue; // singleton: s = 0
      const a = sums[l]![i * K + own]! / (size[own]! - 1);
      let b = Infinity;
      for (let c = 0; c < K; c++) {
        if (c === own || size[c] === 0) continue;
        b = Math.min(b, sums[l]![i * K + c]! / size[c]!);
      }
      if (b === Infinity) continue;
      const m = Math.max(a, b);
      total += m > 0 ? (b - a) / m : 0;
    }
    return total / M;
  });
}
