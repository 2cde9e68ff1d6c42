import { kmeans } from 'ml-kmeans';
import { Rng } from '../common/rng.js';
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import type { Assignment, KmeansFit, KmeansModelFile, ZTable } from '../sustain/types.js';
import { silhouetteScores } from './silhouette.js';

/**
 * The k-means baseline: plain clustering of the same z-scores, so an analyst can show what the
 * event-based model adds. ml-kmeans does the Lloyd iterations and its k-means++ initialisation;
 * we drive it with seeds drawn from our Rng (one per restart) and keep the restart with the lowest
 * inertia (sum of squared distances to the nearest centroid).
 *
 * Missing z-scores (NaN) are replaced by 0, i.e. "at the healthy-control mean", for both fitting
 * and assignment; the number of replaced cells is recorded in the model file's settings.
 */
export interface KmeansOptions {
  maxSubtypes: number;
  seed: number;
  /** k-means++ restarts per K; the best inertia is kept. */
  restarts: number;
  maxIterations: number;
  /** Silhouette on all subjects up to this many; beyond, on a seeded random subset of this size (it costs O(M^2)). */
  silhouetteSubjects: number;
}

export const KMEANS_DEFAULTS: Omit<KmeansOptions, 'maxSubtypes' | 'seed'> = {
  restarts: 10,
  maxIterations: 300,
  silhouetteSubjects: 5000,
};

/** Rows of the table as number[][] (what ml-kmeans takes), NaN -> 0. Also returns how many cells were replaced. */
export function rowsWithMissingAsZero(data: ZTable): { rows: number[][]; replaced: number } {
  const B = data.biomarkers.length;
  const M = data.subjects.length;
  const rows: number[][] = new Array(M);
  let replaced = 0;
  for (let i = 0; i < M; i++) {
    const r = new Array<number>(B);
    for (let b = 0; b < B; b++) {
      const v = data.values[i * B + b]!;
      if (Number.isNaN(v)) {
        r[b] = 0;
        replaced++;
      } else r[b] = v;
    }
    rows[i] = r;
  }
  return { rows, replaced };
}

function sqDist(x: readonly number[], c: readonly number[]): number {
  let s = 0;
  for (let b = 0; b < x.length; b++) {
    const d = x[b]! - c[b]!;
    s += d * d;
  }
  return s;
}

function nearest(x: readonly number[], centroids: readonly number[][]): { index: number; d2: number } {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < centroids.length; c++) {
    const d = sqDist(x, centroids[c]!);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return { index: best, d2: bestD };
}

interface RawFit {
  centroids: number[][];
  labels: Int32Array;
  inertia: number;
}

/** One K: `restarts` seeded k-means++ runs, best inertia kept (first on ties), clusters relabelled by size. */
export function fitKmeansK(rows: number[][], K: number, rng: Rng, restarts: number, maxIterations: number): RawFit {
  let best: RawFit | undefined;
  for (let r = 0; r < restarts; r++) {
    const seed = rng.nextSeed();
    const res = kmeans(rows, K, { seed, initialization: 'kmeans++', maxIterations });
    // Recompute labels and inertia against the final centroids (ml-kmeans labels lag one update).
    const labels = new Int32Array(rows.length);
    let inertia = 0;
    for (let i = 0; i < rows.length; i++) {
      const n = nearest(rows[i]!, res.centroids);
      labels[i] = n.index;
      inertia += n.d2;
    }
    if (best === undefined || inertia < best.inertia) best = { centroids: res.centroids.map((c) => [...c]), labels, inertia };
  }
  return orderBySize(best!, K);
}

/** Relabel clusters largest first (ties: the cluster holding the earlier subject first); drop nothing. */
function orderBySize(fit: RawFit, K: number): RawFit {
  const size = new Array<number>(K).fill(0);
  const first = new Array<number>(K).fill(Infinity);
  fit.labels.forEach((c, i) => {
    size[c]!++;
    if (first[c] === Infinity) first[c] = i;
  });
  const order = Array.from({ length: K }, (_, c) => c).sort((a, b) => size[b]! - size[a]! || first[a]! - first[b]!);
  const newOf = new Int32Array(K);
  order.forEach((old, nw) => (newOf[old] = nw));
  const labels = fit.labels.map((c) => newOf[c]!);
  return { centroids: order.map((old) => fit.centroids[old]!), labels, inertia: fit.inertia };
}

/** Fit K = 1..maxSubtypes on all subjects of `data`. Pure: no file access. */
export function fitKmeansModel(data: ZTable, opts: { maxSubtypes: number; seed: number; restarts?: number; maxIterations?: number; silhouetteSubjects?: number }): KmeansModelFile {
  const o: KmeansOptions = { ...KMEANS_DEFAULTS, ...stripUndefined(opts) } as KmeansOptions;
  const M = data.subjects.length;
  if (!Number.isInteger(o.maxSubtypes) || o.maxSubtypes < 1) throw new UserError(`max subtypes must be a positive integer, got ${o.maxSubtypes}`);
  if (!Number.isInteger(o.restarts) || o.restarts < 1) throw new UserError(`k-means restarts must be a positive integer, got ${o.restarts}`);
  if (M < 2 || M < o.maxSubtypes) {
    throw new UserError(`k-means needs at least ${Math.max(2, o.maxSubtypes)} subjects for ${o.maxSubtypes} clusters, the data has ${M}`);
  }
  const { rows, replaced } = rowsWithMissingAsZero(data);
  const distinct = new Set(rows.map((r) => r.join(','))).size;
  if (distinct < o.maxSubtypes) {
    throw new UserError(`k-means cannot make ${o.maxSubtypes} clusters: the data has only ${distinct} distinct subject profiles`);
  }
  const root = Rng.fromSeed(o.seed);
  // Stream 0 picks the silhouette subset; stream K fits K clusters, so K's result does not depend on maxSubtypes.
  const silhouetteIndex = silhouetteSubset(M, o.silhouetteSubjects, root.stream(0));
  const raws: RawFit[] = [];
  for (let K = 1; K <= o.maxSubtypes; K++) raws.push(fitKmeansK(rows, K, root.stream(K), o.restarts, o.maxIterations));
  const sil = silhouetteScores(
    data.biomarkers.length,
    pickRows(rows, silhouetteIndex),
    raws.map((r) => pickLabels(r.labels, silhouetteIndex)),
    raws.map((_, k) => k + 1),
  );
  const fits: KmeansFit[] = raws.map((r, k) => {
    const K = k + 1;
    const size = new Array<number>(K).fill(0);
    for (const c of r.labels) size[c]!++;
    return { subtypes: K, centroids: r.centroids, fractions: size.map((s) => s / M), silhouette: sil[k]!, inertia: r.inertia };
  });
  return {
    format: 'ms-subtype-model',
    formatVersion: 1,
    toolVersion: toolVersion(),
    method: 'kmeans',
    biomarkers: [...data.biomarkers],
    settings: {
      seed: o.seed,
      maxSubtypes: o.maxSubtypes,
      restarts: o.restarts,
      maxIterations: o.maxIterations,
      initialization: 'kmeans++',
      missingValues: 'replaced by 0 (the control mean)',
      missingCellsReplaced: replaced,
      silhouetteSubjects: silhouetteIndex === null ? M : silhouetteIndex.length,
    },
    training: { subjects: M },
    fits,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** null = all subjects; otherwise a sorted seeded subset of `size` subject indices. */
function silhouetteSubset(M: number, size: number, rng: Rng): Int32Array | null {
  if (M <= size) return null;
  return rng.permutation(M).slice(0, size).sort();
}

function pickRows(rows: number[][], idx: Int32Array | null): number[][] {
  return idx === null ? rows : Array.from(idx, (i) => rows[i]!);
}

function pickLabels(labels: Int32Array, idx: Int32Array | null): Int32Array {
  return idx === null ? labels : Int32Array.from(idx, (i) => labels[i]!);
}

/**
 * Assign subjects to the K-cluster fit: ml subtype = nearest centroid. probSubtype is a soft
 * assignment that treats each cluster as a unit-variance Gaussian (z-scores have sd 1 in controls)
 * with equal weights: p(c | x) proportional to exp(-|x - centroid_c|^2 / 2), so its argmax is the
 * nearest centroid. Stages do not exist: mlStage = -1 and probMlStage = NaN (written as empty).
 */
export function assignKmeans(model: KmeansModelFile, data: ZTable, K: number): Assignment {
  const fit = model.fits.find((f) => f.subtypes === K);
  if (fit === undefined) {
    throw new UserError(`the k-means model has no ${K}-cluster fit (it has ${model.fits.map((f) => f.subtypes).join(', ')})`);
  }
  const { rows } = rowsWithMissingAsZero(alignToModel(model.biomarkers, data));
  const M = rows.length;
  const mlSubtype = new Int32Array(M);
  const probMlSubtype = new Float64Array(M);
  const probSubtype = new Float64Array(M * K);
  const d2 = new Float64Array(K);
  for (let i = 0; i < M; i++) {
    let min = Infinity;
    let arg = 0;
    for (let c = 0; c < K; c++) {
      d2[c] = sqDist(rows[i]!, fit.centroids[c]!);
      if (d2[c]! < min) {
        min = d2[c]!;
        arg = c;
      }
    }
    // Shift by the minimum so the exponentials never underflow to 0/0.
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.exp(-(d2[c]! - min) / 2);
    for (let c = 0; c < K; c++) probSubtype[i * K + c] = Math.exp(-(d2[c]! - min) / 2) / sum;
    mlSubtype[i] = arg;
    probMlSubtype[i] = probSubtype[i * K + arg]!;
  }
  return {
    subjects: [...data.subjects],
    subtypes: K,
    mlSubtype,
    probMlSubtype,
    mlStage: new Int32Array(M).fill(-1),
    probMlStage: new Float64Array(M).fill(NaN),
    probSubtype,
  };
}

/** The data's columns in the model's biomarker order, matched by name (extra columns ignored). */
function alignToModel(biomarkers: string[], data: ZTable): ZTable {
  const DB = data.biomarkers.length;
  const cols = biomarkers.map((b) => {
    const j = data.biomarkers.indexOf(b);
    if (j < 0) throw new UserError(`the data has no column for the model's biomarker "${b}"`, { field: b });
    return j;
  });
  if (cols.every((j, b) => j === b) && DB === biomarkers.length) return data;
  const M = data.subjects.length;
  const B = biomarkers.length;
  const values = new Float64Array(M * B);
  for (let i = 0; i < M; i++) for (let b = 0; b < B; b++) values[i * B + b] = data.values[i * DB + cols[b]!]!;
  return { subjects: data.subjects, biomarkers: [...biomarkers], values };
}
