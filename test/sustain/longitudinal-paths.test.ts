import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/common/rng.js';
import { forwardBackward, forwardBackwardLog, forwardLog, forwardTotal, logPathCount, monotonePath, pathPriorCorrection } from '../../src/sustain/longitudinal/paths.js';

/** Every non-decreasing path of V visits over S stages. */
function paths(V: number, S: number): number[][] {
  const out: number[][] = [];
  const rec = (p: number[]) => {
    if (p.length === V) return void out.push([...p]);
    for (let k = p.length === 0 ? 0 : p[p.length - 1]!; k < S; k++) rec([...p, k]);
  };
  rec([]);
  return out;
}

/** Brute force: log sum over paths of exp(sum_v L[v, k_v]), and the per-visit stage posteriors. */
function brute(L: Float64Array, first: number, V: number, S: number): { total: number; post: Float64Array } {
  const ps = paths(V, S);
  const lp = ps.map((p) => p.reduce((a, k, v) => a + L[(first + v) * S + k]!, 0));
  const mx = Math.max(...lp);
  const w = lp.map((x) => Math.exp(x - mx));
  const z = w.reduce((a, b) => a + b, 0);
  const post = new Float64Array(V * S);
  ps.forEach((p, j) => p.forEach((k, v) => (post[v * S + k]! += w[j]! / z)));
  return { total: mx + Math.log(z), post };
}

function randomRows(rng: Rng, rows: number, S: number, spread: number): Float64Array {
  const L = new Float64Array(rows * S);
  for (let q = 0; q < L.length; q++) L[q] = -spread * rng.uniform() - 3;
  return L;
}

describe('forward recursion over non-decreasing stage paths', () => {
  const rng = Rng.fromSeed(12);

  it('counts paths as C(S+V-1, V) and gives a zero prior correction for one visit', () => {
    for (const [S, V] of [
      [5, 1],
      [5, 3],
      [10, 4],
      [2, 6],
    ] as const) {
      expect(Math.exp(logPathCount(S, V))).toBeCloseTo(paths(V, S).length, 6);
    }
    expect(pathPriorCorrection(31, 1)).toBe(0);
    expect(pathPriorCorrection(4, 2)).toBeCloseTo(2 * Math.log(4) - Math.log(10), 14);
  });

  it('matches brute-force enumeration of paths (linear, log and forward-backward forms)', () => {
    const alpha = new Float64Array(64);
    const beta = new Float64Array(64);
    const post = new Float64Array(64);
    const scale = new Float64Array(8);
    const acc = new Float64Array(16);
    for (const [V, S] of [
      [1, 6],
      [2, 5],
      [3, 7],
      [4, 4],
      [5, 3],
    ] as const) {
      for (let rep = 0; rep < 5; rep++) {
        const first = rep % 3;
        const L = randomRows(rng, first + V + 1, S, 8);
        const b = brute(L, first, V, S);
        expect(Math.abs(forwardLog(L, first, V, S, acc) - b.total)).toBeLessThan(1e-12);
        // linear rows shifted by a per-row reference, as the engine's E tables are
        const E = new Float64Array(L.length);
        let shift = 0;
        for (let v = 0; v < V; v++) {
          const r = -2 - v;
          shift += r;
          for (let k = 0; k < S; k++) E[(first + v) * S + k] = Math.exp(L[(first + v) * S + k]! - r);
        }
        expect(Math.abs(Math.log(forwardTotal(E, first, V, S, acc)) + shift - b.total)).toBeLessThan(1e-12);
        const lt = forwardBackward(E, first, V, S, post, alpha, scale);
        expect(Math.abs(lt + shift - b.total)).toBeLessThan(1e-12);
        for (let q = 0; q < V * S; q++) expect(Math.abs(post[q]! - b.post[q]!)).toBeLessThan(1e-12);
        const lt2 = forwardBackwardLog(L, first, V, S, post, alpha, beta);
        expect(Math.abs(lt2 - b.total)).toBeLessThan(1e-12);
        for (let q = 0; q < V * S; q++) expect(Math.abs(post[q]! - b.post[q]!)).toBeLessThan(1e-12);
      }
    }
  });

  it('puts no mass on decreasing paths: visits that disagree are pulled together', () => {
    // visit 1 strongly at stage 3, visit 2 at stage 1: the best paths (3,3), (3,4), (0,1), (1,1) each pay one -50
    const S = 5;
    const L = Float64Array.from([-50, -50, -50, 0, -50, -50, 0, -50, -50, -50]);
    const post = new Float64Array(2 * S);
    const alpha = new Float64Array(2 * S);
    const beta = new Float64Array(2 * S);
    forwardBackwardLog(L, 0, 2, S, post, alpha, beta);
    const acc = new Float64Array(S);
    expect(forwardLog(L, 0, 2, S, acc)).toBeCloseTo(-50 + Math.log(4), 10);
    // the scaled linear form cannot represent exp(-50 * 20) and says so (NaN), rather than a wrong number
    const far = L.map((x) => 20 * x);
    const E = far.map((x) => Math.exp(x));
    expect(Number.isNaN(forwardBackward(E, 0, 2, S, post, alpha, new Float64Array(2)))).toBe(true);
    expect(forwardLog(far, 0, 2, S, acc)).toBeCloseTo(-1000 + Math.log(4), 8);
  });

  it('finds the best non-decreasing path of per-visit stage probabilities', () => {
    const S = 4;
    const path = new Int32Array(3);
    const score = new Float64Array(3 * S);
    const from = new Int32Array(3 * S);
    // per-visit argmaxes 1, 3, 2 would go backwards; the best monotone path is 1, 2, 2 or 1, 3, 3
    const P = Float64Array.from([0.1, 0.7, 0.1, 0.1, 0.05, 0.05, 0.4, 0.5, 0.05, 0.05, 0.6, 0.3]);
    monotonePath(P, 3, S, path, score, from);
    // log: 1,2,2 = log .7 + log .4 + log .6 ; 1,3,3 = log .7 + log .5 + log .3
    expect(Array.from(path)).toEqual([1, 2, 2]);
    // brute force over all monotone paths agrees on random inputs
    for (let rep = 0; rep < 20; rep++) {
      const Q = new Float64Array(3 * S);
      for (let q = 0; q < Q.length; q++) Q[q] = rng.uniform() + 1e-3;
      monotonePath(Q, 3, S, path, score, from);
      let best = -Infinity;
      let bp: number[] = [];
      for (const p of paths(3, S)) {
        const sc = p.reduce((a, k, v) => a + Math.log(Q[v * S + k]!), 0);
        if (sc > best) {
          best = sc;
          bp = p;
        }
      }
      expect(Array.from(path)).toEqual(bp);
    }
  });
});
