/**
 * Sums over a subject's non-decreasing stage paths (k_1 <= k_2 <= ... <= k_V), the heart of the
 * longitudinal model. A subject's visits are V consecutive rows of a subject x stage table; the
 * likelihood of a subtype is sum over paths of prod_v p(x_v | k_v), computed by a forward recursion
 * whose inner step is a cumulative sum over stages: alpha_v[k] = p(x_v | k) * sum_{k' <= k} alpha_{v-1}[k'].
 * O(V x S) per subject and subtype instead of the C(S+V-1, V) paths.
 *
 * Three forms: linear space on rows already shifted by a per-row reference (the engine's E tables:
 * fast, may under/overflow, the caller then falls back), log space (exact, one log1p/exp per cell),
 * and forward-backward with per-visit scaling for the per-visit stage posteriors.
 * No file access, typed arrays only: runs in workers and tests unchanged.
 */

/** log(exp(a) + exp(b)) without overflow; -Infinity is the identity. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log C(S + V - 1, V): the log of the number of non-decreasing paths of V visits over S stages. */
export function logPathCount(S: number, V: number): number {
  let t = 0;
  for (let j = 1; j <= V; j++) t += Math.log((S - 1 + j) / j);
  return t;
}

/**
 * The path prior relative to what the stage tables already hold. Each visit's row includes the
 * cross-sectional stage prior 1/S, so a product over V visits carries S^-V; the longitudinal prior
 * is uniform over the C(S+V-1, V) non-decreasing paths. Returns V log S - log C(S+V-1, V), which is
 * exactly 0 for one visit (the cross-sectional model).
 */
export function pathPriorCorrection(S: number, V: number): number {
  if (V <= 1) return 0;
  return V * Math.log(S) - logPathCount(S, V);
}

/**
 * Linear-space forward total: sum over non-decreasing paths of prod_v E[(first + v) * S + k_v], for
 * the V rows starting at `first`. `acc` is scratch of length >= S. Returns the plain sum (may be 0
 * or Infinity when the rows' scales make it under/overflow: the caller falls back to forwardLog).
 */
export function forwardTotal(E: Float64Array, first: number, V: number, S: number, acc: Float64Array): number {
  let base = first * S;
  if (V === 1) {
    // the cross-sectional row sum (same order of additions as the forward pass below)
    let t = 0;
    for (let k = 0; k < S; k++) t += E[base + k]!;
    return t;
  }
  for (let k = 0; k < S; k++) acc[k] = E[base + k]!;
  for (let v = 1; v < V; v++) {
    base += S;
    let c = 0;
    for (let k = 0; k < S; k++) {
      c += acc[k]!;
      acc[k] = c * E[base + k]!;
    }
  }
  let t = 0;
  for (let k = 0; k < S; k++) t += acc[k]!;
  return t;
}

/**
 * Log-space forward total over the V rows of log values L starting at `first` (exact: cumulative
 * log-sum-exp, no under/overflow). `acc` is scratch of length >= S.
 */
export function forwardLog(L: Float64Array, first: number, V: number, S: number, acc: Float64Array): number {
  let base = first * S;
  for (let k = 0; k < S; k++) acc[k] = L[base + k]!;
  for (let v = 1; v < V; v++) {
    base += S;
    let c = -Infinity;
    for (let k = 0; k < S; k++) {
      c = logAddExp(c, acc[k]!);
      acc[k] = c + L[base + k]!;
    }
  }
  let mx = -Infinity;
  for (let k = 0; k < S; k++) if (acc[k]! > mx) mx = acc[k]!;
  if (mx === -Infinity) return -Infinity;
  let t = 0;
  for (let k = 0; k < S; k++) t += Math.exp(acc[k]! - mx);
  return mx + Math.log(t);
}

/**
 * Forward-backward with per-visit scaling on linear rows E (V rows from `first`): post[v * S + k] =
 * P(k_v = k | the subject's visits, this subtype). Returns log of the forward total (in the rows'
 * scale), or NaN when a visit's scaled mass under/overflowed (call forwardBackwardLog on log rows).
 * Scratch: alpha (V * S), cum (S).
 */
export function forwardBackward(E: Float64Array, first: number, V: number, S: number, post: Float64Array, alpha: Float64Array, scale: Float64Array): number {
  const base = first * S;
  let logTotal = 0;
  // forward: alpha-hat_v = alpha_v / n_v (normalised per visit)
  for (let v = 0; v < V; v++) {
    const r = base + v * S;
    const o = v * S;
    let n = 0;
    if (v === 0) {
      for (let k = 0; k < S; k++) {
        const a = E[r + k]!;
        alpha[k] = a;
        n += a;
      }
    } else {
      let c = 0;
      for (let k = 0; k < S; k++) {
        c += alpha[o - S + k]!;
        const a = c * E[r + k]!;
        alpha[o + k] = a;
        n += a;
      }
    }
    if (!(n > 0 && n < Infinity)) return NaN;
    const inv = 1 / n;
    for (let k = 0; k < S; k++) alpha[o + k]! *= inv;
    scale[v] = n;
    logTotal += Math.log(n);
  }
  // backward: beta-hat_{V-1} = 1; beta-hat_v[k] = sum_{k' >= k} E_{v+1}[k'] beta-hat_{v+1}[k'] / n_{v+1}
  // (post holds beta-hat while it is built, then alpha-hat * beta-hat)
  const last = (V - 1) * S;
  for (let k = 0; k < S; k++) post[last + k] = 1;
  for (let v = V - 2; v >= 0; v--) {
    const r = base + (v + 1) * S;
    const o = v * S;
    const inv = 1 / scale[v + 1]!;
    let c = 0;
    for (let k = S - 1; k >= 0; k--) {
      c += E[r + k]! * post[o + S + k]!;
      post[o + k] = c * inv;
    }
  }
  for (let q = 0; q < V * S; q++) post[q] = alpha[q]! * post[q]!;
  return logTotal;
}

/**
 * forwardBackward on log rows L (exact in log space; for subjects whose scaled linear pass failed).
 * Returns the log total. Scratch: alpha (V * S), beta (V * S).
 */
export function forwardBackwardLog(L: Float64Array, first: number, V: number, S: number, post: Float64Array, alpha: Float64Array, beta: Float64Array): number {
  const base = first * S;
  for (let k = 0; k < S; k++) alpha[k] = L[base + k]!;
  for (let v = 1; v < V; v++) {
    let c = -Infinity;
    for (let k = 0; k < S; k++) {
      c = logAddExp(c, alpha[(v - 1) * S + k]!);
      alpha[v * S + k] = c + L[base + v * S + k]!;
    }
  }
  for (let k = 0; k < S; k++) beta[(V - 1) * S + k] = 0;
  for (let v = V - 2; v >= 0; v--) {
    let c = -Infinity;
    for (let k = S - 1; k >= 0; k--) {
      c = logAddExp(c, L[base + (v + 1) * S + k]! + beta[(v + 1) * S + k]!);
      beta[v * S + k] = c;
    }
  }
  let total = -Infinity;
  for (let k = 0; k < S; k++) total = logAddExp(total, alpha[(V - 1) * S + k]!);
  for (let q = 0; q < V * S; q++) post[q] = total === -Infinity ? 0 : Math.exp(alpha[q]! + beta[q]! - total);
  return total;
}

/**
 * The most probable non-decreasing stage path under per-visit stage probabilities P (V x S, each row
 * a distribution): maximises sum_v log P[v][k_v] subject to k_1 <= ... <= k_V. Equals the per-visit
 * argmax whenever those are already non-decreasing; ties go to the lower stage. Writes out[v].
 */
export function monotonePath(P: Float64Array, V: number, S: number, out: Int32Array, score: Float64Array, from: Int32Array): void {
  // score[v*S+k] = best log-score of a path ending at stage k at visit v; from = its argmax k' <= k at v-1
  for (let k = 0; k < S; k++) score[k] = Math.log(P[k]!);
  for (let v = 1; v < V; v++) {
    let best = -Infinity;
    let arg = 0;
    for (let k = 0; k < S; k++) {
      const prev = score[(v - 1) * S + k]!;
      if (prev > best) {
        best = prev;
        arg = k;
      }
      score[v * S + k] = best + Math.log(P[v * S + k]!);
      from[v * S + k] = arg;
    }
  }
  let bk = 0;
  const last = (V - 1) * S;
  for (let k = 1; k < S; k++) if (score[last + k]! > score[last + bk]!) bk = k;
  for (let v = V - 1; v >= 0; v--) {
    out[v] = bk;
    if (v > 0) bk = from[v * S + bk]!;
  }
}
