/**
 * The proportional-hazards check of R's cox.zph (survival >= 3): a score test, per term and
 * globally, for adding covariate x g(t) to the fitted model, with g the Kaplan-Meier transform of
 * time centred over the events. Large chi-square = the hazard ratio changes over follow-up.
 */
import { efronPass, prepareCox, type CoxFit, type CoxInput } from './cox.js';
import { pChisqUpper } from './dist.js';
import { quadFormInverse } from './linalg.js';

export interface ZphRow {
  term: string;
  chisq: number;
  df: number;
  p: number;
}

/** 1 - S(t-) of the Kaplan-Meier curve of all subjects, per subject (left-continuous, cox.zph's "km"). */
function kmTransform(time: Float64Array, event: Uint8Array): Float64Array {
  const n = time.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const out = new Float64Array(n);
  let s = 1;
  let atRisk = n;
  for (let k = 0; k < n;) {
    const t = time[order[k]!]!;
    let d = 0;
    let m = 0;
    const start = k;
    for (; k < n && time[order[k]!]! === t; k++) {
      m++;
      if (event[order[k]!] === 1) d++;
    }
    for (let q = start; q < k; q++) out[order[q]!] = 1 - s;
    s *= 1 - d / atRisk;
    atRisk -= m;
  }
  return out;
}

/**
 * `terms` groups column indices into named terms (a categorical variable's levels test together).
 * Returns the per-term rows then GLOBAL.
 */
export function coxZph(inp: CoxInput, fit: CoxFit, terms: { term: string; columns: number[] }[]): ZphRow[] {
  const { p, xc, order } = prepareCox(inp);
  const ttimes = kmTransform(inp.time, inp.event);
  let sum = 0;
  let ne = 0;
  const gAt = new Map<number, number>();
  for (let i = 0; i < inp.time.length; i++) {
    if (inp.event[i] === 1) {
      sum += ttimes[i]!;
      ne++;
    }
    gAt.set(inp.time[i]!, ttimes[i]!);
  }
  const mean = sum / ne;
  const q = 2 * p;
  const u2 = new Float64Array(p);
  const imat = new Float64Array(q * q);
  efronPass(inp.time, inp.event, xc, p, order, fit.coef, (t, uT, infoT) => {
    const g = gAt.get(t)! - mean;
    for (let j = 0; j < p; j++) {
      u2[j]! += g * uT[j]!;
      for (let l = 0; l < p; l++) {
        const v = infoT[j * p + l]!;
        imat[j * q + l]! += v;
        imat[j * q + p + l]! += g * v;
        imat[(p + j) * q + l]! += g * v;
        imat[(p + j) * q + p + l]! += g * g * v;
      }
    }
  });
  const test = (cols: number[]): number => {
    const kk = [...Array.from({ length: p }, (_, j) => j), ...cols.map((c) => p + c)];
    const m = kk.length;
    const sub = new Float64Array(m * m);
    const u = new Float64Array(m);
    kk.forEach((a, r) => {
      if (r >= p) u[r] = u2[a - p]!;
      kk.forEach((b, s) => (sub[r * m + s] = imat[a * q + b]!));
    });
    return quadFormInverse(sub, m, u);
  };
  const rows = terms.map(({ term, columns }) => {
    const chisq = test(columns);
    return { term, chisq, df: columns.length, p: pChisqUpper(chisq, columns.length) };
  });
  const all = Array.from({ length: p }, (_, j) => j);
  const g = test(all);
  rows.push({ term: 'GLOBAL', chisq: g, df: p, p: pChisqUpper(g, p) });
  return rows;
}
