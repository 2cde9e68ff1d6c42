/**
 * Synthetic cohorts as pySuStaIn's simulation makes them (sim/simfuncs.py, simrun.py): random
 * constrained sequences (each step picks uniformly among every biomarker's lowest unused threshold),
 * subtypes drawn with the given fractions, a fraction of subjects at stage 0 and the rest uniform over
 * stages 1..N+1, data = the noise-free piecewise-linear point value at that stage + N(0, 1) noise.
 */
import { UserError } from '../common/errors.js';
import { Rng } from '../common/rng.js';
import { checkThresholds } from './thresholds.js';
import type { NamedEvent, Thresholds, ZTable } from './types.js';
import { ZscoreModel } from './zscore.js';
import { namedEvents } from './fit.js';

export interface SimulateOptions {
  subjects: number;
  biomarkers: number;
  subtypes: number;
  zvals: number[];
  zmax: number;
  seed: number;
  /** generating fractions; default proportional to K+1, K, ..., 2 (0.6/0.4 for 2, 4:3:2 for 3) */
  fractions?: number[];
  /** share of subjects at stage 0 (default 0.25, as pySuStaIn's simrun) */
  controlFraction?: number;
  /** biomarker names; default b01, b02, ... */
  names?: string[];
}

export interface SimulatedCohort {
  data: ZTable;
  truth: { subtype: Int32Array; stage: Int32Array };
  model: { biomarkers: string[]; thresholds: Thresholds; events: NamedEvent[]; sequences: number[][]; namedSequences: NamedEvent[][]; fractions: number[] };
}

/** The generating model's part of truth-model.json (the same keys, in the same order, for `simulate` with and without --visits). */
export function truthModelFields(model: SimulatedCohort['model']) {
  return {
    biomarkers: model.biomarkers,
    zvals: model.thresholds.zvals,
    zmax: model.thresholds.zmax,
    events: model.events,
    sequences: model.namedSequences,
    fractions: model.fractions,
  };
}

export function defaultFractions(K: number): number[] {
  const w = Array.from({ length: K }, (_, s) => K + 1 - s);
  const t = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / t);
}

export function simulateCohort(opts: SimulateOptions): SimulatedCohort {
  const { subjects: M, biomarkers: B, subtypes: K } = opts;
  if (!Number.isInteger(M) || M < 1) throw new UserError(`subjects must be a positive integer, got ${M}`);
  if (!Number.isInteger(B) || B < 1) throw new UserError(`biomarkers must be a positive integer, got ${B}`);
  if (!Number.isInteger(K) || K < 1) throw new UserError(`subtypes must be a positive integer, got ${K}`);
  const names = opts.names ?? Array.from({ length: B }, (_, b) => `b${String(b + 1).padStart(2, '0')}`);
  if (names.length !== B) throw new UserError(`${names.length} biomarker names for ${B} biomarkers`);
  const thresholds: Thresholds = { zvals: names.map(() => [...opts.zvals]), zmax: names.map(() => opts.zmax) };
  checkThresholds(thresholds, names);
  const fractions = opts.fractions ?? defaultFractions(K);
  if (fractions.length !== K || fractions.some((f) => !(f >= 0)) || Math.abs(fractions.reduce((a, b) => a + b, 0) - 1) > 1e-6) {
    throw new UserError(`fractions must be ${K} non-negative numbers summing to 1, got ${fractions.join(', ')}`);
  }
  const ctrl = opts.controlFraction ?? 0.25;
  if (!(ctrl >= 0 && ctrl <= 1)) throw new UserError(`control fraction must be in [0, 1], got ${ctrl}`);
  const model = new ZscoreModel(thresholds);
  const N = model.nEvents;
  const rng = Rng.fromSeed(opts.seed);
  const seqs = Array.from({ length: K }, () => model.randomSequence(rng));
  const points = seqs.map((s) => {
    const out = new Float64Array((N + 2) * B);
    model.points(s, out);
    return out;
  });
  const subtype = new Int32Array(M);
  const stage = new Int32Array(M);
  const nCtrl = Math.round(M * ctrl);
  for (let i = 0; i < M; i++) {
    let u = rng.uniform();
    let s = 0;
    while (s < K - 1 && u >= fractions[s]!) u -= fractions[s++]!;
    subtype[i] = s;
    stage[i] = i < nCtrl ? 0 : 1 + rng.int(N + 1);
  }
  const values = new Float64Array(M * B);
  for (let i = 0; i < M; i++) {
    const pv = points[subtype[i]!]!;
    for (let b = 0; b < B; b++) values[i * B + b] = pv[stage[i]! * B + b]! + rng.normal();
  }
  const width = String(M).length;
  const subjects = Array.from({ length: M }, (_, i) => `sim${String(i + 1).padStart(width, '0')}`);
  const events = namedEvents(names, thresholds);
  const sequences = seqs.map((s) => Array.from(s));
  return {
    data: { subjects, biomarkers: names, values },
    truth: { subtype, stage },
    model: { biomarkers: names, thresholds, events, sequences, namedSequences: sequences.map((s) => s.map((e) => events[e]!)), fractions },
  };
}
