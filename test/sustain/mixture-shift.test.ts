/**
 * The event shift (state-shift.ts): the mixture model's tables updated by moving one event, checked
 * against tables recomputed from scratch, through every write the EM and MCMC use; and MCMC on the
 * mixture kind accepting moves when the data do not prefer an order.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { MixtureModel, type MixData } from '../../src/sustain/mixture.js';
import { moveEvent } from '../../src/sustain/model.js';
import { MixtureTables } from '../../src/sustain/state.js';
import { findMove } from '../../src/sustain/state-shift.js';
import { LongitudinalTables } from '../../src/sustain/longitudinal/tables.js';
import { runChain } from '../../src/sustain/mcmc.js';
import { subjectLogLikelihoodsPrepared } from '../../src/sustain/likelihood.js';

const B = 8;

/** L_yes / L_no rows: ordinary values, a subject with extreme likelihoods (unsafe for the shift), a missing value. */
function cohort(M: number, seed: number): Float64Array {
  const rng = Rng.fromSeed(seed);
  const v = new Float64Array(M * 2 * B);
  for (let i = 0; i < v.length; i++) v[i] = Math.exp(-8 * rng.uniform());
  // subject 1: likelihood ratios of 1e300 (sum |log ratio| far above the factors' safe range)
  for (let b = 0; b < B; b++) {
    v[1 * 2 * B + b] = b % 2 === 0 ? 1 : 1e-300;
    v[1 * 2 * B + B + b] = b % 2 === 0 ? 1e-300 : 1;
  }
  v[2 * 2 * B + 3] = NaN;
  v[2 * 2 * B + B + 3] = NaN;
  return v;
}

function fresh(model: MixtureModel, data: MixData, seqs: Int32Array[]): MixtureTables<MixData> {
  return new MixtureTables<MixData>(
    model,
    data,
    seqs.map((s) => Int32Array.from(s)),
  );
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

/** The total by log-sum-exp per subject (likelihood.ts: no tables, no products of totals). */
function exactTotal(model: MixtureModel, data: MixData, seqs: Int32Array[], f: number[]): number {
  return subjectLogLikelihoodsPrepared(model, data, seqs, f).reduce((a, v) => a + v, 0);
}

describe('event shift', () => {
  it('findMove reads one moved event (later, earlier, neighbours) and refuses anything else', () => {
    const out = new Int32Array(2);
    const cur = Int32Array.from([0, 1, 2, 3, 4, 5]);
    for (let from = 0; from < 6; from++) {
      for (let to = 0; to < 6; to++) {
        const next = Int32Array.from(cur);
        moveEvent(next, from, to);
        if (from === to) {
          expect(findMove(cur, next, out)).toBe(false);
          continue;
        }
        expect(findMove(cur, next, out)).toBe(true);
        // the move it reads gives the same sequence (a swap of neighbours reads as either move)
        const again = Int32Array.from(cur);
        moveEvent(again, out[0]!, out[1]!);
        expect(Array.from(again)).toEqual(Array.from(next));
      }
    }
    expect(findMove(cur, Int32Array.from([1, 0, 2, 3, 5, 4]), out)).toBe(false);
    expect(findMove(cur, Int32Array.from([5, 1, 2, 3, 4, 0]), out)).toBe(false);
  });

  it('proposals, commits, EM moves, snapshots and restores equal tables recomputed from scratch', () => {
    const M = 40;
    const model = new MixtureModel(B);
    const data = model.prepare(cohort(M, 5), M);
    expect(data.safe[1]).toBe(0);
    const rng = Rng.fromSeed(9);
    const mix = new MixtureTables(model, data, [model.randomSequence(rng), model.randomSequence(rng)]);
    const f = [0.6, 0.4];
    let shifts = 0;
    for (let it = 0; it < 300; it++) {
      const s = rng.int(2);
      const next = Int32Array.from(mix.subs[s]!.seq);
      // mostly single moves (the shift), sometimes a second move (the other paths)
      moveEvent(next, rng.int(B), rng.int(B));
      if (rng.uniform() < 0.2) moveEvent(next, rng.int(B), rng.int(B));
      const seqs = mix.subs.map((x, q) => (q === s ? next : x.seq));
      const exact = fresh(model, data, seqs);
      const op = rng.uniform();
      if (op < 0.6) {
        mix.propose(s, next);
        if (mix.subs[s]!.pendShift) shifts++;
        expect(rel(mix.logLik(f, true), exact.logLik(f, false))).toBeLessThan(1e-12);
        // the full pending table, as the longitudinal totals read it
        const pE = mix.pendingE(s);
        for (let i = 0; i < M; i++) {
          for (let k = 0; k < B + 1; k++) {
            const a = pE[i * (B + 1) + k]! * Math.exp(mix.ref[i]! - exact.ref[i]!);
            expect(Math.abs(a - exact.subs[s]!.E[i * (B + 1) + k]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, exact.subs[s]!.T[i]!));
          }
        }
        if (rng.uniform() < 0.5) mix.commit(s);
        else mix.discard(s);
      } else if (op < 0.85) {
        mix.apply(s, next);
      } else {
        // an EM walk's detour: snapshot, move, come back
        mix.snapshot(s, 0);
        mix.apply(s, next);
        mix.restore(s, 0);
      }
      const now = fresh(model, data, mix.sequences());
      expect(rel(mix.logLik(f, false), now.logLik(f, false))).toBeLessThan(1e-12);
      if (it % 50 === 0) expect(rel(now.logLik(f, false), exactTotal(model, data, mix.sequences(), f))).toBeLessThan(1e-12);
      for (let i = 0; i < M; i++) {
        for (let q = 0; q < 2; q++) {
          const a = mix.subs[q]!.T[i]! * Math.exp(mix.ref[i]! - now.ref[i]!);
          expect(Math.abs(a - now.subs[q]!.T[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, now.subs[q]!.T[i]!));
        }
      }
    }
    expect(shifts).toBeGreaterThan(100);
  });

  it('stage log-likelihoods by running sums along the order: fillTable, fillRow and fillStages agree, and equal the sum over biomarkers', () => {
    const M = 20;
    const model = new MixtureModel(B);
    const data = model.prepare(cohort(M, 3), M);
    const S = B + 1;
    const tmpl = new Float64Array(S * B);
    model.template(Int32Array.from([5, 2, 7, 0, 1, 6, 3, 4]), tmpl);
    const L = new Float64Array(M * S);
    model.fillTable(data, tmpl, L);
    const row = new Float64Array(S);
    const some = new Float64Array(3);
    for (let i = 0; i < M; i++) {
      model.fillRow(data, tmpl, i, row, 0);
      expect(Array.from(row)).toEqual(Array.from(L.subarray(i * S, i * S + S)));
      model.fillStages(data, tmpl, i, Int32Array.from([1, 4, 8]), 3, some, 0);
      expect(Array.from(some)).toEqual([L[i * S + 1], L[i * S + 4], L[i * S + 8]]);
      for (let k = 0; k < S; k++) {
        let direct = data.constant[i]!;
        for (let b = 0; b < B; b++) direct += tmpl[k * B + b]! * data.d[i * B + b]!;
        expect(Math.abs(L[i * S + k]! - direct)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(direct)));
      }
    }
    // a template that is not a sequence's (two events at once) is summed over the biomarkers
    tmpl.fill(0);
    for (let k = 1; k < S; k++) for (let b = 0; b < Math.min(B, 2 * k); b++) tmpl[k * B + b] = 1;
    model.fillRow(data, tmpl, 0, row, 0);
    let direct = data.constant[0]!;
    for (let b = 0; b < 4; b++) direct += data.d[b]!;
    expect(Math.abs(row[2]! - direct)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(direct)));
  });

  it('total log-likelihood of the tables equals log-sum-exp per subject for 1 to 5 subtypes, with extreme subjects', () => {
    const M = 300;
    const model = new MixtureModel(B);
    const values = cohort(M, 11);
    // subjects whose totals leave the products' range: tiny and huge likelihoods on every biomarker
    for (let b = 0; b < 2 * B; b++) {
      values[5 * 2 * B + b] = 1e-290;
      values[6 * 2 * B + b] = 1e290;
    }
    const data = model.prepare(values, M);
    const rng = Rng.fromSeed(2);
    for (let K = 1; K <= 5; K++) {
      const seqs = Array.from({ length: K }, () => model.randomSequence(rng));
      const f = Array.from({ length: K }, (_, s) => (s + 1) / ((K * (K + 1)) / 2));
      expect(rel(fresh(model, data, seqs).logLik(f, false), exactTotal(model, data, seqs, f))).toBeLessThan(1e-13);
    }
    // subject 1 (log ratios +-690 alternating) fits the first order by thousands of log units better than
    // the second: with a tiny first fraction its total leaves the products' range (logged on its own), with
    // none it is 0 (the exact path)
    const seqs = [Int32Array.from([0, 2, 4, 6, 1, 3, 5, 7]), Int32Array.from([7, 5, 3, 1, 6, 4, 2, 0])];
    for (const f of [
      [1e-40, 1 - 1e-40],
      [0, 1],
    ]) {
      expect(rel(fresh(model, data, seqs).logLik(f, false), exactTotal(model, data, seqs, f))).toBeLessThan(1e-13);
    }
  });

  it('longitudinal totals of a proposal read the full pending table whichever path made it', () => {
    const M = 30;
    const model = new MixtureModel(B);
    const data = model.prepare(cohort(M, 7), M);
    const start = Int32Array.from({ length: 11 }, (_, j) => 3 * j);
    const seq = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const t = new LongitudinalTables(model, data, [seq], start);
    // a two-event change (not a shift) proposed and dropped, then one move: the second must not see the first's table
    t.propose(0, Int32Array.from([1, 2, 3, 4, 5, 6, 0, 7].reverse()));
    t.discard(0);
    for (const next of [Int32Array.from([1, 0, 2, 3, 4, 5, 6, 7]), Int32Array.from([1, 2, 3, 4, 5, 6, 7, 0])]) {
      t.propose(0, next);
      expect(rel(t.logLik([1], true), new LongitudinalTables(model, data, [next], start).logLik([1], false))).toBeLessThan(1e-12);
      t.discard(0);
    }
  });

  it('MCMC accepts moves when the data do not prefer an order (L_yes = L_no), one subtype', () => {
    // (On the shared mixture cohort K = 1 accepts none: every move from the optimum costs over 160 log-likelihood units.)
    const M = 50;
    const values = new Float64Array(M * 2 * B).fill(0.3);
    const model = new MixtureModel(B);
    const data = model.prepare(values, M);
    const mix = new MixtureTables(model, data, [Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7])]);
    const r = runChain(mix, [1], 2000, 1, 0.01, Rng.fromSeed(4), 10, 500);
    // every proposal that moves an event is accepted; with sigma 1 about half the proposals move one
    expect(r.acceptance).toBeGreaterThan(0.4);
    const positions = new Set(r.sequences.map((s) => s[0]!.indexOf(0)));
    expect(positions.size).toBeGreaterThan(3);
  });
});
