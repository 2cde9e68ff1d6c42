/**
 * Memory a fit will take, estimated before it starts from its size alone (rows, values per row,
 * stages, subtypes, threads), so that a fit too big for the machine is refused with a one-line
 * error instead of dying half-way (a V8 crash, or the machine swapping).
 *
 * What is per subject, per running task (start point, split, chain): a set of likelihood tables in
 * one WebAssembly memory (state-subtype.ts: L, E, the pending E and, when the update tracks logs,
 * the pending L, each subjects x stages float64, per subtype; the exp cache, expcache.ts; the
 * values by biomarker), the EM walk's two snapshots of one subtype (E and L), and the task's copy of
 * the values with the model's prepared forms of them. The main thread adds its own prepared copy
 * and, between K and K + 1, the tables of the K-subtype model (to split its clusters). Everything
 * is counted as allocated (the pages a run never touches included), so this is an upper bound:
 * bench/tables.ts prints it beside the measured peak.
 */
import { Arena, MAX_ARENA_BYTES } from './arena.js';
import { ExpCache } from './expcache.js';
import { SubtypeTables } from './state-subtype.js';

export interface FitSize {
  /** rows fitted (visits, for longitudinal data) */
  rows: number;
  /** values per row (biomarkers, or likelihood columns) */
  width: number;
  /** stages of the model (events + 1) */
  stages: number;
  maxSubtypes: number;
  /** tasks that run at once: 1 runs them on the main thread */
  threads: number;
}

export interface FitMemory {
  /** bytes of the largest set of tables (one WebAssembly memory, at most MAX_ARENA_BYTES) */
  tableSet: number;
  /** bytes of one running task at the largest K */
  task: number;
  /** bytes the fit adds to the process (and its workers) beyond the table already read */
  total: number;
}

/** The WebAssembly memory of one set of K-subtype tables on M rows of `width` values (as TableWrites and the z-score update allocate it). */
export function tableSetBytes(M: number, width: number, S: number, K: number): number {
  const subtypes = K * SubtypeTables.arenaBytes(M, S, true) + Arena.bytes(M, 1) + Arena.bytes(M, 8);
  const model = Arena.bytes(ExpCache.slotsFor(M) * M, 8) + Arena.bytes(M * width, 8) + Arena.bytes(M, 1);
  // the kernels' static tables and page rounding
  return subtypes + model + (1 << 20);
}

/** The values and the model's prepared forms of them (row- and column-major copies, present flags): float64s per value. */
const DATA_COPIES = 4.25;

/** One task at K subtypes: its tables, the EM walk's two snapshots (E and L of one subtype) and its data. */
function taskBytes(M: number, width: number, S: number, K: number): number {
  const snapshots = 2 * (2 * M * S * 8 + M * 8);
  // per-subject scratch of the tables and the EM (totals, others, flags)
  const scratch = 6 * M * 8;
  return tableSetBytes(M, width, S, K) + snapshots + DATA_COPIES * M * width * 8 + scratch;
}

/**
 * The phases follow each other (start points, then per K the split on the main thread and the
 * tasks, then the chains), and a finished phase's tables are garbage: the peak is the largest
 * phase, beside the main thread's prepared data. `after`: bytes of what comes after the fit (its
 * per-subject output), which the tables no longer share memory with.
 */
export function fitMemory(s: FitSize, after = 0): FitMemory {
  const { rows: M, width, stages: S, maxSubtypes: K } = s;
  const task = taskBytes(M, width, S, K);
  // the K-1 model's tables the main thread splits clusters with
  const split = K > 1 ? tableSetBytes(M, width, S, K - 1) : 0;
  const total = DATA_COPIES * M * width * 8 + Math.max(Math.max(1, s.threads) * task, split, after);
  return { tableSet: tableSetBytes(M, width, S, K), task, total };
}

/** Whether one set of tables fits in a WebAssembly memory. */
export function tableSetFits(bytes: number): boolean {
  return bytes <= MAX_ARENA_BYTES;
}
