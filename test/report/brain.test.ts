import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildBrainView, OUTLINE } from '../../src/report/brain-view.js';
import { defaultStages } from '../../src/report/brain-probs.js';
import { writeReport } from '../../src/report/index.js';
import { encodeNifti1 } from '../../src/nifti/write.js';
import { makeInputs, SMALL } from './fixtures.js';
import { writeFixtureFiles } from './files.js';
import type { NamedEvent, PosteriorSamples } from '../../src/sustain/types.js';
import { runCli } from '../helpers/cli.js';
import { decodePng } from './png-decode.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The PNG of one view and stage inside a brain-view SVG. */
function pngOf(svg: string, view: string, stage: number): [number, number, Uint8Array] {
  const m = new RegExp(`data-view="${view}" data-stage="${stage}" href="data:image/png;base64,([^"]+)"`).exec(svg);
  expect(m).not.toBeNull();
  return decodePng(new Uint8Array(Buffer.from(m![1]!, 'base64')));
}

describe('brain view', () => {
  // Two biomarkers, one threshold each (z = 1), one subtype: samples chosen so the probabilities are known.
  const events: NamedEvent[] = [
    ['a', 1],
    ['b', 1],
  ];
  // 10 samples: "a" first in 3 of them, "b" first in 7
  const samples: PosteriorSamples = {
    sequences: [...Array(3).fill([[0, 1]]), ...Array(7).fill([[1, 0]])] as number[][][],
    fractions: Array(10).fill([1]),
    logLikelihood: Array(10).fill(0),
  };
  // 12^3 map, identity affine (RAS): label 10 fills x < 6, label 20 x >= 6; label 1 (tissue, no feature) a border
  const n = 12;
  const labels = new Int32Array(n * n * n);
  for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) labels[x + n * (y + n * z)] = x === 0 || y === 0 || x === n - 1 || y === n - 1 ? 1 : x < 6 ? 10 : 20;
  const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const view = buildBrainView({
    biomarkers: ['a', 'b'],
    events,
    sequences: [
      [
        ['b', 1],
        ['a', 1],
      ],
    ],
    samples,
    features: [
      { name: 'a', measure: 'volume', labels: [10] },
      { name: 'b', measure: 'volume', labels: [20] },
      { name: 'icv', measure: 'icv', labels: 'nonzero' },
    ],
    maps: { dims: [n, n, n], affine: identity, labels: new Map([['labels', labels]]) },
    stages: [0, 1, 2],
    titles: ['Subtype 1'],
    thresholdColours: ['#d62728'],
  });
  const svg = view.figures['brain-view-subtype-1.svg']!;

  it('fills each region with the colour of its cumulative probability (pixels of the rendered slice)', () => {
    // at stage 1, P(a passed) = 3/10, P(b passed) = 7/10; at stage 2 both 1; at stage 0 both 0
    const tint = (p: number) => [0xd6, 0x27, 0x28].map((c) => Math.round(255 - p * (255 - c)));
    for (const [stage, pa, pb] of [
      [0, 0, 0],
      [1, 0.3, 0.7],
      [2, 1, 1],
    ] as const) {
      const [w, h, rgb] = pngOf(svg, 'axial', stage);
      // box = the whole volume (label 1 border is tissue); voxel (x, y) -> columns x*f.., rows (n-1-y)*f..
      expect(w % n).toBe(0);
      const f = w / n;
      expect(h).toBe(n * f);
      const pixel = (x: number, y: number) => {
        const px = x * f + Math.floor(f / 2);
        const py = (n - 1 - y) * f + Math.floor(f / 2);
        return [...rgb.subarray((py * w + px) * 3, (py * w + px) * 3 + 3)];
      };
      expect(pixel(3, 6)).toEqual(tint(pa));
      expect(pixel(8, 6)).toEqual(tint(pb));
      expect(pixel(0, 6)).toEqual([0xd4, 0xd4, 0xd4]); // tissue in no feature
      // the boundary between the regions is drawn as an outline at the voxels' edge pixels
      const px = 6 * f;
      const py = (n - 1 - 6) * f + Math.floor(f / 2);
      expect([...rgb.subarray((py * w + px) * 3, (py * w + px) * 3 + 3)]).toEqual([0x3a, 0x3a, 0x3a]);
      expect(OUTLINE).toBe('#3a3a3a');
    }
    expect(svg).toContain('stage 1');
    expect(svg).toContain('z = 1');
  });

  it('gives brain-view rows equal to a direct count over the samples', () => {
    expect(view.columns).toEqual(['subtypes', 'subtype', 'stage', 'feature', 'threshold', 'probability']);
    expect(view.rows).toHaveLength(1 * 3 * 2);
    const direct = (e: number, stage: number) => samples.sequences.filter((s) => s[0]!.indexOf(e) < stage).length / samples.sequences.length;
    for (const [K, j, stage, feature, threshold, p] of view.rows) {
      expect([K, j, threshold]).toEqual([1, 0, 1]);
      expect(p).toBe(direct(feature === 'a' ? 0 : 1, stage as number));
    }
  });

  it('draws a model whose events have no z (the mixture kind) with threshold 1 and an "abnormal" legend', () => {
    const v = buildBrainView({
      biomarkers: ['a', 'b'],
      events: ['a', 'b'],
      sequences: [['b', 'a']],
      samples,
      features: [
        { name: 'a', measure: 'volume', labels: [10] },
        { name: 'b', measure: 'volume', labels: [20] },
      ],
      maps: { dims: [n, n, n], affine: identity, labels: new Map([['labels', labels]]) },
      stages: [1],
      titles: ['Subtype 1'],
      thresholdColours: ['#d62728'],
    });
    expect(v.legend).toEqual([{ label: 'abnormal', colour: '#d62728' }]);
    expect(v.unpainted).toEqual([]);
    expect(v.rows.filter((r) => r[2] === 1)).toEqual([
      [1, 0, 1, 'a', 1, 0.3],
      [1, 0, 1, 'b', 1, 0.7],
    ]);
  });

  it('reorients by the affine: a FreeSurfer-conformed (LIA) copy of the map draws the same pictures', () => {
    // an asymmetric map: label 10 in the left-anterior-superior octant, 20 elsewhere, border tissue
    const ras = new Int32Array(n * n * n);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) ras[x + n * (y + n * z)] = x === 0 || y === 0 || z === 0 ? 1 : x < 5 && y > 6 && z > 7 ? 10 : 20;
    // LIA: voxel axis 0 -> left, 1 -> inferior, 2 -> anterior
    const lia = new Int32Array(n * n * n);
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) lia[i + n * (j + n * k)] = ras[n - 1 - i + n * (k + n * (n - 1 - j))]!;
    const liaAffine = [-1, 0, 0, n - 1, 0, 0, 1, 0, 0, -1, 0, n - 1, 0, 0, 0, 1];
    const draw = (data: Int32Array, affine: number[]) =>
      buildBrainView({
        biomarkers: ['a', 'b'],
        events,
        sequences: [
          [
            ['b', 1],
            ['a', 1],
          ],
        ],
        samples,
        features: [
          { name: 'a', measure: 'volume', labels: [10] },
          { name: 'b', measure: 'volume', labels: [20] },
        ],
        maps: { dims: [n, n, n], affine, labels: new Map([['labels', data]]) },
        stages: [1],
        titles: ['Subtype 1'],
        thresholdColours: ['#d62728'],
      });
    const a = draw(ras, identity);
    const b = draw(lia, liaAffine);
    expect(b.slices).toEqual(a.slices);
    expect(b.figures['brain-view-subtype-1.svg']).toBe(a.figures['brain-view-subtype-1.svg']);
    // and the left-anterior-superior region is drawn top-left in the axial slice
    const [w, , rgb] = pngOf(a.figures['brain-view-subtype-1.svg']!, 'axial', 1);
    const f = w / n;
    const at = (x: number, y: number) => [...rgb.subarray((((n - 1 - y) * f + 1) * w + x * f + 1) * 3, (((n - 1 - y) * f + 1) * w + x * f + 1) * 3 + 3)];
    expect(at(2, 9)).toEqual([0xd6, 0x27, 0x28].map((c) => Math.round(255 - 0.3 * (255 - c))));
    expect(at(9, 9)).toEqual([0xd6, 0x27, 0x28].map((c) => Math.round(255 - 0.7 * (255 - c))));
  });

  it('leaves biomarkers without a region unpainted (named), and refuses when none has one', () => {
    const args = {
      biomarkers: ['a', 'age'],
      events: ['a', 'age'],
      sequences: [['age', 'a']],
      samples,
      features: [{ name: 'a', measure: 'volume', labels: [10] }],
      maps: { dims: [n, n, n], affine: identity, labels: new Map([['labels', labels]]) },
      stages: [1],
      titles: ['Subtype 1'],
      thresholdColours: ['#d62728'],
    };
    const v = buildBrainView(args);
    expect(v.unpainted).toEqual(['age']);
    expect(v.rows.filter((r) => r[3] === 'age')).toHaveLength(3); // stages 0, 1, 2
    expect(() => buildBrainView({ ...args, features: [{ name: 'icv', measure: 'icv', labels: 'nonzero' }] })).toThrow(/none of the model's biomarkers \(a, age\) has a region/);
  });

  it('spreads about five default stages like the paper (1, 4, 10, 16, 34 of 39)', () => {
    expect(defaultStages(39)).toEqual([1, 4, 10, 16, 34]);
    expect(defaultStages(21)).toEqual([1, 2, 5, 9, 18]);
    expect(defaultStages(3)).toEqual([1, 2, 3]);
    expect(defaultStages(6)).toEqual([1, 2, 3, 4, 5]);
  });

  it('report --brain writes the section, the SVGs and brain-view.csv matching the model\u2019s samples', async () => {
    const inputs = makeInputs(SMALL);
    const files = writeFixtureFiles(inputs);
    dirs.push(files.dir);
    // features with labels: thalamus 10, lesion_load 77, cortex 3, cerebellum 8
    const labelOf: Record<string, number> = { thalamus: 10, lesion_load: 77, cortex: 3, cerebellum: 8 };
    writeFileSync(files.features, JSON.stringify({ features: SMALL.biomarkers.map((b) => ({ name: b, measure: b === 'lesion_load' ? 'lesion' : 'volume', labels: [labelOf[b]] })) }));
    const m = 10;
    const map = new Int16Array(m * m * m).map((_, i) => [10, 77, 3, 8, 2][Math.floor((i % m) / 2)]!);
    const mapFile = join(files.dir, 'ref.nii.gz');
    writeFileSync(mapFile, encodeNifti1(map, { dims: [m, m, m], dtype: 'int16', voxelSize: [2, 2, 2] }, true));
    const out = join(files.dir, 'report');
    await writeReport({ model: files.model, subjects: files.subjects, features: files.features, brain: mapFile, out });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<section id="[^"]*brain[^"]*"/);
    expect(existsSync(join(out, 'figures', 'brain-view-subtype-1.svg'))).toBe(true);
    expect(existsSync(join(out, 'figures', 'brain-view-subtype-2.svg'))).toBe(true);
    const csv = readFileSync(join(out, 'brain-view.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('subtypes,subtype,stage,feature,threshold,probability');
    const model = JSON.parse(readFileSync(files.model, 'utf8')) as { events: NamedEvent[]; fits: { samples: PosteriorSamples }[] };
    const smp = model.fits[1]!.samples.sequences;
    const N = model.events.length;
    expect(csv).toHaveLength(1 + 2 * (N + 1) * N);
    for (const line of csv.slice(1)) {
      const [K, j, stage, feature, z, p] = line.split(',');
      expect(K).toBe('2');
      const e = model.events.findIndex(([b, zz]) => b === feature && String(zz) === z);
      const count = smp.filter((s) => s[Number(j)]!.indexOf(e) < Number(stage)).length;
      expect(Number(p)).toBeCloseTo(count / smp.length, 12);
    }
    const side = JSON.parse(readFileSync(join(out, 'brain-view.csv.json'), 'utf8'));
    expect(side.stagesDrawn).toEqual(defaultStages(N));
    // a report without --brain removes the stale table and figures
    await writeReport({ model: files.model, subjects: files.subjects, features: files.features, out });
    expect(existsSync(join(out, 'brain-view.csv'))).toBe(false);
    expect(existsSync(join(out, 'figures', 'brain-view-subtype-1.svg'))).toBe(false);
  });

  it('refuses --brain without usable feature definitions, or a map off the grid, in one line', () => {
    const inputs = makeInputs(SMALL);
    const files = writeFixtureFiles(inputs);
    dirs.push(files.dir);
    const mapFile = join(files.dir, 'ref.nii.gz');
    writeFileSync(mapFile, encodeNifti1(new Int16Array(64).fill(3), { dims: [4, 4, 4], dtype: 'int16' }, true));
    const other = join(files.dir, 'other.nii.gz');
    writeFileSync(other, encodeNifti1(new Int16Array(125).fill(3), { dims: [5, 5, 5], dtype: 'int16' }, true));
    const base = ['report', '--model', files.model, '--subjects', files.subjects, '--out', join(files.dir, 'r'), '--brain', mapFile];
    const a = runCli(base);
    expect(a.code).not.toBe(0);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(a.stderr).toMatch(/brain view needs the feature definitions: give extract.s sidecar with --features-sidecar/);
    const c = runCli([...base, '--features-sidecar', files.features, '--brain-map', 'wmparc']);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/expected NAME=FILE/);
    expect(c.stderr.trim().split('\n')).toHaveLength(1);
    const b = runCli([...base, '--features-sidecar', files.features, '--brain-map', `wmparc=${other}`]);
    expect(b.stderr).toMatch(/other\.nii\.gz.*not on the grid of the brain view's label map ref\.nii\.gz/);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
  });
});
