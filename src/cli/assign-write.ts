/**
 * `assign`'s scoring and writing, block by block: each block of subjects is assigned (on worker
 * threads) and its rows written to the output's temp file in subject order as soon as it and the
 * blocks before it are done; the file is renamed into place and its sidecar written at the end.
 * Memory holds the input table and a few blocks' results (bench/tables.ts measures it), never a
 * result per subject; the bytes are those of the whole-table writer (writeSubjects) for any --jobs.
 */
import { getHeapStatistics } from 'node:v8';
import { UserError } from '../common/errors.js';
import { createProgress } from '../io/progress.js';
import { SubjectsWriter, type SubjectsProvenance } from '../io/subjects.js';
import { oldSpaceLimit } from '../normalise/table.js';
import { gb, spareMemory } from '../common/memory.js';
import { dataBlock, MAX_BLOCK } from '../sustain/assign-parallel.js';
import { assignBytesPerSubject, assignStream, inFlight, streamBlockRows } from '../sustain/assign-stream.js';
import { fitFor } from '../sustain/staging.js';
import type { Assignment, ModelFile, ZTable } from '../sustain/types.js';

/** Heap bytes of one output cell while its rows are made into text (csv-stringify's copies included). */
const TEXT_BYTES_PER_CELL = 64;

function tooBig(file: string, rows: number, cols: number, need: number, have: number, jobs: number): UserError {
  const fewer = jobs > 1 ? 'use fewer --jobs, ' : '';
  return new UserError(
    `assigning ${rows.toLocaleString('en-US')} rows x ${cols} columns needs about ${gb(need)} GB more memory than the table, more than the ${gb(have)} GB this process may still use: ${fewer}split the table, or run it on a machine with more memory`,
    { file },
  );
}

/** An allocation the machine (or V8) could not give, in this thread or a worker's. */
function isAllocationFailure(e: unknown): boolean {
  if (e instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer|Invalid array length/i.test(e.message)) return true;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ERR_WORKER_OUT_OF_MEMORY';
}

export interface StreamAssignOptions {
  out: string;
  subtypes?: number;
  jobs: number;
  quiet?: boolean;
  /** the input file(s), named by a too-big error */
  file: string;
}

/**
 * Assign `table` with `model` and write subjects.csv (+ sidecar) to `o.out`, block by block.
 * Too big for memory is a one-line error naming the file, before anything is written (from rows
 * x columns) or when an allocation fails (the temp file is then removed); never a crash.
 * Returns the number of subtypes.
 */
export async function streamAssign(model: ModelFile, table: ZTable, o: StreamAssignOptions, prov: SubjectsProvenance): Promise<number> {
  const M = table.subjects.length;
  const B = table.biomarkers.length;
  const names = Object.keys(table.carried ?? {});
  const carried = names.map((c) => table.carried![c]!);
  const cols = 1 + names.length + B;
  const kmeans = model.method === 'kmeans';
  const K = kmeans ? (o.subtypes ?? model.fits[model.fits.length - 1]!.subtypes) : fitFor(model, o.subtypes).subtypes;
  // what the blocks in flight take: typed arrays outside V8's heap, their rows' text inside it
  const blockRows = kmeans ? MAX_BLOCK : streamBlockRows(model, o.subtypes);
  const held = Math.min(M, blockRows * (kmeans ? 1 : inFlight(o.jobs)));
  const perSubject = kmeans ? (B + K + 6) * 8 * 3 : assignBytesPerSubject(model, o.subtypes, B);
  const text = held * (5 + K + names.length) * TEXT_BYTES_PER_CELL;
  const spare = spareMemory();
  if (held * perSubject > spare * 0.9) throw tooBig(o.file, M, cols, held * perSubject, spare, o.jobs);
  const heapFree = oldSpaceLimit() - getHeapStatistics().used_heap_size;
  if (text > heapFree * 0.9) throw tooBig(o.file, M, cols, text, heapFree, o.jobs);

  const bar = createProgress({ label: 'assign', total: M, quiet: o.quiet });
  const onProgress = bar.active ? (done: number, total: number) => bar.set(done, total, 'subjects') : undefined;
  const writer = new SubjectsWriter(o.out, K, names);
  const sink = (a: Assignment, from: number) => writer.add(a, carried, from);
  try {
    if (model.method === 'kmeans') {
      const { assignKmeans } = await import('../cv/kmeans.js');
      for (let from = 0; from < M; from += blockRows) {
        const to = Math.min(M, from + blockRows);
        sink(assignKmeans(model, dataBlock(table, from, to), K), from);
        onProgress?.(to, M);
      }
    } else await assignStream(model, table, o.subtypes, o.jobs, sink, onProgress ? { onProgress } : {});
  } catch (e) {
    writer.abort();
    if (isAllocationFailure(e)) throw tooBig(o.file, M, cols, held * perSubject + text, spareMemory(), o.jobs);
    throw e;
  } finally {
    bar.stop();
  }
  writer.finish(prov);
  return K;
}
