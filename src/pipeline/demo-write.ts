import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeNifti1 } from '../nifti/write.js';
import { writeAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { DEMO_SUBTYPES, sampleDemoCohort, type DemoCohortOptions, type DemoSubject } from './demo-cohort.js';
import { DEMO_GRID, renderDemoSubject, type DemoGrid } from './demo-render.js';

/**
 * Writes a demo cohort: DIR/nifti/<id>_dseg.nii.gz (label map) and <id>_lesion.nii.gz (binary
 * lesion mask), DIR/manifest.csv (what `extract` and `run` read; paths relative to DIR) and
 * DIR/truth.csv (the generator's subtype and stage per subject, for checking the fit).
 * Deterministic: the same options give the same bytes.
 */
export interface WriteDemoOptions extends Partial<DemoCohortOptions> {
  grid?: DemoGrid;
  /** called after each subject is written (progress) */
  onSubject?: (done: number, total: number) => void;
}

export const MANIFEST_COLUMNS = ['subject_id', 'labels', 'lesion', 'group', 'age', 'sex', 'site'] as const;
export const TRUTH_COLUMNS = ['subject_id', 'group', 'subtype', 'subtype_name', 'stage'] as const;

export function writeDemoCohort(dir: string, opts: WriteDemoOptions = {}): DemoSubject[] {
  const { grid = DEMO_GRID, onSubject, ...cohortOpts } = opts;
  const subjects = sampleDemoCohort(cohortOpts);
  subjects.forEach((s, i) => {
    const r = renderDemoSubject(s, grid);
    const header = { dims: grid.dims, affine: r.affine, dtype: 'uint8' as const };
    // gzip level 9 (not the writer's 6): a fifth smaller, and these files live in the repository.
    const gz = (v: Uint8Array, description: string) => gzipSync(encodeNifti1(v, { ...header, description }, false), { level: 9 });
    writeAtomic(join(dir, labelsPath(s.id)), gz(r.labels, 'ms-subtype demo label map (aseg numbers)'));
    writeAtomic(join(dir, lesionPath(s.id)), gz(r.lesion, 'ms-subtype demo lesion mask'));
    onSubject?.(i + 1, subjects.length);
  });
  writeCsvAtomic(
    join(dir, 'manifest.csv'),
    MANIFEST_COLUMNS,
    subjects.map((s) => [s.id, labelsPath(s.id), lesionPath(s.id), s.group, s.age.toFixed(1), s.sex, s.site]),
  );
  writeCsvAtomic(
    join(dir, 'truth.csv'),
    TRUTH_COLUMNS,
    subjects.map((s) => [s.id, s.group, s.subtype < 0 ? '' : String(s.subtype), s.subtype < 0 ? '' : DEMO_SUBTYPES[s.subtype]!.name, s.stage.toFixed(3)]),
  );
  return subjects;
}

export function labelsPath(id: string): string {
  return `nifti/${id}_dseg.nii.gz`;
}

export function lesionPath(id: string): string {
  return `nifti/${id}_lesion.nii.gz`;
}
