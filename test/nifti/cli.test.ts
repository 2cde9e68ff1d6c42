import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, sharedDir } from '../helpers/cli.js';
import { encodeMgh } from '../../src/nifti/index.js';
import { labelVolume, tempDir, writeFile } from './fixtures.js';

const NIFTI = join(sharedDir, 'nifti');
const DATA = join(NIFTI, 'data');
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A refusal: non-zero exit, nothing on stdout, one line on stderr naming the file, no stack trace. */
function expectRefusal(r: ReturnType<typeof runCli>, file: string, reason: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(reason);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('ms-subtype volumes', () => {
  it('prints the reference CSV for aal.nii.gz, names from the aal.nii.txt sidecar', () => {
    const r = runCli(['volumes', join(DATA, 'mricron-data', 'aal.nii.gz')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(NIFTI, 'expected', 'mricron-data__aal.csv'), 'utf8'));
  });
  it('embedded names (HarvardOxford) and --out writes the file instead of stdout', () => {
    const out = join(dir, 'ho.csv');
    const r = runCli(['volumes', join(DATA, 'mricron-data', 'HarvardOxford-cort-maxprob-thr0-1mm.nii.gz'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`49 labels; wrote ${out}\n`);
    expect(runCli(['volumes', join(DATA, 'mricron-data', 'HarvardOxford-cort-maxprob-thr0-1mm.nii.gz'), '--out', out, '-q']).stdout).toBe(`${out}\n`);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(NIFTI, 'expected', 'mricron-data__HarvardOxford-cort-maxprob-thr0-1mm.csv'), 'utf8'));
  });
  it('an aseg.mgz with --names FreeSurferColorLUT', () => {
    const dims: [number, number, number] = [4, 3, 5];
    const mgz = writeFile(dir, 'aseg.mgz', encodeMgh(labelVolume({ 0: 40, 17: 8, 53: 12 }, dims), { dims, dtype: 'int32', voxelSize: [1, 1, 2] }, true));
    const lut = writeFile(dir, 'FreeSurferColorLUT.txt', '# comment\n0   Unknown   0 0 0 0\n17  Left-Hippocampus  220 216 20 0\n53  Right-Hippocampus 220 216 20 0\n');
    const r = runCli(['volumes', mgz, '--names', lut]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('label,name,voxels,volume_mm3\n0,Unknown,40,80.0\n17,Left-Hippocampus,8,16.0\n53,Right-Hippocampus,12,24.0\n');
  });
  it('refuses the 4D functional.nii', () => {
    const f = join(DATA, 'nibabel', 'functional.nii');
    expectRefusal(runCli(['volumes', f]), f, /20 volumes/);
  });
  it('refuses nifti1.hdr naming the missing .img', () => {
    const f = join(DATA, 'nibabel', 'nifti1.hdr');
    expectRefusal(runCli(['volumes', f]), f, /missing image file .*nifti1\.img/);
  });
  // (CIFTI, non-integer floats and the other refusals are checked on the library in refuse.test.ts:
  // every one is a UserError, which the CLI prints the same way as these)
  it('refuses a truncated .nii.gz', () => {
    const b = readFileSync(join(DATA, 'nipype', 'segmentation0.nii.gz'));
    const f = writeFile(dir, 'cut.nii.gz', b.subarray(0, 5000));
    expectRefusal(runCli(['volumes', f]), f, /truncated gzip data/);
  });
  it('--help explains inputs, outputs and gives an example', () => {
    const r = runCli(['volumes', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/label,name,voxels,volume_mm3/);
    expect(r.stdout).toMatch(/--names/);
    expect(r.stdout).toMatch(/ms-subtype volumes .*\.nii\.gz/);
  });
});
