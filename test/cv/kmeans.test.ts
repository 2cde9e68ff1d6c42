import { describe, it, expect } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { fitKmeansModel, assignKmeans } from '../../src/cv/kmeans.js';
import { silhouetteScores } from '../../src/cv/silhouette.js';
import { adjustedRandIndex } from '../../src/cv/ari.js';
import type { ZTable } from '../../src/sustain/types.js';

/** Gaussian blobs (sd 0.5) around the given centres, `sizes[c]` points each, rows shuffled. */
function blobs(centres: number[][], sizes: number[], seed: number): { data: ZTable; truth: Int32Array } {
  const rng = Rng.fromSeed(seed);
  const B = centres[0]!.length;
  const labels: number[] = [];
  sizes.forEach((n, c) => labels.push(...new Array<number>(n).fill(c)));
  const order = rng.permutation(labels.length);
  const M = labels.length;
  const values = new Float64Array(M * B);
  const truth = new Int32Array(M);
  for (let i = 0; i < M; i++) {
    const c = labels[order[i]!]!;
    truth[i] = c;
    for (let b = 0; b < B; b++) values[i * B + b] = centres[c]![b]! + 0.5 * rng.normal();
  }
  return {
    data: { subjects: Array.from({ length: M }, (_, i) => `s${i}`), biomarkers: Array.from({ length: B }, (_, b) => `b${b}`), values },
    truth,
  };
}

function bruteSilhouette(rows: number[][], lab: ArrayLike<number>): number {
  const M = rows.length;
  const dist = (p: number[], q: number[]) => Math.sqrt(p.reduce((s, v, k) => s + (v - q[k]!) ** 2, 0));
  const K = Math.max(...Array.from(lab)) + 1;
  let total = 0;
  for (let i = 0; i < M; i++) {
    const per: number[][] = Array.from({ length: K }, () => []);
    for (let j = 0; j < M; j++) if (j !== i) per[lab[j]!]!.push(dist(rows[i]!, rows[j]!));
    const own = per[lab[i]!]!;
    if (own.length === 0) continue;
    const a = own.reduce((s, v) => s + v, 0) / own.length;
    const b = Math.min(...per.filter((p, c) => c !== lab[i] && p.length > 0).map((p) => p.reduce((s, v) => s + v, 0) / p.length));
    total += (b - a) / Math.max(a, b);
  }
  return total / M;
}

describe('k-means baseline', () => {
  const { data, truth } = blobs(
    [
      [0, 0, 0],
      [4, 4, 0],
      [0, 4, 4],
    ],
    [60, 40, 25],
    11,
  );

  it('recovers well-separated clusters, ordered by size, with sensible fractions and inertia', () => {
    const model = fitKmeansModel(data, { maxSubtypes: 4, seed: 3 });
    expect(model.method).toBe('kmeans');
    expect(model.fits.map((f) => f.subtypes)).toEqual([1, 2, 3, 4]);
    const a3 = assignKmeans(model, data, 3);
    expect(adjustedRandIndex(a3.mlSubtype, truth)).toBe(1);
    // Largest cluster first: the 60-point blob around the origin.
    expect(model.fits[2]!.fractions).toEqual([60 / 125, 40 / 125, 25 / 125]);
    expect(Math.hypot(...model.fits[2]!.centroids[0]!)).toBeLessThan(0.3);
    // Inertia falls with K; the silhouette peaks at the true K.
    const inertia = model.fits.map((f) => f.inertia);
    for (let k = 1; k < inertia.length; k++) expect(inertia[k]!).toBeLessThan(inertia[k - 1]!);
    const sil = model.fits.map((f) => f.silhouette);
    expect(sil[0]).toBe(0);
    expect(sil.indexOf(Math.max(...sil))).toBe(2);
    // Soft assignment: rows sum to 1, argmax = hard label, no stages.
    for (let i = 0; i < 125; i++) {
      const p = Array.from(a3.probSubtype.subarray(i * 3, i * 3 + 3));
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      expect(p.indexOf(Math.max(...p))).toBe(a3.mlSubtype[i]);
      expect(a3.probMlSubtype[i]).toBe(Math.max(...p));
      expect(a3.mlStage[i]).toBe(-1);
      expect(Number.isNaN(a3.probMlStage[i]!)).toBe(true);
    }
  });

  it('silhouette matches a brute-force computation for every K', () => {
    const model = fitKmeansModel(data, { maxSubtypes: 4, seed: 5, restarts: 2 });
    const rows = Array.from({ length: 125 }, (_, i) => Array.from(data.values.subarray(i * 3, i * 3 + 3)));
    for (let K = 2; K <= 4; K++) {
      const lab = assignKmeans(model, data, K).mlSubtype;
      expect(model.fits[K - 1]!.silhouette).toBeCloseTo(bruteSilhouette(rows, lab), 10);
    }
    // Above `silhouetteSubjects`, a seeded subset (stream 0 of the seed) is scored.
    const sub = fitKmeansModel(data, { maxSubtypes: 3, seed: 5, restarts: 2, silhouetteSubjects: 50 });
    expect(sub.settings['silhouetteSubjects']).toBe(50);
    const pick = Rng.fromSeed(5).stream(0).permutation(125).slice(0, 50).sort();
    const lab3 = assignKmeans(sub, data, 3).mlSubtype;
    expect(sub.fits[2]!.silhouette).toBeCloseTo(
      bruteSilhouette(
        Array.from(pick, (i) => rows[i]!),
        Array.from(pick, (i) => lab3[i]!),
      ),
      10,
    );
    // The shared one-pass routine, on labelings with a singleton cluster.
    const lab = new Int32Array(125).map((_, i) => (i === 0 ? 1 : i % 2 === 0 ? 2 : 0));
    expect(silhouetteScores(3, rows, [lab], [3])[0]).toBeCloseTo(bruteSilhouette(rows, lab), 10);
  });

  it('is reproducible from the seed and the seed matters for a hard problem', () => {
    const noisy = blobs(
      [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      [30, 30, 30, 30],
      2,
    ).data;
    const a = fitKmeansModel(noisy, { maxSubtypes: 5, seed: 9, restarts: 1 });
    const b = fitKmeansModel(noisy, { maxSubtypes: 5, seed: 9, restarts: 1 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const seeds = [1, 2, 3, 4, 5, 6].map((s) => fitKmeansModel(noisy, { maxSubtypes: 5, seed: s, restarts: 1 }).fits[4]!.inertia);
    expect(new Set(seeds).size).toBeGreaterThan(1);
    // More restarts never give a worse best inertia than the first restart alone (same first seed).
    const many = fitKmeansModel(noisy, { maxSubtypes: 5, seed: 9, restarts: 8 });
    for (let k = 0; k < 5; k++) expect(many.fits[k]!.inertia).toBeLessThanOrEqual(a.fits[k]!.inertia + 1e-9);
  });

  it('replaces missing values by 0 and records it; refuses impossible requests', () => {
    const d: ZTable = { ...data, values: data.values.slice() };
    d.values[0] = NaN;
    d.values[7] = NaN;
    const m = fitKmeansModel(d, { maxSubtypes: 2, seed: 1, restarts: 1 });
    expect(m.settings['missingCellsReplaced']).toBe(2);
    expect(() => fitKmeansModel({ ...data, subjects: ['a'], values: new Float64Array(3) }, { maxSubtypes: 1, seed: 1 })).toThrow(/at least/);
    const same: ZTable = { subjects: ['a', 'b', 'c'], biomarkers: ['x'], values: new Float64Array([1, 1, 1]) };
    expect(() => fitKmeansModel(same, { maxSubtypes: 2, seed: 1 })).toThrow(/distinct/);
    expect(() => assignKmeans(m, data, 3)).toThrow(/no 3-cluster fit/);
    expect(() => assignKmeans(m, { ...data, biomarkers: ['b1', 'x', 'b2'] }, 2)).toThrow(/no column for the model's biomarker "b0"/);
    // Columns are matched by name: reordered columns (and an extra one) give the same assignment.
    const B = 3;
    const re = new Float64Array(125 * 4);
    for (let i = 0; i < 125; i++) {
      re[i * 4] = 9;
      re[i * 4 + 1] = data.values[i * B + 2]!;
      re[i * 4 + 2] = data.values[i * B]!;
      re[i * 4 + 3] = data.values[i * B + 1]!;
    }
    const a1 = assignKmeans(m, data, 2);
    const a2 = assignKmeans(m, { ...data, biomarkers: ['extra', 'b2', 'b0', 'b1'], values: re }, 2);
    expect([...a2.mlSubtype]).toEqual([...a1.mlSubtype]);
    expect([...a2.probSubtype]).toEqual([...a1.probSubtype]);
  });
});
