import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../helpers/cli.js';
import { readTable } from '../../src/io/csv.js';
import { findSidecarTable, labelVolumes, readHeader, readImage, readLabelMap, readLabelTable, volumesCsv } from '../../src/nifti/index.js';

// Every label map in ../shared/nifti against the nibabel-computed expectations.
const NIFTI = join(sharedDir, 'nifti');
const DATA = join(NIFTI, 'data');
const EXPECTED = join(NIFTI, 'expected');
const summary = readTable(join(EXPECTED, 'SUMMARY.csv'));
const col = (name: string) => summary.columns.indexOf(name);
const headers = JSON.parse(readFileSync(join(EXPECTED, 'headers.json'), 'utf8')) as Record<string, Record<string, unknown>>;

/** The derived JHU 2 mm files carry no names: the reference took them from the JHU atlas's sidecar. */
const JHU_NAMES = join(DATA, 'mricron-data', 'JHU-WhiteMatter-labels-1mm.nii.txt');
function namesFor(file: string, map: ReturnType<typeof readLabelMap>): Map<number, string> {
  if (file.startsWith('derived/')) return readLabelTable(JHU_NAMES);
  const side = findSidecarTable(join(DATA, file));
  return side !== null ? readLabelTable(side) : map.embeddedNames;
}

const relClose = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);

describe('label maps in shared/nifti match the nibabel reference CSVs', () => {
  for (const row of summary.rows) {
    const file = row[col('file')]!;
    it(file, () => {
      const map = readLabelMap(join(DATA, file));
      const rows = labelVolumes(map, namesFor(file, map));
      const exp = readTable(join(EXPECTED, row[col('csv')]!));
      expect(exp.columns).toEqual(['label', 'name', 'voxels', 'volume_mm3']);
      expect(rows.map((r) => r.label)).toEqual(exp.rows.map((r) => Number(r[0])));
      exp.rows.forEach((e, i) => {
        const got = rows[i]!;
        expect(got.voxels, `voxels of label ${e[0]}`).toBe(Number(e[2]));
        expect(got.name, `name of label ${e[0]}`).toBe(e[1]);
        expect(relClose(got.volumeMm3, Number(e[3])), `volume of label ${e[0]}: ${got.volumeMm3} vs ${e[3]}`).toBe(true);
      });
      // totals and voxel size from SUMMARY.csv
      const nonzero = rows.filter((r) => r.label !== 0);
      expect(nonzero.length).toBe(Number(row[col('n_nonzero_labels')]));
      expect(nonzero.reduce((s, r) => s + r.voxels, 0)).toBe(Number(row[col('nonzero_voxels')]));
      expect(relClose(map.voxelVolume, Number(row[col('voxel_mm3_det_affine')]))).toBe(true);
      expect(map.dims).toEqual(row[col('shape')]!.split('x').map(Number).slice(0, 3));
      // the CLI's CSV text is the reference text (same number formatting and quoting)
      expect(volumesCsv(rows)).toBe(readFileSync(join(EXPECTED, row[col('csv')]!), 'utf8'));
    });
  }
});

describe('parsed headers agree with headers.json', () => {
  for (const [file, h] of Object.entries(headers)) {
    const cifti = h['class'] === 'Cifti2Image';
    it(file, () => {
      const path = join(DATA, file);
      if (cifti) {
        expect(() => readHeader(path)).toThrow(/dim\[0\] = 6/);
        return;
      }
      const got = readHeader(path);
      expect(got.version).toBe(h['nifti_version']);
      expect(got.magic).toBe(h['magic']);
      expect(got.littleEndian).toBe(h['endianness'] === 'little');
      expect(got.dim).toEqual(h['dim']);
      expect(got.datatype).toBe(h['datatype']);
      expect(got.bitpix).toBe(h['bitpix']);
      // nibabel rewrites pixdim[0] (qfac) = 0 as 1 on load; we keep the raw value and read 0 as +1
      expect(got.pixdim.slice(1)).toEqual((h['pixdim'] as number[]).slice(1));
      expect(got.pixdim[0] === 0 ? 1 : got.pixdim[0]).toBe((h['pixdim'] as number[])[0]);
      expect(got.qformCode).toBe(h['qform_code']);
      expect(got.sformCode).toBe(h['sform_code']);
      expect(got.intentCode).toBe(h['intent_code']);
      expect(got.xyztUnits).toBe(h['xyzt_units']);
      expect(got.sclSlope).toBe(h['scl_slope_raw']);
      expect(got.sclInter).toBe(h['scl_inter_raw']);
      // nibabel reports vox_offset 0 for pairs (data at the start of the .img)
      expect(got.voxOffset).toBe(h['vox_offset']);
      if (h['affine'] !== undefined) {
        expect(got.affineSource).toBe(h['affine_used']);
        const A = (h['affine'] as number[][]).flat();
        got.affine.forEach((v, i) => expect(Math.abs(v - A[i]!), `affine entry ${i}`).toBeLessThan(1e-5));
        expect(relClose(got.voxelVolume, h['voxel_volume_mm3_det_affine'] as number)).toBe(true);
      }
    });
  }
});

describe('decoded voxel values agree with nibabel statistics', () => {
  // only files a 3D reader accepts (4D multi-volume, CIFTI and the lone .hdr are refused elsewhere)
  for (const [file, h] of Object.entries(headers)) {
    const stats = h['stats_scaled'] as Record<string, number> | undefined;
    const shape = h['shape'] as number[] | undefined;
    if (stats === undefined || shape === undefined || shape.slice(3).some((d) => d > 1)) continue;
    it(file, () => {
      const img = readImage(join(DATA, file));
      const d = img.data;
      let min = Infinity,
        max = -Infinity,
        sum = 0,
        nonzero = 0;
      for (let i = 0; i < d.length; i++) {
        const v = d[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        if (v !== 0) nonzero++;
      }
      expect(d.length).toBe(shape[0]! * shape[1]! * shape[2]!);
      expect(min).toBe(stats['min']);
      expect(max).toBe(stats['max']);
      expect(nonzero).toBe(stats['nonzero']);
      expect(relClose(sum, stats['sum']!, 1e-9)).toBe(true);
      expect(d[0]).toBe(stats['first_voxel']);
      // nibabel's "centre" is the voxel at shape // 2
      const [nx, ny, nz] = [shape[0]!, shape[1]!, shape[2]!];
      const c = Math.floor(nx / 2) + nx * (Math.floor(ny / 2) + ny * Math.floor(nz / 2));
      expect(d[c]).toBe(stats['value_at_center']);
      expect(img.scaled).toBe(h['scaled_dtype'] === 'float64' && h['dtype'] !== 'float64');
    });
  }
});

describe('specific files', () => {
  it('S0_10slices: |det| of the sheared sform (128 mm^3), not the pixdim product (212.6)', () => {
    const m = readLabelMap(join(DATA, 'dipy', 'S0_10slices.nii.gz'));
    expect(m.voxelVolume).toBeCloseTo(128, 9);
    expect(m.dims).toEqual([128, 128, 10]);
  });
  it('HarvardOxford: names embedded between the header and vox_offset = 1952 are read', () => {
    const m = readLabelMap(join(DATA, 'mricron-data', 'HarvardOxford-cort-maxprob-thr0-1mm.nii.gz'));
    expect(m.embeddedNames.size).toBe(48);
    expect(m.embeddedNames.get(1)).toBe('Frontal Pole');
    expect(m.embeddedNames.get(5)).toBe('Inferior Frontal Gyrus, pars triangularis');
    expect(m.embeddedNames.get(48)).toBe('Occipital Pole');
  });
  it('natbrainlab: non-contiguous embedded labels', () => {
    const m = readLabelMap(join(DATA, 'mricron-data', 'natbrainlab.nii.gz'));
    expect([...m.embeddedNames.keys()].sort((a, b) => a - b)).toEqual([...Array.from({ length: 16 }, (_, i) => i + 1), ...Array.from({ length: 16 }, (_, i) => i + 101)]);
  });
  it('KmeansTest: sform (code 1) wins over a higher qform code, as in nibabel', () => {
    const h = readHeader(join(DATA, 'itk-examples', 'KmeansTest_T1KmeansPrelimSegmentation.nii.gz'));
    expect(h.qformCode).toBe(2);
    expect(h.sformCode).toBe(1);
    expect(h.affineSource).toBe('sform');
  });
  it('anatomical.nii: big-endian int16 decodes to nibabel values', () => {
    const img = readImage(join(DATA, 'nibabel', 'anatomical.nii'));
    expect(img.header.littleEndian).toBe(false);
    expect(img.data).toBeInstanceOf(Int16Array);
    expect(img.data[0]).toBe(10712);
  });
  it('ch2bet: a T1 reads as an image and > 0 gives the brain mask voxel count', () => {
    const img = readImage(join(DATA, 'mricron-data', 'ch2bet.nii.gz'));
    let n = 0;
    for (let i = 0; i < img.data.length; i++) if (img.data[i]! > 0) n++;
    expect(n).toBe(1737193);
  });
});
