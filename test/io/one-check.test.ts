/**
 * One check per rule: thresholds (the --thresholds file in both forms, --zvals/--zmax, the run config),
 * sequences and fractions (the likelihood and model files) are refused by the same code with the same
 * reason. These tests fail if a reader grows its own copy of a rule and the copies drift apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMessage, UserError } from '../../src/common/errors.js';
import { resolveThresholds } from '../../src/io/thresholds-file.js';
import { parseConfig } from '../../src/pipeline/config.js';
import { makeThresholds } from '../../src/sustain/thresholds.js';
import { parseModel } from '../../src/io/modelfile.js';
import { subjectLogLikelihoods } from '../../src/sustain/likelihood.js';
import { fitSustain, simulateCohort } from '../../src/sustain/index.js';
import type { SustainModelFile } from '../../src/sustain/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'ms-one-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The reason of a refusal (the message without its file/field prefix), or "ok". */
function reasonOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return e.message.slice(formatMessage('', e.place).length);
  }
}

describe('thresholds: one rule for files, flags and the run config', () => {
  const biomarkers = ['b01', 'b02'];
  const file = (name: string, v: unknown) => {
    const p = join(tmp, name);
    writeFileSync(p, JSON.stringify(v));
    return p;
  };
  // one biomarker's thresholds as written (0 = unused), accepted or refused
  const cases: { zvals: number[]; zmax: number; ok: boolean }[] = [
    { zvals: [1, 2, 3], zmax: 5, ok: true },
    { zvals: [1, 2, 0], zmax: 2, ok: true }, // 0 = unused; zmax not above the top threshold is allowed
    { zvals: [0.5], zmax: 0.5, ok: true },
    { zvals: [], zmax: 5, ok: false },
    { zvals: [0, 0], zmax: 5, ok: false },
    { zvals: [2, 1], zmax: 5, ok: false },
    { zvals: [1, 0, 1], zmax: 5, ok: false },
    { zvals: [-1, 2], zmax: 5, ok: false },
    { zvals: [1, 2], zmax: 0, ok: false },
    { zvals: [1, 2], zmax: -3, ok: false },
  ];

  it.each(cases)('zvals $zvals, zmax $zmax: the same answer everywhere', ({ zvals, zmax, ok }) => {
    const other = { zvals: [1, 2], zmax: 4 };
    const reasons = {
      ours: reasonOf(() => resolveThresholds(biomarkers, other.zvals, other.zmax, file('ours.json', { b01: { zvals, zmax } }))),
      pysustain: reasonOf(() => resolveThresholds(biomarkers, [1], 1, file('py.json', { Z_vals: [zvals, other.zvals], Z_max: [zmax, other.zmax] }))),
      flags: reasonOf(() => makeThresholds(biomarkers, zvals, zmax)),
      configOverride: reasonOf(() => parseConfig({ fit: { thresholds: { b01: { zvals, zmax } } } }, 'c.json')),
      configDefault: reasonOf(() => parseConfig({ fit: { zvals, zmax } }, 'c.json')),
    };
    if (ok) expect(Object.values(reasons)).toEqual(Object.values(reasons).map(() => 'ok'));
    else {
      expect(reasons.ours).not.toBe('ok');
      for (const [where, r] of Object.entries(reasons)) expect(r, where).toBe(reasons.ours);
    }
  });
});

describe('sequences and fractions: one check for the likelihood and model files', () => {
  const sim = simulateCohort({ subjects: 40, biomarkers: 3, subtypes: 2, zvals: [1, 2], zmax: 4, seed: 5 });
  let model: SustainModelFile;
  beforeAll(async () => {
    model = await fitSustain(sim.data, sim.model.thresholds, { seed: 1, maxSubtypes: 2, startpoints: 1, mcmcIterations: 40, mcmcTuneIterations: 20, samplesKept: 4, threads: 1 });
  });
  /** The model file's reason for one sample of fit K with these sequences and fractions. */
  function fileReason(K: number, sequences: number[][], fractions: number[]): string {
    const m = structuredClone(model);
    m.fits[K - 1]!.samples.sequences[0] = sequences;
    m.fits[K - 1]!.samples.fractions[0] = fractions;
    return reasonOf(() => parseModel(m, 'model.json')).replace(/^invalid model file: /, '');
  }
  // the model file names an event by its label, the likelihood by its index: the same reason otherwise
  const sameEvent = (r: string) => r.replace(/event (\d+|\[[^\]]*\])/g, 'event E');

  it('refuses the same sequences and fractions with the same reason', () => {
    const N = model.events.length;
    const good = model.fits[1]!.samples.sequences[0]!;
    // b01's thresholds are events 0 (z 1) and 1 (z 2): swapping them breaks the order
    const swapped = [...good[0]!];
    const i0 = swapped.indexOf(0);
    const i1 = swapped.indexOf(1);
    [swapped[i0], swapped[i1]] = [1, 0];
    const cases: [string, number[][], number[]][] = [
      ['a valid sample', good, [0.5, 0.5]],
      ['a short sequence', [good[0]!.slice(1), good[1]!], [0.5, 0.5]],
      ['an event twice', [[good[0]![0]!, ...good[0]!.slice(0, -1)], good[1]!], [0.5, 0.5]],
      ['an event out of range', [[...good[0]!.slice(0, -1), N], good[1]!], [0.5, 0.5]],
      ['thresholds out of order', [swapped, good[1]!], [0.5, 0.5]],
      ['fractions not summing to 1', good, [0.5, 0.6]],
      ['a negative fraction', good, [-0.5, 1.5]],
      ['too few fractions', good, [1]],
    ];
    for (const [what, sequences, fractions] of cases) {
      const viaFile = fileReason(2, sequences, fractions);
      const viaLikelihood = reasonOf(() => subjectLogLikelihoods(sim.data, sim.model.thresholds, sequences, fractions));
      expect(sameEvent(viaFile), what).toBe(sameEvent(viaLikelihood));
      expect(viaFile === 'ok', what).toBe(what === 'a valid sample');
    }
  });
});
