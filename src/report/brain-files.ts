/** The brain view's files: reading the reference maps (one grid), writing DIR/brain-view.csv and its sidecar. */
import { basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import { UserError } from '../common/errors.js';
import { TOOL_NAME, toolVersion } from '../common/version.js';
import { writeCsvAtomic } from '../io/csv.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { sha256File } from '../io/hash.js';
import { gridMismatch, readImage, readLabelMap } from '../nifti/index.js';
import { DEFAULT_MAP } from './brain-paint.js';
import type { BrainInput, ReportOutput } from './types.js';

/** The name under which `--brain-map lesion=FILE` gives a lesion mask rather than a label map. */
export const LESION_MAP = 'lesion';

/**
 * Read `--brain FILE` (the default label map, the one features without `labelMap` refer to) and
 * `--brain-map NAME=FILE` (other label maps such as wmparc; `lesion` = a lesion mask).
 */
export function readBrainInput(file: string, others: Record<string, string> = {}, stages?: number[]): BrainInput {
  if (!existsSync(file)) throw new UserError('brain view label map not found', { file, field: '--brain' });
  const ref = readLabelMap(file);
  const labels = new Map<string, ArrayLike<number>>([[DEFAULT_MAP, ref.labels]]);
  const input: BrainInput = { maps: { dims: ref.dims, affine: ref.affine, labels }, source: basename(file) };
  for (const [name, path] of Object.entries(others)) {
    if (!existsSync(path)) throw new UserError(`brain view map "${name}" not found`, { file: path, field: '--brain-map' });
    const img = name === LESION_MAP ? readImage(path) : readLabelMap(path);
    const why = gridMismatch(ref, img);
    if (why !== null) throw new UserError(`not on the grid of the brain view's label map ${basename(file)} (${why})`, { file: path, field: '--brain-map' });
    if (name === LESION_MAP) input.maps.lesion = (img as ReturnType<typeof readImage>).data;
    else labels.set(name, (img as ReturnType<typeof readLabelMap>).labels);
  }
  if (stages !== undefined) input.stages = stages;
  return input;
}

/** "wmparc=wmparc.mgz" -> ["wmparc", "wmparc.mgz"]. */
export function parseBrainMap(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new UserError(`expected NAME=FILE (e.g. wmparc=wmparc.mgz or lesion=lesion.nii.gz), got "${value}"`, { field: '--brain-map' });
  return [value.slice(0, eq), value.slice(eq + 1)];
}

export const BRAIN_CSV = 'brain-view.csv';

/** DIR/brain-view.csv and DIR/brain-view.csv.json (what made it, what the columns mean). */
export function writeBrainTable(dir: string, view: NonNullable<ReportOutput['brainView']>, src: { model: string; brain: string; brainMaps: Record<string, string> }): string {
  const path = join(dir, BRAIN_CSV);
  writeCsvAtomic(path, view.columns, view.rows);
  writeJsonAtomic(`${path}.json`, {
    tool: TOOL_NAME,
    toolVersion: toolVersion(),
    command: 'report',
    model: { path: basename(src.model), sha256: sha256File(src.model) },
    labelMap: { path: basename(src.brain), sha256: sha256File(src.brain) },
    otherMaps: Object.fromEntries(Object.entries(src.brainMaps).map(([k, p]) => [k, { path: basename(p), sha256: sha256File(p) }])),
    stagesDrawn: view.stages,
    slices: view.slices,
    columns: {
      subtypes: 'number of subtypes of the model drawn (K)',
      subtype: '0-based subtype, as ml_subtype in subjects.csv',
      stage: 'events passed, 0..N',
      feature: 'biomarker (feature) name',
      threshold: 'z threshold of the event (1 for a model whose events have no z)',
      probability: 'share of the kept posterior samples in which this event sits at a position < stage',
    },
    rows: view.rows.length,
  });
  return path;
}
