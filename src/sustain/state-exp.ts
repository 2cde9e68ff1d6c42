/**
 * The exp path of the table updates (state.ts): a move's changed stages of L from the model's exact
 * deltas (or from the template when L lags behind the multiplicative update), then one exp per
 * changed (subject, stage), row totals by differences. Used when the model has no multiplicative
 * update, or when that update would cost more for this move.
 */
import type { ModelData, ProgressionModel } from './model.js';
import { fastExp } from './fastexp.js';
import { CANCELLATION, NEGLIGIBLE, rowTotal, updatedTotal, type SubtypeTables } from './state-subtype.js';

/** What the exp path reads of the tables. */
export interface TablesView<D extends ModelData> {
  readonly model: ProgressionModel<D>;
  readonly data: D;
  readonly M: number;
  readonly S: number;
  /** per-subject reference of E (see state.ts) */
  readonly ref: Float64Array;
  /** scratch of at least S values */
  readonly rows: Float64Array;
}

/**
 * The new L values of the changed stages (into pendL) for subtype s's pending proposal, whose
 * template and diff propose() has computed. Returns the number of changed stages.
 */
export function pendingL<D extends ModelData>(t: TablesView<D>, st: SubtypeTables): number {
  const { M, S } = t;
  const ch = st.changes;
  const ns = ch.nStages;
  if (st.pendL.length === 0) st.pendL = new Float64Array(M * S);
  if (ns === 0) return 0;
  const L = st.L;
  const pL = st.pendL;
  const stages = ch.stages;
  if (st.lStale) {
    // L lags (multiplicative updates): the changed stages straight from the pending template
    for (let i = 0; i < M; i++) t.model.fillStages(t.data, st.pendingTmpl, i, stages, ns, pL, i * ns);
    return ns;
  }
  // pending L = current L at the changed stages, plus the model's deltas
  for (let i = 0; i < M; i++) {
    const base = i * S;
    const pb = i * ns;
    for (let j = 0; j < ns; j++) pL[pb + j] = L[base + stages[j]!]!;
  }
  t.model.stageDeltas(t.data, ch, pL);
  return ns;
}

/**
 * The exp path: pending L = L + deltas at the changed stages, their E by exp into pendCells (only the
 * changed cells: copying all of E per proposal cost as much as the exps when few stages change);
 * commit writes them into E.
 */
export function proposeExp<D extends ModelData>(t: TablesView<D>, st: SubtypeTables): void {
  const { M, S } = t;
  const ns = pendingL(t, st);
  if (st.pendCells.length === 0) st.pendCells = new Float64Array(M * S);
  const T = st.T;
  const E = st.E;
  const pL = st.pendL;
  const pC = st.pendCells;
  const pT = st.pendT;
  const stages = st.changes.stages;
  const ref = t.ref;
  const row = t.rows;
  for (let i = 0; i < M; i++) {
    const r = ref[i]!;
    const base = i * S;
    const pb = i * ns;
    let dT = 0;
    let mag = 0;
    for (let j = 0; j < ns; j++) {
      const dl = pL[pb + j]! - r;
      const e = dl < NEGLIGIBLE ? 0 : fastExp(dl);
      const o = E[base + stages[j]!]!;
      pC[pb + j] = e;
      dT += e - o;
      mag += e + o;
    }
    const t0 = T[i]!;
    const tn = t0 + dT;
    if (tn > CANCELLATION * (t0 + mag)) pT[i] = tn;
    else {
      // the pending row, summed as updatedTotal sums a row
      row.set(E.subarray(base, base + S));
      for (let j = 0; j < ns; j++) row[stages[j]!] = pC[pb + j]!;
      pT[i] = rowTotal(row, 0, S);
    }
  }
}

/** L at the changed stages (by deltas, or from the template when L lags), E by exp, totals by differences. */
export function applyExp<D extends ModelData>(t: TablesView<D>, st: SubtypeTables): void {
  const { M, S } = t;
  const ch = st.changes;
  const ns = ch.nStages;
  const L = st.L;
  const E = st.E;
  const T = st.T;
  const stages = ch.stages;
  const ref = t.ref;
  const rows = t.rows;
  if (!st.lStale) t.model.stageDeltas(t.data, ch, L, S, stages);
  for (let i = 0; i < M; i++) {
    const r = ref[i]!;
    const base = i * S;
    if (st.lStale) {
      t.model.fillStages(t.data, st.tmpl, i, stages, ns, rows, 0);
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
    T[i] = updatedTotal(T[i]!, dT, mag, E, base, S);
  }
}
