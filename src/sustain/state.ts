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
 * recomputed (into a pending buffer), and T is updated by the difference. When the model offers the
 * multiplicative update (an optional capability, e.g. zscore-factors.ts) and it is cheaper, E is
 * multiplied by exp(change of L) instead, which leaves L behind (lStale): L is then refilled from
 * the template only when the exp path needs it.
 * commit() makes the pending state current; discard() drops it. apply() makes a move current in
 * place when it will be kept anyway (EM walk, staging). refresh() recomputes everything from scratch
 * (bounding drift). The writes are in state-writes.ts (the exp path in state-exp.ts), one subtype's
 * tables in state-subtype.ts; this class adds the queries.
 */
import type { ModelData } from './model.js';
import { TableWrites } from './state-writes.js';

export { SubtypeTables } from './state-subtype.js';

/** Totals within (1 / SPAN, SPAN) enter the running product; others are logged on their own. */
const SPAN = 1e30;
/** The running product is logged and restarted when it leaves (1 / LIMIT, LIMIT): far from under/overflow. */
const LIMIT = 1e250;

/**
 * Sum of log(q) over subjects as the log of running products: one log per ~100 subjects instead of
 * one per subject (the log was most of a proposal's cost). The product's rounding (one unit in the
 * last place per factor) gives the same error as summing the logs.
 */
class LogSum {
  sum = 0;
  prod = 1;
  reset(): void {
    this.sum = 0;
    this.prod = 1;
  }
  add(q: number): void {
    if (q > 1 / SPAN && q < SPAN) {
      const p = this.prod * q;
      if (p > 1 / LIMIT && p < LIMIT) this.prod = p;
      else {
        this.sum += Math.log(p);
        this.prod = 1;
      }
    } else this.sum += Math.log(q);
  }
  value(): number {
    return this.sum + Math.log(this.prod);
  }
}

export class MixtureTables<D extends ModelData> extends TableWrites<D> {
  private readonly logs = new LogSum();
  /** the totals logLik reads, one per subtype (reused: no allocation per call) */
  private readonly totalsRead: Float64Array[] = [];

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
    const Ts = this.totalsRead;
    for (let s = 0; s < K; s++) {
      const st = this.subs[s]!;
      Ts[s] = usePending && st.hasPending ? st.pendT : st.T;
    }
    const logs = this.logs;
    logs.reset();
    let total = 0;
    const ref = this.ref;
    if (K === 1) {
      const T0 = Ts[0]!;
      const lf = Math.log(f[0]!);
      for (let i = 0; i < M; i++) {
        const q = T0[i]!;
        if (q > 0 && q < Infinity) {
          total += ref[i]! + lf;
          logs.add(q);
        } else total += this.exactSubject(i, f, usePending);
      }
      return total + logs.value();
    }
    for (let i = 0; i < M; i++) {
      let q = 0;
      for (let s = 0; s < K; s++) q += f[s]! * Ts[s]![i]!;
      if (q > 0 && q < Infinity) {
        total += ref[i]!;
        logs.add(q);
      } else total += this.exactSubject(i, f, usePending);
    }
    return total + logs.value();
  }

  /** other[i] = sum over subtypes except s of f_t T_t[i] (current tables). */
  othersTotal(s: number, f: ArrayLike<number>, other: Float64Array): void {
    other.fill(0);
    for (let t = 0; t < this.subs.length; t++) {
      if (t === s) continue;
      const T = this.subs[t]!.T;
      const ft = f[t]!;
      for (let i = 0; i < this.M; i++) other[i]! += ft * T[i]!;
    }
  }

  /** Log-likelihood of the pending proposal of subtype s, others fixed: sum_i ref_i + log(other_i + f_s T'_s[i]). */
  logLikWithOthers(s: number, f: ArrayLike<number>, other: Float64Array): number {
    const st = this.subs[s]!;
    const T = st.hasPending ? st.pendT : st.T;
    const fs = f[s]!;
    const logs = this.logs;
    logs.reset();
    let total = 0;
    for (let i = 0; i < this.M; i++) {
      const q = other[i]! + fs * T[i]!;
      if (q > 0 && q < Infinity) {
        total += this.ref[i]!;
        logs.add(q);
      } else total += this.exactSubject(i, f, true);
    }
    return total + logs.value();
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
        for (let s = 0; s < K; s++) acc[s]! += (f[s]! * this.subs[s]!.T[i]!) / q;
      } else {
        // exact responsibilities for this subject
        const lse = this.exactSubject(i, f, false);
        const rows = this.subjectRows(i, false);
        for (let s = 0; s < K; s++) {
          if (!(f[s]! > 0)) continue;
          let a = 0;
          for (let k = 0; k < this.S; k++) a += Math.exp(Math.log(f[s]!) + rows[s * this.S + k]! - lse);
          acc[s]! += a;
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
