import { describe, it, expect } from 'vitest';
import { decimalSum, measureSubject, measureFromVolumes } from '../../src/extract/measure.js';
import { formatNumber } from '../../src/io/csv.js';
import type { FeatureDef } from '../../src/extract/features.js';
import { parseFeatures, loadFeatures } from '../../src/extract/features.js';
import { asegLike, lesionBox, lesionProb, scalarMap, N } from './fixtures.js';

const defs = (f: object) => parseFeatures(JSON.stringify({ features: f }), 't.json').features;

/** Independent reference: plain loops over voxels, no per-label accumulation. */
function refVolume(labels: Int32Array, set: number[] | 'nonzero', vv: number, exclude?: ArrayLike<number>, thr = 0.5): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const inSet = set === 'nonzero' ? labels[i] !== 0 : set.includes(labels[i]!);
    if (inSet && !(exclude && exclude[i]! >= thr)) n++;
  }
  return n * vv;
}

describe('measureSubject', () => {
  const labels = asegLike(3);
  it('volumes are voxel counts over the label set times the voxel volume', () => {
    const fs = loadFeatures();
    const vv = 1.5;
    const m = measureSubject({ labels, voxelVolume: vv }, fs.features, 0.5);
    const by = Object.fromEntries(fs.features.map((f, i) => [f.name, m.values[i]]));
    expect(by.deep_grey_matter).toBe(refVolume(labels, [10, 49, 11, 50, 12, 51, 13, 52, 26, 58], vv));
    expect(by.cortical_grey_matter).toBe(refVolume(labels, [3, 42], vv));
    expect(by.lateral_ventricles).toBe(refVolume(labels, [4, 43, 5, 44], vv));
    expect(by.icv).toBe(refVolume(labels, 'nonzero', vv));
    // no mask: lesion load from the WM-hypointensities label
    expect(by.lesion_load).toBe(refVolume(labels, [77], vv));
    expect(by.lesion_load).toBeGreaterThan(0);
    expect(m.lesionSource).toBe('labels');
  });

  it('lesion load is the mask volume: binary, and probabilistic at a threshold', () => {
    const d = defs({ les: { measure: 'lesion', labels: [77], abnormal: 'increase' } });
    const bin = lesionBox(1);
    let nb = 0;
    for (let i = 0; i < N; i++) nb += bin[i]!;
    const m = measureSubject({ labels, voxelVolume: 2, lesion: bin }, d, 0.5);
    expect(m.values[0]).toBe(nb * 2);
    expect(m.lesionSource).toBe('mask');
    const prob = lesionProb(2);
    for (const thr of [0.5, 0.3, 0.9]) {
      let n = 0;
      for (let i = 0; i < N; i++) if (prob[i]! >= thr) n++;
      expect(measureSubject({ labels, voxelVolume: 1, lesion: prob }, d, thr).values[0]).toBe(n);
    }
  });

  it('mean of a scalar map in a region, minus lesion voxels, skipping NaN voxels', () => {
    const d = defs({
      wm: { measure: 'mean', map: 't1t2', labels: [2, 41], abnormal: 'decrease' },
      nawm: { measure: 'mean', map: 't1t2', labels: [2, 41], excludeLesion: true, abnormal: 'decrease' },
      nawm_vol: { measure: 'volume', labels: [2, 41], excludeLesion: true, abnormal: 'decrease' },
      empty: { measure: 'mean', map: 't1t2', labels: [999], abnormal: 'decrease' },
    });
    const map = scalarMap(5);
    const les = lesionBox(0);
    const m = measureSubject({ labels, voxelVolume: 1, lesion: les, maps: new Map([['t1t2', map]]) }, d, 0.5);
    let s = 0,
      n = 0,
      s2 = 0,
      n2 = 0;
    for (let i = 0; i < N; i++) {
      if ((labels[i] === 2 || labels[i] === 41) && !Number.isNaN(map[i]!)) {
        s += map[i]!;
        n++;
        if (!les[i]) {
          s2 += map[i]!;
          n2++;
        }
      }
    }
    expect(n2).toBeLessThan(n);
    expect(m.values[0]).toBeCloseTo(s / n, 12);
    expect(m.values[1]).toBeCloseTo(s2 / n2, 12);
    expect(m.values[2]).toBe(refVolume(labels, [2, 41], 1, les));
    expect(Number.isNaN(m.values[3]!)).toBe(true);
  });

  it('handles negative and very large label values', () => {
    const L = Int32Array.from([0, -5, -5, 3, 10_000_000, 10_000_000, 10_000_000, 3]);
    const d = defs({
      a: { measure: 'volume', labels: [10_000_000], abnormal: 'decrease' },
      b: { measure: 'icv', role: 'covariate' },
      c: { measure: 'volume', labels: [3, 4], abnormal: 'decrease' },
    });
    expect(measureSubject({ labels: L, voxelVolume: 1 }, d, 0.5).values).toEqual([3, 7, 2]);
  });
});

describe('measureFromVolumes', () => {
  it('sums table volumes to the decimal numbers they are (no floating-point noise in features.csv)', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(decimalSum([0.1, 0.2])).toBe(0.3);
    // the kind of sum seen in a real features.csv: 139502.80000000002 before
    const parts = [62345.1, 61234.4, 8123.7, 7799.6];
    expect(formatNumber(parts.reduce((a, b) => a + b, 0))).not.toBe('139502.8');
    expect(formatNumber(decimalSum(parts))).toBe('139502.8');
    const f: FeatureDef = {
      name: 'gm',
      measure: 'volume',
      labels: [3, 42, 8, 47],
      excludeLesion: false,
      abnormal: 'decrease',
      transform: 'none',
      role: 'biomarker',
      useEtiv: false,
      label: 'GM',
      unit: 'mm³',
    };
    const v = measureFromVolumes(
      {
        volumes: new Map([
          [3, 62345.1],
          [42, 61234.4],
          [8, 8123.7],
          [47, 7799.6],
        ]),
      },
      [f],
    );
    expect(formatNumber(v[0]!)).toBe('139502.8');
    // integers and values with many digits are left as they are
    expect(decimalSum([1, 2, 3])).toBe(6);
    expect(decimalSum([1 / 3, 1 / 3])).toBe(1 / 3 + 1 / 3);
  });

  const fs = loadFeatures();
  it('sums the labels the table has, prefers eTIV for ICV, leaves absent features and means missing', () => {
    const volumes = new Map([
      [3, 250000],
      [42, 251000],
      [16, 21000],
      [77, 1500],
      [2, 220000],
      [41, 221000],
      [0, 5],
    ]);
    const v = measureFromVolumes({ volumes, icv: 1.5e6 }, fs.features);
    const by = Object.fromEntries(fs.features.map((f, i) => [f.name, v[i]]));
    expect(by.cortical_grey_matter).toBe(501000);
    expect(by.cerebral_white_matter).toBe(441000);
    expect(by.brainstem).toBe(21000);
    expect(by.lesion_load).toBe(1500);
    expect(by.icv).toBe(1.5e6);
    expect(Number.isNaN(by.deep_grey_matter!)).toBe(true);
    const noEtiv = measureFromVolumes({ volumes }, fs.features);
    expect(noEtiv[fs.features.findIndex((f) => f.name === 'icv')]).toBe(250000 + 251000 + 21000 + 1500 + 220000 + 221000);
    const mean = parseFeatures(JSON.stringify({ features: { m: { measure: 'mean', map: 'x', labels: [2], abnormal: 'decrease' } } }), 'x').features;
    expect(Number.isNaN(measureFromVolumes({ volumes }, mean)[0]!)).toBe(true);
  });
});
