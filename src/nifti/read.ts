import { existsSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import { withSource } from './source.js';
import { effectiveScaling, NIFTI1_SIZE, NIFTI2_SIZE, parseNiftiHeader, sniffNifti } from './header.js';
import { looksLikeMgh, MGH_DATA_OFFSET, parseMghHeader } from './mgh.js';
import { applyScaling, dtypeBytes, LABEL_DEFAULTS, toLabels, voxelView, type LabelOptions } from './decode.js';
import { parseEmbeddedLabels } from './labels.js';
import type { LabelMap, NiftiHeader, NiftiImage } from './types.js';

export { isGzip } from './source.js';

/**
 * File-level reading: .hdr/.img pairs, .nii/.nii.gz (NIfTI-1 and -2) and FreeSurfer .mgh/.mgz,
 * then the refusals every reader applies (more than one volume, truncated data). Bytes come from
 * source.ts, which reads (and inflates) only what the header declares; header parsing lives in
 * header.ts / mgh.ts.
 */

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
    const headerBytes = withSource(hdr, (s) => s.head());
    const header = parseNiftiHeader(headerBytes, hdr);
    if (!header.pair) {
      throw new UserError(`magic = "${header.magic}": a single-file NIfTI header in a .hdr file (a pair's header says "ni${header.version}")`, { file: hdr });
    }
    const img = imgCandidates.find((c) => existsSync(c));
    if (img === undefined) throw new UserError(`missing image file ${imgCandidates[0]} (the .hdr holds only the header; its voxel data belongs in the .img)`, { file: hdr });
    const d = declared(header, file);
    return { file, header, headerBytes, dataBytes: withSource(img, (s) => s.content(d.need, d.what)), dataFile: img };
  }
  return withSource(file, (s) => {
    const header = parseAny(s.head(), file, kind);
    if (header.pair) {
      throw new UserError(`magic = "${header.magic}": the header of a .hdr/.img pair, but this file is not a .hdr`, { file });
    }
    const d = declared(header, file);
    const bytes = s.content(d.need, d.what);
    return { file, header, headerBytes: bytes, dataBytes: bytes, dataFile: file };
  });
}

/** The single volume's grid and how many bytes (from the file's start) hold it; 4D images are refused here, before any voxel is read. */
function declared(h: NiftiHeader, file: string) {
  if (h.volumes > 1) {
    const field = h.format === 'mgh' ? `nframes = ${h.volumes}` : `dim[0] = ${h.dim[0]}, dim[4] = ${h.dim[4]}`;
    throw new UserError(`${field}: a 4D image with ${h.volumes} volumes; expected one 3D volume`, { file });
  }
  const dims: [number, number, number] = [h.shape[0] ?? 1, h.shape[1] ?? 1, h.shape[2] ?? 1];
  const n = dims[0] * dims[1] * dims[2];
  return { dims, n, need: h.voxOffset + n * dtypeBytes(h.dtype), what: `${dims.join('x')} ${h.dtype} voxels from byte ${h.voxOffset}` };
}

/** Refusals shared by every reader, then the voxel data of the single volume. */
function voxelsOf(l: Loaded) {
  const h = l.header;
  const { dims, n, need } = declared(h, l.file);
  if (l.dataBytes.length < need) {
    const offName = h.format === 'mgh' ? `byte ${MGH_DATA_OFFSET}` : `vox_offset ${h.voxOffset}`;
    throw new UserError(`truncated: ${dims.join('x')} ${h.dtype} voxels from ${offName} need ${need} bytes, the ${l.dataFile === l.file ? 'file' : 'image file'} has ${l.dataBytes.length}`, {
      file: l.dataFile,
    });
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

/**
 * The parsed header alone, without decoding (or for .gz, inflating) the voxel data: inflates the
 * first 64 KiB. For checking grids and sizes before committing to a full read.
 */
export function readHeader(file: string): NiftiHeader {
  const kind = kindOf(file);
  const hdrFile = kind === 'hdr' || kind === 'img' ? pairFiles(file).hdr : file;
  const bytes = withSource(hdrFile, (s) => s.head());
  return kind === 'hdr' || kind === 'img' ? parseNiftiHeader(bytes, hdrFile) : parseAny(bytes, hdrFile, kind);
}
