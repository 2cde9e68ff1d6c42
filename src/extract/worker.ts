import { existsSync, statSync, readFileSync } from 'node:fs';
import { UserError, formatMessage } from '../common/errors.js';
import { sha256File } from '../io/hash.js';
import { readLabelMap, readImage, readScalarMap, readHeader, gridMismatch, type Grid } from '../nifti/index.js';
import { measureSubject, measureFromVolumes, type LabelArray } from './measure.js';
import { parseAsegStats } from './tables.js';
import type { SubjectTask, SubjectResult, InputRecord } from './types.js';

/**
 * One subject, start to end: check files exist, read the label map, check every other image shares
 * its grid (from their headers, before reading their voxels), read, measure, hash. Runs in a worker thread (default
 * export, for the pool) or in-process with one thread; returns plain data, never throws, so one
 * bad subject cannot stop the batch.
 */
export default function extractSubject(task: SubjectTask): SubjectResult {
  let current = task.labels.shown;
  try {
    if (task.labels.path === '') return fail(task, '', 'no label map given (empty labels cell)');
    const files: { role: string; path: string; shown: string }[] = [
      { role: 'labels', ...task.labels },
      ...(task.lesion ? [{ role: 'lesion_mask', ...task.lesion }] : []),
      ...task.maps.map((m) => ({ role: `map:${m.name}`, path: m.path, shown: m.shown })),
      ...task.extra,
    ];
    for (const f of files) {
      current = f.shown;
      if (!existsSync(f.path)) return fail(task, f.shown, 'file not found');
      if (!statSync(f.path).isFile()) return fail(task, f.shown, 'not a file');
    }
    if (/\.stats$/i.test(task.labels.path)) return fromAsegStats(task);

    current = task.labels.shown;
    const lm = readLabels(task.labels.path);
    // Other images: grid checked from their headers before their voxels are read.
    for (const f of files.slice(1)) {
      if (f.role === 'dseg_tsv') continue;
      current = f.shown;
      const g = readHeader(f.path);
      const other: Grid = { dims: [g.shape[0] ?? 1, g.shape[1] ?? 1, g.shape[2] ?? 1], affine: g.affine };
      const why = gridMismatch(lm.grid, other, task.gridTolerance);
      if (why !== null) return fail(task, f.shown, `not on the label map's grid (${f.role} vs labels: ${why})`);
    }
    let lesion: ArrayLike<number> | undefined;
    if (task.lesion) {
      current = task.lesion.shown;
      // Native type kept (a uint8 mask stays 1 byte a voxel); NaN voxels compare false: not lesion.
      lesion = readImage(task.lesion.path).data;
    }
    const maps = new Map<string, ArrayLike<number>>();
    for (const m of task.maps) {
      current = m.shown;
      maps.set(m.name, readScalarMap(m.path).data);
    }
    const m = measureSubject({ labels: lm.labels, voxelVolume: lm.voxelVolume, lesion, maps }, task.defs, task.lesionThreshold);
    // A mean feature whose map this subject lacks is missing, not zero.
    const values = m.values.map((v, k) => {
      const d = task.defs[k]!;
      return d.measure === 'mean' && !maps.has(d.map!) ? NaN : v;
    });
    return { ok: true, row: task.row, values, inputs: hashes(files), lesionSource: m.lesionSource };
  } catch (e) {
    if (e instanceof UserError) {
      const prefix = formatMessage('', e.place);
      const reason = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
      return fail(task, e.place.file !== undefined ? shownFor(task, e.place.file) : current, reason);
    }
    return fail(task, current, `internal error: ${(e as Error)?.message ?? String(e)}`);
  }
}

/**
 * Integer label maps without scaling are measured in their stored type (a view on the inflated
 * bytes: no 4-byte-per-voxel copy, which for a 1 mm map is most of the memory and a pass of time);
 * float or scaled label maps go through readLabelMap, which checks they hold whole numbers.
 */
function readLabels(path: string): { labels: LabelArray; voxelVolume: number; grid: Grid } {
  const img = readImage(path);
  const d = img.data;
  const grid: Grid = { dims: img.dims, affine: img.affine };
  if (!img.scaled && !(d instanceof Float32Array) && !(d instanceof Float64Array)) return { labels: d, voxelVolume: img.voxelVolume, grid };
  const lm = readLabelMap(path);
  return { labels: lm.labels, voxelVolume: lm.voxelVolume, grid };
}

function fromAsegStats(task: SubjectTask): SubjectResult {
  const t = parseAsegStats(readFileSync(task.labels.path, 'utf8'), task.labels.path);
  const values = measureFromVolumes(t, task.defs);
  return { ok: true, row: task.row, values, inputs: [{ role: 'aseg_stats', path: task.labels.shown, sha256: sha256File(task.labels.path) }], lesionSource: 'labels' };
}

function hashes(files: { role: string; path: string; shown: string }[]): InputRecord[] {
  return files.map((f) => ({ role: f.role, path: f.shown, sha256: sha256File(f.path) }));
}

/** Errors from the readers name the absolute path; report it as the manifest wrote it. */
function shownFor(task: SubjectTask, file: string): string {
  const all = [task.labels, task.lesion, ...task.maps, ...task.extra].filter((x) => x !== undefined);
  return all.find((f) => f.path === file)?.shown ?? file;
}

function fail(task: SubjectTask, file: string, reason: string): SubjectResult {
  return { ok: false, row: task.row, file, reason };
}
