import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { logLikelihood } from '../../src/sustain/likelihood.js';
import { moveEvent } from '../../src/sustain/model.js';
import { simulateCohort } from '../../src/sustain/simulate.js';
import { MixtureTables } from '../../src/sustain/state.js';
import type { ZData } from '../../src/sustain/zscore-data.js';
import { ZscoreModel } from '../../src/sustain/zscore.js';

/** Cells below this (relative to the subject's reference) are tracked by their logs (zscore-factors.ts). */
const TINY = 1e-280;

describe("tables with many events (cells far below a subject's best stage underflow)", () => {
  // 80 biomarkers x 3 thresholds: a subject's stage log-likelihoods span more than exp's range, so
  // most cells of a row underflow; the multiplicative update tracks those by their logs (L) instead
  // of recomputing the row. Check every cell against the exact tables after every kind of change.
  const B = 80;
  const M = 42; // not a multiple of 4: the last subjects take the TypeScript path
  const sim = simulateCohort({ subjects: M, biomarkers: B, subtypes: 2, zvals: [1, 2, 3], zmax: 5, seed: 5 });
  const values = Float64Array.from(sim.data.values);
  // a few missing values: their biomarkers take the TypeScript path for every subject
  for (let q = 7; q < values.length; q += 211) values[q] = NaN;
  const data = { ...sim.data, values };
  const t = sim.model.thresholds;
  const model = new ZscoreModel(t);
  const prepared = model.prepare(values, M) as ZData;

  /**
   * Every cell of every subtype's E equals exp(L - ref) of the exact L; cells below TINY have their
   * exact L in the tables' L. Returns the number of such (tracked) cells.
   */
  function checkCells(mix: MixtureTables<ZData>): number {
    const S = model.nStages;
    const row = new Float64Array(S);
    let tracked = 0;
    let logError = 0;
    let cellError = 0;
    let tinyExact = 0;
    for (const st of mix.subs) {
      const tmpl = new Float64Array(st.tmpl.length);
      model.template(st.seq, tmpl);
      for (let i = 0; i < M; i++) {
        model.fillRow(prepared, tmpl, i, row, 0);
        const r = mix.ref[i]!;
        for (let k = 0; k < S; k++) {
          const e = st.E[i * S + k]!;
          const exact = Math.exp(row[k]! - r);
          if (e < TINY) {
            tracked++;
            logError = Math.max(logError, Math.abs(st.L[i * S + k]! - row[k]!) / Math.abs(row[k]!));
            tinyExact = Math.max(tinyExact, exact);
          } else cellError = Math.max(cellError, Math.abs(e - exact) / Math.max(exact, st.T[i]! * 1e-6));
        }
      }
    }
    expect(logError).toBeLessThan(1e-9);
    expect(tinyExact).toBeLessThan(2 * TINY);
    expect(cellError).toBeLessThan(1e-9);
    return tracked;
  }

  it('the setting underflows: some subjects are not safe from it', () => {
    expect(prepared.safeQuad.includes(0)).toBe(true);
  });

  it('moves, proposals, snapshots and restores keep every cell exact or tracked by its exact log', () => {
    const rng = Rng.fromSeed(3);
    const mix = new MixtureTables(model, prepared, [model.randomSequence(rng), model.randomSequence(rng)]);
    const f = [0.6, 0.4];
    const range = new Int32Array(2);
    let tracked = checkCells(mix);
    let snapped = -1;
    for (let it = 0; it < 160; it++) {
      const s = rng.int(2);
      const st = mix.subs[s]!;
      const u = rng.uniform();
      if (u < 0.08) {
        mix.snapshot(s, 0);
        snapped = s;
        continue;
      }
      if (u < 0.14 && snapped >= 0) {
        mix.restore(snapped, 0);
        tracked += checkCells(mix);
        continue;
      }
      const from = rng.int(model.nEvents);
      model.allowedRange(st.pos, st.seq[from]!, range);
      // mostly single steps (the EM walk), which move cells a little at a time; the rest jumps
      const step = from + (rng.uniform() < 0.5 ? -1 : 1);
      const to = rng.uniform() < 0.7 && step >= range[0]! && step < range[1]! ? step : range[0]! + rng.int(range[1]! - range[0]!);
      const next = Int32Array.from(st.seq);
      moveEvent(next, from, to);
      const exact = logLikelihood(
        data,
        t,
        mix.subs.map((x, q) => Array.from(q === s ? next : x.seq)),
        f,
      );
      if (rng.uniform() < 0.6) {
        mix.apply(s, next);
        expect(Math.abs(mix.logLik(f, false) - exact)).toBeLessThan(1e-9 * Math.abs(exact));
      } else {
        mix.propose(s, next);
        expect(Math.abs(mix.logLik(f) - exact)).toBeLessThan(1e-9 * Math.abs(exact));
        if (rng.uniform() < 0.5) mix.commit(s);
        else mix.discard(s);
      }
      if (it % 8 === 0) tracked += checkCells(mix);
    }
    checkCells(mix);
    // the tracked path was exercised
    expect(tracked).toBeGreaterThan(5000);
  });
});
