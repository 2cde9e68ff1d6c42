/**
 * Shapes shared by the image readers (NIfTI-1, NIfTI-2, FreeSurfer MGH) and their users.
 * Arrays are column-major as stored: x varies fastest, index = x + nx * (y + ny * z).
 */

/** The voxel grid of an image: what two images of one subject must share. */
export interface Grid {
  dims: [number, number, number];
  /** 4x4 voxel-to-world affine, row-major, in mm. */
  affine: number[];
}

export type Dtype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export type VoxelArray = Float64Array | Float32Array | Int32Array | Int16Array | Uint16Array | Uint8Array | Int8Array | Uint32Array;

export type ImageFormat = 'nifti1' | 'nifti2' | 'mgh';

/** Which of the header's transforms gave the affine (nibabel's order: sform, then qform, then pixdim). */
export type AffineSource = 'sform' | 'qform' | 'pixdim' | 'mgh';

/**
 * A parsed and validated header. NIfTI fields keep their NIfTI names (camel-cased); an MGH header
 * fills the same fields with their MGH equivalents (datatype as the NIfTI code, no sform/qform).
 */
export interface NiftiHeader {
  format: ImageFormat;
  /** 1 or 2 for NIfTI; 0 for MGH. */
  version: 0 | 1 | 2;
  littleEndian: boolean;
  /** "n+1", "ni1", "n+2", "ni2" or "mgh". */
  magic: string;
  /** true for a .hdr/.img pair (magic ni1/ni2). */
  pair: boolean;
  sizeofHdr: number;
  /** dim[0..7] as stored. */
  dim: number[];
  /** dim[1..dim[0]]. */
  shape: number[];
  /** Number of 3D volumes (product of dim[4..dim[0]]); 1 for a 3D image. */
  volumes: number;
  datatype: number;
  dtype: Dtype;
  bitpix: number;
  pixdim: number[];
  /** Byte offset of the voxel data in the data file (the .img for a pair). */
  voxOffset: number;
  /** scl_slope / scl_inter as stored (may be 0 or NaN = no scaling). */
  sclSlope: number;
  sclInter: number;
  intentCode: number;
  xyztUnits: number;
  qformCode: number;
  sformCode: number;
  /** quatern_b, quatern_c, quatern_d */
  quatern: [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z */
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z (12 numbers, row-major). */
  srow: number[];
  descrip: string;
  /** Byte 348 (NIfTI-1) or 540 (NIfTI-2): non-zero when extensions follow the header. */
  extensionFlag: number;
  affineSource: AffineSource;
  /** Factor taking the spatial unit of xyzt_units to mm (metre 1000, micron 0.001, mm or unknown 1). */
  unitScale: number;
  /** 4x4 row-major affine in mm, chosen as nibabel does. */
  affine: number[];
  /** |det| of the affine's 3x3 part, mm^3. */
  voxelVolume: number;
}

export interface NiftiImage extends Grid {
  file: string;
  header: NiftiHeader;
  /** mm^3 */
  voxelVolume: number;
  /** Raw values, or scaled by scl_slope/scl_inter when `scaled`; length nx*ny*nz. */
  data: VoxelArray;
  scaled: boolean;
}

export interface LabelMap extends Grid {
  file: string;
  voxelVolume: number;
  labels: Int32Array;
  /** Label names stored as text inside the file (MRIcron atlases); empty if none. */
  embeddedNames: Map<number, string>;
}

export interface DtypeInfo {
  dtype: Dtype;
  bytes: number;
  integer: boolean;
}

/** NIfTI datatype codes this reader supports. */
export const NIFTI_DTYPES: ReadonlyMap<number, DtypeInfo> = new Map([
  [2, { dtype: 'uint8', bytes: 1, integer: true }],
  [4, { dtype: 'int16', bytes: 2, integer: true }],
  [8, { dtype: 'int32', bytes: 4, integer: true }],
  [16, { dtype: 'float32', bytes: 4, integer: false }],
  [64, { dtype: 'float64', bytes: 8, integer: false }],
  [256, { dtype: 'int8', bytes: 1, integer: true }],
  [512, { dtype: 'uint16', bytes: 2, integer: true }],
  [768, { dtype: 'uint32', bytes: 4, integer: true }],
] as [number, DtypeInfo][]);

/** Names of the NIfTI datatypes we refuse, for a helpful message. */
export const UNSUPPORTED_DTYPES: ReadonlyMap<number, string> = new Map([
  [0, 'unknown'],
  [1, 'binary'],
  [32, 'complex64'],
  [128, 'RGB24'],
  [1024, 'int64'],
  [1280, 'uint64'],
  [1536, 'float128'],
  [1792, 'complex128'],
  [2048, 'complex256'],
  [2304, 'RGBA32'],
]);
