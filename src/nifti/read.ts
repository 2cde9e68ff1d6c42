import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { constants as zc, gunzipSync } from 'node:zlib';
import { UserError } from '../common/errors.js';
import { effectiveScaling, NIFTI1_SIZE, NIFTI2_SIZE, parseNiftiHeader, sniffNifti } from './header.js';
import { looksLikeMgh, MGH_DATA_OFFSET, parseMghHeader } from './mgh.js';
import { applyScaling, dtypeBytes, LABEL_DEFAULTS, toLabels, voxelView, type LabelOptions } from './decode.js';
import { parseEmbeddedLabels } from './labels.js';
import type { LabelMap, NiftiHeader, NiftiImage } from './types.js';

/**
 * File-level reading: gzip detection by magic bytes (node:zlib, native), .hdr/.img pairs,
 * .nii/.nii.gz (NIfTI-1 and -2) and FreeSurfer .mgh/.mgz, then the refusals every reader applies
 * (more than one volume, truncated data). Header parsing lives in header.ts / mgh.ts.
 */

const GZ0 = 0x1f, GZ1 = 0x8b;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZ0 && bytes[1] === GZ1;
}

/**
 * The gzip trailer's ISIZE (uncompressed size mod 2^32) sizes zlib's output chunk, so a volume
 * inflates into one buffer instead of many 16 KiB chunks joined at the end: about half the CPU
 * time and half the temporary memory. It is only a hint: a wrong value (multi-member files,
 * > 4 GiB) still decompresses correctly.
 */
function inflateChunkSize(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 18) return 64 * 1024;
  const isize = (bytes[n - 4]! | (bytes[n - 3]! << 8) | (bytes[n - 2]! << 16) | (bytes[n - 1]! << 24)) >>> 0;
  return Math.min(Math.max(isize, 64 * 1024), 1 << 30);
}

function gunzip(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return gunzipSync(bytes, { chunkSize: inflateChunkSize(bytes) });
  } catch (e) {
    const msg = (e as Error).message;
    const why = /unexpected end/i.test(msg) ? 'truncated gzip data' : 'corrupt gzip data';
    throw new UserError(`${why} (${msg})`, { file });
  }
}

function readBytes(file: string): Uint8Array {
  if (!existsSync(file)) throw new UserError('file not found', { file });
  let raw: Uint8Array;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read: ${(e as Error).message}`, { file });
  }
  return isGzip(raw) ? gunzip(raw, file) : raw;
}

type Kind = 'nifti' | 'hdr' | 'img' | 'mgh';

function kindOf(file: string): Kind {
  const f = file.toLowerCase().replace(/\.gz$/, '');
  if (f.endsWith('.hdr')) return 'hdr';
  if (f.endsWith('.img')) return 'img';
  if (f.endsWith('.mgh') || f.endsWith('.mgz')) return 'mgh';
  return 'nifti';
}

/** For a pair, the header file and the data file candidates (plain first, then gzipped, or the reverse). */
function pairFiles(file: string): { hdr: string; imgCandidates: string[] } {
  const gz = /\.gz$/i.test(file);
  const stem = file.replace(/\.gz$/i, '').replace(/\.(hdr|img)$/i, '');
  const ext = (e: string) => (/\.(HDR|IMG)(\.gz)?$/.test(file) ? e.toUpperCase() : e);
  if (kindOf(file) === 'img') {
    const hdrs = [`${stem}${ext('.hdr')}`, `${stem}${ext('.hdr')}.gz`];
    const hdr = hdrs.find((h) => existsSync(h));
    if (hdr === undefined) throw new UserError(`missing header file ${hdrs[0]} (an .img needs its .hdr)`, { file });
    return { hdr, imgCandidates: [file] };
  }
  const img = `${stem}${ext('.img')}`;
  return { hdr: file, imgCandidates: gz ? [`${img}.gz`, img] : [img, `${img}.gz`] };
}

/** A header and the bytes its voxel data starts in. `headerBytes` is the decompressed header file. */
interface Loaded {
  /** the path the caller gave */
  file: string;
  header: NiftiHeader;
  headerBytes: Uint8Array;
  dataBytes: Uint8Array;
  dataFile: string;
}

function parseAny(bytes: Uint8Array, file: string, kind: Kind): NiftiHeader {
  if (kind === 'mgh') return parseMghHeader(bytes, file);
  if (kind === 'nifti' && sniffNifti(bytes) === null && looksLikeMgh(bytes)) return parseMghHeader(bytes, file);
  return parseNiftiHeader(bytes, file);
}

function load(file: string): Loaded {
  const kind = kindOf(file);
  if (kind === 'hdr' || kind === 'img') {
    const { hdr, imgCandidates } = pairFiles(file);
    const headerBytes = readBytes(hdr);
    const header = parseNiftiHeader(headerBytes, hdr);
    if (!header.pair) {
      throw new UserError(`magic = "${header.magic}": a single-file NIfTI header in a .hdr file (a pair's header says "ni${header.version}")`, { file: hdr });
    }
    const img = imgCandidates.find((c) => existsSync(c));
    if (img === undefined) throw new UserError(`missing image file ${imgCandidates[0]} (the .hdr holds only the header; its voxel data belongs in the .img)`, { file: hdr });
    return { file, header, headerBytes, dataBytes: readBytes(img), dataFile: img };
  }
  const bytes = readBytes(file);
  const header = parseAny(bytes, file, kind);
  if (header.pair) {
    throw new UserError(`magic = "${header.magic}": the header of a .hdr/.img pair, but this file is not a .hdr`, { file });
  }
  return { file, header, headerBytes: bytes, dataBytes: bytes, dataFile: file };
}

/** Refusals shared by every reader, then the voxel data of the single volume. */
function voxelsOf(l: Loaded) {
  const h = l.header;
  if (h.volumes > 1) {
    const field = h.format === 'mgh' ? `nframes = ${h.volumes}` : `dim[0] = ${h.dim[0]}, dim[4] = ${h.dim[4]}`;
    throw new UserError(`${field}: a 4D image with ${h.volumes} volumes; expected one 3D volume`, { file: l.file });
  }
  const dims: [number, number, number] = [h.shape[0] ?? 1, h.shape[1] ?? 1, h.shape[2] ?? 1];
  const n = dims[0] * dims[1] * dims[2];
  const need = h.voxOffset + n * dtypeBytes(h.dtype);
  if (l.dataBytes.length < need) {
    const offName = h.format === 'mgh' ? `byte ${MGH_DATA_OFFSET}` : `vox_offset ${h.voxOffset}`;
    throw new UserError(
      `truncated: ${dims.join('x')} ${h.dtype} voxels from ${offName} need ${need} bytes, the ${l.dataFile === l.file ? 'file' : 'image file'} has ${l.dataBytes.length}`,
      { file: l.dataFile },
    );
  }
  const raw = voxelView(l.dataBytes, h.voxOffset, n, h.dtype, h.littleEndian);
  return { dims, raw };
}

/** Any supported image, raw values or scaled (float64) when scl_slope/scl_inter say so. */
export function readImage(file: string): NiftiImage {
  const l = load(file);
  const { dims, raw } = voxelsOf(l);
  const s = effectiveScaling(l.header);
  return {
    file,
    header: l.header,
    dims,
    affine: l.header.affine,
    voxelVolume: l.header.voxelVolume,
    data: s === null ? raw : applyScaling(raw, s.slope, s.inter),
    scaled: s !== null,
  };
}

/** A scalar map (e.g. a T1w/T2w ratio) as floats: float32/float64 kept, anything else scaled to float64. */
export function readScalarMap(file: string): NiftiImage & { data: Float64Array | Float32Array } {
  const img = readImage(file);
  const d = img.data;
  if (d instanceof Float64Array || d instanceof Float32Array) return { ...img, data: d };
  return { ...img, data: Float64Array.from(d) };
}

/** A label map: integer labels; floats accepted only when every value is within 1e-3 of an integer. */
export function readLabelMap(file: string, opts: LabelOptions = LABEL_DEFAULTS): LabelMap {
  const l = load(file);
  const { dims, raw } = voxelsOf(l);
  const h = l.header;
  const integerType = !(h.dtype === 'float32' || h.dtype === 'float64');
  const labels = toLabels(raw, effectiveScaling(h), integerType, file, opts);
  return {
    file,
    dims,
    affine: h.affine,
    voxelVolume: h.voxelVolume,
    labels,
    embeddedNames: embeddedNames(l),
  };
}

/** MRIcron atlases keep "index<TAB>name" lines between the header (+4 extension bytes) and vox_offset. */
function embeddedNames(l: Loaded): Map<number, string> {
  const h = l.header;
  if (h.format === 'mgh' || h.pair || h.extensionFlag !== 0) return new Map();
  const start = (h.version === 1 ? NIFTI1_SIZE : NIFTI2_SIZE) + 4;
  if (h.voxOffset <= start) return new Map();
  return parseEmbeddedLabels(l.headerBytes.subarray(start, h.voxOffset));
}

/** How many compressed bytes to inflate for a header-only read (a header plus MRIcron text fits easily). */
const HEADER_PREFIX = 64 * 1024;

/**
 * The parsed header alone, without decoding (or for .gz, inflating) the voxel data: reads the first
 * 64 KiB and inflates what it can. For checking grids and sizes before committing to a full read.
 */
export function readHeader(file: string): NiftiHeader {
  const kind = kindOf(file);
  const hdrFile = kind === 'hdr' || kind === 'img' ? pairFiles(file).hdr : file;
  if (!existsSync(hdrFile)) throw new UserError('file not found', { file: hdrFile });
  const fd = openSync(hdrFile, 'r');
  let prefix: Uint8Array;
  try {
    const len = Math.min(HEADER_PREFIX, statSync(hdrFile).size);
    prefix = new Uint8Array(len);
    readSync(fd, prefix, 0, len, 0);
  } finally {
    closeSync(fd);
  }
  let bytes = prefix;
  if (isGzip(prefix)) {
    try {
      bytes = gunzipSync(prefix, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch (e) {
      throw new UserError(`corrupt gzip data (${(e as Error).message})`, { file: hdrFile });
    }
  }
  return kind === 'hdr' || kind === 'img' ? parseNiftiHeader(bytes, hdrFile) : parseAny(bytes, hdrFile, kind);
}
