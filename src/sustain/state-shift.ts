/**
 * The event shift path of the table updates (state.ts), for models with the EventShift capability
 * (model.ts; the event-based model): moving one event from position a to b shifts the stages between
 * them by one, times one factor per subject,
 *   later (a < b):   E'[k] = x_i E[k + 1] for k in (a, b], x_i = exp(-delta_i(e));
 *   earlier (b < a): E'[k] = y_i E[k - 1] for k in (b, a], y_i = exp(+delta_i(e)).
 * No exp and no L per cell. A proposal's total is the old total minus the block plus the shifted
 * block (resummed when that difference loses precision), its commit the shift in place and the row
 * resummed. Subjects the model marks unsafe are computed from the template with Math.exp.
 */
import type { ModelData } from './model.js';
import type { TablesView } from './state-exp.js';
import { CANCELLATION, rowTotal, type SubtypeTables } from './state-subtype.js';

/**
 * When `next` is `cur` with one event moved, out[0] = its position in cur, out[1] = its position in
 * next, and true; false when they are equal or differ otherwise. (Two neighbours swapped read as the
 * first moving one step later.)
 */
export function findMove(cur: Int32Array, next: Int32Array, out: Int32Array): boolean {
  const N = cur.length;
  let lo = 0;
  while (lo < N && cur[lo] === next[lo]) lo++;
  if (lo === N) return false;
  let hi = N - 1;
  while (cur[hi] === next[hi]) hi--;
  let later = cur[lo] === next[hi];
  for (let p = lo; later && p < hi; p++) later = next[p] === cur[p + 1];
  if (later) {
    out[0] = lo;
    out[1] = hi;
    return true;
  }
  let earlier = cur[hi] === next[lo];
  for (let p = lo; earlier && p < hi; p++) earlier = next[p + 1] === cur[p];
  if (!earlier) return false;
  out[0] = hi;
  out[1] = lo;
  return true;
}

/** Subject i's total from a template (Math.exp relative to its reference), E not written. */
function totalFromTemplate<D extends ModelData>(t: TablesView<D>, tmpl: Float64Array, i: number): number {
  const rows = t.rows;
  t.model.fillRow(t.data, tmpl, i, rows, 0);
  const r = t.ref[i]!;
  let total = 0;
  for (let k = 0; k < t.S; k++) total += Math.exp(rows[k]! - r);
  return total;
}

/**
 * Move of event `e` (at position `from` of st.seq) to position `to`: for every subject the total of
 * the moved row into `totals`, and, with `write`, the row shifted in E in place. `exact(i)` handles
 * the unsafe subjects (with `write` it must write the row too) and returns the total.
 */
export function shiftRows<D extends ModelData>(t: TablesView<D>, E: Float64Array, T: Float64Array, e: number, from: number, to: number, totals: Float64Array, write: boolean, exact: (i: number) => number): void {
  const shift = t.model.shift!;
  const { M, S } = t;
  const later = from < to;
  const x = shift.factors(t.data, later);
  const xo = e * M;
  const safe = shift.safe(t.data);
  // changed stages [k0, k1]; their new values come from the stages one further (later) or nearer (earlier)
  const k0 = later ? from + 1 : to + 1;
  const k1 = later ? to : from;
  const src = later ? 1 : -1;
  for (let i = 0; i < M; i++) {
    if (safe[i] === 0) {
      totals[i] = exact(i);
      continue;
    }
    const base = i * S;
    const xi = x[xo + i]!;
    let old = 0;
    let moved = 0;
    for (let k = base + k0; k <= base + k1; k++) {
      old += E[k]!;
      moved += E[k + src]!;
    }
    moved *= xi;
    if (write) {
      if (later) for (let k = base + k0; k <= base + k1; k++) E[k] = xi * E[k + 1]!;
      else for (let k = base + k1; k >= base + k0; k--) E[k] = xi * E[k - 1]!;
    }
    if (write) {
      // a written row is resummed: differences kept over many moves would compound their rounding
      totals[i] = rowTotal(E, base, S);
      continue;
    }
    const t0 = T[i]!;
    const tn = t0 - old + moved;
    if (tn > CANCELLATION * (t0 + old + moved)) totals[i] = tn;
    else {
      // the moved row, summed as a written row would be
      const row = t.rows;
      for (let k = 0; k < S; k++) row[k] = E[base + k]!;
      for (let k = k0; k <= k1; k++) row[k] = xi * E[base + k + src]!;
      totals[i] = rowTotal(row, 0, S);
    }
  }
}

/** The pending totals of subtype st's proposal, a move (st.shiftFrom -> st.shiftTo; pending template set). */
export function proposeShift<D extends ModelData>(t: TablesView<D>, st: SubtypeTables): void {
  shiftRows(t, st.E, st.T, st.seq[st.shiftFrom]!, st.shiftFrom, st.shiftTo, st.pendT, false, (i) => totalFromTemplate(t, st.pendingTmpl, i));
}
