/**
 * An independent least-squares solver for the tests: standardise the design's columns, form the
 * normal equations and solve them by Gaussian elimination with partial pivoting, then map the
 * coefficients back. Nothing shared with src/normalise/ols.ts (which uses Householder QR).
 */
export interface RefFit {
  coef: number[];
  rss: number;
  /** (X'X)^-1 on the original scale, for standard errors. */
  xtxInv: number[][];
}

export function referenceLeastSquares(X: number[][], y: number[]): RefFit {
  const n = X.length;
  const p = X[0]!.length;
  // Column 0 is the intercept; the others are centred and scaled to unit sd.
  const m = new Array(p).fill(0);
  const s = new Array(p).fill(1);
  for (let j = 1; j < p; j++) {
    for (let i = 0; i < n; i++) m[j] += X[i]![j]!;
    m[j] /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (X[i]![j]! - m[j]) ** 2;
    s[j] = Math.sqrt(v / n);
  }
  const Z = X.map((row) => row.map((x, j) => (j === 0 ? 1 : (x - m[j]) / s[j])));
  const A = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => Z.reduce((acc, r) => acc + r[a]! * r[b]!, 0)));
  const rhs = Array.from({ length: p }, (_, a) => Z.reduce((acc, r, i) => acc + r[a]! * y[i]!, 0));
  const inv = invert(A);
  const bz = inv.map((row) => row.reduce((acc, v, k) => acc + v * rhs[k]!, 0));
  // Back to the original scale: x_j = m_j + s_j z_j.
  const coef = new Array(p).fill(0);
  coef[0] = bz[0]!;
  for (let j = 1; j < p; j++) {
    coef[j] = bz[j]! / s[j];
    coef[0] -= (bz[j]! * m[j]) / s[j];
  }
  let rss = 0;
  for (let i = 0; i < n; i++) {
    let pred = 0;
    for (let j = 0; j < p; j++) pred += X[i]![j]! * coef[j]!;
    rss += (y[i]! - pred) ** 2;
  }
  // (X'X)^-1 = T (Z'Z)^-1 T' with T mapping standardised coefficients to raw ones.
  const T = Array.from({ length: p }, () => new Array(p).fill(0));
  T[0]![0] = 1;
  for (let j = 1; j < p; j++) {
    T[j]![j] = 1 / s[j];
    T[0]![j] = -m[j] / s[j];
  }
  const TI = T.map((row) => Array.from({ length: p }, (_, b) => row.reduce((acc, v, k) => acc + v * inv[k]![b]!, 0)));
  const xtxInv = TI.map((row) => Array.from({ length: p }, (_, b) => row.reduce((acc, v, k) => acc + v * T[b]![k]!, 0)));
  return { coef, rss, xtxInv };
}

/** Gauss-Jordan inverse with partial pivoting. */
export function invert(M: number[][]): number[][] {
  const p = M.length;
  const a = M.map((row, i) => [...row, ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    const d = a[c]![c]!;
    for (let k = 0; k < 2 * p; k++) a[c]![k] = a[c]![k]! / d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      if (f !== 0) for (let k = 0; k < 2 * p; k++) a[r]![k] = a[r]![k]! - f * a[c]![k]!;
    }
  }
  return a.map((row) => row.slice(p));
}
