/**
 * The brain view's geometry: which feature each voxel of the reference label map belongs to, the
 * map turned to RAS display order, the slices that show the most features, and each slice as an
 * image of region ids (upscaled, with outlines). Pure computation on typed arrays.
 */

/** The reference maps, all on one grid. `labels` holds the default map under DEFAULT (and others by name). */
export interface BrainMaps {
  dims: readonly [number, number, number] | readonly number[];
  /** 4x4 row-major voxel-to-mm affine. */
  affine: ArrayLike<number>;
  labels: ReadonlyMap<string, ArrayLike<number>>;
  /** Lesion mask (value >= 0.5 is lesion); paints the lesion feature instead of its fallback labels. */
  lesion?: ArrayLike<number>;
}

/** What the brain view needs of a feature definition (extract's sidecar). */
export interface BrainFeature {
  name: string;
  measure: string;
  labels: number[] | 'nonzero';
  labelMap?: string;
}

export const DEFAULT_MAP = 'labels';
/** Region ids: 0 outside the head (label 0 in every map), 1 labelled but in no feature, 2 + r feature r. */
export const OUTSIDE = 0;
export const UNPAINTED = 1;

/**
 * Region id per voxel for the given features (in priority order: the first feature whose labels
 * hold a voxel's label wins). The lesion mask comes first, then the default map, then other maps
 * for voxels the default map left unpainted (wmparc's lobes inside aparc+aseg's white matter).
 */
export function regionVolume(maps: BrainMaps, features: readonly BrainFeature[]): Uint16Array {
  const n = maps.dims[0]! * maps.dims[1]! * maps.dims[2]!;
  const out = new Uint16Array(n);
  const lookups = new Map<string, Map<number, number>>();
  let lesionRegion = -1;
  features.forEach((f, r) => {
    if (f.measure === 'lesion') {
      if (lesionRegion < 0) lesionRegion = r + 2;
      if (maps.lesion) return;
    }
    if (f.labels === 'nonzero') return;
    const name = f.labelMap ?? DEFAULT_MAP;
    let m = lookups.get(name);
    if (!m) lookups.set(name, (m = new Map()));
    for (const l of f.labels) if (!m.has(l)) m.set(l, r + 2);
  });
  const order = [DEFAULT_MAP, ...[...maps.labels.keys()].filter((k) => k !== DEFAULT_MAP)];
  const arrays = order.map((k) => maps.labels.get(k)).filter((a): a is ArrayLike<number> => a !== undefined);
  const looks = order.filter((k) => maps.labels.has(k)).map((k) => lookups.get(k));
  for (let i = 0; i < n; i++) {
    if (maps.lesion && lesionRegion > 0 && maps.lesion[i]! >= 0.5) {
      out[i] = lesionRegion;
      continue;
    }
    let region = OUTSIDE;
    for (let m = 0; m < arrays.length; m++) {
      const l = arrays[m]![i]!;
      if (l === 0) continue;
      const r = looks[m]?.get(l);
      if (r !== undefined) {
        region = r;
        break;
      }
      region = UNPAINTED;
    }
    out[i] = region;
  }
  return out;
}

/** A volume in RAS display order: axes 0 = left->right, 1 = posterior->anterior, 2 = inferior->superior. */
export interface RasVolume {
  dims: [number, number, number];
  /** mm per voxel along each RAS axis. */
  mm: [number, number, number];
  at(r: number, a: number, s: number): number;
}

/** Reorient by the affine: each voxel axis goes to the world axis it points along most. */
export function toRas(data: ArrayLike<number>, dims: readonly number[], affine: ArrayLike<number>): RasVolume {
  const axisOf = [0, 0, 0];
  const flip = [false, false, false];
  const mm: [number, number, number] = [1, 1, 1];
  const used = new Set<number>();
  for (let w = 0; w < 3; w++) {
    let best = -1;
    let bestAbs = -1;
    for (let a = 0; a < 3; a++) {
      const v = Math.abs(affine[w * 4 + a]!);
      if (!used.has(a) && v > bestAbs) {
        best = a;
        bestAbs = v;
      }
    }
    used.add(best);
    axisOf[w] = best;
    flip[w] = affine[w * 4 + best]! < 0;
    mm[w] = Math.hypot(affine[best]!, affine[4 + best]!, affine[8 + best]!) || 1;
  }
  const rd: [number, number, number] = [dims[axisOf[0]!]!, dims[axisOf[1]!]!, dims[axisOf[2]!]!];
  const stride = [1, dims[0]!, dims[0]! * dims[1]!];
  // index = base + r*sr + a*sa + s*ss, with a flipped axis counted from its far end
  let base = 0;
  const st = [0, 1, 2].map((w) => {
    const t = stride[axisOf[w]!]!;
    if (!flip[w]) return t;
    base += (rd[w]! - 1) * t;
    return -t;
  });
  const [sr, sa, ss] = st as [number, number, number];
  return { dims: rd, mm, at: (r, a, s) => data[base + r * sr + a * sa + s * ss]! };
}

export type View = 'axial' | 'coronal' | 'sagittal';
export const VIEWS: readonly View[] = ['axial', 'coronal', 'sagittal'];
/** The RAS axis each view holds fixed, and the axes along its image columns and rows (rows drawn top-down, reversed). */
const VIEW_AXES: Record<View, { fixed: number; col: number; row: number }> = {
  axial: { fixed: 2, col: 0, row: 1 },
  coronal: { fixed: 1, col: 0, row: 2 },
  sagittal: { fixed: 0, col: 1, row: 2 },
};

/** Bounding box of the head (region > 0) in RAS voxel coordinates, with a one-voxel margin. */
export function headBox(v: RasVolume): { lo: number[]; hi: number[] } {
  const lo = [...v.dims];
  const hi = [-1, -1, -1];
  for (let s = 0; s < v.dims[2]; s++)
    for (let a = 0; a < v.dims[1]; a++)
      for (let r = 0; r < v.dims[0]; r++) {
        if (v.at(r, a, s) === OUTSIDE) continue;
        const c = [r, a, s];
        for (let w = 0; w < 3; w++) {
          if (c[w]! < lo[w]!) lo[w] = c[w]!;
          if (c[w]! > hi[w]!) hi[w] = c[w]!;
        }
      }
  if (hi[0]! < 0) return { lo: [0, 0, 0], hi: v.dims.map((d) => d - 1) };
  return { lo: lo.map((x) => Math.max(0, x - 1)), hi: hi.map((x, w) => Math.min(v.dims[w]! - 1, x + 1)) };
}

/** The slice of each view showing the most distinct features (then the most painted voxels). */
export function chooseSlice(v: RasVolume, view: View, box: { lo: number[]; hi: number[] }): number {
  const { fixed, col, row } = VIEW_AXES[view];
  let best = Math.round((box.lo[fixed]! + box.hi[fixed]!) / 2);
  let bestScore = -1;
  const c = [0, 0, 0];
  for (let k = box.lo[fixed]!; k <= box.hi[fixed]!; k++) {
    const seen = new Set<number>();
    let painted = 0;
    c[fixed] = k;
    for (let y = box.lo[row]!; y <= box.hi[row]!; y++) {
      c[row] = y;
      for (let x = box.lo[col]!; x <= box.hi[col]!; x++) {
        c[col] = x;
        const id = v.at(c[0]!, c[1]!, c[2]!);
        if (id >= 2) {
          seen.add(id);
          painted++;
        }
      }
    }
    const score = seen.size * 1e9 + painted;
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best;
}

/** One slice as an image of region ids, each voxel `fx` x `fy` pixels; outline pixels are -1. */
export interface SliceImage {
  width: number;
  height: number;
  ids: Int32Array;
}

export function sliceImage(v: RasVolume, view: View, slice: number, box: { lo: number[]; hi: number[] }, fx: number, fy: number): SliceImage {
  const { fixed, col, row } = VIEW_AXES[view];
  const nx = box.hi[col]! - box.lo[col]! + 1;
  const ny = box.hi[row]! - box.lo[row]! + 1;
  const vox = new Int32Array(nx * ny);
  const c = [0, 0, 0];
  c[fixed] = slice;
  for (let y = 0; y < ny; y++) {
    c[row] = box.hi[row]! - y; // top of the image = anterior / superior
    for (let x = 0; x < nx; x++) {
      c[col] = box.lo[col]! + x;
      vox[y * nx + x] = v.at(c[0]!, c[1]!, c[2]!);
    }
  }
  const width = nx * fx;
  const height = ny * fy;
  const ids = new Int32Array(width * height);
  const idAt = (x: number, y: number) => (x < 0 || y < 0 || x >= nx || y >= ny ? OUTSIDE : vox[y * nx + x]!);
  for (let py = 0; py < height; py++) {
    const y = Math.floor(py / fy);
    for (let px = 0; px < width; px++) {
      const x = Math.floor(px / fx);
      const id = idAt(x, y);
      // A region's outline: its edge pixels facing a voxel of another region (outside the head included).
      const edge =
        id !== OUTSIDE &&
        ((px % fx === 0 && idAt(x - 1, y) !== id) ||
          (px % fx === fx - 1 && idAt(x + 1, y) !== id) ||
          (py % fy === 0 && idAt(x, y - 1) !== id) ||
          (py % fy === fy - 1 && idAt(x, y + 1) !== id));
      ids[py * width + px] = edge ? -1 : id;
    }
  }
  return { width, height, ids };
}

/** Pixels per voxel along a view's columns and rows: about `target` pixels for the largest extent, voxel shape kept. */
export function pixelScale(v: RasVolume, box: { lo: number[]; hi: number[] }, target: number): [number, number, number] {
  const mmMin = Math.min(...v.mm);
  const extentVox = Math.max(...[0, 1, 2].map((w) => ((box.hi[w]! - box.lo[w]! + 1) * v.mm[w]!) / mmMin));
  const f = Math.max(1, Math.floor(target / extentVox));
  return [0, 1, 2].map((w) => Math.max(1, Math.round((f * v.mm[w]!) / mmMin))) as [number, number, number];
}

export function viewAxes(view: View): { fixed: number; col: number; row: number } {
  return VIEW_AXES[view];
}
