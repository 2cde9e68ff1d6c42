import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { projectRoot, sharedDir } from '../helpers/cli.js';
import { messageOf } from '../helpers/errors.js';
import { readHeader, readLabelMap } from '../../src/nifti/index.js';
import { gz, labelVolume, nifti1, OFF, tempDir, writeFile } from './fixtures.js';

/** Reading is bounded by what the header declares; only regular files are opened. */

const AAL = join(sharedDir, 'nifti', 'data', 'mricron-data', 'aal.nii.gz');
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trailing data after the declared voxels', () => {
  it('a .nii.gz whose gzip stream goes on with 512 MiB of zeros reads like the map alone, in bounded memory', () => {
    // gzip members may be concatenated: the valid map, then 8 members of 64 MiB of zeros each
    const zeros = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 1 });
    const bomb = writeFile(dir, 'bomb.nii.gz', Buffer.concat([readFileSync(AAL), ...Array<Buffer>(8).fill(zeros)]));
    const script = `
      import { readLabelMap } from ${JSON.stringify(join(projectRoot, 'src', 'nifti', 'index.ts'))};
      const a = readLabelMap(${JSON.stringify(bomb)});
      const b = readLabelMap(${JSON.stringify(AAL)});
      let diff = 0;
      for (let i = 0; i < b.labels.length; i++) if (a.labels[i] !== b.labels[i]) diff++;
      console.log(JSON.stringify({ n: a.labels.length, diff, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { n: number; diff: number; maxRssMiB: number };
    expect(got.n).toBe(181 * 217 * 181);
    expect(got.diff).toBe(0);
    // inflating everything would take > 512 MiB; the bounded read takes the map (7 MB) plus a 16 MiB budget
    expect(got.maxRssMiB).toBeLessThan(400);
  });

  it('a few bytes after the data (plain and gzip) are ignored, as nibabel ignores them', () => {
    const values = labelVolume({ 0: 40, 1: 20 }, [5, 4, 3]);
    const bytes = nifti1(values, { dims: [5, 4, 3], dtype: 'uint8' });
    const tail = Buffer.concat([bytes, Buffer.from('trailing junk'.repeat(100))]);
    for (const f of [writeFile(dir, 'tail.nii', tail), writeFile(dir, 'tail.nii.gz', gz(tail))]) {
      expect(Array.from(readLabelMap(f).labels)).toEqual(values);
    }
  });
});

describe('declared sizes', () => {
  it('a header declaring more than 2 GiB of voxels is refused before anything is allocated', () => {
    const values = labelVolume({ 0: 40, 1: 20 }, [5, 4, 3]);
    // 1500 x 1000 x 500 int32: 3 GB (a 1 mm whole-brain map is about 16 MB)
    const bytes = nifti1(values, { dims: [5, 4, 3], dtype: 'int32' }, (dv) => {
      dv.setInt16(OFF.dim + 2, 1500, true);
      dv.setInt16(OFF.dim + 4, 1000, true);
      dv.setInt16(OFF.dim + 6, 500, true);
    });
    const f = writeFile(dir, 'huge.nii.gz', gz(bytes));
    expect(messageOf(() => readLabelMap(f))).toMatch(new RegExp(`^${f}: the header declares 1500x1000x500 int32 voxels .*more than the 2 GiB`));
  });
  it('a 4D header is refused before its voxels are read', () => {
    const values = labelVolume({ 0: 40, 1: 20 }, [5, 4, 3]);
    const bytes = nifti1(values, { dims: [5, 4, 3], dtype: 'uint8' }, (dv) => {
      dv.setInt16(OFF.dim, 4, true);
      dv.setInt16(OFF.dim + 8, 1000, true);
    });
    const f = writeFile(dir, 'fourd.nii', bytes);
    expect(messageOf(() => readLabelMap(f))).toMatch(/dim\[4\] = 1000: a 4D image with 1000 volumes/);
  });
});

describe('files that are not regular files', () => {
  it('/dev/zero and /dev/urandom are refused (they would never end)', () => {
    expect(messageOf(() => readLabelMap('/dev/zero'))).toBe('/dev/zero: a device, not a regular file: refusing to read it');
    expect(messageOf(() => readHeader('/dev/urandom'))).toMatch(/^\/dev\/urandom: a device/);
  });
  it('a FIFO is refused without blocking', () => {
    const f = join(dir, 'pipe.nii');
    expect(spawnSync('mkfifo', [f]).status).toBe(0);
    expect(messageOf(() => readLabelMap(f))).toBe(`${f}: a FIFO (named pipe), not a regular file: refusing to read it`);
  });
  it('a folder, a symbolic link loop and a missing file are told apart', () => {
    const d = join(dir, 'folder.nii');
    mkdirSync(d);
    expect(messageOf(() => readLabelMap(d))).toMatch(/a folder, not a regular file/);
    const a = join(dir, 'loop-a.nii'),
      b = join(dir, 'loop-b.nii');
    symlinkSync(b, a);
    symlinkSync(a, b);
    expect(messageOf(() => readLabelMap(a))).toBe(`${a}: symbolic link loop (the path resolves to itself)`);
    expect(messageOf(() => readLabelMap(join(dir, 'nope.nii')))).toMatch(/file not found/);
  });
});
