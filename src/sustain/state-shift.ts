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

/** Subjects a model marks unsafe for the shift, listed once per data set. */
const unsafeLists = new WeakMap<Uint8Array, Int32Array>();
function unsafeOf(safe: Uint8Array): Int32Array {
  let list = unsafeLists.get(safe);
  if (list === undefined) {
    const idx: number[] = [];
    for (let i = 0; i < safe.length; i++) if (safe[i] === 0) idx.push(i);
    list = Int32Array.from(idx);
    unsafeLists.set(safe, list);
  }
  return list;
}

/**
 * Move of event `e` (at position `from` of the current sequence) to position `to`: for every subject
 * the total of the moved row into `totals`, and, with `write`, the row shifted in E in place.
 * `exact(i)` handles the unsafe subjects (with `write` it must write the row too) and returns the total.
 */
export function shiftRows<D extends ModelData>(
  t: TablesView<D>,
  E: Float64Array,
  T: Float64Array,
  e: number,
  from: number,
  to: number,
  totals: Float64Array,
  write: boolean,
  exact: (i: number) => number,
): void {
  const shift = t.model.shift!;
  const { M, S } = t;
  const later = from < to;
  const x = shift.factors(t.data, later);
  const xo = e * M;
  // changed stages [k0, k1]; their new values come from the stages one further (later) or nearer (earlier)
  const k0 = later ? from + 1 : to + 1;
  const k1 = later ? to : from;
  const src = later ? 1 : -1;
  // (unsafe subjects get a meaningless row here, then their exact one)
  if (write) shiftWrite(E, x, xo, M, S, k0, k1, later, totals);
  else if (k0 === k1) oneStageTotals(E, T, x, xo, M, S, k0, k0 + src, totals);
  else if (k1 === k0 + 1) twoStageTotals(E, T, x, xo, M, S, k0, src, totals);
  else blockTotals(E, T, x, xo, M, S, k0, k1, src, totals);
  const unsafe = unsafeOf(shift.safe(t.data));
  for (let q = 0; q < unsafe.length; q++) totals[unsafe[q]!] = exact(unsafe[q]!);
}

/** The rows shifted in place, each resummed (differences kept over many moves would compound their rounding). */
function shiftWrite(E: Float64Array, x: Float64Array, xo: number, M: number, S: number, k0: number, k1: number, later: boolean, totals: Float64Array): void {
  for (let i = 0, base = 0; i < M; i++, base += S) {
    const xi = x[xo + i]!;
    if (later) for (let k = base + k0; k <= base + k1; k++) E[k] = xi * E[k + 1]!;
    else for (let k = base + k1; k >= base + k0; k--) E[k] = xi * E[k - 1]!;
    totals[i] = rowTotal(E, base, S);
  }
}

/** Subjects whose total difference lost its precision in the last proposal (scratch, grown as needed). */
let lostList = new Int32Array(0);

/** A proposal's totals when one stage changes (the common move: one step), E[k] -> x E[c]. */
function oneStageTotals(E: Float64Array, T: Float64Array, x: Float64Array, xo: number, M: number, S: number, k: number, c: number, totals: Float64Array): void {
  if (lostList.length < M) lostList = new Int32Array(M);
  const lostAt = lostList;
  const lostBelow = CANCELLATION;
  let lost = 0;
  for (let i = 0, base = 0; i < M; i++, base += S) {
    const old = E[base + k]!;
    const moved = x[xo + i]! * E[base + c]!;
    const t0 = T[i]!;
    const tn = t0 - old + moved;
    totals[i] = tn;
    // (resummed after the loop: a call in here slowed all of it)
    if (!(tn > lostBelow * (t0 + old + moved))) lostAt[lost++] = i;
  }
  if (lost > 0) resum(E, x, xo, S, k, k, c - k, totals, lost);
}

/** A proposal's totals when stages k and k + 1 change (a jump of two), E[k] -> x E[k + src]. */
function twoStageTotals(E: Float64Array, T: Float64Array, x: Float64Array, xo: number, M: number, S: number, k: number, src: number, totals: Float64Array): void {
  if (lostList.length < M) lostList = new Int32Array(M);
  const lostAt = lostList;
  const lostBelow = CANCELLATION;
  let lost = 0;
  for (let i = 0, base = k; i < M; i++, base += S) {
    const old = E[base]! + E[base + 1]!;
    const moved = x[xo + i]! * (E[base + src]! + E[base + 1 + src]!);
    const t0 = T[i]!;
    const tn = t0 - old + moved;
    totals[i] = tn;
    if (!(tn > lostBelow * (t0 + old + moved))) lostAt[lost++] = i;
  }
  if (lost > 0) resum(E, x, xo, S, k, k + 1, src, totals, lost);
}

/** A proposal's totals when stages k0..k1 change, E[k] -> x E[k + src]. */
function blockTotals(E: Float64Array, T: Float64Array, x: Float64Array, xo: number, M: number, S: number, k0: number, k1: number, src: number, totals: Float64Array): void {
  if (lostList.length < M) lostList = new Int32Array(M);
  const lostAt = lostList;
  const lostBelow = CANCELLATION;
  let lost = 0;
  for (let i = 0, base = 0; i < M; i++, base += S) {
    let old = 0;
    let moved = 0;
    for (let k = base + k0; k <= base + k1; k++) {
      old += E[k]!;
      moved += E[k + src]!;
    }
    moved *= x[xo + i]!;
    const t0 = T[i]!;
    const tn = t0 - old + moved;
    totals[i] = tn;
    if (!(tn > lostBelow * (t0 + old + moved))) lostAt[lost++] = i;
  }
  if (lost > 0) resum(E, x, xo, S, k0, k1, src, totals, lost);
}

/** The first `lost` subjects of lostList: the moved row summed (positive terms: no cancellation). */
function resum(E: Float64Array, x: Float64Array, xo: number, S: number, k0: number, k1: number, src: number, totals: Float64Array, lost: number): void {
  for (let q = 0; q < lost; q++) {
    const i = lostList[q]!;
    const base = i * S;
    let moved = 0;
    for (let k = base + k0; k <= base + k1; k++) moved += E[k + src]!;
    let t = x[xo + i]! * moved;
    for (let k = base; k < base + k0; k++) t += E[k]!;
    for (let k = base + k1 + 1; k < base + S; k++) t += E[k]!;
    totals[i] = t;
  }
}

/** The pending totals of subtype st's proposal, a move (st.shiftFrom -> st.shiftTo; pending template set). */
export function proposeShift<D extends ModelData>(t: TablesView<D>, st: SubtypeTables): void {
  shiftRows(t, st.E, st.T, st.seq[st.shiftFrom]!, st.shiftFrom, st.shiftTo, st.pendT, false, (i) => totalFromTemplate(t, st.pendingTmpl, i));
}
