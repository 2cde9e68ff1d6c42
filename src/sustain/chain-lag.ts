/**
 * Chains that sit below the others. At paper scale a chain from a dispersed start stayed 181
 * log-likelihood units below the others for 3e4 iterations (docs/sustain.md, "How long the chains
 * need at this size"): a lower mode it had not left. Longer chains may not join such a mode, and its
 * samples widen the pooled uncertainty, so the convergence message names it instead of only asking
 * for more iterations.
 */

/** A chain lags when its mean log-likelihood is at least this far below the best chain's (e^-3: 5 % of the weight)... */
export const LAG_UNITS = 3;
/** ...and more than this many within-chain standard deviations below it (not a slowly mixing chain's wander). */
export const LAG_SDS = 3;

export interface ChainLag {
  /** the chain's number in samples.chain */
  chain: number;
  /** best chain's mean log-likelihood minus this chain's */
  gap: number;
}

/** The chains lagging the best one, largest gap first; `chain[i]` numbers sample i's chain. */
export function laggingChains(logLik: readonly number[], chain: readonly number[]): ChainLag[] {
  const C = chain.reduce((m, c) => Math.max(m, c + 1), 0);
  if (C < 2 || chain.length !== logLik.length) return [];
  const n = new Float64Array(C);
  const sum = new Float64Array(C);
  for (let i = 0; i < logLik.length; i++) {
    n[chain[i]!]! += 1;
    sum[chain[i]!]! += logLik[i]!;
  }
  const mean = Array.from(sum, (s, c) => s / n[c]!);
  // pooled within-chain variance: how far a chain's samples wander around its own mean
  let ss = 0;
  for (let i = 0; i < logLik.length; i++) ss += (logLik[i]! - mean[chain[i]!]!) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, logLik.length - C));
  const best = Math.max(...mean);
  const out: ChainLag[] = [];
  mean.forEach((m, c) => {
    const gap = best - m;
    if (gap >= LAG_UNITS && gap > LAG_SDS * sd) out.push({ chain: c, gap });
  });
  return out.sort((a, b) => b.gap - a.gap);
}

/** The message's clause for lagging chains ('' when none). */
export function lagClause(lags: readonly ChainLag[]): string {
  if (lags.length === 0) return '';
  const which = lags.map((l) => `${l.chain} (${l.gap.toFixed(1)} units)`).join(', ');
  return (
    `; chain${lags.length > 1 ? 's' : ''} ${which} of samples.chain in model.json stayed below the best chain's mean log-likelihood: ` +
    `a lower mode not left in these iterations, which longer chains may not leave either, and whose samples widen the pooled uncertainty ` +
    `(compare the chains, or refit with another --seed)`
  );
}
