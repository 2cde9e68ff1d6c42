/**
 * The longitudinal parts of `assign` and `simulate` (--history, --visits): joining earlier visits
 * with new ones, keeping the new rows, the simulated cohort's files.
 */
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { toolVersion } from '../common/version.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { writeCsvAtomic } from '../io/csv.js';
import { writeZTable } from '../io/ztable.js';
import type { LongitudinalRead } from '../io/visits.js';
import { simulateLongitudinal, type LongitudinalSimulateOptions } from '../sustain/longitudinal/simulate.js';
import { truthModelFields } from '../sustain/simulate.js';
import { groupTable, type GroupedTable } from '../sustain/longitudinal/visits.js';
import type { Assignment, SustainModelFile, ZTable } from '../sustain/types.js';
import { readAssignVisits } from './model-inputs.js';
import { printDone } from './options.js';

/**
 * Earlier visits of known subjects (`--history`) joined with new visits: the rows of the new data's
 * subjects from the history, then every new row; grouped by subject in time order. `isNew[r]` marks
 * the grouped rows that came from the new data (the ones to write out).
 */
export function joinHistory(history: LongitudinalRead, next: LongitudinalRead, timeColumn: string, file: string): { grouped: GroupedTable; isNew: Uint8Array } {
  const wanted = new Set(next.table.subjects);
  const h = history.table;
  const n = next.table;
  const B = n.biomarkers.length;
  const hb = n.biomarkers.map((b) => {
    const j = h.biomarkers.indexOf(b);
    if (j < 0) throw new UserError(`the history has no column for biomarker "${b}"`, { file: history.read.file, field: b });
    return j;
  });
  const keep: number[] = [];
  h.subjects.forEach((s, r) => wanted.has(s) && keep.push(r));
  const rows = keep.length + n.subjects.length;
  const values = new Float64Array(rows * B);
  keep.forEach((r, q) => hb.forEach((j, b) => (values[q * B + b] = h.values[r * h.biomarkers.length + j]!)));
  values.set(n.values, keep.length * B);
  // the new data's carried columns (session and time among them), history rows filled from the
  // history's column of that name (empty when it has none)
  const table: ZTable = {
    subjects: [...keep.map((r) => h.subjects[r]!), ...n.subjects],
    biomarkers: n.biomarkers,
    values,
    carried: Object.fromEntries(Object.entries(n.carried ?? {}).map(([c, v]) => [c, [...keep.map((r) => h.carried?.[c]?.[r] ?? ''), ...v]])),
  };
  // a clash between a history row and a new row is reported on the new row (the later one), naming
  // the history row by its file and line
  const lines = [...keep.map((r) => history.lines[r]!), ...next.lines];
  const describe = (r: number) => (r < keep.length ? `${history.read.file} line ${lines[r]}` : `line ${lines[r]}`);
  const grouped = groupTable(table, timeColumn, { file, lines, describe });
  const isNew = new Uint8Array(rows);
  for (let g = 0; g < rows; g++) isNew[g] = grouped.layout.order[g]! >= keep.length ? 1 : 0;
  return { grouped, isNew };
}

/** The earlier visits of `assign --history` (or --history-l-yes/--history-l-no), read as the new visits are. */
export function readHistory(model: SustainModelFile, o: { history?: string; historyLYes?: string; historyLNo?: string }, time: string): LongitudinalRead | null {
  const onLikelihoods = model.method === 'sustain-mixture' && model.input === 'likelihoods';
  if (o.historyLYes !== undefined || o.historyLNo !== undefined) {
    if (!onLikelihoods)
      throw new UserError(`--history-l-yes/--history-l-no are for a mixture model fitted on likelihoods; this ${model.method} model takes --history`, { field: 'history-l-yes' });
    if (o.historyLYes === undefined || o.historyLNo === undefined)
      throw new UserError('give both --history-l-yes and --history-l-no', { field: o.historyLYes === undefined ? 'history-l-yes' : 'history-l-no' });
    if (o.history !== undefined) throw new UserError('give either --history or --history-l-yes/--history-l-no, not both', { field: 'history' });
    return readAssignVisits(model, { lYes: o.historyLYes, lNo: o.historyLNo }, time, true)!.lon;
  }
  if (o.history === undefined) return null;
  if (onLikelihoods) throw new UserError('this mixture model was fitted on likelihoods: give the earlier visits as --history-l-yes and --history-l-no', { field: 'history' });
  return readAssignVisits(model, { data: o.history }, time, true)!.lon;
}

/** Keep the rows flagged in `keep` of an assignment and its columns. */
export function selectRows(a: Assignment, cols: Record<string, string[]>, keep: Uint8Array): { a: Assignment; cols: Record<string, string[]> } {
  const rows: number[] = [];
  keep.forEach((k, r) => k && rows.push(r));
  const K = a.subtypes;
  const M = a.subjects.length;
  const pick = <T extends Int32Array | Float64Array>(x: T, w: number): T => {
    const out = new (x.constructor as new (n: number) => T)(rows.length * w);
    rows.forEach((r, q) => out.set(x.subarray(r * w, r * w + w) as never, q * w));
    return out;
  };
  const S = a.probStage ? a.probStage.length / M : 0;
  const b: Assignment = {
    subjects: rows.map((r) => a.subjects[r]!),
    subtypes: K,
    mlSubtype: pick(a.mlSubtype, 1),
    probMlSubtype: pick(a.probMlSubtype, 1),
    mlStage: pick(a.mlStage, 1),
    probMlStage: pick(a.probMlStage, 1),
    probSubtype: pick(a.probSubtype, K),
    ...(a.probStage ? { probStage: pick(a.probStage, S) } : {}),
    ...(a.probSubtypeStage ? { probSubtypeStage: pick(a.probSubtypeStage, S * K) } : {}),
  };
  return { a: b, cols: Object.fromEntries(Object.entries(cols).map(([c, v]) => [c, rows.map((r) => v[r]!)])) };
}

export interface LongitudinalSimFlags extends Omit<LongitudinalSimulateOptions, 'visits'> {
  visits: [number, number];
  out: string;
  quiet?: boolean;
}

/** `simulate --visits lo..hi`: z.csv with session and time columns, truth.csv per visit, truth-model.json. */
export function simulateLongitudinalCommand(o: LongitudinalSimFlags): void {
  const timeColumn = o.timeColumn ?? 'years';
  const sim = simulateLongitudinal({ ...o, timeColumn });
  writeZTable(join(o.out, 'z.csv'), sim.data);
  const t = sim.truth;
  writeCsvAtomic(
    join(o.out, 'truth.csv'),
    ['subject_id', 'session', 'true_subtype', 'true_stage', 'true_rate'],
    sim.data.subjects.map((s, i) => [s, sim.data.carried!['session']![i]!, t.subtype[i]!, t.stage[i]!, t.rate[i]!]),
  );
  writeJsonAtomic(join(o.out, 'truth-model.json'), {
    generator: 'ms-subtype simulate (longitudinal: pySuStaIn-style z-score values at stages that move forward)',
    toolVersion: toolVersion(),
    seed: o.seed,
    subjects: o.subjects,
    visits: o.visits,
    interval: o.interval,
    rate: o.rate,
    timeColumn,
    ...truthModelFields(sim.model),
    controlFraction: o.controlFraction ?? 0.25,
    trueStageDoc: "true_stage per visit in 0..N+1 = number of events passed at that visit (never decreasing); true_rate = the subject's stages per year (0 for controls)",
  });
  const summary = `simulated ${o.subjects} subjects (${sim.data.subjects.length} visits) x ${sim.model.biomarkers.length} biomarkers, ${o.subtypes} subtypes; wrote z.csv, truth.csv, truth-model.json in ${o.out}`;
  printDone(
    o.quiet,
    [summary],
    ['z.csv', 'truth.csv', 'truth-model.json'].map((f) => join(o.out, f)),
  );
}
