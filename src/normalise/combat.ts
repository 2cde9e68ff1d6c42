import { groupByMissing, solveOlsMany, type RankDeficient } from './ols.js';

/**
 * ComBat: empirical-Bayes location/scale harmonisation across sites (Johnson, Li & Rabinovic 2007,
 * Biostatistics 8:118; applied to MRI measures by Fortin et al. 2018, NeuroImage 167:104), written
 * from the papers' equations. Model per feature g, site i, subject j:
 *   y_ijg = alpha_g + x_ij' beta_g + gamma_ig + delta_ig * eps_ijg,   eps ~ N(0, sigma_g^2).
 * Fitted on controls, with the biological covariates x protected (kept in the model, so their
 * effect is not removed with the site effect). Standardise z = (y - alpha - x'beta) / sigma; per site,
 * gammaHat = mean z, deltaHat = var z (a variance); shrink both towards priors estimated across
 * features (normal for gamma, inverse gamma for delta^2) and adjust
 *   y* = sigma * (z - gamma*) / sqrt(delta*) + alpha + x'beta.
 * Missing values (NaN) are left out per feature.
 */

export interface CombatData {
  N: number;
  G: number;
  /** N x G row-major, NaN = missing. */
  y: Float64Array;
  /** Site index 0..K-1 of each row. */
  site: Int32Array;
  K: number;
  /** N x P protected covariates (no intercept: the site indicators span it). */
  Xp: Float64Array;
  P: number;
}

export interface CombatSettings {
  eb: boolean;
  tolerance: number;
  maxIterations: number;
}

export interface SitePrior {
  gammaBar: number;
  tau2: number;
  lambda: number;
  theta: number;
}

export interface CombatParams {
  ok: true;
  G: number;
  K: number;
  P: number;
  alpha: Float64Array;
  /** G x P */
  beta: Float64Array;
  sigma: Float64Array;
  /** K x G (index k * G + g); delta* are variances. */
  gammaHat: Float64Array;
  deltaHat: Float64Array;
  gammaStar: Float64Array;
  deltaStar: Float64Array;
  /** K x G controls with a value. */
  counts: Int32Array;
  nPerFeature: Int32Array;
  priors: (SitePrior | null)[];
  /** Largest number of fixed-point iterations any (site, feature) needed. */
  iterations: number;
  /** (site, feature) pairs that did not converge within maxIterations. */
  unconverged: number;
}

export interface CombatFailure {
  ok: false;
  feature: number;
  /** Rank deficiency of [site indicators (K), protected (P)]. */
  rank: RankDeficient;
}

export function fitCombat(d: CombatData, s: CombatSettings): CombatParams | CombatFailure {
  const { N, G, K, P } = d;
  const p = K + P;
  const alpha = new Float64Array(G);
  const beta = new Float64Array(G * P);
  const sigma = new Float64Array(G);
  const gammaHat = new Float64Array(K * G);
  const deltaHat = new Float64Array(K * G);
  const counts = new Int32Array(K * G);
  const nPerFeature = new Int32Array(G);
  // Sums needed by the EB step: per (site, feature) sum of squared deviations from gammaHat.
  const ss = new Float64Array(K * G);
  // Features with the same missing pattern share one design (and one QR decomposition).
  for (const grp of groupByMissing(d.y, N, G)) {
    const rows = grp.rows;
    const n = rows.length;
    const X = new Float64Array(n * p);
    const siteCount = new Int32Array(K);
    rows.forEach((i, r) => {
      X[r * p + d.site[i]!] = 1;
      for (let c = 0; c < P; c++) X[r * p + K + c] = d.Xp[i * P + c]!;
      siteCount[d.site[i]!]!++;
    });
    const ys = grp.features.map((g) => Float64Array.from(rows, (i) => d.y[i * G + g]!));
    const fits = solveOlsMany(X, n, p, ys);
    if (!Array.isArray(fits)) return { ok: false, feature: grp.features[0]!, rank: fits };
    grp.features.forEach((g, q) => {
      const fit = fits[q]!;
      const y = ys[q]!;
      nPerFeature[g] = n;
      for (let k = 0; k < K; k++) counts[k * G + g] = siteCount[k]!;
      let a = 0;
      for (let k = 0; k < K; k++) a += (siteCount[k]! / n) * fit.coef[k]!;
      alpha[g] = a;
      for (let c = 0; c < P; c++) beta[g * P + c] = fit.coef[K + c]!;
      sigma[g] = Math.sqrt(fit.rss / n);
      const sum = new Float64Array(K);
      const z = new Float64Array(n);
      rows.forEach((i, r) => {
        z[r] = standardise(y[r]!, a, beta, g, P, d.Xp, i, sigma[g]!);
        sum[d.site[i]!]! += z[r]!;
      });
      for (let k = 0; k < K; k++) gammaHat[k * G + g] = sum[k]! / siteCount[k]!;
      rows.forEach((i, r) => {
        const k = d.site[i]!;
        ss[k * G + g]! += (z[r]! - gammaHat[k * G + g]!) ** 2;
      });
      for (let k = 0; k < K; k++) deltaHat[k * G + g] = ss[k * G + g]! / (siteCount[k]! - 1);
    });
  }

  const gammaStar = Float64Array.from(gammaHat);
  const deltaStar = Float64Array.from(deltaHat);
  const priors: (SitePrior | null)[] = new Array(K).fill(null);
  let iterations = 0;
  let unconverged = 0;
  if (s.eb && G >= 2) {
    for (let k = 0; k < K; k++) {
      const prior = estimatePrior(gammaHat.subarray(k * G, (k + 1) * G), deltaHat.subarray(k * G, (k + 1) * G));
      if (prior === null) continue;
      priors[k] = prior;
      for (let g = 0; g < G; g++) {
        const r = shrink(counts[k * G + g]!, gammaHat[k * G + g]!, deltaHat[k * G + g]!, ss[k * G + g]!, prior, s);
        gammaStar[k * G + g] = r.gamma;
        deltaStar[k * G + g] = r.delta;
        iterations = Math.max(iterations, r.iterations);
        if (!r.converged) unconverged++;
      }
    }
  }
  return { ok: true, G, K, P, alpha, beta, sigma, gammaHat, deltaHat, gammaStar, deltaStar, counts, nPerFeature, priors, iterations, unconverged };
}

function standardise(y: number, a: number, beta: ArrayLike<number>, g: number, P: number, Xp: Float64Array, i: number, sigma: number): number {
  let m = a;
  for (let c = 0; c < P; c++) m += Xp[i * P + c]! * beta[g * P + c]!;
  return (y - m) / sigma;
}

/**
 * Method-of-moments hyperparameters across features (Johnson et al. 2007, section 3.2):
 * gamma ~ N(gammaBar, tau2); delta ~ InverseGamma(lambda, theta) with mean V and variance S2:
 * lambda = (V^2 + 2 S2) / S2, theta = (V^3 + V S2) / S2. Null when the spread is zero (no prior).
 */
export function estimatePrior(gHat: ArrayLike<number>, dHat: ArrayLike<number>): SitePrior | null {
  const G = gHat.length;
  const gammaBar = mean(gHat);
  const tau2 = variance(gHat, gammaBar);
  const V = mean(dHat);
  const S2 = variance(dHat, V);
  if (!(S2 > 0) || !Number.isFinite(S2) || !Number.isFinite(tau2) || G < 2) return null;
  return { gammaBar, tau2, lambda: (V * V + 2 * S2) / S2, theta: (V * V * V + V * S2) / S2 };
}

/**
 * The posterior means solved jointly by fixed-point iteration:
 *   gamma* = (n tau2 gammaHat + delta* gammaBar) / (n tau2 + delta*)
 *   delta* = (theta + 0.5 * sum_j (z_j - gamma*)^2) / (n/2 + lambda - 1)
 * with sum_j (z_j - g)^2 = ss + n (gammaHat - g)^2, ss the squared deviations from gammaHat.
 */
export function shrink(
  n: number,
  gHat: number,
  dHat: number,
  ss: number,
  pr: SitePrior,
  s: Pick<CombatSettings, 'tolerance' | 'maxIterations'>,
): { gamma: number; delta: number; iterations: number; converged: boolean } {
  let g = gHat;
  let dl = dHat;
  for (let it = 1; it <= s.maxIterations; it++) {
    const gNew = (n * pr.tau2 * gHat + dl * pr.gammaBar) / (n * pr.tau2 + dl);
    const sum2 = ss + n * (gHat - gNew) ** 2;
    const dNew = (pr.theta + 0.5 * sum2) / (n / 2 + pr.lambda - 1);
    const done = Math.abs(gNew - g) <= s.tolerance * (1 + Math.abs(g)) && Math.abs(dNew - dl) <= s.tolerance * dl;
    g = gNew;
    dl = dNew;
    if (done) return { gamma: g, delta: dl, iterations: it, converged: true };
  }
  return { gamma: g, delta: dl, iterations: s.maxIterations, converged: false };
}

/**
 * Harmonise one value: y* = sigma (z - gamma*) / sqrt(delta*) + alpha + x'beta.
 * `xp` holds the protected covariates of the subject (length P).
 */
export function harmoniseValue(
  y: number,
  xp: ArrayLike<number>,
  xpOffset: number,
  P: number,
  alpha: number,
  beta: ArrayLike<number>,
  sigma: number,
  gammaStar: number,
  deltaStar: number,
): number {
  let m = alpha;
  for (let c = 0; c < P; c++) m += xp[xpOffset + c]! * beta[c]!;
  return (sigma * ((y - m) / sigma - gammaStar)) / Math.sqrt(deltaStar) + m;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

function variance(a: ArrayLike<number>, m: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - m) ** 2;
  return s / (a.length - 1);
}
