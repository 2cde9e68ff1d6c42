import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../helpers/cli.js';
import { readZTable } from '../../src/io/ztable.js';
import { logLikelihood, subjectLogLikelihoods } from '../../src/sustain/likelihood.js';
import { ZscoreModel } from '../../src/sustain/zscore.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { moveEvent } from '../../src/sustain/model.js';
import { Rng } from '../../src/common/rng.js';
import type { Thresholds, ZTable } from '../../src/sustain/types.js';

interface Case {
  name: string;
  data: string;
  Z_vals: number[][];
  Z_max: number[];
  sequences: [number, number][][];
  fractions: number[];
  loglik: number;
  per_subject_loglik?: number[];
}

const dir = join(sharedDir, 'sustain');
const cases = (JSON.parse(readFileSync(join(dir, 'likelihood-cases.json'), 'utf8')) as { cases: Case[] }).cases;
const tables = new Map<string, ZTable>();
function data(rel: string): ZTable {
  if (!tables.has(rel)) tables.set(rel, readZTable(join(dir, rel)).table);
  return tables.get(rel)!;
}

/** Z_vals rows with 0 = unused -> per-biomarker threshold lists; [b, z] events -> our event indices. */
function convert(c: Case): { t: Thresholds; seqs: number[][] } {
  const zvals = c.Z_vals.map((row) => row.filter((z) => z > 0));
  const t: Thresholds = { zvals, zmax: c.Z_max };
  const first: number[] = [];
  let n = 0;
  for (const z of zvals) {
    first.push(n);
    n += z.length;
  }
  const seqs = c.sequences.map((seq) => seq.map(([b, z]) => first[b]! + zvals[b]!.indexOf(z)));
  return { t, seqs };
}

describe('likelihood parity with pySuStaIn (ZscoreSustain)', () => {
  it('has the 24 cases', () => {
    expect(cases.length).toBe(24);
  });
  for (const c of cases) {
    it(c.name, () => {
      const { t, seqs } = convert(c);
      const d = data(c.data);
      const total = logLikelihood(d, t, seqs, c.fractions);
      expect(Math.abs(total - c.loglik) / Math.abs(c.loglik)).toBeLessThan(1e-9);
      if (c.per_subject_loglik) {
        const per = subjectLogLikelihoods(d, t, seqs, c.fractions);
        expect(per.length).toBe(c.per_subject_loglik.length);
        let worst = 0;
        per.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c.per_subject_loglik![i]!) / Math.abs(c.per_subject_loglik![i]!))));
        expect(worst).toBeLessThan(1e-9);
      }
    });
  }
});

describe('stable and incremental likelihood', () => {
  it('does not underflow where a plain sum would (extreme z values)', () => {
    const t: Thresholds = {
      zvals: [
        [1, 2],
        [1, 2],
      ],
      zmax: [4, 4],
    };
    const d: ZTable = { subjects: ['a', 'b'], biomarkers: ['x', 'y'], values: Float64Array.from([60, 55, 0.5, 0.2]) };
    const per = subjectLogLikelihoods(d, t, [[0, 2, 1, 3]], [1]);
    // subject a: about -0.5 * (56^2 + 51^2): far below log(1e-250) = -575.6, yet finite and exact
    expect(per[0]!).toBeLessThan(-2000);
    expect(Number.isFinite(per[0]!)).toBe(true);
    // by hand, shifting by the best stage before exponentiating
    const model = new ZscoreModel(t);
    const tmpl = new Float64Array(5 * 2);
    model.template(Int32Array.from([0, 2, 1, 3]), tmpl);
    const terms = [0, 1, 2, 3, 4].map((k) => Math.log(1 / 5) - Math.log(2 * Math.PI) - 0.5 * ((60 - tmpl[k * 2]!) ** 2 + (55 - tmpl[k * 2 + 1]!) ** 2));
    const mx = Math.max(...terms);
    expect(per[0]!).toBeCloseTo(mx + Math.log(terms.reduce((a, v) => a + Math.exp(v - mx), 0)), 9);
  });

  it('marginalises missing values (a missing biomarker is skipped)', () => {
    const t: Thresholds = { zvals: [[1, 2], [1, 2], [1]], zmax: [4, 4, 3] };
    const seq = [0, 2, 4, 1, 3];
    const full: ZTable = { subjects: ['a'], biomarkers: ['x', 'y', 'w'], values: Float64Array.from([1.2, NaN, 0.4]) };
    // by hand: the same stage curves, with y's term left out of every stage
    const ll = subjectLogLikelihoods(full, t, [seq], [1])[0]!;
    const model = new ZscoreModel(t);
    const tmpl = new Float64Array(6 * 3);
    model.template(Int32Array.from(seq), tmpl);
    let acc = 0;
    for (let k = 0; k < 6; k++) {
      const a = 1.2 - tmpl[k * 3]!;
      const c = 0.4 - tmpl[k * 3 + 2]!;
      acc += Math.exp(Math.log(1 / 6) - Math.log(2 * Math.PI) - 0.5 * (a * a + c * c));
    }
    expect(ll).toBeCloseTo(Math.log(acc), 12);
    // and it differs from treating y as 0
    const zero: ZTable = { ...full, values: Float64Array.from([1.2, 0, 0.4]) };
    expect(Math.abs(subjectLogLikelihoods(zero, t, [seq], [1])[0]! - ll)).toBeGreaterThan(0.1);
  });

  it('incremental tables equal full recomputation after random moves', () => {
    const d = data('small/data.csv');
    const t: Thresholds = { zvals: d.biomarkers.map((_, b) => (b % 2 === 0 ? [1, 2] : [1, 2, 3])), zmax: d.biomarkers.map((_, b) => (b % 2 === 0 ? 4 : 5)) };
    const model = new ZscoreModel(t);
    const rng = Rng.fromSeed(7);
    const prepared = model.prepare(d.values, d.subjects.length);
    const seqs = [model.randomSequence(rng), model.randomSequence(rng), model.randomSequence(rng)];
    const mix = new MixtureTables(model, prepared, seqs);
    const f = [0.5, 0.3, 0.2];
    const range = new Int32Array(2);
    for (let it = 0; it < 300; it++) {
      const s = rng.int(3);
      const st = mix.subs[s]!;
      const from = rng.int(model.nEvents);
      const e = st.seq[from]!;
      model.allowedRange(st.pos, e, range);
      const to = range[0]! + rng.int(range[1]! - range[0]!);
      const next = Int32Array.from(st.seq);
      moveEvent(next, from, to);
      const exact = logLikelihood(
        d,
        t,
        mix.subs.map((x, q) => Array.from(q === s ? next : x.seq)),
        f,
      );
      if (rng.uniform() < 0.3) {
        // the in-place path (EM walk, staging)
        mix.apply(s, next);
        expect(Math.abs(mix.logLik(f, false) - exact)).toBeLessThan(1e-8 * Math.abs(exact));
        continue;
      }
      mix.propose(s, next);
      const pending = mix.logLik(f);
      expect(Math.abs(pending - exact)).toBeLessThan(1e-8 * Math.abs(exact));
      if (rng.uniform() < 0.5) mix.commit(s);
      else mix.discard(s);
    }
    const exact = logLikelihood(
      d,
      t,
      mix.subs.map((x) => Array.from(x.seq)),
      f,
    );
    expect(Math.abs(mix.logLik(f) - exact)).toBeLessThan(1e-8 * Math.abs(exact));
  });

  it('incremental tables stay exact for extreme and missing values (the exact fallbacks of the multiplicative update)', () => {
    // z-scores up to +-300 push cells past exp's range (under/overflow relative to the reference):
    // those subjects must take the exact paths, and moves of every size (EM steps, MCMC jumps) must agree.
    const B = 4;
    const M = 40;
    const rng = Rng.fromSeed(11);
    const values = new Float64Array(M * B);
    for (let i = 0; i < M; i++) {
      for (let b = 0; b < B; b++) {
        const u = rng.uniform();
        values[i * B + b] = u < 0.1 ? NaN : u < 0.25 ? (rng.uniform() - 0.3) * 600 : 3 * rng.uniform() + rng.normal();
      }
      if (Number.isNaN(values[i * B]!) && Number.isNaN(values[i * B + 1]!)) values[i * B] = 1;
    }
    const d: ZTable = { subjects: Array.from({ length: M }, (_, i) => `s${i}`), biomarkers: ['a', 'b', 'c', 'd'], values };
    // zmax below (a) and at (d) the top threshold, as pySuStaIn allows: curves that fall or stay flat
    const t: Thresholds = { zvals: [[1, 2, 3], [1, 2], [2], [1, 3]], zmax: [2.5, 4, 6, 3] };
    const model = new ZscoreModel(t);
    const mix = new MixtureTables(model, model.prepare(values, M), [model.randomSequence(rng), model.randomSequence(rng)]);
    const f = [0.6, 0.4];
    const range = new Int32Array(2);
    for (let it = 0; it < 400; it++) {
      const s = rng.int(2);
      const st = mix.subs[s]!;
      const from = rng.int(model.nEvents);
      model.allowedRange(st.pos, st.seq[from]!, range);
      // half of the moves are single steps (the EM walk), the rest anywhere in the allowed range
      const step = from + (rng.uniform() < 0.5 ? -1 : 1);
      const to = rng.uniform() < 0.5 && step >= range[0]! && step < range[1]! ? step : range[0]! + rng.int(range[1]! - range[0]!);
      const next = Int32Array.from(st.seq);
      moveEvent(next, from, to);
      const exact = logLikelihood(
        d,
        t,
        mix.subs.map((x, q) => Array.from(q === s ? next : x.seq)),
        f,
      );
      if (rng.uniform() < 0.5) {
        mix.apply(s, next);
        expect(Math.abs(mix.logLik(f, false) - exact)).toBeLessThan(1e-8 * Math.abs(exact));
      } else {
        mix.propose(s, next);
        expect(Math.abs(mix.logLik(f) - exact)).toBeLessThan(1e-8 * Math.abs(exact));
        if (rng.uniform() < 0.5) mix.commit(s);
        else mix.discard(s);
      }
    }
  });
});
