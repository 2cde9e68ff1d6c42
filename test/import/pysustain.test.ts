import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../../src/io/csv.js';
import { resolveThresholds } from '../../src/io/thresholds-file.js';
import { readZTable } from '../../src/io/ztable.js';
import { parseModel, stringifyModel } from '../../src/io/modelfile.js';
import { compareWithPickle, importModel, pysustainSampleIndices, pysustainSubtypeOrder } from '../../src/import/pysustain.js';
import { pysustainFitFrom, readPysustainRun } from '../../src/import/pysustain-pickle.js';
import { readPickle, type NdArray } from '../../src/io/pickle.js';
import { assignSubjects, positionalVariance } from '../../src/sustain/staging.js';
import { pysustainEventMap } from '../../src/sustain/thresholds.js';
import type { SustainModelFile } from '../../src/sustain/types.js';
import { sharedDir } from '../helpers/cli.js';
import { errorOf } from '../helpers/errors.js';
import { readLikelihoods } from '../../src/cli/model-inputs.js';
import { patientLikelihoods } from './mixture-files.js';

const small = join(sharedDir, 'sustain', 'small');
const pickles = [0, 1].map((k) => join(small, 'pysustain', `ref_subtype${k}.pickle`));
const linspace = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'io', 'fixtures', 'pickle', 'expected.json'), 'utf8')) as { linspace: Record<string, number[]> }).linspace;

function importSmall(): { model: SustainModelFile; fits: ReturnType<typeof readPysustainRun> } {
  const fits = readPysustainRun(pickles);
  const data = readZTable(join(small, 'data.csv')).table;
  const th = resolveThresholds(data.biomarkers, [1, 2, 3], 5);
  const model = importModel(fits, data, { kind: 'zscore', ...th.thresholds }, pysustainEventMap(th.matrix), { pickles: [], dataFile: 'data.csv', dataSha256: '-' });
  return { model, fits };
}

describe('choosing samples and subtype order as pySuStaIn stages subjects', () => {
  it('round(linspace(0, n - 1, count)) equals numpy', () => {
    for (const [key, want] of Object.entries(linspace)) {
      const [n, count] = key.split('_').map(Number) as [number, number | undefined];
      expect(pysustainSampleIndices(n, count ?? 1000), key).toEqual(want);
    }
    expect(pysustainSampleIndices(5, 1)).toEqual([0]);
  });

  it('subtypes by mean fraction, largest first; ties: the later subtype first (numpy argsort reversed)', () => {
    const fit = (f: number[][]) => ({ K: f.length, iterations: f[0]!.length, samplesF: Float64Array.from(f.flat()) }) as Parameters<typeof pysustainSubtypeOrder>[0];
    expect(
      pysustainSubtypeOrder(
        fit([
          [0.2, 0.2],
          [0.5, 0.5],
          [0.3, 0.3],
        ]),
      ),
    ).toEqual([1, 2, 0]);
    expect(
      pysustainSubtypeOrder(
        fit([
          [0.5, 0.5],
          [0.5, 0.5],
        ]),
      ),
    ).toEqual([1, 0]);
  });
});

describe("importing the small cohort's ZscoreSustain pickles", () => {
  const { model, fits } = importSmall();
  const data = readZTable(join(small, 'data.csv')).table;

  it('writes a valid model file: K = 1, 2, 1000 samples each, the ML log-likelihood pySuStaIn started its chain from', () => {
    const again = parseModel(JSON.parse(stringifyModel(model)), 'model.json') as SustainModelFile;
    expect(again.fits.map((f) => f.subtypes)).toEqual([1, 2]);
    for (const [q, fit] of model.fits.entries()) {
      expect(fit.samples.sequences.length).toBe(1000);
      expect(Math.abs(fit.logLikelihood - fits[q]!.samplesLikelihood[0]!)).toBeLessThan(1e-9 * Math.abs(fit.logLikelihood));
    }
    expect(model.settings['staging']).toBe('pysustain');
  });

  it("translates pySuStaIn's event numbers: its first event of the ML sequence is our [biomarker, z]", () => {
    // ml_sequence_EM[0][0] = 5 in pySuStaIn's numbering = first threshold of the 6th biomarker
    expect(fits[1]!.mlSequence[0]![0]).toBe(5);
    expect(model.fits[1]!.sequences[0]![0]).toEqual(['b06', 1]);
    // 12 = third threshold of the first biomarker
    const at = fits[1]!.mlSequence[0]!.indexOf(12);
    expect(model.fits[1]!.sequences[0]![at]).toEqual(['b01', 3]);
  });

  for (const K of [1, 2]) {
    it(`assign reproduces pySuStaIn's subjects_K${K}.csv (subtype, stage, probabilities to 1e-9) and its pickle's prob_stage`, () => {
      const a = assignSubjects(model, data, K);
      const ref = readTable(join(small, 'pysustain', `subjects_K${K}.csv`));
      const col = (name: string) => ref.columns.indexOf(name);
      expect(ref.rows.length).toBe(250);
      let worst = 0;
      ref.rows.forEach((r, i) => {
        expect(r[col('subject_id')]).toBe(a.subjects[i]);
        expect(a.mlSubtype[i], r[0]).toBe(Number(r[col('ml_subtype')]));
        expect(a.mlStage[i], r[0]).toBe(Number(r[col('ml_stage')]));
        worst = Math.max(worst, Math.abs(a.probMlSubtype[i]! - Number(r[col('prob_ml_subtype')])), Math.abs(a.probMlStage[i]! - Number(r[col('prob_ml_stage')])));
        for (let s = 0; s < K; s++) worst = Math.max(worst, Math.abs(a.probSubtype[i * K + s]! - Number(r[col(`prob_subtype_${s}`)])));
      });
      expect(worst).toBeLessThan(1e-9);
      // the same against the pickle's own arrays, prob_stage (marginal over subtypes) included
      const agree = compareWithPickle(a, fits[K - 1]!);
      expect(agree).toMatchObject({ subjects: 250, subtypeAgree: 250, stageAgree: 250 });
      expect(agree.maxProbDiff).toBeLessThan(1e-9);
    });
  }

  it('positional variance comes from the imported samples', () => {
    const pv = positionalVariance(model, 2);
    // each event's row sums to 1 over positions
    for (const row of pv[0]!) expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
    // the ML sequence's first event is first in most samples
    expect(pv[0]![model.events.findIndex((e) => e[0] === 'b06' && e[1] === 1)]![0]).toBeGreaterThan(0.5);
  });
});

describe("importing the mixture cohort's MixtureSustain pickles", () => {
  it("the ML model's log-likelihood is pySuStaIn's EM maximum (summary.json) for K = 1..3", () => {
    const dir = join(sharedDir, 'sustain', 'mixture');
    const tmp = mkdtempSync(join(tmpdir(), 'imp-mix-'));
    try {
      const { yes, no } = patientLikelihoods(tmp);
      const table = readLikelihoods(yes, no);
      const fits = readPysustainRun([0, 1, 2].map((k) => join(dir, 'pysustain', 'pickle_files', `ref_subtype${k}.pickle`)));
      const model = importModel(fits, table, { kind: 'mixture', nBiomarkers: 8, input: 'likelihoods' }, [0, 1, 2, 3, 4, 5, 6, 7], { pickles: [], dataFile: '-', dataSha256: '-' });
      const summary = JSON.parse(readFileSync(join(dir, 'pysustain', 'summary.json'), 'utf8')) as { em: Record<string, { loglik: number; sequences: number[][] }> };
      for (const fit of model.fits) {
        const ref = summary.em[String(fit.subtypes)]!;
        expect(Math.abs(fit.logLikelihood - ref.loglik)).toBeLessThan(1e-9 * Math.abs(ref.loglik));
        // the same sequences, as biomarker names (in pySuStaIn's staging order here, EM order there)
        const named = ref.sequences.map((s) => s.map((b) => `b0${b + 1}`).join(' ')).sort();
        expect((fit.sequences as string[][]).map((s) => s.join(' ')).sort()).toEqual(named);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('refusing what is not a run_sustain_algorithm pickle set', () => {
  const ok = readPysustainRun(pickles);
  it('other kinds of content, in one line naming the file', () => {
    expect(errorOf(() => pysustainFitFrom([1, 2], 'a.pickle')).message).toBe('a.pickle: not a pySuStaIn results pickle: it holds a list or tuple, not a dict');
    expect(errorOf(() => pysustainFitFrom(new Map([['mean_likelihood_subj_test', 1]]), 'f.pickle')).message).toMatch(/f\.pickle, field samples_sequence: .*cross-validation fold pickle/);
  });
  it('a set with a K missing or twice, or from two runs', () => {
    expect(errorOf(() => readPysustainRun([pickles[1]!])).message).toMatch(/K = 2 subtypes; the model file needs every K from 1 \(pass the 1-subtype pickle/);
    expect(errorOf(() => readPysustainRun([pickles[0]!, pickles[0]!])).message).toMatch(/both hold 1-subtype fits/);
    const mixture = join(sharedDir, 'sustain', 'mixture', 'pysustain', 'pickle_files', 'ref_subtype1.pickle');
    expect(errorOf(() => readPysustainRun([pickles[0]!, mixture])).message).toMatch(/has 8 events, .* has 18: not one run/);
    expect(ok.length).toBe(2);
  });
  it('a pickle whose arrays disagree with each other, or with being a chain', () => {
    const raw = readPickle(pickles[1]!) as Map<string, unknown>;
    const bad = (key: string, v: NdArray) => errorOf(() => pysustainFitFrom(new Map([...raw, [key, v]]), 'p.pickle')).message;
    const f = raw.get('samples_f') as NdArray;
    expect(bad('samples_f', { ...f, shape: [1, 20000] })).toMatch(/^p\.pickle, field samples_f: shape \(1, 20000\) does not match samples_sequence's \(expected \(2, 10000\)\)$/);
    const seq = raw.get('samples_sequence') as NdArray;
    const twice = Float64Array.from(seq.data);
    twice[1] = twice[0]!; // event 5 of subtype 0 at position 0 of iteration 1, and again at position 1
    twice[10000 + 1] = 5;
    expect(bad('samples_sequence', { ...seq, data: twice })).toMatch(/field samples_sequence: a sequence is not an ordering of events 0\.\.17/);
    const fr = Float64Array.from(f.data);
    fr[3] = 0.9;
    expect(bad('samples_f', { ...f, data: fr })).toMatch(/fractions of MCMC iteration 3 sum to/);
  });
  it('a truncated pickle in the set', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'imp-'));
    try {
      const f = join(tmp, 'cut.pickle');
      writeFileSync(f, readFileSync(pickles[0]!).subarray(0, 2000));
      expect(errorOf(() => readPysustainRun([f])).message).toBe(`${f}: truncated pickle (the file ends before the pickle does)`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
