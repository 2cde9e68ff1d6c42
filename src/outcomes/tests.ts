/**
 * The group-comparison tests of Table 1 and the score analyses, as R computes them: chisq.test
 * (no continuity correction), fisher.test (2 x 2), kruskal.test, oneway.test (equal variances),
 * cor.test (Spearman, t approximation), quantile (type 7).
 */
import { gammaln, pChisqUpper, pFUpper, pTTwoSided } from './dist.js';

export interface TestResult {
  test: 'chi-square' | 'Fisher exact' | 'Kruskal-Wallis' | 'ANOVA';
  statistic: number | null;
  df: number | null;
  /** second degrees of freedom (ANOVA) */
  df2?: number;
  p: number;
  note?: string;
}

/** Pearson chi-square on an r x c table of counts (rows or columns summing to 0 are dropped). */
export function chiSquareTest(table: number[][]): TestResult | null {
  const rows = table.filter((r) => r.reduce((a, b) => a + b, 0) > 0);
  if (rows.length < 2) return null;
  const colSum = rows[0]!.map((_, j) => rows.reduce((a, r) => a + r[j]!, 0));
  const cols = colSum.map((s, j) => (s > 0 ? j : -1)).filter((j) => j >= 0);
  if (cols.length < 2) return null;
  const rowSum = rows.map((r) => r.reduce((a, b) => a + b, 0));
  const n = rowSum.reduce((a, b) => a + b, 0);
  let x2 = 0;
  let small = false;
  rows.forEach((r, i) =>
    cols.forEach((j) => {
      const e = (rowSum[i]! * colSum[j]!) / n;
      if (e < 5) small = true;
      x2 += (r[j]! - e) ** 2 / e;
    }),
  );
  const df = (rows.length - 1) * (cols.length - 1);
  return { test: 'chi-square', statistic: x2, df, p: pChisqUpper(x2, df), ...(small ? { note: 'some expected counts below 5: the chi-square approximation may be poor' } : {}) };
}

/** Two-sided Fisher exact test of a 2 x 2 table (R's rule: tables no more likely than the observed one). */
export function fisherTest2x2(t: number[][]): TestResult {
  const [[a, b], [c, d]] = t as [[number, number], [number, number]];
  const r1 = a + b;
  const c1 = a + c;
  const n = a + b + c + d;
  const lchoose = (nn: number, k: number) => gammaln(nn + 1) - gammaln(k + 1) - gammaln(nn - k + 1);
  const logp = (x: number) => lchoose(c1, x) + lchoose(n - c1, r1 - x) - lchoose(n, r1);
  const lo = Math.max(0, r1 + c1 - n);
  const hi = Math.min(r1, c1);
  const obs = logp(a);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logp(x);
    if (lp <= obs + Math.log1p(1e-7)) p += Math.exp(lp);
  }
  return { test: 'Fisher exact', statistic: null, df: null, p: Math.min(1, p) };
}

/**
 * Two-sided Fisher exact test of an r x 2 (or 2 x c) table by enumerating every table with the same
 * margins (R's fisher.test gives the same p). Null when there would be more than `maxTables` tables.
 */
export function fisherTestRx2(table: number[][], maxTables = 2e6): TestResult | null {
  let t = table;
  if (t.length === 2 && t[0]!.length !== 2) t = t[0]!.map((_, j) => [t[0]![j]!, t[1]![j]!]);
  if (t[0]!.length !== 2) return null;
  const rows = t.map((r) => r[0]! + r[1]!);
  const c1 = t.reduce((a, r) => a + r[0]!, 0);
  const n = rows.reduce((a, b) => a + b, 0);
  let size = 1;
  for (const r of rows) size *= Math.min(r, c1) + 1;
  if (size > maxTables) return null;
  const lchoose = (nn: number, k: number) => gammaln(nn + 1) - gammaln(k + 1) - gammaln(nn - k + 1);
  const lc = rows.map((r) => Array.from({ length: r + 1 }, (_, k) => lchoose(r, k)));
  const total = lchoose(n, c1);
  const obs = t.reduce((a, r, i) => a + lc[i]![r[0]!]!, 0) - total;
  const limit = obs + Math.log1p(1e-7);
  // remaining[i] = sum of row totals from i on: bounds the first-column count still to place.
  const remaining = rows.map((_, i) => rows.slice(i).reduce((a, b) => a + b, 0));
  let p = 0;
  const walk = (i: number, left: number, acc: number): void => {
    if (i === rows.length - 1) {
      if (left <= rows[i]!) {
        const lp = acc + lc[i]![left]! - total;
        if (lp <= limit) p += Math.exp(lp);
      }
      return;
    }
    const lo = Math.max(0, left - remaining[i + 1]!);
    const hi = Math.min(rows[i]!, left);
    for (let x = lo; x <= hi; x++) walk(i + 1, left - x, acc + lc[i]![x]!);
  };
  walk(0, c1, 0);
  return { test: 'Fisher exact', statistic: null, df: null, p: Math.min(1, p) };
}

/** Average ranks (1-based), ties sharing the mean rank; also sum of (t^3 - t) over tie groups. */
export function ranks(v: readonly number[]): { r: Float64Array; ties: number } {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(n);
  let ties = 0;
  for (let k = 0; k < n;) {
    let m = k;
    while (m + 1 < n && v[order[m + 1]!] === v[order[k]!]) m++;
    const avg = (k + m) / 2 + 1;
    for (let q = k; q <= m; q++) r[order[q]!] = avg;
    const t = m - k + 1;
    ties += t * t * t - t;
    k = m + 1;
  }
  return { r, ties };
}

/** Kruskal-Wallis rank sum test; `groups` are the values of each group. */
export function kruskalWallis(groups: readonly number[][]): TestResult | null {
  const gs = groups.filter((g) => g.length > 0);
  if (gs.length < 2) return null;
  const all = gs.flat();
  const n = all.length;
  const { r, ties } = ranks(all);
  let h = 0;
  let off = 0;
  for (const g of gs) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += r[off + i]!;
    off += g.length;
    h += (s * s) / g.length;
  }
  h = (12 / (n * (n + 1))) * h - 3 * (n + 1);
  const denom = 1 - ties / (n * n * n - n);
  if (!(denom > 0)) return null;
  h /= denom;
  const df = gs.length - 1;
  return { test: 'Kruskal-Wallis', statistic: h, df, p: pChisqUpper(h, df) };
}

/** One-way analysis of variance (equal variances). */
export function oneWayAnova(groups: readonly number[][]): TestResult | null {
  const gs = groups.filter((g) => g.length > 0);
  const n = gs.reduce((a, g) => a + g.length, 0);
  const k = gs.length;
  if (k < 2 || n - k < 1) return null;
  const mean = gs.flat().reduce((a, b) => a + b, 0) / n;
  let ssb = 0;
  let ssw = 0;
  for (const g of gs) {
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    ssb += g.length * (m - mean) ** 2;
    for (const v of g) ssw += (v - m) ** 2;
  }
  if (!(ssw > 0)) return null;
  const f = ssb / (k - 1) / (ssw / (n - k));
  return { test: 'ANOVA', statistic: f, df: k - 1, df2: n - k, p: pFUpper(f, k - 1, n - k) };
}

/** Spearman's rho with the t-approximation p-value (R's cor.test(method = "spearman", exact = FALSE)). */
export function spearman(x: readonly number[], y: readonly number[]): { rho: number; p: number; n: number } | null {
  const n = x.length;
  if (n < 3) return null;
  const rx = ranks(x).r;
  const ry = ranks(y).r;
  const mx = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - mx);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - mx) ** 2;
  }
  if (!(sxx > 0 && syy > 0)) return null;
  const rho = sxy / Math.sqrt(sxx * syy);
  const t = rho / Math.sqrt((1 - rho * rho) / (n - 2));
  return { rho, p: Math.abs(rho) >= 1 ? 0 : pTTwoSided(t, n - 2), n };
}

/** R's default quantile (type 7). */
export function quantile7(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
