import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { sharedDir } from '../helpers/cli.js';
import { countLabels, gridMismatch, readHeader, readImage, readLabelMap, readScalarMap, encodeMgh, type AnyWritableDtype } from '../../src/nifti/index.js';
import { gz, labelVolume, nifti1, OFF, tempDir, writeFile } from './fixtures.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DIMS: [number, number, number] = [5, 4, 3];
const counts = (c: Record<number, number>) =>
  Object.entries(c)
    .map(([label, voxels]) => ({ label: Number(label), voxels }))
    .sort((a, b) => a.label - b.label);

describe('every supported data type, both byte orders, .nii and .nii.gz', () => {
  const cases: [AnyWritableDtype, Record<number, number>][] = [
    ['uint8', { 0: 30, 7: 20, 255: 10 }],
    ['int8', { [-128]: 5, 0: 40, 127: 15 }],
    ['int16', { [-300]: 6, 0: 44, 3000: 10 }],
    ['uint16', { 0: 50, 65535: 10 }],
    ['int32', { [-70000]: 1, 0: 49, 2147483647: 10 }],
    ['uint32', { 0: 50, 4000000: 10 }],
    ['float32', { 0: 30, 2: 20, 41: 10 }],
    ['float64', { 0: 30, 2: 20, 1000000: 10 }],
  ];
  for (const [dtype, c] of cases) {
    for (const littleEndian of [true, false]) {
      for (const compress of [false, true]) {
        it(`${dtype} ${littleEndian ? 'LE' : 'BE'}${compress ? ' gz' : ''}`, () => {
          const values = labelVolume(c, DIMS);
          const raw = nifti1(values, { dims: DIMS, dtype, voxelSize: [1, 2, 3], littleEndian });
          const f = writeFile(dir, `t_${dtype}_${littleEndian}_${compress}.nii${compress ? '.gz' : ''}`, compress ? gz(raw) : raw);
          const img = readImage(f);
          expect(img.header.dtype).toBe(dtype);
          expect(img.header.littleEndian).toBe(littleEndian);
          expect(Array.from(img.data)).toEqual(values);
          const map = readLabelMap(f);
          expect(countLabels(map.labels)).toEqual(counts(c));
          expect(map.voxelVolume).toBe(6);
        });
      }
    }
  }
});

describe('affine choice and units', () => {
  const values = new Array(60).fill(1);
  it('qform from the quaternion when sform_code = 0 (90 degrees about z, qfac -1)', () => {
    const b = nifti1(values, { dims: DIMS, dtype: 'uint8', voxelSize: [2, 3, 4] }, (dv) => {
      dv.setInt16(OFF.sformCode, 0, true);
      dv.setInt16(OFF.qformCode, 1, true);
      dv.setFloat32(OFF.pixdim, -1, true); // qfac
      dv.setFloat32(OFF.quatern + 8, Math.SQRT1_2, true); // d = sin(45 deg)
      [10, 20, 30].forEach((v, i) => dv.setFloat32(OFF.qoffset + 4 * i, v, true));
    });
    const h = readHeader(writeFile(dir, 'q.nii', b));
    expect(h.affineSource).toBe('qform');
    const A = h.affine;
    // R = rotation by +90 deg about z: x' = -y, y' = x; columns scaled by 2, 3, -4
    const want = [0, -3, 0, 10, 2, 0, 0, 20, 0, 0, -4, 30, 0, 0, 0, 1];
    A.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(h.voxelVolume).toBeCloseTo(24, 6);
  });
  it('pixdim diagonal when both codes are 0', () => {
    const b = nifti1(values, { dims: DIMS, dtype: 'uint8', voxelSize: [2, 3, 4] }, (dv) => {
      dv.setInt16(OFF.sformCode, 0, true);
    });
    const h = readHeader(writeFile(dir, 'p.nii', b));
    expect(h.affineSource).toBe('pixdim');
    expect(h.voxelVolume).toBe(24);
  });
  it('a non-unit quaternion is refused naming the fields', () => {
    const b = nifti1(values, { dims: DIMS, dtype: 'uint8' }, (dv) => {
      dv.setInt16(OFF.sformCode, 0, true);
      dv.setInt16(OFF.qformCode, 1, true);
      dv.setFloat32(OFF.quatern, 0.9, true);
      dv.setFloat32(OFF.quatern + 4, 0.9, true);
    });
    expect(() => readHeader(writeFile(dir, 'badq.nii', b))).toThrow(/quatern_b.*not a unit quaternion/);
  });
  it('metre and micron units are scaled to mm; unknown is mm', () => {
    const metre = nifti1(values, { dims: DIMS, dtype: 'uint8', voxelSize: [0.002, 0.002, 0.002] }, (dv) => dv.setUint8(OFF.xyztUnits, 1 | 8));
    expect(readLabelMap(writeFile(dir, 'm.nii', metre)).voxelVolume).toBeCloseTo(8, 4); // 0.002 as float32
    const micron = nifti1(values, { dims: DIMS, dtype: 'uint8', voxelSize: [1000, 1000, 500] }, (dv) => dv.setUint8(OFF.xyztUnits, 3));
    const mm = readLabelMap(writeFile(dir, 'u.nii', micron));
    expect(mm.voxelVolume).toBeCloseTo(0.5, 9);
    expect(mm.affine[0]).toBeCloseTo(1, 9);
    const unknown = nifti1(values, { dims: DIMS, dtype: 'uint8', voxelSize: [2, 2, 2] }, (dv) => dv.setUint8(OFF.xyztUnits, 0));
    expect(readLabelMap(writeFile(dir, 'x.nii', unknown)).voxelVolume).toBe(8);
  });
  it('a singular sform is refused (voxel volume undefined)', () => {
    const b = nifti1(values, { dims: DIMS, dtype: 'uint8', affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] });
    expect(() => readLabelMap(writeFile(dir, 'sing.nii', b))).toThrow(/srow_x.*singular/);
  });
});

describe('scaling and float labels', () => {
  const base = labelVolume({ 0: 40, 3: 20 }, DIMS);
  it('scl_slope/scl_inter apply to labels and images', () => {
    const b = nifti1(base, { dims: DIMS, dtype: 'int16', sclSlope: 2, sclInter: 1 });
    const f = writeFile(dir, 's.nii', b);
    expect(countLabels(readLabelMap(f).labels)).toEqual([
      { label: 1, voxels: 40 },
      { label: 7, voxels: 20 },
    ]);
    const img = readImage(f);
    expect(img.scaled).toBe(true);
    expect(img.data).toBeInstanceOf(Float64Array);
    expect(readScalarMap(f).data[base.indexOf(3)]).toBe(7);
  });
  for (const slope of [0, NaN]) {
    it(`scl_slope = ${slope} means no scaling (scl_inter ignored)`, () => {
      const b = nifti1(base, { dims: DIMS, dtype: 'int16', sclSlope: slope, sclInter: 100 });
      const img = readImage(writeFile(dir, `s${slope}.nii`, b));
      expect(img.scaled).toBe(false);
      expect(countLabels(readLabelMap(img.file).labels)).toEqual([
        { label: 0, voxels: 40 },
        { label: 3, voxels: 20 },
      ]);
    });
  }
  it('float labels within 1e-3 of an integer are rounded', () => {
    const vals = base.map((v, i) => v + (i % 2 ? 0.0009 : -0.0009));
    const f = writeFile(dir, 'near.nii', nifti1(vals, { dims: DIMS, dtype: 'float64' }));
    expect(countLabels(readLabelMap(f).labels)).toEqual([
      { label: 0, voxels: 40 },
      { label: 3, voxels: 20 },
    ]);
  });
  it('float labels further than 1e-3 from an integer are refused naming the file', () => {
    const vals = base.slice();
    vals[17] = 2.5;
    const f = writeFile(dir, 'half.nii', nifti1(vals, { dims: DIMS, dtype: 'float32' }));
    expect(() => readLabelMap(f)).toThrow(/half\.nii: not a label map: voxel 17 has value 2\.5/);
    expect(readScalarMap(f).data[17]).toBe(2.5); // still fine as a scalar map
  });
  it('NaN in a float label map is refused', () => {
    const vals = base.slice();
    vals[3] = NaN;
    const f = writeFile(dir, 'nan.nii', nifti1(vals, { dims: DIMS, dtype: 'float32' }));
    expect(() => readLabelMap(f)).toThrow(/voxel 3 has value NaN/);
  });
  it('uint32 labels above 2^31 - 1 are refused', () => {
    const vals = base.slice();
    vals[0] = 3000000000;
    const f = writeFile(dir, 'big.nii', nifti1(vals, { dims: DIMS, dtype: 'uint32' }));
    expect(() => readLabelMap(f)).toThrow(/above the largest supported label/);
  });
});

describe('.hdr/.img pairs', () => {
  const values = labelVolume({ 0: 35, 4: 25 }, DIMS);
  function pair(name: string, gzHdr: boolean, gzImg: boolean): string {
    const full = nifti1(values, { dims: DIMS, dtype: 'int16', voxelSize: [2, 2, 2] }, (dv) => {
      dv.setFloat32(OFF.voxOffset, 0, true);
      dv.setUint8(OFF.magic + 1, 'i'.charCodeAt(0));
    });
    const hdr = full.slice(0, 348);
    const img = full.slice(352);
    writeFile(dir, `${name}.img${gzImg ? '.gz' : ''}`, gzImg ? gz(img) : img);
    return writeFile(dir, `${name}.hdr${gzHdr ? '.gz' : ''}`, gzHdr ? gz(hdr) : hdr);
  }
  for (const [gh, gi] of [
    [false, false],
    [true, true],
    [false, true],
  ] as const) {
    it(`hdr${gh ? '.gz' : ''} + img${gi ? '.gz' : ''}`, () => {
      const hdr = pair(`pair_${gh}_${gi}`, gh, gi);
      const map = readLabelMap(hdr);
      expect(countLabels(map.labels)).toEqual([
        { label: 0, voxels: 35 },
        { label: 4, voxels: 25 },
      ]);
      expect(map.voxelVolume).toBe(8);
    });
  }
  it('the .img path finds its .hdr', () => {
    pair('byimg', false, false);
    expect(readLabelMap(join(dir, 'byimg.img')).labels.length).toBe(60);
  });
});

describe('FreeSurfer .mgh / .mgz', () => {
  const aseg = { 0: 30, 2: 10, 17: 5, 41: 10, 53: 5 };
  const dims: [number, number, number] = [4, 3, 5];
  for (const dtype of ['uint8', 'int32', 'int16', 'float32'] as const) {
    for (const compress of [false, true]) {
      it(`${dtype} ${compress ? '.mgz' : '.mgh'}`, () => {
        const values = labelVolume(aseg, dims);
        const f = writeFile(dir, `aseg_${dtype}.${compress ? 'mgz' : 'mgh'}`, encodeMgh(values, { dims, dtype, voxelSize: [1, 1, 1.2] }, compress));
        const map = readLabelMap(f);
        expect(countLabels(map.labels)).toEqual(counts(aseg));
        expect(map.voxelVolume).toBeCloseTo(1.2, 6);
        expect(map.dims).toEqual(dims);
      });
    }
  }
  it('affine from direction cosines, spacing and c_ras (centre voxel at c_ras)', () => {
    const values = labelVolume(aseg, dims);
    const f = writeFile(dir, 'ras.mgz', encodeMgh(values, { dims, dtype: 'uint8', voxelSize: [2, 3, 4], cras: [10, -20, 5] }, true));
    const h = readHeader(f);
    expect(h.format).toBe('mgh');
    const A = h.affine;
    // default LIA: column x -> -R (row 0), column y -> -S (row 2), column z -> +A (row 1)
    expect([A[0], A[9], A[6]]).toEqual([-2, -3, 4]);
    const centre = [2, 1.5, 2.5];
    for (let r = 0; r < 3; r++) {
      const world = A[4 * r]! * centre[0]! + A[4 * r + 1]! * centre[1]! + A[4 * r + 2]! * centre[2]! + A[4 * r + 3]!;
      expect(world).toBeCloseTo([10, -20, 5][r]!, 5);
    }
    expect(h.voxelVolume).toBeCloseTo(24, 6);
  });
  it('more than one frame is refused', () => {
    const b = encodeMgh(new Array(60).fill(0), { dims, dtype: 'uint8' }, false);
    const withFrames = new Uint8Array(b.length + 60);
    withFrames.set(b);
    new DataView(withFrames.buffer).setInt32(16, 2, false);
    expect(() => readLabelMap(writeFile(dir, 'frames.mgh', withFrames))).toThrow(/nframes = 2: a 4D image with 2 volumes/);
  });
  it('an unknown MGH type is refused naming the field', () => {
    const b = encodeMgh(new Array(60).fill(0), { dims, dtype: 'uint8' }, false);
    new DataView(b.buffer).setInt32(20, 9, false);
    expect(() => readLabelMap(writeFile(dir, 'type9.mgh', b))).toThrow(/type = 9: not supported/);
  });
});

describe('shapes and content detection', () => {
  it('dim[0] = 2 reads as a single slice', () => {
    const b = nifti1(new Array(20).fill(1), { dims: [5, 4, 1], dtype: 'uint8' }, (dv) => dv.setInt16(OFF.dim, 2, true));
    const m = readLabelMap(writeFile(dir, 'twod.nii', b));
    expect(m.dims).toEqual([5, 4, 1]);
  });
  it('gzip is detected by magic bytes, not by the name', () => {
    const values = labelVolume({ 0: 50, 1: 10 }, DIMS);
    const raw = nifti1(values, { dims: DIMS, dtype: 'uint8' });
    expect(readLabelMap(writeFile(dir, 'plain.nii.gz', raw)).labels.length).toBe(60);
    expect(readLabelMap(writeFile(dir, 'packed.nii', gz(raw))).labels.length).toBe(60);
  });
});

describe('NIfTI-2 big-endian', () => {
  // numeric fields of the 540-byte NIfTI-2 header (nifti2.h): [offset, size, count]
  const FIELDS: [number, number, number][] = [
    [0, 4, 1],
    [12, 2, 2],
    [16, 8, 8],
    [80, 8, 3],
    [104, 8, 8],
    [168, 8, 1],
    [176, 8, 6],
    [224, 8, 2],
    [344, 4, 2],
    [352, 8, 6],
    [400, 8, 12],
    [496, 4, 3],
  ];
  it('the derived NIfTI-2 file with its header byte-swapped reads the same', () => {
    const le = gunzipSync(readFileSync(join(sharedDir, 'nifti', 'data', 'derived', 'JHU2mm_nifti2.nii.gz')));
    const be = new Uint8Array(le);
    for (const [off, size, count] of FIELDS) {
      for (let k = 0; k < count; k++) be.subarray(off + k * size, off + (k + 1) * size).reverse();
    }
    const a = readLabelMap(writeFile(dir, 'n2le.nii', le));
    const b = readLabelMap(writeFile(dir, 'n2be.nii', be));
    expect(readHeader(b.file).littleEndian).toBe(false);
    expect(readHeader(b.file).version).toBe(2);
    expect(b.affine).toEqual(a.affine);
    expect(b.voxelVolume).toBe(8);
    expect(countLabels(b.labels)).toEqual(countLabels(a.labels));
  });
});

describe('vox_offset', () => {
  for (const dtype of ['int16', 'float64'] as const) {
    for (const littleEndian of [true, false]) {
      it(`an unaligned vox_offset (353) with ${dtype} ${littleEndian ? 'LE' : 'BE'} data is read from there`, () => {
        const values = labelVolume({ 0: 50, 9: 10 }, DIMS);
        const b = nifti1(values, { dims: DIMS, dtype, littleEndian });
        const shifted = new Uint8Array(b.length + 1);
        shifted.set(b.subarray(0, 352));
        shifted[352] = 0xee; // one stray byte before the data
        shifted.set(b.subarray(352), 353);
        new DataView(shifted.buffer).setFloat32(OFF.voxOffset, 353, littleEndian);
        const img = readImage(writeFile(dir, `off353_${dtype}_${littleEndian}.nii`, shifted));
        expect(Array.from(img.data)).toEqual(values);
      });
    }
  }
});

describe('vox_offset 0 in a single file', () => {
  it('is read as "right after the header" (352), as nibabel does', () => {
    const values = labelVolume({ 0: 45, 2: 15 }, DIMS);
    const b = nifti1(values, { dims: DIMS, dtype: 'uint8' }, (dv) => dv.setFloat32(OFF.voxOffset, 0, true));
    const f = writeFile(dir, 'off0.nii', b);
    expect(readHeader(f).voxOffset).toBe(352);
    expect(countLabels(readLabelMap(f).labels)).toEqual([
      { label: 0, voxels: 45 },
      { label: 2, voxels: 15 },
    ]);
  });
});

describe('countLabels', () => {
  it('counts sparse, large and negative labels', () => {
    const labels = Int32Array.from([5000000, 0, -3, 5000000, 0, 0, 2147483647, -2147483647]);
    expect(countLabels(labels)).toEqual([
      { label: -2147483647, voxels: 1 },
      { label: -3, voxels: 1 },
      { label: 0, voxels: 3 },
      { label: 5000000, voxels: 2 },
      { label: 2147483647, voxels: 1 },
    ]);
    expect(countLabels(new Int32Array(0))).toEqual([]);
  });
});

describe('gridMismatch', () => {
  const A = [1, 0, 0, -90, 0, 1, 0, -126, 0, 0, 1, -72, 0, 0, 0, 1];
  it('same grid within 1e-4 is null; other dims or affines give a reason', () => {
    expect(gridMismatch({ dims: [2, 3, 4], affine: A }, { dims: [2, 3, 4], affine: A.map((v, i) => (i === 3 ? v + 5e-5 : v)) })).toBeNull();
    expect(gridMismatch({ dims: [2, 3, 4], affine: A }, { dims: [2, 3, 5], affine: A })).toMatch(/dimensions differ: 2x3x4 vs 2x3x5/);
    expect(gridMismatch({ dims: [2, 3, 4], affine: A }, { dims: [2, 3, 4], affine: A.map((v, i) => (i === 5 ? 1.001 : v)) })).toMatch(/\[1\]\[1\]/);
    expect(gridMismatch({ dims: [2, 3, 4], affine: A }, { dims: [2, 3, 4], affine: A.map((v, i) => (i === 5 ? 1.001 : v)) }, 0.01)).toBeNull();
  });
});
