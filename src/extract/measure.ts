import type { FeatureDef } from './features.js';

/**
 * Regional measures of one subject, pure maths on typed arrays (runs in workers and tests alike).
 * One pass over the label map accumulates per-label voxel counts (and per-label lesion counts when
 * there is a lesion mask); one pass per scalar map accumulates per-label sums. Every feature is
 * then a sum over its label set, so the cost does not grow with the number of features.
 * Mean = (sum - lesion sum) / (count - lesion count) when lesions are excluded; the subtraction is
 * exact for counts and differs from summing normal-appearing voxels alone by rounding only.
 */
/** Integer label arrays as decoded (the native type is used directly: no 4-byte copy of a uint8/int16 map). */
export type LabelArray = Int32Array | Int16Array | Uint16Array | Uint8Array | Int8Array | Uint32Array;

export interface SubjectArrays {
  labels: LabelArray;
  /** mm^3 per voxel. */
  voxelVolume: number;
  /** Lesion mask values (binary or probabilistic), same grid as labels. */
  lesion?: ArrayLike<number>;
  /** Scalar maps by name, same grid as labels. */
  maps?: ReadonlyMap<string, ArrayLike<number>>;
}

/**
 * Per-label sums: a dense array for labels 0..65535 (every aseg/aparc label), a Map for any other.
 * Label maps are long runs of one label, so the voxel loops add whole runs here (on a label change)
 * instead of touching memory per voxel: that keeps counting near the speed of reading the array.
 */
const DENSE = 1 << 16;

class LabelSums {
  readonly dense = new Float64Array(DENSE);
  readonly other = new Map<number, number>();
  add(label: number, x: number): void {
    if (label >= 0 && label < DENSE) this.dense[label]! += x;
    else this.other.set(label, (this.other.get(label) ?? 0) + x);
  }
  get(label: number): number {
    return label >= 0 && label < DENSE ? this.dense[label]! : (this.other.get(label) ?? 0);
  }
  /** Labels with a non-zero sum, ascending. */
  present(): number[] {
    const out: number[] = [];
    for (let l = 0; l < DENSE; l++) if (this.dense[l] !== 0) out.push(l);
    for (const [l, v] of this.other) if (v !== 0) out.push(l);
    return out.sort((a, b) => a - b);
  }
}

interface LabelStats {
  counts: LabelSums;
  /** Lesion voxels per label (null without a mask). */
  lesionCounts: LabelSums | null;
  lesionVoxels: number;
}

function accumulate(a: SubjectArrays, lesionThreshold: number): LabelStats {
  const L = a.labels;
  const counts = new LabelSums();
  const n = L.length;
  if (n === 0) return { counts, lesionCounts: null, lesionVoxels: 0 };
  let prev = L[0]!;
  let run = 0;
  // Two loops on purpose: without a lesion mask the hot loop is a bare run-length count, with no
  // per-voxel mask test.
  if (!a.lesion) {
    for (let i = 0; i < n; i++) {
      const v = L[i]!;
      if (v === prev) run++;
      else {
        counts.add(prev, run);
        prev = v;
        run = 1;
      }
    }
    counts.add(prev, run);
    return { counts, lesionCounts: null, lesionVoxels: 0 };
  }
  const m = a.lesion;
  const lesionCounts = new LabelSums();
  let lesionVoxels = 0;
  for (let i = 0; i < n; i++) {
    const v = L[i]!;
    if (v === prev) run++;
    else {
      counts.add(prev, run);
      prev = v;
      run = 1;
    }
    if (m[i]! >= lesionThreshold) {
      lesionCounts.add(v, 1);
      lesionVoxels++;
    }
  }
  counts.add(prev, run);
  return { counts, lesionCounts, lesionVoxels };
}

/** Per-label sum and count of a scalar map's finite values, also within the lesion mask. */
interface MapSums {
  sum: LabelSums;
  n: LabelSums;
  sumL: LabelSums;
  nL: LabelSums;
}

function accumulateMap(a: SubjectArrays, data: ArrayLike<number>, lesionThreshold: number): MapSums {
  const L = a.labels;
  const m = a.lesion;
  const ms: MapSums = { sum: new LabelSums(), n: new LabelSums(), sumL: new LabelSums(), nL: new LabelSums() };
  if (L.length === 0) return ms;
  let prev = L[0]!;
  let s = 0;
  let k = 0;
  for (let i = 0; i < L.length; i++) {
    const v = L[i]!;
    if (v !== prev) {
      ms.sum.add(prev, s);
      ms.n.add(prev, k);
      prev = v;
      s = 0;
      k = 0;
    }
    const x = data[i]!;
    // NaN/Inf voxels (outside a ratio map's mask) are not tissue
    if (!Number.isFinite(x)) continue;
    s += x;
    k++;
    if (m && m[i]! >= lesionThreshold) {
      ms.sumL.add(v, x);
      ms.nL.add(v, 1);
    }
  }
  ms.sum.add(prev, s);
  ms.n.add(prev, k);
  return ms;
}

/** Labels of a feature's set ("nonzero" = every label present but 0). */
function labelsOf(st: LabelStats, set: number[] | 'nonzero'): number[] {
  return set === 'nonzero' ? st.counts.present().filter((l) => l !== 0) : set;
}

export interface SubjectMeasures {
  /** One value per feature, in definition order; NaN = missing (documented: empty region for a mean). */
  values: number[];
  /** Where lesion load came from. */
  lesionSource: 'mask' | 'labels' | 'none';
}

export function measureSubject(a: SubjectArrays, defs: readonly FeatureDef[], lesionThreshold: number): SubjectMeasures {
  const st = accumulate(a, lesionThreshold);
  const vv = a.voxelVolume;
  const les = st.lesionCounts;
  const total = (sums: LabelSums, labels: number[]) => {
    let t = 0;
    for (const l of labels) t += sums.get(l);
    return t;
  };
  // Scalar-map sums, computed once per map that a feature uses.
  const mapSums = new Map<string, MapSums>();
  const sumsFor = (name: string): MapSums => {
    let ms = mapSums.get(name);
    if (!ms) {
      const data = a.maps?.get(name);
      if (!data) throw new Error(`scalar map "${name}" was not loaded`);
      ms = accumulateMap(a, data, lesionThreshold);
      mapSums.set(name, ms);
    }
    return ms;
  };

  let lesionSource: SubjectMeasures['lesionSource'] = 'none';
  const values = defs.map((d) => {
    switch (d.measure) {
      case 'volume':
      case 'icv': {
        const labels = labelsOf(st, d.labels);
        let n = total(st.counts, labels);
        if (d.excludeLesion && les) n -= total(les, labels);
        return n * vv;
      }
      case 'mean': {
        const labels = labelsOf(st, d.labels);
        const ms = sumsFor(d.map!);
        let s = total(ms.sum, labels);
        let n = total(ms.n, labels);
        if (d.excludeLesion && les) {
          s -= total(ms.sumL, labels);
          n -= total(ms.nL, labels);
        }
        return n > 0 ? s / n : NaN;
      }
      case 'lesion': {
        if (les) {
          lesionSource = 'mask';
          return st.lesionVoxels * vv;
        }
        const set = d.labels === 'nonzero' ? [] : d.labels;
        if (set.length === 0) return NaN;
        if (lesionSource === 'none') lesionSource = 'labels';
        return total(st.counts, set) * vv;
      }
    }
  });
  return { values, lesionSource };
}

/** Digits after the decimal point of a number's shortest form (1e-7 style: from the exponent). */
function decimals(v: number): number {
  const [mant, exp] = String(v).split('e');
  const frac = mant!.split('.')[1]?.length ?? 0;
  return Math.max(0, frac - Number(exp ?? 0));
}

/**
 * The sum of decimal numbers as the decimal number it is: tables print volumes with a few decimals
 * (139000.5 + 502.3), and a plain floating-point sum can carry noise in the last bits
 * (139502.80000000002). Rounding to the most decimals among the terms removes only that noise.
 */
export function decimalSum(values: readonly number[]): number {
  let s = 0;
  let d = 0;
  for (const v of values) {
    s += v;
    d = Math.max(d, decimals(v));
  }
  // Only when the float error bound (a few ulps per term) is far below the last decimal's half-unit.
  const errorBound = 4 * values.length * Number.EPSILON * Math.abs(s);
  return d <= 15 && Number.isFinite(s) && errorBound < 0.05 * 10 ** -d ? Number(s.toFixed(d)) : s;
}

/**
 * Features from a table of volumes (mm^3 by label number) instead of a scan: aseg.stats,
 * asegstats2table, SynthSeg --vol. A feature none of whose labels the table has is missing (NaN),
 * as are "mean" features (tables carry no scalar maps). ICV is the table's eTIV / total
 * intracranial volume when it has one and the feature asks for it, else the sum of its labels.
 */
export interface VolumeTableRow {
  volumes: ReadonlyMap<number, number>;
  /** eTIV (aseg.stats, asegstats2table) or SynthSeg's "total intracranial". */
  icv?: number;
}

export function measureFromVolumes(row: VolumeTableRow, defs: readonly FeatureDef[]): number[] {
  return measureFromVolumesChecked(row, defs).values;
}

/** What a table lacked for one feature: some (not all) of its labels. */
export interface PartialFeature {
  feature: string;
  missing: number[];
}

/**
 * As measureFromVolumes, and also which features the table could give only in part (some of their
 * labels absent): the caller warns, so a sum over what is there is never silently taken for the whole.
 */
export function measureFromVolumesChecked(row: VolumeTableRow, defs: readonly FeatureDef[]): { values: number[]; partial: PartialFeature[] } {
  const partial: PartialFeature[] = [];
  const sumOf = (d: FeatureDef, set: number[] | 'nonzero'): number => {
    const labels = set === 'nonzero' ? [...row.volumes.keys()].filter((l) => l !== 0).sort((x, y) => x - y) : set;
    const found: number[] = [];
    const missing: number[] = [];
    for (const l of labels) {
      const v = row.volumes.get(l);
      if (v !== undefined) found.push(v);
      else missing.push(l);
    }
    if (found.length === 0) return NaN;
    if (missing.length > 0) partial.push({ feature: d.name, missing });
    return decimalSum(found);
  };
  const values = defs.map((d) => {
    // Tables are aseg volumes: features on another label map (wmparc) cannot come from them.
    if (d.labelMap !== undefined) return NaN;
    switch (d.measure) {
      case 'volume':
        return sumOf(d, d.labels);
      case 'icv':
        return d.useEtiv && row.icv !== undefined ? row.icv : sumOf(d, d.labels);
      case 'lesion':
        return d.labels === 'nonzero' || d.labels.length === 0 ? NaN : sumOf(d, d.labels);
      case 'mean':
        return NaN;
    }
  });
  return { values, partial };
}
