/**
 * Adjusted Rand index (Hubert & Arabie 1985) between two labelings of the same subjects.
 * Labels are any non-negative integers; the two labelings may use different numbers of labels.
 * Convention (as scikit-learn): when both labelings put every subject in one cluster, or both put
 * every subject in its own cluster, the index is 1 (identical partitions), not 0/0.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new Error(`adjustedRandIndex: lengths differ (${n} vs ${b.length})`);
  if (n < 2) return 1;
  const ka = maxLabel(a) + 1;
  const kb = maxLabel(b) + 1;
  const table = new Float64Array(ka * kb);
  const rows = new Float64Array(ka);
  const cols = new Float64Array(kb);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    table[x * kb + y]! += 1;
    rows[x]! += 1;
    cols[y]! += 1;
  }
  const c2 = (v: number) => (v * (v - 1)) / 2;
  let sumCells = 0;
  for (let i = 0; i < table.length; i++) sumCells += c2(table[i]!);
  let sumRows = 0;
  for (let i = 0; i < ka; i++) sumRows += c2(rows[i]!);
  let sumCols = 0;
  for (let j = 0; j < kb; j++) sumCols += c2(cols[j]!);
  const total = c2(n);
  const expected = (sumRows * sumCols) / total;
  const maxIndex = (sumRows + sumCols) / 2;
  if (maxIndex === expected) return 1; // both trivial partitions (all in one, or all singletons)
  return (sumCells - expected) / (maxIndex - expected);
}

function maxLabel(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isInteger(v) || v < 0) throw new Error(`adjustedRandIndex: label ${v} is not a non-negative integer`);
    if (v > m) m = v;
  }
  return m;
}
