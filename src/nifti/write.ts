import { gzipSync } from 'node:zlib';

/**
 * A minimal NIfTI-1 writer (single file, .nii or .nii.gz) for the demo cohort generator and for
 * tests that need files with known content. The affine goes in both sform and qform-free form
 * (sform_code 2, qform_code 0), which every reader (nibabel included) honours.
 */
export type WritableDtype = 'uint8' | 'int16' | 'int32' | 'float32' | 'float64';

const DT: Record<WritableDtype, { code: number; bytes: number }> = {
  uint8: { code: 2, bytes: 1 },
  int16: { code: 4, bytes: 2 },
  int32: { code: 8, bytes: 4 },
  float32: { code: 16, bytes: 4 },
  float64: { code: 64, bytes: 8 },
};

export interface WriteNiftiOptions {
  dims: [number, number, number];
  /** 4x4 row-major voxel-to-mm affine; default: diagonal of `voxelSize`. */
  affine?: number[];
  voxelSize?: [number, number, number];
  dtype: WritableDtype;
  /** scl_slope / scl_inter (default 1 / 0) */
  sclSlope?: number;
  sclInter?: number;
  description?: string;
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
  const le = true;
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
      case 'uint8': dv.setUint8(off, v); break;
      case 'int16': dv.setInt16(off, v, le); break;
      case 'int32': dv.setInt32(off, v, le); break;
      case 'float32': dv.setFloat32(off, v, le); break;
      case 'float64': dv.setFloat64(off, v, le); break;
    }
  }
  const raw = new Uint8Array(buf);
  return gzip ? new Uint8Array(gzipSync(raw, { level: 6 })) : raw;
}
