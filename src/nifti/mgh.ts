import { UserError } from '../common/errors.js';
import { det3 } from './affine.js';
import type { Dtype, NiftiHeader } from './types.js';

/**
 * FreeSurfer .mgh (and gzipped .mgz) header: big-endian, fixed layout, voxel data at byte 284.
 * version int32 (1) | width, height, depth, nframes int32 | type int32 | dof int32 |
 * goodRASflag int16 | spacing float32[3] | Mdc float32[9] (x, y, z direction cosines) |
 * c_ras float32[3] | unused up to 284.
 */
export const MGH_DATA_OFFSET = 284;

/** MGH type code -> our dtype and the NIfTI datatype code it corresponds to. */
const MGH_TYPES: ReadonlyMap<number, { dtype: Dtype; bytes: number; nifti: number }> = new Map([
  [0, { dtype: 'uint8', bytes: 1, nifti: 2 }], // MRI_UCHAR
  [1, { dtype: 'int32', bytes: 4, nifti: 8 }], // MRI_INT
  [3, { dtype: 'float32', bytes: 4, nifti: 16 }], // MRI_FLOAT
  [4, { dtype: 'int16', bytes: 2, nifti: 4 }], // MRI_SHORT
] as [number, { dtype: Dtype; bytes: number; nifti: number }][]);

/** A plausible MGH start: version 1 and positive sizes (MGH has no magic number). */
export function looksLikeMgh(bytes: Uint8Array): boolean {
  if (bytes.length < 24) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 24);
  return dv.getInt32(0, false) === 1 && dv.getInt32(4, false) > 0 && dv.getInt32(8, false) > 0 && dv.getInt32(12, false) > 0;
}

export function parseMghHeader(bytes: Uint8Array, file: string): NiftiHeader {
  const err = (reason: string) => new UserError(reason, { file });
  if (bytes.length < MGH_DATA_OFFSET) throw err(`truncated: ${bytes.length} bytes, an MGH header needs ${MGH_DATA_OFFSET}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, MGH_DATA_OFFSET);
  const version = dv.getInt32(0, false);
  if (version !== 1) throw err(`version = ${version}: not an MGH/MGZ file (expected 1)`);
  const size = [dv.getInt32(4, false), dv.getInt32(8, false), dv.getInt32(12, false)];
  const names = ['width', 'height', 'depth'];
  size.forEach((d, i) => {
    if (d < 1) throw err(`${names[i]} = ${d}: must be at least 1 (corrupt header?)`);
  });
  const nframes = dv.getInt32(16, false);
  if (nframes < 1) throw err(`nframes = ${nframes}: must be at least 1 (corrupt header?)`);
  const type = dv.getInt32(20, false);
  const t = MGH_TYPES.get(type);
  if (t === undefined) throw err(`type = ${type}: not supported (0 uchar, 1 int, 3 float, 4 short are)`);
  if (size[0]! * size[1]! * size[2]! * nframes > 2 ** 31 - 1) throw err(`${size.join('x')}x${nframes} voxels is more than this reader handles`);
  const goodRAS = dv.getInt16(28, false);

  let spacing = [1, 1, 1];
  // FreeSurfer's default orientation when goodRASflag is not set: coronal slices (LIA)
  let mdc = [-1, 0, 0, 0, 0, -1, 0, 1, 0];
  let cras = [0, 0, 0];
  if (goodRAS > 0) {
    spacing = [0, 1, 2].map((i) => dv.getFloat32(30 + 4 * i, false));
    mdc = Array.from({ length: 9 }, (_, i) => dv.getFloat32(42 + 4 * i, false));
    cras = [0, 1, 2].map((i) => dv.getFloat32(78 + 4 * i, false));
  }
  // Mdc is stored axis by axis (x_r, x_a, x_s, y_r, ...): column j of the 3x3 is axis j scaled by spacing j
  const A = new Array<number>(16).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) A[4 * r + c] = mdc[3 * c + r]! * spacing[c]!;
  // c_ras is the world position of the voxel at (width/2, height/2, depth/2)
  for (let r = 0; r < 3; r++) {
    A[4 * r + 3] = cras[r]! - ((A[4 * r]! * size[0]!) / 2 + (A[4 * r + 1]! * size[1]!) / 2 + (A[4 * r + 2]! * size[2]!) / 2);
  }
  A[15] = 1;
  const voxelVolume = Math.abs(det3(A));
  if (!A.every(Number.isFinite) || !(voxelVolume > 0) || !Number.isFinite(voxelVolume)) {
    throw err(`spacing = ${spacing.join(', ')} with direction cosines ${mdc.join(', ')}: singular or not finite, the voxel volume is undefined`);
  }
  return {
    format: 'mgh',
    version: 0,
    littleEndian: false,
    magic: 'mgh',
    pair: false,
    sizeofHdr: MGH_DATA_OFFSET,
    dim: [nframes > 1 ? 4 : 3, size[0]!, size[1]!, size[2]!, nframes, 1, 1, 1],
    shape: nframes > 1 ? [...size, nframes] : [...size],
    volumes: nframes,
    datatype: t.nifti,
    dtype: t.dtype,
    bitpix: t.bytes * 8,
    pixdim: [1, spacing[0]!, spacing[1]!, spacing[2]!, 0, 0, 0, 0],
    voxOffset: MGH_DATA_OFFSET,
    sclSlope: 1,
    sclInter: 0,
    intentCode: 0,
    xyztUnits: 2,
    qformCode: 0,
    sformCode: 0,
    quatern: [0, 0, 0],
    qoffset: [0, 0, 0],
    srow: A.slice(0, 12),
    descrip: '',
    extensionFlag: 0,
    affineSource: 'mgh',
    unitScale: 1,
    affine: A,
    voxelVolume,
  };
}
