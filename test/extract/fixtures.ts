import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { encodeNifti1, type WritableDtype } from '../../src/nifti/write.js';

/** Tiny images with known content for the extract tests (8x8x8 unless told). */
export const DIMS: [number, number, number] = [8, 8, 8];
export const N = DIMS[0] * DIMS[1] * DIMS[2];

const made: string[] = [];
/** Remove the temp folders this test file made (call from afterAll). */
export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh temp folder, removed by cleanup(). */
export function tempDir(prefix = 'ms-extract-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function writeImage(
  file: string,
  values: ArrayLike<number>,
  opts: { dtype?: WritableDtype; voxelSize?: [number, number, number]; affine?: number[]; dims?: [number, number, number] } = {},
): string {
  mkdirSync(dirname(file), { recursive: true });
  const enc: Parameters<typeof encodeNifti1>[1] = { dims: opts.dims ?? DIMS, dtype: opts.dtype ?? 'int16' };
  if (opts.affine) enc.affine = opts.affine;
  else enc.voxelSize = opts.voxelSize ?? [1, 1, 1];
  writeFileSync(file, encodeNifti1(values, enc, file.endsWith('.gz')));
  return file;
}

const idx = (x: number, y: number, z: number) => x + DIMS[0] * (y + DIMS[1] * z);

/**
 * An aseg-like label map that differs per seed: slabs of cortex, white matter, deep grey,
 * ventricles, cerebellum, brainstem, WM-hypointensities and background.
 */
export function asegLike(seed: number): Int32Array {
  const L = new Int32Array(N);
  const palette = [0, 2, 41, 3, 42, 10, 49, 11, 12, 13, 26, 4, 43, 5, 7, 8, 46, 47, 16, 77, 24, 251];
  let s = seed * 7919 + 17;
  for (let z = 0; z < DIMS[2]; z++)
    for (let y = 0; y < DIMS[1]; y++)
      for (let x = 0; x < DIMS[0]; x++) {
        s = (s * 1103515245 + 12345) % 2147483648;
        // mostly structured by position, a little noise from the seed
        const base = (x + 2 * y + 3 * z) % palette.length;
        const pick = s % 5 === 0 ? (base + (s >> 8)) % palette.length : base;
        L[idx(x, y, z)] = palette[pick]!;
      }
  return L;
}

/** Binary lesion mask: a box, shifted by seed. */
export function lesionBox(seed: number): Uint8Array {
  const m = new Uint8Array(N);
  for (let z = 2; z < 5; z++) for (let y = 1 + (seed % 3); y < 5; y++) for (let x = 2; x < 6; x++) m[idx(x, y, z)] = 1;
  return m;
}

/** Probabilistic lesion map in [0, 1]. */
export function lesionProb(seed: number): Float32Array {
  const m = new Float32Array(N);
  for (let i = 0; i < N; i++) m[i] = ((i * 37 + seed * 11) % 101) / 100;
  return m;
}

/** A scalar map with a NaN here and there (outside a ratio map's mask). */
export function scalarMap(seed: number): Float32Array {
  const m = new Float32Array(N);
  for (let i = 0; i < N; i++) m[i] = i % 53 === 0 ? NaN : Math.fround(0.5 + ((i * 13 + seed) % 97) / 50);
  return m;
}

export function writeText(file: string, text: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}
