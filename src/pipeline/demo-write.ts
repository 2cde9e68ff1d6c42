import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeNifti1 } from '../nifti/write.js';
import { writeAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { DEMO_COHORT_DEFAULTS, DEMO_SUBTYPES, sampleDemoCohort, type DemoCohortOptions, type DemoSubject } from './demo-cohort.js';
import { DEMO_GRID, renderDemoSubject, type DemoGrid } from './demo-render.js';
import { DEMO13_GRID, renderDemo13Subject } from './demo13.js';
import { CLINICAL_COLUMNS, demoClinicalRows } from './demo-clinical.js';

/**
 * Writes a demo cohort: DIR/nifti/<id>_dseg.nii.gz (label map) and <id>_lesion.nii.gz (binary
 * lesion mask), DIR/manifest.csv (what `extract` and `run` read; paths relative to DIR) and
 * DIR/truth.csv (the generator's subtype and stage per subject, for checking the fit) and
 * DIR/clinical.csv (outcomes linked to the true subtypes and stages, for `ms-subtype outcomes`).
 * Deterministic: the same options give the same bytes.
 */
export interface WriteDemoOptions extends Partial<DemoCohortOptions> {
  grid?: DemoGrid;
  /**
   * 'manifest' (default): nifti/ + manifest.csv. 'bids': a BIDS derivatives folder instead,
   * sub-NNNN/anat/sub-NNNN_dseg.nii.gz (+ _dseg.tsv, _label-lesion_mask.nii.gz) and participants.tsv.
   */
  layout?: 'manifest' | 'bids';
  /** called after each subject is written (progress) */
  onSubject?: (done: number, total: number) => void;
}

export const MANIFEST_COLUMNS = ['subject_id', 'labels', 'lesion', 'group', 'age', 'sex', 'site'] as const;
export const TRUTH_COLUMNS = ['subject_id', 'group', 'subtype', 'subtype_name', 'stage'] as const;

export function writeDemoCohort(dir: string, opts: WriteDemoOptions = {}): DemoSubject[] {
  const { grid = DEMO_GRID, onSubject, layout = 'manifest', ...cohortOpts } = opts;
  const subjects = sampleDemoCohort(cohortOpts);
  const labelsAt = layout === 'bids' ? (id: string) => `${id}/anat/${id}_dseg.nii.gz` : labelsPath;
  const lesionAt = layout === 'bids' ? (id: string) => `${id}/anat/${id}_label-lesion_mask.nii.gz` : lesionPath;
  subjects.forEach((s, i) => {
    const r = renderDemoSubject(s, grid);
    const header = { dims: grid.dims, affine: r.affine, dtype: 'uint8' as const };
    // gzip level 9 (not the writer's 6): a fifth smaller, and these files live in the repository.
    const gz = (v: Uint8Array, description: string) => gzipSync(encodeNifti1(v, { ...header, description }, false), { level: 9 });
    writeAtomic(join(dir, labelsAt(s.id)), gz(r.labels, 'ms-subtype demo label map (aseg numbers)'));
    writeAtomic(join(dir, lesionAt(s.id)), gz(r.lesion, 'ms-subtype demo lesion mask'));
    if (layout === 'bids') writeAtomic(join(dir, `${s.id}/anat/${s.id}_dseg.tsv`), DSEG_TSV);
    onSubject?.(i + 1, subjects.length);
  });
  if (layout === 'bids') {
    const rows = subjects.map((s) => [s.id, s.group, s.age.toFixed(1), s.sex, s.site].join('\t'));
    writeAtomic(join(dir, 'participants.tsv'), ['participant_id\tgroup\tage\tsex\tsite', ...rows, ''].join('\n'));
  } else {
    writeCsvAtomic(
      join(dir, 'manifest.csv'),
      MANIFEST_COLUMNS,
      subjects.map((s) => [s.id, labelsPath(s.id), lesionPath(s.id), s.group, s.age.toFixed(1), s.sex, s.site]),
    );
  }
  writeTruth(dir, subjects);
  writeCsvAtomic(join(dir, 'clinical.csv'), CLINICAL_COLUMNS, demoClinicalRows(subjects, cohortOpts.seed ?? DEMO_COHORT_DEFAULTS.seed));
  return subjects;
}

function writeTruth(dir: string, subjects: DemoSubject[]): void {
  writeCsvAtomic(
    join(dir, 'truth.csv'),
    TRUTH_COLUMNS,
    subjects.map((s) => [s.id, s.group, s.subtype < 0 ? '' : String(s.subtype), s.subtype < 0 ? '' : DEMO_SUBTYPES[s.subtype]!.name, s.stage.toFixed(3)]),
  );
}

export const MANIFEST13_COLUMNS = ['subject_id', 'labels', 'wmparc', 'lesion_mask', 't1w', 't2w', 'group', 'age', 'sex', 'site'] as const;

/**
 * The 13-feature demo (for data/features/ms-13.json): per subject nifti/<id>_aparc+aseg.nii.gz,
 * _wmparc.nii.gz (int16 FreeSurfer numbers), _lesion.nii.gz, _T1w.nii.gz and _T2w.nii.gz (int16),
 * a manifest with those columns, and truth.csv. Same subjects as writeDemoCohort with the same options.
 */
export function writeDemo13Cohort(dir: string, opts: Omit<WriteDemoOptions, 'layout'> = {}): DemoSubject[] {
  const { grid = DEMO13_GRID, onSubject, ...cohortOpts } = opts;
  const subjects = sampleDemoCohort(cohortOpts);
  const files = (id: string) => ['aparc+aseg', 'wmparc', 'lesion', 'T1w', 'T2w'].map((k) => `nifti/${id}_${k}.nii.gz`);
  subjects.forEach((s, i) => {
    const r = renderDemo13Subject(s, grid);
    const images: [ArrayLike<number>, 'int16' | 'uint8', string][] = [
      [r.aparcAseg, 'int16', 'ms-subtype demo aparc+aseg'],
      [r.wmparc, 'int16', 'ms-subtype demo wmparc'],
      [r.lesion, 'uint8', 'ms-subtype demo lesion mask'],
      [r.t1w, 'int16', 'ms-subtype demo T1w'],
      [r.t2w, 'int16', 'ms-subtype demo T2w'],
    ];
    files(s.id).forEach((f, k) => {
      const [data, dtype, description] = images[k]!;
      writeAtomic(join(dir, f), gzipSync(encodeNifti1(data, { dims: grid.dims, affine: r.affine, dtype, description }, false)));
    });
    onSubject?.(i + 1, subjects.length);
  });
  writeCsvAtomic(
    join(dir, 'manifest.csv'),
    MANIFEST13_COLUMNS,
    subjects.map((s) => {
      const [ap, wp, les, t1, t2] = files(s.id);
      return [s.id, ap!, wp!, les!, t1!, t2!, s.group, s.age.toFixed(1), s.sex, s.site];
    }),
  );
  writeTruth(dir, subjects);
  return subjects;
}

/** The BIDS label table of the demo's label maps (index, name). */
const DSEG_TSV = [
  'index\tname',
  ...(
    [
      [2, 'Left-Cerebral-White-Matter'],
      [3, 'Left-Cerebral-Cortex'],
      [4, 'Left-Lateral-Ventricle'],
      [7, 'Left-Cerebellum-White-Matter'],
      [8, 'Left-Cerebellum-Cortex'],
      [10, 'Left-Thalamus'],
      [11, 'Left-Caudate'],
      [12, 'Left-Putamen'],
      [13, 'Left-Pallidum'],
      [16, 'Brain-Stem'],
      [17, 'Left-Hippocampus'],
      [18, 'Left-Amygdala'],
      [24, 'CSF'],
      [26, 'Left-Accumbens-area'],
      [41, 'Right-Cerebral-White-Matter'],
      [42, 'Right-Cerebral-Cortex'],
      [43, 'Right-Lateral-Ventricle'],
      [46, 'Right-Cerebellum-White-Matter'],
      [47, 'Right-Cerebellum-Cortex'],
      [49, 'Right-Thalamus'],
      [50, 'Right-Caudate'],
      [51, 'Right-Putamen'],
      [52, 'Right-Pallidum'],
      [53, 'Right-Hippocampus'],
      [54, 'Right-Amygdala'],
      [58, 'Right-Accumbens-area'],
    ] as const
  ).map(([i, n]) => `${i}\t${n}`),
  '',
].join('\n');

export function labelsPath(id: string): string {
  return `nifti/${id}_dseg.nii.gz`;
}

export function lesionPath(id: string): string {
  return `nifti/${id}_lesion.nii.gz`;
}
