/**
 * The mixture tables with a per-subject total over visits: the longitudinal model in the engine.
 *
 * Rows of the tables are visits (each subject's visits consecutive, in time order); the per-visit
 * stage tables, their references and their incremental updates are the cross-sectional ones,
 * unchanged. What changes is a subject's total under subtype s: instead of one row's sum over
 * stages it is the forward recursion over the subject's visits (the sum over non-decreasing stage
 * paths), G_s[j] = forwardTotal(E_s, visits of j), in the scale exp(-unitRef[j]) where unitRef[j]
 * is the sum of its visits' references plus the path prior's correction. The EM and MCMC code only
 * calls the mixture's totals (logLik, othersTotal, logLikWithOthers, responsibilities), so it runs
 * on these tables as it is.
 *
 * With one visit per subject every total is the row sum and unitRef the row reference: the same
 * numbers as the cross-sectional tables.
 */
import type { ModelData, ProgressionModel } from '../model.js';
import { MixtureTables } from '../state.js';
import { forwardLog, forwardTotal, logAddExp, pathPriorCorrection } from './paths.js';

/** A unit total outside (0, HUGE) goes to the exact log-space path. */
const HUGE = 1e280;

export class LongitudinalTables<D extends ModelData> extends MixtureTables<D> {
  /** number of subjects (units); M is the number of visits (rows) */
  readonly J: number;
  /** subject j's rows are start[j] .. start[j+1] - 1 */
  readonly start: Int32Array;
  /** subject of each row */
  readonly unitOf: Int32Array;
  /** per subtype, per subject: total over paths (current and pending) */
  G: Float64Array[] = [];
  pendG: Float64Array[] = [];
  /** per subject: sum of its visits' references + the path prior's correction */
  readonly unitRef: Float64Array;
  private readonly correction: Float64Array;
  private readonly acc: Float64Array;
  private readonly logRows: Float64Array;
  private ready = false;

  constructor(model: ProgressionModel<D>, data: D, sequences: Int32Array[], start: Int32Array) {
    super(model, data, sequences);
    this.start = start;
    this.J = start.length - 1;
    if (start[this.J] !== this.M) throw new Error(`LongitudinalTables: visit layout covers ${start[this.J]} rows, data has ${this.M}`);
    this.unitOf = new Int32Array(this.M);
    let maxV = 1;
    this.correction = new Float64Array(this.J);
    for (let j = 0; j < this.J; j++) {
      const V = start[j + 1]! - start[j]!;
      if (V < 1) throw new Error(`LongitudinalTables: subject ${j} has no visits`);
      maxV = Math.max(maxV, V);
      this.correction[j] = pathPriorCorrection(this.S, V);
      for (let r = start[j]!; r < start[j + 1]!; r++) this.unitOf[r] = j;
    }
    this.unitRef = new Float64Array(this.J);
    this.acc = new Float64Array(this.S);
    this.logRows = new Float64Array(maxV * this.S);
    this.G = this.subs.map(() => new Float64Array(this.J));
    this.pendG = this.subs.map(() => new Float64Array(this.J));
    this.ready = true;
    this.recomputeAll();
  }

  /** Number of subjects (the units the mixture totals run over). */
  get units(): number {
    return this.J;
  }

  private recomputeAll(): void {
    for (let j = 0; j < this.J; j++) this.recomputeUnit(j);
  }

  /** unitRef and every subtype's current total of subject j. */
  private recomputeUnit(j: number): void {
    const a = this.start[j]!;
    const V = this.start[j + 1]! - a;
    let r = this.correction[j]!;
    for (let q = a; q < a + V; q++) r += this.ref[q]!;
    this.unitRef[j] = r;
    this.subs.forEach((st, s) => {
      this.G[s]![j] = forwardTotal(st.E, a, V, this.S, this.acc);
    });
  }

  /** G (or pendG) of subtype s from E (or pendE), every subject. */
  private totalsOf(E: Float64Array, out: Float64Array): void {
    const { start, S, acc } = this;
    for (let j = 0; j < this.J; j++) out[j] = forwardTotal(E, start[j]!, start[j + 1]! - start[j]!, S, acc);
  }

  override refresh(): void {
    super.refresh();
    if (this.ready) this.recomputeAll();
  }

  override rebaseSubject(i: number): void {
    super.rebaseSubject(i);
    if (this.ready) this.recomputeUnit(this.unitOf[i]!);
  }

  override propose(s: number, seq: Int32Array): boolean {
    const changed = super.propose(s, seq);
    if (changed) this.totalsOf(this.pendingE(s), this.pendG[s]!);
    else this.pendG[s]!.set(this.G[s]!);
    return changed;
  }

  override apply(s: number, seq: Int32Array): void {
    super.apply(s, seq);
    this.totalsOf(this.subs[s]!.E, this.G[s]!);
  }

  override commit(s: number): void {
    // swap before the base commits: its closing re-centring of subjects updates the current totals
    if (this.subs[s]!.hasPending) {
      const g = this.G[s]!;
      this.G[s] = this.pendG[s]!;
      this.pendG[s] = g;
    }
    super.commit(s);
  }

  override restore(s: number, slot: number): void {
    super.restore(s, slot);
    this.totalsOf(this.subs[s]!.E, this.G[s]!);
  }

  private totals(s: number, usePending: boolean): Float64Array {
    return usePending && this.subs[s]!.hasPending ? this.pendG[s]! : this.G[s]!;
  }

  /**
   * Exact log p(visits of subject j) by the log-space recursion on rows from the templates. With
   * usePending, visits whose own totals are out of range are flagged for re-centring (as the base does).
   */
  exactUnit(j: number, f: ArrayLike<number>, usePending: boolean): number {
    const { S, start } = this;
    const a = start[j]!;
    const V = start[j + 1]! - a;
    const K = this.subs.length;
    let out = -Infinity;
    for (let s = 0; s < K; s++) {
      if (!(f[s]! > 0)) continue;
      const st = this.subs[s]!;
      const tmpl = usePending && st.hasPending ? st.pendingTmpl : st.tmpl;
      for (let v = 0; v < V; v++) this.model.fillRow(this.data, tmpl, a + v, this.logRows, v * S);
      out = logAddExp(out, Math.log(f[s]!) + forwardLog(this.logRows, 0, V, S, this.acc));
    }
    if (usePending) {
      for (let v = 0; v < V; v++) {
        let q = 0;
        for (let s = 0; s < K; s++) {
          const st = this.subs[s]!;
          q += f[s]! * (st.hasPending ? st.pendT : st.T)[a + v]!;
        }
        if (!(q > 0 && q < HUGE)) super.exactSubject(a + v, f, true);
      }
    }
    return out + this.correction[j]!;
  }

  /** The subject-level log-likelihood of subject j from a mixture total q (or exactly when q is out of range). */
  private unitLog(j: number, q: number, f: ArrayLike<number>, usePending: boolean): number {
    return q > 0 && q < Infinity ? this.unitRef[j]! + Math.log(q) : this.exactUnit(j, f, usePending);
  }

  override logLik(f: ArrayLike<number>, usePending = true): number {
    const K = this.subs.length;
    const Gs: Float64Array[] = [];
    for (let s = 0; s < K; s++) Gs.push(this.totals(s, usePending));
    let total = 0;
    for (let j = 0; j < this.J; j++) {
      let q = 0;
      for (let s = 0; s < K; s++) q += f[s]! * Gs[s]![j]!;
      total += this.unitLog(j, q, f, usePending);
    }
    return total;
  }

  /** Per-subject log-likelihoods (current tables) into out[j]. */
  unitLogLiks(f: ArrayLike<number>, out: Float64Array): void {
    const K = this.subs.length;
    for (let j = 0; j < this.J; j++) {
      let q = 0;
      for (let s = 0; s < K; s++) q += f[s]! * this.G[s]![j]!;
      out[j] = this.unitLog(j, q, f, false);
    }
  }

  override othersTotal(s: number, f: ArrayLike<number>, other: Float64Array): void {
    other.fill(0);
    for (let t = 0; t < this.subs.length; t++) {
      if (t === s) continue;
      const G = this.G[t]!;
      const ft = f[t]!;
      for (let j = 0; j < this.J; j++) other[j]! += ft * G[j]!;
    }
  }

  override logLikWithOthers(s: number, f: ArrayLike<number>, other: Float64Array): number {
    const G = this.totals(s, true);
    const fs = f[s]!;
    let total = 0;
    for (let j = 0; j < this.J; j++) total += this.unitLog(j, other[j]! + fs * G[j]!, f, true);
    return total;
  }

  override responsibilities(f: ArrayLike<number>, out: Float64Array): void {
    const K = this.subs.length;
    const acc = new Float64Array(K);
    const w = new Float64Array(K);
    for (let j = 0; j < this.J; j++) {
      let q = 0;
      for (let s = 0; s < K; s++) q += f[s]! * this.G[s]![j]!;
      if (q > 0 && q < Infinity) {
        for (let s = 0; s < K; s++) acc[s]! += (f[s]! * this.G[s]![j]!) / q;
      } else {
        this.unitPosterior(j, f, w);
        for (let s = 0; s < K; s++) acc[s]! += w[s]!;
      }
    }
    let sum = 0;
    for (let s = 0; s < K; s++) sum += acc[s]!;
    for (let s = 0; s < K; s++) out[s] = acc[s]! / sum;
  }

  /** P(subtype s | subject j's visits) exactly (log space), into w. */
  unitPosterior(j: number, f: ArrayLike<number>, w: Float64Array): void {
    const { S, start } = this;
    const a = start[j]!;
    const V = start[j + 1]! - a;
    const K = this.subs.length;
    let mx = -Infinity;
    for (let s = 0; s < K; s++) {
      if (!(f[s]! > 0)) {
        w[s] = -Infinity;
        continue;
      }
      const st = this.subs[s]!;
      for (let v = 0; v < V; v++) this.model.fillRow(this.data, st.tmpl, a + v, this.logRows, v * S);
      w[s] = Math.log(f[s]!) + forwardLog(this.logRows, 0, V, S, this.acc);
      mx = Math.max(mx, w[s]!);
    }
    let t = 0;
    for (let s = 0; s < K; s++) {
      w[s] = mx === -Infinity ? 1 / K : Math.exp(w[s]! - mx);
      t += w[s]!;
    }
    for (let s = 0; s < K; s++) w[s] = w[s]! / t;
  }

  /** The subtype with the largest f_s G_s of subject j (hard assignment, as the split step uses). */
  bestSubtype(j: number, f: ArrayLike<number>): number {
    let bs = 0;
    let bv = -Infinity;
    for (let s = 0; s < this.subs.length; s++) {
      const v = f[s]! * this.G[s]![j]!;
      if (v > bv) {
        bv = v;
        bs = s;
      }
    }
    return bs;
  }
}
