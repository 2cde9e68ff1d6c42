import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { assignSubjects, fitSustain, likelihoodTable, sampleSubjectLogLikelihoods, simulateCohort, ZscoreModel, type MixtureSpec } from '../../src/sustain/index.js';
import { readZTable } from '../../src/io/ztable.js';
import { sharedDir } from '../helpers/cli.js';
import { BLOCK } from '../../src/sustain/staging-blocks.js';
import { padded } from '../../src/sustain/model.js';
import type { Assignment, SustainModelFile, ZTable } from '../../src/sustain/types.js';
import { Rng } from '../../src/common/rng.js';

// A 3-subtype model with diverse posterior samples (4 short chains), and a cohort with missing
// values, subjects far beyond zmax (their chains leave the accurate range: the exact fallback) and a
// count that leaves a partial last block.
const sim = simulateCohort({ subjects: 300, biomarkers: 5, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 3 });
const th = { zvals: sim.data.biomarkers.map(() => [1, 2, 3]), zmax: sim.data.biomarkers.map(() => 5) };
let fitting: Promise<SustainModelFile> | undefined;
const fitted = (): Promise<SustainModelFile> =>
  (fitting ??= fitSustain(sim.data, th, { seed: 2, maxSubtypes: 3, startpoints: 2, mcmcIterations: 2000, mcmcTuneIterations: 200, samplesKept: 200, threads: 1 }));

function cohort(): ZTable {
  const big = simulateCohort({ subjects: 2 * BLOCK + 45, biomarkers: 5, subtypes: 3, zvals: [1, 2, 3], zmax: 5, seed: 8 });
  const B = big.data.biomarkers.length;
  const values = Float64Array.from(big.data.values);
  for (let i = 0; i < big.data.subjects.length; i++) {
    if (i % 4 === 1) values[i * B + (i % B)] = NaN;
    if (i % 9 === 2) values[i * B + ((i + 2) % B)] = NaN;
    if (i % 31 === 5) for (let b = 0; b < B; b++) values[i * B + b] = 40 + b;
  }
  return { subjects: big.data.subjects, biomarkers: big.data.biomarkers, values };
}

const ARRAYS = ['probSubtype', 'probStage', 'probSubtypeStage', 'probMlSubtype', 'probMlStage'] as const;

function expectSame(a: Assignment, b: Assignment, tol: number): void {
  expect(Array.from(a.mlSubtype)).toEqual(Array.from(b.mlSubtype));
  expect(Array.from(a.mlStage)).toEqual(Array.from(b.mlStage));
  for (const k of ARRAYS) {
    let worst = 0;
    for (let q = 0; q < a[k]!.length; q++) worst = Math.max(worst, Math.abs(a[k]![q]! - b[k]![q]!));
    expect(worst, k).toBeLessThan(tol);
  }
}

describe('assignment by blocks of subjects (staging-blocks.ts, zscore-stagerows.ts, mixture-stagerows.ts)', () => {
  it("gives the incremental tables' numbers (missing values, subjects beyond zmax, a partial block)", async () => {
    const m = await fitted();
    const fit = m.fits[2]!;
    expect(new Set(fit.samples.sequences.map((s) => JSON.stringify(s))).size).toBeGreaterThan(20);
    const data = cohort();
    expectSame(assignSubjects(m, data, 3), assignSubjects(m, data, 3, 'tables'), 1e-12);
    expectSame(assignSubjects(m, data, 2), assignSubjects(m, data, 2, 'tables'), 1e-12);
  }, 60_000);

  it("gives the incremental tables' numbers under pySuStaIn's staging rule", async () => {
    const m = structuredClone(await fitted());
    m.settings['staging'] = 'pysustain';
    const data = cohort();
    expectSame(assignSubjects(m, data, 3), assignSubjects(m, data, 3, 'tables'), 1e-12);
  }, 60_000);

  it("gives the incremental tables' per-sample subject log-likelihoods (CV)", async () => {
    const m = await fitted();
    const data = cohort();
    const a = sampleSubjectLogLikelihoods(m, 3, data);
    const b = sampleSubjectLogLikelihoods(m, 3, data, 'tables');
    expect(a.length).toBe(200 * data.subjects.length);
    let worst = 0;
    for (let q = 0; q < a.length; q++) worst = Math.max(worst, Math.abs(a[q]! - b[q]!) / Math.max(1, Math.abs(b[q]!)));
    expect(worst).toBeLessThan(1e-12);
  }, 60_000);

  it('gives each subject the same numbers whatever block it falls in', async () => {
    const m = await fitted();
    const data = cohort();
    const all = assignSubjects(m, data, 3);
    const from = 37;
    const B = data.biomarkers.length;
    const part = assignSubjects(m, { subjects: data.subjects.slice(from), biomarkers: data.biomarkers, values: data.values.slice(from * B) }, 3);
    const S = all.probStage!.length / all.subjects.length;
    expect(Array.from(part.mlStage)).toEqual(Array.from(all.mlStage.subarray(from)));
    expect(Array.from(part.probSubtype)).toEqual(Array.from(all.probSubtype.subarray(from * 3)));
    expect(Array.from(part.probStage!)).toEqual(Array.from(all.probStage!.subarray(from * S)));
  }, 60_000);

  it('fills exp-rows that match the exact stage log-likelihoods, and flags subjects out of range', () => {
    const model = new ZscoreModel(th);
    const rng = Rng.fromSeed(4);
    const seqs = Array.from({ length: 6 }, () => model.randomSequence(rng));
    const data = cohort();
    const B = data.biomarkers.length;
    const n = 50;
    const prepared = model.prepare(data.values.slice(0, n * B), n);
    const S = model.nStages;
    const plan = model.stageRows.plan(prepared, seqs, n, padded(n) * (S + 1) * 8 + 64)!;
    const np = padded(n);
    const E = plan.arena.f64(S * np);
    const T = plan.arena.f64(np);
    const bad = plan.arena.u8(np);
    const ref = new Float64Array(n).map((_, r) => (r % 3) - 60);
    plan.block(0, n, ref);
    const L = new Float64Array(S);
    const tmpl = new Float64Array(S * B);
    let flagged = 0;
    seqs.forEach((seq, q) => {
      bad.fill(0);
      plan.rows(q, E, T, bad);
      model.template(seq, tmpl);
      for (let r = 0; r < n; r++) {
        model.fillRow(prepared, tmpl, r, L, 0);
        const far = r % 31 === 5;
        expect(bad[r], `subject ${r}`).toBe(far ? 1 : 0);
        if (far) {
          flagged++;
          continue;
        }
        let t = 0;
        for (let k = 0; k < S; k++) {
          const want = Math.exp(L[k]! - ref[r]!);
          t += want;
          expect(Math.abs(E[k * np + r]! - want)).toBeLessThanOrEqual(1e-12 * want);
        }
        expect(Math.abs(T[r]! - t)).toBeLessThanOrEqual(1e-12 * t);
      }
    });
    expect(flagged).toBe(2 * seqs.length);
  });

  it("gives the incremental tables' numbers for the mixture model (event chains), missing values included", async () => {
    const dir = join(sharedDir, 'sustain', 'mixture');
    const table = likelihoodTable(readZTable(join(dir, 'l_yes.csv'), { includeControls: true }).table, readZTable(join(dir, 'l_no.csv'), { includeControls: true }).table);
    const spec: MixtureSpec = { kind: 'mixture', nBiomarkers: table.biomarkers.length / 2, input: 'likelihoods' };
    const W = table.biomarkers.length;
    // fitted on a few subjects: a wide posterior, so the samples differ
    const few = { subjects: table.subjects.slice(0, 30), biomarkers: table.biomarkers, values: table.values.slice(0, 30 * W) };
    const m = await fitSustain(few, spec, { seed: 3, maxSubtypes: 2, startpoints: 2, mcmcIterations: 1000, mcmcTuneIterations: 200, samplesKept: 100, threads: 1 });
    expect(new Set(m.fits[1]!.samples.sequences.map((q) => JSON.stringify(q))).size).toBeGreaterThan(5);
    const values = Float64Array.from(table.values);
    // a missing value drops out of both likelihoods
    for (let i = 0; i < table.subjects.length; i += 5) values[i * W + (i % (W / 2))] = values[i * W + W / 2 + (i % (W / 2))] = NaN;
    const data = { ...table, values };
    expectSame(assignSubjects(m, data, 2), assignSubjects(m, data, 2, 'tables'), 1e-12);
  }, 60_000);
});
