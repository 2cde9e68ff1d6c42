/**
 * Incrementally maintained likelihood tables of a K-subtype mixture on one data set: the writes
 * (refresh, proposals, moves, snapshots). The queries (likelihoods, responsibilities) are in
 * state.ts, which documents the tables.
 */
import type { ModelData, MultiplicativeUpdate, ProgressionModel } from './model.js';
import { diffTemplates, inversePositions } from './model.js';
import { Arena } from './arena.js';
import { applyExp, proposeExp, type TablesView } from './state-exp.js';
import { findMove, proposeShift, shiftRows } from './state-shift.js';
import { Snapshots } from './state-snapshots.js';
import { HUGE, recentreAll, SubtypeTables } from './state-subtype.js';

export class TableWrites<D extends ModelData> implements TablesView<D> {
  readonly M: number;
  readonly S: number;
  readonly subs: SubtypeTables[];
  readonly ref: Float64Array;
  /** subjects whose pending total fell back to the exact path (rebased on commit) */
  protected readonly rebase: Uint8Array;
  protected rebaseAny = false;
  /** scratch: one subject's L rows of every subtype (K x S) */
  readonly rows: Float64Array;
  /** memory shared with the WebAssembly kernels: E, T (current and pending) and bad */
  readonly arena: Arena;
  /** the model's multiplicative update, when it has one */
  private readonly factors: MultiplicativeUpdate<D> | null;
  /** scratch: subjects the multiplicative update could not handle */
  private readonly bad: Uint8Array;
  /** the update tracks underflowed cells by their logs: L is kept current there (SubtypeTables.lStale) */
  private readonly tracked: boolean;
  /** scratch totals (pendingE) */
  private scratchT: Float64Array | null = null;
  /** scratch: a move's [from, to] (findMove) */
  private readonly move = new Int32Array(2);
  /** saved states (snapshot / restore) */
  private readonly snaps: Snapshots;

  constructor(
    readonly model: ProgressionModel<D>,
    readonly data: D,
    sequences: Int32Array[],
  ) {
    this.M = data.M;
    this.S = model.nStages;
    this.factors = model.multiplicative ?? null;
    this.tracked = this.factors?.tracksLogs?.(data) ?? false;
    const bytes = sequences.length * SubtypeTables.arenaBytes(this.M, this.S, this.tracked) + Arena.bytes(this.M, 1) + Arena.bytes(this.M, 8);
    this.arena = new Arena(bytes + (this.factors?.arenaBytes(data) ?? 0));
    this.subs = sequences.map((s) => new SubtypeTables(this.M, this.S, model.nFeatures, s, this.arena, this.tracked));
    this.ref = this.arena.f64(this.M);
    this.rebase = new Uint8Array(this.M);
    this.rows = new Float64Array(this.subs.length * this.S);
    this.bad = this.arena.u8(this.M);
    this.snaps = new Snapshots(this.M, this.S, this.tracked);
    this.refresh();
  }

  get K(): number {
    return this.subs.length;
  }

  /** Recompute all tables from the current sequences. */
  refresh(): void {
    for (const st of this.subs) {
      st.hasPending = false;
      this.model.template(st.seq, st.tmpl);
      this.model.fillTable(this.data, st.tmpl, st.L);
      st.lStale = false;
    }
    this.rebaseCount++;
    recentreAll(this.subs, this.ref, this.M, this.S);
  }

  /** Bumped whenever a subject is re-centred (cached per-subject totals in its old scale are stale). */
  rebaseCount = 0;

  /** Recompute ref_i, E and T of one subject from L (all subtypes). */
  rebaseSubject(i: number): void {
    this.rebaseCount++;
    const S = this.S;
    const rows = this.subjectRows(i, false);
    let mx = -Infinity;
    for (let q = 0; q < rows.length; q++) if (rows[q]! > mx) mx = rows[q]!;
    this.ref[i] = mx;
    this.subs.forEach((st, s) => {
      // the row was computed from the template: L is current there (cells it leaves below the bound are tracked)
      if (this.tracked && st.lStale) st.L.set(rows.subarray(s * S, s * S + S), i * S);
      let t = 0;
      for (let k = 0; k < S; k++) {
        const e = Math.exp(rows[s * S + k]! - mx);
        st.E[i * S + k] = e;
        t += e;
      }
      st.T[i] = t;
    });
  }

  /** Subject i's L rows of every subtype (pending values where asked and present) in the scratch `rows`. */
  protected subjectRows(i: number, usePending: boolean): Float64Array {
    const S = this.S;
    const rows = this.rows;
    this.subs.forEach((st, s) => {
      if (st.lStale) this.model.fillRow(this.data, st.tmpl, i, rows, s * S);
      else rows.set(st.L.subarray(i * S, i * S + S), s * S);
      if (usePending && st.hasPending && (st.pendFactors || st.pendShift)) this.model.fillRow(this.data, st.pendingTmpl, i, rows, s * S);
      else if (usePending && st.hasPending) {
        const ns = st.changes.nStages;
        for (let j = 0; j < ns; j++) rows[s * S + st.changes.stages[j]!] = st.pendL[i * ns + j]!;
      }
    });
    return rows;
  }

  /** Fill L from the template if the EM walk left it behind. */
  private ensureL(st: SubtypeTables): void {
    if (!st.lStale) return;
    this.model.fillTable(this.data, st.tmpl, st.L);
    st.lStale = false;
  }

  /** Replace all sequences and recompute the tables. */
  reset(sequences: ArrayLike<number>[]): void {
    this.subs.forEach((st, s) => {
      st.seq.set(sequences[s]!);
      inversePositions(st.seq, st.pos);
    });
    this.refresh();
  }

  /** Replace subtype s's sequence (no pending state kept). */
  setSequence(s: number, seq: Int32Array): void {
    this.apply(s, seq);
  }

  /**
   * Compute the pending tables for subtype s with sequence `seq` (not yet current).
   * Returns false when the template did not change (pending equals current).
   */
  propose(s: number, seq: Int32Array): boolean {
    const st = this.subs[s]!;
    const { S } = this;
    st.pendingSeq.set(seq);
    this.model.template(seq, st.pendingTmpl);
    st.hasPending = true;
    st.pendFactors = false;
    // one event moved, and the model shifts: no exps, no copies
    st.pendShift = this.model.shift !== undefined && findMove(st.seq, seq, this.move);
    if (st.pendShift) {
      st.shiftFrom = this.move[0]!;
      st.shiftTo = this.move[1]!;
      proposeShift(this, st);
      return true;
    }
    const ch = st.changes;
    diffTemplates(S, this.model.nFeatures, st.tmpl, st.pendingTmpl, ch);
    if (ch.nStages === 0) {
      st.pendT.set(st.T);
      return false;
    }
    // the exp path: one exp per changed stage, after L + deltas, or L from the template if L lags
    const ns = ch.nStages;
    st.pendFactors = this.factors !== null && this.factors.prepareFactors(ch, 12 * ns + (st.lStale ? 2 * ns * this.model.nFeatures : ch.n));
    if (st.pendFactors) this.proposeFactors(s);
    else proposeExp(this, st);
    return true;
  }

  /** Pending E = a copy of E times exp(change of L) over the changed stages; totals resummed. */
  private proposeFactors(s: number): void {
    const st = this.subs[s]!;
    st.pendE.set(st.E);
    if (this.tracked) st.pendLog.set(st.L);
    // an out of range pending total goes to logLik's exact path, which re-centres the subject
    this.multiplyAll(st.pendE, st.pendT, st.pendLog, (i) => this.exactRowInto(st.pendingTmpl, st.pendE, st.pendLog, i));
  }

  /**
   * E *= exp(change of L) for every subject (the model's multiplicative update, prepared for the
   * move), row totals into T; subjects it could not handle, or whose total left (0, HUGE), get
   * T[i] = exact(i).
   */
  private multiplyAll(E: Float64Array, T: Float64Array, L: Float64Array, exact: (i: number) => number): void {
    const { M, S } = this;
    const bad = this.bad;
    bad.fill(0);
    this.factors!.applyFactorsAll(this.data, E, S, bad, this.arena, L, this.ref);
    this.arena.kernels.rowTotals(E.byteOffset, S, M, T.byteOffset);
    for (let i = 0; i < M; i++) {
      const t = T[i]!;
      if (bad[i] || !(t > 0 && t < HUGE)) T[i] = exact(i);
    }
  }

  /** Subject i's row of E (and of L, when tracking logs) from a template (Math.exp, relative to its reference); returns its total. */
  private exactRowInto(tmpl: Float64Array, E: Float64Array, L: Float64Array, i: number): number {
    const S = this.S;
    const rows = this.rows;
    this.model.fillRow(this.data, tmpl, i, rows, 0);
    if (this.tracked) L.set(rows.subarray(0, S), i * S);
    const r = this.ref[i]!;
    let t = 0;
    for (let k = 0; k < S; k++) {
      const e = Math.exp(rows[k]! - r);
      E[i * S + k] = e;
      t += e;
    }
    return t;
  }

  /**
   * Make `seq` subtype s's current sequence, updating the tables in place (no pending copy): the
   * fast path when the move will be kept (EM walk, staging).
   */
  apply(s: number, seq: Int32Array): void {
    const st = this.subs[s]!;
    this.flushRebase();
    st.hasPending = false;
    if (this.model.shift !== undefined && findMove(st.seq, seq, this.move)) {
      this.applyShift(s, seq, this.move[0]!, this.move[1]!);
      return;
    }
    st.pendingSeq.set(seq);
    this.model.template(seq, st.pendingTmpl);
    const ch = st.changes;
    diffTemplates(this.S, this.model.nFeatures, st.tmpl, st.pendingTmpl, ch);
    const ns = ch.nStages;
    // the exp path: L + deltas (L current), or the changed stages of L from the template (L lags)
    const multiplicative = ns > 0 && this.factors !== null && this.factors.prepareFactors(ch, 12 * ns + (st.lStale ? 2 * ns * this.model.nFeatures : ch.n));
    st.seq.set(seq);
    inversePositions(st.seq, st.pos);
    const tt = st.tmpl;
    st.tmpl = st.pendingTmpl;
    st.pendingTmpl = tt;
    if (ch.nStages === 0) return;
    if (multiplicative) this.applyFactors(s);
    else applyExp(this, st);
  }

  /** Subtype s's event at position `from` moved to `to` (giving `seq`): E shifted in place, rows resummed; L is left stale. */
  private applyShift(s: number, seq: Int32Array, from: number, to: number): void {
    const st = this.subs[s]!;
    const e = st.seq[from]!;
    st.seq.set(seq);
    inversePositions(st.seq, st.pos);
    this.model.template(seq, st.pendingTmpl);
    const tt = st.tmpl;
    st.tmpl = st.pendingTmpl;
    st.pendingTmpl = tt;
    st.lStale = true;
    shiftRows(this, st.E, st.T, e, from, to, st.T, true, (i) => this.exactRow(s, i));
  }

  /** E *= exp(change of L) over the changed stages, row totals resummed; L is left stale. */
  private applyFactors(s: number): void {
    const st = this.subs[s]!;
    st.lStale = true;
    this.multiplyAll(st.E, st.T, st.L, (i) => this.exactRow(s, i));
  }

  /** Subject i's E row of subtype s recomputed from the template (Math.exp); returns its total. */
  private exactRow(s: number, i: number): number {
    const st = this.subs[s]!;
    const t = this.exactRowInto(st.tmpl, st.E, st.L, i);
    if (t > 0 && t < HUGE) return t;
    // the subject's mass moved far from its reference: re-centre it (all subtypes)
    this.rebaseSubject(i);
    return st.T[i]!;
  }

  /**
   * Save subtype s's current state (sequence, template, E, T) in snapshot `slot`, to come back to
   * it by a copy rather than by recomputing a long move (the EM walk).
   */
  snapshot(s: number, slot: number): void {
    this.snaps.save(this.subs[s]!, s, slot, this.rebaseCount);
  }

  /**
   * Make snapshot `slot` subtype s's current state. When a subject was re-centred since the
   * snapshot (its E and T are in another scale), the move is recomputed from the sequence instead.
   */
  restore(s: number, slot: number): void {
    if (!this.snaps.current(s, slot, this.rebaseCount)) {
      this.apply(s, this.snaps.sequence(s, slot));
      return;
    }
    this.flushRebase();
    this.snaps.load(this.subs[s]!, s, slot);
  }

  /**
   * The full pending E of subtype s (its current E when nothing is pending). Proposals keep only
   * what the totals need (the changed cells, or nothing for an event shift): the full table is
   * built here, into pendE, for callers that need every row (the longitudinal totals).
   */
  pendingE(s: number): Float64Array {
    const st = this.subs[s]!;
    if (!st.hasPending) return st.E;
    if (st.pendFactors) return st.pendE;
    const { M, S } = this;
    const pE = st.pendE;
    pE.set(st.E);
    if (st.pendShift) {
      this.scratchT ??= new Float64Array(M);
      shiftRows(this, pE, st.T, st.seq[st.shiftFrom]!, st.shiftFrom, st.shiftTo, this.scratchT, true, (i) => this.exactRowInto(st.pendingTmpl, pE, st.pendLog, i));
      return pE;
    }
    const ch = st.changes;
    const ns = ch.nStages;
    for (let i = 0; i < M; i++) for (let j = 0; j < ns; j++) pE[i * S + ch.stages[j]!] = st.pendCells[i * ns + j]!;
    return pE;
  }

  discard(s: number): void {
    this.subs[s]!.hasPending = false;
  }

  /** Make subtype s's pending proposal current. */
  commit(s: number): void {
    const st = this.subs[s]!;
    if (!st.hasPending) return;
    st.hasPending = false;
    if (st.pendShift) {
      // the proposal kept nothing but totals: make the move now
      this.applyShift(s, st.pendingSeq, st.shiftFrom, st.shiftTo);
      this.flushSettled();
      return;
    }
    st.seq.set(st.pendingSeq);
    inversePositions(st.seq, st.pos);
    const t = st.tmpl;
    st.tmpl = st.pendingTmpl;
    st.pendingTmpl = t;
    const ch = st.changes;
    const ns = ch.nStages;
    if (ns > 0) {
      const { M, S } = this;
      if (!st.pendFactors && (!st.lStale || this.tracked)) {
        // (pendL is exact either way: L + deltas, or from the template when L lags)
        for (let i = 0; i < M; i++) {
          const base = i * S;
          const pb = i * ns;
          for (let j = 0; j < ns; j++) st.L[base + ch.stages[j]!] = st.pendL[pb + j]!;
        }
      }
      if (st.pendFactors) {
        // the multiplicative update made a full copy: swap it in
        const e = st.E;
        st.E = st.pendE;
        st.pendE = e;
        if (this.tracked) {
          const l = st.L;
          st.L = st.pendLog;
          st.pendLog = l;
        }
      } else {
        // the exp path kept only the changed cells
        const E = st.E;
        const pC = st.pendCells;
        for (let i = 0; i < M; i++) {
          const base = i * S;
          const pb = i * ns;
          for (let j = 0; j < ns; j++) E[base + ch.stages[j]!] = pC[pb + j]!;
        }
      }
      const tt = st.T;
      st.T = st.pendT;
      st.pendT = tt;
      if (st.pendFactors) st.lStale = true;
    }
    this.flushSettled();
  }

  /**
   * Re-centre flagged subjects once no other subtype's proposal waits to be committed: a pending
   * table was made in the subjects' old scale, and re-centring before it is swapped in would leave
   * that subtype's rows in another scale than the rest.
   */
  private flushSettled(): void {
    for (const o of this.subs) if (o.hasPending) return;
    this.flushRebase();
  }

  /** Subjects whose exact fallback ran since the last change are re-centred (ref, E, T). */
  private flushRebase(): void {
    if (!this.rebaseAny) return;
    this.rebaseAny = false;
    for (let i = 0; i < this.M; i++) {
      if (this.rebase[i]) {
        this.rebase[i] = 0;
        this.rebaseSubject(i);
      }
    }
  }
}
