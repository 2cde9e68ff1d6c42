import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveThresholds } from '../../src/io/thresholds-file.js';
import { readZTable } from '../../src/io/ztable.js';
import { logLikelihood, subjectLogLikelihoods } from '../../src/sustain/likelihood.js';
import { makeThresholds, pysustainEventMap, thresholdWarnings } from '../../src/sustain/thresholds.js';
import { sharedDir } from '../helpers/cli.js';
import { errorOf } from '../helpers/errors.js';

// Made by reference/make_zmax_case.py with pySuStaIn's own ZscoreSustain: its regression test's
// thresholds (a 0 = unused threshold for b01, Z_max 2 below b03's top threshold 3) on the small cohort.
const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'reference', 'zmax-case.json'), 'utf8')) as {
  biomarkers: string[];
  Z_vals: number[][];
  Z_max: number[];
  stage_zscore: number[][];
  stage_biomarker_index: number[][];
  cases: { sequences: number[][]; fractions: number[]; loglik: number; per_subject_loglik: number[] }[];
};
const data = readZTable(join(sharedDir, 'sustain', 'small', 'data.csv')).table;

describe("pySuStaIn's threshold conventions", () => {
  const tmp = mkdtempSync(join(tmpdir(), 'th-'));
  const file = (name: string, v: unknown) => {
    const f = join(tmp, name);
    writeFileSync(f, JSON.stringify(v));
    return f;
  };

  it('reads a pySuStaIn-form file: zeros dropped, event numbering as pySuStaIn', () => {
    const r = resolveThresholds(data.biomarkers, [1, 2, 3], 5, file('py.json', { Z_vals: ref.Z_vals, Z_max: ref.Z_max, N_startpoints: 25 }));
    expect(r.thresholds.zvals[0]).toEqual([1, 2]);
    expect(r.thresholds.zmax[2]).toBe(2);
    const map = pysustainEventMap(r.matrix);
    // pySuStaIn's event e is (biomarker stage_biomarker_index[e], z stage_zscore[e])
    ref.stage_zscore[0]!.forEach((z, e) => {
      const b = ref.stage_biomarker_index[0]![e]!;
      let first = 0;
      for (let q = 0; q < b; q++) first += r.thresholds.zvals[q]!.length;
      expect(map[e]! - first, `event ${e}`).toBe(r.thresholds.zvals[b]!.indexOf(z));
    });
    expect(r.warnings).toEqual(['warning: b03: zmax 2 is not above its largest threshold 3; its expected z falls back to 2 after that event (as in pySuStaIn)']);
  });

  it("likelihood equals pySuStaIn's with a zmax below the top threshold (1e-9, total and per subject)", () => {
    const r = resolveThresholds(data.biomarkers, [1, 2, 3], 5, file('py2.json', { Z_vals: ref.Z_vals, Z_max: ref.Z_max }));
    const map = pysustainEventMap(r.matrix);
    expect(ref.cases.length).toBe(4);
    for (const c of ref.cases) {
      const seqs = c.sequences.map((s) => s.map((e) => map[e]!));
      const total = logLikelihood(data, r.thresholds, seqs, c.fractions);
      expect(Math.abs(total - c.loglik) / Math.abs(c.loglik)).toBeLessThan(1e-9);
      const per = subjectLogLikelihoods(data, r.thresholds, seqs, c.fractions);
      per.forEach((v, i) => expect(Math.abs(v - c.per_subject_loglik[i]!)).toBeLessThan(1e-9 * Math.abs(c.per_subject_loglik[i]!)));
    }
  });

  it('matches rows by biomarker_labels when given; the other file form and --zvals take zeros too', () => {
    const rev = [...ref.biomarkers].reverse();
    const r = resolveThresholds(data.biomarkers, [1, 2, 3], 5, file('named.json', { Z_vals: [...ref.Z_vals].reverse(), Z_max: [...ref.Z_max].reverse(), biomarker_labels: rev }));
    expect(r.thresholds.zvals).toEqual(ref.Z_vals.map((row) => row.filter((z) => z > 0)));
    expect(r.thresholds.zmax).toEqual(ref.Z_max);
    const o = resolveThresholds(data.biomarkers, [1, 2, 3], 5, file('ours.json', { b02: { zvals: [1, 0, 3], zmax: 3 } }));
    expect(o.thresholds.zvals[1]).toEqual([1, 3]);
    // pySuStaIn numbers b02's z=3 in the third column: after every biomarker's second threshold
    expect(o.matrix.zvals[1]).toEqual([1, 0, 3]);
    expect(o.warnings).toEqual(['warning: b02: zmax 3 is not above its largest threshold 3; its expected z stays at 3 after that event (as in pySuStaIn)']);
    expect(makeThresholds(['a'], [1, 0, 2], 2).zvals).toEqual([[1, 2]]);
    expect(thresholdWarnings({ zvals: [[1, 2]], zmax: [5] }, ['a'])).toEqual([]);
  });

  it('still refuses what pySuStaIn would get wrong, naming the file and field', () => {
    expect(errorOf(() => resolveThresholds(data.biomarkers, [1], 5, file('rows.json', { Z_vals: [[1, 2]], Z_max: [5] }))).message).toMatch(
      /rows\.json, field Z_vals: Z_vals has 1 rows, the data has 6 biomarkers/,
    );
    expect(errorOf(() => resolveThresholds(data.biomarkers, [1], 5, file('zero.json', { b01: { zvals: [0, 0], zmax: 3 } }))).message).toMatch(
      /zero\.json, field b01\.zvals: a biomarker needs at least one z threshold/,
    );
    expect(errorOf(() => resolveThresholds(data.biomarkers, [1], 5, file('dec.json', { Z_vals: ref.Z_vals.map(() => [2, 1]), Z_max: ref.Z_max }))).message).toMatch(
      /dec\.json, field b01: z thresholds must be strictly increasing/,
    );
    expect(
      errorOf(() => resolveThresholds(data.biomarkers, [1], 5, file('lab.json', { Z_vals: ref.Z_vals, Z_max: ref.Z_max, biomarker_labels: ['x', 'b02', 'b03', 'b04', 'b05', 'b06'] })))
        .message,
    ).toMatch(/no thresholds for biomarker "b01"/);
  });

  it('cleans up', () => {
    rmSync(tmp, { recursive: true, force: true });
  });
});
