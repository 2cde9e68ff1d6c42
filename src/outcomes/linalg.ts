/**
 * Small dense linear algebra for the regression models (p is at most a few dozen): symmetric
 * matrices as row-major Float64Array, Cholesky solves and inverses, and the choice of columns to
 * keep when some are linear combinations of earlier ones (the later column goes, as R does).
 */

/** Cholesky factor L (lower, row-major) of a symmetric positive definite p x p matrix, or null if not positive definite. */
export function cholesky(a: Float64Array, p: number): Float64Array | null {
  const l = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j]!;
    for (let k = 0; k < j; k++) d -= l[j * p + k]! * l[j * p + k]!;
    if (!(d > 1e-14 * Math.max(1, Math.abs(a[j * p + j]!)))) return null;
    const ljj = Math.sqrt(d);
    l[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      l[i * p + j] = s / ljj;
    }
  }
  return l;
}

/** Solve (L L') x = b. */
export function cholSolve(l: Float64Array, p: number, b: Float64Array): Float64Array {
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

/** Inverse of a symmetric positive definite matrix, or null. */
export function spdInverse(a: Float64Array, p: number): Float64Array | null {
  const l = cholesky(a, p);
  if (l === null) return null;
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    e.fill(0);
    e[j] = 1;
    const col = cholSolve(l, p, e);
    for (let i = 0; i < p; i++) inv[i * p + j] = col[i]!;
  }
  return inv;
}

/** x' A^-1 x for symmetric positive definite A (NaN if A is singular). */
export function quadFormInverse(a: Float64Array, p: number, x: Float64Array): number {
  const l = cholesky(a, p);
  if (l === null) return NaN;
  const s = cholSolve(l, p, x);
  let q = 0;
  for (let i = 0; i < p; i++) q += x[i]! * s[i]!;
  return q;
}

/**
 * Which columns of an n x p design (column-major list of columns) are linearly independent of the
 * columns before them: Gram-Schmidt in order, a column whose remainder is below `tol` of its own
 * norm is dropped (R's glm and coxph drop the later of two collinear columns the same way).
 * `center` removes each column's mean first (the Cox model has no intercept and ignores shifts).
 */
export function independentColumns(cols: readonly Float64Array[], center: boolean, tol = 1e-7): boolean[] {
  const basis: Float64Array[] = [];
  return cols.map((c0) => {
    const c = Float64Array.from(c0);
    if (center) {
      let m = 0;
      for (const v of c) m += v;
      m /= c.length || 1;
      for (let i = 0; i < c.length; i++) c[i]! -= m;
    }
    const norm0 = Math.sqrt(dot(c, c));
    if (norm0 === 0) return false;
    // Two passes of projection for numerical stability.
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const d = dot(c, q);
        for (let i = 0; i < c.length; i++) c[i]! -= d * q[i]!;
      }
    }
    const norm = Math.sqrt(dot(c, c));
    if (norm < tol * norm0) return false;
    for (let i = 0; i < c.length; i++) c[i]! /= norm;
    basis.push(c);
    return true;
  });
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
