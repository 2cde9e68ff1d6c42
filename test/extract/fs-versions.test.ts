import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseAsegStats } from '../../src/extract/tables.js';
import { extractCohort } from '../../src/extract/index.js';
import { tempDir, writeText, cleanup } from './fixtures.js';
import { runCli as run } from '../helpers/cli.js';

afterAll(cleanup);

/** Table rows shared by both versions (SegId, mm^3, name); values invented. */
const ROWS: [number, number, string][] = [
  [4, 9000, 'Left-Lateral-Ventricle'],
  [5, 310, 'Left-Inf-Lat-Vent'],
  [7, 14100, 'Left-Cerebellum-White-Matter'],
  [8, 52000, 'Left-Cerebellum-Cortex'],
  [10, 7600, 'Left-Thalamus-Proper'],
  [11, 3400, 'Left-Caudate'],
  [12, 4700, 'Left-Putamen'],
  [13, 1900, 'Left-Pallidum'],
  [16, 21000, 'Brain-Stem'],
  [26, 520, 'Left-Accumbens-area'],
  [43, 8700, 'Right-Lateral-Ventricle'],
  [44, 290, 'Right-Inf-Lat-Vent'],
  [46, 14000, 'Right-Cerebellum-White-Matter'],
  [47, 53000, 'Right-Cerebellum-Cortex'],
  [49, 7400, 'Right-Thalamus-Proper'],
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

function table(rows: [number, number, string][], version7: boolean): string[] {
  return rows.map(([id, v, name], i) => {
    const n = version7 ? name.replace('-Proper', '') : name;
    return `${String(i + 1).padStart(3)} ${String(id).padStart(4)} ${String(v).padStart(8)} ${v.toFixed(1).padStart(10)}  ${n.padEnd(32)} 80.1 10.2 30.0 110.0 80.0 `;
  });
}

/**
 * aseg.stats of one brain as FreeSurfer writes it: 5.3 names the white-matter measures
 * CorticalWhiteMatter and eTIV "IntraCranialVol, ICV"; 7.x says CerebralWhiteMatter and eTIV.
 */
function asegStats(version: '5.3' | '7', subject: string, wm: [number, number]): string {
  const v5 = version === '5.3';
  const w = v5 ? 'CorticalWhiteMatter' : 'CerebralWhiteMatter';
  const what = v5 ? 'cortical white matter' : 'cerebral white matter';
  return [
    '# Title Segmentation Statistics ',
    '# ',
    '# generating_program mri_segstats',
    ...(v5 ? ['# cvs_version $Id: mri_segstats.c,v 1.75.2.9 2013/02/16 00:09:33 greve Exp $'] : []),
    `# cmdline mri_segstats ${v5 ? '' : '--seed 1234 '}--seg mri/aseg.mgz --sum stats/aseg.stats --pv mri/norm.mgz --empty --brainmask mri/brainmask.mgz --brain-vol-from-seg --excludeid 0 --excl-ctxgmwm --supratent --subcortgray --in mri/norm.mgz --in-intensity-name norm --in-intensity-units MR --etiv --surf-wm-vol --surf-ctx-vol --totalgray --euler --ctab /usr/local/freesurfer/ASegStatsLUT.txt --subject bert `,
    '# sysname  Linux',
    '# anatomy_type volume',
    `# subjectname ${subject}`,
    '# Measure BrainSeg, BrainSegVol, Brain Segmentation Volume, 1133487.000000, mm^3',
    '# Measure lhCortex, lhCortexVol, Left hemisphere cortical gray matter volume, 240000.000000, mm^3',
    '# Measure rhCortex, rhCortexVol, Right hemisphere cortical gray matter volume, 242000.000000, mm^3',
    '# Measure Cortex, CortexVol, Total cortical gray matter volume, 482000.000000, mm^3',
    `# Measure lh${w}, lh${w}Vol, Left hemisphere ${what} volume, ${wm[0].toFixed(6)}, mm^3`,
    `# Measure rh${w}, rh${w}Vol, Right hemisphere ${what} volume, ${wm[1].toFixed(6)}, mm^3`,
    `# Measure ${w}, ${w}Vol, Total ${what} volume, ${(wm[0] + wm[1]).toFixed(6)}, mm^3`,
    v5
      ? '# Measure IntraCranialVol, ICV, Intracranial Volume, 1550000.000000, mm^3'
      : '# Measure EstimatedTotalIntraCranialVol, eTIV, Estimated Total Intracranial Volume, 1550000.000000, mm^3',
    '# SegVolFile mri/aseg.mgz ',
    '# NRows 27 ',
    '# NTableCols 10 ',
    '# ColHeaders  Index SegId NVoxels Volume_mm3 StructName normMean normStdDev normMin normMax normRange  ',
    ...table(ROWS, !v5),
    '',
  ].join('\n');
}

function readOut(file: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
}

describe('aseg.stats from FreeSurfer 5.3 and 7.x', () => {
  it("read the same cerebral white matter and ICV from each version's own measures", async () => {
    const dir = tempDir();
    const a = writeText(join(dir, 'fs53', 'bert', 'stats', 'aseg.stats'), asegStats('5.3', 'bert', [246000, 247000]));
    const b = writeText(join(dir, 'fs7', 'bert7', 'stats', 'aseg.stats'), asegStats('7', 'bert7', [246000, 247000]));
    expect(parseAsegStats(readFileSync(a, 'utf8'), a).volumes.get(2)).toBe(246000);
    const r = await extractCohort({ inputs: [a, b], out: join(dir, 'f.csv'), quiet: true });
    expect(r.warnings).toEqual([]);
    const [v53, v7] = readOut(join(dir, 'f.csv'));
    // 2/41 from the measures plus the five corpus callosum rows: 494,000 + 3,100, not 3,100 alone
    expect(Number(v53!.cerebral_white_matter)).toBe(246000 + 247000 + 900 + 450 + 440 + 460 + 850);
    for (const f of ['deep_grey_matter', 'cortical_grey_matter', 'cerebral_white_matter', 'icv', 'lesion_load']) expect(v53![f]).toBe(v7![f]);
    expect(v53!.icv).toBe('1550000');
  });

  it('warns, naming the feature and labels, when a table holds only part of a feature', async () => {
    const dir = tempDir();
    // an aseg.stats without any white-matter measure: the feature would be the corpus callosum alone
    const text = asegStats('7', 's1', [1, 1])
      .split('\n')
      .filter((l) => !/WhiteMatter/.test(l))
      .join('\n');
    const a = writeText(join(dir, 's1', 'stats', 'aseg.stats'), text);
    const r = await extractCohort({ inputs: [a], out: join(dir, 'f.csv'), quiet: true });
    expect(r.warnings.join('\n')).toMatch(/feature cerebral_white_matter is only partly in the table for every subject: labels 2, 41 are absent/);
    // and the CLI prints it
    const cli = run(['extract', a, '-o', join(dir, 'g.csv')]);
    expect(cli.stderr).toMatch(/warning: feature cerebral_white_matter is only partly in the table/);
  });

  it('--subject-from folder names subjects by their folder when sites copied one "# subjectname"', async () => {
    const dir = tempDir();
    writeText(join(dir, 'subjects', 'p01', 'stats', 'aseg.stats'), asegStats('7', 'bert', [1000, 1000]));
    writeText(join(dir, 'subjects', 'p02', 'stats', 'aseg.stats'), asegStats('7', 'bert', [1000, 1000]));
    const clash = run(['extract', join(dir, 'subjects'), '-o', join(dir, 'f.csv')]);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(/subject bert also comes from .*--subject-from folder/);
    const ok = run(['extract', join(dir, 'subjects'), '--subject-from', 'folder', '-o', join(dir, 'f.csv')]);
    expect(ok.code).toBe(0);
    expect(readOut(join(dir, 'f.csv')).map((r) => r.subject_id)).toEqual(['p01', 'p02']);
  });
});
