import { existsSync } from 'node:fs';
import { toCsv } from '../io/csv.js';
import { countLabels } from './labels.js';
import type { LabelMap } from './types.js';

/** One row of `ms-subtype volumes`. */
export interface LabelVolume {
  label: number;
  name: string;
  voxels: number;
  /** voxels x |det| of the affine's 3x3 part, mm^3 */
  volumeMm3: number;
}

/** Every label present (0 included), ascending, with its name from `names` ('' when absent). */
export function labelVolumes(map: LabelMap, names: ReadonlyMap<number, string> = map.embeddedNames): LabelVolume[] {
  return countLabels(map.labels).map(({ label, voxels }) => ({
    label,
    name: names.get(label) ?? '',
    voxels,
    volumeMm3: voxels * map.voxelVolume,
  }));
}

/**
 * The label-name sidecar a label map may have beside it: `<file>.txt` (MRIcron: aal.nii.txt, also
 * found for aal.nii.gz), or for BIDS `*_dseg.nii[.gz]` the `*_dseg.tsv`. null if none exists.
 */
export function findSidecarTable(file: string): string | null {
  const noGz = file.replace(/\.gz$/i, '');
  const candidates = [`${file}.txt`, `${noGz}.txt`];
  const bids = /^(.*_dseg)\.nii(\.gz)?$/i.exec(file);
  if (bids) candidates.push(`${bids[1]}.tsv`);
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** Volumes as Python prints floats ("28174.0", "0.5"), matching nibabel-made reference CSVs. */
export function formatVolume(v: number): string {
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
}

export const VOLUME_COLUMNS = ['label', 'name', 'voxels', 'volume_mm3'] as const;

export function volumesCsv(rows: readonly LabelVolume[]): string {
  return toCsv(
    VOLUME_COLUMNS,
    rows.map((r) => [String(r.label), r.name, String(r.voxels), formatVolume(r.volumeMm3)]),
  );
}
