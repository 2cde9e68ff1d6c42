/**
 * One K's fit assembled from its EM optimum and its MCMC chains (split from fit.ts): where the chains
 * start, their labels aligned and samples pooled, the ML model, the diagnostics.
 */
import { alignChains, chainDiagnostics, chainOrders, permuteChain, poolChains, type ConvergenceJson } from './chains.js';
import { subjectLogLikelihoodsPrepared } from './likelihood.js';
import type { ModelData, ProgressionModel } from './model.js';
import type { EmTaskResult, McmcTaskResult } from './tasks.js';
import type { EventLabel, SustainFit } from './types.js';
import { longitudinalLogLikelihoods } from './longitudinal/likelihood.js';

/**
 * Where each of C chains starts: the EM optimum first, then the next-best distinct optima of the
 * other start points (dispersed, and each a mode the chains must agree on), then (undefined) the EM
 * optimum after N / 4 random valid moves per subtype, drawn in the chain's own task.
 */
export function startsFor(best: EmTaskResult, all: EmTaskResult[], C: number): (EmTaskResult | undefined)[] {
  const seen = new Set([JSON.stringify(best.sequences)]);
  const others = [...all]
    .sort((a, b) => b.logLik - a.logLik)
    .filter((r) => {
      const key = JSON.stringify(r.sequences);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return Array.from({ length: C }, (_, c) => (c === 0 ? best : others[c - 1]));
}

export function buildFit(
  model: ProgressionModel,
  prepared: ModelData,
  starts: Int32Array | null,
  events: EventLabel[],
  em: EmTaskResult,
  startPoints: number[],
  raw: McmcTaskResult[],
  sampled: boolean,
): SustainFit<EventLabel> {
  const K = em.sequences.length;
  // chains' subtypes in the first chain's order (the first chain starts from the EM optimum, so in its order)
  const orders = chainOrders(raw);
  const aligned = alignChains(raw);
  const meanFractions = new Array<number>(K).fill(0);
  raw.forEach((c, q) => orders[q]!.forEach((own, s) => (meanFractions[s]! += c.meanFractions[own]! / raw.length)));
  // The ML model: the EM optimum, unless a chain found a strictly better one.
  // (a margin, so the EM model seen again by a chain, up to rounding, does not count as better)
  let top = aligned[0]!.best;
  for (const c of aligned) if (c.best.logLik > top.logLik) top = c.best;
  const useChain = top.logLik > em.logLik + 1e-6;
  const ml = useChain ? top : em;
  const order = Array.from({ length: K }, (_, s) => s).sort((a, b) => meanFractions[b]! - meanFractions[a]! || a - b);
  const seqs = order.map((s) => ml.sequences[s]!);
  const fr = order.map((s) => ml.fractions[s]!);
  const per = starts === null ? subjectLogLikelihoodsPrepared(model, prepared, seqs, fr) : longitudinalLogLikelihoods(model, prepared, starts, seqs, fr);
  let ll = 0;
  for (let i = 0; i < per.length; i++) ll += per[i]!;
  const ordered = aligned.map((c) => permuteChain(c, order));
  const pooled = poolChains(ordered);
  const diagnostics: Record<string, unknown> = {
    emLogLikelihood: em.logLik,
    emStartPointLogLikelihoods: startPoints,
    mlFrom: useChain ? 'mcmc' : 'em',
    mcmcMaxLogLikelihood: top.logLik,
    mcmcAcceptance: raw.reduce((a, c) => a + c.acceptance, 0) / raw.length,
    mcmcIterations: raw[0]!.iterations,
    meanFractions: order.map((s) => meanFractions[s]!),
    fractionSigma: order.map((s) => raw[0]!.fSigma[s]!),
  };
  if (sampled) diagnostics['convergence'] = chainDiagnostics(ordered, events.length) satisfies ConvergenceJson;
  return {
    subtypes: K,
    sequences: seqs.map((s) => s.map((e) => copyLabel(events[e]!))),
    fractions: fr,
    logLikelihood: ll,
    samples: {
      sequences: pooled.sequences,
      fractions: pooled.fractions,
      logLikelihood: pooled.logLikelihood,
      chain: pooled.chain,
    },
    diagnostics,
  };
}

function copyLabel(l: EventLabel): EventLabel {
  return typeof l === 'string' ? l : [l[0], l[1]];
}
