import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../helpers/cli.js';
import { findSidecarTable, parseEmbeddedLabels, parseLabelTable, readLabelTable } from '../../src/nifti/index.js';
import { tempDir, writeFile } from './fixtures.js';

const MRICRON = join(sharedDir, 'nifti', 'data', 'mricron-data');
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('label tables (format detected from the content)', () => {
  it('FreeSurferColorLUT: index name R G B A, # comments, ragged spacing', () => {
    const lut = [
      '#$Id: FreeSurferColorLUT.txt $',
      '',
      '#No. Label Name:                            R   G   B   A',
      '0   Unknown                                 0   0   0   0',
      '2   Left-Cerebral-White-Matter            245 245 245   0',
      '  17  Left-Hippocampus                      220 216  20   0',
      '1000    ctx-lh-unknown                      25   5  25   0',
    ].join('\n');
    const t = parseLabelTable(lut, 'FreeSurferColorLUT.txt');
    expect([...t.entries()]).toEqual([
      [0, 'Unknown'],
      [2, 'Left-Cerebral-White-Matter'],
      [17, 'Left-Hippocampus'],
      [1000, 'ctx-lh-unknown'],
    ]);
  });
  it('BIDS dseg.tsv: index and name columns, extra columns ignored, any column order', () => {
    const tsv = 'name\tindex\tabbreviation\tcolor\nBackground\t0\tBG\t#000000\nGray Matter\t1\tGM\t#808080\nWhite Matter\t2\tWM\t#ffffff\n';
    expect([...parseLabelTable(tsv, 'x_dseg.tsv').entries()]).toEqual([
      [0, 'Background'],
      [1, 'Gray Matter'],
      [2, 'White Matter'],
    ]);
  });
  it('a CSV with index,name header (quoted names with commas)', () => {
    const csv = 'index,name\r\n5,"Inferior Frontal Gyrus, pars triangularis"\r\n6,Insula\r\n';
    expect(parseLabelTable(csv, 'x.csv').get(5)).toBe('Inferior Frontal Gyrus, pars triangularis');
  });
  it('MRIcron aal.nii.txt: CRLF, "index name code"', () => {
    const t = readLabelTable(join(MRICRON, 'aal.nii.txt'));
    expect(t.size).toBe(116);
    expect(t.get(1)).toBe('Precentral_L');
    expect(t.get(116)).toBe('Vermis_10');
  });
  it('MRIcron JHU .nii.txt: tab separated', () => {
    const t = readLabelTable(join(MRICRON, 'JHU-WhiteMatter-labels-1mm.nii.txt'));
    expect(t.size).toBe(49);
    expect(t.get(0)).toBe('Unclassified');
    expect(t.get(2)).toBe('Pontine_crossing_tract_(a_part_of_MCP)');
  });
  it('tab-separated names keep their spaces', () => {
    expect(parseLabelTable('1\tFrontal Pole\n2\tInsular Cortex\n', 't.txt').get(1)).toBe('Frontal Pole');
  });
  it('errors name the file and line', () => {
    expect(() => parseLabelTable('0 Unknown\nLeft-Thalamus 10\n', 'lut.txt')).toThrow(/lut\.txt, line 2: expected "index name/);
    expect(() => parseLabelTable('index\tname\n1\tA\nx\tB\n', 'd_dseg.tsv')).toThrow(/d_dseg\.tsv, line 3, field index: "x" is not an integer label/);
    expect(() => parseLabelTable('index\tname\n1\tA\n1\tB\n', 'd_dseg.tsv')).toThrow(/line 3, field index: label 1 appears twice/);
    expect(() => parseLabelTable('1 A\n1 B\n', 'lut.txt')).toThrow(/lut\.txt, line 2: label 1 is named twice/);
    expect(() => readLabelTable(join(dir, 'absent.txt'))).toThrow(/absent\.txt: label table not found/);
  });
  it('embedded text: binary or non-table bytes give no names rather than an error', () => {
    expect(parseEmbeddedLabels(new Uint8Array([1, 2, 3, 0, 0])).size).toBe(0);
    expect(parseEmbeddedLabels(new TextEncoder().encode('made by some tool\n')).size).toBe(0);
    expect(parseEmbeddedLabels(new Uint8Array(64)).size).toBe(0);
    const t = parseEmbeddedLabels(new TextEncoder().encode('1\tA b\n2\tC\n    '));
    expect([...t.entries()]).toEqual([
      [1, 'A b'],
      [2, 'C'],
    ]);
  });
});

describe('sidecar tables', () => {
  it('<file>.txt beside .nii.gz (aal.nii.gz -> aal.nii.txt), BIDS _dseg.tsv, none', () => {
    expect(findSidecarTable(join(MRICRON, 'aal.nii.gz'))).toBe(join(MRICRON, 'aal.nii.txt'));
    writeFile(dir, 'sub-01_dseg.nii.gz', 'x');
    const tsv = writeFile(dir, 'sub-01_dseg.tsv', 'index\tname\n1\tGM\n');
    expect(findSidecarTable(join(dir, 'sub-01_dseg.nii.gz'))).toBe(tsv);
    expect(findSidecarTable(join(MRICRON, 'natbrainlab.nii.gz'))).toBeNull();
  });
});
