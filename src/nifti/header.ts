import { UserError } from '../common/errors.js';
import { det3, pixdimAffine, qformAffine, scaleAffine, sformAffine, unitToMm } from './affine.js';
import { NIFTI_DTYPES, UNSUPPORTED_DTYPES, type AffineSource, type NiftiHeader } from './types.js';

/**
 * NIfTI-1 (348-byte) and NIfTI-2 (540-byte) header parsing with DataView, apart from the voxel
 * data (as nibabel does): every check names the header field at fault, so a user can see why a
 * file is refused. Byte layouts follow nifti1.h / nifti2.h.
 */

export const NIFTI1_SIZE = 348;
export const NIFTI2_SIZE = 540;
/** Largest voxel count we accept: typed arrays and Buffers cap below this anyway. */
const MAX_VOXELS = 2 ** 31 - 1;

/** Which NIfTI version the first bytes announce, with their byte order; null if neither. */
export function sniffNifti(bytes: Uint8Array): { version: 1 | 2; littleEndian: boolean } | null {
  if (bytes.length < 4) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const le of [true, false]) {
    const s = dv.getInt32(0, le);
    if (s === NIFTI1_SIZE) return { version: 1, littleEndian: le };
    if (s === NIFTI2_SIZE) return { version: 2, littleEndian: le };
  }
  return null;
}

function cString(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** Fields read from either header version before validation: the stored fields of NiftiHeader. */
type RawFields = Pick<
  NiftiHeader,
  | 'littleEndian'
  | 'sizeofHdr'
  | 'magic'
  | 'pair'
  | 'dim'
  | 'datatype'
  | 'bitpix'
  | 'pixdim'
  | 'voxOffset'
  | 'sclSlope'
  | 'sclInter'
  | 'intentCode'
  | 'xyztUnits'
  | 'qformCode'
  | 'sformCode'
  | 'quatern'
  | 'qoffset'
  | 'srow'
  | 'descrip'
  | 'extensionFlag'
> & { version: 1 | 2; magicOk: boolean };

function readNifti1(bytes: Uint8Array, le: boolean): RawFields {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, NIFTI1_SIZE);
  const magic = cString(bytes, 344, 4);
  const f32 = (o: number) => dv.getFloat32(o, le);
  return {
    version: 1,
    littleEndian: le,
    sizeofHdr: dv.getInt32(0, le),
    magic,
    magicOk: (magic === 'n+1' || magic === 'ni1') && bytes[347] === 0,
    pair: magic === 'ni1',
    dim: Array.from({ length: 8 }, (_, i) => dv.getInt16(40 + 2 * i, le)),
    intentCode: dv.getInt16(68, le),
    datatype: dv.getInt16(70, le),
    bitpix: dv.getInt16(72, le),
    pixdim: Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i)),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: dv.getUint8(123),
    descrip: cString(bytes, 148, 80),
    qformCode: dv.getInt16(252, le),
    sformCode: dv.getInt16(254, le),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: Array.from({ length: 12 }, (_, i) => f32(280 + 4 * i)),
    extensionFlag: bytes.length > 348 ? bytes[348]! : 0,
  };
}

function readNifti2(bytes: Uint8Array, le: boolean): RawFields {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, NIFTI2_SIZE);
  const magic = cString(bytes, 4, 8);
  const f64 = (o: number) => dv.getFloat64(o, le);
  const i64 = (o: number) => Number(dv.getBigInt64(o, le));
  // the 8-byte magic is "n+2\0" (or "ni2\0") followed by \r\n\032\n, which catches text-mode mangling
  const tail = [13, 10, 26, 10].every((v, i) => bytes[8 + i] === v);
  return {
    version: 2,
    littleEndian: le,
    sizeofHdr: dv.getInt32(0, le),
    magic,
    magicOk: (magic === 'n+2' || magic === 'ni2') && bytes[7] === 0 && tail,
    pair: magic === 'ni2',
    datatype: dv.getInt16(12, le),
    bitpix: dv.getInt16(14, le),
    dim: Array.from({ length: 8 }, (_, i) => i64(16 + 8 * i)),
    pixdim: Array.from({ length: 8 }, (_, i) => f64(104 + 8 * i)),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    descrip: cString(bytes, 240, 80),
    qformCode: dv.getInt32(344, le),
    sformCode: dv.getInt32(348, le),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: Array.from({ length: 12 }, (_, i) => f64(400 + 8 * i)),
    xyztUnits: dv.getInt32(500, le),
    intentCode: dv.getInt32(504, le),
    extensionFlag: bytes.length > 540 ? bytes[540]! : 0,
  };
}

const fmt = (xs: readonly number[]) => xs.map((v) => String(v)).join(', ');

/**
 * Parse and validate a NIfTI-1/2 header from the first bytes of a file (at least the header
 * itself; more is harmless). `file` is only used in error messages.
 */
export function parseNiftiHeader(bytes: Uint8Array, file: string): NiftiHeader {
  const err = (reason: string) => new UserError(reason, { file });
  const sniff = sniffNifti(bytes);
  if (sniff === null) {
    const shown = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) : NaN;
    if (bytes.length < 4) throw err(`truncated: ${bytes.length} bytes, too short for a NIfTI header`);
    throw err(`sizeof_hdr = ${shown}: not a NIfTI file (NIfTI-1 headers say 348, NIfTI-2 540, in either byte order)`);
  }
  const need = sniff.version === 1 ? NIFTI1_SIZE : NIFTI2_SIZE;
  if (bytes.length < need) throw err(`truncated: ${bytes.length} bytes, a NIfTI-${sniff.version} header needs ${need}`);
  const h = sniff.version === 1 ? readNifti1(bytes, sniff.littleEndian) : readNifti2(bytes, sniff.littleEndian);

  if (!h.magicOk) {
    throw err(
      `magic = ${JSON.stringify(h.magic)}: not a NIfTI-${h.version} magic (expected "n+${h.version}" or "ni${h.version}"); ` +
        (h.version === 1 ? 'Analyze 7.5 files are not supported (they carry no orientation)' : 'the header is corrupt'),
    );
  }
  const ndim = h.dim[0]!;
  if (ndim > 4) {
    throw err(`dim[0] = ${ndim}: more than 4 dimensions (a CIFTI or other non-volume file); expected a 3D volume`);
  }
  if (ndim < 1) throw err(`dim[0] = ${ndim}: must be from 1 to 7 (corrupt header?)`);
  if (h.intentCode >= 3000 && h.intentCode <= 3099) {
    throw err(`intent_code = ${h.intentCode}: a CIFTI file (intent codes 3000-3099), not a volume`);
  }
  const shape = h.dim.slice(1, ndim + 1);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isSafeInteger(d) || d < 1) throw err(`dim[${i + 1}] = ${d}: every dimension must be at least 1 (corrupt header?)`);
  }
  const volumes = shape.slice(3).reduce((p, d) => p * d, 1);
  const voxels = (shape[0] ?? 1) * (shape[1] ?? 1) * (shape[2] ?? 1);
  if (voxels * volumes > MAX_VOXELS) throw err(`dim = [${fmt(h.dim)}]: ${voxels * volumes} voxels is more than this reader handles`);

  const dt = NIFTI_DTYPES.get(h.datatype);
  if (dt === undefined) {
    const name = UNSUPPORTED_DTYPES.get(h.datatype);
    throw err(`datatype = ${h.datatype}${name ? ` (${name})` : ''}: not supported (uint8, int8, int16, uint16, int32, uint32, float32, float64 are)`);
  }
  if (h.bitpix !== dt.bytes * 8) throw err(`bitpix = ${h.bitpix}: datatype ${h.datatype} (${dt.dtype}) has ${dt.bytes * 8} bits per voxel`);

  let voxOffset = h.voxOffset;
  if (!Number.isFinite(voxOffset) || voxOffset < 0 || !Number.isInteger(voxOffset)) {
    throw err(`vox_offset = ${voxOffset}: must be a whole number of bytes`);
  }
  const minOffset = h.version === 1 ? 352 : 544;
  if (!h.pair && voxOffset < minOffset) {
    // nibabel reads a single-file vox_offset of 0 as "right after the header"; anything else is corrupt
    if (voxOffset === 0) voxOffset = minOffset;
    else throw err(`vox_offset = ${voxOffset}: inside the header (a single-file NIfTI-${h.version} needs at least ${minOffset})`);
  }

  if (Number.isFinite(h.sclSlope) && h.sclSlope !== 0 && !Number.isFinite(h.sclInter) && !Number.isNaN(h.sclInter)) {
    throw err(`scl_inter = ${h.sclInter}: must be finite`);
  }
  if (h.sclSlope === Infinity || h.sclSlope === -Infinity) throw err(`scl_slope = ${h.sclSlope}: must be finite`);

  const dims3 = [shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1];
  let source: AffineSource;
  let A: number[];
  if (h.sformCode > 0) {
    source = 'sform';
    A = sformAffine(h.srow);
  } else if (h.qformCode > 0) {
    source = 'qform';
    const q = qformAffine(h.quatern, h.qoffset, h.pixdim);
    if (q === null) {
      throw err(`quatern_b, quatern_c, quatern_d = ${fmt(h.quatern)}: not a unit quaternion (qform_code ${h.qformCode})`);
    }
    A = q;
  } else {
    source = 'pixdim';
    A = pixdimAffine(dims3, h.pixdim);
  }
  const unitScale = unitToMm(h.xyztUnits);
  const affine = scaleAffine(A, unitScale);
  const voxelVolume = Math.abs(det3(affine));
  if (!affine.every(Number.isFinite) || !(voxelVolume > 0) || !Number.isFinite(voxelVolume)) {
    const what =
      source === 'sform'
        ? `srow_x, srow_y, srow_z = ${fmt(h.srow)} (sform_code ${h.sformCode})`
        : source === 'qform'
          ? `pixdim[1..3] = ${fmt(h.pixdim.slice(1, 4))} with the qform (qform_code ${h.qformCode})`
          : `pixdim[1..3] = ${fmt(h.pixdim.slice(1, 4))} (sform_code and qform_code are 0)`;
    throw err(`${what}: the voxel-to-mm transform is singular or not finite, so the voxel volume is undefined`);
  }

  return {
    format: h.version === 1 ? 'nifti1' : 'nifti2',
    version: h.version,
    littleEndian: h.littleEndian,
    magic: h.magic,
    pair: h.pair,
    sizeofHdr: h.sizeofHdr,
    dim: h.dim,
    shape,
    volumes,
    datatype: h.datatype,
    dtype: dt.dtype,
    bitpix: h.bitpix,
    pixdim: h.pixdim,
    voxOffset,
    sclSlope: h.sclSlope,
    sclInter: h.sclInter,
    intentCode: h.intentCode,
    xyztUnits: h.xyztUnits,
    qformCode: h.qformCode,
    sformCode: h.sformCode,
    quatern: h.quatern,
    qoffset: h.qoffset,
    srow: h.srow,
    descrip: h.descrip,
    extensionFlag: h.extensionFlag,
    affineSource: source,
    unitScale,
    affine,
    voxelVolume,
  };
}

/**
 * The scaling nibabel applies: none when scl_slope is 0 or NaN (scl_inter is then ignored);
 * a NaN scl_inter counts as 0. Returns null for the identity (slope 1, inter 0).
 */
export function effectiveScaling(h: Pick<NiftiHeader, 'sclSlope' | 'sclInter'>): { slope: number; inter: number } | null {
  const slope = h.sclSlope;
  if (slope === 0 || Number.isNaN(slope)) return null;
  const inter = Number.isNaN(h.sclInter) ? 0 : h.sclInter;
  if (slope === 1 && inter === 0) return null;
  return { slope, inter };
}
