import { Rng } from '../common/rng.js';
import { DEMO_SUBTYPES, severity, type DemoSubject } from './demo-cohort.js';
import { renderDemoSubject, LABEL, type DemoGrid } from './demo-render.js';

/**
 * The second demo: what FreeSurfer and a T1w/T2w protocol give per subject, for the 13 published
 * features (data/features/ms-13.json). It starts from the first demo's aseg-numbered cartoon
 * (demo-render.ts) and
 * - splits cortex (3/42) into Desikan-Killiany parcels (aparc+aseg numbers 1000+i / 2000+i) by
 *   position: a medial strip is cingulate, the bottom temporal, the back occipital, then parietal,
 *   the rest frontal; within a lobe, parcels are stripes;
 * - splits cerebral white matter the same way into wmparc numbers (3000+i / 4000+i), deep white
 *   matter left unsegmented (5001/5002), a midline slab as corpus callosum (251-255);
 * - paints T1w and T2w images (int16) from tissue intensities, where the normal-appearing white
 *   matter's T1w falls with the subject's white-matter (cerebrum) or cerebellum severity, so the
 *   T1w/T2w ratio carries the disease.
 * A cartoon with the right label numbers, not an anatomy. Pure computation: no file access.
 */
export const DEMO13_GRID: DemoGrid = { dims: [40, 48, 36], voxel: 4 };

/** Desikan-Killiany parcel indices (FreeSurferColorLUT: ctx-lh-X = 1000 + index) per lobe, as in docs/extract.md. */
export const DK_LOBES = {
  frontal: [3, 12, 14, 17, 18, 19, 20, 24, 27, 28, 32],
  parietal: [8, 22, 25, 29, 31],
  temporal: [1, 7, 9, 15, 30, 33, 34],
  occipital: [5, 11, 13, 21],
  cingulate: [2, 10, 23, 26],
  medialTemporal: [6, 16],
} as const;
type Lobe = keyof typeof DK_LOBES;

export const WM_UNSEGMENTED = { left: 5001, right: 5002 } as const;
export const CC_LABELS = [251, 252, 253, 254, 255] as const;

/** Lobe at normalised head coordinates (x left-right, y posterior-anterior, z inferior-superior, about -1..1). */
function lobeAt(x: number, y: number, z: number): Lobe {
  if (Math.abs(x) < 0.2 && z > 0.1 && y > -0.45 && y < 0.5) return 'cingulate';
  if (z < -0.3 && Math.abs(x) < 0.45 && y > -0.45 && y < 0.15) return 'medialTemporal';
  if (y < -0.6) return 'occipital';
  if (z < -0.15) return 'temporal';
  if (y < -0.1) return 'parietal';
  return 'frontal';
}

/** One parcel of the lobe: stripes around the vertical axis, so every parcel gets voxels. */
function parcelAt(lobe: Lobe, x: number, y: number, z: number): number {
  const list = DK_LOBES[lobe];
  const a = Math.atan2(y, x) + Math.atan2(z, 1) * 0.5;
  const k = Math.floor(((a / Math.PI + 2) * list.length * 2.5) % list.length);
  return list[k]!;
}

export interface Demo13Subject {
  aparcAseg: Int16Array;
  wmparc: Int16Array;
  lesion: Uint8Array;
  t1w: Int16Array;
  t2w: Int16Array;
  affine: number[];
}

/** Tissue intensities [T1w, T2w] (arbitrary units, like a scanner's). */
const TISSUE = { wm: [1000, 100], gm: [620, 125], deep: [720, 110], csf: [250, 420], lesion: [560, 190] } as const;
/** Full-severity fall of normal-appearing white matter's T1w (so of its T1w/T2w). */
const NAWM_DROP = 0.22;

export function renderDemo13Subject(s: DemoSubject, grid: DemoGrid = DEMO13_GRID): Demo13Subject {
  const base = renderDemoSubject(s, grid);
  const [nx, ny, nz] = grid.dims;
  const n = nx * ny * nz;
  const aparcAseg = new Int16Array(n);
  const wmparc = new Int16Array(n);
  const t1w = new Int16Array(n);
  const t2w = new Int16Array(n);
  const rng = Rng.fromSeed(s.shapeSeed ^ 0x13131313);
  const sub = s.subtype >= 0 ? DEMO_SUBTYPES[s.subtype]! : undefined;
  const sev = (r: 'wm' | 'cerebellum') => (sub ? severity(sub, s.stage, r) : 0);
  // The subject's own NAWM level: healthy spread, slow ageing, a site offset; then disease.
  const own = Math.exp(0.025 * rng.normal()) * (1 - 0.0015 * (s.age - 45)) * (s.site === 'B' ? 1.03 : 1);
  const nawmCerebrum = own * (1 - NAWM_DROP * sev('wm'));
  const nawmCerebellum = own * (1 - NAWM_DROP * sev('cerebellum'));
  const v = grid.voxel;
  let idx = 0;
  for (let k = 0; k < nz; k++) {
    const z = ((k - (nz - 1) / 2) * v) / 60;
    for (let j = 0; j < ny; j++) {
      const y = ((j - (ny - 1) / 2) * v) / 80;
      for (let i = 0; i < nx; i++, idx++) {
        const x = ((i - (nx - 1) / 2) * v) / 64;
        const l = base.labels[idx]!;
        const left = x < 0;
        let ap = l;
        let wp = l;
        let tissue: readonly [number, number] | null = TISSUE.gm;
        let nawm = 1;
        if (l === LABEL.ctxL || l === LABEL.ctxR) {
          const lobe = lobeAt(x, y, z);
          ap = wp = (left ? 1000 : 2000) + parcelAt(lobe, x, y, z);
        } else if (l === LABEL.wmL || l === LABEL.wmR) {
          tissue = TISSUE.wm;
          nawm = nawmCerebrum;
          if (Math.abs(x) < 0.08 && z > 0.0 && z < 0.3 && Math.abs(y) < 0.5) {
            ap = wp = CC_LABELS[Math.min(4, Math.floor(((y + 0.5) / 1.0) * 5))]!;
          } else if (Math.hypot(x, y, z) < 0.42) {
            wp = left ? WM_UNSEGMENTED.left : WM_UNSEGMENTED.right;
          } else {
            const lobe = lobeAt(x, y, z);
            wp = (left ? 3000 : 4000) + parcelAt(lobe, x, y, z);
          }
        } else if (l === LABEL.cbWmL || l === LABEL.cbWmR) {
          tissue = TISSUE.wm;
          nawm = nawmCerebellum;
        } else if (l === LABEL.brainstem) tissue = TISSUE.wm;
        else if (l === LABEL.csf || l === LABEL.ventL || l === LABEL.ventR) tissue = TISSUE.csf;
        else if (l === 0) tissue = null;
        else if (l !== LABEL.cbCtxL && l !== LABEL.cbCtxR) tissue = TISSUE.deep;
        aparcAseg[idx] = ap;
        wmparc[idx] = wp;
        if (tissue === null) continue;
        const [a, b] = base.lesion[idx] ? TISSUE.lesion : tissue;
        const f = base.lesion[idx] ? 1 : nawm;
        t1w[idx] = Math.round(a * f * (1 + 0.03 * rng.normal()));
        t2w[idx] = Math.max(1, Math.round(b * (1 + 0.03 * rng.normal())));
      }
    }
  }
  return { aparcAseg, wmparc, lesion: base.lesion, t1w, t2w, affine: base.affine };
}
