import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { extractCohort, loadFeatures } from '../../src/extract/index.js';
import { ratioMap } from '../../src/extract/multi.js';
import { readImage } from '../../src/nifti/index.js';
import { tempDir, writeImage, writeText, cleanup } from './fixtures.js';
import { errorOf } from '../helpers/errors.js';
import { sharedDir } from '../helpers/cli.js';

afterAll(cleanup);

const MS13 = join(import.meta.dirname, '..', '..', 'data', 'features', 'ms-13.json');

/** Desikan-Killiany parcels in FreeSurferColorLUT order (ctx-lh-<name> = 1000 + index). */
const DK = [
  'unknown',
  'bankssts',
  'caudalanteriorcingulate',
  'caudalmiddlefrontal',
  'corpuscallosum',
  'cuneus',
  'entorhinal',
  'fusiform',
  'inferiorparietal',
  'inferiortemporal',
  'isthmuscingulate',
  'lateraloccipital',
  'lateralorbitofrontal',
  'lingual',
  'medialorbitofrontal',
  'middletemporal',
  'parahippocampal',
  'paracentral',
  'parsopercularis',
  'parsorbitalis',
  'parstriangularis',
  'pericalcarine',
  'postcentral',
  'posteriorcingulate',
  'precentral',
  'precuneus',
  'rostralanteriorcingulate',
  'rostralmiddlefrontal',
  'superiorfrontal',
  'superiorparietal',
  'superiortemporal',
  'supramarginal',
  'frontalpole',
  'temporalpole',
  'transversetemporal',
  'insula',
];
/** The lobes as docs/extract.md states them, by parcel name (written out here, not taken from the product). */
const LOBES: Record<string, string[]> = {
  frontal: [
    'superiorfrontal',
    'rostralmiddlefrontal',
    'caudalmiddlefrontal',
    'parsopercularis',
    'parstriangularis',
    'parsorbitalis',
    'lateralorbitofrontal',
    'medialorbitofrontal',
    'precentral',
    'paracentral',
    'frontalpole',
  ],
  parietal: ['superiorparietal', 'inferiorparietal', 'supramarginal', 'postcentral', 'precuneus'],
  temporal: ['superiortemporal', 'middletemporal', 'inferiortemporal', 'bankssts', 'fusiform', 'transversetemporal', 'temporalpole'],
  occipital: ['lateraloccipital', 'lingual', 'cuneus', 'pericalcarine'],
  cingulate: ['rostralanteriorcingulate', 'caudalanteriorcingulate', 'posteriorcingulate', 'isthmuscingulate'],
  limbic: ['rostralanteriorcingulate', 'caudalanteriorcingulate', 'posteriorcingulate', 'isthmuscingulate', 'entorhinal', 'parahippocampal'],
};
const dk = (name: string) => {
  const i = DK.indexOf(name);
  if (i < 1) throw new Error(name);
  return i;
};
const both = (base: number, names: string[]) => names.flatMap((n) => [base + dk(n), base + 1000 + dk(n)]);

const D: [number, number, number] = [16, 16, 16];
const NV = 16 * 16 * 16;
const VOX = 1.5 ** 3;

/** Deterministic pseudo-random numbers for the fixtures. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A label map where label labels[k] has exactly counts[k] voxels (scattered), the rest 0. */
function mapWithCounts(labels: number[], counts: number[], rnd: () => number): Int32Array {
  const order = Array.from({ length: NV }, (_, i) => i);
  for (let i = NV - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const m = new Int32Array(NV);
  let p = 0;
  labels.forEach((l, k) => {
    for (let c = 0; c < counts[k]!; c++) m[order[p++]!] = l;
  });
  return m;
}

describe('the 13 published features (data/features/ms-13.json)', () => {
  it('defines 13 biomarkers with the published content, plus ICV as a covariate', () => {
    const fs = loadFeatures(MS13);
    const bio = fs.features.filter((f) => f.role === 'biomarker');
    expect(bio).toHaveLength(13);
    expect(fs.labelMaps).toEqual(['wmparc']);
    expect(fs.ratioMaps).toEqual([{ name: 't1t2', numerator: 't1w', denominator: 't2w', calibration: 'none' }]);
    expect(bio.filter((f) => f.measure === 'mean').every((f) => f.labelMap === 'wmparc' && f.excludeLesion && f.map === 't1t2')).toBe(true);
  });

  it('gives the expected volumes and NAWM T1w/T2w means on label maps with known voxel counts', async () => {
    const rnd = lcg(14);
    const dir = tempDir();
    // aparc+aseg: every cortical parcel (insula too, which is in no lobe), deep grey, white matter, CSF, a lesion label.
    const apLabels = [
      ...both(
        1000,
        DK.slice(1).filter((n) => n !== 'corpuscallosum'),
      ),
      10,
      49,
      11,
      50,
      12,
      51,
      13,
      52,
      26,
      58,
      17,
      53,
      2,
      41,
      24,
      77,
    ];
    const apCounts = apLabels.map((_, k) => 3 + ((k * 7) % 23));
    const ap = mapWithCounts(apLabels, apCounts, rnd);
    const count = (labels: number[]) => labels.reduce((s, l) => s + apCounts[apLabels.indexOf(l)]!, 0);
    // wmparc: white-matter parcels, cerebellar WM, corpus callosum, unsegmented WM.
    const wpLabels = [
      ...both(
        3000,
        DK.slice(1).filter((n) => n !== 'corpuscallosum'),
      ),
      7,
      46,
      251,
      252,
      253,
      254,
      255,
      5001,
      5002,
    ];
    const wpCounts = wpLabels.map((_, k) => 10 + ((k * 5) % 17));
    const wp = mapWithCounts(wpLabels, wpCounts, rnd);
    const t1 = Float32Array.from({ length: NV }, () => 200 + Math.round(800 * rnd()));
    const t2 = Float32Array.from({ length: NV }, () => (rnd() < 0.1 ? 0 : 50 + Math.round(200 * rnd())));
    const lesion = Uint8Array.from({ length: NV }, () => (rnd() < 0.15 ? 1 : 0));
    const opts = { dims: D, voxelSize: [1.5, 1.5, 1.5] as [number, number, number] };
    writeImage(join(dir, 'ap.nii.gz'), ap, opts);
    writeImage(join(dir, 'wp.nii.gz'), wp, opts);
    writeImage(join(dir, 't1.nii.gz'), t1, { ...opts, dtype: 'float32' });
    writeImage(join(dir, 't2.nii.gz'), t2, { ...opts, dtype: 'float32' });
    writeImage(join(dir, 'les.nii.gz'), lesion, { ...opts, dtype: 'uint8' });
    writeText(join(dir, 'm.csv'), 'subject_id,labels,wmparc,lesion_mask,t1w,t2w,group\ns1,ap.nii.gz,wp.nii.gz,les.nii.gz,t1.nii.gz,t2.nii.gz,MS\n');
    const r = await extractCohort({ inputs: [join(dir, 'm.csv')], out: join(dir, 'f.csv'), features: MS13, jobs: 1, quiet: true });
    expect(r.failures).toEqual([]);
    const [head, row] = readFileSync(join(dir, 'f.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const got = (f: string) => Number(row![head!.indexOf(f)]);

    expect(got('deep_grey_matter')).toBe(count([10, 49, 11, 50, 12, 51, 13, 52, 26, 58]) * VOX);
    for (const lobe of ['frontal', 'limbic', 'occipital', 'parietal', 'temporal']) {
      expect(got(`${lobe}_cortex`)).toBe(count(both(1000, LOBES[lobe]!)) * VOX);
    }
    expect(got('lesion_load')).toBe(lesion.reduce((s, v) => s + v, 0) * VOX);
    // NAWM means computed voxel by voxel: in the wmparc region, not lesion, T2w > 0.
    const nawm = (labels: number[]) => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < NV; i++) {
        if (labels.includes(wp[i]!) && !lesion[i] && t2[i]! > 0) {
          s += t1[i]! / t2[i]!;
          n++;
        }
      }
      expect(n).toBeGreaterThan(20);
      return s / n;
    };
    const regions: Record<string, number[]> = {
      cerebellum: [7, 46],
      cingulate: both(3000, LOBES.cingulate!),
      frontal: both(3000, LOBES.frontal!),
      parietal: both(3000, LOBES.parietal!),
      temporal: both(3000, LOBES.temporal!),
      corpus_callosum: [251, 252, 253, 254, 255],
    };
    for (const [name, labels] of Object.entries(regions)) expect(got(`${name}_nawm_t1t2`)).toBeCloseTo(nawm(labels), 10);
    const side = JSON.parse(readFileSync(join(dir, 'f.csv.json'), 'utf8'));
    expect(side.subjects[0].inputs.map((i: { role: string }) => i.role)).toEqual(['labels', 'lesion_mask', 'labels:wmparc', 'image:t1w', 'image:t2w']);
  });

  it('the T1w/T2w map is the voxelwise ratio where T2w > 0, on a real T1 (Colin27, ../shared/nifti) and an AAL region', async () => {
    const ch2 = join(sharedDir, 'nifti/data/mricron-data/ch2bet.nii.gz');
    const aal = join(sharedDir, 'nifti/data/mricron-data/aal.nii.gz');
    expect(existsSync(ch2) && existsSync(aal)).toBe(true);
    const t1 = readImage(ch2);
    const labels = readImage(aal);
    // T2w made so the ratio varies voxel to voxel: T1 + a smooth ramp along x (0 where T1 is 0).
    const [nx] = t1.dims;
    const t2 = new Float32Array(t1.data.length);
    for (let i = 0; i < t2.length; i++) t2[i] = t1.data[i]! > 0 ? t1.data[i]! + 10 + (i % nx) : 0;
    const dir = tempDir();
    writeImage(join(dir, 't2.nii.gz'), t2, { dims: t1.dims as [number, number, number], affine: [...t1.affine], dtype: 'float32' });
    const ratio = ratioMap(t1.data, t2);
    // every voxel: the ratio, or NaN where T2w is 0
    let checked = 0;
    for (let i = 0; i < t2.length; i += 997) {
      if (t2[i]! > 0) expect(ratio[i]).toBe(t1.data[i]! / t2[i]!);
      else expect(ratio[i]).toBeNaN();
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
    writeText(
      join(dir, 'defs.json'),
      JSON.stringify({
        ratioMaps: { r: { numerator: 't1w', denominator: 't2w' } },
        features: { precentral_l: { measure: 'mean', map: 'r', labels: [1], abnormal: 'decrease' } },
      }),
    );
    writeText(join(dir, 'm.csv'), `subject_id,labels,t1w,t2w\ncolin,${aal},${ch2},t2.nii.gz\n`);
    const r = await extractCohort({ inputs: [join(dir, 'm.csv')], out: join(dir, 'f.csv'), features: join(dir, 'defs.json'), jobs: 1, quiet: true });
    expect(r.failures).toEqual([]);
    let s = 0;
    let n = 0;
    for (let i = 0; i < t2.length; i++) {
      if (labels.data[i] === 1 && t2[i]! > 0) {
        s += t1.data[i]! / t2[i]!;
        n++;
      }
    }
    expect(n).toBeGreaterThan(1000);
    const got = Number(readFileSync(join(dir, 'f.csv'), 'utf8').trim().split('\n')[1]!.split(',').at(-1));
    expect(got).toBeCloseTo(s / n, 12);
  });

  it('refuses a manifest without a column for a label map or ratio image the features use', async () => {
    const dir = tempDir();
    writeText(join(dir, 'm.csv'), 'subject_id,labels,lesion_mask,t1w,t2w\ns1,a.nii.gz,,t1.nii.gz,t2.nii.gz\n');
    const e = await extractCohort({ inputs: [join(dir, 'm.csv')], out: join(dir, 'f.csv'), features: MS13, quiet: true }).catch((x: Error) => x);
    expect(String(e)).toMatch(/m\.csv.*wmparc.*no column "wmparc"/);
    writeText(join(dir, 'm2.csv'), 'subject_id,labels,wmparc,t1w\ns1,a.nii.gz,b.nii.gz,t1.nii.gz\n');
    const e2 = await extractCohort({ inputs: [join(dir, 'm2.csv')], out: join(dir, 'f.csv'), features: MS13, quiet: true }).catch((x: Error) => x);
    expect(String(e2)).toMatch(/no column "t2w"/);
  });

  it('fails a subject whose wmparc or T2w is not on the label map grid, naming the file', async () => {
    const dir = tempDir();
    const L = new Int32Array(NV).fill(2);
    writeImage(join(dir, 'ap.nii.gz'), L, { dims: D });
    writeImage(join(dir, 'wp.nii.gz'), L, { dims: D, voxelSize: [1, 1, 1.2] });
    writeImage(join(dir, 'wp-ok.nii.gz'), L, { dims: D });
    writeImage(join(dir, 't1.nii.gz'), L, { dims: D });
    writeImage(join(dir, 't2.nii.gz'), new Int16Array(8 * 8 * 8).fill(1), { dims: [8, 8, 8] });
    writeText(join(dir, 'm.csv'), 'subject_id,labels,wmparc,t1w,t2w\ns1,ap.nii.gz,wp.nii.gz,t1.nii.gz,t1.nii.gz\ns2,ap.nii.gz,wp-ok.nii.gz,t1.nii.gz,t2.nii.gz\n');
    const r = await extractCohort({ inputs: [join(dir, 'm.csv')], out: join(dir, 'f.csv'), features: MS13, jobs: 1, quiet: true });
    expect(r.failures.map((f) => [f.subject, f.file])).toEqual([
      ['s1', 'wp.nii.gz'],
      ['s2', 't2.nii.gz'],
    ]);
    expect(r.failures[0]!.reason).toMatch(/labels:wmparc vs labels: affines differ/);
    expect(r.failures[1]!.reason).toMatch(/image:t2w vs labels: dimensions differ/);
  });

  it('refuses feature files that reuse a name for two kinds of map', () => {
    const dir = tempDir();
    const f = writeText(
      join(dir, 'bad.json'),
      JSON.stringify({
        ratioMaps: { t1t2: { numerator: 't1w', denominator: 't2w' } },
        features: { a: { measure: 'mean', map: 't1t2', labels: [2], labelMap: 't1w', abnormal: 'decrease' } },
      }),
    );
    expect(errorOf(() => loadFeatures(f)).message).toMatch(/bad\.json.*"t1w" is used both as a label map and as a ratio input image/);
  });
});
