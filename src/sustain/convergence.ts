/**
 * MCMC convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021,
 * "Rank-normalization, folding, and localization: an improved R-hat", Bayesian Analysis 16:667):
 * rank-normalised split R-hat (the larger of the bulk and folded-tail versions), bulk effective
 * sample size and tail effective sample size (the smaller of the ESS of the 5 % and 95 % quantile
 * indicators). The numbers follow R's posterior package (1.4: `rhat`, `ess_bulk`, `ess_tail`) step
 * by step, including its choices (Blom's rank offset 3/8, R's type-7 quantile, Geyer's initial
 * positive and monotone sequences with the "improved" last term, the cap at S log10 S), so they
 * agree with it to rounding; test/sustain/fixtures/convergence.R made the reference numbers.
 *
 * Input: one array of draws per chain, all chains the same length (kept iterations x chains).
 * Where posterior returns NA (a non-finite draw, constant draws, fewer than 3 draws per split
 * chain for ESS) these return NaN.
 */
import { qnorm } from '../common/qnorm.js';

export type Chains = readonly ArrayLike<number>[];

export interface ConvergenceStats {
  rhat: number;
  essBulk: number;
  essTail: number;
}

/** Columns of draws (one per chain): the working shape of every step below. */
type Cols = Float64Array[];

function toCols(chains: Chains): Cols {
  if (chains.length === 0) throw new Error('convergence diagnostics need at least one chain');
  const n = chains[0]!.length;
  for (const c of chains) if (c.length !== n) throw new Error(`chains differ in length (${n} and ${c.length})`);
  return chains.map((c) => Float64Array.from(c));
}

/** Each chain cut into its first and second half (the middle draw of an odd length is dropped). */
function splitChains(x: Cols): Cols {
  const n = x[0]!.length;
  if (n === 1) return x;
  const firstEnd = Math.floor(n / 2);
  const secondStart = Math.ceil(n / 2 + 1) - 1;
  return [...x.map((c) => c.slice(0, firstEnd)), ...x.map((c) => c.slice(secondStart))];
}

function badOrConstant(x: Cols): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of x) {
    for (let i = 0; i < c.length; i++) {
      const v = c[i]!;
      if (!Number.isFinite(v)) return true;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return Math.abs(hi - lo) < Number.EPSILON;
}

/** (ranks treat infinite draws as ordinary extremes, as R's do; a missing draw gives NA there) */
function hasNaN(x: Cols): boolean {
  return x.some((c) => c.some((v) => Number.isNaN(v)));
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** Sample variance (denominator n - 1), two-pass. */
function variance(a: ArrayLike<number>, m = mean(a)): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - m;
    s += d * d;
  }
  return s / (a.length - 1);
}

function flatten(x: Cols): Float64Array {
  const n = x[0]!.length;
  const out = new Float64Array(n * x.length);
  x.forEach((c, j) => out.set(c, j * n));
  return out;
}

function unflatten(v: Float64Array, like: Cols): Cols {
  const n = like[0]!.length;
  return like.map((_, j) => v.slice(j * n, (j + 1) * n));
}

/** Ranks 1..S over all draws, ties given their average rank. */
function ranks(v: Float64Array): Float64Array {
  const S = v.length;
  const idx = Array.from({ length: S }, (_, i) => i).sort((a, b) => (v[a]! < v[b]! ? -1 : v[a]! > v[b]! ? 1 : a - b));
  const r = new Float64Array(S);
  for (let i = 0; i < S;) {
    let j = i + 1;
    while (j < S && v[idx[j]!] === v[idx[i]!]) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) r[idx[k]!] = avg;
    i = j;
  }
  return r;
}

/** Rank normalisation: normal scores of the pooled ranks (Blom's offset c = 3/8). */
function zScale(x: Cols): Cols {
  const v = flatten(x);
  const r = ranks(v);
  const S = v.length;
  const c = 3 / 8;
  for (let i = 0; i < S; i++) r[i] = qnorm((r[i]! - c) / (S - 2 * c + 1));
  return unflatten(r, x);
}

/** R's quantile(x, p) with the default type 7. */
function quantile7(v: Float64Array, p: number): number {
  const s = Float64Array.from(v).sort();
  const n = s.length;
  const index = 1 + Math.max(n - 1, 0) * p;
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  let q = s[lo - 1]!;
  if (index > lo && s[hi - 1] !== q) {
    const h = index - lo;
    q = (1 - h) * q + h * s[hi - 1]!;
  }
  return q;
}

function median(v: Float64Array): number {
  const s = Float64Array.from(v).sort();
  const n = s.length;
  const h = Math.floor(n / 2);
  return n % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Classic R-hat of already split (and transformed) chains. */
function rhatOf(x: Cols): number {
  if (badOrConstant(x)) return NaN;
  const n = x[0]!.length;
  const means = x.map((c) => mean(c));
  const vars = x.map((c, j) => variance(c, means[j]));
  const between = n * variance(means);
  const within = mean(vars);
  return Math.sqrt((between / within + n - 1) / n);
}

/** Unnormalised lag sums sum_i y_i y_{i+k} of a centred series, k = 0..n-1. */
function lagSums(y: Float64Array): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  if (n <= 2048) {
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let i = 0; i + k < n; i++) s += y[i]! * y[i + k]!;
      out[k] = s;
    }
    return out;
  }
  // long series: through the FFT (zero-padded past 2n, so no lag wraps round)
  let P = 1;
  while (P < 2 * n) P *= 2;
  const re = new Float64Array(P);
  const im = new Float64Array(P);
  re.set(y);
  fft(re, im, false);
  for (let i = 0; i < P; i++) {
    re[i] = re[i]! * re[i]! + im[i]! * im[i]!;
    im[i] = 0;
  }
  fft(re, im, true);
  for (let k = 0; k < n; k++) out[k] = re[k]! / P;
  return out;
}

/** In-place iterative radix-2 FFT (unscaled both ways). */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len *= 2) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** Biased autocovariance at every lag, scaled (as posterior does) so lag 0 is var(x) (n-1)/n. */
function autocovariance(x: Float64Array): Float64Array {
  const n = x.length;
  const m = mean(x);
  const v = variance(x, m);
  if (v === 0) return new Float64Array(n);
  const y = x.map((a) => a - m);
  const ac = lagSums(y);
  const scale = (v * (n - 1)) / n / ac[0]!;
  for (let k = 0; k < n; k++) ac[k] = ac[k]! * scale;
  return ac;
}

/** Effective sample size of already split (and transformed) chains: Geyer's initial monotone sequence. */
function essOf(x: Cols): number {
  const m = x.length;
  const n = x[0]!.length;
  if (n < 3 || badOrConstant(x)) return NaN;
  const acm = new Float64Array(n);
  for (const c of x) {
    const ac = autocovariance(c);
    for (let k = 0; k < n; k++) acm[k]! += ac[k]! / m;
  }
  const meanVar = (acm[0]! * n) / (n - 1);
  let varPlus = (meanVar * (n - 1)) / n;
  if (m > 1) varPlus += variance(x.map((c) => mean(c)));
  const rho = new Float64Array(n);
  let t = 0;
  let even = 1;
  let odd = 1 - (meanVar - acm[1]!) / varPlus;
  rho[0] = even;
  rho[1] = odd;
  while (t < n - 5 && !Number.isNaN(even + odd) && even + odd > 0) {
    t += 2;
    even = 1 - (meanVar - acm[t]!) / varPlus;
    odd = 1 - (meanVar - acm[t + 1]!) / varPlus;
    if (even + odd >= 0) {
      rho[t] = even;
      rho[t + 1] = odd;
    }
  }
  const maxT = t;
  if (even > 0) rho[maxT] = even;
  // monotone: no pair sum larger than the one before it
  for (t = 2; t <= maxT - 2; t += 2) {
    if (rho[t]! + rho[t + 1]! > rho[t - 2]! + rho[t - 1]!) {
      rho[t] = (rho[t - 2]! + rho[t - 1]!) / 2;
      rho[t + 1] = rho[t]!;
    }
  }
  const S = m * n;
  // R sums rho_hat_t[1:max_t]; for max_t = 0 that is the first element alone
  let sum = 0;
  for (let k = 0; k < Math.max(maxT, 1); k++) sum += rho[k]!;
  let tau = -1 + 2 * sum + rho[maxT]!;
  tau = Math.max(tau, 1 / Math.log10(S));
  return S / tau;
}

/** Rank-normalised split R-hat: the larger of the bulk and the folded (tail) R-hat. */
export function rhat(chains: Chains): number {
  const x = toCols(chains);
  if (hasNaN(x)) return NaN;
  const bulk = rhatOf(zScale(splitChains(x)));
  const med = median(flatten(x));
  const folded = x.map((c) => c.map((v) => Math.abs(v - med)));
  const tail = rhatOf(zScale(splitChains(folded)));
  return Number.isNaN(bulk) || Number.isNaN(tail) ? NaN : Math.max(bulk, tail);
}

/** Bulk effective sample size: ESS of the rank-normalised split chains. */
export function essBulk(chains: Chains): number {
  const x = toCols(chains);
  return hasNaN(x) ? NaN : essOf(zScale(splitChains(x)));
}

/** ESS of the indicator "draw <= the pooled p-quantile" (split chains). */
export function essQuantile(chains: Chains, p: number): number {
  const x = toCols(chains);
  if (badOrConstant(x)) return NaN;
  const q = quantile7(flatten(x), p);
  return essOf(splitChains(x.map((c) => c.map((v) => (v <= q ? 1 : 0)))));
}

/** Tail effective sample size: the smaller ESS of the 5 % and 95 % quantiles. */
export function essTail(chains: Chains): number {
  const a = essQuantile(chains, 0.05);
  const b = essQuantile(chains, 0.95);
  return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
}

export function convergenceStats(chains: Chains): ConvergenceStats {
  return { rhat: rhat(chains), essBulk: essBulk(chains), essTail: essTail(chains) };
}
