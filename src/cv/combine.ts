import { toolVersion } from '../common/version.js';
import { eventKey } from '../sustain/kind.js';
import type { EventLabel } from '../sustain/types.js';
import { adjustedRandIndex } from './ari.js';
import { cvicFromFolds, mean, sd } from './cvic.js';
import type { FoldResult, FullResult } from './fold.js';
import { matchSequences } from './matching.js';
import { argmin, recommend, RECOMMEND_DEFAULTS } from './recommend.js';
import type { CvResult, CvRow } from './types.js';

/**
 * Join the folds and the full-data part into the cv.json result. Pure: the caller has checked
 * that all parts share the same settings (see settings.ts).
 */
export function combineFolds(settings: CvResult['settings'], folds: readonly FoldResult[], full: FullResult, minGainPerSubject: number = RECOMMEND_DEFAULTS.minGainPerSubject): CvResult {
  const Kmax = settings.maxSubtypes;
  const sorted = [...folds].sort((a, b) => a.fold - b.fold);
  const sameEvents = (e: EventLabel[]) => e.length === full.events.length && e.every((x, i) => eventKey(x) === eventKey(full.events[i]!));
  for (const f of sorted) if (!sameEvents(f.events)) throw new Error(`fold ${f.fold} has different events from the full-data model`);

  const table: CvRow[] = [];
  const perFold: number[][] = [];
  const cvic: number[] = [];
  const positional: Record<string, number[][][]> = {};
  const stability: Record<string, number[]> = {};
  const matchTau: Record<string, number[][]> = {};
  const fullSequences: Record<string, number[][]> = {};
  for (let K = 1; K <= Kmax; K++) {
    const rows = sorted.map((f) => f.perK[K - 1]!);
    const ll = rows.map((r) => r.testLogLikelihood);
    const c = cvicFromFolds(rows.map((r) => r.logMeanLikelihood));
    perFold.push(ll);
    cvic.push(c);
    const fullK = full.perK[K - 1]!;
    const stab = rows.map((r) => adjustedRandIndex(r.assignment, fullK.assignment));
    stability[String(K)] = stab;
    table.push({
      subtypes: K,
      cvic: c,
      testLogLikelihoodMean: mean(ll),
      testLogLikelihoodSd: sd(ll),
      testLogLikelihoodPerFold: ll,
      stabilityMean: mean(stab),
    });
    // Cross-validated positional variance: each fold's subtypes put in the full model's order, then
    // the folds' samples pooled (each fold's matrix weighted by its number of posterior samples).
    const N = full.events.length;
    const totalSamples = rows.reduce((s, r) => s + r.samples, 0);
    const pooled = Array.from({ length: K }, () => Array.from({ length: N }, () => new Array<number>(N).fill(0)));
    const taus: number[][] = [];
    for (const r of rows) {
      const w = r.samples / totalSamples;
      const { matchOf, tau } = matchSequences(r.sequences, fullK.sequences);
      const tauInFullOrder = new Array<number>(K).fill(0);
      matchOf.forEach((target, s) => {
        tauInFullOrder[target] = tau[s]!;
        const src = r.positionalVariance[s]!;
        const dst = pooled[target]!;
        for (let e = 0; e < N; e++) for (let p = 0; p < N; p++) dst[e]![p]! += src[e]![p]! * w;
      });
      taus.push(tauInFullOrder);
    }
    positional[String(K)] = pooled;
    matchTau[String(K)] = taus;
    fullSequences[String(K)] = fullK.sequences;
  }
  const rec = recommend(perFold, cvic, { minGainPerSubject, testSubjectsPerFold: mean(sorted.map((f) => f.testSubjects)) });
  return {
    format: 'ms-subtype-cv',
    formatVersion: 1,
    toolVersion: toolVersion(),
    settings,
    table,
    cvicChoice: argmin(cvic) + 1,
    recommendedSubtypes: rec.recommendedSubtypes,
    rule: rec.rule,
    bestTestLogLikelihoodSubtypes: rec.bestTestLogLikelihood,
    comparisons: rec.comparisons,
    minGainPerSubject,
    events: full.events,
    fullModelSequences: fullSequences,
    positionalVariance: positional,
    matchingTau: matchTau,
    stability,
  };
}
