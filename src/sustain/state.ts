/**
 * Incrementally maintained likelihood tables of a K-subtype mixture on one data set.
 *
 * Per subtype s: the sequence, its template, L_s[i,k] = log p(x_i | S_s, k) (M x (N+1)),
 * E_s[i,k] = exp(L_s[i,k] - ref_i) and T_s[i] = sum_k E_s[i,k], where ref_i is a per-subject
 * reference shared by all subtypes (the subject's best stage log-likelihood at the last refresh).
 * Then log p(x_i) = ref_i + log(sum_s f_s T_s[i]): log-sum-exp with a per-subject shift, so no
 * subject underflows (pySuStaIn instead adds 1e-250 to the plain sum).
 *
 * A proposed sequence is diffed against the current template; only the changed stages' E are
 * recomputed (into a pending buffer), and T is updated by the difference. Usually E is multiplied by
 * exp(change of L), evaluated per linear piece of the change (see ZscoreModel.prepareFactors), which
 * leaves L behind (lStale): L is then refilled from the template only when the exp path needs it.
 * commit() makes the pending state current; discard() drops it. apply() makes a move current in
 * place when it will be kept anyway (EM walk, staging). refresh() recomputes everything from scratch
 * (bounding drift).
 */
import type { ModelData, ProgressionModel, TemplateChanges } from './model.js';
import { allocChanges, diffTemplates, inversePositions } from './model.js';
import { Arena } from './arena.js';
import { fastExp } from './fastexp.js';

/**
 * Below this fraction of the old total plus the magnitude of the changed cells (mass moving between
 * stages cancels inside the difference too), an incremental T update has lost precision: resum.
 */
const CANCELLATION = 1e-3;
/** Subjects whose total leaves (0, HUGE) after an update are recomputed exactly. */
const HUGE = 1e280;
/** The exp paths store cells below exp(NEGLIGIBLE) (relative to the reference) as exactly zero. */
const NEGLIGIBLE = Math.log(1e-280);

/** Sum of E[base .. base + S) (four partial sums: the additions overlap instead of waiting on each other). */
function rowTotal(E: Float64Array, base: number, S: number): number {
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
  readonly L: Float64Array;
  /** E and T swap with pendE and pendT on commit */
  E: Float64Array;
  T: Float64Array;
  /**
   * L lags the sequence: the EM walk (apply) updates E multiplicatively without touching L. L is
   * refilled from the template when a proposal needs it; single rows are computed from the template.
   */
  lStale = false;
  // pending proposal
  hasPending = false;
  /** the pending proposal was computed multiplicatively (no pendL: its rows come from pendingTmpl) */
  pendFactors = false;
  pendingSeq: Int32Array;
  pendingTmpl: Float64Array;
  readonly changes: TemplateChanges;
  /** M x changes.nStages */
  pendL: Float64Array;
  /** M x S: a full copy of E with the proposal applied */
  pendE: Float64Array;
  pendT: Float64Array;

  /** E, pendE, T and pendT are views into `arena` (the kernels work on them there). */
  constructor(readonly M: number, readonly S: number, readonly F: number, seq: Int32Array, arena: Arena) {
    const N = seq.length;
    this.seq = Int32Array.from(seq);
    this.pos = new Int32Array(N);
    inversePositions(this.seq, this.pos);
    this.tmpl = new Float64Array(S * F);
    this.L = new Float64Array(M * S);
    this.E = arena.f64(M * S);
    this.T = arena.f64(M);
    this.pendingSeq = new Int32Array(N);
    this.pendingTmpl = new Float64Array(S * F);
    this.changes = allocChanges(S, F);
    this.pendL = new Float64Array(0);
    this.pendE = arena.f64(M * S);
    this.pendT = arena.f64(M);
  }

  /** Arena bytes one subtype's tables take. */
  static arenaBytes(M: number, S: number): number {
    return 2 * Arena.bytes(M * S, 8) + 2 * Arena.bytes(M, 8);
  }
}

export class MixtureTables<D extends ModelData> {
  readonly M: number;
  readonly S: number;
  readonly subs: SubtypeTables[];
  readonly ref: Float64Array;
  /** subjects whose pending total fell back to the exact path (rebased on commit) */
  private readonly rebase: Uint8Array;
  private rebaseAny = false;
  /** scratch: one subject's L rows of every subtype (K x S) */
  private readonly rows: Float64Array;
  /** memory shared with the WebAssembly kernels: E, T (current and pending) and bad */
  readonly arena: Arena;
  /** scratch: subjects the multiplicative update could not handle */
  private readonly bad: Uint8Array;
  /** saved states (snapshot / restore) */
  private readonly snaps: { s: number; rebaseCount: number; seq: Int32Array; tmpl: Float64Array; E: Float64Array; T: Float64Array }[] = [];

  constructor(readonly model: ProgressionModel<D>, readonly data: D, sequences: Int32Array[]) {
    this.M = data.M;
    this.S = model.nStages;
    this.arena = new Arena(sequences.length * SubtypeTables.arenaBytes(this.M, this.S) + Arena.bytes(this.M, 1) + model.arenaBytes(data));
    this.subs = sequences.map((s) => new SubtypeTables(this.M, this.S, model.nFeatures, s, this.arena));
    this.ref = new Float64Array(this.M);
    this.rebase = new Uint8Array(this.M);
    this.rows = new Float64Array(this.subs.length * this.S);
    this.bad = this.arena.u8(this.M);
    this.refresh();
  }

  get K(): number {
    return this.subs.length;
  }

  /** Recompute all tables from the current sequences. */
  refresh(): void {
    const M = this.M;
    for (const st of this.subs) {
      st.hasPending = false;
      this.model.template(st.seq, st.tmpl);
      this.model.fillTable(this.data, st.tmpl, st.L);
      st.lStale = false;
    }
    for (let i = 0; i < M; i++) this.rebaseSubject(i);
  }

  /** Recompute ref_i, E and T of one subject from L (all subtypes). */
  /** Bumped whenever a subject is re-centred (cached per-subject totals in its old scale are stale). */
  rebaseCount = 0;

  rebaseSubject(i: number): void {
    this.rebaseCount++;
    const S = this.S;
    const rows = this.subjectRows(i, false);
    let mx = -Infinity;
    for (let q = 0; q < rows.length; q++) if (rows[q]! > mx) mx = rows[q]!;
    this.ref[i] = mx;
    this.subs.forEach((st, s) => {
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
  private subjectRows(i: number, usePending: boolean): Float64Array {
    const S = this.S;
    const rows = this.rows;
    this.subs.forEach((st, s) => {
      if (st.lStale) this.model.fillRow(this.data, st.tmpl, i, rows, s * S);
      else rows.set(st.L.subarray(i * S, i * S + S), s * S);
      if (usePending && st.hasPending && st.pendFactors) this.model.fillRow(this.data, st.pendingTmpl, i, rows, s * S);
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
   * The new L values of the changed stages (into pendL) for subtype s's pending proposal, whose
   * template and diff propose() has computed. Returns the number of changed stages.
   */
  private pendingL(s: number): number {
    const st = this.subs[s]!;
    const { M, S } = this;
    const ch = st.changes;
    const ns = ch.nStages;
    if (st.pendL.length === 0) st.pendL = new Float64Array(M * S);
    if (ns === 0) return 0;
    const L = st.L;
    const pL = st.pendL;
    const stages = ch.stages;
    if (st.lStale) {
      // L lags (multiplicative updates): the changed stages straight from the pending template
      for (let i = 0; i < M; i++) this.model.fillStages(this.data, st.pendingTmpl, i, stages, ns, pL, i * ns);
      return ns;
    }
    // pending L = current L at the changed stages, plus the model's deltas
    for (let i = 0; i < M; i++) {
      const base = i * S;
      const pb = i * ns;
      for (let j = 0; j < ns; j++) pL[pb + j] = L[base + stages[j]!]!;
    }
    this.model.stageDeltas(this.data, ch, pL);
    return ns;
  }

  /**
   * Compute the pending tables for subtype s with sequence `seq` (not yet current).
   * Returns false when the template did not change (pending equals current).
   */
  propose(s: number, seq: Int32Array): boolean {
    const st = this.subs[s]!;
    const { M, S } = this;
    st.pendingSeq.set(seq);
    this.model.template(seq, st.pendingTmpl);
    const ch = st.changes;
    diffTemplates(S, this.model.nFeatures, st.tmpl, st.pendingTmpl, ch);
    st.hasPending = true;
    st.pendFactors = false;
    if (ch.nStages === 0) {
      st.pendT.set(st.T);
      return false;
    }
    // the exp path: one exp per changed stage, after L + deltas, or L from the template if L lags
    const ns = ch.nStages;
    st.pendFactors = this.model.prepareFactors(ch, 12 * ns + (st.lStale ? 2 * ns * this.model.nFeatures : ch.n));
    if (st.pendFactors) this.proposeFactors(s);
    else this.proposeExp(s);
    return true;
  }

  /** Pending E = a copy of E times exp(change of L) over the changed stages; totals resummed. */
  private proposeFactors(s: number): void {
    const st = this.subs[s]!;
    st.pendE.set(st.E);
    // an out of range pending total goes to logLik's exact path, which re-centres the subject
    this.multiplyAll(st.pendE, st.pendT, (i) => this.exactRowInto(st.pendingTmpl, st.pendE, i));
  }

  /**
   * E *= exp(change of L) for every subject (the model's multiplicative update, prepared for the
   * move), row totals into T; subjects it could not handle, or whose total left (0, HUGE), get
   * T[i] = exact(i).
   */
  private multiplyAll(E: Float64Array, T: Float64Array, exact: (i: number) => number): void {
    const { M, S } = this;
    const bad = this.bad;
    bad.fill(0);
    this.model.applyFactorsAll(this.data, E, S, bad, this.arena);
    this.arena.kernels.rowTotals(E.byteOffset, S, M, T.byteOffset);
    for (let i = 0; i < M; i++) {
      const t = T[i]!;
      if (bad[i] || !(t > 0 && t < HUGE)) T[i] = exact(i);
    }
  }

  /** Subject i's row of E from a template (Math.exp, relative to its reference); returns its total. */
  private exactRowInto(tmpl: Float64Array, E: Float64Array, i: number): number {
    const S = this.S;
    const rows = this.rows;
    this.model.fillRow(this.data, tmpl, i, rows, 0);
    const r = this.ref[i]!;
    let t = 0;
    for (let k = 0; k < S; k++) {
      const e = Math.exp(rows[k]! - r);
      E[i * S + k] = e;
      t += e;
    }
    return t;
  }

  /** The exp path: pending L = L + deltas at the changed stages, E by exp (into a copy of E). */
  private proposeExp(s: number): void {
    const st = this.subs[s]!;
    const { M, S } = this;
    const ns = this.pendingL(s);
    const T = st.T;
    const pL = st.pendL;
    const pE = st.pendE;
    const pT = st.pendT;
    const stages = st.changes.stages;
    const ref = this.ref;
    pE.set(st.E);
    for (let i = 0; i < M; i++) {
      const r = ref[i]!;
      const base = i * S;
      const pb = i * ns;
      let dT = 0;
      let mag = 0;
      for (let j = 0; j < ns; j++) {
        const dl = pL[pb + j]! - r;
        const e = dl < NEGLIGIBLE ? 0 : fastExp(dl);
        const k = base + stages[j]!;
        const o = pE[k]!;
        pE[k] = e;
        dT += e - o;
        mag += e + o;
      }
      pT[i] = MixtureTables.updatedTotal(T[i]!, dT, mag, pE, base, S);
    }
  }

  /**
   * Make `seq` subtype s's current sequence, updating the tables in place (no pending copy): the
   * fast path when the move will be kept (EM walk, staging).
   */
  apply(s: number, seq: Int32Array): void {
    const st = this.subs[s]!;
    this.flushRebase();
    st.hasPending = false;
    st.pendingSeq.set(seq);
    this.model.template(seq, st.pendingTmpl);
    const ch = st.changes;
    diffTemplates(this.S, this.model.nFeatures, st.tmpl, st.pendingTmpl, ch);
    const ns = ch.nStages;
    // the exp path: L + deltas (L current), or the changed stages of L from the template (L lags)
    const multiplicative = ns > 0 && this.model.prepareFactors(ch, 12 * ns + (st.lStale ? 2 * ns * this.model.nFeatures : ch.n));
    st.seq.set(seq);
    inversePositions(st.seq, st.pos);
    const tt = st.tmpl;
    st.tmpl = st.pendingTmpl;
    st.pendingTmpl = tt;
    if (ch.nStages === 0) return;
    if (multiplicative) this.applyFactors(s);
    else this.applyExp(s);
  }

  /** Row total after the changed stages' E went from `old` by a sum of dT. */
  private static updatedTotal(t0: number, dT: number, mag: number, E: Float64Array, base: number, S: number): number {
    const t = t0 + dT;
    return t > CANCELLATION * (t0 + mag) ? t : rowTotal(E, base, S);
  }

  /** E *= exp(change of L) over the changed stages, row totals resummed; L is left stale. */
  private applyFactors(s: number): void {
    const st = this.subs[s]!;
    st.lStale = true;
    this.multiplyAll(st.E, st.T, (i) => this.exactRow(s, i));
  }

  /** Subject i's E row of subtype s recomputed from the template (Math.exp); returns its total. */
  private exactRow(s: number, i: number): number {
    const st = this.subs[s]!;
    const t = this.exactRowInto(st.tmpl, st.E, i);
    if (t > 0 && t < HUGE) return t;
    // the subject's mass moved far from its reference: re-centre it (all subtypes)
    this.rebaseSubject(i);
    return st.T[i]!;
  }

  /** L at the changed stages (by deltas, or from the template when L lags), E by exp, totals by differences. */
  private applyExp(s: number): void {
    const st = this.subs[s]!;
    const { M, S } = this;
    const ch = st.changes;
    const ns = ch.nStages;
    const L = st.L;
    const E = st.E;
    const T = st.T;
    const stages = ch.stages;
    const ref = this.ref;
    const rows = this.rows;
    if (!st.lStale) this.model.stageDeltas(this.data, ch, L, S, stages);
    for (let i = 0; i < M; i++) {
      const r = ref[i]!;
      const base = i * S;
      if (st.lStale) {
        this.model.fillStages(this.data, st.tmpl, i, stages, ns, rows, 0);
        for (let j = 0; j < ns; j++) L[base + stages[j]!] = rows[j]!;
      }
      let dT = 0;
      let mag = 0;
      for (let j = 0; j < ns; j++) {
        const k = base + stages[j]!;
        const dl = L[k]! - r;
        const e = dl < NEGLIGIBLE ? 0 : fastExp(dl);
        dT += e - E[k]!;
        mag += e + E[k]!;
        E[k] = e;
      }
      T[i] = MixtureTables.updatedTotal(T[i]!, dT, mag, E, base, S);
    }
  }

  /**
   * Save subtype s's current state (sequence, template, E, T) in snapshot `slot`, to come back to
   * it by a copy rather than by recomputing a long move (the EM walk).
   */
  snapshot(s: number, slot: number): void {
    const st = this.subs[s]!;
    let sn = this.snaps[slot];
    if (sn === undefined) {
      sn = { s: -1, rebaseCount: -1, seq: new Int32Array(st.seq.length), tmpl: new Float64Array(st.tmpl.length), E: new Float64Array(this.M * this.S), T: new Float64Array(this.M) };
      this.snaps[slot] = sn;
    }
    sn.s = s;
    sn.rebaseCount = this.rebaseCount;
    sn.seq.set(st.seq);
    sn.tmpl.set(st.tmpl);
    sn.E.set(st.E);
    sn.T.set(st.T);
  }

  /**
   * Make snapshot `slot` subtype s's current state. When a subject was re-centred since the
   * snapshot (its E and T are in another scale), the move is recomputed from the sequence instead.
   */
  restore(s: number, slot: number): void {
    const st = this.subs[s]!;
    const sn = this.snaps[slot]!;
    if (sn.s !== s) throw new Error(`snapshot ${slot} holds subtype ${sn.s}, not ${s}`);
    if (sn.rebaseCount !== this.rebaseCount) {
      this.apply(s, sn.seq);
      return;
    }
    this.flushRebase();
    st.hasPending = false;
    st.seq.set(sn.seq);
    inversePositions(st.seq, st.pos);
    st.tmpl.set(sn.tmpl);
    st.E.set(sn.E);
    st.T.set(sn.T);
    // L is not saved: it is refilled from the template when needed
    st.lStale = true;
  }

  discard(s: number): void {
    this.subs[s]!.hasPending = false;
  }

  /** Make subtype s's pending proposal current. */
  commit(s: number): void {
    const st = this.subs[s]!;
    if (!st.hasPending) return;
    st.hasPending = false;
    st.seq.set(st.pendingSeq);
    inversePositions(st.seq, st.pos);
    const t = st.tmpl;
    st.tmpl = st.pendingTmpl;
    st.pendingTmpl = t;
    const ch = st.changes;
    const ns = ch.nStages;
    if (ns > 0) {
      const { M, S } = this;
      if (!st.pendFactors && !st.lStale) {
        for (let i = 0; i < M; i++) {
          const base = i * S;
          const pb = i * ns;
          for (let j = 0; j < ns; j++) st.L[base + ch.stages[j]!] = st.pendL[pb + j]!;
        }
      }
      // the pending tables are full copies: swap them in
      const e = st.E;
      st.E = st.pendE;
      st.pendE = e;
      const tt = st.T;
      st.T = st.pendT;
      st.pendT = tt;
      if (st.pendFactors) st.lStale = true;
    }
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

  /** Exact log p(x_i) by log-sum-exp over L (the slow path for subjects whose shifted total under/overflows). */
  exactSubject(i: number, f: ArrayLike<number>, usePending: boolean): number {
    const S = this.S;
    const rows = this.subjectRows(i, usePending);
    let mx = -Infinity;
    for (let s = 0; s < this.subs.length; s++) {
      if (!(f[s]! > 0)) continue;
      const lf = Math.log(f[s]!);
      for (let k = 0; k < S; k++) mx = Math.max(mx, lf + rows[s * S + k]!);
    }
    if (mx === -Infinity) return -Infinity;
    let acc = 0;
    for (let s = 0; s < this.subs.length; s++) {
      if (!(f[s]! > 0)) continue;
      const lf = Math.log(f[s]!);
      for (let k = 0; k < S; k++) acc += Math.exp(lf + rows[s * S + k]! - mx);
    }
    if (usePending) {
      this.rebase[i] = 1;
      this.rebaseAny = true;
    }
    return mx + Math.log(acc);
  }

  /** Total log-likelihood with fractions f, using pending proposals where present. */
  logLik(f: ArrayLike<number>, usePending = true): number {
    const M = this.M;
    const K = this.subs.length;
    const Ts: Float64Array[] = [];
    for (let s = 0; s < K; s++) {
      const st = this.subs[s]!;
      Ts.push(usePending && st.hasPending ? st.pendT : st.T);
    }
    let total = 0;
    if (K === 1) {
      const T0 = Ts[0]!;
      const lf = Math.log(f[0]!);
      for (let i = 0; i < M; i++) {
        const q = T0[i]!;
        total += q > 0 && q < Infinity ? this.ref[i]! + Math.log(q) + lf : this.exactSubject(i, f, usePending);
      }
      return total;
    }
    for (let i = 0; i < M; i++) {
      let q = 0;
      for (let s = 0; s < K; s++) q += f[s]! * Ts[s]![i]!;
      total += q > 0 && q < Infinity ? this.ref[i]! + Math.log(q) : this.exactSubject(i, f, usePending);
    }
    return total;
  }

  /** other[i] = sum over subtypes except s of f_t T_t[i] (current tables). */
  othersTotal(s: number, f: ArrayLike<number>, other: Float64Array): void {
    other.fill(0);
    for (let t = 0; t < this.subs.length; t++) {
      if (t === s) continue;
      const T = this.subs[t]!.T;
      const ft = f[t]!;
      for (let i = 0; i < this.M; i++) other[i] += ft * T[i]!;
    }
  }

  /** Log-likelihood of the pending proposal of subtype s, others fixed: sum_i ref_i + log(other_i + f_s T'_s[i]). */
  logLikWithOthers(s: number, f: ArrayLike<number>, other: Float64Array): number {
    const st = this.subs[s]!;
    const T = st.hasPending ? st.pendT : st.T;
    const fs = f[s]!;
    let total = 0;
    for (let i = 0; i < this.M; i++) {
      const q = other[i]! + fs * T[i]!;
      total += q > 0 && q < Infinity ? this.ref[i]! + Math.log(q) : this.exactSubject(i, f, true);
    }
    return total;
  }

  /** EM fraction update: f_s = mean over subjects of the responsibility of subtype s. */
  responsibilities(f: ArrayLike<number>, out: Float64Array): void {
    const K = this.subs.length;
    const M = this.M;
    const acc = new Float64Array(K);
    for (let i = 0; i < M; i++) {
      let q = 0;
      for (let s = 0; s < K; s++) q += f[s]! * this.subs[s]!.T[i]!;
      if (q > 0 && q < Infinity) {
        for (let s = 0; s < K; s++) acc[s] += (f[s]! * this.subs[s]!.T[i]!) / q;
      } else {
        // exact responsibilities for this subject
        const lse = this.exactSubject(i, f, false);
        const rows = this.subjectRows(i, false);
        for (let s = 0; s < K; s++) {
          if (!(f[s]! > 0)) continue;
          let a = 0;
          for (let k = 0; k < this.S; k++) a += Math.exp(Math.log(f[s]!) + rows[s * this.S + k]! - lse);
          acc[s] += a;
        }
      }
    }
    let sum = 0;
    for (let s = 0; s < K; s++) sum += acc[s]!;
    for (let s = 0; s < K; s++) out[s] = acc[s]! / sum;
  }

  sequences(): Int32Array[] {
    return this.subs.map((st) => Int32Array.from(st.seq));
  }
}
