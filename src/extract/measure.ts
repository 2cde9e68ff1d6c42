import type { FeatureDef } from './features.js';

/**
 * Regional measures of one subject, pure maths on typed arrays (runs in workers and tests alike).
 * One pass over the label map accumulates per-label voxel counts (and per-label lesion counts when
 * there is a lesion mask); one pass per scalar map accumulates per-label sums. Every feature is
 * then a sum over its label set, so the cost does not grow with the number of features.
 */
export interface SubjectArrays {
  labels: Int32Array;
  /** mm^3 per voxel. */
  voxelVolume: number;
  /** Lesion mask values (binary or probabilistic), same grid as labels. */
  lesion?: ArrayLike<number>;
  /** Scalar maps by name, same grid as labels. */
  maps?: ReadonlyMap<string, ArrayLike<number>>;
}

/** Per-label accumulators; `index` maps a label to its slot. */
interface LabelStats {
  labels: number[];
  slot: (label: number) => number;
  counts: Float64Array;
  lesionCounts: Float64Array | null;
  lesionVoxels: number;
}

const DENSE_LIMIT = 1 << 22;

/** Map label values to dense slots: direct when labels are small non-negative ints, else through a Map. */
function slotsFor(labels: Int32Array): { size: number; slotArray: Int32Array | null; slotMap: Map<number, number> | null; present: number[] } {
  let min = 0;
  let max = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  if (min >= 0 && max < DENSE_LIMIT) return { size: max + 1, slotArray: null, slotMap: null, present: [] };
  const slotMap = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!slotMap.has(v)) slotMap.set(v, slotMap.size);
  }
  const present = [...slotMap.keys()];
  const slotArray = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) slotArray[i] = slotMap.get(labels[i]!)!;
  return { size: slotMap.size, slotArray, slotMap, present };
}

function accumulate(a: SubjectArrays, lesionThreshold: number): LabelStats & { slotArray: Int32Array | null } {
  const { size, slotArray, slotMap, present } = slotsFor(a.labels);
  const idx = slotArray ?? a.labels;
  const counts = new Float64Array(size);
  let lesionCounts: Float64Array | null = null;
  let lesionVoxels = 0;
  if (a.lesion) {
    lesionCounts = new Float64Array(size);
    const m = a.lesion;
    for (let i = 0; i < idx.length; i++) {
      const s = idx[i]!;
      counts[s]!++;
      if (m[i]! >= lesionThreshold) {
        lesionCounts[s]!++;
        lesionVoxels++;
      }
    }
  } else {
    for (let i = 0; i < idx.length; i++) counts[idx[i]!]!++;
  }
  const labels = slotMap ? present : Array.from({ length: size }, (_, i) => i);
  const slot = slotMap ? (l: number) => slotMap.get(l) ?? -1 : (l: number) => (l >= 0 && l < size ? l : -1);
  return { labels, slot, counts, lesionCounts, lesionVoxels, slotArray };
}

/** Slots of a feature's label set ("nonzero" = every present label but 0). */
function slotsOf(st: LabelStats, set: number[] | 'nonzero'): number[] {
  if (set === 'nonzero') return st.labels.filter((l) => l !== 0).map(st.slot).filter((s) => s >= 0);
  return set.map(st.slot).filter((s) => s >= 0);
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
  const hasMask = st.lesionCounts !== null;
  const sumSlots = (arr: Float64Array, slots: number[]) => {
    let s = 0;
    for (const k of slots) s += arr[k]!;
    return s;
  };
  // Per-map per-label sums, computed once per map that a feature uses.
  const mapStats = new Map<string, { sum: Float64Array; n: Float64Array; sumL: Float64Array; nL: Float64Array }>();
  const statsForMap = (name: string) => {
    let ms = mapStats.get(name);
    if (ms) return ms;
    const data = a.maps?.get(name);
    if (!data) throw new Error(`scalar map "${name}" was not loaded`);
    const size = st.counts.length;
    ms = { sum: new Float64Array(size), n: new Float64Array(size), sumL: new Float64Array(size), nL: new Float64Array(size) };
    const idx = st.slotArray ?? a.labels;
    const m = a.lesion;
    for (let i = 0; i < idx.length; i++) {
      const v = data[i]!;
      if (!Number.isFinite(v)) continue; // NaN/Inf voxels (outside a ratio map's mask) are not tissue
      const s = idx[i]!;
      ms.sum[s]! += v;
      ms.n[s]!++;
      if (m && m[i]! >= lesionThreshold) {
        ms.sumL[s]! += v;
        ms.nL[s]!++;
      }
    }
    mapStats.set(name, ms);
    return ms;
  };

  let lesionSource: SubjectMeasures['lesionSource'] = 'none';
  const values = defs.map((d) => {
    switch (d.measure) {
      case 'volume':
      case 'icv': {
        const slots = slotsOf(st, d.labels);
        let n = sumSlots(st.counts, slots);
        if (d.excludeLesion && hasMask) n -= sumSlots(st.lesionCounts!, slots);
        return n * vv;
      }
      case 'mean': {
        const slots = slotsOf(st, d.labels);
        const ms = statsForMap(d.map!);
        let s = sumSlots(ms.sum, slots);
        let n = sumSlots(ms.n, slots);
        if (d.excludeLesion && hasMask) {
          s -= sumSlots(ms.sumL, slots);
          n -= sumSlots(ms.nL, slots);
        }
        return n > 0 ? s / n : NaN;
      }
      case 'lesion': {
        if (hasMask) {
          lesionSource = 'mask';
          return st.lesionVoxels * vv;
        }
        const set = d.labels === 'nonzero' ? [] : d.labels;
        if (set.length === 0) return NaN;
        if (lesionSource === 'none') lesionSource = 'labels';
        return sumSlots(st.counts, slotsOf(st, set)) * vv;
      }
    }
  });
  return { values, lesionSource };
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
  const sumOf = (set: number[] | 'nonzero'): number => {
    const labels = set === 'nonzero' ? [...row.volumes.keys()].filter((l) => l !== 0).sort((x, y) => x - y) : set;
    let s = 0;
    let found = 0;
    for (const l of labels) {
      const v = row.volumes.get(l);
      if (v !== undefined) {
        s += v;
        found++;
      }
    }
    return found > 0 ? s : NaN;
  };
  return defs.map((d) => {
    switch (d.measure) {
      case 'volume':
        return sumOf(d.labels);
      case 'icv':
        return d.useEtiv && row.icv !== undefined ? row.icv : sumOf(d.labels);
      case 'lesion':
        return d.labels === 'nonzero' || d.labels.length === 0 ? NaN : sumOf(d.labels);
      case 'mean':
        return NaN;
    }
  });
}
