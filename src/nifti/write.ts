import { gzipSync } from 'node:zlib';

/**
 * A minimal NIfTI-1 writer (single file, .nii or .nii.gz) for the demo cohort generator and for
 * tests that need files with known content. The affine goes in both sform and qform-free form
 * (sform_code 2, qform_code 0), which every reader (nibabel included) honours.
 */
export type WritableDtype = 'uint8' | 'int16' | 'int32' | 'float32' | 'float64';
/** Every NIfTI type the reader supports (the extra three are for tests of the reader). */
export type AnyWritableDtype = WritableDtype | 'int8' | 'uint16' | 'uint32';

const DT: Record<AnyWritableDtype, { code: number; bytes: number }> = {
  uint8: { code: 2, bytes: 1 },
  int16: { code: 4, bytes: 2 },
  int32: { code: 8, bytes: 4 },
  float32: { code: 16, bytes: 4 },
  float64: { code: 64, bytes: 8 },
  int8: { code: 256, bytes: 1 },
  uint16: { code: 512, bytes: 2 },
  uint32: { code: 768, bytes: 4 },
};

export interface WriteNiftiOptions {
  dims: [number, number, number];
  /** 4x4 row-major voxel-to-mm affine; default: diagonal of `voxelSize`. */
  affine?: number[];
  voxelSize?: [number, number, number];
  dtype: AnyWritableDtype;
  /** scl_slope / scl_inter (default 1 / 0) */
  sclSlope?: number;
  sclInter?: number;
  description?: string;
  /** byte order of the file (default little-endian) */
  littleEndian?: boolean;
}

export function encodeNifti1(values: ArrayLike<number>, opts: WriteNiftiOptions, gzip: boolean): Uint8Array {
  const [nx, ny, nz] = opts.dims;
  const n = nx * ny * nz;
  if (values.length !== n) throw new Error(`expected ${n} voxels, got ${values.length}`);
  const { code, bytes } = DT[opts.dtype];
  const vs = opts.voxelSize ?? [1, 1, 1];
  const A = opts.affine ?? [vs[0], 0, 0, 0, 0, vs[1], 0, 0, 0, 0, vs[2], 0, 0, 0, 0, 1];
  const voxOffset = 352;
  const buf = new ArrayBuffer(voxOffset + n * bytes);
  const dv = new DataView(buf);
  const le = opts.littleEndian ?? true;
  dv.setInt32(0, 348, le); // sizeof_hdr
  const dim = [3, nx, ny, nz, 1, 1, 1, 1];
  dim.forEach((d, i) => dv.setInt16(40 + 2 * i, d, le));
  dv.setInt16(70, code, le); // datatype
  dv.setInt16(72, bytes * 8, le); // bitpix
  // pixdim: qfac 1, then column norms of the affine
  const colNorm = (c: number) => Math.hypot(A[c]!, A[4 + c]!, A[8 + c]!);
  const pix = [1, colNorm(0), colNorm(1), colNorm(2), 0, 0, 0, 0];
  pix.forEach((p, i) => dv.setFloat32(76 + 4 * i, p, le));
  dv.setFloat32(108, voxOffset, le); // vox_offset
  dv.setFloat32(112, opts.sclSlope ?? 1, le);
  dv.setFloat32(116, opts.sclInter ?? 0, le);
  dv.setUint8(123, 2); // xyzt_units: mm
  const desc = (opts.description ?? '').slice(0, 79);
  for (let i = 0; i < desc.length; i++) dv.setUint8(148 + i, desc.charCodeAt(i) & 0x7f);
  dv.setInt16(252, 0, le); // qform_code
  dv.setInt16(254, 2, le); // sform_code (aligned)
  for (let c = 0; c < 4; c++) {
    dv.setFloat32(280 + 4 * c, A[c]!, le);
    dv.setFloat32(296 + 4 * c, A[4 + c]!, le);
    dv.setFloat32(312 + 4 * c, A[8 + c]!, le);
  }
  const magic = 'n+1\0';
  for (let i = 0; i < 4; i++) dv.setUint8(344 + i, magic.charCodeAt(i));
  let off = voxOffset;
  for (let i = 0; i < n; i++, off += bytes) {
    const v = values[i]!;
    switch (opts.dtype) {
      case 'uint8':
        dv.setUint8(off, v);
        break;
      case 'int16':
        dv.setInt16(off, v, le);
        break;
      case 'int32':
        dv.setInt32(off, v, le);
        break;
      case 'float32':
        dv.setFloat32(off, v, le);
        break;
      case 'float64':
        dv.setFloat64(off, v, le);
        break;
      case 'int8':
        dv.setInt8(off, v);
        break;
      case 'uint16':
        dv.setUint16(off, v, le);
        break;
      case 'uint32':
        dv.setUint32(off, v, le);
        break;
    }
  }
  const raw = new Uint8Array(buf);
  return gzip ? new Uint8Array(gzipSync(raw, { level: 6 })) : raw;
}

export type MghDtype = 'uint8' | 'int32' | 'float32' | 'int16';

const MGH_TYPE: Record<MghDtype, { code: number; bytes: number }> = {
  uint8: { code: 0, bytes: 1 },
  int32: { code: 1, bytes: 4 },
  float32: { code: 3, bytes: 4 },
  int16: { code: 4, bytes: 2 },
};

export interface WriteMghOptions {
  dims: [number, number, number];
  voxelSize?: [number, number, number];
  dtype: MghDtype;
  /** direction cosines x_r x_a x_s y_r y_a y_s z_r z_a z_s (default FreeSurfer's LIA) */
  mdc?: number[];
  /** world position of the centre voxel (default 0, 0, 0) */
  cras?: [number, number, number];
}

/** A FreeSurfer .mgh (or .mgz when gzip) image: big-endian header, voxel data at byte 284. */
export function encodeMgh(values: ArrayLike<number>, opts: WriteMghOptions, gzip: boolean): Uint8Array {
  const [nx, ny, nz] = opts.dims;
  const n = nx * ny * nz;
  if (values.length !== n) throw new Error(`expected ${n} voxels, got ${values.length}`);
  const { code, bytes } = MGH_TYPE[opts.dtype];
  const buf = new ArrayBuffer(284 + n * bytes);
  const dv = new DataView(buf);
  dv.setInt32(0, 1); // version
  dv.setInt32(4, nx);
  dv.setInt32(8, ny);
  dv.setInt32(12, nz);
  dv.setInt32(16, 1); // nframes
  dv.setInt32(20, code);
  dv.setInt32(24, 0); // dof
  dv.setInt16(28, 1); // goodRASflag
  const vs = opts.voxelSize ?? [1, 1, 1];
  vs.forEach((v, i) => dv.setFloat32(30 + 4 * i, v));
  (opts.mdc ?? [-1, 0, 0, 0, 0, -1, 0, 1, 0]).forEach((v, i) => dv.setFloat32(42 + 4 * i, v));
  (opts.cras ?? [0, 0, 0]).forEach((v, i) => dv.setFloat32(78 + 4 * i, v));
  let off = 284;
  for (let i = 0; i < n; i++, off += bytes) {
    const v = values[i]!;
    switch (opts.dtype) {
      case 'uint8':
        dv.setUint8(off, v);
        break;
      case 'int16':
        dv.setInt16(off, v);
        break;
      case 'int32':
        dv.setInt32(off, v);
        break;
      case 'float32':
        dv.setFloat32(off, v);
        break;
    }
  }
  const raw = new Uint8Array(buf);
  return gzip ? new Uint8Array(gzipSync(raw, { level: 6 })) : raw;
}
