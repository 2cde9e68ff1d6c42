/**
 * The mixture model's multiplicative update (its MultiplicativeUpdate capability). A changed template
 * cell of biomarker b changes a subject's stage log-likelihood by +d[i,b] (event now happened) or
 * -d[i,b], so exp(change) is a product of exp(d) and exp(-d) kept per subject: no exp per cell, two
 * multiplies per changed stage and event. Used when a move changes several stages (MCMC jumps);
 * the exp path is cheaper for the EM walk's one-stage steps (see prepareFactors).
 */
import type { Arena } from './arena.js';
import type { EventShift, MultiplicativeUpdate, TemplateChanges } from './model.js';

/** The multiplicative update's view of prepared mixture data. */
export interface MixFactorData {
  readonly M: number;
  readonly B: number;
  /** exp(d) and exp(-d), M x B */
  readonly expD: Float64Array;
  readonly expMinusD: Float64Array;
  /** the same by event, B x M: exp(d) and exp(-d) of event b are [b * M, b * M + M) (the event shift's factors) */
  readonly expDByEvent: Float64Array;
  readonly expMinusDByEvent: Float64Array;
  /**
   * 1 when the subject's stage log-likelihoods lie within SAFE_RANGE of each other whatever the
   * sequence (sum_b |d| < SAFE_RANGE): its E cells can never leave [exp(-600), exp(600)] relative to
   * its reference, so the products neither underflow nor overflow
   */
  readonly safe: Uint8Array;
}

export const SAFE_RANGE = 600;

export class MixtureFactors implements MultiplicativeUpdate<MixFactorData> {
  private ch: TemplateChanges | null = null;

  constructor(private readonly nStages: number) {}

  prepareFactors(changes: TemplateChanges, alternativeCost: number): boolean {
    // per subject: a multiply per changed cell, plus the tables' copy and resum of the whole row
    if (changes.n + 2 * this.nStages > alternativeCost) return false;
    this.ch = changes;
    return true;
  }

  arenaBytes(): number {
    return 0;
  }

  applyFactorsAll(data: MixFactorData, E: Float64Array, stride: number, bad: Uint8Array, _arena: Arena): void {
    const ch = this.ch!;
    const { M, B, expD, expMinusD, safe } = data;
    const ns = ch.nStages;
    for (let i = 0; i < M; i++) {
      if (safe[i] === 0) {
        bad[i] = 1;
        continue;
      }
      const xo = i * B;
      const eo = i * stride;
      for (let j = 0; j < ns; j++) {
        let f = 1;
        for (let q = ch.stageStart[j]!; q < ch.stageStart[j + 1]!; q++) f *= ch.newValue[q]! > ch.oldValue[q]! ? expD[xo + ch.feature[q]!]! : expMinusD[xo + ch.feature[q]!]!;
        E[eo + ch.stages[j]!]! *= f;
      }
    }
  }
}

/** The mixture model's event shift (its EventShift capability, model.ts): the factors are exp(-+d) of the moved event. */
export const mixtureShift: EventShift<MixFactorData> = {
  factors: (data, later) => (later ? data.expMinusDByEvent : data.expDByEvent),
  safe: (data) => data.safe,
};
