/**
 * A move's changed template cells regrouped per biomarker into dense rows over the changed stages:
 * the change of -0.5 (x - mu)^2 when mu goes o -> n is d x + c with d = n - o and c = -(n^2 - o^2)/2,
 * so each changed cell becomes a pair (d, c). Shared by the z-score model's exact deltas and its
 * multiplicative update.
 */
import type { TemplateChanges } from './model.js';

export class ChangeGroups {
  /** the changed biomarkers, in order of first appearance */
  readonly features: Int32Array;
  /** per changed biomarker g, row g * nStages(changes) + j: d and c at changed stage j (0 where unchanged) */
  readonly coefA: Float64Array;
  readonly coefC: Float64Array;
  /** per changed biomarker: its run of changed stages [runStart, runEnd) */
  readonly runStart: Int32Array;
  readonly runEnd: Int32Array;
  private readonly slot: Int32Array;

  constructor(nFeatures: number, nStages: number) {
    this.features = new Int32Array(nFeatures);
    this.slot = new Int32Array(nFeatures);
    this.runStart = new Int32Array(nFeatures);
    this.runEnd = new Int32Array(nFeatures);
    this.coefA = new Float64Array(nFeatures * nStages);
    this.coefC = new Float64Array(nFeatures * nStages);
  }

  /** Regroup `ch`; returns the number of changed biomarkers. */
  group(ch: TemplateChanges): number {
    const ns = ch.nStages;
    const slot = this.slot;
    slot.fill(-1);
    let nf = 0;
    const feats = this.features;
    for (let q = 0; q < ch.n; q++) {
      const f = ch.feature[q]!;
      if (slot[f] === -1) {
        slot[f] = nf;
        feats[nf++] = f;
      }
    }
    const need = nf * ns;
    const A = this.coefA;
    const C = this.coefC;
    A.fill(0, 0, need);
    C.fill(0, 0, need);
    const jlo = this.runStart;
    const jhi = this.runEnd;
    jlo.fill(ns, 0, nf);
    jhi.fill(0, 0, nf);
    for (let j = 0; j < ns; j++) {
      for (let q = ch.stageStart[j]!; q < ch.stageStart[j + 1]!; q++) {
        const o = ch.oldValue[q]!;
        const n = ch.newValue[q]!;
        const g = slot[ch.feature[q]!]!;
        const r = g * ns + j;
        A[r] = n - o;
        C[r] = -0.5 * (n - o) * (n + o);
        if (j < jlo[g]!) jlo[g] = j;
        if (j + 1 > jhi[g]!) jhi[g] = j + 1;
      }
    }
    return nf;
  }
}
