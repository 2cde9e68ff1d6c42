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

/** Subjects mixLogs left out (their q is 0, negative or not finite): the caller's exact path. */
let skipped = 0;

/**
 * q_i = a_i fa + b_i fb + c_i fc into q (up to three subtypes' f_s T_s[i] in one pass), and
 * sum_i (ref_i + log q_i) over the subjects whose q_i is in (0, Infinity), with the logs taken of
 * running products: one log per ~100 subjects instead of one per subject (the log was most of a
 * proposal's cost). q within (1e-30, 1e30) enters the product, which is logged and restarted when it
 * leaves (1e-250, 1e250): far from under/overflow. The product's rounding (half a unit in the last
 * place per factor) is the error of summing the logs. (Literals, not module constants: a module
 * binding is re-read and checked in the loop.)
 */
function mixLogs(a: Float64Array, fa: number, b: Float64Array, fb: number, c: Float64Array, fc: number, q: Float64Array, ref: Float64Array, M: number): number {
  let refs = 0;
  let logs = 0;
  let prod = 1;
  let left = 0;
  for (let i = 0; i < M; i++) {
    const v = fa * a[i]! + fb * b[i]! + fc * c[i]!;
    q[i] = v;
    if (v > 1e-30 && v < 1e30) {
      refs += ref[i]!;
      prod *= v;
      if (!(prod > 1e-250 && prod < 1e250)) {
        logs += Math.log(prod);
        prod = 1;
      }
    } else if (v > 0 && v < Infinity) {
      refs += ref[i]!;
      logs += Math.log(v);
    } else left++;
  }
  skipped = left;
  return refs + (logs + Math.log(prod));
}

export class MixtureTables<D extends ModelData> extends TableWrites<D> {
  /** scratch: per subject sum_s f_s T_s[i] */
  private readonly q = new Float64Array(this.M);
  private readonly zeros = new Float64Array(this.M);

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
    const q = this.q;
    const totals = (s: number): Float64Array => {
      const st = this.subs[s]!;
      return usePending && st.hasPending ? st.pendT : st.T;
    };
    let total: number;
    if (K <= 3) {
      // one pass (the usual K): absent subtypes add 0 x 0, which changes no sum
      const z = this.zeros;
      total = mixLogs(totals(0), f[0]!, K > 1 ? totals(1) : z, K > 1 ? f[1]! : 0, K > 2 ? totals(2) : z, K > 2 ? f[2]! : 0, q, this.ref, M);
    } else {
      // subtype by subtype (the sum in subtype order, as per subject)
      for (let s = 0; s < K; s++) {
        const T = totals(s);
        const fs = f[s]!;
        if (s === 0) for (let i = 0; i < M; i++) q[i] = fs * T[i]!;
        else for (let i = 0; i < M; i++) q[i]! += fs * T[i]!;
      }
      total = mixLogs(q, 1, this.zeros, 0, this.zeros, 0, q, this.ref, M);
    }
    if (skipped > 0) {
      for (let i = 0; i < M; i++) {
        const v = q[i]!;
        if (!(v > 0 && v < Infinity)) total += this.exactSubject(i, f, usePending);
      }
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
      for (let i = 0; i < this.M; i++) other[i]! += ft * T[i]!;
    }
  }

  /** Log-likelihood of the pending proposal of subtype s, others fixed: sum_i ref_i + log(other_i + f_s T'_s[i]). */
  logLikWithOthers(s: number, f: ArrayLike<number>, other: Float64Array): number {
    const st = this.subs[s]!;
    const T = st.hasPending ? st.pendT : st.T;
    const M = this.M;
    const q = this.q;
    let total = mixLogs(other, 1, T, f[s]!, this.zeros, 0, q, this.ref, M);
    if (skipped > 0) {
      for (let i = 0; i < M; i++) {
        const v = q[i]!;
        if (!(v > 0 && v < Infinity)) total += this.exactSubject(i, f, true);
      }
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
