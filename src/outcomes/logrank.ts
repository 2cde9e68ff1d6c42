/** The log-rank test across groups (R's survdiff with rho = 0). */
import { pChisqUpper } from './dist.js';
import { quadFormInverse } from './linalg.js';

export interface LogRank {
  chisq: number;
  df: number;
  p: number;
  observed: number[];
  expected: number[];
}

/** `group` holds 0..G-1. Groups with no expected events are left out of the statistic, as survdiff does. */
export function logRank(time: ArrayLike<number>, event: ArrayLike<number>, group: ArrayLike<number>, groups: number): LogRank {
  const n = time.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const obs = new Float64Array(groups);
  const exp = new Float64Array(groups);
  const v = new Float64Array(groups * groups);
  const atRisk = new Float64Array(groups);
  for (let i = 0; i < n; i++) atRisk[group[i]!]! += 1;
  let total = n;
  const dg = new Float64Array(groups);
  const leaving = new Float64Array(groups);
  for (let k = 0; k < n;) {
    const t = time[order[k]!]!;
    dg.fill(0);
    leaving.fill(0);
    let d = 0;
    for (; k < n && time[order[k]!]! === t; k++) {
      const i = order[k]!;
      leaving[group[i]!]! += 1;
      if (event[i] === 1) {
        dg[group[i]!]! += 1;
        d++;
      }
    }
    if (d > 0) {
      for (let g = 0; g < groups; g++) {
        obs[g]! += dg[g]!;
        exp[g]! += (d * atRisk[g]!) / total;
      }
      if (total > 1) {
        const f = (d * (total - d)) / (total * total * (total - 1));
        for (let g = 0; g < groups; g++) for (let h = 0; h < groups; h++) v[g * groups + h]! += f * atRisk[g]! * ((g === h ? total : 0) - atRisk[h]!);
      }
    }
    for (let g = 0; g < groups; g++) atRisk[g]! -= leaving[g]!;
    total -= leaving.reduce((a, b) => a + b, 0);
  }
  const keep = Array.from({ length: groups }, (_, g) => g).filter((g) => exp[g]! > 0);
  const df = keep.length - 1;
  let chisq = 0;
  if (df >= 1) {
    const idx = keep.slice(1);
    const m = idx.length;
    const vv = new Float64Array(m * m);
    const oe = new Float64Array(m);
    idx.forEach((g, a) => {
      oe[a] = obs[g]! - exp[g]!;
      idx.forEach((h, b) => (vv[a * m + b] = v[g * groups + h]!));
    });
    chisq = quadFormInverse(vv, m, oe);
  }
  return { chisq, df: Math.max(df, 0), p: df >= 1 ? pChisqUpper(chisq, df) : NaN, observed: [...obs], expected: [...exp] };
}
