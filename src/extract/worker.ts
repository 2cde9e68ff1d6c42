import { readFileSync } from 'node:fs';
import { UserError, formatMessage } from '../common/errors.js';
import { regularFileProblem } from '../common/regular-file.js';
import { sha256File } from '../io/hash.js';
import { readLabelMap, readImage, readScalarMap, gridMismatch, type Grid } from '../nifti/index.js';
import { measureFromVolumes, type LabelArray } from './measure.js';
import { measureByLabelMap, readRatio } from './multi.js';
import { DEFAULT_LABEL_MAP } from './features.js';
import { parseAsegStats } from './tables.js';
import type { SubjectTask, SubjectResult, InputRecord } from './types.js';
import { stampOf, taskFiles } from './resume.js';

/**
 * One subject, start to end: check files exist, read the label map, read every other image and
 * check it shares the label map's grid, measure, hash. Runs in a worker thread (default
 * export, for the pool) or in-process with one thread; returns plain data, never throws, so one
 * bad subject cannot stop the batch.
 */
export default function extractSubject(task: SubjectTask): SubjectResult {
  let current = task.labels.shown;
  try {
    if (task.labels.path === '') return fail(task, '', 'no label map given (empty labels cell)');
    const files = taskFiles(task);
    // taken before reading: a file replaced while (or after) it is read no longer matches on --resume
    const stamp = stampOf(files);
    for (const f of files) {
      current = f.shown;
      const problem = regularFileProblem(f.path);
      if (problem !== null) return fail(task, f.shown, problem);
    }
    if (/\.stats$/i.test(task.labels.path)) return { ...fromAsegStats(task), stamp } as SubjectResult;

    current = task.labels.shown;
    const lm = readLabels(task.labels.path);
    // Other images are read whole and then grid-checked: a header-only read of a .gz inflates a
    // prefix that, for a mask compressing 100:1, is most of the file anyway.
    const offGrid = (f: { shown: string }, role: string, g: Grid) => {
      const why = gridMismatch(lm.grid, g, task.gridTolerance);
      return why === null ? null : fail(task, f.shown, `not on the label map's grid (${role} vs labels: ${why})`);
    };
    let lesion: ArrayLike<number> | undefined;
    if (task.lesion) {
      current = task.lesion.shown;
      // Native type kept (a uint8 mask stays 1 byte a voxel); NaN voxels compare false: not lesion.
      const img = readImage(task.lesion.path);
      const bad = offGrid(task.lesion, 'lesion_mask', img);
      if (bad) return bad;
      lesion = img.data;
    }
    const maps = new Map<string, ArrayLike<number>>();
    for (const m of task.maps) {
      current = m.shown;
      const img = readScalarMap(m.path);
      const bad = offGrid(m, `map:${m.name}`, img);
      if (bad) return bad;
      maps.set(m.name, img.data);
    }
    for (const r of task.ratios ?? []) {
      const ratio = readRatio(r, lm.grid, task.gridTolerance, (f) => (current = f));
      if (typeof ratio === 'string') return fail(task, current, ratio);
      maps.set(r.name, ratio);
    }
    const labelMaps = new Map<string, LabelArray>([[DEFAULT_LABEL_MAP, lm.labels]]);
    for (const m of task.labelMaps ?? []) {
      current = m.shown;
      const other = readLabels(m.path);
      const bad = offGrid(m, `labels:${m.name}`, other.grid);
      if (bad) return bad;
      labelMaps.set(m.name, other.labels);
    }
    const m = measureByLabelMap(labelMaps, { voxelVolume: lm.voxelVolume, lesion, maps }, task.defs, task.lesionThreshold);
    // A mean feature whose map this subject lacks is missing, not zero.
    const values = m.values.map((v, k) => {
      const d = task.defs[k]!;
      return d.measure === 'mean' && !maps.has(d.map!) ? NaN : v;
    });
    return { ok: true, row: task.row, values, inputs: hashes(files), lesionSource: m.lesionSource, stamp };
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
export function readLabels(path: string): { labels: LabelArray; voxelVolume: number; grid: Grid } {
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
