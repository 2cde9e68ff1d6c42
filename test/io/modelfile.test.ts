import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseModel, readModelFile, readSustainModel, writeModelFile } from '../../src/io/modelfile.js';
import { fitSustain, simulateCohort } from '../../src/sustain/index.js';
import { fitKmeansModel } from '../../src/cv/kmeans.js';
import { UserError } from '../../src/common/errors.js';
import type { SustainModelFile } from '../../src/sustain/types.js';
import { tempDir } from '../helpers/tmp.js';

/** The error parseModel gives for a variant of the model (a function of a deep copy). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a deep copy of the JSON, edited freely
type Json = Record<string, any>;
function refusal(model: SustainModelFile, change: (m: Json) => void): string {
  const m = structuredClone(model) as unknown as Json;
  change(m);
  try {
    parseModel(m, 'model.json');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  return 'accepted';
}

describe('model.json: one reader, one writer', () => {
  let model: SustainModelFile;
  const sim = simulateCohort({ subjects: 60, biomarkers: 3, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 2 });
  beforeAll(async () => {
    model = await fitSustain(sim.data, sim.model.thresholds, { seed: 1, maxSubtypes: 2, startpoints: 1, mcmcIterations: 200, mcmcTuneIterations: 50, samplesKept: 20, threads: 1 });
  });

  it('round-trips through the file, with short arrays on one line', () => {
    const dir = tempDir('ms-modelfile-');
    const f = join(dir, 'model.json');
    writeModelFile(f, model);
    const text = readFileSync(f, 'utf8');
    expect(readModelFile(f)).toEqual(model);
    // a sequence of [biomarker, z] events is one line
    expect(text).toMatch(/\[\["b0\d", [12]\], \["b0\d", [12]\]/);
    expect(text.split('\n').every((l) => !/^\s*-?\d/.test(l))).toBe(true);
  });

  it('refuses a broken model naming the key at fault', () => {
    expect(refusal(model, (m) => (m.formatVersion = 2))).toMatch(/field formatVersion/);
    expect(refusal(model, (m) => (m.method = 'ebm'))).toMatch(/field method/);
    expect(refusal(model, (m) => (m.biomarkers[1] = m.biomarkers[0]))).toMatch(/named twice.*|field biomarkers/);
    expect(refusal(model, (m) => (m.fits[1].fractions = [0.7, 0.7]))).toMatch(/fits\.1\.fractions.*sum to 1/);
    expect(refusal(model, (m) => (m.fits[1].fractions = [1]))).toMatch(/fits\.1.*1 fractions for 2 subtypes/);
    expect(refusal(model, (m) => (m.fits[0].sequences[0] = [...m.fits[0].sequences[0]].reverse()))).toMatch(/fits\.0\.sequences.*out of order/);
    expect(refusal(model, (m) => (m.fits[0].sequences[0][1] = m.fits[0].sequences[0][0]))).toMatch(/fits\.0\.sequences/);
    expect(refusal(model, (m) => (m.fits[0].sequences[0][0] = ['nowhere', 1]))).toMatch(/unknown event/);
    expect(refusal(model, (m) => m.fits[1].samples.fractions.pop())).toMatch(/fits\.1\.samples.*different lengths/);
    expect(refusal(model, (m) => (m.zmax = [4]))).toMatch(/field zmax/);
    expect(refusal(model, () => {})).toBe('accepted');
  });

  it('tells a k-means model from a SuStaIn one', () => {
    const dir = tempDir('ms-modelfile-');
    const f = join(dir, 'km.json');
    writeModelFile(f, fitKmeansModel(sim.data, { maxSubtypes: 2, seed: 1 }));
    expect(readModelFile(f).method).toBe('kmeans');
    expect(() => readSustainModel(f)).toThrow(/km\.json.*kmeans model/);
    writeFileSync(f, '{"format": "ms-subtype-model", "formatVersion": 1');
    expect(() => readModelFile(f)).toThrow(/km\.json.*not valid JSON/);
  });
});
