import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeNifti1, type WriteNiftiOptions } from '../../src/nifti/write.js';
import { tempDir as makeTempDir } from '../helpers/tmp.js';

/** Fixture helpers for the nifti tests: temp files and header patching of encodeNifti1 output. */

export function tempDir(): string {
  return makeTempDir('ms-nifti-');
}

export function writeFile(dir: string, name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Uncompressed NIfTI-1 bytes, then `patch` edits the header through a DataView (same byte order). */
export function nifti1(values: ArrayLike<number>, opts: WriteNiftiOptions, patch?: (dv: DataView, le: boolean) => void): Uint8Array {
  const bytes = encodeNifti1(values, opts, false);
  if (patch) patch(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), opts.littleEndian ?? true);
  return bytes;
}

export const gz = (b: Uint8Array) => new Uint8Array(gzipSync(b));

/** NIfTI-1 header offsets used by the tests. */
export const OFF = {
  dim: 40,
  intentCode: 68,
  datatype: 70,
  bitpix: 72,
  pixdim: 76,
  voxOffset: 108,
  sclSlope: 112,
  sclInter: 116,
  xyztUnits: 123,
  qformCode: 252,
  sformCode: 254,
  quatern: 256,
  qoffset: 268,
  srow: 280,
  magic: 344,
} as const;

/** Deterministic label volume with known counts: label k occupies counts[k] voxels (in a scrambled order). */
export function labelVolume(counts: Record<number, number>, dims: [number, number, number]): number[] {
  const n = dims[0] * dims[1] * dims[2];
  const out: number[] = [];
  for (const [k, c] of Object.entries(counts)) for (let i = 0; i < c; i++) out.push(Number(k));
  if (out.length !== n) throw new Error(`counts sum to ${out.length}, grid has ${n}`);
  // fixed permutation (multiplicative step coprime with n) so labels are not in blocks
  const step = [7, 11, 13, 17, 19, 23].find((s) => n % s !== 0)!;
  const scrambled = new Array<number>(n);
  for (let i = 0; i < n; i++) scrambled[(i * step) % n] = out[i]!;
  return scrambled;
}
