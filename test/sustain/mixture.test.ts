/**
 * The event-based (mixture) kind against pySuStaIn's MixtureSustain on the shared mixture cohort
 * (../shared/sustain/mixture, see its README): likelihood parity, EM maxima and subtype recovery
 * from L_yes / L_no, and mixtures fitted on the raw values recovering the generating components.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../helpers/cli.js';
import { readTable } from '../../src/io/csv.js';
import { readZTable } from '../../src/io/ztable.js';
import { parseModel, stringifyModel } from '../../src/io/modelfile.js';
import { readPysustainPickle } from '../../src/import/pysustain-pickle.js';
import { assignSubjects, fitMixtures, fitSustain, likelihoodTable, MixtureModel, subjectLogLikelihoods, type MixtureSpec } from '../../src/sustain/index.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { moveEvent } from '../../src/sustain/model.js';
import { Rng } from '../../src/common/rng.js';
import type { SustainModelFile, ZTable } from '../../src/sustain/types.js';
import { UserError } from '../../src/common/errors.js';
import { adjustedRand } from './stats.js';

const dir = join(sharedDir, 'sustain', 'mixture');
const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as {
  N_startpoints: number;
  N_S_max: number;
  abnormal: { mean: number; sd: number[] };
  normal: { mean: number; sd: number };
};
const summary = JSON.parse(readFileSync(join(dir, 'pysustain', 'summary.json'), 'utf8')) as { em: Record<string, { loglik: number }> };
const truth = readTable(join(dir, 'truth.csv'));
const isPatient = truth.rows.map((r) => r[1] === 'patient');
const likelihoods = likelihoodTable(readZTable(join(dir, 'l_yes.csv'), { includeControls: true }).table, readZTable(join(dir, 'l_no.csv'), { includeControls: true }).table);
const B = 8;
const onLikelihoods: MixtureSpec = { kind: 'mixture', nBiomarkers: B, input: 'likelihoods' };

function rows(t: ZTable, keep: boolean[]): ZTable {
  const W = t.biomarkers.length;
  const idx = keep.flatMap((k, i) => (k ? [i] : []));
  const values = new Float64Array(idx.length * W);
  idx.forEach((i, r) => values.set(t.values.subarray(i * W, i * W + W), r * W));
  return { subjects: idx.map((i) => t.subjects[i]!), biomarkers: t.biomarkers, values };
}
const patients = rows(likelihoods, isPatient);
const trueSubtype = truth.rows.filter((_, i) => isPatient[i]).map((r) => Number(r[2]));

describe('mixture SuStaIn likelihood', () => {
  it("equals pySuStaIn's MixtureSustain likelihood (total and per subject) to 1e-9", () => {
    const cases = (
      JSON.parse(readFileSync(join(dir, 'likelihood-cases.json'), 'utf8')) as {
        cases: { name: string; sequences: number[][]; fractions: number[]; loglik: number; per_subject_loglik: number[] }[];
      }
    ).cases;
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const per = subjectLogLikelihoods(likelihoods, onLikelihoods, c.sequences, c.fractions);
      let total = 0;
      per.forEach((v, i) => {
        total += v;
        expect(Math.abs(v - c.per_subject_loglik[i]!)).toBeLessThanOrEqual(1e-9 * Math.abs(c.per_subject_loglik[i]!));
      });
      expect(Math.abs(total - c.loglik)).toBeLessThanOrEqual(1e-9 * Math.abs(c.loglik));
    }
  });

  it('incremental tables equal full recomputation after random moves, with missing values', () => {
    const M = 60;
    const values = patients.values.slice(0, M * 2 * B);
    // missing values drop out of the product: both likelihoods missing
    values[3 * 2 * B + 2] = NaN;
    values[3 * 2 * B + B + 2] = NaN;
    const model = new MixtureModel(B);
    const rng = Rng.fromSeed(3);
    const mix = new MixtureTables(model, model.prepare(values, M), [model.randomSequence(rng), model.randomSequence(rng)]);
    const f = [0.7, 0.3];
    const d: ZTable = { subjects: patients.subjects.slice(0, M), biomarkers: patients.biomarkers, values };
    for (let it = 0; it < 200; it++) {
      const s = rng.int(2);
      const next = Int32Array.from(mix.subs[s]!.seq);
      moveEvent(next, rng.int(B), rng.int(B));
      mix.propose(s, next);
      const exact = subjectLogLikelihoods(
        d,
        onLikelihoods,
        mix.subs.map((x, q) => Array.from(q === s ? next : x.seq)),
        f,
      ).reduce((a, v) => a + v, 0);
      expect(mix.logLik(f)).toBeCloseTo(exact, 8);
      if (rng.uniform() < 0.5) mix.commit(s);
      else mix.discard(s);
      if (it % 7 === 0) mix.apply(s, next);
    }
  });

  it('refuses L_yes without L_no, negative likelihoods and mismatched files in one line', () => {
    const bad = { ...patients, values: patients.values.slice() };
    bad.values[5] = -1;
    expect(() => subjectLogLikelihoods(bad, onLikelihoods, [[0, 1, 2, 3, 4, 5, 6, 7]], [1])).toThrow(/subject s\d+, field b06: likelihoods must be finite and not negative/);
    const half = { ...patients, values: patients.values.slice() };
    half.values[2 * B + 1] = NaN;
    expect(() => subjectLogLikelihoods(half, onLikelihoods, [[0, 1, 2, 3, 4, 5, 6, 7]], [1])).toThrow(/field b02: L_yes and L_no must be both given or both missing/);
    const yes = readZTable(join(dir, 'l_yes.csv'), { includeControls: true }).table;
    const shorter = { ...yes, subjects: yes.subjects.slice(1), values: yes.values.slice(B) };
    expect(() => likelihoodTable(yes, shorter, { no: 'no.csv' })).toThrow(UserError);
    expect(() => subjectLogLikelihoods(patients, onLikelihoods, [[0, 1, 2, 3, 4, 5, 6, 6]], [1])).toThrow(/not an ordering/);
  });
});

describe('mixture SuStaIn fit on the shared cohort (EM, as pySuStaIn: patients, 10 start points, K = 1..3)', () => {
  let model: SustainModelFile;

  it("reaches at least pySuStaIn's EM maximum for every K, and recovers the subtypes at least as well", async () => {
    model = await fitSustain(patients, onLikelihoods, { seed: 11, maxSubtypes: settings.N_S_max, startpoints: settings.N_startpoints, mcmcIterations: 0, threads: 2 });
    expect(model.method).toBe('sustain-mixture');
    for (const f of model.fits) {
      const em = (f.diagnostics as { emLogLikelihood: number }).emLogLikelihood;
      const py = summary.em[String(f.subtypes)]!.loglik;
      // at least pySuStaIn's, up to rounding of the two sums (1e-12 relative)
      expect(em).toBeGreaterThanOrEqual(py - 1e-12 * Math.abs(py));
    }
    const ours = adjustedRand(Array.from(assignSubjects(model, patients, 2).mlSubtype), trueSubtype);
    const py = readPysustainPickle(join(dir, 'pysustain', 'pickle_files', 'ref_subtype1.pickle'));
    const theirs = adjustedRand(Array.from(py.subjects.mlSubtype), trueSubtype);
    expect(ours).toBeGreaterThanOrEqual(theirs);
    expect(ours).toBeGreaterThan(0.6);
  }, 120_000);

  it('writes sequences as biomarker names and survives the model-file validator', () => {
    expect(model.events).toEqual(patients.biomarkers.slice(0, B).map((c) => c.slice('L_yes:'.length)));
    expect(model.fits[1]!.sequences[0]!.every((b) => typeof b === 'string')).toBe(true);
    const back = parseModel(JSON.parse(stringifyModel(model)), 'model.json');
    expect(stringifyModel(back)).toBe(stringifyModel(model));
    const bad = JSON.parse(stringifyModel(model));
    bad.fits[0].sequences[0][1] = bad.fits[0].sequences[0][0];
    expect(() => parseModel(bad, 'model.json')).toThrow(/model\.json, field fits\.0\.sequences\.0/);
  });
});

describe('mixtures fitted on the raw values', () => {
  const raw = readZTable(join(dir, 'data.csv'), { includeControls: true }).table;
  const isControl = Uint8Array.from(raw.carried!['group']!, (g) => (g === 'control' ? 1 : 0));

  it('recover the generating normal and abnormal components of every biomarker, direction detected', () => {
    const ms = fitMixtures(raw.biomarkers, raw.values, isControl, 'gmm');
    ms.forEach((m, b) => {
      if (m.type !== 'gmm') throw new Error('expected a Gaussian mixture');
      expect(m.abnormal).toBe('higher');
      expect(m.directionFrom).toBe('detected');
      expect(Math.abs(m.normal.mean - settings.normal.mean)).toBeLessThan(0.05);
      expect(Math.abs(m.normal.sd / settings.normal.sd - 1)).toBeLessThan(0.12);
      expect(Math.abs(m.abnormalComponent.mean - settings.abnormal.mean)).toBeLessThan(0.1);
      expect(Math.abs(m.abnormalComponent.sd / settings.abnormal.sd[b]! - 1)).toBeLessThan(0.15);
    });
    // a direction given is kept; KDE mixtures put the controls' values on the normal side
    const lower = fitMixtures(
      raw.biomarkers.slice(0, 1),
      raw.values.filter((_, k) => k % B === 0),
      isControl,
      'kde',
      ['lower'],
    );
    expect(lower[0]!.abnormal).toBe('lower');
    expect(lower[0]!.directionFrom).toBe('given');
  });

  it('recover the subtypes about as well as the true L_yes / L_no, and assign takes raw values', async () => {
    const mixtures = fitMixtures(raw.biomarkers, raw.values, isControl, 'gmm');
    const spec: MixtureSpec = { kind: 'mixture', nBiomarkers: B, input: 'raw', mixtures };
    const pat = rows(raw, isPatient);
    const light = { seed: 2, maxSubtypes: 2, startpoints: 5, mcmcIterations: 0, threads: 1 };
    const fromRaw = await fitSustain(pat, spec, light);
    const fromTrue = await fitSustain(patients, onLikelihoods, light);
    const ari = (m: SustainModelFile, t: ZTable) => adjustedRand(Array.from(assignSubjects(m, t, 2).mlSubtype), trueSubtype);
    expect(ari(fromRaw, pat)).toBeGreaterThan(ari(fromTrue, patients) - 0.05);
    expect(fromRaw.fits[1]!.sequences).toEqual(fromTrue.fits[1]!.sequences);
    // the mixtures are in model.json: assigning the raw values again gives the fit's numbers
    const back = parseModel(JSON.parse(stringifyModel(fromRaw)), 'model.json') as SustainModelFile;
    expect(Array.from(assignSubjects(back, pat, 2).probSubtype)).toEqual(Array.from(assignSubjects(fromRaw, pat, 2).probSubtype));
  }, 120_000);
});
