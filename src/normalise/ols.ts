import { Matrix, QrDecomposition } from 'ml-matrix';

/**
 * Ordinary least squares by Householder QR (ml-matrix) on a column-equilibrated design: the normal
 * equations square the condition number (raw ICV in mm^3 next to an intercept), QR does not.
 * Rank deficiency is detected, not papered over, and reported as which column depends on which.
 */

export interface OlsFit {
  ok: true;
  coef: Float64Array;
  rss: number;
  /** Total sum of squares around the mean (R^2 = 1 - rss/tss). */
  tss: number;
  df: number;
}

export interface RankDeficient {
  ok: false;
  /** Index of the first design column that is (numerically) a combination of earlier ones. */
  column: number;
  /** Earlier columns involved in that combination (empty: the column is zero). */
  dependsOn: number[];
}

/**
 * |R_jj| of a unit-norm column is its distance from the span of the earlier columns (the sine of
 * the angle); below this it is collinear at double precision.
 */
const COLLINEAR_TOL = 1e-9;
/** Coefficient size (unit-norm columns) above which an earlier column counts as part of a dependence. */
const INVOLVED_TOL = 1e-6;

/** X: n x p row-major; y: length n. */
export function solveOls(X: Float64Array, n: number, p: number, y: Float64Array): OlsFit | RankDeficient {
  const r = solveOlsMany(X, n, p, [y]);
  return Array.isArray(r) ? r[0]! : r;
}

/**
 * Several responses on one design: one QR decomposition (the O(n p^2) part) shared by all, each
 * response then costs O(n p). Features with the same missing-value pattern share a design.
 */
export function solveOlsMany(X: Float64Array, n: number, p: number, ys: readonly Float64Array[]): OlsFit[] | RankDeficient {
  const scale = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[i * p + j]! * X[i * p + j]!;
    scale[j] = Math.sqrt(s);
    if (scale[j] === 0) return { ok: false, column: j, dependsOn: [] };
  }
  const A = new Matrix(n, p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) A.set(i, j, X[i * p + j]! / scale[j]!);
  const qr = new QrDecomposition(A);
  const R = qr.upperTriangularMatrix;
  for (let j = 0; j < p; j++) {
    if (!(Math.abs(R.get(j, j)) > COLLINEAR_TOL)) return { ok: false, column: j, dependsOn: dependence(A, j) };
  }
  // coef = R^-1 Q'y with the thin Q copied out once: per response O(n p) on typed arrays
  // (ml-matrix's multi-column solve goes through get/set per element, 10x slower here).
  const Qm = qr.orthogonalMatrix;
  const Q = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) Q[i * p + j] = Qm.get(i, j);
  const Rt = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = a; b < p; b++) Rt[a * p + b] = R.get(a, b);
  return ys.map((y) => {
    const qty = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const yi = y[i]!;
      for (let j = 0; j < p; j++) qty[j]! += Q[i * p + j]! * yi;
    }
    const b = new Float64Array(p);
    for (let j = p - 1; j >= 0; j--) {
      let s = qty[j]!;
      for (let k = j + 1; k < p; k++) s -= Rt[j * p + k]! * b[k]!;
      b[j] = s / Rt[j * p + j]!;
    }
    const coef = new Float64Array(p);
    for (let j = 0; j < p; j++) coef[j] = b[j]! / scale[j]!;
    const rss = residualSumOfSquares(X, n, p, y, coef);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i]!;
    mean /= n;
    let tss = 0;
    for (let i = 0; i < n; i++) tss += (y[i]! - mean) ** 2;
    return { ok: true as const, coef, rss, tss, df: n - p };
  });
}

/** Prediction of one design row, summed in column order (the same order everywhere, for byte-stable output). */
export function predictRow(X: Float64Array, row: number, p: number, coef: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < p; j++) s += X[row * p + j]! * coef[j]!;
  return s;
}

export function residualSumOfSquares(X: Float64Array, n: number, p: number, y: Float64Array, coef: ArrayLike<number>): number {
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (y[i]! - predictRow(X, i, p, coef)) ** 2;
  return rss;
}

/** Which earlier columns column j is built from: regress it on them (they are full rank). */
function dependence(A: Matrix, j: number): number[] {
  if (j === 0) return [];
  const prev = A.subMatrix(0, A.rows - 1, 0, j - 1);
  const target = A.subMatrix(0, A.rows - 1, j, j);
  const c = new QrDecomposition(prev).solve(target);
  const out: number[] = [];
  for (let k = 0; k < j; k++) if (Math.abs(c.get(k, 0)) > INVOLVED_TOL) out.push(k);
  return out;
}

/**
 * Group the G columns of an N x G row-major table by their missing (NaN) pattern: each group's
 * rows (those with values) and features, groups in the order of their first feature.
 */
export function groupByMissing(y: Float64Array, N: number, G: number): { rows: number[]; features: number[] }[] {
  const groups = new Map<string, { rows: number[]; features: number[] }>();
  for (let g = 0; g < G; g++) {
    const rows: number[] = [];
    const gaps: number[] = [];
    for (let i = 0; i < N; i++) (Number.isNaN(y[i * G + g]!) ? gaps : rows).push(i);
    const key = gaps.join(',');
    const grp = groups.get(key);
    if (grp) grp.features.push(g);
    else groups.set(key, { rows, features: [g] });
  }
  return [...groups.values()];
}
