/**
 * Image reading for ms-subtype: NIfTI-1/-2 (.nii, .nii.gz, .hdr/.img pairs, either byte order)
 * and FreeSurfer .mgh/.mgz; label maps, scalar maps, label-name tables and label volumes.
 */
export type { Grid, NiftiHeader, NiftiImage, LabelMap, Dtype, VoxelArray, AffineSource, ImageFormat } from './types.js';
export { readImage, readScalarMap, readLabelMap, readHeader, isGzip } from './read.js';
export { countLabels, readLabelTable, parseLabelTable, parseEmbeddedLabels } from './labels.js';
export { gridMismatch, det3 } from './affine.js';
export { parseNiftiHeader } from './header.js';
export { parseMghHeader } from './mgh.js';
export { labelVolumes, findSidecarTable, volumesCsv, formatVolume, type LabelVolume } from './volumes.js';
export { encodeNifti1, encodeMgh, type WriteNiftiOptions, type WritableDtype, type AnyWritableDtype, type WriteMghOptions, type MghDtype } from './write.js';
