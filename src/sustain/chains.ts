/**
 * Several MCMC chains of one K: align their subtype labels, pool their kept samples, and say whether
 * they agree (convergence.ts: R-hat and ESS of the log-likelihood and of each fraction; positional
 * variance and ML sequences compared between chains; acceptance).
 *
 * Labels: a subtype is only defined up to its index, and chains from different starts may find the
 * same subtypes in another order. Each chain's subtypes are matched to the first chain's (best
 * sample of each, Kendall tau of the sequences, the assignment maximising the summed tau) and its
 * samples reordered before anything is compared or pooled.
 */
import { convergenceStats, type ConvergenceStats } from './convergence.js';
import { matchSequences } from './matching.js';
import { lagClause, laggingChains } from './chain-lag.js';

/** The part of a chain's result used here (mcmc.ts ChainResult). */
export interface ChainSamples {
  /** [sample][subtype][position] = event */
  sequences: number[][][];
  /** [sample][subtype] */
  fractions: number[][];
  logLik: number[];
  acceptance: number;
  best: { sequences: number[][]; fractions: number[]; logLik: number };
}

/** The thresholds behind the warning (Vehtari et al. 2021's recommendations). */
export const CONVERGENCE_LIMITS = { rhat: 1.01, essBulk: 400 } as const;

/** JSON-safe (NaN, where a quantity is constant or undefined, becomes null). */
export interface StatsJson {
  rhat: number | null;
  essBulk: number | null;
  essTail: number | null;
}

export interface ConvergenceJson {
  chains: number;
  samplesPerChain: number;
  logLikelihood: StatsJson;
  /** per subtype (in the fit's subtype order) */
  fractions: StatsJson[];
  /** largest difference between two chains' positional variance matrices (share of samples, 0..1) */
  positionalVarianceMaxDifference: number;
  /** whether every chain's best sample has the same sequences (after aligning labels) */
  mlSequencesAgree: boolean;
  /** per chain: share of iterations that moved */
  acceptance: number[];
  /** what is wrong, in words; empty when the diagnostics are within the limits */
  warnings: string[];
}

/** Reorder a chain's subtypes: new subtype s = old subtype from[s]. */
export function permuteChain(c: ChainSamples, from: readonly number[]): ChainSamples {
  const pick = <T>(a: readonly T[]) => from.map((s) => a[s]!);
  return {
    sequences: c.sequences.map(pick),
    fractions: c.fractions.map(pick),
    logLik: c.logLik,
    acceptance: c.acceptance,
    best: { sequences: pick(c.best.sequences), fractions: pick(c.best.fractions), logLik: c.best.logLik },
  };
}

/** Per chain, the order that puts its subtypes in the first chain's: from[s] = own subtype matching subtype s of chain 0. */
export function chainOrders(chains: readonly Pick<ChainSamples, 'best'>[]): number[][] {
  const ref = chains[0]!.best.sequences;
  return chains.map((c, q) => {
    if (q === 0) return ref.map((_, s) => s);
    const { matchOf } = matchSequences(c.best.sequences, ref);
    // matchOf[own subtype] = reference subtype; invert it
    const from = new Array<number>(matchOf.length);
    matchOf.forEach((r, own) => (from[r] = own));
    return from;
  });
}

/** Chains with their subtypes in the first chain's order. */
export function alignChains(chains: readonly ChainSamples[]): ChainSamples[] {
  const orders = chainOrders(chains);
  return chains.map((c, q) => (q === 0 ? c : permuteChain(c, orders[q]!)));
}

/** All chains' kept samples one after the other, with the chain index of each. */
export function poolChains(chains: readonly ChainSamples[]): { sequences: number[][][]; fractions: number[][]; logLikelihood: number[]; chain: number[] } {
  const out = { sequences: [] as number[][][], fractions: [] as number[][], logLikelihood: [] as number[], chain: [] as number[] };
  chains.forEach((c, q) => {
    out.sequences.push(...c.sequences);
    out.fractions.push(...c.fractions);
    out.logLikelihood.push(...c.logLik);
    for (let j = 0; j < c.logLik.length; j++) out.chain.push(q);
  });
  return out;
}

const json = (v: number): number | null => (Number.isFinite(v) ? v : null);
const statsJson = (s: ConvergenceStats): StatsJson => ({ rhat: json(s.rhat), essBulk: json(s.essBulk), essTail: json(s.essTail) });

/** Share of samples with each event at each position, per subtype: [s][e * N + p]. */
function positionShares(c: ChainSamples, N: number): Float64Array[] {
  const K = c.best.sequences.length;
  const out = Array.from({ length: K }, () => new Float64Array(N * N));
  for (const smp of c.sequences) smp.forEach((seq, s) => seq.forEach((e, p) => (out[s]![e * N + p]! += 1)));
  const n = c.sequences.length;
  for (const m of out) for (let i = 0; i < m.length; i++) m[i] = m[i]! / n;
  return out;
}

/** Diagnostics of aligned chains (as alignChains returns them). */
export function chainDiagnostics(chains: readonly ChainSamples[], nEvents: number): ConvergenceJson {
  const K = chains[0]!.best.sequences.length;
  const logLik = convergenceStats(chains.map((c) => c.logLik));
  // one subtype: the fraction is always 1 (no information, so no statistics)
  const fractions = Array.from({ length: K }, (_, s) => (K === 1 ? { rhat: NaN, essBulk: NaN, essTail: NaN } : convergenceStats(chains.map((c) => c.fractions.map((f) => f[s]!)))));
  const shares = chains.map((c) => positionShares(c, nEvents));
  let maxDiff = 0;
  for (let s = 0; s < K; s++) {
    for (let i = 0; i < nEvents * nEvents; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const sh of shares) {
        const v = sh[s]![i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi - lo > maxDiff) maxDiff = hi - lo;
    }
  }
  const ref = JSON.stringify(chains[0]!.best.sequences);
  const agree = chains.every((c) => JSON.stringify(c.best.sequences) === ref);
  const out: ConvergenceJson = {
    chains: chains.length,
    samplesPerChain: chains[0]!.logLik.length,
    logLikelihood: statsJson(logLik),
    fractions: fractions.map(statsJson),
    positionalVarianceMaxDifference: maxDiff,
    mlSequencesAgree: agree,
    acceptance: chains.map((c) => c.acceptance),
    warnings: [],
  };
  out.warnings = convergenceWarnings(out);
  return out;
}

/**
 * One line for the user when the chains of K subtypes have not converged (undefined when they have):
 * what is wrong and what to do (longer chains; the warm-up is the tuning passes).
 */
export function convergenceMessage(
  K: number,
  conv: Pick<ConvergenceJson, 'warnings'> & Partial<Pick<ConvergenceJson, 'logLikelihood' | 'mlSequencesAgree'>>,
  iterations: number,
  samples?: KeptSamples,
): string | undefined {
  if (conv.warnings.length === 0) return undefined;
  // far apart and with different best models: likely separate modes, which longer chains may not join
  const apart = conv.mlSequencesAgree === false && (conv.logLikelihood?.rhat ?? 0) > SEPARATE_MODES_RHAT;
  return (
    `K=${K}: the MCMC chains may not have converged (${conv.warnings.join('; ')}), so the posterior uncertainty ` +
    `(positional variance, subtype probabilities, fraction intervals) is not yet reliable: run longer chains, e.g. --mcmc ${Math.max(2 * iterations, 10_000)}` +
    (apart ? `; the chains found different best models, so the posterior may have separate modes that longer chains do not join (compare the chains: samples.chain in model.json)` : '') +
    (samples?.chain === undefined ? '' : lagClause(laggingChains(samples.logLikelihood, samples.chain)))
  );
}

/** The kept samples' log-likelihoods and chains (model.json's samples). */
type KeptSamples = { logLikelihood: readonly number[]; chain?: readonly number[] | undefined };

/** Above this R-hat with disagreeing best models, the message says the chains may sit in separate modes. */
const SEPARATE_MODES_RHAT = 1.1;

/** A fitted model's convergence messages, one per K whose chains have not converged. */
export function modelConvergenceWarnings(model: { fits: readonly { subtypes: number; diagnostics?: Record<string, unknown>; samples?: KeptSamples }[] }): string[] {
  const out: string[] = [];
  for (const f of model.fits) {
    const conv = f.diagnostics?.['convergence'] as ConvergenceJson | undefined;
    const msg = conv === undefined ? undefined : convergenceMessage(f.subtypes, conv, Number(f.diagnostics?.['mcmcIterations'] ?? 0), f.samples);
    if (msg !== undefined) out.push(msg);
  }
  return out;
}

/** What the diagnostics say is wrong (empty = nothing): R-hat above 1.01 or bulk ESS below 400. */
export function convergenceWarnings(c: Pick<ConvergenceJson, 'chains' | 'logLikelihood' | 'fractions'>): string[] {
  const out: string[] = [];
  const check = (what: string, s: StatsJson) => {
    if (s.rhat === null && s.essBulk === null) return;
    if (s.rhat !== null && s.rhat > CONVERGENCE_LIMITS.rhat) out.push(`R-hat of ${what} is ${s.rhat.toFixed(3)} (> ${CONVERGENCE_LIMITS.rhat})`);
    if (s.essBulk !== null && s.essBulk < CONVERGENCE_LIMITS.essBulk) out.push(`bulk ESS of ${what} is ${Math.round(s.essBulk)} (< ${CONVERGENCE_LIMITS.essBulk})`);
  };
  if (c.logLikelihood.rhat === null && c.logLikelihood.essBulk === null) out.push('the log-likelihood never changed in any chain (the chains did not move)');
  check('the log-likelihood', c.logLikelihood);
  c.fractions.forEach((f, s) => check(`the fraction of subtype ${s + 1}`, f));
  return out;
}
