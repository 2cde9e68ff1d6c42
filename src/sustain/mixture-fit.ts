/**
 * Per-biomarker mixtures of normal and abnormal values, from raw biomarker values (maths only):
 *  - Gaussian mixture (as pySuStaIn's mixture_GMM / kde_ebm's ParametricMM starts it): the normal
 *    component started from the controls, the abnormal one from the patients, both refined by EM on
 *    every subject's value;
 *  - kernel density estimates (Firth et al. 2020, simplified): the same start, then the two
 *    densities are weighted Gaussian KDEs of all values, the weights (probability abnormal)
 *    re-estimated a fixed number of times, controls held normal.
 * Which direction is abnormal is detected (patients' median against the controls') or given.
 * L_yes / L_no of a value are the abnormal / normal component densities there.
 */
import { UserError } from '../common/errors.js';

export type Direction = 'higher' | 'lower';

export interface Gaussian {
  mean: number;
  sd: number;
}

interface MixtureBase {
  /** which side of the normal values the abnormal ones lie */
  abnormal: Direction;
  /** how `abnormal` was decided */
  directionFrom: 'detected' | 'given';
  /** mixing weight of the abnormal component over all subjects */
  weight: number;
}

export interface GmmMixture extends MixtureBase {
  type: 'gmm';
  normal: Gaussian;
  abnormalComponent: Gaussian;
}

export interface KdeMixture extends MixtureBase {
  type: 'kde';
  bandwidth: number;
  /** the values (sorted) and each one's weight toward the abnormal density (1 - it toward the normal) */
  x: number[];
  pAbnormal: number[];
}

export type BiomarkerMixture = GmmMixture | KdeMixture;

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EM_ITERATIONS = 2000;
const EM_TOLERANCE = 1e-10;
const KDE_ROUNDS = 20;

function normalPdf(x: number, g: Gaussian): number {
  const z = (x - g.mean) / g.sd;
  return Math.exp(-0.5 * z * z - LOG_SQRT_2PI) / g.sd;
}

function meanSd(v: readonly number[]): Gaussian {
  const n = v.length;
  let m = 0;
  for (const x of v) m += x;
  m /= n;
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return { mean: m, sd: Math.sqrt(s / Math.max(1, n - 1)) };
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : 0.5 * (s[h - 1]! + s[h]!);
}

/** The abnormal direction: given, or the side of the controls' median the patients' median lies on. */
export function detectDirection(controls: readonly number[], patients: readonly number[]): Direction {
  return median(patients) >= median(controls) ? 'higher' : 'lower';
}

/** Density of the abnormal (yes) and normal (no) component at x. */
export function mixtureLikelihoods(m: BiomarkerMixture, x: number): { yes: number; no: number } {
  if (m.type === 'gmm') return { yes: normalPdf(x, m.abnormalComponent), no: normalPdf(x, m.normal) };
  let yes = 0;
  let no = 0;
  let wy = 0;
  let wn = 0;
  const h = m.bandwidth;
  for (let j = 0; j < m.x.length; j++) {
    const k = Math.exp(-0.5 * ((x - m.x[j]!) / h) ** 2);
    const p = m.pAbnormal[j]!;
    yes += p * k;
    no += (1 - p) * k;
    wy += p;
    wn += 1 - p;
  }
  const norm = h * Math.sqrt(2 * Math.PI);
  return { yes: yes / (wy * norm), no: no / (wn * norm) };
}

interface Column {
  name: string;
  controls: number[];
  patients: number[];
}

function check(c: Column): void {
  if (c.controls.length < 2) throw new UserError(`biomarker ${c.name} has ${c.controls.length} control value(s); a mixture needs at least 2`, { field: c.name });
  if (c.patients.length < 2) throw new UserError(`biomarker ${c.name} has ${c.patients.length} patient value(s); a mixture needs at least 2`, { field: c.name });
  if (!(meanSd(c.controls).sd > 0)) throw new UserError(`the controls' values of biomarker ${c.name} are all equal: no normal distribution can be fitted`, { field: c.name });
}

/** Two-component Gaussian EM on all values, started from the controls (normal) and patients (abnormal). */
export function fitGmm(c: Column, direction?: Direction): GmmMixture {
  check(c);
  const abnormal = direction ?? detectDirection(c.controls, c.patients);
  const all = [...c.controls, ...c.patients];
  const n = all.length;
  const spread = meanSd(all).sd;
  const floor = 1e-3 * spread;
  let normal = meanSd(c.controls);
  // the abnormal component starts from the patients' values on the abnormal side of the controls'
  // median (all patients' values when fewer than two lie there)
  const medC = median(c.controls);
  const side = c.patients.filter((v) => (abnormal === 'higher' ? v > medC : v < medC));
  let ab = meanSd(side.length >= 2 ? side : c.patients);
  ab.sd = Math.max(ab.sd, floor);
  let w = 0.5;
  let prev = -Infinity;
  const r = new Float64Array(n);
  for (let it = 0; it < EM_ITERATIONS; it++) {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const py = w * normalPdf(all[i]!, ab);
      const pn = (1 - w) * normalPdf(all[i]!, normal);
      const t = py + pn;
      r[i] = t > 0 ? py / t : all[i]! > normal.mean === (abnormal === 'higher') ? 1 : 0;
      ll += Math.log(Math.max(t, Number.MIN_VALUE));
    }
    let sy = 0;
    let my = 0;
    let mn = 0;
    for (let i = 0; i < n; i++) {
      sy += r[i]!;
      my += r[i]! * all[i]!;
      mn += (1 - r[i]!) * all[i]!;
    }
    const sn = n - sy;
    if (sy < 1e-9 || sn < 1e-9) break;
    my /= sy;
    mn /= sn;
    let vy = 0;
    let vn = 0;
    for (let i = 0; i < n; i++) {
      vy += r[i]! * (all[i]! - my) ** 2;
      vn += (1 - r[i]!) * (all[i]! - mn) ** 2;
    }
    ab = { mean: my, sd: Math.max(Math.sqrt(vy / sy), floor) };
    normal = { mean: mn, sd: Math.max(Math.sqrt(vn / sn), floor) };
    w = sy / n;
    if (Math.abs(ll - prev) < EM_TOLERANCE * Math.abs(ll)) break;
    prev = ll;
  }
  return { type: 'gmm', abnormal, directionFrom: direction === undefined ? 'detected' : 'given', weight: w, normal, abnormalComponent: ab };
}

/**
 * KDE mixture: start from the Gaussian mixture's responsibilities (controls held at 0), then
 * re-estimate each value's probability of being abnormal from the two weighted KDEs, KDE_ROUNDS
 * times. Bandwidth: Silverman's rule on all values.
 */
export function fitKde(c: Column, direction?: Direction): KdeMixture {
  const g = fitGmm(c, direction);
  const all = [...c.controls, ...c.patients];
  const order = all.map((_, i) => i).sort((a, b) => all[a]! - all[b]! || a - b);
  const x = order.map((i) => all[i]!);
  const isControl = order.map((i) => i < c.controls.length);
  const n = x.length;
  const s = meanSd(x).sd;
  const q = (f: number) => x[Math.min(n - 1, Math.floor(f * (n - 1)))]!;
  const iqr = q(0.75) - q(0.25);
  const spread = Math.min(s, iqr > 0 ? iqr / 1.34 : s);
  const bandwidth = 0.9 * spread * n ** -0.2;
  let p = x.map((v, j) => {
    if (isControl[j]) return 0;
    const py = g.weight * normalPdf(v, g.abnormalComponent);
    const pn = (1 - g.weight) * normalPdf(v, g.normal);
    return py + pn > 0 ? py / (py + pn) : 0;
  });
  let w = g.weight;
  for (let round = 0; round < KDE_ROUNDS; round++) {
    const m: KdeMixture = { type: 'kde', abnormal: g.abnormal, directionFrom: g.directionFrom, weight: w, bandwidth, x, pAbnormal: p };
    const next = x.map((v, j) => {
      if (isControl[j]) return 0;
      const l = mixtureLikelihoods(m, v);
      const py = w * l.yes;
      const pn = (1 - w) * l.no;
      return py + pn > 0 ? py / (py + pn) : 0;
    });
    w = next.reduce((a, b) => a + b, 0) / n;
    p = next;
    if (!(w > 0 && w < 1)) break;
  }
  return { type: 'kde', abnormal: g.abnormal, directionFrom: g.directionFrom, weight: w, bandwidth, x, pAbnormal: p };
}

/** Fit every biomarker's mixture: values row-major M x B (NaN = missing), isControl per row. */
export function fitMixtures(
  names: readonly string[],
  values: Float64Array,
  isControl: ArrayLike<number>,
  method: 'gmm' | 'kde',
  directions: readonly (Direction | undefined)[] = [],
): BiomarkerMixture[] {
  const B = names.length;
  const M = isControl.length;
  return names.map((name, b) => {
    const col: Column = { name, controls: [], patients: [] };
    for (let i = 0; i < M; i++) {
      const v = values[i * B + b]!;
      if (Number.isNaN(v)) continue;
      (isControl[i] ? col.controls : col.patients).push(v);
    }
    return method === 'kde' ? fitKde(col, directions[b]) : fitGmm(col, directions[b]);
  });
}
