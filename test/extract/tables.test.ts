import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseAsegStats, parseAsegstats2table, parseSynthsegVolumes, sniffTable, subjectFromName } from '../../src/extract/tables.js';
import { extractCohort } from '../../src/extract/index.js';
import { tempDir, writeText, cleanup } from './fixtures.js';

afterAll(cleanup);

/** An aseg.stats as FreeSurfer 7 writes it (values invented): header measures, then the table. */
function asegStats(subject: string, scale: number): string {
  const rows: [number, number, string][] = [
    [4, 9000, 'Left-Lateral-Ventricle'],
    [5, 310, 'Left-Inf-Lat-Vent'],
    [7, 14100, 'Left-Cerebellum-White-Matter'],
    [8, 52000, 'Left-Cerebellum-Cortex'],
    [10, 7600, 'Left-Thalamus'],
    [11, 3400, 'Left-Caudate'],
    [12, 4700, 'Left-Putamen'],
    [13, 1900, 'Left-Pallidum'],
    [14, 850, '3rd-Ventricle'],
    [15, 1700, '4th-Ventricle'],
    [16, 21000, 'Brain-Stem'],
    [17, 4100, 'Left-Hippocampus'],
    [18, 1500, 'Left-Amygdala'],
    [24, 1000, 'CSF'],
    [26, 520, 'Left-Accumbens-area'],
    [28, 3900, 'Left-VentralDC'],
    [43, 8700, 'Right-Lateral-Ventricle'],
    [44, 290, 'Right-Inf-Lat-Vent'],
    [46, 14000, 'Right-Cerebellum-White-Matter'],
    [47, 53000, 'Right-Cerebellum-Cortex'],
    [49, 7400, 'Right-Thalamus'],
    [50, 3500, 'Right-Caudate'],
    [51, 4800, 'Right-Putamen'],
    [52, 1850, 'Right-Pallidum'],
    [58, 560, 'Right-Accumbens-area'],
    [77, 2300, 'WM-hypointensities'],
    [78, 0, 'Left-WM-hypointensities'],
    [79, 0, 'Right-WM-hypointensities'],
    [251, 900, 'CC_Posterior'],
    [252, 450, 'CC_Mid_Posterior'],
    [253, 440, 'CC_Central'],
    [254, 460, 'CC_Mid_Anterior'],
    [255, 850, 'CC_Anterior'],
  ];
  const head = [
    '# Title Segmentation Statistics ',
    '# ',
    '# generating_program mri_segstats',
    '# cmdline mri_segstats --seed 1234 --seg mri/aseg.mgz --sum stats/aseg.stats --pv mri/norm.mgz --empty --brainmask mri/brainmask.mgz',
    '# sysname  Linux',
    '# anatomy_type volume',
    '# ',
    '# SUBJECTS_DIR /data/fs',
    `# subjectname ${subject}`,
    '# Measure BrainSeg, BrainSegVol, Brain Segmentation Volume, 1133487.000000, mm^3',
    `# Measure lhCortex, lhCortexVol, Left hemisphere cortical gray matter volume, ${(240000 * scale).toFixed(6)}, mm^3`,
    `# Measure rhCortex, rhCortexVol, Right hemisphere cortical gray matter volume, ${(242000 * scale).toFixed(6)}, mm^3`,
    `# Measure Cortex, CortexVol, Total cortical gray matter volume, ${(482000 * scale).toFixed(6)}, mm^3`,
    `# Measure lhCerebralWhiteMatter, lhCerebralWhiteMatterVol, Left hemisphere cerebral white matter volume, ${(230000 * scale).toFixed(6)}, mm^3`,
    `# Measure rhCerebralWhiteMatter, rhCerebralWhiteMatterVol, Right hemisphere cerebral white matter volume, ${(231000 * scale).toFixed(6)}, mm^3`,
    `# Measure EstimatedTotalIntraCranialVol, eTIV, Estimated Total Intracranial Volume, ${(1550000 * scale).toFixed(6)}, mm^3`,
    '# SegVolFile mri/aseg.mgz ',
    '# NRows 33 ',
    '# NTableCols 10 ',
    '# ColHeaders  Index SegId NVoxels Volume_mm3 StructName normMean normStdDev normMin normMax normRange  ',
  ];
  const body = rows.map(
    ([id, v, name], i) =>
      `${String(i + 1).padStart(3)} ${String(id).padStart(4)} ${String(Math.round(v * scale)).padStart(8)} ${(v * scale).toFixed(1).padStart(10)}  ${name.padEnd(32)} 80.1 10.2 30.0 110.0 80.0 `,
  );
  return [...head, ...body, ''].join('\n');
}

const FEATURES = ['deep_grey_matter', 'cortical_grey_matter', 'cerebellum', 'brainstem', 'cerebral_white_matter', 'lateral_ventricles', 'lesion_load', 'icv'];

function readOut(file: string) {
  const [head, ...rows] = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
}

describe('volume tables', () => {
  it('reads aseg.stats: table rows by SegId, cortex/WM from the surface measures, eTIV', () => {
    const t = parseAsegStats(asegStats('sub-07', 1), '/data/fs/sub-07/stats/aseg.stats');
    expect(t.subject).toBe('sub-07');
    expect(t.icv).toBe(1550000);
    expect(t.volumes.get(10)).toBe(7600);
    expect(t.volumes.get(3)).toBe(240000);
    expect(t.volumes.get(41)).toBe(231000);
    expect(sniffTable(asegStats('x', 1))).toBe('aseg-stats');
  });

  it('names the subject from the folder above stats/ when the file has no subjectname', () => {
    const text = asegStats('x', 1).replace('# subjectname x\n', '');
    expect(parseAsegStats(text, '/data/fs/bert/stats/aseg.stats').subject).toBe('bert');
    expect(() => parseAsegStats('# Title Segmentation Statistics\n# Measure Foo\n', 'a.stats')).toThrow(/a\.stats.*Measure/);
  });

  it('extracts features from aseg.stats files through the feature definitions', async () => {
    const d = tempDir();
    const a = writeText(join(d, 'fs', 's1', 'stats', 'aseg.stats'), asegStats('s1', 1));
    const b = writeText(join(d, 'fs', 's2', 'stats', 'aseg.stats'), asegStats('s2', 1.1));
    writeText(join(d, 'fs', 'fsaverage', 'mri', 'orig.mgz'), 'x');
    // the same through the SUBJECTS_DIR folder
    await extractCohort({ inputs: [join(d, 'fs')], out: join(d, 'dir.csv'), quiet: true });
    const r = await extractCohort({ inputs: [a, b], out: join(d, 'f.csv'), quiet: true });
    expect(readFileSync(join(d, 'dir.csv'), 'utf8')).toBe(readFileSync(join(d, 'f.csv'), 'utf8'));
    expect(r.failures).toEqual([]);
    const rows = readOut(join(d, 'f.csv'));
    expect(Object.keys(rows[0]!)).toEqual(['subject_id', 'session', ...FEATURES]);
    expect(rows.map((x) => x.subject_id)).toEqual(['s1', 's2']);
    const s1 = rows[0]!;
    expect(Number(s1.deep_grey_matter)).toBe(7600 + 7400 + 3400 + 3500 + 4700 + 4800 + 1900 + 1850 + 520 + 560);
    expect(Number(s1.cortical_grey_matter)).toBe(482000);
    expect(Number(s1.cerebral_white_matter)).toBe(230000 + 231000 + 900 + 450 + 440 + 460 + 850);
    expect(Number(s1.cerebellum)).toBe(14100 + 52000 + 14000 + 53000);
    expect(Number(s1.lateral_ventricles)).toBe(9000 + 310 + 8700 + 290);
    expect(Number(s1.lesion_load)).toBe(2300);
    expect(Number(s1.icv)).toBe(1550000);
    expect(Number(rows[1]!.icv)).toBeCloseTo(1550000 * 1.1, 4);
    const side = JSON.parse(readFileSync(join(d, 'f.csv.json'), 'utf8'));
    expect(side.input.kind).toBe('aseg-stats');
    expect(side.subjects[0].inputs[0]).toMatchObject({ role: 'aseg_stats', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('takes aseg.stats files from a manifest, carrying its covariates', async () => {
    const d = tempDir();
    writeText(join(d, 'fs', 'a', 'stats', 'aseg.stats'), asegStats('a', 1));
    writeText(join(d, 'fs', 'b', 'stats', 'aseg.stats'), asegStats('b', 0.9));
    const m = writeText(join(d, 'm.csv'), 'subject_id,labels,group,age\nA,fs/a/stats/aseg.stats,ms,31\nB,fs/b/stats/aseg.stats,control,29\n');
    const r = await extractCohort({ inputs: [m], out: join(d, 'o.csv'), quiet: true, jobs: 1 });
    expect(r.failures).toEqual([]);
    const rows = readOut(join(d, 'o.csv'));
    expect(rows[1]).toMatchObject({ subject_id: 'B', group: 'control', age: '29', brainstem: String(21000 * 0.9), icv: String(1550000 * 0.9) });
  });

  it('reads asegstats2table output (tab-separated, Measure:volume) with BIDS-style names', async () => {
    const cols = [
      'Measure:volume',
      'Left-Lateral-Ventricle',
      'Left-Thalamus',
      'Left-Caudate',
      'Brain-Stem',
      'Right-Lateral-Ventricle',
      'Right-Thalamus',
      'WM-hypointensities',
      'lhCortexVol',
      'rhCortexVol',
      'CortexVol',
      'lhCerebralWhiteMatterVol',
      'rhCerebralWhiteMatterVol',
      'EstimatedTotalIntraCranialVol',
    ];
    const text = [
      cols.join('\t'),
      ['sub-01_ses-01', 9000, 7600, 3400, 21000, 8700, 7400, 2300, 240000, 242000, 482000, 230000, 231000, 1550000].join('\t'),
      ['sub-02_ses-01', 12000, 7000, 3300, 20500, 11800, 6900, 5100, 230000, 231000, 461000, 220000, 222000, 1490000].join('\t'),
      '',
    ].join('\n');
    expect(sniffTable(text)).toBe('asegstats2table');
    const t = parseAsegstats2table(text, 'aseg.tsv');
    expect(t.map((x) => [x.subject, x.session])).toEqual([
      ['sub-01', 'ses-01'],
      ['sub-02', 'ses-01'],
    ]);
    const d = tempDir();
    const f = writeText(join(d, 'aseg_vol.tsv'), text);
    const r = await extractCohort({ inputs: [f], out: join(d, 'o.csv'), quiet: true });
    const rows = readOut(join(d, 'o.csv'));
    expect(rows[1]).toMatchObject({
      subject_id: 'sub-02',
      session: 'ses-01',
      deep_grey_matter: String(7000 + 6900 + 3300),
      lateral_ventricles: String(12000 + 11800),
      cortical_grey_matter: '461000',
      lesion_load: '5100',
      icv: '1490000',
      cerebellum: '',
    });
    expect(r.warnings.join('\n')).toMatch(/cerebellum is empty for every subject/);
    // covariates joined from a clinical table (one subject missing from it)
    const cov = writeText(join(d, 'clinical.csv'), 'subject_id,session,group,age\nsub-01,ses-01,control,30\n');
    const r2 = await extractCohort({ inputs: [f], out: join(d, 'o2.csv'), covariates: cov, quiet: true });
    const rows2 = readOut(join(d, 'o2.csv'));
    expect(rows2.map((x) => [x.subject_id, x.group, x.age])).toEqual([
      ['sub-01', 'control', '30'],
      ['sub-02', '', ''],
    ]);
    expect(Object.keys(rows2[0]!).slice(0, 5)).toEqual(['subject_id', 'session', 'group', 'age', 'deep_grey_matter']);
    expect(r2.warnings.join('\n')).toMatch(/1 subject\(s\) are not in .*clinical\.csv/);
    expect(JSON.parse(readFileSync(join(d, 'o2.csv.json'), 'utf8')).input.covariates.path).toBe(cov);
  });

  it('reads a SynthSeg --vol CSV (lower-case names, total intracranial, scan paths as subjects)', async () => {
    const names = [
      'left cerebral white matter',
      'left cerebral cortex',
      'left lateral ventricle',
      'left inferior lateral ventricle',
      'left cerebellum white matter',
      'left cerebellum cortex',
      'left thalamus',
      'left caudate',
      'left putamen',
      'left pallidum',
      '3rd ventricle',
      '4th ventricle',
      'brain-stem',
      'left hippocampus',
      'left amygdala',
      'csf',
      'left accumbens area',
      'left ventral DC',
      'right cerebral white matter',
      'right cerebral cortex',
      'right lateral ventricle',
      'right inferior lateral ventricle',
      'right cerebellum white matter',
      'right cerebellum cortex',
      'right thalamus',
      'right caudate',
      'right putamen',
      'right pallidum',
      'right hippocampus',
      'right amygdala',
      'right accumbens area',
      'right ventral DC',
    ];
    const vols = (k: number) => names.map((_, i) => (1000 + 37 * i) * k);
    const text = [
      ['subject', 'total intracranial', ...names].join(','),
      ['/scans/p001_T1w_synthseg.nii.gz', 1500000, ...vols(1)].join(','),
      ['/scans/p002_T1w_synthseg.nii.gz', 1400000, ...vols(2)].join(','),
      '',
    ].join('\n');
    expect(sniffTable(text)).toBe('synthseg');
    const d = tempDir();
    const f = writeText(join(d, 'vol.csv'), text);
    await extractCohort({ inputs: [f], out: join(d, 'o.csv'), quiet: true });
    const rows = readOut(join(d, 'o.csv'));
    expect(rows.map((r) => r.subject_id)).toEqual(['p001_T1w', 'p002_T1w']);
    const v = (name: string, k: number) => (1000 + 37 * names.indexOf(name)) * k;
    const sum = (k: number, ...ns: string[]) => ns.reduce((s, n) => s + v(n, k), 0);
    expect(Number(rows[1]!.cerebellum)).toBe(sum(2, 'left cerebellum white matter', 'left cerebellum cortex', 'right cerebellum white matter', 'right cerebellum cortex'));
    expect(Number(rows[0]!.deep_grey_matter)).toBe(
      sum(
        1,
        'left thalamus',
        'left caudate',
        'left putamen',
        'left pallidum',
        'left accumbens area',
        'right thalamus',
        'right caudate',
        'right putamen',
        'right pallidum',
        'right accumbens area',
      ),
    );
    expect(Number(rows[0]!.cerebral_white_matter)).toBe(sum(1, 'left cerebral white matter', 'right cerebral white matter'));
    expect(rows[0]!.icv).toBe('1500000');
    expect(rows[0]!.lesion_load).toBe(''); // SynthSeg has no lesion label: missing, not zero
  });

  it('refuses duplicate subjects and non-numbers naming file, line and field', () => {
    const text = 'subject,total intracranial,left thalamus,right thalamus,brain-stem\na.nii,1,2,3,4\na.nii,1,2,3,4\n';
    expect(() => parseSynthsegVolumes(text, 'v.csv')).toThrow(/v\.csv, line 3: subject a appears twice/);
    const bad = 'subject,total intracranial,left thalamus,right thalamus,brain-stem\na.nii,1,x,3,4\n';
    expect(() => parseSynthsegVolumes(bad, 'v.csv')).toThrow(/v\.csv, line 2, subject a, field left thalamus: "x" is not a number/);
  });

  it('takes subject and session from BIDS entities in names', () => {
    expect(subjectFromName('/d/sub-03/ses-2/anat/sub-03_ses-2_T1w_synthseg.nii.gz')).toEqual({ subject: 'sub-03', session: 'ses-2' });
    expect(subjectFromName('bert')).toEqual({ subject: 'bert', session: '' });
  });
});
