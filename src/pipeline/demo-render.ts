import { Rng } from '../common/rng.js';
import type { DemoSubject } from './demo-cohort.js';

/**
 * Paints one demo subject as a FreeSurfer-aseg-numbered label map and a binary lesion mask on a
 * coarse grid. The layout is a cartoon of a brain, not an atlas: an ellipsoidal intracranial
 * space (CSF, label 24) holding a cerebrum (cortex 3/42 around white matter 2/41), a posterior
 * fossa with cerebellum (cortex 8/47 around white matter 7/46) and brainstem (16), lateral
 * ventricles (4/43) and deep grey nuclei (thalamus 10/49, caudate 11/50, putamen 12/51, pallidum
 * 13/52, hippocampus 17/53, amygdala 18/54, accumbens 26/58). Left = negative x (RAS).
 *
 * Each region's volume follows the subject's multipliers: shapes are scaled about their centres, the
 * cortex is a shell whose inner and outer radii are solved from the wanted volumes, and the space a
 * region gives up becomes CSF (outside the brain) or white matter (inside). Smooth random waves
 * roughen the boundaries so no two subjects share a shape. Pure computation: no file access.
 */

export interface DemoGrid {
  dims: [number, number, number];
  /** isotropic voxel size in mm */
  voxel: number;
}

export const DEMO_GRID: DemoGrid = { dims: [78, 96, 72], voxel: 2 };

/** Intracranial semi-axes (mm) of the reference head (x left-right, y posterior-anterior, z inferior-superior). */
const HEAD_MM = [64, 80, 60] as const;
/** Brain's outer radius and the cortex/white-matter boundary, in units of the intracranial radius. */
const R_OUT0 = 0.93;
const R_IN0 = R_OUT0 * 0.8;
/** The posterior fossa ends at this radius (room for the CSF around the brain stem and cerebellum). */
const R_FOSSA = 0.97;

/** The posterior fossa holds cerebellum and brainstem up to this scale (healthy variation can make them larger than the reference). */
const FOSSA_SCALE = 1.12;

interface Ellipsoid {
  c: [number, number, number];
  r: [number, number, number];
}
const CEREBELLUM: Ellipsoid = { c: [0, -0.56, -0.4], r: [0.5, 0.26, 0.3] };
const CEREBELLUM_WM_FRACTION = 0.6; // of the cerebellum's semi-axes
const BRAINSTEM: Ellipsoid = { c: [0, -0.22, -0.58], r: [0.12, 0.13, 0.45] };
const BRAINSTEM_FOSSA: Ellipsoid = { c: BRAINSTEM.c, r: [BRAINSTEM.r[0] * FOSSA_SCALE, BRAINSTEM.r[1] * FOSSA_SCALE, BRAINSTEM.r[2]] };
/** Lateral ventricles (one per side, mirrored); bent down at both ends like the horns. */
const VENTRICLE: Ellipsoid = { c: [0.1, 0, 0.2], r: [0.07, 0.38, 0.1] };
const VENTRICLE_BEND = 0.5;

/** Deep grey nuclei (right side; the left is mirrored): [left label, right label, shape]. */
const DEEP_GM: [number, number, Ellipsoid][] = [
  [10, 49, { c: [0.13, -0.15, 0.0], r: [0.11, 0.19, 0.12] }], // thalamus
  [11, 50, { c: [0.22, 0.2, 0.16], r: [0.07, 0.22, 0.1] }], // caudate
  [12, 51, { c: [0.31, 0.08, 0.0], r: [0.09, 0.26, 0.15] }], // putamen
  [13, 52, { c: [0.22, 0.02, -0.03], r: [0.05, 0.12, 0.08] }], // pallidum
  [17, 53, { c: [0.32, -0.22, -0.28], r: [0.08, 0.26, 0.09] }], // hippocampus
  [18, 54, { c: [0.3, 0.04, -0.3], r: [0.07, 0.08, 0.07] }], // amygdala
  [26, 58, { c: [0.1, 0.32, -0.08], r: [0.05, 0.06, 0.05] }], // accumbens
];

export const LABEL = { csf: 24, wmL: 2, wmR: 41, ctxL: 3, ctxR: 42, ventL: 4, ventR: 43, cbWmL: 7, cbWmR: 46, cbCtxL: 8, cbCtxR: 47, brainstem: 16 } as const;

/** A smooth random field: a sum of plane waves in normalised head coordinates. */
interface Waves {
  k: Float64Array; // 3 per wave
  phase: Float64Array;
  amp: number;
}

function makeWaves(rng: Rng, count: number, kMin: number, kMax: number, amp: number): Waves {
  const k = new Float64Array(3 * count);
  const phase = new Float64Array(count);
  for (let w = 0; w < count; w++) {
    const len = kMin + (kMax - kMin) * rng.uniform();
    const x = rng.normal(),
      y = rng.normal(),
      z = rng.normal();
    const n = Math.hypot(x, y, z) || 1;
    k[3 * w] = (x / n) * len;
    k[3 * w + 1] = (y / n) * len;
    k[3 * w + 2] = (z / n) * len;
    phase[w] = 2 * Math.PI * rng.uniform();
  }
  return { k, phase, amp };
}

function evalWaves(w: Waves, x: number, y: number, z: number): number {
  let s = 0;
  for (let i = 0; i < w.phase.length; i++) s += Math.sin(w.k[3 * i]! * x + w.k[3 * i + 1]! * y + w.k[3 * i + 2]! * z + w.phase[i]!);
  return w.amp * s;
}

/** Normalised squared distance of (x,y,z) from an ellipsoid's centre (1 on its surface). */
function ell(e: Ellipsoid, x: number, y: number, z: number, scale: number): number {
  const dx = (x - e.c[0]) / (e.r[0] * scale);
  const dy = (y - e.c[1]) / (e.r[1] * scale);
  const dz = (z - e.c[2]) / (e.r[2] * scale);
  return dx * dx + dy * dy + dz * dz;
}

export interface RenderedSubject {
  labels: Uint8Array;
  lesion: Uint8Array;
  /** 4x4 row-major voxel-to-mm affine (RAS, centred on the head) */
  affine: number[];
}

export function demoAffine(grid: DemoGrid): number[] {
  const [nx, ny, nz] = grid.dims;
  const v = grid.voxel;
  return [v, 0, 0, (-(nx - 1) / 2) * v, 0, v, 0, (-(ny - 1) / 2) * v, 0, 0, v, (-(nz - 1) / 2) * v, 0, 0, 0, 1];
}

export function renderDemoSubject(s: DemoSubject, grid: DemoGrid = DEMO_GRID): RenderedSubject {
  const [nx, ny, nz] = grid.dims;
  const vox = grid.voxel;
  const labels = new Uint8Array(nx * ny * nz);
  const lesion = new Uint8Array(nx * ny * nz);
  const rng = Rng.fromSeed(s.shapeSeed);
  const shape = makeWaves(rng, 6, 2, 5, 0.005);
  const folds = makeWaves(rng, 8, 10, 16, 0.01);
  const A = HEAD_MM[0] * s.headScale[0];
  const B = HEAD_MM[1] * s.headScale[1];
  const C = HEAD_MM[2] * s.headScale[2];

  // Cortex shell: inner radius from the white-matter volume, outer from inner + cortex volume.
  const rIn = R_IN0 * Math.cbrt(s.volume.wm);
  const rOut = Math.cbrt(rIn ** 3 + (R_OUT0 ** 3 - R_IN0 ** 3) * s.volume.cortex);
  const cbScale = Math.cbrt(s.volume.cerebellum);
  const bsScale = Math.sqrt(s.volume.brainstem); // the brainstem thins; its length stays
  const ventX = Math.pow(s.volume.ventricles, 0.4); // ventricles widen more than they lengthen
  const ventY = Math.pow(s.volume.ventricles, 0.2);
  const deepScale = Math.cbrt(s.volume.deepGm);
  const bs: Ellipsoid = { c: BRAINSTEM.c, r: [BRAINSTEM.r[0] * bsScale, BRAINSTEM.r[1] * bsScale, BRAINSTEM.r[2]] };

  const x0 = -(nx - 1) / 2,
    y0 = -(ny - 1) / 2,
    z0 = -(nz - 1) / 2;
  let idx = 0;
  for (let k = 0; k < nz; k++) {
    const z = ((k + z0) * vox) / C;
    for (let j = 0; j < ny; j++) {
      const y = ((j + y0) * vox) / B;
      for (let i = 0; i < nx; i++, idx++) {
        const x = ((i + x0) * vox) / A;
        const r2 = x * x + y * y + z * z;
        if (r2 > 1) continue;
        const r = Math.sqrt(r2);
        const left = x < 0;
        let lab: number = LABEL.csf;
        const inFossa = r <= R_FOSSA && (ell(CEREBELLUM, x, y, z, FOSSA_SCALE) <= 1 || ell(BRAINSTEM_FOSSA, x, y, z, 1) <= 1);
        if (inFossa) {
          if (ell(bs, x, y, z, 1) <= 1) lab = LABEL.brainstem;
          else {
            const e = ell(CEREBELLUM, x, y, z, cbScale);
            if (e <= CEREBELLUM_WM_FRACTION ** 2) lab = left ? LABEL.cbWmL : LABEL.cbWmR;
            else if (e <= 1) lab = left ? LABEL.cbCtxL : LABEL.cbCtxR;
          }
        } else {
          const rr = r + evalWaves(shape, x, y, z);
          if (rr <= rOut) {
            const inner = rIn + evalWaves(folds, x, y, z);
            lab = rr > inner ? (left ? LABEL.ctxL : LABEL.ctxR) : left ? LABEL.wmL : LABEL.wmR;
          }
        }
        labels[idx] = lab;
      }
    }
  }

  const isCerebrum = (l: number) => l === LABEL.wmL || l === LABEL.wmR || l === LABEL.ctxL || l === LABEL.ctxR;
  // Ventricles, then deep grey nuclei, painted over cerebral tissue only.
  for (const side of [-1, 1]) {
    const e: Ellipsoid = { c: [VENTRICLE.c[0] * side, VENTRICLE.c[1], VENTRICLE.c[2]], r: [VENTRICLE.r[0] * ventX, VENTRICLE.r[1] * ventY, VENTRICLE.r[2] * ventX] };
    paint(labels, grid, [A, B, C], e, side < 0 ? LABEL.ventL : LABEL.ventR, isCerebrum, VENTRICLE_BEND);
  }
  for (const [l, rlab, e0] of DEEP_GM) {
    for (const side of [-1, 1]) {
      const e: Ellipsoid = { c: [e0.c[0] * side, e0.c[1], e0.c[2]], r: [e0.r[0] * deepScale, e0.r[1] * deepScale, e0.r[2] * deepScale] };
      paint(labels, grid, [A, B, C], e, side < 0 ? l : rlab, isCerebrum, 0);
    }
  }
  paintLesions(labels, lesion, grid, [A, B, C], s.lesionMl, ventX, ventY, rng);
  return { labels, lesion, affine: demoAffine(grid) };
}

/** Set `label` inside ellipsoid `e` (normalised coordinates; optional downward bend) where `canPaint` allows. */
function paint(labels: Uint8Array, grid: DemoGrid, head: [number, number, number], e: Ellipsoid, label: number, canPaint: (l: number) => boolean, bend: number): void {
  const [nx, ny, nz] = grid.dims;
  const v = grid.voxel;
  const toIdx = (mm: number, n: number) => mm / v + (n - 1) / 2;
  const lo = (ax: 0 | 1 | 2, n: number) => Math.max(0, Math.floor(toIdx((e.c[ax] - e.r[ax] - (ax === 2 ? bend : 0)) * head[ax], n)));
  const hi = (ax: 0 | 1 | 2, n: number) => Math.min(n - 1, Math.ceil(toIdx((e.c[ax] + e.r[ax]) * head[ax], n)));
  for (let k = lo(2, nz); k <= hi(2, nz); k++) {
    const z = ((k - (nz - 1) / 2) * v) / head[2];
    for (let j = lo(1, ny); j <= hi(1, ny); j++) {
      const y = ((j - (ny - 1) / 2) * v) / head[1];
      const dy = (y - e.c[1]) / e.r[1];
      const zb = z + bend * dy * dy * e.r[2];
      for (let i = lo(0, nx); i <= hi(0, nx); i++) {
        const x = ((i - (nx - 1) / 2) * v) / head[0];
        const idx = i + nx * (j + ny * k);
        if (ell(e, x, y, zb, 1) <= 1 && canPaint(labels[idx]!)) labels[idx] = label;
      }
    }
  }
}

/**
 * Lesions: round blobs placed around the ventricles (where MS lesions gather) inside cerebral white
 * matter, added until the mask holds the wanted volume (at least one voxel, so a log transform of
 * lesion load never sees zero).
 */
function paintLesions(labels: Uint8Array, lesion: Uint8Array, grid: DemoGrid, head: [number, number, number], ml: number, ventX: number, ventY: number, rng: Rng): void {
  const [nx, ny, nz] = grid.dims;
  const v = grid.voxel;
  const target = Math.max(1, Math.round((ml * 1000) / v ** 3));
  let count = 0;
  const big = Math.min(1, ml / 15);
  for (let attempt = 0; attempt < 4000 && count < target; attempt++) {
    const side = rng.uniform() < 0.5 ? -1 : 1;
    const dx = rng.normal(),
      dy = rng.normal(),
      dz = rng.normal();
    const n = Math.hypot(dx, dy, dz) || 1;
    const f = 1.2 + 1.2 * rng.uniform();
    const cx = (VENTRICLE.c[0] * side + (dx / n) * VENTRICLE.r[0] * ventX * f) * head[0];
    const cy = (VENTRICLE.c[1] + (dy / n) * VENTRICLE.r[1] * ventY * f * 0.8) * head[1];
    const cz = (VENTRICLE.c[2] + (dz / n) * VENTRICLE.r[2] * ventX * f) * head[2];
    const rad = 1.5 + rng.uniform() * (2 + 4 * big);
    const ci = cx / v + (nx - 1) / 2,
      cj = cy / v + (ny - 1) / 2,
      ck = cz / v + (nz - 1) / 2;
    const rv = rad / v;
    for (let k = Math.max(0, Math.floor(ck - rv)); k <= Math.min(nz - 1, Math.ceil(ck + rv)) && count < target; k++) {
      for (let j = Math.max(0, Math.floor(cj - rv)); j <= Math.min(ny - 1, Math.ceil(cj + rv)) && count < target; j++) {
        for (let i = Math.max(0, Math.floor(ci - rv)); i <= Math.min(nx - 1, Math.ceil(ci + rv)) && count < target; i++) {
          const d2 = (i - ci) ** 2 + (j - cj) ** 2 + (k - ck) ** 2;
          if (d2 > rv * rv) continue;
          const idx = i + nx * (j + ny * k);
          const l = labels[idx]!;
          if ((l === LABEL.wmL || l === LABEL.wmR) && lesion[idx] === 0) {
            lesion[idx] = 1;
            count++;
          }
        }
      }
    }
  }
}
