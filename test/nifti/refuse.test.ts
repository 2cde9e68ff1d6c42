import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sharedDir } from '../helpers/cli.js';
import { UserError } from '../../src/common/errors.js';
import { readHeader, readImage, readLabelMap } from '../../src/nifti/index.js';
import { gz, labelVolume, nifti1, OFF, tempDir, writeFile } from './fixtures.js';

const DATA = join(sharedDir, 'nifti', 'data');
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reader throws a UserError whose one-line message names `file` and matches `reason`. */
function refuses(fn: () => unknown, file: string, reason: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a refusal').toBeInstanceOf(UserError);
  const msg = (err as Error).message;
  expect(msg).toContain(file);
  expect(msg).toMatch(reason);
  expect(msg).not.toContain('\n');
}

describe('shared files that must be refused', () => {
  it('functional.nii: 4D with 20 volumes', () => {
    const f = join(DATA, 'nibabel', 'functional.nii');
    refuses(() => readLabelMap(f), f, /dim\[4\] = 20: a 4D image with 20 volumes/);
    refuses(() => readImage(f), f, /20 volumes/);
  });
  it('example_nifti2.nii.gz: NIfTI-2 4D with 2 volumes', () => {
    const f = join(DATA, 'nibabel', 'example_nifti2.nii.gz');
    refuses(() => readLabelMap(f), f, /2 volumes/);
  });
  it('row_major.dconn.nii: CIFTI (dim[0] = 6)', () => {
    const f = join(DATA, 'nibabel', 'row_major.dconn.nii');
    refuses(() => readLabelMap(f), f, /dim\[0\] = 6: .*CIFTI/);
  });
  it('nifti1.hdr: the missing .img is named', () => {
    const f = join(DATA, 'nibabel', 'nifti1.hdr');
    refuses(() => readLabelMap(f), f, /missing image file .*nifti1\.img/);
  });
  it('ascm_out_test.nii.gz: float64 with non-integer values is not a label map', () => {
    const f = join(DATA, 'dipy', 'ascm_out_test.nii.gz');
    refuses(() => readLabelMap(f), f, /not a label map: voxel \d+ has value -?[\d.e-]+, not within 0\.001 of an integer/);
  });
  it('a file that does not exist', () => {
    const f = join(DATA, 'nope.nii.gz');
    refuses(() => readLabelMap(f), f, /file not found/);
  });
});

describe('truncated and corrupt files', () => {
  const aal = join(DATA, 'mricron-data', 'aal.nii.gz');
  it('a .nii.gz cut in half', () => {
    const b = readFileSync(aal);
    const f = writeFile(dir, 'half.nii.gz', b.subarray(0, b.length >> 1));
    refuses(() => readLabelMap(f), f, /truncated gzip data/);
  });
  it('an uncompressed .nii missing its last voxels', () => {
    const raw = gunzipSync(readFileSync(aal));
    const f = writeFile(dir, 'short.nii', raw.subarray(0, raw.length - 1000));
    const need = 352 + 181 * 217 * 181;
    refuses(() => readLabelMap(f), f, new RegExp(`truncated: 181x217x181 uint8 voxels from vox_offset 352 need ${need} bytes, the file has ${need - 1000}`));
  });
  it('a file shorter than a header', () => {
    const raw = gunzipSync(readFileSync(aal));
    const f = writeFile(dir, 'stub.nii', raw.subarray(0, 200));
    refuses(() => readLabelMap(f), f, /truncated: 200 bytes, a NIfTI-1 header needs 348/);
  });
  it('a .nii.gz with damaged compressed bytes', () => {
    const b = Buffer.from(readFileSync(aal));
    for (let i = 5000; i < 5400; i++) b[i] = b[i]! ^ 0x5a;
    const f = writeFile(dir, 'damaged.nii.gz', b);
    refuses(() => readLabelMap(f), f, /corrupt gzip data|truncated gzip data/);
  });
  it('a gzip whose checksum fails', () => {
    const b = Buffer.from(readFileSync(aal));
    b[b.length - 6] = b[b.length - 6]! ^ 0xff; // CRC32 field
    const f = writeFile(dir, 'crc.nii.gz', b);
    refuses(() => readLabelMap(f), f, /corrupt gzip data/);
  });
  it('a text file is not a NIfTI file', () => {
    const f = writeFile(dir, 'notes.nii', 'hello, this is not an image'.repeat(20));
    refuses(() => readLabelMap(f), f, /sizeof_hdr = \d+: not a NIfTI file/);
  });
});

describe('corrupt header fields are named', () => {
  const values = labelVolume({ 0: 40, 1: 20 }, [5, 4, 3]);
  const cases: [string, (dv: DataView) => void, RegExp][] = [
    ['bad magic', (dv) => dv.setUint8(OFF.magic, 'x'.charCodeAt(0)), /magic = "x\+1": not a NIfTI-1 magic/],
    ['dim[0] = 0', (dv) => dv.setInt16(OFF.dim, 0, true), /dim\[0\] = 0: must be from 1 to 7/],
    ['dim[0] = 5', (dv) => dv.setInt16(OFF.dim, 5, true), /dim\[0\] = 5: more than 4 dimensions/],
    ['dim[2] = 0', (dv) => dv.setInt16(OFF.dim + 4, 0, true), /dim\[2\] = 0: every dimension must be at least 1/],
    ['dim[1] negative', (dv) => dv.setInt16(OFF.dim + 2, -5, true), /dim\[1\] = -5/],
    ['CIFTI intent code', (dv) => dv.setInt16(OFF.intentCode, 3006, true), /intent_code = 3006: a CIFTI file/],
    ['RGB datatype', (dv) => dv.setInt16(OFF.datatype, 128, true), /datatype = 128 \(RGB24\): not supported/],
    ['unknown datatype', (dv) => dv.setInt16(OFF.datatype, 99, true), /datatype = 99: not supported/],
    ['bitpix mismatch', (dv) => dv.setInt16(OFF.bitpix, 16, true), /bitpix = 16: datatype 2 \(uint8\) has 8 bits/],
    ['vox_offset inside the header', (dv) => dv.setFloat32(OFF.voxOffset, 100, true), /vox_offset = 100: inside the header/],
    ['fractional vox_offset', (dv) => dv.setFloat32(OFF.voxOffset, 352.5, true), /vox_offset = 352.5: must be a whole number/],
    ['infinite scl_slope', (dv) => dv.setFloat32(OFF.sclSlope, Infinity, true), /scl_slope = Infinity: must be finite/],
    ['vox_offset past the end', (dv) => dv.setFloat32(OFF.voxOffset, 4096, true), /truncated: 5x4x3 uint8 voxels from vox_offset 4096/],
  ];
  for (const [name, patch, re] of cases) {
    it(name, () => {
      const f = writeFile(dir, `${name.replace(/\W+/g, '_')}.nii`, nifti1(values, { dims: [5, 4, 3], dtype: 'uint8' }, patch));
      refuses(() => readLabelMap(f), f, re);
    });
  }
  it('a pair header inside a .nii is refused; a single-file header in a .hdr too', () => {
    const ni1 = nifti1(values, { dims: [5, 4, 3], dtype: 'uint8' }, (dv) => dv.setUint8(OFF.magic + 1, 'i'.charCodeAt(0)));
    const f = writeFile(dir, 'pairmagic.nii', ni1);
    refuses(() => readLabelMap(f), f, /magic = "ni1": the header of a \.hdr\/\.img pair/);
    const single = nifti1(values, { dims: [5, 4, 3], dtype: 'uint8' });
    const h = writeFile(dir, 'single.hdr', single.slice(0, 348));
    writeFile(dir, 'single.img', single.slice(352));
    refuses(() => readLabelMap(h), h, /magic = "n\+1": a single-file NIfTI header in a \.hdr/);
  });
  it('an .img whose .hdr is missing', () => {
    const f = writeFile(dir, 'orphan.img', new Uint8Array(60));
    refuses(() => readLabelMap(f), f, /missing header file .*orphan\.hdr/);
  });
  it('readHeader validates without the voxel data (and refuses the same fields)', () => {
    const f = writeFile(dir, 'hdr_only.nii.gz', gz(nifti1(values, { dims: [5, 4, 3], dtype: 'uint8' }, (dv) => dv.setInt16(OFF.datatype, 1024, true))));
    refuses(() => readHeader(f), f, /datatype = 1024 \(int64\)/);
    expect(readHeader(join(DATA, 'nibabel', 'nifti1.hdr')).dim).toEqual([3, 91, 109, 91, 1, 1, 1, 1]);
  });
});
