/**
 * One subtype's tables in a MixtureTables (state.ts): sequence, template, L, E, T and the pending
 * proposal's copies, plus the numeric guards the table updates share.
 */
import type { TemplateChanges } from './model.js';
import { allocChanges, inversePositions } from './model.js';
import { Arena } from './arena.js';

/**
 * Below this fraction of the old total plus the magnitude of the changed cells (mass moving between
 * stages cancels inside the difference too), an incremental T update has lost precision: resum.
 */
export const CANCELLATION = 1e-3;
/** Subjects whose total leaves (0, HUGE) after an update are recomputed exactly. */
export const HUGE = 1e280;
/** The exp paths store cells below exp(NEGLIGIBLE) (relative to the reference) as exactly zero. */
export const NEGLIGIBLE = Math.log(1e-280);

/** Sum of E[base .. base + S) (four partial sums: the additions overlap instead of waiting on each other). */
export function rowTotal(E: Float64Array, base: number, S: number): number {
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  const end = base + S;
  let k = base;
  for (; k + 3 < end; k += 4) {
    t0 += E[k]!;
    t1 += E[k + 1]!;
    t2 += E[k + 2]!;
    t3 += E[k + 3]!;
  }
  for (; k < end; k++) t0 += E[k]!;
  return t0 + t1 + (t2 + t3);
}

export class SubtypeTables {
  readonly seq: Int32Array;
  readonly pos: Int32Array;
  tmpl: Float64Array;
  /** swaps with pendLog on commit of a multiplicative proposal */
  L: Float64Array;
  /** E and T swap with pendE and pendT on commit */
  E: Float64Array;
  T: Float64Array;
  /**
   * L lags the sequence: the EM walk (apply) updates E multiplicatively without touching L. L is
   * refilled from the template when a proposal needs it; single rows are computed from the template.
   * Even then L is current at cells of E below the underflow bound, when the update tracks those
   * by their logs (MultiplicativeUpdate.tracksLogs): every write of E keeps it so.
   */
  lStale = false;
  // pending proposal
  hasPending = false;
  /** the pending proposal was computed multiplicatively (no pendL: its rows come from pendingTmpl) */
  pendFactors = false;
  /** the pending proposal is an event shift (state-shift.ts): the event at shiftFrom moves to shiftTo; no pendL, pendE or pendCells */
  pendShift = false;
  shiftFrom = 0;
  shiftTo = 0;
  pendingSeq: Int32Array;
  pendingTmpl: Float64Array;
  readonly changes: TemplateChanges;
  /** M x changes.nStages */
  pendL: Float64Array;
  /** M x S: a full copy of E with the proposal applied (multiplicative proposals) */
  pendE: Float64Array;
  /** M x S: a full copy of L for a multiplicative proposal when the update tracks cells by their logs */
  pendLog: Float64Array;
  /** M x changes.nStages: the changed cells of E (exp-path proposals) */
  pendCells: Float64Array;
  pendT: Float64Array;

  /** E, pendE, T and pendT are views into `arena` (the kernels work on them there). */
  /** `logs`: the multiplicative update tracks underflowed cells by their logs (pendLog is then needed). */
  constructor(readonly M: number, readonly S: number, readonly F: number, seq: Int32Array, arena: Arena, logs: boolean) {
    const N = seq.length;
    this.seq = Int32Array.from(seq);
    this.pos = new Int32Array(N);
    inversePositions(this.seq, this.pos);
    this.tmpl = new Float64Array(S * F);
    this.L = arena.f64(M * S);
    this.E = arena.f64(M * S);
    this.T = arena.f64(M);
    this.pendingSeq = new Int32Array(N);
    this.pendingTmpl = new Float64Array(S * F);
    this.changes = allocChanges(S, F);
    this.pendL = new Float64Array(0);
    this.pendE = arena.f64(M * S);
    this.pendLog = logs ? arena.f64(M * S) : new Float64Array(0);
    this.pendCells = new Float64Array(0);
    this.pendT = arena.f64(M);
  }

  /** Arena bytes one subtype's tables take. */
  static arenaBytes(M: number, S: number, logs: boolean): number {
    return (logs ? 4 : 3) * Arena.bytes(M * S, 8) + 2 * Arena.bytes(M, 8);
  }
}

/**
 * Row total after the changed stages' E changed by a sum of dT (mag: the magnitude of the changed
 * cells, old and new): the difference when it keeps its precision, else the row resummed.
 */
export function updatedTotal(t0: number, dT: number, mag: number, E: Float64Array, base: number, S: number): number {
  const t = t0 + dT;
  return t > CANCELLATION * (t0 + mag) ? t : rowTotal(E, base, S);
}
