import { readScalarMap, gridMismatch, type Grid } from '../nifti/index.js';
import { DEFAULT_LABEL_MAP, type FeatureDef } from './features.js';
import { measureSubject, type LabelArray, type SubjectArrays, type SubjectMeasures } from './measure.js';
import type { SubjectTask } from './types.js';

/**
 * Subjects with several label maps (FreeSurfer's aparc+aseg and wmparc) and tool-made ratio maps
 * (T1w/T2w). Each feature names the label map its labels refer to; the features of one map are
 * measured together (one pass per map), then put back in definition order.
 */
export function measureByLabelMap(labelMaps: ReadonlyMap<string, LabelArray>, rest: Omit<SubjectArrays, 'labels'>, defs: readonly FeatureDef[], lesionThreshold: number): SubjectMeasures {
  const values = new Array<number>(defs.length).fill(NaN);
  const groups = new Map<string, number[]>();
  defs.forEach((d, k) => {
    const name = d.labelMap ?? DEFAULT_LABEL_MAP;
    const g = groups.get(name);
    if (g) g.push(k);
    else groups.set(name, [k]);
  });
  let lesionSource: SubjectMeasures['lesionSource'] = 'none';
  for (const [name, idx] of groups) {
    const labels = labelMaps.get(name);
    // A label map this subject lacks (empty manifest cell) leaves its features missing.
    if (!labels) continue;
    const m = measureSubject(
      { ...rest, labels },
      idx.map((k) => defs[k]!),
      lesionThreshold,
    );
    idx.forEach((k, j) => (values[k] = m.values[j]!));
    if (m.lesionSource === 'mask' || (m.lesionSource === 'labels' && lesionSource === 'none')) lesionSource = m.lesionSource;
  }
  return { values, lesionSource };
}

/**
 * Voxelwise numerator / denominator where the denominator is > 0 and both are finite; NaN
 * elsewhere (the mean then skips those voxels). No calibration: the plain T1w/T2w ratio.
 */
export function ratioMap(num: ArrayLike<number>, den: ArrayLike<number>): Float64Array {
  const n = num.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = den[i]!;
    const x = num[i]!;
    out[i] = d > 0 && Number.isFinite(d) && Number.isFinite(x) ? x / d : NaN;
  }
  return out;
}

type RatioTask = NonNullable<SubjectTask['ratios']>[number];

/** Read both images of a ratio map, check they share the label map's grid, divide; a string is the failure reason. */
export function readRatio(r: RatioTask, grid: Grid, tol: number, reading: (shown: string) => void): Float64Array | string {
  const parts: Float64Array[] | Float32Array[] = [];
  for (const f of [r.numerator, r.denominator]) {
    reading(f.shown);
    const img = readScalarMap(f.path);
    const why = gridMismatch(grid, img, tol);
    if (why !== null) return `not on the label map's grid (image:${f.column} vs labels: ${why})`;
    (parts as (Float64Array | Float32Array)[]).push(img.data);
  }
  return ratioMap(parts[0]!, parts[1]!);
}
