import { endianness } from 'node:os';
import { UserError } from '../common/errors.js';
import type { Dtype, VoxelArray } from './types.js';

/**
 * Voxel decoding on typed arrays: a view straight onto the decompressed buffer when byte order
 * and alignment allow (no copy), an in-place byte swap (Buffer.swap16/32/64, native) for the other
 * byte order, and single loops for scaling and label conversion. No per-voxel allocation.
 */

const HOST_LE = endianness() === 'LE';

const BYTES: Record<Dtype, number> = { uint8: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };

export function dtypeBytes(d: Dtype): number {
  return BYTES[d];
}

function view(d: Dtype, buf: ArrayBufferLike, off: number, n: number): VoxelArray {
  switch (d) {
    case 'uint8':
      return new Uint8Array(buf, off, n);
    case 'int8':
      return new Int8Array(buf, off, n);
    case 'int16':
      return new Int16Array(buf, off, n);
    case 'uint16':
      return new Uint16Array(buf, off, n);
    case 'int32':
      return new Int32Array(buf, off, n);
    case 'uint32':
      return new Uint32Array(buf, off, n);
    case 'float32':
      return new Float32Array(buf, off, n);
    case 'float64':
      return new Float64Array(buf, off, n);
  }
}

/**
 * Typed array of `n` voxels of type `d` starting at `offset` in `bytes`, in host byte order.
 * Swaps `bytes` in place when the file's byte order differs: the caller owns that buffer.
 * The caller has checked that `bytes` holds offset + n * size bytes.
 */
export function voxelView(bytes: Uint8Array, offset: number, n: number, d: Dtype, littleEndian: boolean): VoxelArray {
  const size = BYTES[d];
  let src = bytes.subarray(offset, offset + n * size);
  // a typed view needs alignment: copy once (new Uint8Array copies; Buffer#slice would not)
  if (src.byteOffset % size !== 0) src = new Uint8Array(src);
  if (size > 1 && littleEndian !== HOST_LE) {
    const b = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    if (size === 2) b.swap16();
    else if (size === 4) b.swap32();
    else b.swap64();
  }
  return view(d, src.buffer, src.byteOffset, n);
}

/** value * slope + inter as float64 (nibabel's scaled dtype for scaled integers). */
export function applyScaling(raw: VoxelArray, slope: number, inter: number): Float64Array {
  const n = raw.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = raw[i]! * slope + inter;
  return out;
}

export interface LabelOptions {
  /** a float label is accepted when within this of an integer (default 1e-3) */
  tolerance: number;
}

export const LABEL_DEFAULTS: LabelOptions = { tolerance: 1e-3 };

const INT32_MAX = 2147483647;

/**
 * Convert (optionally scaled) voxel values to integer labels in one pass. Integer types without
 * scaling take the native TypedArray.set path. Anything else must be within `tolerance` of an
 * integer everywhere, or the file is refused naming the first offending voxel.
 */
export function toLabels(raw: VoxelArray, scaling: { slope: number; inter: number } | null, integerType: boolean, file: string, opts: LabelOptions = LABEL_DEFAULTS): Int32Array {
  const n = raw.length;
  const out = new Int32Array(n);
  if (integerType && scaling === null) {
    if (raw instanceof Uint32Array) {
      for (let i = 0; i < n; i++) {
        if (raw[i]! > INT32_MAX) throw new UserError(`voxel ${i} has label ${raw[i]}, above the largest supported label ${INT32_MAX}`, { file });
      }
    }
    out.set(raw);
    return out;
  }
  const bad =
    scaling === null && (raw instanceof Float32Array || raw instanceof Float64Array)
      ? roundFloats(raw, out, opts.tolerance)
      : roundScaled(raw, scaling?.slope ?? 1, scaling?.inter ?? 0, out, opts.tolerance);
  if (bad >= 0) {
    const v = raw[bad]! * (scaling?.slope ?? 1) + (scaling?.inter ?? 0);
    throw new UserError(`not a label map: voxel ${bad} has value ${v}, not within ${opts.tolerance} of an integer (label maps must hold whole numbers)`, { file });
  }
  return out;
}

/** Index of the first value not within `tol` of an int32 (NaN included), or -1. */
function roundFloats(raw: Float32Array | Float64Array, out: Int32Array, tol: number): number {
  // kept apart from the scaled loop so V8 sees only two array types here (stays fast)
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const v = raw[i]!;
    const r = Math.round(v);
    if (!(Math.abs(v - r) <= tol) || r > INT32_MAX || r < -INT32_MAX) return i;
    out[i] = r;
  }
  return -1;
}

function roundScaled(raw: ArrayLike<number>, slope: number, inter: number, out: Int32Array, tol: number): number {
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const v = raw[i]! * slope + inter;
    const r = Math.round(v);
    if (!(Math.abs(v - r) <= tol) || r > INT32_MAX || r < -INT32_MAX) return i;
    out[i] = r;
  }
  return -1;
}
