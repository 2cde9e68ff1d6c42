/**
 * The seam between the generic SuStaIn algorithm (EM, splitting, MCMC, staging, the incremental
 * tables of state.ts) and a progression model. The generic code only knows:
 *  - events, stages (N events -> N+1 stages) and which sequences are valid (allowedRange);
 *  - a per-sequence "template": a stage-major table of per-feature parameters (for the z-score model
 *    the expected z of each biomarker at each stage; for the mixture model whether each biomarker's
 *    event has occurred), which it diffs to find the cells a move changed;
 *  - how to fill a subject x stage log-likelihood table from a template, and how changed template
 *    cells change that table (stageDeltas: the incremental update).
 * A model may also offer the multiplicative update (its `multiplicative` member: multiply the
 * exp-table by exp(change) instead of recomputing exps); the tables use it when present. An
 * event-based model may offer the event shift (its `shift` member, see EventShift), which the tables
 * prefer for moves of one event.
 * A model is made from a spec (plain data) by its kind (kind.ts); the registry (kinds.ts) lists the
 * kinds, so a new kind touches its own files and one registry line.
 */
import type { Rng } from '../common/rng.js';
import type { Arena } from './arena.js';

/** Subject data prepared once for a model (opaque to the generic code except for M). */
export interface ModelData {
  readonly M: number;
}

/** Changed template cells, grouped by stage (stages ascending). Capacity nStages * nFeatures. */
export interface TemplateChanges {
  /** number of changed cells */
  n: number;
  feature: Int32Array;
  oldValue: Float64Array;
  newValue: Float64Array;
  /** number of distinct changed stages */
  nStages: number;
  /** the distinct changed stages, ascending */
  stages: Int32Array;
  /** cells of stages[j] are [stageStart[j], stageStart[j+1]) */
  stageStart: Int32Array;
}

export interface ProgressionModel<D extends ModelData = ModelData> {
  readonly nEvents: number;
  /** N + 1 */
  readonly nStages: number;
  /** rows of the template per stage */
  readonly nFeatures: number;
  /** Template of a sequence, stage-major: out[k * nFeatures + f]. */
  template(seq: Int32Array, out: Float64Array): void;
  /**
   * Valid insertion indices [lo, hi) for event e in the sequence with e removed (so that the order
   * constraints hold); `pos` is the inverse of the current sequence. Written to out[0], out[1].
   */
  allowedRange(pos: Int32Array, e: number, out: Int32Array): void;
  /** A random valid initial sequence. */
  randomSequence(rng: Rng): Int32Array;
  /** Prepare subject rows (row-major M x B values, NaN = missing) for this model. */
  prepare(values: Float64Array, M: number): D;
  /** Subset of prepared data (rows in the given order). */
  subset(data: D, rows: ArrayLike<number>): D;
  /** Full table: L[i * nStages + k] = log p(x_i | stage k) including the 1/(N+1) stage prior. */
  fillTable(data: D, template: Float64Array, L: Float64Array): void;
  /**
   * Add to out[i * stride + columns[j]] (default: stride = changes.nStages, columns[j] = j) the change
   * of L[i, changes.stages[j]] caused by the changed cells, for every subject i. With stride = nStages
   * and columns = changes.stages this updates a full table in place.
   */
  stageDeltas(data: D, changes: TemplateChanges, out: Float64Array, stride?: number, columns?: Int32Array | null): void;
  /** One subject's row of the full table: out[offset + k] = log p(x_i | stage k) (same numbers as fillTable). */
  fillRow(data: D, template: Float64Array, i: number, out: Float64Array, offset: number): void;
  /** As fillRow at the given stages only: out[offset + j] = log p(x_i | stage stages[j]), j < ns. */
  fillStages(data: D, template: Float64Array, i: number, stages: Int32Array, ns: number, out: Float64Array, offset: number): void;
  /** The multiplicative update, when the model offers it (an optional capability). */
  readonly multiplicative?: MultiplicativeUpdate<D>;
  /** The event shift, when the model offers it (an optional capability). */
  readonly shift?: EventShift<D>;
  /** Whole exp-rows of many fixed sequences for blocks of subjects (an optional capability: assignment). */
  readonly stageRows?: StageRows<D>;
}

/**
 * Optional capability of an event-based model (one 0/1 template cell per event and stage: "has the
 * event occurred by this stage", each event's change delta_i(e) added to the stages after it).
 * Moving event e later, from position a to b > a, makes stage k in (a, b] what stage k + 1 was
 * without e: L'[k] = L[k + 1] - delta_i(e); moving it earlier (b < a), L'[k] = L[k - 1] + delta_i(e)
 * for k in (b, a]. So the exp-table moves by one factor per subject, with no exp per cell
 * (state-shift.ts). Why: the MCMC proposals' exps and the tables' copies dominated the mixture fits.
 */
export interface EventShift<D extends ModelData = ModelData> {
  /** exp(-delta_i(e)) (later) or exp(delta_i(e)) (earlier) of every event, by event: subject i's for e at [e * M + i]. */
  factors(data: D, later: boolean): Float64Array;
  /**
   * 1 when the subject's factors can be used: its stage log-likelihoods lie within a range whose
   * exps neither underflow nor overflow relative to its reference, whatever the sequence; the other
   * subjects are computed from the template.
   */
  safe(data: D): Uint8Array;
}

/**
 * Optional capability: exp-rows of many sequences for blocks of subjects, without an exp per cell
 * (why: assignment scores every subject under every posterior sample's sequences, and the
 * incremental tables cost an exp or a multiply chain per changed cell; see staging-blocks.ts).
 */
export interface StageRows<D extends ModelData = ModelData> {
  /**
   * A plan for these sequences on `data` (null when the model cannot plan them, e.g. too large), with
   * `extraBytes` of its arena left for the caller's rows and sums.
   */
  plan(data: D, sequences: readonly Int32Array[], maxBlock: number, extraBytes: number): StageRowsPlan | null;
}

/** A block of n subjects is laid out stage-major with stride padded(n): cell (k, r) at k * np + r. */
export function padded(n: number): number {
  return (n + 3) & ~3;
}

export interface StageRowsPlan {
  /** The WebAssembly memory (and kernels) the rows live in: E, T and bad must be views into it. */
  readonly arena: Arena;
  /** Work on subjects [from, to) of the data from now on (at most maxBlock of them), with references ref[r]. */
  block(from: number, to: number, ref: Float64Array): void;
  /**
   * For sequence q and the block's n subjects: E[k * np + r] = exp(L[from + r, k] - ref[r]) and
   * T[r] = its sum over k. Sets bad[r] = 1 (never clears it) where a cell may have left the range
   * where the rows are accurate; the caller recomputes those subjects exactly.
   */
  rows(q: number, E: Float64Array, T: Float64Array, bad: Uint8Array): void;
}

/**
 * Optional capability: the multiplicative update of the exp-tables (why: an exp per changed
 * (subject, stage) dominated the EM walk of the z-score model).
 */
export interface MultiplicativeUpdate<D extends ModelData = ModelData> {
  /**
   * Prepare the multiplicative update for `changes` (see applyFactorsAll). Returns false when it
   * cannot be done safely, or when its estimated cost per subject (in multiply-adds, an exp counting
   * 12) exceeds `alternativeCost` (Infinity: always use it when safe). The caller then uses exp.
   */
  prepareFactors(changes: TemplateChanges, alternativeCost: number): boolean;
  /** Bytes of arena memory the model needs beside the tables for one set of tables on `data`. */
  arenaBytes(data: D): number;
  /**
   * After prepareFactors(changes): multiply every subject's row of E (row i at i * stride, indexed
   * by stage) by exp(change of L) at the changed stages. Subjects whose factors could over- or
   * underflow get bad[i] = 1 and an unspecified row, for the caller to recompute exactly. E, bad, L
   * (the log-likelihoods, same layout as E) and ref (the subjects' references) are views into
   * `arena`, which the tables were allocated from. An update with tracksLogs(data) true keeps L
   * current at cells below its underflow bound (and reads it there) instead of flagging them.
   */
  applyFactorsAll(data: D, E: Float64Array, stride: number, bad: Uint8Array, arena: Arena, L: Float64Array, ref: Float64Array): void;
  /** Whether the tables must keep L current at cells that fell below the update's underflow bound (see applyFactorsAll). */
  tracksLogs?(data: D): boolean;
}

export function allocChanges(nStages: number, nFeatures: number): TemplateChanges {
  const cap = nStages * nFeatures;
  return {
    n: 0,
    feature: new Int32Array(cap),
    oldValue: new Float64Array(cap),
    newValue: new Float64Array(cap),
    nStages: 0,
    stages: new Int32Array(nStages),
    stageStart: new Int32Array(nStages + 1),
  };
}

/** Diff two stage-major templates into `out`. Exact comparison: unchanged curves give identical numbers. */
export function diffTemplates(nStages: number, nFeatures: number, cur: Float64Array, next: Float64Array, out: TemplateChanges): void {
  let n = 0;
  let ns = 0;
  for (let k = 0; k < nStages; k++) {
    const base = k * nFeatures;
    let started = false;
    for (let f = 0; f < nFeatures; f++) {
      const a = cur[base + f]!;
      const b = next[base + f]!;
      if (a !== b) {
        if (!started) {
          out.stages[ns] = k;
          out.stageStart[ns] = n;
          ns++;
          started = true;
        }
        out.feature[n] = f;
        out.oldValue[n] = a;
        out.newValue[n] = b;
        n++;
      }
    }
  }
  out.n = n;
  out.nStages = ns;
  out.stageStart[ns] = n;
}

/** Move the event at position `from` to insertion index `to` of the sequence without it (in place). */
export function moveEvent(seq: Int32Array, from: number, to: number): void {
  const e = seq[from]!;
  if (to > from) {
    for (let p = from; p < to; p++) seq[p] = seq[p + 1]!;
  } else {
    for (let p = from; p > to; p--) seq[p] = seq[p - 1]!;
  }
  seq[to] = e;
}

export function inversePositions(seq: Int32Array, pos: Int32Array): void {
  for (let p = 0; p < seq.length; p++) pos[seq[p]!] = p;
}
