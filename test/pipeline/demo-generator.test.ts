import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sampleDemoCohort, severity, DEMO_SUBTYPES, REGIONS, type DemoSubject } from '../../src/pipeline/demo-cohort.js';
import { renderDemoSubject, type DemoGrid } from '../../src/pipeline/demo-render.js';
import { writeDemoCohort } from '../../src/pipeline/demo-write.js';

/** Voxels per label of a rendered map. */
function counts(labels: Uint8Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const l of labels) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}
const sum = (m: Map<number, number>, labels: number[]) => labels.reduce((s, l) => s + (m.get(l) ?? 0), 0);
const CORTEX = [3, 42];
const DEEP = [10, 49, 11, 50, 12, 51, 13, 52, 26, 58];
const VENTRICLES = [4, 43];
const CEREBELLUM = [7, 8, 46, 47];
const BRAINSTEM = [16];
const WM = [2, 41];
const nonzero = (m: Map<number, number>) => [...m.entries()].filter(([l]) => l !== 0).reduce((s, [, c]) => s + c, 0);

function withVolume(s: DemoSubject, change: Partial<DemoSubject['volume']>, lesionMl = s.lesionMl): DemoSubject {
  return { ...s, volume: { ...s.volume, ...change }, lesionMl };
}

describe('demo cohort generator', () => {
  const cohort = sampleDemoCohort({ seed: 11, controls: 4, patients: 8 });
  const control = cohort[0]!;

  it('is deterministic: the same seed gives the same subjects, a different seed different ones', () => {
    expect(sampleDemoCohort({ seed: 11, controls: 4, patients: 8 })).toEqual(cohort);
    const other = sampleDemoCohort({ seed: 12, controls: 4, patients: 8 });
    expect(other[0]!.age).not.toBe(control.age);
  });

  it('writes the same bytes for the same seed (files, manifest, truth)', () => {
    const a = mkdtempSync(join(tmpdir(), 'demo-a-'));
    const b = mkdtempSync(join(tmpdir(), 'demo-b-'));
    const grid: DemoGrid = { dims: [40, 48, 36], voxel: 4 };
    try {
      writeDemoCohort(a, { seed: 5, controls: 2, patients: 3, grid });
      writeDemoCohort(b, { seed: 5, controls: 2, patients: 3, grid });
      const files = (d: string) => ['manifest.csv', 'truth.csv', ...readdirSync(join(d, 'nifti')).map((f) => join('nifti', f))].sort();
      expect(files(a)).toEqual(files(b));
      expect(files(a)).toHaveLength(2 + 2 * 5);
      for (const f of files(a)) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
      // a real NIfTI-1 label map: 348-byte header, magic n+1, uint8 data of the grid's size
      const nii = gunzipSync(readFileSync(join(a, 'nifti', 'sub-0001_dseg.nii.gz')));
      expect(nii.readInt32LE(0)).toBe(348);
      expect(nii.toString('latin1', 344, 347)).toBe('n+1');
      expect(nii.length).toBe(352 + 40 * 48 * 36);
      const manifest = readFileSync(join(a, 'manifest.csv'), 'utf8').trim().split('\n');
      expect(manifest[0]).toBe('subject_id,labels,lesion,group,age,sex,site');
      expect(manifest).toHaveLength(6);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('paints every region of the aseg layout', () => {
    const m = counts(renderDemoSubject(control).labels);
    for (const l of [2, 41, 3, 42, 4, 43, 7, 46, 8, 47, 10, 49, 11, 50, 12, 51, 13, 52, 16, 17, 53, 24]) expect(m.get(l) ?? 0, `label ${l}`).toBeGreaterThan(10);
    // both hemispheres alike (the layout is mirrored; only the boundary noise differs)
    expect(Math.abs((m.get(3)! - m.get(42)!) / m.get(3)!)).toBeLessThan(0.1);
  });

  it('shrinks the cortex by the wanted fraction and leaves the other regions and the ICV alone', () => {
    const before = counts(renderDemoSubject(control).labels);
    const after = counts(renderDemoSubject(withVolume(control, { cortex: control.volume.cortex * 0.8 })).labels);
    expect(sum(after, CORTEX) / sum(before, CORTEX)).toBeGreaterThan(0.77);
    expect(sum(after, CORTEX) / sum(before, CORTEX)).toBeLessThan(0.83);
    expect(sum(after, DEEP)).toBe(sum(before, DEEP));
    expect(sum(after, CEREBELLUM)).toBe(sum(before, CEREBELLUM));
    expect(nonzero(after)).toBe(nonzero(before)); // the lost tissue became CSF
    expect(sum(after, [24])).toBeGreaterThan(sum(before, [24]));
  });

  it('shrinks deep grey matter, cerebellum, brainstem and white matter, and grows the ventricles', () => {
    const before = counts(renderDemoSubject(control).labels);
    const v = control.volume;
    const cases: [Partial<DemoSubject['volume']>, number[], number][] = [
      [{ deepGm: v.deepGm * 0.75 }, DEEP, 0.75],
      [{ cerebellum: v.cerebellum * 0.8 }, CEREBELLUM, 0.8],
      [{ brainstem: v.brainstem * 0.78 }, BRAINSTEM, 0.78],
      [{ wm: v.wm * 0.86 }, WM, 0.84],
      [{ ventricles: v.ventricles * 3 }, VENTRICLES, 3],
    ];
    for (const [change, labels, ratio] of cases) {
      const after = counts(renderDemoSubject(withVolume(control, change)).labels);
      const r = sum(after, labels) / sum(before, labels);
      expect(Math.abs(r - ratio) / ratio, `${Object.keys(change)[0]}: ratio ${r}`).toBeLessThan(0.08);
      expect(nonzero(after)).toBe(nonzero(before));
    }
  });

  it('puts the wanted lesion volume in the mask, inside white matter', () => {
    for (const ml of [0.3, 5, 25]) {
      const r = renderDemoSubject(withVolume(control, {}, ml));
      let n = 0;
      for (let i = 0; i < r.lesion.length; i++) {
        if (r.lesion[i]) {
          n++;
          expect([2, 41]).toContain(r.labels[i]);
        }
      }
      expect(n).toBe(Math.max(1, Math.round((ml * 1000) / 8)));
    }
  });

  it('gives each subtype a different first region, and patients later in the course more change', () => {
    const first = DEMO_SUBTYPES.map((s) => REGIONS.filter((r) => s.onset[r] === 0));
    expect(new Set(first.map((f) => f.join())).size).toBe(DEMO_SUBTYPES.length);
    for (const s of DEMO_SUBTYPES) {
      for (const r of REGIONS) {
        expect(severity(s, 0, r)).toBe(0);
        expect(severity(s, 1, r)).toBe(1);
        expect(severity(s, 0.5, r)).toBeGreaterThanOrEqual(severity(s, 0.3, r));
      }
    }
    const big = sampleDemoCohort({ seed: 3, controls: 50, patients: 300 });
    const patients = big.filter((s) => s.group === 'MS');
    expect(big.filter((s) => s.group === 'HC').every((s) => s.subtype === -1 && s.stage === 0)).toBe(true);
    // late cortex-led patients have less cortex than controls; late lesion-led ones more lesion
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const late = (k: number) => patients.filter((s) => s.subtype === k && s.stage > 0.8);
    const controls = big.filter((s) => s.group === 'HC');
    expect(mean(late(0).map((s) => s.volume.cortex))).toBeLessThan(mean(controls.map((s) => s.volume.cortex)) * 0.9);
    expect(mean(late(1).map((s) => s.lesionMl))).toBeGreaterThan(15);
    expect(mean(controls.map((s) => s.lesionMl))).toBeLessThan(2);
  });
});
