import type { Grid } from './types.js';

/** Determinant of the 3x3 linear part of a 4x4 row-major affine (cofactor form: exact for diagonals). */
export function det3(A: readonly number[]): number {
  const a = A[0]!,
    b = A[1]!,
    c = A[2]!;
  const d = A[4]!,
    e = A[5]!,
    f = A[6]!;
  const g = A[8]!,
    h = A[9]!,
    i = A[10]!;
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** sform rows (srow_x, srow_y, srow_z, 12 numbers) -> 4x4. */
export function sformAffine(srow: readonly number[]): number[] {
  return [...srow.slice(0, 12), 0, 0, 0, 1];
}

/**
 * qform: rotation from the unit quaternion (b, c, d; a = sqrt(1 - b^2 - c^2 - d^2)), scaled by
 * pixdim[1..3] with qfac = sign of pixdim[0] (0 counts as +1) on the third axis, plus qoffset.
 * Returns null when b^2 + c^2 + d^2 exceeds 1 beyond float32 rounding (not a rotation).
 */
export function qformAffine(quatern: readonly number[], qoffset: readonly number[], pixdim: readonly number[]): number[] | null {
  const [b, c, d] = quatern as [number, number, number];
  let w2 = 1 - (b * b + c * c + d * d);
  // the quaternion is stored as float32: tolerate its rounding, as nibabel does
  if (w2 < 0) {
    if (w2 < -3 * 1.1920929e-7) return null;
    w2 = 0;
  }
  const a = Math.sqrt(w2);
  const R = [
    a * a + b * b - c * c - d * d,
    2 * (b * c - a * d),
    2 * (b * d + a * c),
    2 * (b * c + a * d),
    a * a + c * c - b * b - d * d,
    2 * (c * d - a * b),
    2 * (b * d - a * c),
    2 * (c * d + a * b),
    a * a + d * d - c * c - b * b,
  ];
  const qfac = pixdim[0]! < 0 ? -1 : 1;
  const z = [pixdim[1]!, pixdim[2]!, qfac * pixdim[3]!];
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) out[4 * r + col] = R[3 * r + col]! * z[col]!;
    out[4 * r + 3] = qoffset[r]!;
  }
  out[15] = 1;
  return out;
}

/** nibabel's fallback "base affine": diag(-pixdim1, pixdim2, pixdim3), origin at the grid centre. */
export function pixdimAffine(dims: readonly number[], pixdim: readonly number[]): number[] {
  const zx = pixdim[1]!,
    zy = pixdim[2]!,
    zz = pixdim[3]!;
  const cx = (dims[0]! - 1) / 2,
    cy = (dims[1]! - 1) / 2,
    cz = (dims[2]! - 1) / 2;
  return [-zx, 0, 0, cx * zx, 0, zy, 0, -cy * zy, 0, 0, zz, -cz * zz, 0, 0, 0, 1];
}

/** Spatial unit code (xyzt_units & 7) -> factor to mm. Unknown (0) is taken as mm. */
export function unitToMm(xyztUnits: number): number {
  switch (xyztUnits & 7) {
    case 1:
      return 1000; // metre
    case 3:
      return 0.001; // micron
    default:
      return 1; // 2 = mm, 0 = unknown
  }
}

/** Scale the spatial rows (linear part and translation) of an affine by `s`. */
export function scaleAffine(A: readonly number[], s: number): number[] {
  if (s === 1) return [...A];
  return A.map((v, i) => (i < 12 ? v * s : v));
}

/**
 * null when the two grids have the same dims and affines equal within `tol` (mm, absolute, per
 * entry); otherwise a one-line reason.
 */
export function gridMismatch(a: Grid, b: Grid, tol = 1e-4): string | null {
  if (a.dims[0] !== b.dims[0] || a.dims[1] !== b.dims[1] || a.dims[2] !== b.dims[2]) {
    return `dimensions differ: ${a.dims.join('x')} vs ${b.dims.join('x')}`;
  }
  for (let i = 0; i < 16; i++) {
    const x = a.affine[i]!,
      y = b.affine[i]!;
    if (!(Math.abs(x - y) <= tol)) {
      const r = Math.floor(i / 4),
        c = i % 4;
      return `affines differ at [${r}][${c}]: ${x} vs ${y} (tolerance ${tol} mm)`;
    }
  }
  return null;
}
