/** Kaplan-Meier curves (as R's survfit: Greenwood variance, log-scale 95 % limits) and numbers at risk. */
import { qNorm } from './dist.js';

export interface KmCurve {
  /** every distinct time (event or censoring), ascending */
  time: number[];
  nRisk: number[];
  nEvent: number[];
  nCensor: number[];
  surv: number[];
  /** standard error of -log S (R's survfit std.err) */
  stdErr: number[];
  lower: (number | null)[];
  upper: (number | null)[];
}

export function kaplanMeier(time: ArrayLike<number>, event: ArrayLike<number>, level = 0.95): KmCurve {
  const n = time.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const z = qNorm(1 - (1 - level) / 2);
  const c: KmCurve = { time: [], nRisk: [], nEvent: [], nCensor: [], surv: [], stdErr: [], lower: [], upper: [] };
  let atRisk = n;
  let s = 1;
  let g = 0;
  for (let k = 0; k < n;) {
    const t = time[order[k]!]!;
    let d = 0;
    let m = 0;
    for (; k < n && time[order[k]!]! === t; k++) {
      m++;
      if (event[order[k]!] === 1) d++;
    }
    s *= 1 - d / atRisk;
    g += atRisk > d ? d / (atRisk * (atRisk - d)) : Infinity;
    const se = Math.sqrt(g);
    c.time.push(t);
    c.nRisk.push(atRisk);
    c.nEvent.push(d);
    c.nCensor.push(m - d);
    c.surv.push(s);
    c.stdErr.push(se);
    const ok = s > 0 && Number.isFinite(se);
    c.lower.push(ok ? s * Math.exp(-z * se) : null);
    c.upper.push(ok ? Math.min(1, s * Math.exp(z * se)) : null);
    atRisk -= m;
  }
  return c;
}

/** Numbers still at risk at each of `at` (subjects whose time is >= t), as printed under KM plots. */
export function numbersAtRisk(time: ArrayLike<number>, at: readonly number[]): number[] {
  return at.map((t) => {
    let c = 0;
    for (let i = 0; i < time.length; i++) if (time[i]! >= t) c++;
    return c;
  });
}

/** S(t) of a curve (right-continuous step function; 1 before the first time). */
export function survivalAt(curve: KmCurve, t: number): number {
  let s = 1;
  for (let i = 0; i < curve.time.length && curve.time[i]! <= t; i++) s = curve.surv[i]!;
  return s;
}

/** About six round time points from 0 to the largest time, for the at-risk table. */
export function riskTimes(maxTime: number): number[] {
  if (!(maxTime > 0)) return [0];
  const raw = maxTime / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = 0; t <= maxTime + 1e-9; t += step) out.push(Math.round(t / mag) * mag);
  return out;
}
