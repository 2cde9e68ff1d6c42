/**
 * Assignment in blocks handed on in subject order as they are done (`assign` on big tables): the
 * caller writes each block's rows and drops them, so memory holds the input and a few blocks'
 * results, never every subject's. Blocks are the same as assignSubjectsParallel's (the same
 * numbers whatever the blocks: subjects are independent), at most `threads + 1` in flight.
 */
import { TaskPool } from '../common/pool.js';
import { blockCount, dataBlock, MAX_BLOCK, workerUrl } from './assign-parallel.js';
import { assignSubjects, fitFor, modelOf, stagingRule } from './staging.js';
import type { AssignTask } from './tasks.js';
import type { Assignment, SustainModelFile, ZTable } from './types.js';

/**
 * Bytes of one block's stage tables (joint, stage and subtype-stage probabilities, pySuStaIn's joint):
 * the block size keeps them below this. Large enough that common models keep 50,000-row blocks
 * (fewer blocks: each costs a copy of the model to its worker).
 */
export const BLOCK_TABLE_BYTES = 128 * 1024 ** 2;

/** Stage tables of one subject (bytes). */
function tableBytesPerSubject(model: SustainModelFile, subtypes: number | undefined): number {
  const K = fitFor(model, subtypes).subtypes;
  const S = modelOf(model).nStages;
  return (stagingRule(model) === 'pysustain' ? 4 : 3) * K * S * 8;
}

/** What assigning one subject takes while its block is in flight (bytes), beyond the input table. */
export function assignBytesPerSubject(model: SustainModelFile, subtypes: number | undefined, biomarkers: number): number {
  const K = fitFor(model, subtypes).subtypes;
  const tables = tableBytesPerSubject(model, subtypes);
  // the block's copy of its rows, the engine's prepared values, the results sent back, and the
  // rows' text while written (about 64 heap bytes per cell)
  return tables + biomarkers * 8 * 3 + (K + 6) * 8 + (K + 5) * 64;
}

/** Most rows per block for this model: its stage tables stay under BLOCK_TABLE_BYTES (at least 1,000 rows). */
export function streamBlockRows(model: SustainModelFile, subtypes: number | undefined): number {
  return Math.max(1000, Math.min(MAX_BLOCK, Math.floor(BLOCK_TABLE_BYTES / tableBytesPerSubject(model, subtypes))));
}

/** Blocks in flight at once (computed or waiting to be written) with `threads` threads. */
export const inFlight = (threads: number): number => (threads <= 1 ? 1 : threads + 1);

export interface StreamOptions {
  /** most rows per block (default streamBlockRows) */
  maxBlock?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Assign `data` block by block; `sink(a, from)` receives each block's assignment (rows from..) in
 * order. Returns the number of subtypes.
 */
export async function assignStream(
  model: SustainModelFile,
  data: ZTable,
  subtypes: number | undefined,
  threads: number,
  sink: (a: Assignment, from: number) => void,
  opts: StreamOptions = {},
): Promise<number> {
  const M = data.subjects.length;
  const K = fitFor(model, subtypes).subtypes;
  let n = blockCount(M, threads, opts.maxBlock ?? streamBlockRows(model, subtypes), opts.onProgress !== undefined);
  // a whole number of blocks per thread: 3 blocks on 2 threads would leave one thread idle for a third of the time
  if (n > threads && threads > 1) n = Math.min(Math.ceil(n / threads) * threads, M);
  const starts = Array.from({ length: n + 1 }, (_, b) => Math.floor((b * M) / n));
  const K0 = subtypes !== undefined ? { subtypes } : {};
  const pool = new TaskPool<AssignTask, Assignment>(workerUrl(), n === 1 ? 1 : Math.min(threads, n), 0);
  const queue: Promise<Assignment>[] = [];
  const window = inFlight(pool.threads);
  let next = 0;
  try {
    for (let b = 0; b < n; b++) {
      while (next < n && next - b < window) {
        const t: AssignTask = { kind: 'assign', model, data: dataBlock(data, starts[next]!, starts[next + 1]!), ...K0 };
        const p = n === 1 ? Promise.resolve(assignSubjects(model, data, subtypes)) : pool.run([t]).then((r) => r[0]!);
        // a later block's failure while an earlier one is awaited must not go unhandled
        p.catch(() => undefined);
        queue.push(p);
        next++;
      }
      sink(await queue.shift()!, starts[b]!);
      opts.onProgress?.(starts[b + 1]!, M);
    }
  } finally {
    await pool.close();
  }
  return K;
}
