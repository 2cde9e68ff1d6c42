/**
 * Synthetic inputs for the report's tests and screenshot: a SuStaIn model with posterior samples made
 * by perturbing known sequences, a matching subject table, a CV result, a k-means model and the
 * sidecars of extract and normalise. Seeded, so every run gives the same files.
 */
import { Rng } from '../../src/common/rng.js';
import type { CvResult } from '../../src/cv/types.js';
import type { Assignment, KmeansModelFile, NamedEvent, SustainFit, SustainModelFile, ZscoreModelFile } from '../../src/sustain/types.js';
import { positionalVariance } from '../../src/report/stats.js';
import type { ExtractionFailure, ReportInputs } from '../../src/report/types.js';

export interface FixtureOptions {
  biomarkers: string[];
  zvals: number[];
  maxSubtypes: number;
  samples: number;
  subjects: number;
  controls: number;
  seed: number;
}

export const SMALL: FixtureOptions = {
  biomarkers: ['thalamus', 'lesion_load', 'cortex', 'cerebellum'],
  zvals: [1, 2],
  maxSubtypes: 2,
  samples: 40,
  subjects: 30,
  controls: 4,
  seed: 3,
};

export const REALISTIC: FixtureOptions = {
  biomarkers: ['lesion_load', 'thalamus', 'cortical_gm', 'deep_gm', 'cerebellum', 'brainstem', 'corpus_callosum', 'hippocampus', 'ventricles', 'spinal_cord'],
  zvals: [1, 2, 3],
  maxSubtypes: 3,
  samples: 400,
  subjects: 600,
  controls: 80,
  seed: 11,
};

/** Event list as the model stores it: biomarker-major, thresholds ascending. */
function eventList(o: FixtureOptions): NamedEvent[] {
  return o.biomarkers.flatMap((b) => o.zvals.map((z) => [b, z] as NamedEvent));
}

/** A sequence in which the biomarkers turn abnormal in `onsetOrder`, thresholds interleaved by time. */
function sequenceFor(o: FixtureOptions, onsetOrder: number[], rng: Rng): number[] {
  const t = o.zvals.length;
  const times: [number, number][] = [];
  onsetOrder.forEach((b, rank) => {
    for (let j = 0; j < t; j++) times.push([rank * 1.0 + j * (o.biomarkers.length / 2.2) + 0.3 * rng.uniform(), b * t + j]);
  });
  return times.sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

/** Random adjacent swaps that keep each biomarker's thresholds in order. */
function perturb(seq: number[], swaps: number, t: number, rng: Rng): number[] {
  const s = [...seq];
  for (let i = 0; i < swaps; i++) {
    const p = rng.int(s.length - 1);
    if (Math.floor(s[p]! / t) !== Math.floor(s[p + 1]! / t)) [s[p], s[p + 1]] = [s[p + 1]!, s[p]!];
  }
  return s;
}

function normalise(v: number[]): number[] {
  const s = v.reduce((a, b) => a + b, 0);
  return v.map((x) => x / s);
}

export function makeModel(o: FixtureOptions): ZscoreModelFile {
  const rng = Rng.fromSeed(o.seed);
  const events = eventList(o);
  const nb = o.biomarkers.length;
  const t = o.zvals.length;
  // Each subtype starts in a different biomarker; the rest follow in a shuffled order.
  const onsets = Array.from({ length: o.maxSubtypes }, (_, j) => {
    const rest = Array.from(rng.permutation(nb)).filter((b) => b !== j);
    return [j, ...rest];
  });
  const base = onsets.map((on) => sequenceFor(o, on, rng));
  const fits: SustainFit[] = [];
  for (let k = 1; k <= o.maxSubtypes; k++) {
    const ml = normalise(Array.from({ length: k }, (_, j) => 1 / (j + 1.3)));
    const seqs = base.slice(0, k);
    const samples = { sequences: [] as number[][][], fractions: [] as number[][], logLikelihood: [] as number[] };
    for (let s = 0; s < o.samples; s++) {
      samples.sequences.push(seqs.map((q, j) => perturb(q, 2 + rng.int(6 + 4 * j), t, rng)));
      samples.fractions.push(normalise(ml.map((f) => Math.max(0.01, f + 0.03 * rng.normal()))));
      samples.logLikelihood.push(-1000 * k - 20 * rng.uniform());
    }
    fits.push({ subtypes: k, sequences: seqs.map((q) => q.map((e) => events[e]!)), fractions: ml, logLikelihood: -1000 * k, samples });
  }
  return {
    format: 'ms-subtype-model',
    formatVersion: 1,
    toolVersion: '0.1.0',
    method: 'sustain-zscore',
    biomarkers: o.biomarkers,
    settings: { seed: o.seed, startpoints: 25, mcmc: 10000 },
    training: { subjects: o.subjects },
    zvals: o.biomarkers.map(() => [...o.zvals]),
    zmax: o.biomarkers.map(() => 5),
    events,
    fits,
  };
}

export function makeAssignment(o: FixtureOptions, model: SustainModelFile, k: number): { assignment: Assignment; carried: Record<string, string[]> } {
  const rng = Rng.fromSeed(o.seed + 1);
  const m = o.subjects;
  const n = model.events.length;
  const fr = model.fits[k - 1]!.fractions;
  const a: Assignment = {
    subjects: [],
    subtypes: k,
    mlSubtype: new Int32Array(m),
    probMlSubtype: new Float64Array(m),
    mlStage: new Int32Array(m),
    probMlStage: new Float64Array(m),
    probSubtype: new Float64Array(m * k),
  };
  const carried: Record<string, string[]> = { group: [], age: [], is_control: [] };
  for (let i = 0; i < m; i++) {
    const control = i < o.controls;
    a.subjects.push(`sub-${String(i + 1).padStart(4, '0')}`);
    let u = rng.uniform();
    let s = 0;
    while (s < k - 1 && u > fr[s]!) u -= fr[s++]!;
    const stage = control ? (rng.uniform() < 0.85 ? 0 : 1) : Math.min(n, Math.floor(Math.pow(rng.uniform(), 1.3) * (n - 1)) + 1);
    // Later stages are easier to subtype: the probability of the ML subtype grows with stage.
    const pMl = k === 1 ? 1 : Math.min(0.995, 1 / k + (1 - 1 / k) * Math.pow(rng.uniform(), 0.6 - 0.4 * (stage / n)));
    a.mlSubtype[i] = s;
    a.mlStage[i] = stage;
    a.probMlSubtype[i] = pMl;
    a.probMlStage[i] = 0.2 + 0.7 * rng.uniform();
    for (let j = 0; j < k; j++) a.probSubtype[i * k + j] = j === s ? pMl : (1 - pMl) / (k - 1);
    carried['group']!.push(control ? 'HC' : 'MS');
    carried['age']!.push(String(25 + rng.int(40)));
    carried['is_control']!.push(control ? '1' : '0');
  }
  return { assignment: a, carried };
}

export function makeCv(model: SustainModelFile, folds = 5): CvResult {
  const rng = Rng.fromSeed(99);
  const n = model.events.length;
  const table = model.fits.map((f, i) => {
    const mean = -900 + 60 * Math.min(i, 1.6) + 5 * rng.uniform();
    const per = Array.from({ length: folds }, () => mean + 12 * rng.normal());
    const sd = Math.sqrt(per.reduce((s, x) => s + (x - mean) ** 2, 0) / (folds - 1));
    return { subtypes: f.subtypes, cvic: -2 * mean * folds, testLogLikelihoodMean: mean, testLogLikelihoodSd: sd, testLogLikelihoodPerFold: per };
  });
  const positional: Record<string, number[][][]> = {};
  const stability: Record<string, number[]> = {};
  for (const f of model.fits) {
    positional[String(f.subtypes)] = Array.from({ length: f.subtypes }, (_, j) => {
      const p = positionalVariance(f.samples, j, n);
      // Smear along the sequence, as pooling over folds does.
      return Array.from({ length: n }, (_, e) =>
        Array.from({ length: n }, (_, q) => 0.5 * p[e * n + q]! + 0.25 * (p[e * n + q - 1] ?? 0) * (q > 0 ? 1 : 0) + 0.25 * (q < n - 1 ? p[e * n + q + 1]! : 0)),
      );
    });
    stability[String(f.subtypes)] = Array.from({ length: folds }, () => Math.min(1, 1.05 - 0.12 * f.subtypes + 0.05 * rng.uniform()));
  }
  const best = table.reduce((b, r) => (r.cvic < b.cvic ? r : b));
  return {
    format: 'ms-subtype-cv',
    formatVersion: 1,
    toolVersion: '0.1.0',
    settings: { seed: 1, folds, maxSubtypes: model.fits.length },
    table,
    cvicChoice: best.subtypes,
    recommendedSubtypes: best.subtypes,
    rule: `the smallest number of subtypes whose CVIC is within 6 of the lowest (${best.cvic.toFixed(1)} at K=${best.subtypes}) and whose held-out likelihood beats K-1 in most folds`,
    positionalVariance: positional,
    stability,
  };
}

export function makeKmeans(o: FixtureOptions): KmeansModelFile {
  const rng = Rng.fromSeed(o.seed + 7);
  const fits = Array.from({ length: o.maxSubtypes }, (_, i) => {
    const k = i + 1;
    return {
      subtypes: k,
      centroids: Array.from({ length: k }, (_, j) => o.biomarkers.map((_, b) => (b === j ? 2.2 : 0.3 + 0.9 * (j / k)) + 0.4 * rng.normal())),
      fractions: normalise(Array.from({ length: k }, (_, j) => 1 / (j + 1.5))),
      silhouette: k === 1 ? 0 : 0.18 + 0.05 * rng.uniform(),
      inertia: 5000 / k + 100 * rng.uniform(),
    };
  });
  return {
    format: 'ms-subtype-model',
    formatVersion: 1,
    toolVersion: '0.1.0',
    method: 'kmeans',
    biomarkers: o.biomarkers,
    settings: { seed: 1 },
    training: { subjects: o.subjects },
    fits,
  };
}

/** Shaped like src/normalise's saved normaliser (features with coefficients, sd, r2, nControls). */
export function makeNormaliserSidecar(o: FixtureOptions): unknown {
  const rng = Rng.fromSeed(o.seed + 13);
  return {
    format: 'ms-subtype-normaliser',
    formatVersion: 1,
    covariates: [
      { name: 'age', kind: 'numeric', min: 20, max: 70, mean: 42 },
      { name: 'sex', kind: 'categorical', levels: ['F', 'M'], reference: 'F', controlCounts: { F: 40, M: 40 } },
      { name: 'icv', kind: 'numeric', min: 1.2e6, max: 1.8e6, mean: 1.5e6 },
    ],
    designColumns: ['(intercept)', 'age', 'sex=M', 'icv'],
    features: o.biomarkers.map((name) => ({
      name,
      transform: name === 'lesion_load' ? 'log' : 'none',
      abnormal: name === 'lesion_load' || name === 'ventricles' ? 'increase' : 'decrease',
      coefficients: { '(intercept)': 1000 * rng.uniform(), age: -5 * rng.uniform(), 'sex=M': 50 * rng.normal(), icv: 0.001 * rng.uniform() },
      sd: 20 + 30 * rng.uniform(),
      r2: 0.1 + 0.6 * rng.uniform(),
      nControls: o.controls,
      df: o.controls - 4,
    })),
    training: { subjects: o.subjects, controls: o.controls },
    notes: ['2 subjects from site "D" (unseen among controls) got the controls\u2019 mean site effect.'],
    someFutureKey: { anything: true },
  };
}

export function makeFeaturesSidecar(o: FixtureOptions): unknown {
  return {
    tool: 'ms-subtype',
    toolVersion: '0.1.0',
    command: 'extract',
    input: { kind: 'manifest', paths: ['manifest.csv'], sha256: null, subjects: o.subjects + 3 },
    features: [
      ...o.biomarkers.map((name) => ({ name, measure: name === 'lesion_load' ? 'lesion' : 'volume', abnormal: 'decrease', role: 'biomarker' })),
      { name: 'icv', measure: 'icv', role: 'covariate' },
    ],
    carriedColumns: ['group', 'age', 'sex', 'site'],
    missingFeatures: [],
    rows: o.subjects,
    failed: 3,
    subjects: [],
  };
}

export function makeFailures(): ExtractionFailure[] {
  return [
    { subject: 'sub-0901', session: 'ses-01', file: 'sub-0901_dseg.nii.gz', reason: 'file not found' },
    { subject: 'sub-0902', session: 'ses-01', file: 'sub-0902_dseg.nii.gz', reason: 'not a NIfTI file' },
    { subject: 'sub-0903', session: 'ses-02', file: 'sub-0903_dseg.nii.gz', reason: 'file not found' },
  ];
}

/** Full report inputs for one fixture, K = the model's largest. */
export function makeInputs(o: FixtureOptions, extras = true): ReportInputs {
  const model = makeModel(o);
  const k = o.maxSubtypes;
  const { assignment, carried } = makeAssignment(o, model, k);
  const inputs: ReportInputs = { model, subjects: { assignment, carried }, title: 'Synthetic MS cohort' };
  if (extras) {
    inputs.cv = makeCv(model);
    inputs.kmeans = makeKmeans(o);
    inputs.normaliser = makeNormaliserSidecar(o);
    inputs.features = makeFeaturesSidecar(o);
    inputs.failures = makeFailures();
  }
  return inputs;
}
