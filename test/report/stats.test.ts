import { describe, expect, it } from 'vitest';
import { assignmentSummary, fractionSummaries, mixColour, positionalVariance, pvCells, quantileSorted, stageCounts, subtypeLabels } from '../../src/report/stats.js';
import { cohortSummary, featureInfos, normaliserRows } from '../../src/report/cohort.js';
import type { Assignment, NamedEvent, SustainFit } from '../../src/sustain/types.js';
import { makeAssignment, makeModel, makeNormaliserSidecar, REALISTIC, SMALL } from './fixtures.js';

describe('positional variance from posterior samples', () => {
  it('gives each event a probability distribution over positions (rows and columns sum to 1)', () => {
    const model = makeModel(REALISTIC);
    const fit = model.fits[2]!;
    const n = model.events.length;
    for (let j = 0; j < 3; j++) {
      const p = positionalVariance(fit.samples, j, n);
      for (let e = 0; e < n; e++) {
        let row = 0;
        let col = 0;
        for (let q = 0; q < n; q++) {
          row += p[e * n + q]!;
          col += p[q * n + e]!;
        }
        expect(row).toBeCloseTo(1, 12);
        expect(col).toBeCloseTo(1, 12);
      }
    }
  });

  it('counts the share of samples with each event at each position', () => {
    const samples = {
      sequences: [[[0, 1, 2]], [[1, 0, 2]], [[0, 1, 2]], [[0, 2, 1]]],
      fractions: [[1], [1], [1], [1]],
      logLikelihood: [0, 0, 0, 0],
    };
    const p = positionalVariance(samples, 0, 3);
    expect(Array.from(p)).toEqual([0.75, 0.25, 0, 0.25, 0.5, 0.25, 0, 0.25, 0.75]);
  });

  it('draws one row per biomarker whose threshold probabilities add up to the number of thresholds', () => {
    const model = makeModel(SMALL);
    const n = model.events.length;
    const p = positionalVariance(model.fits[1]!.samples, 1, n);
    const zvals = new Map(model.biomarkers.map((b, i) => [b, model.zvals[i]!]));
    const cells = pvCells(p, model.events, model.biomarkers, zvals, ['#ff0000', '#ff00ff']);
    expect(cells).toHaveLength(model.biomarkers.length * n);
    for (const b of model.biomarkers) {
      const total = cells.filter((c) => c.biomarker === b).reduce((s, c) => s + c.p, 0);
      expect(total).toBeCloseTo(SMALL.zvals.length, 10);
    }
  });
});

describe('colour mixing', () => {
  it('is white at probability 0, the threshold colour at 1, and in between at 0.5', () => {
    expect(mixColour([0, 0], ['#ff0000', '#0000ff'])).toBe('#ffffff');
    expect(mixColour([1, 0], ['#ff0000', '#0000ff'])).toBe('#ff0000');
    expect(mixColour([0, 1], ['#ff0000', '#0000ff'])).toBe('#0000ff');
    expect(mixColour([0.5, 0], ['#ff0000', '#0000ff'])).toBe('#ff8080');
    // Half z=1 (red) and half z=2 (blue) at the same position: a purple.
    expect(mixColour([0.5, 0.5], ['#ff0000', '#0000ff'])).toBe('#800080');
  });
});

describe('quantiles and posterior intervals', () => {
  it('interpolates quantiles like numpy (type 7)', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantileSorted([5], 0.9)).toBe(5);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('gives the central interval of the sampled fractions', () => {
    // 101 samples with fraction of subtype 0 = 0.00, 0.01, ..., 1.00 (in scrambled order)
    const values = Array.from({ length: 101 }, (_, i) => ((i * 37) % 101) / 100);
    const fit: SustainFit = {
      subtypes: 2,
      sequences: [[], []],
      fractions: [0.6, 0.4],
      logLikelihood: 0,
      samples: { sequences: [], fractions: values.map((v) => [v, 1 - v]), logLikelihood: [] },
    };
    const [a, b] = fractionSummaries(fit, 0.95);
    expect(a!.ml).toBe(0.6);
    expect(a!.lo).toBeCloseTo(0.025, 12);
    expect(a!.hi).toBeCloseTo(0.975, 12);
    expect(a!.median).toBeCloseTo(0.5, 12);
    expect(a!.mean).toBeCloseTo(0.5, 12);
    expect(b!.lo).toBeCloseTo(0.025, 12);
    const narrow = fractionSummaries(fit, 0.5)[0]!;
    expect(narrow.lo).toBeCloseTo(0.25, 12);
    expect(narrow.hi).toBeCloseTo(0.75, 12);
  });

  it('falls back to the ML fraction when there are no samples', () => {
    const fit: SustainFit = { subtypes: 1, sequences: [[]], fractions: [1], logLikelihood: 0, samples: { sequences: [], fractions: [], logLikelihood: [] } };
    expect(fractionSummaries(fit, 0.95)[0]).toMatchObject({ ml: 1, lo: 1, hi: 1 });
  });
});

describe('subtype names', () => {
  const seq = (...bs: string[]): NamedEvent[] => bs.map((b) => [b, 1]);
  it('names each subtype after the biomarker of its first event', () => {
    const l = subtypeLabels([seq('thalamus', 'cortex', 'lesions'), seq('cortex', 'thalamus', 'lesions')]);
    expect(l.map((x) => x.full)).toEqual(['Subtype 1: led by thalamus', 'Subtype 2: led by cortex']);
    expect(l[1]!.short).toBe('S2 · cortex');
  });
  it('adds the next biomarkers when two subtypes start with the same one', () => {
    const s1: NamedEvent[] = [
      ['thalamus', 1],
      ['thalamus', 2],
      ['cortex', 1],
      ['lesions', 1],
    ];
    const s2: NamedEvent[] = [
      ['thalamus', 1],
      ['lesions', 1],
      ['cortex', 1],
    ];
    const l = subtypeLabels([s1, s2, seq('cortex', 'thalamus')]);
    expect(l[0]!.led).toBe('led by thalamus, then cortex');
    expect(l[1]!.led).toBe('led by thalamus, then lesions');
    expect(l[2]!.led).toBe('led by cortex');
  });
});

describe('assignment summary', () => {
  const a: Assignment = {
    subjects: ['a', 'b', 'c', 'd', 'e'],
    subtypes: 2,
    mlSubtype: Int32Array.from([0, 1, 1, 0, 1]),
    probMlSubtype: Float64Array.from([0.99, 0.6, 0.85, 0.51, 0.97]),
    mlStage: Int32Array.from([0, 3, 1, 2, 4]),
    probMlStage: Float64Array.from([0.5, 0.5, 0.5, 0.5, 0.5]),
    probSubtype: new Float64Array(10),
  };
  it('counts stage-0 subjects apart and confident assignments by band', () => {
    const s = assignmentSummary(a, [0.5, 0.8, 0.95]);
    expect(s.subjects).toBe(5);
    expect(s.stage0).toBe(1);
    expect(s.perSubtype).toEqual([1, 3]);
    expect(s.bands).toEqual([
      { threshold: 0.5, count: 4 },
      { threshold: 0.8, count: 2 },
      { threshold: 0.95, count: 1 },
    ]);
    expect(s.medianProbability).toBeCloseTo((0.6 + 0.85) / 2, 12);
  });
  it('counts controls apart: not in subtypes, bands or stage 0; past stage 0 counted as false positives', () => {
    // b (stage 3, subtype 1) and a (stage 0) are controls
    const s = assignmentSummary(a, [0.5, 0.8, 0.95], [true, true, false, false, false]);
    expect(s.controls).toBe(2);
    expect(s.patients).toBe(3);
    expect(s.stage0).toBe(0);
    expect(s.perSubtype).toEqual([1, 2]);
    expect(s.controlsPastStage0).toBe(1);
    expect(s.controlsPerSubtype).toEqual([0, 1]);
    expect(s.bands[1]).toEqual({ threshold: 0.8, count: 2 });
    expect(stageCounts(a, 4, [true, true, false, false, false])).toEqual([
      [1, 0, 0, 0, 0],
      [0, 0, 0, 1, 0],
    ]);
  });
  it('counts subjects by subtype and stage', () => {
    const c = stageCounts(a, 4);
    expect(c).toEqual([
      [1, 0, 1, 0, 0],
      [0, 1, 0, 1, 1],
    ]);
    const model = makeModel(SMALL);
    const { assignment } = makeAssignment(SMALL, model, 2);
    const total = stageCounts(assignment, model.events.length)
      .flat()
      .reduce((x, y) => x + y, 0);
    expect(total).toBe(SMALL.subjects);
  });
});

describe('cohort summary from sidecars', () => {
  it('reads the normaliser shape of src/normalise and ignores unknown keys', () => {
    const rows = normaliserRows(makeNormaliserSidecar(SMALL));
    expect(rows.map((r) => r.feature)).toEqual(SMALL.biomarkers);
    expect(rows[0]!.r2).toBeGreaterThan(0);
    expect(rows[0]!.nControls).toBe(SMALL.controls);
    expect(rows[0]!.coefficients.map(([k]) => k)).toEqual(['(intercept)', 'age', 'sex=M', 'icv']);
  });
  it('also reads a report keyed by feature name', () => {
    const rows = normaliserRows({ report: { thalamus: { R2: 0.4, residual_sd: 2, n_controls: 30, coefficients: [1, 2] } } });
    expect(rows).toEqual([
      {
        feature: 'thalamus',
        transform: undefined,
        abnormal: undefined,
        r2: 0.4,
        sd: 2,
        nControls: 30,
        coefficients: [
          ['b0', 1],
          ['b1', 2],
        ],
      },
    ]);
    expect(normaliserRows('not an object')).toEqual([]);
    expect(normaliserRows({ unrelated: 1 })).toEqual([]);
  });
  it('reads feature definitions as an array or keyed by name', () => {
    expect(featureInfos({ features: [{ name: 'a', measure: 'volume' }, 'b'] }).map((f) => f.name)).toEqual(['a', 'b']);
    expect(featureInfos({ features: { a: { measure: 'lesion' } } })[0]).toMatchObject({ name: 'a', measure: 'lesion' });
  });
  it('counts controls from the normaliser, else from the is_control column', () => {
    const model = makeModel(SMALL);
    const { assignment, carried } = makeAssignment(SMALL, model, 2);
    const withCol = cohortSummary({ assignment, carried }, model.biomarkers, undefined, undefined, undefined);
    expect(withCol.controls).toBe(SMALL.controls);
    expect(withCol.controlsSource).toBe('column is_control of the subject table');
    const both = cohortSummary({ assignment, carried }, model.biomarkers, { counts: { controls: 55 } }, undefined, undefined);
    expect(both.controls).toBe(55);
    expect(both.controlsSource).toContain(`${SMALL.controls} in the subject table`);
    const fromSidecar = cohortSummary({ assignment }, model.biomarkers, { training: { subjects: 9, controls: 7 }, covariates: ['age', 'sex'] }, undefined, []);
    expect(fromSidecar.controls).toBe(7);
    expect(fromSidecar.covariates).toEqual(['age', 'sex']);
    expect(fromSidecar.failures).toEqual([]);
    const unknown = cohortSummary({ assignment }, model.biomarkers, undefined, undefined, undefined);
    expect(unknown.controls).toBeNull();
    expect(unknown.failures).toBeNull();
    expect(unknown.features.map((f) => f.name)).toEqual(model.biomarkers);
  });
});

describe('cohort summary from the sidecars as extract and normalise write them', () => {
  it('reads the fit report, control count and covariates of a z.csv.json and the counts of an extract sidecar', () => {
    const model = makeModel(SMALL);
    const { assignment } = makeAssignment(SMALL, model, 2);
    const zSidecar = {
      format: 'ms-subtype-z',
      features: ['thalamus', 'cortex'],
      covariates: [
        { name: 'age', kind: 'numeric' },
        { name: 'site', kind: 'categorical' },
      ],
      normaliser: { file: 'n.json', sha256: 'x', toolVersion: '0.1.0' },
      fitReport: [
        { feature: 'thalamus', nControls: 40, df: 37, r2: 0.3, sd: 12, coefficients: { '(intercept)': 9, age: -0.1 }, transform: 'none', abnormal: 'decrease' },
        { feature: 'cortex', nControls: 40, df: 37, r2: 0.1, sd: 30, coefficients: { '(intercept)': 500, age: -2 }, transform: 'none', abnormal: 'decrease' },
      ],
      counts: { rows: 100, controls: 40, nonControls: 60 },
      notes: ['a note'],
    };
    const extract = { input: { subjects: 103 }, rows: 100, failed: 3, carriedColumns: ['age', 'site'], missingFeatures: ['fa_cc'], features: [{ name: 'thalamus', measure: 'volume' }] };
    const s = cohortSummary({ assignment }, model.biomarkers, zSidecar, extract, undefined);
    expect(s.controls).toBe(40);
    expect(s.covariates).toEqual(['age', 'site']);
    expect(s.normaliser.map((r) => [r.feature, r.r2, r.sd, r.nControls])).toEqual([
      ['thalamus', 0.3, 12, 40],
      ['cortex', 0.1, 30, 40],
    ]);
    expect(s.notes).toEqual(['a note']);
    expect(s.extraction).toEqual({ inputs: 103, rows: 100, failed: 3, carried: ['age', 'site'], missingFeatures: ['fa_cc'] });
    expect(s.features).toEqual([{ name: 'thalamus', measure: 'volume', abnormal: '', role: '', label: '', unit: '' }]);
    expect(s.labels).toEqual({});
  });

  it('takes readable labels and units from the extract sidecar, else from the normaliser\u2019s', () => {
    const model = makeModel(SMALL);
    const { assignment } = makeAssignment(SMALL, model, 2);
    const extract = {
      features: [
        { name: 'thalamus', measure: 'volume', label: 'Thalamus (both)', unit: 'mm³' },
        { name: 'cortex', measure: 'volume' },
      ],
    };
    const z = { featureLabels: { cortex: { label: 'Cortical grey matter', unit: 'mm³' }, thalamus: { label: 'old', unit: '' } } };
    const s = cohortSummary({ assignment }, model.biomarkers, z, extract, undefined);
    expect(s.labels).toEqual({ thalamus: { label: 'Thalamus (both)', unit: 'mm³' }, cortex: { label: 'Cortical grey matter', unit: 'mm³' } });
  });
});
