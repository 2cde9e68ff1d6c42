import { describe, it, expect } from 'vitest';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/common/rng.js';
import { combineFolds } from '../../src/cv/combine.js';
import { combineDirectory } from '../../src/cv/run.js';
import { writePart, partFile } from '../../src/cv/store.js';
import { makeSettings, type CvSettings } from '../../src/cv/settings.js';
import { adjustedRandIndex } from '../../src/cv/ari.js';
import type { FoldResult, FullResult } from '../../src/cv/fold.js';
import type { NamedEvent, ZTable } from '../../src/sustain/types.js';
import { tempDir } from '../helpers/tmp.js';

// Synthetic fold results (no SuStaIn fit): the point is the bookkeeping of combining.
const events: NamedEvent[] = [
  ['a', 1],
  ['a', 2],
  ['b', 1],
  ['c', 1],
];
const N = events.length;
const M = 30;

function onehotPv(seq: number[]): number[][] {
  const pv = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  seq.forEach((e, p) => (pv[e]![p] = 1));
  return pv;
}

const fullSeqs: Record<number, number[][]> = {
  1: [[0, 1, 2, 3]],
  2: [
    [0, 1, 2, 3],
    [3, 2, 0, 1],
  ],
};
const fullAssign: Record<number, number[]> = { 1: new Array<number>(M).fill(0), 2: Array.from({ length: M }, (_, i) => (i < 18 ? 0 : 1)) };

function fold(f: number, swap: boolean, ll: number[], lm: number[], flip: number[]): FoldResult {
  return {
    kind: 'fold',
    fold: f,
    testSubjects: 10,
    events,
    perK: [1, 2].map((K) => {
      const seqs = swap && K === 2 ? [fullSeqs[2]![1]!, fullSeqs[2]![0]!] : fullSeqs[K]!;
      const assignment = fullAssign[K]!.map((c, i) => {
        const label = swap && K === 2 ? 1 - c : c;
        return K === 2 && flip.includes(i) ? 1 - label : label;
      });
      return { subtypes: K, testLogLikelihood: ll[K - 1]!, logMeanLikelihood: lm[K - 1]!, samples: 10, sequences: seqs, positionalVariance: seqs.map(onehotPv), assignment };
    }),
  };
}

const full: FullResult = { kind: 'full', events, perK: [1, 2].map((K) => ({ subtypes: K, sequences: fullSeqs[K]!, assignment: fullAssign[K]! })) };

function settingsFor(seed: number): CvSettings {
  const data: ZTable = { subjects: Array.from({ length: M }, (_, i) => `s${i}`), biomarkers: ['a', 'b', 'c'], values: new Float64Array(M * 3) };
  return makeSettings(
    {
      seed,
      folds: 3,
      maxSubtypes: 2,
      startpoints: 2,
      mcmcIterations: 100,
      samplesKept: null,
      mcmcTuneIterations: null,
      chains: null,
      stratify: null,
      fullModel: 'fitted',
      toolVersion: '0.1.0',
    },
    data,
    { zvals: [[1, 2], [1], [1]], zmax: [3, 3, 3] },
    new Int32Array(M).map((_, i) => i % 3),
  );
}

const folds = [fold(1, false, [-100, -90], [-99, -89], []), fold(2, true, [-110, -101], [-108, -99], [0, 1, 2]), fold(3, false, [-95, -88], [-94, -86], [20])];

describe('combining folds', () => {
  it('computes the table, CVIC, matched pooled positional variance and stability', () => {
    const r = combineFolds(settingsFor(1), folds, full);
    expect(r.table.map((t) => t.cvic)).toEqual([-2 * (-99 - 108 - 94), -2 * (-89 - 99 - 86)]);
    expect(r.table[1]!.testLogLikelihoodPerFold).toEqual([-90, -101, -88]);
    expect(r.table[1]!.testLogLikelihoodMean).toBeCloseTo(-93, 12);
    expect(r.cvicChoice).toBe(2);
    expect(r.recommendedSubtypes).toBe(2); // +8.67 per fold, consistent
    // Fold 2 listed its subtypes swapped: matching puts them back, so the pooled PVD is one-hot.
    expect(r.positionalVariance!['2']).toEqual(fullSeqs[2]!.map(onehotPv));
    // Pooling weights folds by their number of posterior samples.
    const moved = fold(3, false, [-95, -88], [-94, -86], []);
    moved.perK[0]!.samples = 20; // twice fold 1's and fold 2's 10
    moved.perK[0]!.positionalVariance = [onehotPv([1, 0, 2, 3])];
    const pooled = combineFolds(settingsFor(1), [folds[0]!, folds[1]!, moved], full).positionalVariance!['1']![0]!;
    expect(pooled[0]![0]).toBeCloseTo(0.5, 12);
    expect(pooled[0]![1]).toBeCloseTo(0.5, 12);
    expect(pooled[2]![2]).toBeCloseTo(1, 12);
    expect(r.matchingTau!['2']).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    // Stability is label-free: fold 1 identical (1), folds 2 and 3 differ by a few subjects.
    expect(r.stability!['1']).toEqual([1, 1, 1]);
    expect(r.stability!['2']![0]).toBe(1);
    expect(r.stability!['2']![1]).toBeCloseTo(adjustedRandIndex(folds[1]!.perK[1]!.assignment, fullAssign[2]!), 12);
    expect(r.stability!['2']![1]!).toBeLessThan(1);
    expect(r.table[1]!.stabilityMean).toBeCloseTo((1 + r.stability!['2']![1]! + r.stability!['2']![2]!) / 3, 12);
    expect(r.events).toEqual(events);
  });

  it('combineDirectory joins part files and refuses missing parts or a mix of settings', () => {
    const dir = tempDir('cv-combine-');
    const s = settingsFor(1);
    expect(() => combineDirectory(dir)).toThrow(/full-data part is missing/);
    writePart(dir, s, full);
    writePart(dir, s, folds[0]!);
    writePart(dir, s, folds[2]!);
    expect(() => combineDirectory(dir)).toThrow(/fold 2 of 3 missing/);
    writePart(dir, settingsFor(2), folds[1]!);
    expect(() => combineDirectory(dir)).toThrow(/fold-2\.json: was made with different settings .*seed 2 vs 1.*refusing to mix/);
    writePart(dir, s, folds[1]!);
    const r = combineDirectory(dir);
    expect(JSON.stringify(r)).toBe(JSON.stringify(combineFolds(s, folds, full)));
    writeFileSync(join(dir, 'fold-4.json'), readFileSync(partFile(dir, 3)));
    expect(() => combineDirectory(dir)).toThrow(/fold-4\.json comes from another run/);
    rmSync(join(dir, 'fold-4.json'));
    // A part missing a K, or assigning the wrong number of subjects, is refused.
    writePart(dir, s, { ...folds[1]!, perK: folds[1]!.perK.slice(0, 1) });
    expect(() => combineDirectory(dir)).toThrow(/fold-2\.json, field result\.perK: has results for K = 1, expected 1 to 2/);
    writePart(dir, s, { ...folds[1]!, perK: folds[1]!.perK.map((k) => ({ ...k, assignment: k.assignment.slice(1) })) });
    expect(() => combineDirectory(dir)).toThrow(/assigns 29 subjects for K=1, the data has 30/);
  });

  it('a damaged part file is named, not misread', () => {
    const dir = tempDir('cv-bad-');
    writePart(dir, settingsFor(1), full);
    writeFileSync(partFile(dir, 1), '{"format": "ms-subtype-cv-part", "formatVersion": 1');
    expect(() => combineDirectory(dir)).toThrow(/fold-1\.json: not valid JSON/);
    const good = JSON.parse(JSON.stringify({ format: 'ms-subtype-cv-part', formatVersion: 1, toolVersion: '0', settings: settingsFor(1), result: folds[0] }));
    good.result.perK[0].testLogLikelihood = 'x';
    writeFileSync(partFile(dir, 1), JSON.stringify(good));
    expect(() => combineDirectory(dir)).toThrow(/fold-1\.json, field result.*testLogLikelihood/);
  });

  it('settings hash the data and the folds', () => {
    const a = settingsFor(1);
    expect(a.dataSha256).toMatch(/^[0-9a-f]{64}$/);
    const rng = Rng.fromSeed(1);
    const data: ZTable = { subjects: ['x', 'y'], biomarkers: ['a'], values: new Float64Array([rng.uniform(), 1]) };
    const t = { zvals: [[1]], zmax: [2] };
    const base = {
      seed: 1,
      folds: 2,
      maxSubtypes: 1,
      startpoints: 1,
      mcmcIterations: 1,
      samplesKept: null,
      mcmcTuneIterations: null,
      chains: null,
      stratify: null,
      fullModel: 'fitted',
      toolVersion: 'x',
    };
    const s1 = makeSettings(base, data, t, new Int32Array([0, 1]));
    const s2 = makeSettings(base, { ...data, values: new Float64Array([0.5, 1]) }, t, new Int32Array([0, 1]));
    const s3 = makeSettings(base, data, t, new Int32Array([1, 0]));
    expect(s1.dataSha256).not.toBe(s2.dataSha256);
    expect(s1.foldsSha256).not.toBe(s3.foldsSha256);
  });
});
